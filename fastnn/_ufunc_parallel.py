"""Tensor sums, differences and products on fastnn's kernels where numpy's loop is slow.

numpy's ufunc loops run on one thread, torch's element-wise ops on all of them. The
operands and the output are seen with their axes in the output's memory order
(fastnn/_layout.py; C order for most), where the output is C-contiguous. Where both
operands are then C-contiguous float32 or float64 arrays of the output's shape and dtype,
and of at least PARALLEL_MIN_SIZE elements, the op runs on a parallel kernel instead: the
same IEEE operation, element by element. Below that size waking the other threads costs
more than they save (`python benchmarks/rules.py ufunc`). Where one operand is one value
per leading index of the other ((N, C, 1, 1) against (N, C, H, W): a squeeze-and-
excitation gate, a per-channel shift), the op runs on a kernel over rows at any size:
numpy's broadcasting loop runs one short inner row at a time; one value per index of the
last axis (a channels-last tensor's channels) on a kernel over columns, from
PARALLEL_MIN_SIZE elements; a channels-last tensor against an NCHW one on a kernel that
transposes the NCHW side in blocks; a Python number against a C-contiguous tensor of
at least PARALLEL_MIN_SIZE elements (``x * 0.5``, ``1 - x``) on a kernel over chunks, the
number cast to the tensor's dtype first, as numpy's loop casts it (the output has the
tensor's dtype). A write into the caller's array (``a += b``, ``out=``)
takes the same kernels in that array's memory order (`route_into`). Anything else (other
broadcasting, mixed dtypes, numpy's keywords, an operand overlapping the output) stays
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
# the Python numbers taken as one operand: an int beyond 2**53 is not one float64, and
# numpy's conversion of it is left to numpy
_NUMBERS = (float, int, bool)
_EXACT_INT = 1 << 53


def route_in_order(ufunc, inputs, keywords, shape, dtype, axes):
    """How ``ufunc(*inputs, **keywords)`` runs into an output of `shape` and `dtype` laid
    out with its axes in memory order `axes` (slowest first; fastnn/_layout.py):
    ``run(inputs, out)`` on a kernel (returning `out`), with the operands and the output
    seen in that order, where the output is C-contiguous; or None for numpy's loop. It
    reads only what the door's call key holds (shapes, dtypes, C-contiguity or strides),
    so the door decides it once per key."""
    code = _CODES.get(ufunc)
    if code is None or len(inputs) != 2 or dtype not in _DTYPES or not _loop_is(dtype,
                                                                                keywords):
        return None
    seen = tuple(_in_order(x, len(shape), axes) for x in inputs)
    inner = (_flat(seen, tuple(shape[a] for a in axes), dtype, code)
             or _per_column(seen, dtype, code) or _transposed(seen, dtype, code))
    if inner is None or axes == tuple(range(len(shape))):
        return inner

    def run(inputs, out):
        inner(tuple(_in_order(x, len(shape), axes) for x in inputs), out.transpose(axes))
        return out
    return run


def route_into(ufunc, inputs, keywords, out):
    """`route_in_order` for a call writing into the caller's `out` (``a += b``), checked
    on every call (such calls are not remembered): where the first operand has out's
    shape, out lies densely in memory, and neither operand overlaps it other than by
    being it. None: numpy's loop."""
    if type(out) is not np.ndarray or len(inputs) != 2 or "where" in keywords:
        return None
    a, b = inputs
    if not (type(a) is np.ndarray and a.shape == out.shape and a.dtype == out.dtype
            and (type(b) is np.ndarray and b.dtype == out.dtype or _is_number(b))):
        return None
    if out.size < PARALLEL_MIN_SIZE and out.flags.c_contiguous and (
            type(b) is not np.ndarray or b.flags.c_contiguous):
        return None     # small and all in C order: numpy's loop, checked no further
    for x in inputs:
        if type(x) is np.ndarray and np.may_share_memory(x, out) and not (
                x.strides == out.strides and x.shape == out.shape
                and x.ctypes.data == out.ctypes.data):
            return None
    rest = {k: v for k, v in keywords.items() if k != "out"}
    axes = tuple(range(out.ndim))
    if not out.flags.c_contiguous:
        axes = tuple(sorted(axes, key=lambda d: -out.strides[d]))
        if not out.transpose(axes).flags.c_contiguous:
            return None
    return route_in_order(ufunc, inputs, rest, out.shape, out.dtype, axes)


