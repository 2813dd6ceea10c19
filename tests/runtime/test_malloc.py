"""fastnn/_malloc.py: what priming glibc's malloc at import changes, and how to turn it off."""
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="the priming acts on glibc's malloc only")

# Four touched 3 MiB arrays freed together, four times: glibc returns the heap's top to
# the system after each round unless its thresholds were raised; prints the minor page
# faults of the rounds after the first.
CHILD = """
import resource
import numpy as np
import fastnn
faults = []
for _ in range(4):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.ones(3 << 18, np.float32) for _ in range(4)]
    del arrays
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(sum(faults[1:]))
"""


def _later_faults(setting):
    env = dict(os.environ)
    env.pop("FASTNN_MALLOC_PRIME", None)
    if setting is not None:
        env["FASTNN_MALLOC_PRIME"] = setting
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, check=True,
                         capture_output=True, text=True).stdout
    return int(out)


def test_freed_activations_stay_on_the_heap_after_import():
    # 3 rounds x 4 arrays x 768 pages fault again without the priming; with it, none. The
    # fewest of three processes: once, in a full parallel run of the suite, a process
    # faulted every page (the machine reclaiming memory?), which the next ones did not
    assert min(_later_faults(None) for _ in range(3)) < 100


def test_the_priming_can_be_turned_off():
    assert _later_faults("0") > 3 * 4 * 768 // 2
