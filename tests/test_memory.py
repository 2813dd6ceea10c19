"""No memory growth over 10,000 forward calls of LeNet, measured by the resident set size.

A leak of 4 KiB per call would add 40 MiB; the allowance is a quarter of that, far above
the noise of the allocator (measured growth: well under 1 MiB). Inputs being left alone and
hostile layouts are checked for every op in `test_hostile_layouts.py`."""
import os
import subprocess
import sys

import numpy as np
import pytest

import fastnn
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
