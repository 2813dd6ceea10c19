"""torch's reductions, sort, nonzero and repeat on plain arrays, in two halves per op:
``*_attrs`` parses the arguments with torch's errors into canonical values, ``*_into``
computes into a given output with torch's result dtypes (a leaf module: numpy in, numpy
out; `fastnn._reduction_ops` registers them as ops of the door)."""
import collections

import numpy as np

from ._args import (_dims_list, _is_int, bool_arg, int_arg, int_tuple_arg, torch_type_name,
                    torch_typename, wrap_dim)
from ._dtypes import as_dtype

__all__ = ["reduced_shape", "reduce_attrs", "reduce_dtype", "reduce_into", "min_max_attrs",
           "min_max_into", "arg_reduce_attrs", "arg_reduce_into", "variance_attrs",
           "variance_dtype", "variance_into", "sort_attrs", "sort_into", "nonzero",
           "repeat_sizes", "repeat_into", "return_types_max", "return_types_min",
           "return_types_sort"]

def _return_type(name):
    """A (values, indices) namedtuple that prints as torch's ``torch.return_types.max``."""
    base = collections.namedtuple(name, ["values", "indices"])

    def __repr__(self):
        return f"fastnn.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                                "__module__": __name__, "__qualname__": f"return_types_{name}"})


return_types_max = _return_type("max")
return_types_min = _return_type("min")
return_types_sort = _return_type("sort")
_INT64 = np.dtype(np.int64)
_FULL_SIGNATURES = {
    "sum": "(tuple of ints dim, bool keepdim = False, *, dtype dtype = None)",
    "mean": "(tuple of ints dim, bool keepdim = False, *, dtype dtype = None)",
    "prod": "(int dim, bool keepdim = False, *, dtype dtype = None)",
    "any": "(tuple of ints dim, bool keepdim = False)",
    "all": "(tuple of ints dim, bool keepdim = False)",
    "std": "(tuple of ints dim = None, *, Number correction = None, bool keepdim = False)",
    "var": "(tuple of ints dim = None, *, Number correction = None, bool keepdim = False)",
}


def _bind(name, args, kwargs, names):
    """torch's positional-or-keyword binding of `args`/`kwargs` onto `names`."""
    if len(args) > len(names):
        raise TypeError(f"{name}() takes from 1 to {len(names)} positional arguments but "
                        f"{len(args)} were given")
    bound = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")
        if key in bound:
            raise TypeError(f"{name}() got multiple values for argument '{key}'")
        bound[key] = value
    return bound