def _flat(operands, shape, dtype, code):
    """`elementwise.binary` on both operands flat (`_parallel_pays`), or
    `elementwise.row_binary` where one is one value per leading index of the other
    (`_per_row`); else None."""
    a, b = operands
    if _parallel_pays(shape, dtype, a, b):
        def run(inputs, out):
            a, b = inputs
            _runtime.launch(elementwise.binary, a.reshape(-1), b.reshape(-1),
                            out.reshape(-1), code, work=3 * out.size)
            return out
        return run
    with_number = _with_number(shape, dtype, a, b)
    if with_number is not None:
        full, number_first = with_number

        def run(inputs, out):
            _runtime.launch(elementwise.scalar_binary, inputs[full].reshape(-1),
                            dtype.type(inputs[1 - full]), out.reshape(-1), code,
                            number_first, work=2 * out.size)
            return out
        return run
    per_row = _per_row(shape, dtype, a, b)
    if per_row is None:
        return None
    full, value_first = per_row

    def run(inputs, out):
        _runtime.launch(elementwise.row_binary, inputs[full].reshape(-1),
                        inputs[1 - full].reshape(-1), out.reshape(-1), code, value_first,
                        work=2 * out.size)
        return out
    return run


def _in_order(x, ndim, axes):
    """Operand `x` broadcast to `ndim` dimensions (leading 1s), its axes in order `axes`."""
    if not isinstance(x, np.ndarray):
        return x
    if x.ndim < ndim:
        x = x.reshape((1,) * (ndim - x.ndim) + x.shape)
    return x.transpose(axes)


def _per_column(operands, dtype, code):
    """`elementwise.column_binary` where one operand is C-contiguous of the output's shape
    (axes in memory order), of PARALLEL_MIN_SIZE elements or more, and the other one value
    per index of its last axis (below that size, numpy's loop in the output's order is as
    fast)."""
    a, b = operands
    if max(np.size(a), np.size(b)) < PARALLEL_MIN_SIZE:
        return None
    for full, (x, v) in enumerate(((a, b), (b, a))):
        if not (isinstance(x, np.ndarray) and isinstance(v, np.ndarray)
                and x.dtype == dtype == v.dtype and x.flags.c_contiguous and x.ndim > 1
                and v.shape == (1,) * (x.ndim - 1) + x.shape[-1:] and v.flags.c_contiguous):
            continue

        def run(inputs, out, full=full):
            _runtime.launch(elementwise.column_binary, inputs[full].reshape(-1),
                            inputs[1 - full].reshape(-1), out.reshape(-1), code, full == 1,
                            work=2 * out.size)
            return out
        return run
    return None


def _transposed(operands, dtype, code):
    """`elementwise.transposed_binary` where one operand is C-contiguous of the output's
    shape (axes in memory order) and the other of that shape too, C-contiguous with its
    axes 1..s-1 moved after s.. (N, A, B) against (N, B, A): a channels-last tensor and
    an NCHW one, either laid out as the output."""
    a, b = operands
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
            and a.dtype == dtype == b.dtype and a.ndim > 2):
        return None
    ndim = a.ndim
    for split in range(2, ndim):
        order = (0,) + tuple(range(split, ndim)) + tuple(range(1, split))
        for first, (x, y) in enumerate(((a, b), (b, a))):
            # (both C-contiguous, as (N, C, 1, 1) pairs are either way: not transposed)
            if not (x.flags.c_contiguous and not y.flags.c_contiguous
                    and y.transpose(order).flags.c_contiguous):
                continue
            n, width = a.shape[0], math.prod(a.shape[split:])

            def run(inputs, out, first=first, order=order, n=n, width=width):
                x, y = inputs[first], inputs[1 - first].transpose(order)
                _runtime.launch(elementwise.transposed_binary, x.reshape(n, -1, width),
                                y.reshape(n, width, -1), out.reshape(n, -1, width), code,
                                first == 1, work=3 * out.size)
                return out
            return run
    return None


def _is_number(value):
    return type(value) in _NUMBERS and (type(value) is not int or abs(value) <= _EXACT_INT)


def _with_number(shape, dtype, a, b):
    """(the position of the tensor, whether the number comes first) when one operand is
    a C-contiguous array of the output's `shape` and `dtype`, of at least
    PARALLEL_MIN_SIZE elements, and the other a Python number; else None."""
    for full, (x, number) in enumerate(((a, b), (b, a))):
        if _is_number(number) and _parallel_pays(shape, dtype, x):
            return full, full == 1
    return None


def _per_row(shape, dtype, a, b):
    """(the position of the full operand, whether the values come first) when one operand
    has the output's `shape` and the other one value per leading index of it (its trailing
    axes of size 1), both C-contiguous of `dtype`; else None."""
    for full, (x, s) in enumerate(((a, b), (b, a))):
        if not (isinstance(x, np.ndarray) and isinstance(s, np.ndarray)
                and x.shape == shape and x.dtype == dtype == s.dtype and s.size < x.size
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
