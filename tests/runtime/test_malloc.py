"""fastnn/_malloc.py: what priming glibc's malloc at import does, and how to turn it off.

`python benchmarks/page_faults.py` counts the faults per forward of the zoo's models."""
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

from fastnn import _malloc

on_glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                              reason="the priming acts on glibc's malloc only")

# Four touched 3 MiB arrays freed together, four times: glibc returns the heap's top to the
# system after each round unless its thresholds were raised; prints the minor page faults of
# the rounds after the first.
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
REFAULTED = 3 * 4 * 768     # rounds x arrays x 4 KiB pages


def _later_faults(**settings):
    # glibc keeps fixed thresholds once any MALLOC_*_ setting is in the environment
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("MALLOC_") and name != "FASTNN_MALLOC_PRIME"}
    env.update(settings)
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, check=True,
                         capture_output=True, text=True).stdout
    return int(out)


@on_glibc
def test_freed_activations_stay_on_the_heap_after_import():
    assert _later_faults() < REFAULTED // 10


@on_glibc
@pytest.mark.parametrize("settings", [
    {"FASTNN_MALLOC_PRIME": "0"},
    {"MALLOC_TRIM_THRESHOLD_": "65536"},   # what distributed's nanny gives its workers
])
def test_without_the_priming_each_round_faults_its_pages_again(settings):
    assert _later_faults(**settings) > REFAULTED // 2


@pytest.fixture
def allocations(monkeypatch):
    sizes = []
    real_empty = np.empty

    def empty(size, dtype):
        sizes.append(size)
        return real_empty(0, dtype)
    monkeypatch.setattr(_malloc.np, "empty", empty)
    return sizes


def test_prime_frees_one_block_under_glibc_s_dynamic_ceiling(allocations, monkeypatch):
    monkeypatch.delenv("FASTNN_MALLOC_PRIME", raising=False)
    monkeypatch.setattr(_malloc.platform, "libc_ver", lambda: ("glibc", "2.36"))
    _malloc.prime()
    assert allocations == [_malloc.PRIME_BYTES]
    # glibc moves its thresholds only for a freed mmapped block of at most 32 MiB
    assert 16 << 20 <= _malloc.PRIME_BYTES < 32 << 20


@pytest.mark.parametrize("setting, libc", [("0", "glibc"), (None, ""), (None, "musl")])
def test_prime_does_nothing_when_turned_off_or_off_glibc(allocations, monkeypatch, setting,
                                                         libc):
    if setting is None:
        monkeypatch.delenv("FASTNN_MALLOC_PRIME", raising=False)
    else:
        monkeypatch.setenv("FASTNN_MALLOC_PRIME", setting)
    monkeypatch.setattr(_malloc.platform, "libc_ver", lambda: (libc, ""))
    _malloc.prime()
    assert allocations == []
