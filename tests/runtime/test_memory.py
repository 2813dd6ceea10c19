"""No memory growth over 10,000 forward calls of LeNet, measured by the resident set size;
no op allocates more than scratch beyond its output (`fastnn._peakmem`).

A leak of 4 KiB per call would add 40 MiB; the allowance is a quarter of that, far above
the noise of the allocator (measured growth: well under 1 MiB). Inputs being left alone and
hostile layouts are checked for every op of the catalogue in
`tests/functional/test_hostile_layouts.py`, fresh outputs and announced metadata in
`tests/functional/test_memory_catalogue.py`."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import _bench, _peakmem
from fastnn.examples import lenet

CALLS = 10_000
WARM_UP = 500
ALLOWED_GROWTH = 10 * 2**20


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_lenet_forward_does_not_grow_memory():
    fastnn.manual_seed(0)
    model = lenet.build().eval()
    image = np.random.default_rng(0).standard_normal((1, 1, 32, 32)).astype(np.float32)
    original = image.copy()
    first = np.asarray(model(image)).copy()
    for _ in range(WARM_UP):
        model(image)
    before = resident_bytes()
    for _ in range(CALLS):
        out = model(image)
    after = resident_bytes()
    print(f"\nRSS over {CALLS} LeNet calls: {before / 2**20:.1f} MiB -> "
          f"{after / 2**20:.1f} MiB ({(after - before) / 2**10:+.0f} KiB)")
    np.testing.assert_array_equal(image, original)
    np.testing.assert_array_equal(np.asarray(out), first)
    assert after - before < ALLOWED_GROWTH


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_the_measure_sees_a_leak_of_4_kib_per_call():
    # the negative control: the same measurement catches a leak of the size it guards
    # against. It runs in a fresh process: in this one, memory freed by earlier tests is
    # still resident and would absorb the leak without the RSS moving.
    code = f"""
