"""Backward of the Tensor ops that select, join, tile or overwrite (`fastnn.autograd`'s
contract): indexing (``x[key]``: scattered back with np.add.at where an index repeats),
``x[key] = value`` (op "index_put_"), to, cat, stack, split, chunk, repeat, roll, gather,
index_select, scatter and scatter_add (and their in-place forms), fill_, zero_, normal_,
uniform_ (the overwritten values get a zero gradient, as torch's)."""
import numpy as np

from ._registry import register_backward
from ._shape_ops import IndexTensor, _index_key, _numpy_key
from .autograd._util import sum_to

_KEY_ARRAYS = tuple(range(1, 64))       # an index's arrays (the tensor itself: unsaved)
_PUT_KEY_ARRAYS = tuple(range(2, 64))   # index_put_'s (neither the tensor nor the value)


# ------------------------------------------------------------------ indexing

def _index_backward(ctx, grad):
    key = _numpy_key(_index_key(ctx.inputs, ctx.attrs.index))
    gx = np.zeros(ctx.shapes[0], grad.dtype)
    if any(type(part) is IndexTensor for part in ctx.attrs.index):
        np.add.at(gx, key, grad)        # an index may repeat: every occurrence adds
    else:
        gx[key] = grad
    return (gx,) + (None,) * (len(ctx.inputs) - 1)


def _index_put_backward(ctx, grad):
    """``x[key] = value`` (inputs: x, value or None, the key's arrays): the old values are
    overwritten (a zero gradient at `key`); the value gets the gradient at `key`, summed
    down to its shape."""
    inputs = (None,) + ctx.inputs[2:]
    key = _numpy_key(_index_key(inputs, ctx.attrs.index))
    gx = gv = None
    if ctx.needs[0]:
        gx = np.array(grad)
        gx[key] = 0
    if ctx.needs[1]:
        gv = sum_to(grad[key], ctx.shapes[1]).astype(ctx.dtypes[1], copy=False)
    return (gx, gv) + (None,) * (len(ctx.inputs) - 2)


# ------------------------------------------------------------------ to, fills

def _to_backward(ctx, grad):
    return (grad.astype(ctx.dtypes[0], copy=False),)


def _overwritten_backward(ctx, grad):
    return (np.zeros_like(grad),)


# ------------------------------------------------------------------ cat stack split

def _cat_backward(ctx, grad):
    dim, grads, start = ctx.attrs.dim, [], 0
    for shape, needs, dtype in zip(ctx.shapes, ctx.needs, ctx.dtypes):
        if dim is None or shape == (0,):        # torch's legacy skip of 1-d empties
            grads.append(np.zeros(shape, dtype) if needs else None)
            continue
        stop = start + shape[dim]
        if needs:
            part = grad[(slice(None),) * dim + (slice(start, stop),)]
            grads.append(part.astype(dtype, copy=False))
        else:
            grads.append(None)
        start = stop
    return tuple(grads)


def _stack_backward(ctx, grad):
    dim = ctx.attrs.dim
    return tuple(np.take(grad, i, axis=dim).astype(dtype, copy=False) if needs else None
                 for i, (needs, dtype) in enumerate(zip(ctx.needs, ctx.dtypes)))


def _split_backward(ctx, grad):
    """split and chunk: the parts' gradients joined (zeros for an unused part)."""
    return (np.concatenate(grad, axis=ctx.attrs.dim),)


# ------------------------------------------------------------------ repeat roll

def _repeat_backward(ctx, grad):
    shape, sizes = ctx.shapes[0], ctx.attrs.sizes
    padded = (1,) * (len(sizes) - len(shape)) + tuple(shape)
    split = [n for pair in zip(sizes, padded) for n in pair]
    summed = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
    return (summed.reshape(shape),)


def _roll_backward(ctx, grad):
    shifts, dims = ctx.attrs.shifts, ctx.attrs.dims
    if dims is None:
        return (np.roll(grad.reshape(-1), -shifts[0]).reshape(grad.shape),)
    return (np.roll(grad, tuple(-s for s in shifts), dims),)


def _flip_backward(ctx, grad):
    return (np.flip(grad, ctx.attrs.dims),)


# ------------------------------------------------------------------ gather scatter

def _along(index, dim):
    """numpy's key of the elements at `index` along `dim` (the same position elsewhere)."""
    key = list(np.ix_(*[np.arange(n) for n in index.shape]))
    key[dim] = index
    return tuple(key)


def _gather_backward(ctx, grad):
    x_shape, index = ctx.shapes[0], ctx.inputs[1]
    gx = np.zeros(x_shape, grad.dtype)
    if index.size:
        if not x_shape or index.ndim == 0:
            np.add.at(gx.reshape(-1), np.atleast_1d(index).reshape(-1), grad.reshape(-1))
        else:
            np.add.at(gx, _along(index, ctx.attrs.dim), grad)
    return gx, None


def _index_select_backward(ctx, grad):
    x_shape, index, dim = ctx.shapes[0], ctx.inputs[1], ctx.attrs.dim
    gx = np.zeros(x_shape, grad.dtype)
    if not x_shape:
        gx[...] = grad.sum()
    else:
        np.add.at(gx, (slice(None),) * dim + (index,), grad)
    return gx, None


def _gathered(grad, index, dim):
    if not index.size:
        return np.zeros(index.shape, grad.dtype)
    if grad.ndim == 0 or index.ndim == 0:
        return np.atleast_1d(grad).reshape(-1)[np.atleast_1d(index).reshape(-1)].reshape(
            index.shape)
    return grad[_along(index, dim)]


def _scatter_backward(ctx, grad):
    """scatter(_) with src or a value: the overwritten places get no gradient, src the
    gradient at the places it went to. With reduce=, torch has no derivative."""
    if ctx.attrs.reduce is not None:
        raise RuntimeError("derivative for aten::scatter is not implemented")
    index, dim = ctx.inputs[1], ctx.attrs.dim
    gx = gs = None
    if ctx.needs[0]:
        gx = np.array(grad)
        if index.size:
            if gx.ndim == 0 or index.ndim == 0:
                gx.reshape(-1)[np.atleast_1d(index).reshape(-1)] = 0
            else:
                gx[_along(index, dim)] = 0
    if ctx.needs[2]:
        gs = _gathered(grad, index, dim)
    return gx, None, gs


def _scatter_add_backward(ctx, grad):
    index, dim = ctx.inputs[1], ctx.attrs.dim
    return (grad if ctx.needs[0] else None, None,
            _gathered(grad, index, dim) if ctx.needs[2] else None)


register_backward("index", _index_backward, saves=_KEY_ARRAYS)
register_backward("index_put_", _index_put_backward, saves=_PUT_KEY_ARRAYS)
register_backward("to", _to_backward, saves=())
for _op in ("fill_", "zero_", "normal_", "uniform_"):
    register_backward(_op, _overwritten_backward, saves=())
register_backward("cat", _cat_backward, saves=())
register_backward("stack", _stack_backward, saves=())
register_backward("split", _split_backward, saves=())
register_backward("chunk", _split_backward, saves=())
register_backward("repeat", _repeat_backward, saves=())
register_backward("roll", _roll_backward, saves=())
register_backward("flip", _flip_backward, saves=())
register_backward("gather", _gather_backward, saves=(1,))
register_backward("index_select", _index_select_backward, saves=(1,))
for _op in ("scatter", "scatter_"):
    register_backward(_op, _scatter_backward, saves=(1,))
for _op in ("scatter_add", "scatter_add_"):
    register_backward(_op, _scatter_add_backward, saves=(1,))
register_backward("one_hot", None)
