"""Thread count, threading layer, the CLI's info command, and import staying cheap."""
import subprocess
import sys
import threading

import numba
import numpy as np
import pytest
from numba import njit, prange

import fastnn
from fastnn import _info, _runtime
from fastnn.__main__ import main


@pytest.fixture
def restore_threads():
    before = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(before)


def test_set_num_threads_round_trip(restore_threads):
    fastnn.set_num_threads(1)
    assert fastnn.get_num_threads() == 1
    assert numba.get_num_threads() == 1


@njit(parallel=True)
def _report_threads(out):
    for i in prange(out.size):
        out[i] = numba.get_num_threads()


def _launched_threads(work=_runtime.SERIAL_MAX_WORK):
    out = np.zeros(64, np.int64)
    _runtime.launch(_report_threads, out, work=work)
    (threads,) = set(out)
    return threads


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two threads")
def test_small_work_runs_on_one_thread_and_large_work_on_all(restore_threads):
    # the count a parallel region was launched with (which threads tbb then wakes is its own
    # business: under xdist's load it may leave every chunk to one of them)
    fastnn.set_num_threads(2)
    assert _launched_threads(work=_runtime.SERIAL_MAX_WORK - 1) == 1
    assert _launched_threads(work=_runtime.SERIAL_MAX_WORK) == 2
    assert _launched_threads(work=None) == 2
    assert numba.get_num_threads() == 2


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two threads")
def test_thread_share_gives_this_thread_its_count_for_the_block_only(
        restore_threads, monkeypatch):
    monkeypatch.setattr(_runtime, "_num_threads", None)
    every = numba.config.NUMBA_NUM_THREADS
    assert _launched_threads(work=1) == 1
    with _runtime.thread_share(1):
        assert fastnn.get_num_threads() == 1
        assert _launched_threads() == 1
    # numba's own count was left at 1 by the block: the next launch must not trust it
    assert fastnn.get_num_threads() == every
    assert _launched_threads() == every
    seen = []
    with _runtime.thread_share(1):
        other = threading.Thread(target=lambda: seen.append(_launched_threads()))
        other.start()
        other.join()
    assert seen == [every]      # another thread keeps its own count
    fastnn.set_num_threads(2)   # an explicit count takes precedence
    with _runtime.thread_share(1):
        assert _launched_threads() == 2


def test_serial_twin_is_cached_under_its_own_name():
    from fastnn.kernels.gemm import gemm_nt
    twin = _runtime.serial_twin(gemm_nt)
    assert twin is _runtime.serial_twin(gemm_nt)
    assert twin.targetoptions.get("parallel") is False
    index = twin._cache._cache_file._index_name
    assert index.startswith("gemm.gemm_nt_serial-")
    assert index != gemm_nt._cache._cache_file._index_name


@pytest.mark.parametrize("bad, message", [
    (0, "expects a positive integer"),
    (-2, "expects a positive integer"),
    (1.5, "expects an int, but got float"),
    (True, "expects an int, but got bool"),
])
def test_set_num_threads_rejects(bad, message, restore_threads):
    with pytest.raises(RuntimeError, match=message):
        fastnn.set_num_threads(bad)


def test_set_num_threads_errors_match_torch(torch):
    for bad in (0, -2, 1.5, True):
        with pytest.raises(RuntimeError) as ours:
            fastnn.set_num_threads(bad)
        with pytest.raises(RuntimeError) as theirs:
            torch.set_num_threads(bad)
        assert str(ours.value) == str(theirs.value)


def test_threading_layer_is_threadsafe():
    assert _runtime.threading_layer() in ("tbb", "omp")


def test_info_command_prints_every_field(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for label in ("fastnn", "numba", "threading layer", "threads", "simd", "l2 cache",
                  "kernel cache"):
        assert label in out
    assert fastnn.__version__ in out


def test_info_names_the_l2_size_and_says_when_it_is_assumed(monkeypatch):
    from fastnn import _info
    from fastnn.kernels import _caches
    monkeypatch.setattr(_caches, "read_l2_bytes", lambda: 1536 << 10)
    assert _info.l2_cache() == "1536 KiB per core"
    monkeypatch.setattr(_caches, "read_l2_bytes", lambda: None)
    assert _info.l2_cache() == f"{_caches.DEFAULT_L2_BYTES >> 10} KiB assumed (sysfs does not say)"


def test_kernel_cache_dir_honours_numba_cache_dir(tmp_path):
    code = "from fastnn._info import kernel_cache_dir; print(kernel_cache_dir())"
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip().startswith(str(tmp_path))


def test_cli_requires_a_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2


def test_import_compiles_nothing_and_skips_torch():
    # import stays cheap: no kernel is compiled and torch is never imported
    code = """
import sys, pkgutil, importlib
import fastnn, fastnn.nn, fastnn.nn.functional, fastnn.kernels
from numba.core.registry import CPUDispatcher
compiled = []
for info in pkgutil.iter_modules(fastnn.kernels.__path__):
    module = importlib.import_module("fastnn.kernels." + info.name)
    for name, value in vars(module).items():
        if isinstance(value, CPUDispatcher) and value.signatures:
            compiled.append(name)
print(compiled, "torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[] False"


def test_info_report_has_no_placeholder_values():
    assert all(value for _, value in _info.report())
