"""Registry entries of torch's order statistics that select an element: ``median`` and
``nanmedian`` (of everything: the value; along a dim: values and indices), ``kthvalue``
and ``mode`` (values and indices along a dim). The indices come from the kernels of
`kernels/order_statistics.py`, which pick among equal values the element torch's CPU
kernels pick; the values are the input's at those indices. The methods
(`fastnn._order_statistics`) and the top-level functions
(`fastnn._order_statistic_functions`) reach them through the door; ``quantile`` is a
composition there. The backward is max's and min's: along a dim the gradient goes to the
selected index, without one it is split evenly over the elements equal to the result.
"""
import numpy as np

from . import _reductions as R
from ._order_statistic_args import not_implemented, reduction_checks
from ._reduction_backward import _min_max_backward
from ._registry import Attrs, register_backward
from ._shape_ops import register_method
from .kernels import order_statistics as _kernels

_INT64 = np.dtype(np.int64)


def _plain(x):
    return np.ndarray.view(x, np.ndarray)


def _meta(inputs, attrs):
    x = inputs[0]
    if attrs.dim is None:
        return (), x.dtype
    shape = R.reduced_shape(x.shape, None if x.ndim == 0 else (attrs.dim,), attrs.keepdim)
    return [(shape, x.dtype), (shape, _INT64)]


def _select_into(x, dim, out, select):
    """(values, indices) along `dim` into the pair `out`: ``select(rows, found)`` writes the
    index chosen in each row of the 2-D C-contiguous `rows` (int64, or float64 for
    floats: the same order and equalities) into `found`."""
    values, indices = out
    if indices.size == 0:
        return
    x = x if x.ndim else x.reshape(1)
    moved = np.moveaxis(x, dim, -1)
    wide = np.float64 if x.dtype.kind == "f" else np.int64
    rows = np.ascontiguousarray(moved, dtype=wide).reshape(-1, moved.shape[-1])
    found = np.empty(rows.shape[0], _INT64)
    select(rows, found)
    kept = np.expand_dims(found.reshape(moved.shape[:-1]), dim)
    indices[...] = kept.reshape(indices.shape)
    values[...] = np.take_along_axis(x, kept, dim).reshape(values.shape)


def _empty_median(dtype):
    """torch's median of no elements: NaN, converted to `dtype` as the CPU converts it."""
    if dtype.kind in "fc":
        return np.nan
    return np.iinfo(dtype).min if dtype.itemsize in (4, 8) and dtype.kind == "i" else 0


def _median_all(x, ignore_nan):
    flat = x.reshape(-1)
    if flat.size == 0:
        return _empty_median(x.dtype)
    if x.dtype.kind == "f":
        nan = np.isnan(flat)
        if nan.any():
            if not ignore_nan:
                return np.nan
            flat = flat[~nan]
            if flat.size == 0:
                return np.nan
    middle = (flat.size - 1) // 2
    return np.partition(flat, middle)[middle]


# ------------------------------------------------------------------ median nanmedian

def _median(name):
    ignore_nan = name == "nanmedian"

    def normalize(input, dim=None, keepdim=False):
        if dim is None:
            not_implemented(name, input, reduced=False)
            return (input,), Attrs(dim=None, keepdim=False)
        dim = reduction_checks(name, input, dim)
        not_implemented(name, input)
        return (input,), Attrs(dim=dim, keepdim=keepdim)

    def run(inputs, attrs, out):
        x = _plain(inputs[0])
        if attrs.dim is None:
            out[...] = _median_all(x, ignore_nan)
            return
        _select_into(x, attrs.dim, out,
                     lambda rows, found: _kernels.median_indices(rows, ignore_nan, found))

    register_method(name, normalize, run, meta=_meta)
    register_backward(name, _min_max_backward, saves=(0, "output"))


_median("median")
_median("nanmedian")


# ------------------------------------------------------------------ kthvalue mode

def _kthvalue_normalize(input, k, dim=-1, keepdim=False):
    dim = reduction_checks("kthvalue", input, dim, k)
    if input.ndim:              # torch copies a 0-d input before its kernel refuses bool
        not_implemented("kthvalue", input)
    return (input,), Attrs(k=k, dim=dim, keepdim=keepdim)


def _kthvalue_run(inputs, attrs, out):
    _select_into(_plain(inputs[0]), attrs.dim, out,
                 lambda rows, found: _kernels.kthvalue_indices(rows, attrs.k, found))


def _mode_normalize(input, dim=-1, keepdim=False):
    return (input,), Attrs(dim=reduction_checks("mode", input, dim), keepdim=keepdim)


def _mode_run(inputs, attrs, out):
    _select_into(_plain(inputs[0]), attrs.dim, out, _kernels.mode_indices)


register_method("kthvalue", _kthvalue_normalize, _kthvalue_run, meta=_meta)
register_method("mode", _mode_normalize, _mode_run, meta=_meta)
register_backward("kthvalue", _min_max_backward, saves=(0, "output"))
register_backward("mode", _min_max_backward, saves=(0, "output"))
