"""Backward of the arithmetic ufuncs that Tensor operators reach (``+ - * /``, unary
minus): gradients summed back over broadcast dims (`fastnn.autograd`'s contract)."""
import numpy as np

from ._registry import register_backward
from .autograd._util import sum_to


def _add_backward(ctx, grad):
    return tuple(sum_to(grad, ctx.shapes[i]) if ctx.needs[i] else None for i in range(2))


def _subtract_backward(ctx, grad):
    return (sum_to(grad, ctx.shapes[0]) if ctx.needs[0] else None,
            sum_to(np.negative(grad), ctx.shapes[1]) if ctx.needs[1] else None)


def _multiply_backward(ctx, grad):
    a, b = ctx.inputs
    return (sum_to(grad * b, ctx.shapes[0]).astype(ctx.dtypes[0], copy=False)
            if ctx.needs[0] else None,
            sum_to(grad * a, ctx.shapes[1]).astype(ctx.dtypes[1], copy=False)
            if ctx.needs[1] else None)


def _divide_backward(ctx, grad):
    a, b = ctx.inputs
    ga = gb = None
    if ctx.needs[0]:
        ga = sum_to(grad / b, ctx.shapes[0]).astype(ctx.dtypes[0], copy=False)
    if ctx.needs[1]:
        gb = sum_to(-grad * a / (b * b), ctx.shapes[1]).astype(ctx.dtypes[1], copy=False)
    return ga, gb


def _power_backward(ctx, grad):
    base, exponent = ctx.inputs
    gb = ge = None
    with np.errstate(all="ignore"):
        if ctx.needs[0]:
            # torch: d(x**0)/dx is 0 everywhere, also at x = 0
            slope = np.where(exponent == 0, 0, exponent * np.power(base, exponent - 1))
            gb = sum_to(grad * slope, ctx.shapes[0]).astype(ctx.dtypes[0], copy=False)
        if ctx.needs[1]:
            # torch: d(0**y)/dy is 0 where y >= 0
            slope = np.where((base == 0) & (exponent >= 0), 0,
                             np.power(base, exponent) * np.log(base))
            ge = sum_to(grad * slope, ctx.shapes[1]).astype(ctx.dtypes[1], copy=False)
    return gb, ge


def _negative_backward(ctx, grad):
    return (np.negative(grad),)


register_backward("add", _add_backward, saves=())
register_backward("subtract", _subtract_backward, saves=())
register_backward("multiply", _multiply_backward, saves=(0, 1))
register_backward("divide", _divide_backward, saves=(0, 1))
register_backward("negative", _negative_backward, saves=())
register_backward("power", _power_backward, saves=(0, 1))
