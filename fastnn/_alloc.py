"""Checked allocation: torch's errors for sizes before numpy allocates (a leaf module)."""
import math
import os

import numpy as np

from ._args import int_tuple_arg

__all__ = ["check_alloc", "checked_empty", "allocate", "factory_shape"]


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


_PHYSICAL_MEMORY = _physical_memory()


def check_alloc(shape, dtype):
    """Refuse, before allocating, an array larger than int64 or than physical memory, with
    torch's allocator message (numpy would raise MemoryError, or hand out overcommitted
    pages that kill the process on first touch)."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if nbytes >= 2 ** 63:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    if _PHYSICAL_MEMORY is not None and nbytes > _PHYSICAL_MEMORY:
        raise RuntimeError(f"DefaultCPUAllocator: can't allocate memory: you tried to "
                           f"allocate {nbytes} bytes. Error code 12 (Cannot allocate memory)")


def checked_empty(shape, dtype):
    """``np.empty(shape, dtype)`` after `check_alloc`; a MemoryError becomes torch's error."""
    check_alloc(shape, dtype)
    return allocate(shape, dtype)


def allocate(shape, dtype):
    """``np.empty(shape, dtype)`` for a shape `check_alloc` has passed (e.g. in a plan)."""
    try:
        return np.empty(shape, dtype)
    except MemoryError:
        raise RuntimeError(f"DefaultCPUAllocator: can't allocate memory: you tried to "
                           f"allocate {math.prod(shape) * np.dtype(dtype).itemsize} "
                           f"bytes.") from None


def factory_shape(fn, size, dtype):
    """The shape of a factory call (`size`: ints or one sequence), checked as torch checks
    it (types, negative sizes, allocation limits)."""
    shape = int_tuple_arg(size, fn)
    for n in shape:
        if n < 0:
            if fn == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                               f"{list(shape)}")
    check_alloc(shape, dtype)
    return shape
