"""The top-level forms of `fastnn._value_methods`: ``fastnn.isclose``, ``nan_to_num``,
``count_nonzero``, ``frac``, ``isposinf``, ``isneginf``, ``unique``, ``bincount``; any array
is taken as a Tensor."""
import numpy as np

from ._functions import _tensor
from ._out_arg import write_out

__all__ = ["isclose", "nan_to_num", "count_nonzero", "frac", "isposinf", "isneginf", "unique",
           "bincount"]


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Where ``|input - other| <= atol + rtol * |other|`` (``torch.isclose``)."""
    if not isinstance(other, np.ndarray):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    return _tensor(input, "isclose").isclose(other, rtol, atol, equal_nan)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """NaN and infinities replaced by finite values (``torch.nan_to_num``)."""
    return write_out(_tensor(input, "nan_to_num").nan_to_num(nan, posinf, neginf), out)


def count_nonzero(input, dim=None):
    """The number of non-zero elements of `input` (over `dim`), int64."""
    return _tensor(input, "count_nonzero").count_nonzero(dim)


def frac(input, *, out=None):
    """The fractional part of `input` (``torch.frac``)."""
    return write_out(_tensor(input, "frac").frac(), out)


def isposinf(input):
    """Where `input` is +inf."""
    return _tensor(input, "isposinf").isposinf()


def isneginf(input):
    """Where `input` is -inf."""
    return _tensor(input, "isneginf").isneginf()


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of `input` (``torch.unique``)."""
    return _tensor(input, "unique").unique(sorted, return_inverse, return_counts, dim)


def bincount(input, weights=None, minlength=0):
    """The count of each value of a 1-D non-negative integer tensor (``torch.bincount``)."""
    return _tensor(input, "bincount").bincount(weights, minlength)