def _axis(name, dim, ndim, tuple_ok=True):
    """`dim` (None, an int, or for most reductions a tuple/list of ints) as numpy's axis."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)) and tuple_ok:
        return _dims_list(list(int_tuple_arg((dim,), name, "dim")), ndim)
    if not _is_int(dim):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({torch_typename(dim)}), but expected one of:\n"
                        f" * (*, dtype dtype = None)\n * {_FULL_SIGNATURES[name]}\n")
    return (wrap_dim(dim, ndim),)


def reduced_shape(shape, axis, keepdim):
    """The shape left by reducing `axis` (None: every dim) of `shape`."""
    if axis is None:
        return (1,) * len(shape) if keepdim else ()
    if keepdim:
        return tuple(1 if d in axis else n for d, n in enumerate(shape))
    return tuple(n for d, n in enumerate(shape) if d not in axis)


def reduce_attrs(arr, name, args, kwargs):
    """``sum/mean/prod/any/all(dim=None, keepdim=False, *, dtype=None)`` as torch parses
    it: (axis, keepdim, dtype), the dtype resolved (int64 for integer sums)."""
    if not args and not kwargs and arr.dtype.kind in "fc":     # the common x.sum()
        return None, False, None
    dtype = as_dtype(kwargs.pop("dtype", None), name) if name in ("sum", "mean",
                                                                  "prod") else None
    bound = _bind(name, args, kwargs, ("dim", "keepdim"))
    keepdim = bool_arg(bound.get("keepdim", False), name, "keepdim", 2)
    if name == "prod" and "dim" in bound and bound["dim"] is None:     # no dim=None overload
        raise TypeError(f"prod() received an invalid combination of arguments - got "
                        f"(Tensor, dim=NoneType), but expected one of:\n"
                        f" * (Tensor input, *, torch.dtype dtype = None)\n"
                        f" * (Tensor input, {_FULL_SIGNATURES['prod'][1:]}\n")
    axis = _axis(name, bound.get("dim"), arr.ndim, tuple_ok=name != "prod")
    if name in ("sum", "prod"):
        if dtype is None and arr.dtype.kind in "biu":
            dtype = _INT64
    elif name == "mean":
        if dtype is None and arr.dtype.kind not in "fc":
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a "
                f"floating point or complex dtype. Got: {torch_type_name(arr.dtype)}")
    return axis, keepdim, None if dtype is None else np.dtype(dtype)


def reduce_dtype(arr, name, dtype):
    """The result dtype of `reduce_into`."""
    if name in ("any", "all"):
        return np.dtype(np.uint8) if arr.dtype == np.uint8 else np.dtype(np.bool_)
    return arr.dtype if dtype is None else dtype


def reduce_into(arr, name, axis, keepdim, dtype, out):
    """Reduce `arr` as `reduce_attrs` parsed it, into `out`."""
    if arr.ndim == 0:
        axis = None
    if name == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):   # torch: NaN for no elements
            return np.mean(arr, axis=axis, dtype=dtype, keepdims=keepdim, out=out)
    if name in ("sum", "prod"):
        return getattr(np, name)(arr, axis=axis, dtype=dtype, keepdims=keepdim, out=out)
    out[...] = getattr(np, name)(arr, axis=axis, keepdims=keepdim)
    return out


def min_max_attrs(arr, name, args, kwargs):
    """``max()`` -> dim None; ``max(dim, keepdim=False)`` -> (dim, keepdim), dim wrapped."""
    if not args and not kwargs:
        if arr.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0. Specify the reduction dim with the "
                               f"'dim' argument.")
        return None, False
    bound = _bind(name, args, kwargs, ("dim", "keepdim"))
    dim = bound.get("dim")
    if not _is_int(dim):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({torch_typename(dim)}), but expected one of:\n * ()\n"
                        f" * (Tensor other)\n * (int dim, bool keepdim = False)\n")
    keepdim = bool_arg(bound.get("keepdim", False), name, "keepdim", 2)
    axis = wrap_dim(dim, arr.ndim)
    if arr.ndim and arr.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    return axis, keepdim


def min_max_into(arr, name, axis, keepdim, out):
    """``max()`` into the 0-d `out`; along `axis`, (values, indices) into the pair `out`."""
    if axis is None:
        out[...] = getattr(np, name)(arr)
        return out
    values, indices = out
    if arr.ndim == 0:
        values[...] = arr
        indices[...] = 0
        return out
    found = getattr(arr, "arg" + name)(axis=axis, keepdims=True)
    indices[...] = found if keepdim else found.squeeze(axis)
    taken = np.take_along_axis(arr, found, axis)
    values[...] = taken if keepdim else taken.squeeze(axis)
    return out


def arg_reduce_attrs(arr, name, args, kwargs):
    """``argmax/argmin(dim=None, keepdim=False)`` as torch parses it: (axis, keepdim)."""
    bound = _bind(name, args, kwargs, ("dim", "keepdim"))
    dim = bound.get("dim")
    keepdim = bool_arg(bound.get("keepdim", False), name, "keepdim", 2)
    if arr.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if arr.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0.")
        return None, keepdim
    axis = wrap_dim(int_arg(dim, name, "dim"), arr.ndim)
    if arr.ndim and arr.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    return axis, keepdim


def arg_reduce_into(arr, name, axis, keepdim, out):
    if arr.ndim == 0:
        out[...] = 0
    else:
        out[...] = getattr(arr, name)(axis=axis, keepdims=keepdim)
    return out


def variance_attrs(arr, name, args, kwargs):
    """``std/var(dim=None, unbiased=True, keepdim=False, *, correction=None)`` as torch
    parses it: (axis, correction, keepdim)."""
    if args and isinstance(args[0], (bool, np.bool_)):      # std(unbiased)
        kwargs.setdefault("unbiased", args[0])
        args = args[1:]
    bound = _bind(name, args, kwargs, ("dim", "unbiased", "keepdim", "correction"))
    if arr.dtype.kind not in "fc":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    correction = bound.get("correction")
    if correction is None:
        unbiased = bound.get("unbiased")
        correction = 1 if unbiased is None or bool_arg(unbiased, name, "unbiased", 2) else 0
    axis = _axis(name, bound.get("dim"), arr.ndim)
    return axis, correction, bool_arg(bound.get("keepdim", False), name, "keepdim", 3)


def variance_dtype(arr):
    """std/var of complex numbers are real."""
    return _REAL.get(arr.dtype.name, arr.dtype)


_REAL = {"complex64": np.dtype(np.float32), "complex128": np.dtype(np.float64)}


def variance_into(arr, name, axis, correction, keepdim, out):
    if arr.ndim == 0:
        axis = None
    with np.errstate(invalid="ignore", divide="ignore"):
        return getattr(np, name)(arr, axis=axis, ddof=correction, keepdims=keepdim, out=out)


def sort_attrs(arr, args, kwargs):
    """``sort(dim=-1, descending=False, stable=False)`` as torch parses it:
    (axis, descending, stable)."""
    stable = kwargs.pop("stable", False)
    bound = _bind("sort", args, kwargs, ("dim", "descending"))
    if stable is not None:
        bool_arg(stable, "sort", "stable", 1)
    descending = bool_arg(bound.get("descending", False), "sort", "descending", 2)
    axis = wrap_dim(int_arg(bound.get("dim", -1), "sort", "dim"), arr.ndim)
    return axis, descending, bool(stable)


def sort_into(arr, axis, descending, out):
    """(values, indices) of `arr` sorted along `axis` into the pair `out`; the input is
    left alone. Stable in fastnn either way; NaN sorts above every number, as in torch."""
    values, indices = out
    if arr.ndim == 0:
        values[...] = arr
        indices[...] = 0
        return out
    if descending:
        flipped = np.flip(arr, axis)
        order = np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis)
        indices[...] = arr.shape[axis] - 1 - order
    else:
        indices[...] = np.argsort(arr, axis=axis, kind="stable")
    values[...] = np.take_along_axis(arr, indices, axis)
    return out


def nonzero(arr, as_tuple):
    """torch's ``nonzero()``: an (N, ndim) int64 array; ``as_tuple=True``: numpy's tuple
    (one index array per dim; a 0-d input counts as 1-d)."""
    if as_tuple:
        return tuple(i.astype(_INT64) for i in np.nonzero(np.atleast_1d(arr)))
    if arr.ndim == 0:
        return np.zeros((1 if arr else 0, 0), _INT64)
    return np.argwhere(arr).astype(_INT64, copy=False)


def repeat_sizes(arr, sizes):
    """torch's ``repeat(*sizes)`` checks: (sizes, the result's shape)."""
    sizes = int_tuple_arg(sizes, "repeat", "repeats")
    if len(sizes) < arr.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                           "number of dimensions of tensor")
    padded = (1,) * (len(sizes) - arr.ndim) + arr.shape
    target = [n * s for n, s in zip(padded, sizes)]
    for n in target:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                               f"{target}")
    return sizes, tuple(target)


def repeat_into(arr, sizes, out):
    """`arr` tiled `sizes` times (numpy's np.tile) into the C-contiguous `out`, without a
    temporary: `out` seen with each dim split in (repeat, size) takes `arr` broadcast."""
    padded = (1,) * (len(sizes) - arr.ndim) + arr.shape
    split = [n for pair in zip(sizes, padded) for n in pair]
    source = [n for size in padded for n in (1, size)]
    out.reshape(split)[...] = arr.reshape(source)
    return out
