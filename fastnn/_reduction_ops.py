"""Registry entries of torch's reductions, sorting and searching on tensors: sum, mean,
prod, any, all, max, min, argmax, argmin, std, var, sort, nonzero, cumsum and cumprod.
The Tensor methods of the same names (`fastnn._tensor_methods`, `_numpy_name_methods`) and
the top-level functions (`fastnn._functions`, `_tensor_functions`) reach them through the
door; the parsing and computing halves are `fastnn._reductions`'.

Each op's metadata is its result's shape and dtype (a pair of them for ``max(dim)``,
``min(dim)`` and ``sort``), except ``nonzero``'s, whose size depends on the values.
"""
import numpy as np

from . import _reductions as R
from ._args import int_arg, torch_typename, wrap_dim
from ._dtypes import as_dtype
from ._registry import Attrs
from ._shape_ops import register_method

_INT64 = np.dtype(np.int64)
_REQUIRED = object()        # a torch argument without a default (torch's TypeError if absent)
_plain_view = np.ndarray.view


def _plain(x):
    return _plain_view(x, np.ndarray)


# ------------------------------------------------------------------ sum mean prod any all

def _reduction(name):
    def normalize(input, *args, **kwargs):
        axis, keepdim, dtype = R.reduce_attrs(_plain(input), name, args, kwargs)
        return (input,), Attrs(dim=axis, keepdim=keepdim, dtype=dtype)

    def meta(inputs, attrs):
        x = inputs[0]
        return (R.reduced_shape(x.shape, None if x.ndim == 0 else attrs.dim, attrs.keepdim),
                R.reduce_dtype(x, name, attrs.dtype))

    def run(inputs, attrs, out):
        R.reduce_into(_plain(inputs[0]), name, attrs.dim, attrs.keepdim, attrs.dtype, out)

    register_method(name, normalize, run, meta=meta)


for _name in ("sum", "mean", "prod", "any", "all"):
    _reduction(_name)


# ------------------------------------------------------------------ max min

def _min_max(name):
    def normalize(input, *args, **kwargs):
        axis, keepdim = R.min_max_attrs(_plain(input), name, args, kwargs)
        return (input,), Attrs(dim=axis, keepdim=keepdim)

    def meta(inputs, attrs):
        x = inputs[0]
        if attrs.dim is None:
            return (), x.dtype
        shape = R.reduced_shape(x.shape, None if x.ndim == 0 else (attrs.dim,),
                                attrs.keepdim)
        return [(shape, x.dtype), (shape, _INT64)]

    def run(inputs, attrs, out):
        R.min_max_into(_plain(inputs[0]), name, attrs.dim, attrs.keepdim, out)

    register_method(name, normalize, run, meta=meta)


_min_max("max")
_min_max("min")


# ------------------------------------------------------------------ argmax argmin

def _arg_reduction(name):
    def normalize(input, *args, **kwargs):
        axis, keepdim = R.arg_reduce_attrs(_plain(input), name, args, kwargs)
        return (input,), Attrs(dim=axis, keepdim=keepdim)

    def meta(inputs, attrs):
        x = inputs[0]
        dims = None if attrs.dim is None or x.ndim == 0 else (attrs.dim,)
        return R.reduced_shape(x.shape, dims, attrs.keepdim), _INT64

    def run(inputs, attrs, out):
        R.arg_reduce_into(_plain(inputs[0]), name, attrs.dim, attrs.keepdim, out)

    register_method(name, normalize, run, meta=meta)


_arg_reduction("argmax")
_arg_reduction("argmin")


# ------------------------------------------------------------------ std var

def _variance(name):
    def normalize(input, *args, **kwargs):
        axis, correction, keepdim = R.variance_attrs(_plain(input), name, args, kwargs)
        return (input,), Attrs(dim=axis, correction=correction, keepdim=keepdim)

    def meta(inputs, attrs):
        x = inputs[0]
        return (R.reduced_shape(x.shape, None if x.ndim == 0 else attrs.dim, attrs.keepdim),
                R.variance_dtype(x))

    def run(inputs, attrs, out):
        R.variance_into(_plain(inputs[0]), name, attrs.dim, attrs.correction,
                        attrs.keepdim, out)

    register_method(name, normalize, run, meta=meta)


_variance("std")
_variance("var")


# ------------------------------------------------------------------ sort nonzero

def _sort_normalize(input, *args, **kwargs):
    axis, descending, stable = R.sort_attrs(_plain(input), args, kwargs)
    return (input,), Attrs(dim=axis, descending=descending, stable=stable)


def _sort_meta(inputs, attrs):
    x = inputs[0]
    return [(x.shape, x.dtype), (x.shape, _INT64)]


def _sort_run(inputs, attrs, out):
    R.sort_into(_plain(inputs[0]), attrs.dim, attrs.descending, out)


def _nonzero_normalize(input, *args, as_tuple=False):
    if args:
        raise TypeError(f"nonzero() takes from 1 to 0 positional arguments but "
                        f"{len(args)} were given")
    if as_tuple is not True and as_tuple is not False:     # keyword-only: no position
        raise TypeError(f"nonzero(): argument 'as_tuple' must be bool, not "
                        f"{torch_typename(as_tuple)}")
    return (input,), Attrs(as_tuple=as_tuple)


def _nonzero_run(inputs, attrs, out):
    return R.nonzero(_plain(inputs[0]), attrs.as_tuple)


def _cumulative(name, numpy_function):
    """normalize, run of a cumulative op (cumsum, cumprod): torch's `dim` and `dtype`,
    integers and bools accumulated as int64 unless `dtype` is given."""
    def normalize(input, dim=_REQUIRED, *, dtype=None):
        if dim is _REQUIRED:
            raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
        dim = wrap_dim(int_arg(dim, name, "dim", None), input.ndim)
        dtype = as_dtype(dtype, name)
        if dtype is None:
            dtype = _INT64 if input.dtype.kind in "biu" else input.dtype.newbyteorder("=")
        return (input,), Attrs(dim=dim, dtype=dtype)

    def run(inputs, attrs, out):
        x = _plain(inputs[0])
        if x.ndim == 0:
            out[...] = x
            return
        with np.errstate(all="ignore"):     # overflow wraps and inf passes, as in torch
            numpy_function(x, axis=attrs.dim, dtype=out.dtype, out=out)
    return normalize, run


def _cumulative_meta(inputs, attrs):
    return inputs[0].shape, attrs.dtype


register_method("sort", _sort_normalize, _sort_run, meta=_sort_meta)
register_method("cumsum", *_cumulative("cumsum", np.cumsum), meta=_cumulative_meta)
register_method("cumprod", *_cumulative("cumprod", np.cumprod), meta=_cumulative_meta)
register_method("nonzero", _nonzero_normalize, _nonzero_run)
