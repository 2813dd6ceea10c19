"""Large tensor sums, differences and products on all threads.

numpy's ufunc loops run on one thread, torch's element-wise ops on all of them. Where
both operands and the output are C-contiguous float32 or float64 arrays of one shape and
dtype, and of at least PARALLEL_MIN_SIZE elements, the op runs on a parallel kernel
instead: the same IEEE operation, element by element. Anything else (broadcasting, mixed
dtypes, numpy's keywords, an ``out=`` of the caller's) stays numpy's. Below that size
waking the other threads costs more than they save (`python benchmarks/rules.py ufunc`).
"""
import numpy as np

from . import _runtime
from .kernels import elementwise

PARALLEL_MIN_SIZE = 1 << 18
_CODES = {np.add: elementwise.ADD, np.subtract: elementwise.SUBTRACT,
          np.multiply: elementwise.MULTIPLY}
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def run_parallel(ufunc, inputs, keywords, out):
    """Run ``ufunc(*inputs, out=out, **keywords)`` on all threads and return True, or
    return False (nothing done) where this does not apply. `out` is the door's fresh
    output, apart from both inputs."""
    code = _CODES.get(ufunc)
    if code is None or len(inputs) != 2 or not _loop_is(out.dtype, keywords):
        return False
    if not _parallel_pays(out, *inputs):
        return False
    a, b = inputs
    _runtime.launch(elementwise.binary, a.reshape(-1), b.reshape(-1), out.reshape(-1), code,
                    work=3 * out.size)
    return True


def add_into(target, other):
    """target += other on all threads and True, or False (nothing done) where this does
    not apply: autograd's accumulation of a gradient into ``.grad``."""
    if not _parallel_pays(target, other):
        return False
    _runtime.launch(elementwise.residual_relu, target.reshape(-1), other.reshape(-1), True,
                    False, work=2 * target.size)
    return True


def _parallel_pays(out, *operands):
    if (out.dtype not in _DTYPES or out.size < PARALLEL_MIN_SIZE
            or not out.flags.c_contiguous):
        return False
    return all(isinstance(x, np.ndarray) and x.shape == out.shape and x.dtype == out.dtype
               and x.flags.c_contiguous for x in operands)


def _loop_is(dtype, keywords):
    """True when `keywords` ask for nothing but the ufunc's loop on `dtype`."""
    for name, value in keywords.items():
        if name == "signature":
            if not isinstance(value, tuple) or any(
                    d is not None and np.dtype(d) != dtype for d in value):
                return False
        elif name != "casting":
            return False
    return True
