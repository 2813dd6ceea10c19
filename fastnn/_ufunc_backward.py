"""Backward of the unary math ufuncs numpy functions reach on Tensors (``np.exp(x)``,
``fastnn.log``, ``abs(x)``, ...; each an op named after the ufunc, "np.tanh" where a
functional op owns the name) and of rsqrt: torch's formulas, evaluated as torch writes
them so that the values at the edges agree (sqrt at 0: grad / 0; abs at 0: 0; rounding
functions: a zero gradient)."""
import math

import numpy as np

from ._registry import register_backward
from .autograd._util import sum_to


def _unary(formula):
    """A backward from ``formula(x, result, grad)`` (x or the result is None unless the
    op saves it: ``(0,)`` or ``("output",)``)."""
    def backward(ctx, grad):
        with np.errstate(all="ignore"):
            g = formula(ctx.inputs[0], ctx.output, grad)
        return (np.asarray(g).astype(ctx.dtypes[0] or grad.dtype, copy=False),)
    return backward


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_X, _Y = (0,), ("output",)

_FORMULAS = {
    "absolute": (lambda x, y, g: g * np.sign(x), _X),
    "positive": (lambda x, y, g: g, ()),
    "exp": (lambda x, y, g: g * y, _Y),
    "exp2": (lambda x, y, g: g * y * _LN2, _Y),
    "expm1": (lambda x, y, g: g * (y + 1), _Y),
    "log": (lambda x, y, g: g / x, _X),
    "log2": (lambda x, y, g: g / (x * _LN2), _X),
    "log10": (lambda x, y, g: g / (x * _LN10), _X),
    "log1p": (lambda x, y, g: g / (x + 1), _X),
    "sqrt": (lambda x, y, g: g / (2 * y), _Y),
    "cbrt": (lambda x, y, g: g / (3 * y * y), _Y),
    "square": (lambda x, y, g: g * (2 * x), _X),
    "reciprocal": (lambda x, y, g: -g * (y * y), _Y),
    "sin": (lambda x, y, g: g * np.cos(x), _X),
    "cos": (lambda x, y, g: g * -np.sin(x), _X),
    "tan": (lambda x, y, g: g * (1 + y * y), _Y),
    "np.tanh": (lambda x, y, g: g * (1 - y * y), _Y),
    "sinh": (lambda x, y, g: g * np.cosh(x), _X),
    "cosh": (lambda x, y, g: g * np.sinh(x), _X),
    "arcsin": (lambda x, y, g: g / np.sqrt(1 - x * x), _X),
    "arccos": (lambda x, y, g: -g / np.sqrt(1 - x * x), _X),
    "arctan": (lambda x, y, g: g / (1 + x * x), _X),
    "arcsinh": (lambda x, y, g: g / np.sqrt(x * x + 1), _X),
    "arccosh": (lambda x, y, g: g / np.sqrt(x * x - 1), _X),
    "arctanh": (lambda x, y, g: g * (1 / (1 - x * x)), _X),
    "deg2rad": (lambda x, y, g: g * (math.pi / 180), ()),
    "rad2deg": (lambda x, y, g: g * (180 / math.pi), ()),
    "rsqrt": (lambda x, y, g: -0.5 * g * (y * y * y), _Y),
    "erf": (lambda x, y, g: g * (2 / math.sqrt(math.pi)) * np.exp(-(x * x)), _X),
}
_ZERO = ("sign", "floor", "ceil", "rint", "trunc")      # torch: a zero gradient


def _zero_backward(ctx, grad):
    return (np.zeros(ctx.shapes[0], ctx.dtypes[0] or grad.dtype),)


for _op, (_formula, _saves) in _FORMULAS.items():
    register_backward(_op, _unary(_formula), saves=_saves)
for _op in _ZERO:
    register_backward(_op, _zero_backward, saves=())


def _clip_backward(ctx, grad):
    """numpy's clip(x, lo, hi) as torch's clamp: x's gradient where lo <= x <= hi, a
    tensor bound's where it decides the value."""
    x, lo, hi = ctx.inputs
    below = x < lo if lo is not None else np.zeros(x.shape, bool)
    above = (x > hi) & ~below if hi is not None else np.zeros(x.shape, bool)
    inside = ~(below | above)
    grads = [np.where(inside, grad, 0).astype(x.dtype, copy=False) if ctx.needs[0] else None]
    for i, mask in ((1, below), (2, above)):
        grads.append(sum_to(np.where(mask, grad, 0), ctx.shapes[i]).astype(
            ctx.dtypes[i], copy=False) if ctx.needs[i] else None)
    return tuple(grads)


register_backward("clip", _clip_backward, saves=(0, 1, 2))
