"""Backward of batch, layer, group and instance norm, local response norm and normalize.

Each function follows the autograd contract (`fastnn._registry.register_backward`):
``backward(ctx, grad) -> one gradient (or None) per input``. The normalisation kernels
(kernels/norm_backward.py) recompute each channel's or row's statistics from the saved
input while it is in cache, so nothing but the inputs is saved: torch keeps the mean and
inverse standard deviation too; here the forward stays untouched.
"""
import math

import numpy as np

from ..._array import kernel_array
from ..._registry import register_backward
from ..._runtime import get_num_threads, launch
from ...kernels import norm_backward as _k

__all__ = ["batch_norm_backward", "layer_norm_backward", "group_norm_backward",
           "instance_norm_backward", "local_response_norm_backward", "normalize_backward"]

_EMPTY = {np.dtype(t): np.empty((0, 0, 0), t) for t in (np.float32, np.float64)}
_EMPTY2 = {np.dtype(t): np.empty((0, 0), t) for t in (np.float32, np.float64)}


def _like(value, ctx, index):
    """`value` (float64) as the gradient of input `index`: its shape and dtype."""
    return value.reshape(ctx.shapes[index]).astype(ctx.dtypes[index].newbyteorder("="),
                                                   copy=False)


def _zeros(ctx, index, wanted):
    """A zero gradient for input `index` when it is wanted (None otherwise)."""
    if not wanted or ctx.shapes[index] is None:
        return None
    return np.zeros(ctx.shapes[index], ctx.dtypes[index])


def _weight_array(weight, channels, dtype):
    return np.ones(channels, dtype) if weight is None else kernel_array(weight, dtype).reshape(-1)


# ------------------------------------------------------------------ batch norm

def channel_norm_backward(x, g, weight, mean, var, train, eps, need_x):
    """(gx or None, sum g, sum g * xhat) per channel of (N, C, *) x with (N, C, *) gradient
    g: batch statistics when `train`, else the given float64 (C,) mean and var."""
    batch, channels = x.shape[:2]
    dtype = x.dtype.newbyteorder("=")
    x3 = kernel_array(x).reshape(batch, channels, -1)
    g3 = kernel_array(g, dtype).reshape(x3.shape)
    transposed = x3.shape[2] == 1 and batch > 1
    if transposed:       # (N, C): one channel is a column; a row each runs contiguously
        x3 = np.ascontiguousarray(x3.reshape(batch, channels).T).reshape(1, channels, batch)
        g3 = np.ascontiguousarray(g3.reshape(batch, channels).T).reshape(1, channels, batch)
    if train:
        mean, invstd = np.empty(channels), np.empty(channels)
    else:
        invstd = 1.0 / np.sqrt(var + eps)
    sum_g, sum_gd = np.empty(channels), np.empty(channels)
    gx = np.empty(x3.shape, dtype) if need_x else _EMPTY[dtype]
    launch(_k.batch_norm_backward, x3, g3, _weight_array(weight, channels, dtype), mean,
           invstd, train, eps, gx, sum_g, sum_gd, work=3 * x3.size)
    if need_x and transposed:
        gx = np.ascontiguousarray(gx.reshape(channels, batch).T)
    return (gx.reshape(x.shape) if need_x else None), sum_g, sum_gd * invstd


def batch_norm_backward(ctx, grad):
    x, running_mean, running_var, weight, bias = ctx.inputs
    need_x, need_w, need_b = ctx.needs[0], ctx.needs[3], ctx.needs[4]
    attrs = ctx.attrs
    if x.size == 0:
        return (_zeros(ctx, 0, need_x), None, None, _zeros(ctx, 3, need_w),
                _zeros(ctx, 4, need_b))
    train = attrs.training
    mean = var = None
    if not train:
        mean = running_mean.reshape(-1).astype(np.float64)
        var = running_var.reshape(-1).astype(np.float64)
    gx, sum_g, sum_gxhat = channel_norm_backward(x, grad, weight, mean, var, train,
                                                 attrs.eps, need_x)
    return (gx, None, None, _like(sum_gxhat, ctx, 3) if need_w else None,
            _like(sum_g, ctx, 4) if need_b else None)


# ------------------------------------------------------------------ layer norm

