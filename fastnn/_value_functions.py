"""The top-level forms of `fastnn._value_methods`: ``fastnn.isclose``, ``nan_to_num``,
``count_nonzero``, ``frac``, ``isposinf``, ``isneginf``, ``logit``, ``xlogy``, ``nansum``,
``nanmean``, ``unique``, ``bincount``; and ``searchsorted``/``bucketize`` (the op of
`fastnn._search_ops`). Any array is taken as a Tensor."""
import numbers

import numpy as np

from ._args import invalid_combination, is_number, torch_typename
from ._dispatch import dispatch
from ._dtypes import get_default_dtype
from ._functions import _tensor
from ._out_arg import write_out

__all__ = ["isclose", "nan_to_num", "count_nonzero", "frac", "isposinf", "isneginf", "unique",
           "bincount", "logit", "xlogy", "nansum", "nanmean", "searchsorted", "bucketize"]


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


def logit(input, eps=None, *, out=None):
    """log(p / (1 - p)) (``torch.logit``)."""
    return write_out(_tensor(input, "logit").logit(eps), out)


def xlogy(input, other, *, out=None):
    """``input * log(other)``, 0 where input is 0 (``torch.xlogy``; either may be a
    number)."""
    if not all(isinstance(v, np.ndarray) or is_number(v) for v in (input, other)):
        got = ["Tensor" if isinstance(v, np.ndarray) else torch_typename(v)
               for v in (input, other)]
        raise invalid_combination("xlogy", got, [
            "(Tensor input, Tensor other, *, Tensor out = None)",
            "(Number self, Tensor other, *, Tensor out = None)",
            "(Tensor input, Number other, *, Tensor out = None)"])
    if not isinstance(input, np.ndarray) and isinstance(other, np.ndarray):
        other = _tensor(other, "xlogy")
        input = other.new_full((), input, dtype=get_default_dtype()
                               if isinstance(input, float) else None)
    return write_out(_tensor(input, "xlogy").xlogy(other), out)


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """The sum of the elements that are not NaN (``torch.nansum``)."""
    return write_out(_tensor(input, "nansum").nansum(dim, keepdim, dtype=dtype), out)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """The mean of the elements that are not NaN (``torch.nanmean``)."""
    return write_out(_tensor(input, "nanmean").nanmean(dim, keepdim, dtype=dtype), out)


def _searchsorted_refused(got):
    return TypeError(
        f"searchsorted() received an invalid combination of arguments - got ({got}), but "
        "expected one of:\n * (Tensor sorted_sequence, Tensor input, *, bool out_int32 = "
        "False, bool right = False, str side = None, Tensor sorter = None, Tensor out = None)"
        "\n * (Tensor sorted_sequence, Number self, *, bool out_int32 = False, bool right = "
        "False, str side = None, Tensor sorter = None, Tensor out = None)\n")


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 out=None):
    """Where each value of `input` (a tensor or a number) would go in the sorted last dim
    of `sorted_sequence` to keep it sorted (``torch.searchsorted``)."""
    boundaries = _tensor(sorted_sequence, "searchsorted")
    if isinstance(input, numbers.Number):
        values = _tensor(np.asarray(input), "searchsorted")
    else:
        try:
            values = _tensor(input, "searchsorted")
        except TypeError:
            raise _searchsorted_refused(f"Tensor, {type(input).__name__}") from None
    for name, flag in (("out_int32", out_int32), ("right", right)):
        if flag is not True and flag is not False:
            raise _searchsorted_refused(f"Tensor, Tensor, {name}={type(flag).__name__}")
    return dispatch("searchsorted", boundaries, values, out_int32, right, side, out=out)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The bucket of each value of `input` among the sorted 1-D `boundaries`
    (``torch.bucketize``)."""
    boundaries = _tensor(boundaries, "bucketize")
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim"
                           f"({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)
