"""Backward of the reductions beyond sum and mean (`fastnn._reduction_ops`,
`fastnn._norm_ops`): prod, max/min (with a dim: to the index; without: evenly over ties),
amax/amin (evenly over ties), std/var, norm (every p, 'fro', 'nuc'), sort and topk values
(through their indices); argmax/argmin/any/all/nonzero are not differentiable. torch's
formulas (torch/csrc/autograd/FunctionsManual.cpp), so the edge cases agree: zeros in a
product, a zero norm, NaN maxima."""
import numpy as np

from ._registry import register_backward


def _kept(array, shape, dims, keepdim):
    """A reduction's result or gradient with its reduced dims back (size 1), ready to
    broadcast against the input."""
    array = np.asarray(array)
    if dims is not None and not keepdim and len(shape):
        array = np.expand_dims(array, tuple(d % len(shape) for d in dims))
    elif dims is None and len(shape):
        array = array.reshape((1,) * len(shape))
    return array


def _cast(grad, ctx):
    return (np.asarray(grad).astype(ctx.dtypes[0], copy=False),)


# ------------------------------------------------------------------ prod

def _exclusive_products(x, axis):
    """Per element, the product of the others along `axis` (exact when x holds zeros)."""
    ones = np.ones_like(np.take(x, [0], axis=axis))
    before = np.cumprod(np.concatenate([ones, np.delete(x, -1, axis=axis)], axis), axis)
    flipped = np.flip(x, axis)
    after = np.flip(np.cumprod(np.concatenate([ones, np.delete(flipped, -1, axis=axis)],
                                              axis), axis), axis)
    return before * after


def _prod_backward(ctx, grad):
    x, result = ctx.inputs[0], ctx.output
    dims, keepdim = ctx.attrs.dim, ctx.attrs.keepdim
    if x.ndim == 0:
        return _cast(grad, ctx)
    g = _kept(grad, x.shape, dims, keepdim)
    with np.errstate(all="ignore"):
        if not (x == 0).any():
            return _cast(g * _kept(result, x.shape, dims, keepdim) / x, ctx)
        if dims is None:
            flat = x.reshape(-1)
            return _cast(g * _exclusive_products(flat, 0).reshape(x.shape), ctx)
        return _cast(g * _exclusive_products(x, dims[0]), ctx)


# ------------------------------------------------------------------ max min amax amin

def _min_max_backward(ctx, grad):
    shape, dim, keepdim = ctx.shapes[0], ctx.attrs.dim, ctx.attrs.keepdim
    if dim is None:
        return _evenly(ctx.inputs[0], ctx.output, grad, ctx)
    values_grad = grad[0]
    indices = ctx.output[1]
    gx = np.zeros(shape, values_grad.dtype)
    if not shape:
        gx[...] = values_grad
        return (gx,)
    if not keepdim:
        values_grad = np.expand_dims(values_grad, dim)
        indices = np.expand_dims(indices, dim)
    np.put_along_axis(gx, indices, values_grad, dim)
    return (gx,)


def _evenly(x, result, grad, ctx):
    """torch's evenly_distribute_backward: the gradient split over the elements equal to
    the result (over the NaNs when the result is NaN)."""
    mask = np.isnan(x) if np.isnan(result).any() else x == result
    return _cast(mask * (grad / mask.sum()), ctx)


def _amax_amin_backward(ctx, grad):
    x, dims, keepdim = ctx.inputs[0], ctx.attrs.dim, ctx.attrs.keepdim
    if x.ndim == 0:
        return _cast(grad, ctx)
    mask = _kept(ctx.output, x.shape, dims, keepdim) == x
    count = mask.sum(axis=None if dims is None else tuple(dims), keepdims=True)
    with np.errstate(all="ignore"):
        return _cast(_kept(grad, x.shape, dims, keepdim) / count * mask, ctx)


# ------------------------------------------------------------------ std var

def _count(shape, dims):
    if dims is None or not shape:
        return int(np.prod(shape))
    return int(np.prod([shape[d] for d in dims]))


def _var_input_grad(x, grad, dims, correction, keepdim):
    n = _count(x.shape, dims)
    axis = None if dims is None or x.ndim == 0 else tuple(dims)
    centred = x - x.mean(axis=axis, keepdims=True)
    with np.errstate(all="ignore"):
        return (2.0 / (n - correction)) * _kept(grad, x.shape, axis, keepdim) * centred


def _var_backward(ctx, grad):
    a = ctx.attrs
    return _cast(_var_input_grad(ctx.inputs[0], grad, a.dim, a.correction, a.keepdim), ctx)


def _std_backward(ctx, grad):
    a = ctx.attrs
    with np.errstate(all="ignore"):
        grad_var = np.where(ctx.output == 0, 0, grad / (ctx.output * 2))
    return _cast(_var_input_grad(ctx.inputs[0], grad_var, a.dim, a.correction,
                                 a.keepdim), ctx)


# ------------------------------------------------------------------ norm

