"""The code fastnn's kernels compile to, on CPUs other than this one (kernels/_target.py).

Each target is compiled in a fresh interpreter with `NUMBA_CPU_NAME` set, that CPU's own
features (`NUMBA_CPU_FEATURES=""`) and an empty cache; tests/codegen_probe.py compiles the
hot kernel of every register-tiled family without running it and reports the instruction
mix of its innermost hot loop. No timing: a tile that spills, or splits its accumulators
into half-width registers, fails here on every machine.

A spill is a vector register stored to the stack inside the hot loop: an accumulator
that does not fit is stored and reloaded on every step. A value only reloaded from the
stack there (a loop-invariant broadcast weight LLVM parked) costs one load, as reading it
from the weights again would, and is reported but allowed.
"""
import json
import os
import platform
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                                reason="the targets below are x86-64 CPUs")

PROBE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "codegen_probe.py")
# LLVM CPU name -> the vector registers its hot loops must use: one CPU of each kind
# of codegen the kernels meet, AVX2 (16 registers of 256 bits), Intel's AVX-512 under
# LLVM's 256-bit preference (which kernels/_target.py lifts), AMD's AVX-512 without it,
# and the host. Each probe compiles every tiled kernel cold, minutes of a core (docs/PERF.md,
# compile time): other CPUs of a kind (znver3 beside haswell; icelake-server and
# sapphirerapids beside skylake-avx512) differ in scheduling, not in registers, and would
# cost a CI run as much again each
TARGETS = {"haswell": "ymm", "skylake-avx512": "zmm", "znver4": "zmm", "host": None}
FAMILIES = ("blocked", "direct", "pointwise", "depthwise", "depthwise_blocked", "grouped",
            "gemm", "gemm_packed", "max_pool", "weight_grad")


