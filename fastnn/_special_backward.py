"""Backward of the special functions (`fastnn._special_ops`), torch's formulas:
erfc' = -2/sqrt(pi) exp(-x^2), erfinv' = sqrt(pi)/2 exp(erfinv(x)^2), lgamma' = digamma,
digamma' = polygamma(1, x), polygamma(n)' = polygamma(n + 1), mvlgamma' = the sum of
digamma over its shifts, i0' = i1, sinc' = (pi x cos(pi x) - sin(pi x)) / (pi x^2) (0 at 0),
frexp's mantissa' = 1 / 2^exponent, ldexp' = 2^other (x ln2 2^other for other).
heaviside has none in torch: its backward raises torch's error."""
import math

import numpy as np

from ._registry import register_backward
from ._special_ops import mvlgamma_shifts, special_values
from .autograd._util import sum_to
from .kernels import special as _special


def _unary(formula):
    """A backward from ``formula(ctx, x, grad)``, in the input's dtype."""
    def backward(ctx, grad):
        with np.errstate(all="ignore"):
            g = formula(ctx, ctx.inputs[0], grad)
        return (np.asarray(g).astype(ctx.dtypes[0] or grad.dtype, copy=False),)
    return backward


def _erfc(ctx, x, g):
    return g * (-2 / math.sqrt(math.pi)) * np.exp(-(x * x))


def _erfinv(ctx, x, g):
    y = ctx.output
    return g * (math.sqrt(math.pi) / 2) * np.exp(y * y)


def _lgamma(ctx, x, g):
    return g * special_values(_special.digamma, x, dtype=g.dtype)


def _digamma(ctx, x, g):
    return g * special_values(_special.polygamma, x, 1, dtype=g.dtype)


def _polygamma(ctx, x, g):
    return g * special_values(_special.polygamma, x, ctx.attrs.n + 1, dtype=g.dtype)


def _mvlgamma(ctx, x, g):
    shifted = np.asarray(x, g.dtype)[..., None] + mvlgamma_shifts(ctx.attrs.p, g.dtype)
    return g * special_values(_special.digamma, shifted, dtype=g.dtype).sum(-1)


def _i0(ctx, x, g):
    return g * special_values(_special.i1, x, dtype=g.dtype)


def _sinc(ctx, x, g):
    x = np.asarray(x, g.dtype)
    self_pi = x * math.pi
    squared_pi = x * x * math.pi
    out = g * (self_pi * np.cos(self_pi) - np.sin(self_pi)) / squared_pi
    return np.where(squared_pi == 0.0, 0, out)


def _heaviside(ctx, grad):
    raise RuntimeError("derivative for aten::heaviside is not implemented")


def _ldexp(ctx, grad):
    """d/dx = 2^e, d/de = x ln2 2^e, each summed to its input's shape."""
    x, e = ctx.inputs
    with np.errstate(all="ignore"):
        # torch's pow(2, other) of an integer `other`: 0 for negative exponents
        scale = np.exp2(np.asarray(e, grad.dtype))
        if np.asarray(e).dtype.kind in "biu":
            scale = np.where(np.asarray(e) < 0, 0, scale).astype(grad.dtype)
        grads = [grad * scale, grad * np.asarray(x, grad.dtype) * math.log(2.0) * scale]
    return tuple(sum_to(g, ctx.shapes[i]).astype(ctx.dtypes[i] or grad.dtype, copy=False)
                 if ctx.needs[i] else None for i, g in enumerate(grads))


def _frexp(ctx, grad):
    mantissa_grad, exponent = grad[0], ctx.output[1]
    with np.errstate(all="ignore"):
        g = mantissa_grad / np.exp2(exponent.astype(mantissa_grad.dtype))
    return (g.astype(ctx.dtypes[0] or mantissa_grad.dtype, copy=False),)


for _op, _formula, _saves in (("erfc", _erfc, (0,)), ("erfinv", _erfinv, ("output",)),
                              ("lgamma", _lgamma, (0,)), ("digamma", _digamma, (0,)),
                              ("polygamma", _polygamma, (0,)), ("mvlgamma", _mvlgamma, (0,)),
                              ("i0", _i0, (0,)), ("sinc", _sinc, (0,))):
    register_backward(_op, _unary(_formula), saves=_saves)
register_backward("heaviside", _heaviside, saves=())
register_backward("ldexp", _ldexp, saves=(0, 1))
register_backward("frexp", _frexp, saves=("output",))
