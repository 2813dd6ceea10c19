"""Tensor sums, differences and products on fastnn's kernels where numpy's loop is slow.

numpy's ufunc loops run on one thread, torch's element-wise ops on all of them. Where
both operands and the output are C-contiguous float32 or float64 arrays of one shape and
dtype, and of at least PARALLEL_MIN_SIZE elements, the op runs on a parallel kernel
instead: the same IEEE operation, element by element. Below that size waking the other
threads costs more than they save (`python benchmarks/rules.py ufunc`). Where one operand
is one value per leading index of the other ((N, C, 1, 1) against (N, C, H, W): a
squeeze-and-excitation gate, a per-channel shift), the op runs on a kernel over rows at
any size: numpy's broadcasting loop runs one short inner row at a time. Anything else
(other broadcasting, mixed dtypes, numpy's keywords, an ``out=`` of the caller's) stays
numpy's.
"""
import numpy as np

from . import _runtime
from .kernels import elementwise

PARALLEL_MIN_SIZE = 1 << 18
_CODES = {np.add: elementwise.ADD, np.subtract: elementwise.SUBTRACT,
          np.multiply: elementwise.MULTIPLY}
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def run_parallel(ufunc, inputs, keywords, out):
    """Run ``ufunc(*inputs, out=out, **keywords)`` on a kernel and return True, or return
    False (nothing done) where this does not apply. `out` is the door's fresh output,
    apart from both inputs."""
    code = _CODES.get(ufunc)
    if (code is None or len(inputs) != 2 or out.dtype not in _DTYPES
            or not out.flags.c_contiguous):
        return False
    a, b = inputs
    if _parallel_pays(out, a, b):
        if not _loop_is(out.dtype, keywords):
            return False
        _runtime.launch(elementwise.binary, a.reshape(-1), b.reshape(-1), out.reshape(-1),
                        code, work=3 * out.size)
        return True
    per_row = _per_row(out, a, b)
    if per_row is None or not _loop_is(out.dtype, keywords):
        return False
    x, values, value_first = per_row
    _runtime.launch(elementwise.row_binary, x.reshape(-1), values, out.reshape(-1), code,
                    value_first, work=2 * out.size)
    return True


def _per_row(out, a, b):
    """(the full operand, the other's values flat, whether the values come first) when one
    operand has `out`'s shape and the other one value per leading index of it (its
    trailing axes of size 1), both C-contiguous of `out`'s dtype; else None."""
    for x, s, value_first in ((a, b, False), (b, a, True)):
        if not (isinstance(x, np.ndarray) and isinstance(s, np.ndarray)
                and x.shape == out.shape and x.dtype == out.dtype == s.dtype
                and s.ndim == out.ndim and x.flags.c_contiguous and s.flags.c_contiguous):
            continue
        lead = s.ndim
        while lead and s.shape[lead - 1] == 1:
            lead -= 1
        if 0 < lead < out.ndim and s.shape[:lead] == out.shape[:lead]:
            return x, s.reshape(-1), value_first
    return None


def add_into(target, other):
    """target += other on all threads and True, or False (nothing done) where this does
    not apply: autograd's accumulation of a gradient into ``.grad``."""
    if not _parallel_pays(target, other):
        return False
    _runtime.launch(elementwise.residual_clamp, target.reshape(-1), other.reshape(-1), True,
                    target.dtype.type(-np.inf), target.dtype.type(np.inf),
                    work=2 * target.size)
    return True


def _parallel_pays(out, *operands):
    if (out.size < PARALLEL_MIN_SIZE or out.dtype not in _DTYPES
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
