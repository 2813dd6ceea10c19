"""Backward of the indexed updates (`fastnn._indexed_update_ops`), as torch's derivatives:

* index_add: the input's gradient is the output's; the source's is the output's at the
  index (``grad.index_select(dim, index)``), times alpha;
* index_copy: zero at the copied slices for the input; the source's gathered at the index;
* index_fill: zero at the filled slices; a value tensor gets the sum of the output's
  gradient over the filled slices (each slice once, however often the index repeats it;
  torch's ``index_select`` of the gradient refuses a negative index there, so does this);
* scatter_reduce: torch's ``scatter_reduce_backward``: sum and mean pass the gradient (over
  the count for mean); prod divides the product by each factor, with torch's treatment of
  zeros (a lone zero gets the product of the others; two or more zeros at one place give
  the zeros no gradient); amax and amin split the gradient evenly among the values equal
  to the result (the tensor's own counted even when include_self=False, as torch counts
  it). Without include_self the input's gradient is zero where src was scattered.

The in-place forms share these: their input is the output (an in-place prod, amax or amin
saved a copy of the values it overwrote as a fourth input)."""
import numpy as np

from ._registry import register_backward
from ._select_backward import _along, _gathered

_plain_view = np.ndarray.view


def _select(grad, dim, index):
    """``grad.index_select(dim, index)`` (a 0-d grad stays 0-d)."""
    if grad.ndim == 0:
        return grad.copy()
    return np.take(grad, np.atleast_1d(index).reshape(-1), axis=dim)


def _zeroed(grad, dim, index):
    """``grad.index_fill(dim, index, 0)``."""
    gx = np.array(grad)
    if index.size:
        if gx.ndim == 0:
            gx[...] = 0
        else:
            gx[(slice(None),) * dim + (np.atleast_1d(index).reshape(-1),)] = 0
    return gx


def _index_add_backward(ctx, grad):
    gs = None
    if ctx.needs[2]:
        gs = _select(grad, ctx.attrs.dim, ctx.inputs[1])
        alpha = ctx.attrs.alpha
        if alpha != 1:
            gs = gs * np.asarray(alpha, dtype=grad.dtype)
        gs = gs.reshape(ctx.shapes[2]).astype(ctx.dtypes[2], copy=False)
    return (grad if ctx.needs[0] else None), None, gs


def _index_copy_backward(ctx, grad):
    dim, index = ctx.attrs.dim, ctx.inputs[1]
    gx = _zeroed(grad, dim, index) if ctx.needs[0] else None
    gs = None
    if ctx.needs[2]:
        gs = _select(grad, dim, index).reshape(ctx.shapes[2]).astype(ctx.dtypes[2],
                                                                     copy=False)
    return gx, None, gs


def _index_fill_backward(ctx, grad):
    dim, index = ctx.attrs.dim, ctx.inputs[1]
    gx = _zeroed(grad, dim, index) if ctx.needs[0] else None
    gv = None
    if ctx.needs[2]:
        unique = np.unique(index)
        if unique.size and unique[0] < 0:       # torch's index_select of the gradient
            if grad.ndim >= 2 and dim == 1:
                raise RuntimeError(f"INDICES element is out of DATA bounds, id={unique[0]} "
                                   f"axis_dim={grad.shape[1]}")
            raise IndexError("index out of range in self")
        total = _select(grad, dim, unique).sum() if unique.size else 0
        gv = np.asarray(total, dtype=ctx.dtypes[2])
    return gx, None, gv


# ------------------------------------------------------------------ scatter_reduce

def _gather(a, index, dim):
    """``a.gather(dim, index)``."""
    return _gathered(a, index, dim)


def _scatter_add(a, index, dim, values):
    """``a.scatter_add(dim, index, values)`` (values of the index's shape)."""
    out = np.array(a)
    if index.size:
        if out.ndim == 0 or index.ndim == 0:
            np.add.at(out.reshape(-1), np.atleast_1d(index).reshape(-1),
                      np.asarray(values).reshape(-1)[:index.size])
        else:
            np.add.at(out, _along(index, dim), values[tuple(slice(0, n) for n in index.shape)])
    return out


