"""Backward of clamp, where and masked_fill / masked_fill_ (issue #16), with torch's
subgradients: clamp passes the gradient where ``min <= x <= max`` (NaN stops it), a
tensor bound takes it where it won (``x < min``, and ``min < max`` when both bounds are
given; ``x > max`` or ``max < min``); where sends it to the chosen side; masked_fill to
the unfilled positions, and to a value tensor as the sum over the filled ones. Every
gradient is summed back over the dimensions its input was broadcast along and comes in
that input's dtype.
"""
import numpy as np

from .autograd._util import sum_to


def _as_grad_of(g, array):
    return sum_to(g, np.shape(array)).astype(array.dtype, copy=False)


def _masked(grad, keep):
    """grad where `keep`, else 0 (broadcast to the gradient's shape)."""
    return np.where(keep, grad, np.zeros((), grad.dtype))


def clamp_backward(ctx, grad):
    x, low_t, high_t = ctx.inputs
    attrs = ctx.attrs
    low = low_t if low_t is not None else attrs.min
    high = high_t if high_t is not None else attrs.max
    with np.errstate(invalid="ignore"):
        gx = glow = ghigh = None
        if ctx.needs[0]:
            keep = True
            if low is not None:
                keep = np.greater_equal(x, low)
            if high is not None:
                keep = np.logical_and(keep, np.less_equal(x, high))
            gx = _as_grad_of(_masked(grad, keep), x)
        if low_t is not None and ctx.needs[1]:
            won = np.less(x, low)
            if high is not None:
                won &= np.less(low, high)
            glow = _as_grad_of(_masked(grad, won), low_t)
        if high_t is not None and ctx.needs[2]:
            won = np.greater(x, high)
            if low is not None:
                won |= np.less(high, low)
            ghigh = _as_grad_of(_masked(grad, won), high_t)
    return gx, glow, ghigh


def where_backward(ctx, grad):
    condition = ctx.inputs[0]
    ga = gb = None
    if ctx.needs[1]:
        ga = sum_to(_masked(grad, condition), ctx.shapes[1]).astype(ctx.dtypes[1], copy=False)
    if ctx.needs[2]:
        gb = sum_to(_masked(grad, np.logical_not(condition)), ctx.shapes[2])
        gb = gb.astype(ctx.dtypes[2], copy=False)
    return None, ga, gb


def masked_fill_backward(ctx, grad):
    """masked_fill and masked_fill_ (in place the input's shape is the output's)."""
    mask = ctx.inputs[1]
    gx = gv = None
    if ctx.needs[0]:
        gx = sum_to(_masked(grad, np.logical_not(mask)), ctx.shapes[0])
        gx = gx.astype(ctx.dtypes[0], copy=False)
    if ctx.needs[2]:
        filled = np.broadcast_to(mask, grad.shape)
        gv = np.asarray(grad[filled].sum(dtype=grad.dtype), dtype=ctx.dtypes[2])
    return gx, None, gv


BACKWARDS = {
    "clamp": (clamp_backward, (0, 1, 2)),
    "where": (where_backward, (0,)),
    "masked_fill": (masked_fill_backward, (1,)),
    "masked_fill_": (masked_fill_backward, (1,)),
}
