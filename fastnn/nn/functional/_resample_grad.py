"""Backward of F.interpolate, F.pad and the shuffles, each registered on its op at the door.

interpolate's forward is a chain of linear maps, one per spatial dimension (last first),
built from the call's plan (`_resample._plan`); its backward applies their transposes in
the reverse order (`kernels.resample_grad`), with the forward's own indices and weights.
mode='area' is adaptive average pooling, whose backward is the pooling's.
"""
import math

import numpy as np

from ... import _registry
from ..._runtime import launch
from ...kernels import resample_grad as _kernels
from ...kernels import shuffle as _shuffle_kernels
from .._utils import kernel_array, thread_scratch
from ._padding import _constant_geometry, _gather_geometry, _source_index
from ._pool_grad import empty_like_input
from ._shuffle import _planes


# ---------------------------------------------------------------- interpolate

def _interpolate_backward(ctx, grad):
    if not ctx.needs[0]:
        return (None,)
    gx = empty_like_input(ctx)
    plan = ctx.plan
    if plan is None or not gx.size:
        gx[...] = 0
        return (gx,)
    x_shape, out_shape, tables = plan
    g = kernel_array(grad).reshape(out_shape)
    target = gx.reshape(x_shape)
    interp = ctx.attrs
    if interp.kind in ("nearest", "nearest-exact"):
        launch(_kernels.gather3d_backward, g, target, *tables, work=g.size + gx.size)
        return (gx,)
    axes = [axis for axis, table in zip(range(4 - interp.nd, 4), tables)
            if table is not None]
    # (torch 2.13's antialiased forward into a width-1 output copies each plane's first
    # row over the others, `_resample._run`; its backward is still the transpose of the
    # weights, which is what runs here too)
    if not axes:
        target[...] = g
        return (gx,)
    # the forward ran the last axis first: its transposes run the first axis first
    current = g
    for n, axis in enumerate(axes):
        index, weights, counts = tables[axis - (4 - interp.nd)]
        shape = list(current.shape)
        shape[axis] = x_shape[axis]
        last = n == len(axes) - 1
        result = target if last else thread_scratch(
            f"interpolate_grad{n % 2}", math.prod(shape), gx.dtype)[:math.prod(shape)
                                                                     ].reshape(shape)
        work = current.size * index.shape[1] + result.size
        if axis == 3:
            launch(_kernels.weighted_last_backward, current.reshape(-1, current.shape[3]),
                   result.reshape(-1, shape[3]), index, weights, counts, work=work)
        else:
            outer = math.prod(shape[:axis])
            inner = math.prod(shape[axis + 1:])
            launch(_kernels.weighted_middle_backward,
                   current.reshape(outer, current.shape[axis], inner),
                   result.reshape(outer, shape[axis], inner), index, weights, counts,
                   work=work)
        current = result
    return (gx,)


# ---------------------------------------------------------------- pad

def _pad_backward(ctx, grad):
    if not ctx.needs[0]:
        return (None,)
    attrs = ctx.attrs
    gx = empty_like_input(ctx)
    probe = np.broadcast_to(np.zeros((), gx.dtype), gx.shape)   # the geometry reads shapes
    if attrs.mode == "constant":
        gx[...] = 0
        _, src, dst = _constant_geometry(probe, attrs.pad)
        gx[src] = grad[dst]
        return (gx,)
    if not gx.size or not grad.size:
        gx[...] = 0
        return (gx,)
    npad = len(attrs.pad) // 2
    shape, dims, sides = _gather_geometry(probe, attrs.pad, attrs.mode)
    idx = [np.zeros(1, np.int64)] * (3 - npad) + [
        _source_index(gx.shape[d], *sides[d], attrs.mode).astype(np.int64) for d in dims]
    planes = math.prod(gx.shape[:gx.ndim - npad])
    lead = (1,) * (3 - npad)
    launch(_kernels.gather3d_backward,
           kernel_array(grad).reshape((planes,) + lead + tuple(shape[gx.ndim - npad:])),
           gx.reshape((planes,) + lead + gx.shape[gx.ndim - npad:]), *idx,
           work=grad.size + gx.size)
    return (gx,)


# ---------------------------------------------------------------- shuffles

def _pixel_shuffle_backward(ctx, grad):
    if not ctx.needs[0]:
        return (None,)
    gx = empty_like_input(ctx)
    if gx.size:
        launch(_shuffle_kernels.pixel_unshuffle, _planes(kernel_array(grad)), _planes(gx),
               ctx.attrs.factor, work=gx.size)
    return (gx,)


def _pixel_unshuffle_backward(ctx, grad):
    if not ctx.needs[0]:
        return (None,)
    gx = empty_like_input(ctx)
    if gx.size:
        launch(_shuffle_kernels.pixel_shuffle, _planes(kernel_array(grad)), _planes(gx),
               ctx.attrs.factor, work=gx.size)
    return (gx,)


def _channel_shuffle_backward(ctx, grad):
    if not ctx.needs[0]:
        return (None,)
    gx = empty_like_input(ctx)
    if gx.size:
        n, c = gx.shape[:2]
        # shuffling by g groups is undone by shuffling by c / g
        launch(_shuffle_kernels.channel_shuffle, kernel_array(grad).reshape(n, c, -1),
               gx.reshape(n, c, -1), c // ctx.attrs.groups, work=gx.size)
    return (gx,)


_registry.register_backward("interpolate", _interpolate_backward, saves=())
_registry.register_backward("pad", _pad_backward, saves=())
_registry.register_backward("pixel_shuffle", _pixel_shuffle_backward, saves=())
_registry.register_backward("pixel_unshuffle", _pixel_unshuffle_backward, saves=())
_registry.register_backward("channel_shuffle", _channel_shuffle_backward, saves=())
