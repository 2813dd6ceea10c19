"""Argument normalisation and allocation shared by the nn layers (the one place each is written)."""
import math
import operator
import os
import threading

import numpy as np

from .._torch_types import not_on_cpu
from ..tensor import Tensor

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def ntuple(value, n, name):
    """`value` as a tuple of `n` ints: an int is repeated, a sequence must have length n.

    Ints are taken through ``operator.index`` so numpy integers pass and floats and bools
    are refused, as torch refuses them.
    """
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values "
                f"to match the convolution dimensions, but got {name}={list(value)}")
        # torch quirk: its parser checks only the first element's type, and unpacks a bool
        # in a later position as an int: stride=(1, True) is (1, 1), stride=(True, 1) fails
        return (_as_int(value[0], name),) + tuple(
            int(v) if isinstance(v, bool) else _as_int(v, name) for v in value[1:])
    return (_as_int(value, name),) * n


def _as_int(v, name):
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int or a tuple of ints, not bool")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(
            f"{name} must be an int or a tuple of ints, not {type(v).__name__}") from None


def as_array(x, name="input"):
    """A plain ndarray view of a Tensor, ndarray or anything with ``__array__`` (no copy)."""
    if isinstance(x, np.ndarray):
        # ndarray.view, not the Tensor override: this runs several times per op
        return x if type(x) is np.ndarray else np.ndarray.view(x, np.ndarray)
    if hasattr(x, "__array__"):
        return np.asarray(x)
    raise TypeError(f"{name} must be a Tensor or array, not {type(x).__name__}")


def check_float(arr, name="input"):
    """Refuse dtypes the kernels do not implement, naming the dtype."""
    if arr.dtype.newbyteorder("=") not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {arr.dtype}")


def kernel_array(arr, dtype=None):
    """C-contiguous, native-byte-order copy of `arr` only when it is not one already."""
    if dtype is None and arr.ndim and arr.dtype.isnative and arr.flags.c_contiguous:
        return arr                    # the common case, ~0.1 us instead of ~1 us
    dtype = np.dtype(dtype or arr.dtype).newbyteorder("=")
    return np.ascontiguousarray(arr, dtype=dtype)


def wrap(arr):
    """Return `arr` as a fastnn Tensor without copying."""
    return np.ndarray.view(arr, Tensor)


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


_scratch = threading.local()


def thread_scratch(name, size, dtype):
    """A 1-D array of `size` elements kept for this thread under `name` and reused by every
    call that asks (grown when too small): for kernel scratch not to be allocated per call.
    Blocks of a few hundred KB allocated per call can be fresh mappings whose page faults
    are paid every time (with weight-sized temporaries per call, ResNet's 3x3 s2 64->128
    'blocked' layer took 0.45 ms against 0.32). Thread-local: calls from two Python threads
    never share it."""
    dtype = np.dtype(dtype)
    buffers = getattr(_scratch, "buffers", None)
    if buffers is None:
        buffers = _scratch.buffers = {}
    buffer = buffers.get((name, dtype))
    if buffer is None or buffer.size < size:
        check_alloc((size,), dtype)
        buffer = buffers[name, dtype] = allocate((size,), dtype)
    return buffer[:size]


def factory_dtype(device, dtype):
    """The dtype for a layer's new parameters: `dtype`, or fastnn's default dtype.

    `device` is accepted for torch compatibility; only the CPU exists.
    """
    if device is not None and str(device).split(":")[0] != "cpu":
        raise not_on_cpu(device)
    if dtype is None:
        from .._creation import get_default_dtype
        dtype = get_default_dtype()
    name = str(dtype)
    dtype = np.dtype(name[len("torch."):] if name.startswith("torch.") else dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"fastnn supports float32 and float64 only, got {dtype}")
    return dtype