def layer_norm_backward(ctx, grad):
    x, weight, bias = ctx.inputs
    need_x, need_w, need_b = ctx.needs
    length = math.prod(ctx.attrs.normalized_shape)
    dtype = x.dtype.newbyteorder("=")
    if x.size == 0:
        return _zeros(ctx, 0, need_x), _zeros(ctx, 1, need_w), _zeros(ctx, 2, need_b)
    rows = x.size // length
    x2 = kernel_array(x).reshape(rows, length)
    g2 = kernel_array(grad, dtype).reshape(rows, length)
    tasks = max(1, min(rows, 4 * get_num_threads()))
    part_w, part_b = np.empty((tasks, length), dtype), np.empty((tasks, length), dtype)
    gx = np.empty(x2.shape, dtype) if need_x else _EMPTY2[dtype]
    launch(_k.layer_norm_backward, x2, g2, _weight_array(weight, length, dtype),
           ctx.attrs.eps, tasks, gx, part_w, part_b, work=3 * x2.size)
    gw = _like(part_w.sum(axis=0, dtype=np.float64), ctx, 1) if need_w else None
    gb = _like(part_b.sum(axis=0, dtype=np.float64), ctx, 2) if need_b else None
    return (gx.reshape(x.shape) if need_x else None), gw, gb


# ------------------------------------------------------------------ group / instance norm

def _row_norm_backward(x, g, per_group, weight, eps, need_x, rows):
    """(gx or None, sum g per (sample, channel), sum g * xhat per (sample, channel)) of
    the normalisation of `rows` rows of x, each `per_group` channels."""
    batch, channels = x.shape[:2]
    dtype = x.dtype.newbyteorder("=")
    x2 = kernel_array(x).reshape(rows, -1)
    g2 = kernel_array(g, dtype).reshape(x2.shape)
    sum_g, sum_gd = np.empty(batch * channels), np.empty(batch * channels)
    rstd = np.empty(rows)
    gx = np.empty(x2.shape, dtype) if need_x else _EMPTY2[dtype]
    launch(_k.group_norm_backward, x2, g2, per_group, _weight_array(weight, channels, dtype),
           eps, gx, sum_g, sum_gd, rstd, work=3 * x2.size)
    sum_gxhat = sum_gd * np.repeat(rstd, per_group)
    return (gx.reshape(x.shape) if need_x else None, sum_g.reshape(batch, channels),
            sum_gxhat.reshape(batch, channels))


def group_norm_backward(ctx, grad):
    x, weight, bias = ctx.inputs
    need_x, need_w, need_b = ctx.needs
    if x.size == 0:
        return _zeros(ctx, 0, need_x), _zeros(ctx, 1, need_w), _zeros(ctx, 2, need_b)
    batch, channels = x.shape[:2]
    groups = ctx.attrs.num_groups
    gx, sum_g, sum_gxhat = _row_norm_backward(x, grad, channels // groups, weight,
                                              ctx.attrs.eps, need_x, batch * groups)
    return (gx, _like(sum_gxhat.sum(axis=0), ctx, 1) if need_w else None,
            _like(sum_g.sum(axis=0), ctx, 2) if need_b else None)


def instance_norm_backward(ctx, grad):
    x, running_mean, running_var, weight, bias = ctx.inputs
    need_x, need_w, need_b = ctx.needs[0], ctx.needs[3], ctx.needs[4]
    attrs = ctx.attrs
    if x.size == 0:
        return (_zeros(ctx, 0, need_x), None, None, _zeros(ctx, 3, need_w),
                _zeros(ctx, 4, need_b))
    if attrs.use_input_stats:
        batch, channels = x.shape[:2]
        gx, sum_g, sum_gxhat = _row_norm_backward(x, grad, 1, weight, attrs.eps, need_x,
                                                  batch * channels)
        sum_g, sum_gxhat = sum_g.sum(axis=0), sum_gxhat.sum(axis=0)
    else:        # the running statistics: batch norm's evaluation-mode gradient
        gx, sum_g, sum_gxhat = channel_norm_backward(
            x, grad, weight, running_mean.reshape(-1).astype(np.float64),
            running_var.reshape(-1).astype(np.float64), False, attrs.eps, need_x)
    return (gx, None, None, _like(sum_gxhat, ctx, 3) if need_w else None,
            _like(sum_g, ctx, 4) if need_b else None)


# ------------------------------------------------------------------ local response norm

def local_response_norm_backward(ctx, grad):
    """torch's composite, differentiated: y = x * d^-beta, d = k + alpha * mean of x^2 over
    the channel window [c - size // 2, c + (size - 1) // 2] (zeros outside, divided by
    size), so gx = g * d^-beta - 2 alpha beta / size * x * (sum over the windows holding
    the channel of g * x * d^(-beta - 1))."""
    (x,) = ctx.inputs
    if not ctx.needs[0]:
        return (None,)
    attrs = ctx.attrs
    if x.size == 0:
        return (np.zeros(x.shape, x.dtype),)
    dtype = x.dtype.newbyteorder("=")
    cast = dtype.type
    x3 = kernel_array(x).reshape(x.shape[0], x.shape[1], -1)
    g3 = kernel_array(grad, dtype).reshape(x3.shape)
    size, before, after = attrs.size, attrs.size // 2, (attrs.size - 1) // 2
    with np.errstate(all="ignore"):
        squares = x3 * x3
        d = _channel_window_sum(squares, before, after)
        d *= cast(attrs.alpha) / cast(size)
        d += cast(attrs.k)
        scale = d ** cast(-attrs.beta)           # d^-beta
        t = g3 * x3 * scale / d                  # g x d^(-beta - 1)
        back = _channel_window_sum(t, after, before)
        gx = g3 * scale - cast(2 * attrs.alpha * attrs.beta / size) * x3 * back
    return (gx.reshape(x.shape),)