import sys
sys.path.insert(0, {os.path.dirname(__file__)!r})
import numpy as np
from test_memory import ALLOWED_GROWTH, CALLS, resident_bytes
kept = []
before = resident_bytes()
for _ in range(CALLS):
    kept.append(np.ones(4096 // 8))
print(resident_bytes() - before > ALLOWED_GROWTH)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "True"


# -------------------------------------------------- bytes a call allocates beyond its output
# Measured in a fresh process that fixes malloc's thresholds before anything is allocated
# (fastnn/_peakmem.py: in this process, the heap left by earlier tests adds noise).

# what a call may allocate beyond its output: the per-task rows of 'direct', 'grouped_h3'
# and 'pointwise' (at most 0.15 MB on the bench cases; 'blocked' keeps its scratch per
# thread between calls)
SCRATCH = 768 * 1024
# the kernel's resident-size counters are per-CPU and read approximately: up to ~0.5 MB
# off (a 0.8 MB copy of the input was seen as 0.6 MB)
NOISE = 512 * 1024
GROWTH = 4                        # batch of the larger call in the growth test


def _growth_layers():
    """name -> (make(n): a layer at batch n, the smaller batch); the larger is GROWTH times
    it. The name starts with the variant both batches must run. The last layer copies its
    input for the time of the call (the negative control)."""
    def copying(n):
        def make(dtype):
            workload = _bench._conv(2, n, 64, 64, 56, 3, padding=1)(dtype)
            x, w, b = workload.args
            return _bench.Workload(None, (lambda: F.conv2d(x.copy(), w, b, padding=1),))
        return make
    return {
        # from batch 2 a 'blocked' task is a whole plane; at batch 1 it is half of one
        "blocked": (lambda n: _bench._conv(2, n, 64, 64, 28, 3, padding=1), 2),
        "blocked 3-D": (lambda n: _bench._conv(3, n, 32, 32, (8, 28, 28), 3, padding=1), 1),
        "direct": (lambda n: _bench._conv(2, n, 3, 64, 112, 7, stride=2, padding=3), 1),
        "direct s2": (lambda n: _bench._conv(2, n, 8, 32, 56, 3, stride=2, padding=1), 1),
        # one sample, its plane grown (28x28 to 56x56): AVX2 targets run three or more
        # samples of it on 'direct' (`_conv._grouped_h3_pays`)
        "grouped_h3": (lambda n: _bench._conv(2, 1, 128, 128, 28 * int(n ** 0.5), 3,
                                              padding=1, groups=32), 1),
        "pointwise 1-D": (lambda n: _bench._conv(1, n, 64, 64, 1024, 3, 1, 4, 4), 1),
        "pointwise s2": (lambda n: _bench._conv(2, n, 256, 512, 28, 1, stride=2), 1),
        "depthwise": (lambda n: _bench._conv(2, n, 64, 64, 56, 3, padding=1, groups=64), 1),
        "separable": (lambda n: _bench._max_pool(2, (n, 64, 56, 56), 3, 2, 1), 1),
        # 48 and 192 rows: below the 196 from which AVX-512 targets take 'packed'
        "numba_gemm": (lambda n: _bench._linear(48 * n, 1024, 1024), 1),
        "default (control)": (copying, 4),        # copies of 3.2 and 12.8 MB
    }


_MEASURE = f"""
import json, sys
sys.path.insert(0, {os.path.dirname(__file__)!r})
from fastnn import _peakmem
_peakmem.fix_malloc()
import numpy as np, fastnn
from fastnn import _bench
from test_memory import GROWTH, OP_CASES, _growth_layers
fastnn.set_num_threads(2)

def measure(workload):
    workload = workload.frozen()
    extra = _peakmem.extra_bytes(workload.call())
    size = workload.args[0].nbytes if workload.op else 0
    return workload.default_variant(), extra, size

print(json.dumps({{
    "cases": {{case.label: measure(case.make(np.float32)) for case in OP_CASES}},
    "growth": {{name: [measure(make(n)(np.float32)) for n in (batch, GROWTH * batch)]
                for name, (make, batch) in _growth_layers().items()}}}}))
"""

# forward calls (a backward case's gradients and saved values are another budget)
OP_CASES = [case for case in _bench.CASES
            if case.family != "models" and not case.family.endswith("_backward")]


@pytest.fixture(scope="module")
def measured():
    if not _peakmem.available():
        pytest.skip("needs Linux with glibc")
    # glibc reads these at start-up, before the imports fill the heap (_peakmem.fix_malloc)
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="65536")
    out = subprocess.run([sys.executable, "-c", _MEASURE], capture_output=True, text=True,
                         check=True, env=env).stdout
    return json.loads(out.splitlines()[-1])


# ops that still allocate temporaries of their input's size, with the reason; bounded by
# that size, so that more than these copies still fails
TEMPORARIES = {
    "lp_pool2d p2 k2 n8 64ch 56x56": (4, "torch's composite: x**p, its average pool, the "
                                         "sign and relu steps are arrays of their own"),
    "cross_entropy n256 1000 classes label_smoothing 0.1": (
        3, "kernels/loss.py computes in float64: float64 copies of the float32 input"),
    "cross_entropy segmentation n4 21 classes 64x64": (3, "as above"),
    "mse_loss n64 x 1000": (4, "float64 copies of the input and the target"),
    "binary_cross_entropy_with_logits n64 x 1000": (4, "as above"),
}


@pytest.mark.parametrize("label", [case.label for case in OP_CASES])
def test_a_call_allocates_no_more_than_scratch_beyond_its_output(measured, label):
    variant, extra, size = measured["cases"][label]
    print(f"{label} [{variant}]: {extra / 1e6:+.2f} MB beyond the output (input "
          f"{size / 1e6:.2f} MB)")
    copies, _reason = TEMPORARIES.get(label, (0, None))
    assert extra <= SCRATCH + copies * size


@pytest.mark.parametrize("name", [n for n in _growth_layers() if "control" not in n])
def test_what_a_call_allocates_does_not_grow_with_its_input(measured, name):
    (variant, small, size), (large_variant, large, large_size) = measured["growth"][name]
    assert variant == large_variant == name.split()[0]
    assert large_size == GROWTH * size
    print(f"{name}: {small / 1e6:+.2f} MB at input {size / 1e6:.2f} MB, {large / 1e6:+.2f} MB "
          f"at {large_size / 1e6:.2f} MB")
    assert large - small <= NOISE


def test_the_measure_sees_a_copy_of_the_input(measured):
    (_, small, _), (_, large, _) = measured["growth"]["default (control)"]
    input_bytes = 4 * 64 * 56 * 56 * 4
    assert small > SCRATCH and small >= input_bytes - NOISE
    assert large - small > NOISE and large - small >= (GROWTH - 1) * input_bytes - NOISE
