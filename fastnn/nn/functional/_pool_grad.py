"""Backward of the pooling ops (`_pool_ops.py`, `_pool_more.py`): max, average, adaptive
and power-average pooling and max unpooling, each registered on its op at the door.

A max pooling that autograd records runs as the ``*_with_indices`` op (`_pooling._max_pool`,
as torch does): its forward keeps the argmax (`kernels.pool_argmax`, separable) and the
backward scatters through it. The values-only op's backward, reached by lp_pool's max and
min modes and by a direct call at the door, finds each window's argmax again from the
saved input with the forward's argmax, then scatters the same way.
"""
import math

import numpy as np

from ... import _registry
from ..._runtime import launch
from ...kernels import pool_avg as _avg_kernels
from ...kernels import pool_grad as _kernels
from ...kernels import pooling as _max_kernels
from .._utils import kernel_array
from ._pool_more import _torch_pow
from ._pool_ops import _as_3d, _pad3, _planes_shape, _window, argmax_fits, argmax_into


def empty_like_input(ctx, index=0):
    """An uninitialised gradient for input `index` (its shape, native-order dtype)."""
    return np.empty(ctx.shapes[index], np.dtype(ctx.dtypes[index]).newbyteorder("="))


def _plane_rows(arr, spatial):
    """`arr` (not empty) as (planes, elements of its last `spatial` dims)."""
    return arr.reshape(-1, math.prod(arr.shape[arr.ndim - spatial:]))


def scatter_through(grad, indices, shape, dtype, nd):
    """The gradient of a max pooling at `shape` from the output gradient and the flat
    per-plane indices its forward returned."""
    gx = np.empty(shape, dtype)
    if not gx.size or not grad.size:
        gx[...] = 0
        return gx
    g = kernel_array(grad)
    rows = g.reshape(_planes_shape(g.shape, nd)[0], -1)
    launch(_kernels.scatter_indices, rows, kernel_array(indices).reshape(rows.shape),
           gx.reshape(rows.shape[0], -1), work=gx.size + rows.size)
    return gx


def max_pool_values_backward(nd, x, grad, attrs):
    """The input gradient of a values-only max pooling of `x` with `attrs` (a window)."""
    x = kernel_array(x)
    window = _window(nd, attrs)
    if x.size and grad.size:
        x3, g3 = _as_3d(x, nd), _as_3d(kernel_array(grad), nd)
        if argmax_fits(x3.shape, g3.shape, window):
            # the forward's separable argmax again, then the scatter of the op with
            # indices: no fused kernel of its own to compile
            values, indices = np.empty(g3.shape, x.dtype), np.empty(g3.shape, np.int64)
            argmax_into(x3, values, indices, window)
            return scatter_through(grad, indices, x.shape, x.dtype, nd)
    gx = np.empty(x.shape, x.dtype)
    if not gx.size or not grad.size:
        gx[...] = 0
        return gx
    launch(_kernels.max_pool3d_backward_direct, x3, g3, _as_3d(gx, nd), *window,
           work=x.size * 2)
    return gx


def _max_backward(nd):
    def backward(ctx, grad):
        if not ctx.needs[0]:
            return (None,)
        return (max_pool_values_backward(nd, ctx.inputs[0], grad, ctx.attrs),)
    return backward


def _with_indices_backward(nd):
    def backward(ctx, grad):
        if not ctx.needs[0]:
            return (None,)
        _, indices = ctx.output
        gx = empty_like_input(ctx)
        return (scatter_through(grad[0], indices, gx.shape, gx.dtype, nd),)
    return backward


def _adaptive_max_backward(nd):
    def backward(ctx, grad):
        if not ctx.needs[0]:
            return (None,)
        x = kernel_array(ctx.inputs[0])
        indices = np.empty(grad.shape, np.int64)
        if grad.size:
            values = np.empty(grad.shape, x.dtype)
            launch(_max_kernels.adaptive_max_pool3d, _as_3d(x, nd), _as_3d(values, nd),
                   _as_3d(indices, nd), work=x.size)
        return (scatter_through(grad, indices, x.shape, x.dtype, nd),)
    return backward


def avg_pool_backward(nd, grad, shape, dtype, kernel_size, stride, padding,
                      count_include_pad, divisor):
    gx = np.empty(shape, dtype)
    if not gx.size or not grad.size:
        gx[...] = 0
        return gx
    launch(_kernels.avg_pool3d_backward, _as_3d(kernel_array(grad), nd), _as_3d(gx, nd),
           *_pad3(kernel_size, nd, 1), *_pad3(stride, nd, 1), *_pad3(padding, nd, 0),
           count_include_pad, divisor, work=gx.size + grad.size)
    return gx


def _avg_backward(nd):
    def backward(ctx, grad):
        if not ctx.needs[0]:
            return (None,)
        a = ctx.attrs
        gx = empty_like_input(ctx)
        return (avg_pool_backward(nd, grad, gx.shape, gx.dtype, a.kernel_size, a.stride,
                                  a.padding, a.count_include_pad,
                                  a.divisor_override or 0),)
    return backward


