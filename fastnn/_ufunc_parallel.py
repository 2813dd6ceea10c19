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
import math

import numpy as np

from . import _runtime
from .kernels import elementwise

PARALLEL_MIN_SIZE = 1 << 18
_CODES = {np.add: elementwise.ADD, np.subtract: elementwise.SUBTRACT,
          np.multiply: elementwise.MULTIPLY}
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def route(ufunc, inputs, keywords, meta):
    """How ``ufunc(*inputs, **keywords)`` runs into the door's output of `meta` (shape,
    dtype; a fresh or given C-contiguous native array): ``run(inputs, out)`` on a kernel,
    or None for numpy's loop. It reads only what the door's call key holds (shapes,
    dtypes, C-contiguity), so the door decides it once per key."""
    code = _CODES.get(ufunc)
    if code is None or len(inputs) != 2 or type(meta) is not tuple:
        return None
    shape, dtype = meta
    if dtype not in _DTYPES or not _loop_is(dtype, keywords):
        return None
    a, b = inputs
    if _parallel_pays(shape, dtype, a, b):
        def run(inputs, out):
            a, b = inputs
            _runtime.launch(elementwise.binary, a.reshape(-1), b.reshape(-1),
                            out.reshape(-1), code, work=3 * out.size)
        return run
    per_row = _per_row(shape, dtype, a, b)
    if per_row is None:
        return None
    full, value_first = per_row

    def run(inputs, out):
        _runtime.launch(elementwise.row_binary, inputs[full].reshape(-1),
                        inputs[1 - full].reshape(-1), out.reshape(-1), code, value_first,
                        work=2 * out.size)
    return run


def _per_row(shape, dtype, a, b):
    """(the position of the full operand, whether the values come first) when one operand
    has the output's `shape` and the other one value per leading index of it (its trailing
    axes of size 1), both C-contiguous of `dtype`; else None."""
    for full, (x, s) in enumerate(((a, b), (b, a))):
        if not (isinstance(x, np.ndarray) and isinstance(s, np.ndarray)
                and x.shape == shape and x.dtype == dtype == s.dtype
                and s.ndim == len(shape) and x.flags.c_contiguous and s.flags.c_contiguous):
            continue
        lead = s.ndim
        while lead and s.shape[lead - 1] == 1:
            lead -= 1
        if 0 < lead < len(shape) and s.shape[:lead] == shape[:lead]:
            return full, full == 1
    return None


def add_into(target, other):
    """target += other on all threads and True, or False (nothing done) where this does
    not apply: autograd's accumulation of a gradient into ``.grad``."""
    if not _parallel_pays(target.shape, target.dtype, target, other):
        return False
    _runtime.launch(elementwise.residual_clamp, target.reshape(-1), other.reshape(-1), True,
                    target.dtype.type(-np.inf), target.dtype.type(np.inf),
                    work=2 * target.size)
    return True


def _parallel_pays(shape, dtype, *operands):
    if math.prod(shape) < PARALLEL_MIN_SIZE or dtype not in _DTYPES:
        return False
    return all(isinstance(x, np.ndarray) and x.shape == shape and x.dtype == dtype
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