def _env(cpu, cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    env.pop("NUMBA_CPU_NAME", None)
    env.pop("NUMBA_CPU_FEATURES", None)
    if cpu != "host":
        env.update(NUMBA_CPU_NAME=cpu, NUMBA_CPU_FEATURES="")
    return env


def _probe(cpu, cache):
    done = subprocess.run([sys.executable, PROBE], env=_env(cpu, cache), capture_output=True,
                          text=True, timeout=1500)
    assert done.returncode == 0, f"{cpu}: {done.stderr[-3000:]}"
    return json.loads(done.stdout)


# {cpu: future of its report}: tests/conftest.py starts the probes in the background as
# soon as these tests are collected, so they compile beside the rest of the suite instead
# of after it. Two run at a time: under pytest-xdist the worker that waits for them leaves
# its core to them, and one probe at a time was the last ten minutes of a cold run alone
_started = {}
_pool = None


def start_probes(root):
    """Run the probes of every target, two at a time, in background threads. The named
    target of the host's kind is not probed apart: the host's probe stands for it (they
    meet the same codegen), and the run compiles every kernel once less."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(2)
        _started["host"] = _pool.submit(_probe, "host", os.path.join(root, "host"))
        same = _kind(*_host_cpu())
        for cpu in TARGETS:
            if cpu != "host":
                _started[cpu] = (_started["host"] if cpu == same else
                                 _pool.submit(_probe, cpu, os.path.join(root, cpu)))


def _host_cpu():
    """The LLVM name and features of the CPU the kernels compile for without
    NUMBA_CPU_NAME."""
    import llvmlite.binding as ll
    from numba.core.codegen import get_host_cpu_features
    return ll.get_host_cpu_name(), get_host_cpu_features()


def _kind(cpu, features):
    """The named target whose codegen a CPU meets (TARGETS' comment), or None: AMD's
    AVX-512 (znver4), Intel's under LLVM's 256-bit preference (skylake-avx512), AVX2
    (haswell)."""
    if "+avx512f" in features.split(","):
        return "znver4" if cpu.startswith("znver") else "skylake-avx512"
    return "haswell" if "+avx2" in features.split(",") else None


def stop_probes():
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """{cpu: the probe's report} (started here when conftest did not start them)."""
    start_probes(str(tmp_path_factory.mktemp("codegen")))
    return {cpu: future.result() for cpu, future in _started.items()}


@pytest.mark.parametrize("cpu", list(TARGETS))
def test_target_width(reports, cpu):
    """The probe of each CPU sees that CPU's registers (the host: what `target()` says)."""
    report = reports[cpu]
    expected = TARGETS[cpu]
    if expected is not None:
        assert report["vector_bits"] == {"ymm": 256, "zmm": 512}[expected]
        assert report["registers"] == (32 if expected == "zmm" else 16)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("cpu", list(TARGETS))
def test_hot_loop(reports, cpu, family):
    """Full-width vector instructions in the hot loop, and no stack spills inside it."""
    report = reports[cpu]
    found = report["kernels"][family]
    width = TARGETS[cpu] or {512: "zmm", 256: "ymm", 128: "xmm"}[report["vector_bits"]]
    assert found["hot"] > 0, f"{family} on {cpu}: no hot loop found"
    assert found["registers"] == [width], f"{family} on {cpu}: {found}"
    assert found["spills"] == 0, f"{family} on {cpu}: {found['spills']} spills: {found}"


@pytest.mark.parametrize("family", ["pointwise", "gemm_packed"])
@pytest.mark.parametrize("cpu", list(TARGETS))
def test_tiles_store_whole_registers(reports, cpu, family):
    """The tiles that store whole registers into rows (`store_tile`) store no lane alone."""
    found = reports[cpu]["kernels"][family]
    assert found["lane_stores"] == 0, f"{family} on {cpu}: {found}"


@pytest.mark.parametrize("family", ["pointwise", "gemm_packed", "blocked", "direct",
                                    "weight_grad"])
@pytest.mark.parametrize("cpu", list(TARGETS))
def test_tiles_count_no_references(reports, cpu, family):
    """The tiles compiled without NRT on `tile_pointer` buffers count no references: a
    tile's reference counts were atomics on arrays both threads share, and a runtime call
    that sent every accumulator through the stack, on every tile."""
    found = reports[cpu]["kernels"][family]
    assert found["tile_refcounts"] == 0, f"{family} on {cpu}: {found}"


USER_FUNCTION = """
import json, re, sys
import numpy as np
from numba import njit, typeof
from fastnn.kernels import elementwise

@njit
def user_axpy(a, x, y):
    for i in range(x.size):
        y[i] += a * x[i]

def widths(asm):
    return sorted(set(re.findall(r"%([yz]mm)\\d+", asm)))

# a kernel quick to compile (clamp): every fastnn kernel is compiled for the same target
f32 = np.ones(64, np.float32)
sig = (typeof(f32), typeof(f32), typeof(np.float32(0)), typeof(np.float32(0)))
elementwise.clamp.compile(sig)
user_axpy.compile((typeof(np.float32(1)), typeof(f32), typeof(f32)))
json.dump({"fastnn": widths(elementwise.clamp.inspect_asm(sig)),
           "user": widths(user_axpy.inspect_asm(user_axpy.signatures[0]))}, sys.stdout)
"""


def test_user_functions_keep_llvms_choice(run_python, tmp_path):
    """On a CPU that LLVM tunes for 256-bit vectors, fastnn's kernels get 512-bit ones and
    the user's own Numba function in the same process keeps LLVM's default."""
    done = run_python(USER_FUNCTION, env=_env("skylake-avx512", str(tmp_path)), timeout=900)
    assert done.returncode == 0, done.stderr
    widths = json.loads(done.stdout)
    assert "zmm" in widths["fastnn"]
    assert widths["user"] == ["ymm"]


SECOND_COPY = """
import importlib.util, json, re, sys
import numpy as np
from numba import typeof
from fastnn.kernels import _target, elementwise

def widths(asm):
    return sorted(set(re.findall(r"%([yz]mm)\\d+", asm)))

f32 = np.ones(64, np.float32)
elementwise.clamp.compile((typeof(f32), typeof(f32), typeof(np.float32(0)),
                           typeof(np.float32(0))))      # the first copy's hook is in place
# a second copy of the module, as a second copy of the package (fastnn_base) brings
spec = importlib.util.spec_from_file_location("fastnn.kernels._target_copy", _target.__file__)
copy = importlib.util.module_from_spec(spec)
spec.loader.exec_module(copy)
namespace = {"__name__": "fastnn_copy.probe"}
exec("def double(x, out):\\n    for i in range(x.size):\\n        out[i] = x[i] * 2.0\\n",
     namespace)
kernel = copy.njit(namespace["double"])
kernel.compile((typeof(f32), typeof(f32)))
json.dump(widths(kernel.inspect_asm(kernel.signatures[0])), sys.stdout)
"""


def test_a_second_copy_of_the_package_compiles_its_kernels_wide(run_python, tmp_path):
    """Where LLVM prefers 256-bit vectors, a second copy of the package in the process
    (benchmarks/against_commit.py's base commit) gets 512-bit kernels too: its hook is
    installed beside the first copy's, not skipped for it."""
    done = run_python(SECOND_COPY, env=_env("skylake-avx512", str(tmp_path)), timeout=900)
    assert done.returncode == 0, done.stderr
    assert "zmm" in json.loads(done.stdout)


CACHE_USE = """
import json, sys
import numpy as np
import fastnn.nn.functional as F
from fastnn.kernels import elementwise
F.relu(np.ones(16, np.float32))         # clamp: a kernel quick to compile
kernel = elementwise.clamp
json.dump({"hits": sum(kernel._cache_hits.values()),
           "misses": sum(kernel._cache_misses.values())}, sys.stdout)
"""


def test_cache_is_per_target(run_python, tmp_path):
    """Kernels cached for one CPU are compiled anew, not loaded, for another; then cached."""
    cache = str(tmp_path / "cache")

    def run(cpu):
        done = run_python(CACHE_USE, env=_env(cpu, cache), timeout=900)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert run("host") == {"hits": 0, "misses": 1}
    assert run("host") == {"hits": 1, "misses": 0}
    assert run("haswell") == {"hits": 0, "misses": 1}       # runs on any AVX2 machine
    assert run("haswell") == {"hits": 1, "misses": 0}


@pytest.mark.parametrize("cpu, features, kind", [
    ("icelake-server", "+avx2,+avx512f,+fma", "skylake-avx512"),
    ("sapphirerapids", "+avx2,+avx512f", "skylake-avx512"),
    ("znver4", "+avx2,+avx512f", "znver4"),
    ("znver3", "+avx2,-avx512f", "haswell"),
    ("x86-64", "-avx2,-avx512f", None)])
def test_host_kind(cpu, features, kind):
    """The host's probe stands for the named target of its kind, and only for it."""
    assert _kind(cpu, features) == kind
