"""No memory growth over 10,000 forward calls of LeNet, measured by the resident set size;
no op allocates more than scratch beyond its output (`fastnn._peakmem`).

A leak of 4 KiB per call would add 40 MiB; the allowance is a quarter of that, far above
the noise of the allocator (measured growth: well under 1 MiB). Inputs being left alone and
hostile layouts are checked for every op in `test_hostile_layouts.py`."""
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

OP_CASES = [case for case in _bench.CASES if case.family != "models"]


def scratch_allowance(workload):
    """What a call may allocate beyond its output: per-task scratch of a few input rows,
    bounded by an eighth of the input (at least 256 KiB, the measure's noise is ~0.2 MB).
    An input-sized copy, or a weight packed on every call, is far above it."""
    return max(workload.args[0].nbytes // 8, 256 * 1024)


@pytest.mark.skipif(not _peakmem.available(), reason="needs Linux with glibc")
@pytest.mark.parametrize("case", OP_CASES, ids=[case.label for case in OP_CASES])
def test_a_call_allocates_nothing_beyond_its_output(case):
    workload = case.make(np.dtype(np.float32)).frozen()
    extra = _peakmem.extra_bytes(workload.call())
    print(f"\n{case.label} [{workload.default_variant()}]: {extra / 1e6:+.2f} MB beyond the "
          f"output (input {workload.args[0].nbytes / 1e6:.2f} MB)")
    assert extra <= scratch_allowance(workload)


@pytest.mark.skipif(not _peakmem.available(), reason="needs Linux with glibc")
def test_the_measure_sees_a_copy_of_the_input():
    # the negative control: a call that copies its input for the time of the call
    workload = _bench.find_case("conv2d 3x3 p1 n1 64ch 56x56").make(np.dtype(np.float32))
    x, w, b = workload.args
    extra = _peakmem.extra_bytes(lambda: F.conv2d(x.copy(), w, b, padding=1))
    assert extra > scratch_allowance(workload) and extra >= 0.9 * x.nbytes