def _channel_window_sum(a, before, after):
    """s[:, c] = sum of a[:, j] for j in [c - before, c + after] within the channels."""
    channels = a.shape[1]
    out = np.zeros_like(a)
    for shift in range(-before, after + 1):
        lo, hi = max(0, -shift), min(channels, channels - shift)
        if lo < hi:
            out[:, lo:hi] += a[:, lo + shift:hi + shift]
    return out


# ------------------------------------------------------------------ normalize

def normalize_backward(ctx, grad):
    """y = x / max(n, eps), n the vector p-norm over the dims: gx = g / den - (where n >=
    eps) sum(g * x) / den^2 * dn/dx (torch's clamp_min passes the gradient where n >=
    eps)."""
    (x,) = ctx.inputs
    if not ctx.needs[0]:
        return (None,)
    norm_attrs = ctx.attrs.norm
    p, dims = norm_attrs.p, norm_attrs.dim
    dtype = x.dtype.newbyteorder("=")
    axis = tuple(dims) if dims else None
    with np.errstate(all="ignore"):
        n = vector_norm(x, p, axis)
        den = np.maximum(n, dtype.type(ctx.attrs.eps))
        gx = grad / den
        dot = np.sum(grad * x, axis=axis, keepdims=True)
        coeff = np.where(n >= dtype.type(ctx.attrs.eps), -dot / (den * den), 0).astype(dtype)
        gx += coeff * vector_norm_grad(x, n, p, axis)
    return (gx.astype(dtype, copy=False),)


def vector_norm(x, p, axis):
    a = np.abs(x)
    if p == math.inf:
        return np.max(a, axis=axis, keepdims=True) if a.size else np.zeros(
            _kept(a.shape, axis), a.dtype)
    if p == -math.inf:
        return np.min(a, axis=axis, keepdims=True)
    if p == 0:
        return np.sum(a != 0, axis=axis, keepdims=True).astype(a.dtype)
    if p == 1:
        return np.sum(a, axis=axis, keepdims=True)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=axis, keepdims=True))
    return np.sum(a ** a.dtype.type(p), axis=axis, keepdims=True) ** a.dtype.type(1.0 / p)


def _kept(shape, axis):
    axes = range(len(shape)) if axis is None else axis
    return tuple(1 if d in axes else s for d, s in enumerate(shape))


def vector_norm_grad(x, n, p, axis):
    """d n / d x of the vector p-norm `n` (keepdims) of x, as torch's norm backward: 0
    where the norm is 0; +-inf: split evenly among the elements reaching the extreme."""
    dtype = x.dtype
    if p == 0:
        return np.zeros_like(x)
    if p == 1:
        return np.sign(x)
    if p == 2:
        return np.where(n == 0, dtype.type(0), x / n)
    if math.isinf(p):
        hit = np.abs(x) == n
        count = np.sum(hit, axis=axis, keepdims=True)
        return np.sign(x) * hit / count
    if p < 1:       # torch: 0 where x is 0 (its |x|^(p-1) is inf there)
        scaled = np.where(x == 0, dtype.type(0), np.sign(x) * np.abs(x) ** dtype.type(p - 1))
        return scaled / n ** dtype.type(p - 1)
    if p < 2:
        scaled = np.sign(x) * np.abs(x) ** dtype.type(p - 1)
    else:
        scaled = x * np.abs(x) ** dtype.type(p - 2)
    return np.where(n == 0, dtype.type(0), scaled / n ** dtype.type(p - 1))


# The kernels recompute the statistics from the input: input and weight are all they read
# (the running statistics too, where they normalise), the bias's gradient needs only its
# shape.
register_backward("batch_norm", batch_norm_backward, saves=(0, 1, 2, 3))
register_backward("instance_norm", instance_norm_backward, saves=(0, 1, 2, 3))
register_backward("layer_norm", layer_norm_backward, saves=(0, 1))
register_backward("group_norm", group_norm_backward, saves=(0, 1))
register_backward("local_response_norm", local_response_norm_backward, saves=(0,))
register_backward("normalize", normalize_backward, saves=(0,))
