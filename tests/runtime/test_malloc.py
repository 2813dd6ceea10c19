"""fastnn/_malloc.py: what priming glibc's malloc at import does, and how to turn it off.

Its effect on page faults is measured by `python benchmarks/page_faults.py` (each setting in
a fresh process), not asserted here: inside a full parallel run of this suite, a fresh
process counted every page as faulted again even when primed, which the same process run
alone never did (0 faults in every run)."""
import numpy as np
import pytest

from fastnn import _malloc


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
