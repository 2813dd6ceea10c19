"""torch's top-level arithmetic functions: add, sub, mul, div (and the aliases subtract,
multiply, divide, true_divide), neg (negative), clamp_min, clamp_max. Each takes what
torch takes and runs the Tensor method's code (`fastnn._arith_methods`)."""
import numbers

import numpy as np

from . import _arith_methods as _methods
from ._functions import _tensor

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "neg", "negative", "clamp_min", "clamp_max"]


def _operands(input, other, fn):
    """(input, other) with the tensor one a Tensor: `input` may be a number when `other`
    is a tensor, as torch.add(2, x) is legal."""
    if isinstance(input, (numbers.Number, np.generic)) and isinstance(other, np.ndarray):
        return input, _tensor(other, fn)
    return _tensor(input, fn), _methods.checked_other(other, fn, 2)


def add(input, other, *, alpha=1, out=None):
    """``torch.add``: input + alpha * other, with torch's result dtype."""
    return _methods.add(*_operands(input, other, "add"), alpha=alpha, out=out)


def sub(input, other, *, alpha=1, out=None):
    """``torch.sub``: input - alpha * other (torch refuses bool tensors)."""
    return _methods.sub(*_operands(input, other, "sub"), alpha=alpha, out=out)


def mul(input, other, *, out=None):
    """``torch.mul``: input * other, with torch's result dtype."""
    return _methods.mul(*_operands(input, other, "mul"), out=out)


def div(input, other, *, rounding_mode=None, out=None):
    """``torch.div``: true division, or rounded toward zero (``'trunc'``) or down
    (``'floor'``)."""
    return _methods.div(*_operands(input, other, "div"), rounding_mode=rounding_mode,
                        out=out)


def neg(input, *, out=None):
    """``torch.neg``: -input (torch refuses bool)."""
    return _methods.neg(_tensor(input, "neg"), out=out)


def clamp_min(input, min):
    """``torch.clamp_min``: ``clamp(input, min=min)``."""
    return _methods.clamp_min(_tensor(input, "clamp_min"), min)


def clamp_max(input, max):
    """``torch.clamp_max``: ``clamp(input, max=max)``."""
    return _methods.clamp_max(_tensor(input, "clamp_max"), max)


subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg
