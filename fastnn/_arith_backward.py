"""Backward of the binary ufuncs that Tensor operators and numpy functions reach (``+ - * /
** // % @``, maximum, minimum, ...), unary minus and the comparisons (not differentiable):
torch's formulas and subgradients, gradients summed back over broadcast dims
(`fastnn.autograd`'s contract). The unary math ufuncs are `fastnn._ufunc_backward`'s."""
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


def _fit(grad, ctx, i):
    """`grad` summed down to input `i`'s shape, in its dtype (None if it needs none)."""
    if not ctx.needs[i]:
        return None
    return sum_to(grad, ctx.shapes[i]).astype(ctx.dtypes[i] or grad.dtype, copy=False)


def _binary(formula):
    """A backward from ``formula(a, b, grad) -> (ga, gb)`` (each computed only when asked:
    `formula` receives which ones through ``needs``)."""
    def backward(ctx, grad):
        a, b = ctx.inputs
        with np.errstate(all="ignore"):
            ga, gb = formula(a, b, grad, ctx.needs)
        return _fit(ga, ctx, 0), _fit(gb, ctx, 1)
    return backward


def _maximum(a, b, grad, needs):
    # torch: ties split the gradient half/half; a NaN operand passes it to both
    tie = np.where(a == b, grad / 2, grad)
    return (np.where(a < b, 0, tie) if needs[0] else None,
            np.where(a > b, 0, tie) if needs[1] else None)


def _minimum(a, b, grad, needs):
    tie = np.where(a == b, grad / 2, grad)
    return (np.where(a > b, 0, tie) if needs[0] else None,
            np.where(a < b, 0, tie) if needs[1] else None)


def _fmax(a, b, grad, needs):
    first = (a >= b) | np.isnan(b)
    return (np.where(first, grad, 0) if needs[0] else None,
            np.where(first, 0, grad) if needs[1] else None)


def _fmin(a, b, grad, needs):
    first = (a <= b) | np.isnan(b)
    return (np.where(first, grad, 0) if needs[0] else None,
            np.where(first, 0, grad) if needs[1] else None)


def _remainder(a, b, grad, needs):
    return grad, (-grad * np.floor_divide(a, b) if needs[1] else None)


def _fmod(a, b, grad, needs):
    return grad, (-grad * np.trunc(np.true_divide(a, b)) if needs[1] else None)


def _arctan2(a, b, grad, needs):
    scale = grad / (a * a + b * b)
    return scale * b, -scale * a


def _hypot(a, b, grad, needs):
    result = np.hypot(a, b)
    return grad * a / result, grad * b / result


def _logaddexp(a, b, grad, needs):
    return grad / (1 + np.exp(b - a)), grad / (1 + np.exp(a - b))


def _logaddexp2(a, b, grad, needs):
    return grad / (1 + np.exp2(b - a)), grad / (1 + np.exp2(a - b))


def _nextafter(a, b, grad, needs):
    # torch's: the gradient passes to `input` unchanged, none reaches `other`
    return grad, (np.zeros_like(grad) if needs[1] else None)


def _copysign(a, b, grad, needs):
    # torch: the result's ratio to `a` (+-1), 0 where `a` is 0; nothing reaches the sign
    ratio = np.where(a == 0, 0, np.copysign(a, b) / np.where(a == 0, 1, a))
    return grad * ratio, (np.zeros_like(grad) if needs[1] else None)


def _floor_divide_backward(ctx, grad):
    raise RuntimeError("derivative for aten::floor_divide is not implemented")


def _matmul_backward(ctx, grad):
    """torch's rules: a 1-D operand is a row (left) or column (right) vector whose added
    dim is dropped again; batch dims broadcast and are summed back."""
    a, b = ctx.inputs
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g = grad
    if a.ndim == 1 and b.ndim == 1:
        g = np.reshape(grad, (1, 1))
    elif a.ndim == 1:
        g = np.expand_dims(grad, -2)
    elif b.ndim == 1:
        g = np.expand_dims(grad, -1)
    ga = gb = None
    if ctx.needs[0]:
        ga = sum_to(np.matmul(g, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        ga = ga.astype(a.dtype, copy=False)
    if ctx.needs[1]:
        gb = sum_to(np.matmul(np.swapaxes(a2, -1, -2), g), b2.shape).reshape(b.shape)
        gb = gb.astype(b.dtype, copy=False)
    return ga, gb


register_backward("add", _add_backward, saves=())
register_backward("subtract", _subtract_backward, saves=())
register_backward("multiply", _multiply_backward, saves=(0, 1))
register_backward("divide", _divide_backward, saves=(0, 1))
register_backward("negative", _negative_backward, saves=())
register_backward("power", _power_backward, saves=(0, 1))
register_backward("maximum", _binary(_maximum), saves=(0, 1))
register_backward("minimum", _binary(_minimum), saves=(0, 1))
register_backward("fmax", _binary(_fmax), saves=(0, 1))
register_backward("fmin", _binary(_fmin), saves=(0, 1))
register_backward("remainder", _binary(_remainder), saves=(0, 1))
register_backward("fmod", _binary(_fmod), saves=(0, 1))
register_backward("arctan2", _binary(_arctan2), saves=(0, 1))
register_backward("hypot", _binary(_hypot), saves=(0, 1))
register_backward("logaddexp", _binary(_logaddexp), saves=(0, 1))
register_backward("logaddexp2", _binary(_logaddexp2), saves=(0, 1))
register_backward("copysign", _binary(_copysign), saves=(0, 1))
register_backward("nextafter", _binary(_nextafter), saves=())
register_backward("floor_divide", _floor_divide_backward, saves=())
register_backward("matmul", _matmul_backward, saves=(0, 1))
for _op in ("greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
            "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isinf",
            "isfinite", "signbit", "bitwise_and", "bitwise_or", "bitwise_xor", "invert",
            "left_shift", "right_shift", "gcd", "lcm"):
    register_backward(_op, None)
