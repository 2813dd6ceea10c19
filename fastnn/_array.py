"""Array helpers every op layer shares: plain views of inputs, kernel-ready copies,
dtype checks, wrapping results as Tensors, per-thread scratch (the layer above tensor)."""
import math
import threading

import numpy as np

from ._alloc import allocate, check_alloc
from ._runtime import launch
from .kernels.transpose import transpose
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
    """C-contiguous, native-byte-order copy of `arr` only when it is not one already; a
    permuted view of contiguous float memory (x.permute(0, 2, 3, 1), x.transpose(1, 2))
    is copied by blocks (`transposed_copy`)."""
    if dtype is None and arr.ndim and arr.dtype.isnative and arr.flags.c_contiguous:
        return arr                    # the common case: cheaper than ascontiguousarray
    dtype = np.dtype(dtype or arr.dtype).newbyteorder("=")
    if arr.dtype == dtype:
        copy = blocked_copy(arr)
        if copy is not None:
            return copy
    return np.ascontiguousarray(arr, dtype=dtype)


# below this many elements numpy's own copy is as fast (one parallel launch costs more);
# `python benchmarks/rules.py permute` times both on ConvNeXt-like permutes
TRANSPOSED_COPY_MIN = 1 << 14


def blocked_copy(arr, out=None):
    """`transposed_copy` where it pays (float32/float64, TRANSPOSED_COPY_MIN elements or
    more), else None: numpy's copy is the caller's."""
    if arr.size < TRANSPOSED_COPY_MIN or arr.dtype not in FLOAT_DTYPES:
        return None
    return transposed_copy(arr, out)


def transpose_into(src, dst, work=None):
    """dst (C, R) = src (R, C) transposed, both 2-D and C-contiguous, in blocks on the
    threads (`kernels.transpose`; `work` as `launch` takes it, None: every thread)."""
    launch(transpose, src[None, :, :, None], dst[None, :, :, None], work=work)


def transposed_copy(arr, out=None):
    """A C-contiguous copy of `arr` made by `kernels.transpose` (into `out` when given: C-
    contiguous, native, of `arr`'s shape and dtype), or None when `arr` is not
    a batch of transposes of contiguous memory: its axes in memory order must be its
    leading axes, then a later run of them, then the axes between, then its trailing axes
    (NHWC memory seen as NCHW: N, then H W, then C; (B, H, L, D) seen as (B, L, H, D): B,
    then H, then L, then D), so the copy is dst[n, j, i] = src[n, i, j] with runs of the
    trailing axes' elements moved whole."""
    squeezed = arr.squeeze()
    shape, strides = squeezed.shape, squeezed.strides
    if squeezed.ndim < 2 or min(strides) <= 0:
        return None
    order = sorted(range(squeezed.ndim), key=lambda d: -strides[d])
    memory = squeezed.transpose(order)
    if not memory.flags.c_contiguous:
        return None
    kept = squeezed.ndim
    while kept and order[kept - 1] == kept - 1:
        kept -= 1
    lead = 0
    while lead < kept and order[lead] == lead:
        lead += 1
    if lead == kept:
        return None
    tail = order[lead]
    if order[lead:kept] != list(range(tail, kept)) + list(range(lead, tail)):
        return None
    src = memory.reshape(math.prod(shape[:lead]), math.prod(shape[tail:kept]),
                         math.prod(shape[lead:tail]), math.prod(shape[kept:]))
    if out is None:
        out = allocate(arr.shape, arr.dtype)
    # a strided read and a write per element (`python benchmarks/rules.py permute`)
    launch(transpose, src, out.reshape(src.shape[0], src.shape[2], src.shape[1], src.shape[3]),
           work=2 * arr.size)
    return out


def wrap(arr):
    """Return `arr` as a fastnn Tensor without copying."""
    return np.ndarray.view(arr, Tensor)


_scratch = threading.local()


def thread_scratch(name, size, dtype):
    """A 1-D array of `size` elements kept for this thread under `name` and reused by every
    call that asks (grown when too small): for kernel scratch not to be allocated per call.
    Blocks of a few hundred KB allocated per call can be fresh mappings whose page faults
    are paid every time (weight-sized temporaries per call made ResNet's 3x3 s2 'blocked'
    layers markedly slower). Thread-local: calls from two Python threads never share it.
    It starts on a cache line (SCRATCH_ALIGNMENT bytes), as a kernel's rows of vectors in it
    do when their length is a multiple of one: a vector load across two lines costs two."""
    dtype = np.dtype(dtype)
    buffers = getattr(_scratch, "buffers", None)
    if buffers is None:
        buffers = _scratch.buffers = {}
    buffer = buffers.get((name, dtype))
    if buffer is None or buffer.size < size:
        check_alloc((size,), dtype)
        buffer = buffers[name, dtype] = aligned_empty(size, dtype)
    return buffer[:size]


SCRATCH_ALIGNMENT = 64     # bytes: one cache line, one 512-bit vector


def aligned_empty(size, dtype):
    """An uninitialised 1-D array of `size` elements starting on a SCRATCH_ALIGNMENT-byte
    boundary (numpy's large allocations start 16 bytes past a page's)."""
    dtype = np.dtype(dtype)
    spare = SCRATCH_ALIGNMENT // dtype.itemsize
    raw = allocate((size + spare,), dtype)
    start = (-raw.ctypes.data % SCRATCH_ALIGNMENT) // dtype.itemsize
    return raw[start:start + size]