def _scatter_zero(a, index, dim):
    """``a.scatter(dim, index, 0)``."""
    if index.size:
        if a.ndim == 0 or index.ndim == 0:
            a.reshape(-1)[np.atleast_1d(index).reshape(-1)] = 0
        else:
            a[_along(index, dim)] = 0
    return a


def _scatter_prod(self, index, dim, src, include_self):
    """``self.scatter_reduce(dim, index, src, 'prod', include_self)`` on plain arrays."""
    out = np.array(self)
    if index.size:
        values = src.reshape(-1)[:index.size] if out.ndim == 0 or index.ndim == 0 else \
            src[tuple(slice(0, n) for n in index.shape)]
        if out.ndim == 0 or index.ndim == 0:
            flat, key = out.reshape(-1), np.atleast_1d(index).reshape(-1)
        else:
            flat, key = out, _along(index, dim)
        if not include_self:
            flat[key] = 1
        np.multiply.at(flat, key, values)
    return out


def _scatter_reduce_backward(ctx, grad):
    attrs = ctx.attrs
    dim, reduce, include_self = attrs.dim, attrs.reduce, attrs.include_self
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):     # torch's "max", "min"
        raise RuntimeError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', "
                           f"'amin' but got {reduce}.")
    index, src, result = ctx.inputs[1], ctx.inputs[2], ctx.output
    self = ctx.inputs[3] if len(ctx.inputs) > 3 and ctx.inputs[3] is not None else ctx.inputs[0]
    if index.ndim == 0 or src.ndim == 0:
        src_part = src.reshape(-1)[:index.size].reshape(index.shape)
    else:
        src_part = src[tuple(slice(0, n) for n in index.shape)]
    with np.errstate(all="ignore"):
        if reduce == "sum":
            grad_self, grad_src = grad, _gather(grad, index, dim)
        elif reduce == "mean":
            counts = _scatter_add(np.full(grad.shape, 1 if include_self else 0, grad.dtype),
                                  index, dim, np.ones(index.shape, grad.dtype))
            counts[counts == 0] = 1
            grad_self = grad / counts
            grad_src = _gather(grad, index, dim) / _gather(counts, index, dim)
        elif reduce == "prod":
            masked_self = np.where(self == 0, 1, self).astype(self.dtype)
            masked_result = _scatter_prod(masked_self, index, dim, src, include_self)
            grad_self = grad * masked_result / masked_self
            src_zero = src_part == 0
            zeros = _gather(_scatter_add(np.zeros(grad.shape, grad.dtype), index, dim,
                                         src_zero.astype(grad.dtype)), index, dim)
            single = src_zero & (zeros == 1)
            masked_src = np.where(single, 1, src_part).astype(src.dtype)
            masked_src_result = _scatter_prod(self, index, dim, masked_src, include_self)
            grad_src = np.where(single, _gather(grad * masked_src_result, index, dim),
                                _gather(grad * result, index, dim)
                                / np.where(src_zero, 1, src_part))
        else:
            value = _gather(result, index, dim)
            self_is = (self == result).astype(grad.dtype)
            src_is = (src_part == value).astype(grad.dtype)
            distributed = grad / _scatter_add(self_is, index, dim, src_is)
            grad_self = self_is * distributed
            grad_src = src_is * _gather(distributed, index, dim)
    gx = gs = None
    if ctx.needs[0]:
        gx = np.array(grad_self, dtype=ctx.dtypes[0])
        if not include_self:
            gx = _scatter_zero(gx, index, dim)
    if ctx.needs[2]:
        gs = np.asarray(grad_src).astype(ctx.dtypes[2], copy=False)
    return (gx, None, gs) + (None,) * (len(ctx.inputs) - 3)


for _op in ("index_add", "index_add_"):
    register_backward(_op, _index_add_backward, saves=(1,))
for _op in ("index_copy", "index_copy_"):
    register_backward(_op, _index_copy_backward, saves=(1,))
for _op in ("index_fill", "index_fill_"):
    register_backward(_op, _index_fill_backward, saves=(1,))
for _op in ("scatter_reduce", "scatter_reduce_"):
    register_backward(_op, _scatter_reduce_backward, saves=(0, 1, 2, 3, "output"))