def _norm_backward(ctx, grad):
    x, a = ctx.inputs[0], ctx.attrs
    if a.kind == "nuc":
        return _cast(_nuclear_backward(x, grad, a), ctx)
    p = 2.0 if a.kind == "fro" else float(a.p)
    x = x.astype(a.dtype, copy=False)
    dims = None if x.ndim == 0 else a.dim
    norm = _kept(ctx.output, x.shape, dims, a.keepdim)
    g = _kept(grad, x.shape, dims, a.keepdim)
    with np.errstate(all="ignore"):
        if p == 0:
            return _cast(np.zeros_like(x), ctx)
        if p == 1:
            return _cast(np.sign(x) * g, ctx)
        if p == 2:
            return _cast(g * np.where(norm == 0, 0, x / norm), ctx)
        if np.isinf(p):
            hit = (np.abs(x) == norm) | (np.isnan(x) & np.isnan(norm))
            count = hit.sum(axis=None if dims is None else tuple(dims), keepdims=True)
            return _cast(np.sign(x) * hit * (g / count), ctx)
        magnitude = np.abs(x)
        if p < 1:
            scaled = np.sign(x) * np.where(x == 0, 0, magnitude ** (p - 1))
            return _cast(scaled * g * norm ** (1 - p), ctx)
        scaled = np.sign(x) * magnitude ** (p - 1) if p < 2 else x * magnitude ** (p - 2)
        return _cast(scaled * np.where(norm == 0, 0, g / norm ** (p - 1)), ctx)


def _nuclear_backward(x, grad, attrs):
    """d(sum of singular values) = U V^T per matrix (torch's svd_backward for gS alone)."""
    dims = attrs.dim
    moved = np.moveaxis(x.astype(attrs.dtype, copy=False), dims, (-2, -1))
    u, _, vh = np.linalg.svd(moved, full_matrices=False)
    g = np.asarray(grad)
    if attrs.keepdim:
        g = np.squeeze(g, axis=tuple(sorted(dims)))
    return np.moveaxis(np.matmul(u, vh) * g[..., None, None], (-2, -1), dims)


# ------------------------------------------------------------------ sort topk

def _selected_backward(ctx, grad):
    """The values of sort/topk: the gradient scattered back through their indices."""
    values_grad, indices = grad[0], ctx.output[1]
    shape = ctx.shapes[0]
    gx = np.zeros(shape, values_grad.dtype)
    if not shape:
        gx[...] = values_grad
        return (gx,)
    np.put_along_axis(gx, indices, values_grad, ctx.attrs.dim)
    return (gx,)


def _cumsum_backward(ctx, grad):
    """Each input reaches every later sum along the dim: the gradient's reversed cumsum,
    in the input's dtype."""
    dim = ctx.attrs.dim
    if grad.ndim == 0:
        return (grad.astype(ctx.dtypes[0] or grad.dtype, copy=True),)
    flipped = np.flip(grad, dim)
    return (np.flip(np.cumsum(flipped, axis=dim), dim).astype(ctx.dtypes[0] or grad.dtype),)


def _cumprod_backward(ctx, grad):
    """d out_j / d x_k = prod_{i <= j, i != k} x_i (j >= k), as torch's: where the slice
    has no zero before k, the reversed cumsum of grad * out over x_k; at a slice's first
    zero z, out_{z-1} times the later products that skip it; after z, zero."""
    dim = ctx.attrs.dim
    dtype = ctx.dtypes[0] or grad.dtype
    if grad.ndim == 0:
        return (grad.astype(dtype, copy=True),)
    x = np.moveaxis(np.asarray(ctx.inputs[0]), dim, -1)
    out = np.moveaxis(np.asarray(ctx.output), dim, -1)
    g = np.moveaxis(np.asarray(grad), dim, -1)
    with np.errstate(all="ignore"):
        through = np.flip(np.cumsum(np.flip(g * out, -1), -1), -1) / x
    zero = x == 0
    first = np.where(zero.any(-1), zero.argmax(-1), x.shape[-1])
    result = np.where(np.arange(x.shape[-1]) < first[..., None], through, 0)
    for at in zip(*np.nonzero(first < x.shape[-1])):
        z = first[at]
        before = out[at][z - 1] if z else 1
        after = np.cumprod(x[at][z + 1:])
        result[at][z] = before * (g[at][z] + np.sum(g[at][z + 1:] * after))
    return (np.moveaxis(result, -1, dim).astype(dtype, copy=False),)


register_backward("cumsum", _cumsum_backward, saves=())
register_backward("cumprod", _cumprod_backward, saves=(0, "output"))
register_backward("prod", _prod_backward, saves=(0, "output"))
for _op in ("max", "min"):
    register_backward(_op, _min_max_backward, saves=(0, "output"))
for _op in ("amax", "amin"):
    register_backward(_op, _amax_amin_backward, saves=(0, "output"))
register_backward("var", _var_backward, saves=(0,))
register_backward("std", _std_backward, saves=(0, "output"))
register_backward("norm", _norm_backward, saves=(0, "output"))
register_backward("sort", _selected_backward, saves=("output",))
register_backward("topk", _selected_backward, saves=("output",))
for _op in ("argmax", "argmin", "any", "all", "nonzero", "allclose", "tensor_equal"):
    register_backward(_op, None)
