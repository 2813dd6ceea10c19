"""Thread count, threading layer, the CLI's info command, and import staying cheap."""
import subprocess
import sys

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
def _thread_ids(out):
    for i in prange(out.size):
        spin = 0.0
        for j in range(2000):   # enough work per chunk that an idle thread steals some,
            spin += j * 1e-9    # even with another process on the other core (xdist)
        out[i] = numba.get_thread_id() + int(spin * 0.0)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two threads")
def test_small_work_runs_on_one_thread_and_large_work_on_all(restore_threads):
    fastnn.set_num_threads(2)
    small = np.full(1 << 14, -1, np.int64)
    _runtime.launch(_thread_ids, small, work=_runtime.SERIAL_MAX_WORK - 1)
    assert (small == 0).all()
    large = np.full(1 << 14, -1, np.int64)
    for _ in range(50):     # tbb may hand every chunk to one thread now and then
        _runtime.launch(_thread_ids, large, work=_runtime.SERIAL_MAX_WORK)
        if (large == 1).any():
            break
    assert set(np.unique(large)) <= {0, 1} and (large == 1).any()
    assert numba.get_num_threads() == 2


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
    for label in ("fastnn", "numba", "threading layer", "threads", "simd", "kernel cache"):
        assert label in out
    assert fastnn.__version__ in out


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
