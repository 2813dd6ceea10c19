"""Array helpers every op layer shares: plain views of inputs, kernel-ready copies,
dtype checks, wrapping results as Tensors, per-thread scratch (the layer above tensor)."""
import threading

import numpy as np

from ._alloc import allocate, check_alloc
from .tensor import Tensor

__all__ = ["FLOAT_DTYPES", "as_array", "check_float", "kernel_array", "wrap",
           "thread_scratch"]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


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
        return arr                    # the common case: cheaper than ascontiguousarray
    dtype = np.dtype(dtype or arr.dtype).newbyteorder("=")
    return np.ascontiguousarray(arr, dtype=dtype)


def wrap(arr):
    """Return `arr` as a fastnn Tensor without copying."""
    return np.ndarray.view(arr, Tensor)


_scratch = threading.local()


def thread_scratch(name, size, dtype):
    """A 1-D array of `size` elements kept for this thread under `name` and reused by every
    call that asks (grown when too small): for kernel scratch not to be allocated per call.
    Blocks of a few hundred KB allocated per call can be fresh mappings whose page faults
    are paid every time (weight-sized temporaries per call made ResNet's 3x3 s2 'blocked'
    layers markedly slower). Thread-local: calls from two Python threads never share it."""
    dtype = np.dtype(dtype)
    buffers = getattr(_scratch, "buffers", None)
    if buffers is None:
        buffers = _scratch.buffers = {}
    buffer = buffers.get((name, dtype))
    if buffer is None or buffer.size < size:
        check_alloc((size,), dtype)
        buffer = buffers[name, dtype] = allocate((size,), dtype)
    return buffer[:size]
