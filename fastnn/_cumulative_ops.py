"""Registry entries of torch's running extremes and running log-sum-exp along a dim, with
their backward: ``cummax`` and ``cummin`` (the values and the index each came from) and
``logcumsumexp``. The methods (`fastnn._cumulative_methods`) and the top-level functions
(`fastnn._cumulative_functions`) reach them through the door; cumsum and cumprod, their
neighbours, are in `fastnn._reduction_ops`.

torch's rules, kept here: a running extreme moves to a later element that ties it (``>=``
for cummax, ``<=`` for cummin) and to every NaN, and stays on the last NaN after it; a 0-d
input takes dim -1 or 0 only, an empty one any dim; a 0-d or empty complex input is copied,
as torch's, whose loop alone refuses complex. ``logcumsumexp`` takes floating point
only and accumulates float16 and float32 in float64, as torch's CPU kernel does.
"""
import numpy as np

from ._args import int_arg, torch_type_name, wrap_dim
from ._registry import Attrs, register_backward
from ._shape_ops import register_method

_INT64 = np.dtype(np.int64)


def _plain(x):
    return np.ndarray.view(x, np.ndarray)


def _not_implemented(kernel, dtype):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{torch_type_name(dtype)}'")


# ------------------------------------------------------------------ cummax cummin

def _extreme_normalize(name):
    def normalize(input, dim):
        dim = int_arg(dim, name, "dim", 2)
        if input.ndim == 0:
            if dim not in (-1, 0):
                raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but "
                                 f"got {dim}")
            dim = 0
        elif input.size == 0:           # torch leaves the dim of an empty input unchecked
            dim = None
        else:
            dim = wrap_dim(dim, input.ndim)
            if input.dtype.kind == "c":     # only the loop refuses it, as torch's kernel
                raise _not_implemented(f"{name}_cpu", input.dtype)
        return (input,), Attrs(dim=dim)
    return normalize


def _extreme_meta(inputs, attrs):
    x = inputs[0]
    return [(x.shape, x.dtype.newbyteorder("=")), (x.shape, _INT64)]


def running_extreme(x, ufunc, moves, axis):
    """(values, indices) of torch's running extreme of `x` along `axis`: the index moves
    where ``moves(element, extreme so far)`` holds or the element is NaN."""
    x = np.moveaxis(x, axis, -1)
    n = x.shape[-1]
    moved = np.ones(x.shape, np.bool_)
    with np.errstate(invalid="ignore"):
        so_far = ufunc.accumulate(x, axis=-1)        # NaN, once met, stays
        later = x[..., 1:]
        moved[..., 1:] = moves(later, so_far[..., :-1]) | (later != later)
    indices = np.maximum.accumulate(np.where(moved, np.arange(n, dtype=_INT64), 0), axis=-1)
    values = np.take_along_axis(x, indices, -1)
    return np.moveaxis(values, -1, axis), np.moveaxis(indices, -1, axis)


def _extreme_run(ufunc, moves):
    def run(inputs, attrs, out):
        x = _plain(inputs[0])
        values, indices = out
        if x.ndim == 0:
            values[...] = x
            indices[...] = 0
        elif x.size:
            values[...], indices[...] = running_extreme(x, ufunc, moves, attrs.dim)
    return run


def _extreme_backward(ctx, grad):
    """torch's cummaxmin_backward: each gradient added at the index its value came from."""
    values_grad, indices = np.asarray(grad[0]), np.asarray(ctx.output[1])
    shape, dtype = ctx.shapes[0], ctx.dtypes[0]
    if not shape or values_grad.size == 0:
        return (np.array(values_grad, dtype=dtype).reshape(shape),)
    dim = ctx.attrs.dim
    g = np.moveaxis(values_grad, dim, -1)
    at = np.moveaxis(indices, dim, -1)
    n = g.shape[-1]
    # the indices never decrease along the dim: a flat bin per (row, index)
    rows = np.arange(g.size // n, dtype=_INT64).reshape(g.shape[:-1] + (1,)) * n
    summed = np.bincount((rows + at).reshape(-1), weights=g.reshape(-1), minlength=g.size)
    return (np.moveaxis(summed.reshape(g.shape), -1, dim).astype(dtype, copy=False),)


# ------------------------------------------------------------------ logcumsumexp

def _logcumsumexp_normalize(input, dim):
    dim = wrap_dim(int_arg(dim, "logcumsumexp", "dim", 2), input.ndim)
    if input.dtype.kind not in "f":
        raise _not_implemented("logcumsumexp_out_cpu", input.dtype)
    return (input,), Attrs(dim=dim)


def _logcumsumexp_meta(inputs, attrs):
    x = inputs[0]
    return x.shape, x.dtype.newbyteorder("=")


def log_cumsum_exp(x, axis):
    """log(cumsum(exp(x))) along `axis` as torch computes it: a running logaddexp in
    float64 for float16 and float32 (torch's accumulation type), NaN propagating, +inf
    absorbing, -inf neutral."""
    wide = x.astype(np.float64, copy=False) if x.dtype.itemsize < 8 else x
    if wide.ndim == 0:
        return wide
    with np.errstate(invalid="ignore"):
        return np.logaddexp.accumulate(wide, axis=axis)


def _logcumsumexp_run(inputs, attrs, out):
    out[...] = log_cumsum_exp(_plain(inputs[0]), attrs.dim)


def _logcumsumexp_backward(ctx, grad):
    """torch's logcumsumexp_backward: the positive and the negative parts of the gradient,
    each a reversed logcumsumexp in log space (so NaN appears where torch's does, at
    infinite inputs)."""
    grad = np.asarray(grad)
    dtype = ctx.dtypes[0]
    if grad.ndim == 0 or grad.size == 0:
        return (grad.astype(dtype, copy=True),)
    x, result, dim = np.asarray(ctx.inputs[0]), np.asarray(ctx.output), ctx.attrs.dim
    lowest = np.finfo(grad.dtype).min

    def part(select):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_grad = np.where(select, np.log(np.abs(grad)), lowest) - result
            reversed_sum = np.flip(log_cumsum_exp(np.flip(log_grad, dim), dim), dim)
            return np.exp((reversed_sum.astype(grad.dtype) + x).astype(grad.dtype))
    with np.errstate(invalid="ignore"):
        return ((part(grad > 0) - part(grad < 0)).astype(dtype, copy=False),)


register_method("cummax", _extreme_normalize("cummax"),
                _extreme_run(np.maximum, np.greater_equal), meta=_extreme_meta)
register_method("cummin", _extreme_normalize("cummin"),
                _extreme_run(np.minimum, np.less_equal), meta=_extreme_meta)
register_method("logcumsumexp", _logcumsumexp_normalize, _logcumsumexp_run,
                meta=_logcumsumexp_meta)
register_backward("cummax", _extreme_backward, saves=("output",))
register_backward("cummin", _extreme_backward, saves=("output",))
register_backward("logcumsumexp", _logcumsumexp_backward, saves=(0, "output"))
