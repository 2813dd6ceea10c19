"""Registry entries of torch's counting ops, whose result sizes depend on the values:
``unique`` (sorted distinct values or slices, with the inverse and the counts on request)
and ``bincount`` (occurrences of each non-negative integer, weighted on request). Neither
is differentiable. The methods (`fastnn._value_methods`) and the top-level functions
(`fastnn._value_functions`) reach them through the door.
"""
import numpy as np

from ._args import int_arg, torch_type_name, torch_typename, wrap_dim
from ._registry import Attrs, register_backward
from ._shape_ops import register_method

_INT64 = np.dtype(np.int64)


def _plain(x):
    return np.ndarray.view(x, np.ndarray)


def _unique_normalize(input, sorted=True, return_inverse=False, return_counts=False,
                      dim=None):
    for name, value in (("sorted", sorted), ("return_inverse", return_inverse),
                        ("return_counts", return_counts)):
        if value is not True and value is not False:
            raise TypeError(f"_unique2(): argument '{name}' must be bool, not "
                            f"{torch_typename(value)}")
    attrs = Attrs(inverse=return_inverse, counts=return_counts,
                  dim=None if dim is None else wrap_dim(int_arg(dim, "unique", "dim", 5),
                                                        input.ndim))
    return (input,), attrs


def _unique_run(inputs, attrs, out):
    """numpy's unique: sorted, as torch's CPU unique always is; NaNs stay distinct, as in
    torch."""
    x = _plain(inputs[0])
    if attrs.dim is None:
        values, inverse, counts = np.unique(x.reshape(-1), return_inverse=True,
                                            return_counts=True, equal_nan=False)
        inverse = inverse.reshape(x.shape)
    else:
        values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True,
                                            axis=attrs.dim)
        inverse = inverse.reshape(-1)
    results = (values,) + ((inverse.astype(_INT64),) if attrs.inverse else ()) + (
        (counts.astype(_INT64),) if attrs.counts else ())
    return results[0] if len(results) == 1 else results


def _bincount_normalize(input, weights=None, minlength=0):
    minlength = int_arg(minlength, "bincount", "minlength", 3)
    if input.dtype.kind not in "iu" and input.dtype != np.bool_:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for "
                                  f"'{torch_type_name(input.dtype)}'")
    if input.ndim != 1 or (input.size and _plain(input).min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and (np.ndim(weights) != 1 or len(weights) != len(input)):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    return (input,) + (() if weights is None else (weights,)), Attrs(minlength=minlength)


def _bincount_run(inputs, attrs, out):
    """Counts as int64; with weights, sums in float64, float32 weights giving float32
    (torch's dtypes)."""
    x = _plain(inputs[0])
    if len(inputs) == 1:
        return np.bincount(x, minlength=attrs.minlength).astype(_INT64)
    weights = _plain(inputs[1])
    dtype = np.float32 if weights.dtype == np.float32 else np.float64
    return np.bincount(x, weights=weights.astype(np.float64),
                       minlength=attrs.minlength).astype(dtype)


register_method("unique", _unique_normalize, _unique_run)
# not memoised: the check for negative values reads the values on every call
register_method("bincount", _bincount_normalize, _bincount_run, memoised=False)
register_backward("unique", None)
register_backward("bincount", None)
