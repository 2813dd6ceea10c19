"""How many bytes a call allocates beyond what it returns (Linux with glibc only).

The measure is the process's peak resident size during the call, less the resident size
before it and the bytes of the result. It sees every allocation whose pages are touched,
numpy's and those Numba's kernels make for themselves (which tracemalloc does not see),
given two settings:

- glibc's malloc gets fixed thresholds (`fix_malloc`): every block of 64 KiB or more is
  mapped when allocated and unmapped when freed. With its default, adaptive thresholds,
  a freed large block stays in the heap and the next call reuses it without raising the
  peak, so a copy made on every call would go unseen after the first;
- the peak is reset just before the call (``5`` written to ``/proc/self/clear_refs``).

Blocks under 64 KiB (a kernel's per-task scratch rows, for instance) may come from memory
the heap already holds and are then not counted. The kernel keeps resident sizes in
per-CPU counters that are read approximately, so a figure can be off by up to ~0.5 MB (a
0.8 MB copy was once seen as 0.6 MB; most readings agree to a few pages). Best in a
process whose malloc thresholds were fixed before its first large allocation
(MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ in the environment, as
tests/runtime/test_memory.py does, or `fix_malloc` early): in a process whose heap already holds
large free blocks, a call can be served from them (the heap is trimmed before the call, so
their pages count again when touched) and small allocations scattered over trimmed pages
add up to ~2 MB of noise.
"""
import ctypes
import ctypes.util
import sys

import numpy as np

__all__ = ["available", "fix_malloc", "reset_peak", "extra_bytes"]

_THRESHOLD = 1 << 16
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3      # glibc's malloc.h


def available():
    return sys.platform.startswith("linux") and _libc() is not None


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") else None


def fix_malloc():
    """Map every malloc block of 64 KiB or more on its own and unmap it when freed."""
    libc = _libc()
    libc.mallopt(_M_MMAP_THRESHOLD, _THRESHOLD)
    libc.mallopt(_M_TRIM_THRESHOLD, _THRESHOLD)


def reset_peak():
    """Make the process's peak resident size (``ru_maxrss``, ``VmHWM``) its current size."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def _status_bytes():
    """(resident, peak resident) bytes, both from /proc/self/status: getrusage's figure
    runs ~0.1 MB off the resident size read there."""
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return tuple(int(fields[name].split()[0]) * 1024 for name in ("VmRSS", "VmHWM"))


def _nbytes(result):
    """Bytes of the array `fn` returned (of each array, for a tuple of gradients)."""
    if isinstance(result, (tuple, list)):
        return sum(_nbytes(r) for r in result)
    return 0 if result is None else np.asarray(result).nbytes


def extra_bytes(fn, warm_up=2, repeat=3):
    """Peak bytes `fn()` allocates beyond the arrays it returns: the median of `repeat`
    calls after `warm_up` (the resident size moves by ~0.1 MB around a call by itself)."""
    fix_malloc()
    for _ in range(warm_up):
        fn()
    samples = []
    for _ in range(repeat):
        _libc().malloc_trim(0)      # free heap pages out of `before`
        reset_peak()
        before = _status_bytes()[0]
        result = fn()
        samples.append(_status_bytes()[1] - before - _nbytes(result))
        del result
    return int(np.median(samples))