def _adaptive_avg_backward(nd):
    def backward(ctx, grad):
        if not ctx.needs[0]:
            return (None,)
        gx = empty_like_input(ctx)
        if not gx.size or not grad.size:
            gx[...] = 0
            return (gx,)
        g = kernel_array(grad)
        if all(v == 1 for v in ctx.attrs.output_size):
            # torch's mean over the last nd dims (any rank): grad / elements per plane
            launch(_kernels.mean_rows_backward, g.reshape(-1), _plane_rows(gx, nd),
                   work=gx.size)
        else:
            launch(_kernels.adaptive_avg_pool3d_backward, _as_3d(g, nd), _as_3d(gx, nd),
                   work=gx.size + g.size)
        return (gx,)
    return backward


# ---------------------------------------------------------------- lp pooling

def _torch_sign(a):
    return ((a > 0).astype(a.dtype) - (a < 0)).astype(a.dtype)


def _lp_backward(nd):
    def backward(ctx, grad):
        if not ctx.needs[0]:
            return (None,)
        attrs = ctx.attrs
        x = kernel_array(ctx.inputs[0])
        sgn_x = _torch_sign(x)
        with np.errstate(all="ignore"):
            if attrs.mode != "power":
                # max_pool(|x|) (min: -max_pool(-|x|)); then abs's backward, grad * sgn(x)
                src = np.abs(x)
                if attrs.mode == "min":
                    np.negative(src, out=src)
                g = max_pool_values_backward(nd, src, grad, attrs)
                return (g * sgn_x,)
            return (_lp_power_backward(nd, x, sgn_x, grad, attrs),)
    return backward


def _lp_power_backward(nd, x, sgn_x, grad, attrs):
    """torch's composite, step by step: a = avg_pool(x ** p); s = sign(a) * relu(|a|);
    y = (s * count) ** (1 / p); each step's backward as torch's autograd computes it."""
    p, e, count = attrs.power, attrs.root, attrs.count
    powered = np.ascontiguousarray(_torch_pow(x, p))
    a = np.empty(grad.shape, x.dtype)
    if a.size:
        launch(_avg_kernels.avg_pool3d, _as_3d(powered, nd), _as_3d(a, nd),
               *_pad3(attrs.kernel_size, nd, 1), *_pad3(attrs.stride, nd, 1),
               *_pad3(attrs.padding, nd, 0), True, 0, work=powered.size)
    t = x.dtype.type
    sign = _torch_sign(a)
    relu = np.maximum(np.abs(a), t(0))
    m = sign * relu * t(count)
    # pow's backward: grad * (e * m ** (e - 1)), zero for e == 0
    g = grad * (t(e) * _torch_pow(m, t(e - 1))) if e != 0 else np.zeros_like(m)
    g = g * t(count)
    g = g * sign
    g = np.where(relu > 0, g, t(0))
    g = g * sign                                      # abs's backward: grad * sgn(a)
    gp = avg_pool_backward(nd, g.astype(x.dtype), x.shape, x.dtype, attrs.kernel_size,
                           attrs.stride, attrs.padding, True, 0)
    if p == 0:
        return np.zeros_like(x)
    return gp * (t(p) * _torch_pow(x, p - 1))


# ---------------------------------------------------------------- max unpooling

def _unpool_backward(nd):
    def backward(ctx, grad):
        if not ctx.needs[0]:
            return (None, None)
        indices = ctx.inputs[1]
        gx = empty_like_input(ctx)
        if gx.size:
            planes = gx.size // math.prod(gx.shape[gx.ndim - nd:])
            rows = kernel_array(grad).reshape(planes, -1)
            where = kernel_array(indices).reshape(planes, -1)
            gx.reshape(planes, -1)[...] = np.take_along_axis(rows, where, axis=1)
        return (gx, None)
    return backward


for _nd in (1, 2, 3):
    _registry.register_backward(f"max_pool{_nd}d", _max_backward(_nd), saves=(0,))
    _registry.register_backward(f"max_pool{_nd}d_with_indices", _with_indices_backward(_nd),
                                saves=("output",))
    _registry.register_backward(f"avg_pool{_nd}d", _avg_backward(_nd), saves=())
    _registry.register_backward(f"adaptive_avg_pool{_nd}d", _adaptive_avg_backward(_nd),
                                saves=())
    _registry.register_backward(f"adaptive_max_pool{_nd}d", _adaptive_max_backward(_nd),
                                saves=(0,))
    _registry.register_backward(f"adaptive_max_pool{_nd}d_with_indices",
                                _with_indices_backward(_nd), saves=("output",))
    _registry.register_backward(f"lp_pool{_nd}d", _lp_backward(_nd), saves=(0,))
    _registry.register_backward(f"max_unpool{_nd}d", _unpool_backward(_nd), saves=(1,))
