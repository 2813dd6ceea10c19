"""Backward of the Tensor methods that reduce, reshape or copy (`fastnn.autograd`'s
contract): sum, mean, the views (view, reshape, squeeze, unsqueeze, flatten, unflatten,
permute, transpose, t, expand), clone, contiguous, copy_."""
import numpy as np

from ._registry import register_backward
from ._shape_ops import diagonal_view
from .autograd._util import sum_to, unreduce


def _sum_backward(ctx, grad):
    return (unreduce(grad, ctx.shapes[0], ctx.attrs.dim, ctx.attrs.keepdim)
            .astype(ctx.dtypes[0]),)


def _mean_backward(ctx, grad):
    shape, dims = ctx.shapes[0], ctx.attrs.dim
    count = (int(np.prod(shape)) if dims is None or not shape
             else int(np.prod([shape[d] for d in dims])))
    spread = unreduce(grad, shape, dims, ctx.attrs.keepdim)
    return ((spread / count).astype(ctx.dtypes[0]),)


def _reshape_backward(ctx, grad):
    return (grad.reshape(ctx.shapes[0]),)


def _identity_backward(ctx, grad):
    return (grad,)


def _copy_backward(ctx, grad):
    # the old values of the destination are overwritten: no gradient flows to them
    return (np.zeros_like(grad) if ctx.needs[0] else None,
            sum_to(grad, ctx.shapes[1]).astype(ctx.dtypes[1], copy=False)
            if ctx.needs[1] else None)


register_backward("sum", _sum_backward, saves=())
register_backward("mean", _mean_backward, saves=())
register_backward("view", _reshape_backward, saves=())
register_backward("reshape", _reshape_backward, saves=())
register_backward("clone", _identity_backward, saves=())
register_backward("contiguous", _identity_backward, saves=())
register_backward("copy_", _copy_backward, saves=())


def _permute_backward(ctx, grad):
    return (np.transpose(grad, np.argsort(ctx.attrs.dims)),)


def _transpose_backward(ctx, grad):
    return (np.swapaxes(grad, ctx.attrs.dim0, ctx.attrs.dim1),)


def _t_backward(ctx, grad):
    return (grad.T,)


def _diagonal_backward(ctx, grad):
    a = ctx.attrs
    gx = np.zeros(ctx.shapes[0], grad.dtype)
    diagonal_view(gx, a.offset, a.dim1, a.dim2)[...] = grad
    return (gx,)


def _expand_backward(ctx, grad):
    return (sum_to(grad, ctx.shapes[0]),)


for _op in ("unsqueeze", "squeeze", "flatten", "unflatten"):
    register_backward(_op, _reshape_backward, saves=())
register_backward("permute", _permute_backward, saves=())
register_backward("transpose", _transpose_backward, saves=())
register_backward("t", _t_backward, saves=())
register_backward("diagonal", _diagonal_backward, saves=())
register_backward("expand", _expand_backward, saves=())
