"""torch's statistics functions at the top level: ``histc``, ``cov`` and ``corrcoef``, the
methods of ``fastnn._statistics_methods`` (histc is an op of its own; cov and corrcoef are
compositions of door ops)."""
import math

import numpy as np

from ._args import int_arg, number_arg, torch_type_name
from ._functions import _tensor
from ._out_arg import write_out
from ._registry import Attrs, register_backward
from ._shape_ops import register_method

__all__ = ["histc", "cov", "corrcoef"]


def _c_number(value, from_data=False):
    """A bound as torch's message prints it (C++ stream output; a NaN taken from the data
    prints as -nan there)."""
    if math.isnan(value):
        return "-nan" if from_data else "nan"
    return f"{value:g}"


def _histc_normalize(input, bins=100, min=0, max=0):
    bins = int_arg(bins, "histc", "bins", 2)
    low = number_arg(min, "histc", "min", 3)
    high = number_arg(max, "histc", "max", 4)
    if input.dtype == np.bool_:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if input.dtype.kind not in "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for "
                                  f"'{torch_type_name(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           "dimension 0")
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    return (input,), Attrs(bins=bins, min=float(low), max=float(high))


def _histc_meta(inputs, attrs):
    return (attrs.bins,), inputs[0].dtype.newbyteorder("=")


def _histc_run(inputs, attrs, out):
    """As torch's linear histogram: the range (the data's when min == max, widened by 1 each
    way when it is one point) and each element's bin ``(x - min) * bins / (max - min)``
    in the input's dtype, the top edge in the last bin, elements outside left out."""
    x = np.ndarray.view(inputs[0], np.ndarray).reshape(-1)
    dtype = out.dtype
    low, high = attrs.min, attrs.max
    from_data = False
    if low == high and x.size:
        low, high, from_data = float(x.min()), float(x.max()), True
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{_c_number(low, from_data)}, "
                           f"{_c_number(high, from_data)}] is not finite")
    left, right = dtype.type(low), dtype.type(high)
    with np.errstate(invalid="ignore", over="ignore"):
        inside = x[(x >= left) & (x <= right)]
        position = ((inside - left) * dtype.type(attrs.bins) / (right - left)).astype(np.int64)
    position[position == attrs.bins] = attrs.bins - 1
    out[...] = np.bincount(position, minlength=attrs.bins)[:attrs.bins].astype(dtype)


# not memoised: the range can come from the values
register_method("histc", _histc_normalize, _histc_run, meta=_histc_meta, memoised=False)
register_backward("histc", None)


def histc(input, bins=100, min=0, max=0, *, out=None):
    """``torch.histc``: a histogram of `bins` equal bins over [min, max] (the data's own
    range when min == max); elements outside are left out; counts in the input's dtype."""
    x = _tensor(input, "histc")
    return write_out(x._door("histc", x, bins, min, max), out)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """``torch.cov``: the covariance matrix of the rows (variables) over the columns
    (observations), with frequency weights `fweights` and observation weights `aweights`."""
    return _tensor(input, "cov").cov(correction=correction, fweights=fweights,
                                     aweights=aweights)


def corrcoef(input):
    """``torch.corrcoef``: the Pearson correlation coefficients of the rows, in [-1, 1]."""
    return _tensor(input, "corrcoef").corrcoef()
