"""torch's reductions, sort, nonzero and repeat on plain arrays: argument parsing with
torch's errors and torch's result dtypes (a leaf module: numpy in, numpy out; Tensor's
methods wrap the results)."""
import collections

import numpy as np

from ._args import (_dims_list, _is_int, bool_arg, int_arg, int_tuple_arg, torch_type_name,
                    torch_typename, wrap_dim)
from ._dtypes import as_dtype

__all__ = ["reduce", "min_max", "arg_reduce", "variance", "sort", "nonzero", "repeat",
           "return_types_max", "return_types_min", "return_types_sort"]

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


def reduce(arr, name, args, kwargs):
    """``sum/mean/prod/any/all(dim=None, keepdim=False, *, dtype=None)`` as torch."""
    if not args and not kwargs and arr.dtype.kind in "fc":     # the common x.sum()
        return getattr(np, name)(arr) if name != "mean" else _mean(arr, None, None, False)
    dtype = as_dtype(kwargs.pop("dtype", None), name) if name in ("sum", "mean",
                                                                  "prod") else None
    bound = _bind(name, args, kwargs, ("dim", "keepdim"))
    keepdim = bool_arg(bound.get("keepdim", False), name, "keepdim", 2)
    axis = _axis(name, bound.get("dim"), arr.ndim, tuple_ok=name != "prod")
    if name in ("sum", "prod"):
        if dtype is None and arr.dtype.kind in "biu":
            dtype = _INT64
        return getattr(np, name)(arr, axis=axis, dtype=dtype, keepdims=keepdim)
    if name == "mean":
        if dtype is None and arr.dtype.kind not in "fc":
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a "
                f"floating point or complex dtype. Got: {torch_type_name(arr.dtype)}")
        return _mean(arr, axis, dtype, keepdim)
    result = getattr(np, name)(arr, axis=axis, keepdims=keepdim)
    return result.astype(np.uint8) if arr.dtype == np.uint8 else result


def _mean(arr, axis, dtype, keepdim):
    with np.errstate(invalid="ignore", divide="ignore"):     # torch: NaN for no elements
        return np.mean(arr, axis=axis, dtype=dtype, keepdims=keepdim)


def min_max(arr, name, args, kwargs):
    """``max()``, ``max(dim, keepdim=False)`` -> (values, indices), ``max(other)``."""
    if not args and not kwargs:
        if arr.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0. Specify the reduction dim with the "
                               f"'dim' argument.")
        return getattr(np, name)(arr)
    if len(args) == 1 and not kwargs and isinstance(args[0], np.ndarray):
        return (np.maximum if name == "max" else np.minimum)(arr, args[0])
    bound = _bind(name, args, kwargs, ("dim", "keepdim"))
    dim = bound.get("dim")
    if not _is_int(dim):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({torch_typename(dim)}), but expected one of:\n * ()\n"
                        f" * (Tensor other)\n * (int dim, bool keepdim = False)\n")
    keepdim = bool_arg(bound.get("keepdim", False), name, "keepdim", 2)
    indices = _arg_along(arr, dim, keepdim, "arg" + name, name)
    if arr.ndim == 0:
        values = arr.copy()
    else:
        axis = wrap_dim(dim, arr.ndim)
        gather = indices if keepdim else np.expand_dims(indices, axis)
        values = np.take_along_axis(arr, gather, axis)
        if not keepdim:
            values = values.squeeze(axis)
    return (return_types_max if name == "max" else return_types_min), values, indices


def arg_reduce(arr, name, args, kwargs):
    """``argmax/argmin(dim=None, keepdim=False)`` as torch (int64 indices)."""
    bound = _bind(name, args, kwargs, ("dim", "keepdim"))
    dim = bound.get("dim")
    keepdim = bool_arg(bound.get("keepdim", False), name, "keepdim", 2)
    if arr.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if arr.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             f"input.numel() == 0.")
        result = getattr(arr, name)(keepdims=keepdim)
        return np.asarray(result, dtype=_INT64)
    return _arg_along(arr, int_arg(dim, name, "dim"), keepdim, name)


def _arg_along(arr, dim, keepdim, name, caller=None):
    axis = wrap_dim(dim, arr.ndim)
    if arr.ndim == 0:
        return np.zeros((), _INT64)
    if arr.shape[axis] == 0:
        raise IndexError(f"{caller or name}(): Expected reduction dim {axis} to have "
                         f"non-zero size.")
    return getattr(arr, name)(axis=axis, keepdims=keepdim).astype(_INT64)


def variance(arr, name, args, kwargs):
    """``std/var(dim=None, unbiased=True, keepdim=False, *, correction=None)``."""
    if args and isinstance(args[0], (bool, np.bool_)):      # std(unbiased)
        kwargs.setdefault("unbiased", args[0])
        args = args[1:]
    bound = _bind(name, args, kwargs, ("dim", "unbiased", "keepdim", "correction"))
    if arr.dtype.kind not in "fc":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    correction = bound.get("correction")
    if correction is None:
        unbiased = bound.get("unbiased")
        correction = 1 if unbiased is None or unbiased else 0
    axis = _axis(name, bound.get("dim"), arr.ndim)
    with np.errstate(invalid="ignore", divide="ignore"):
        return getattr(np, name)(arr, axis=axis, ddof=correction,
                                 keepdims=bool(bound.get("keepdim", False)))


def sort(arr, args, kwargs):
    """``sort(dim=-1, descending=False, stable=False)`` -> (values, indices); the input is
    left alone. Stable in fastnn either way; NaN sorts above every number, as in torch."""
    stable = kwargs.pop("stable", False)
    bound = _bind("sort", args, kwargs, ("dim", "descending"))
    if stable is not None:
        bool_arg(stable, "sort", "stable", 1)
    descending = bool_arg(bound.get("descending", False), "sort", "descending", 2)
    axis = wrap_dim(int_arg(bound.get("dim", -1), "sort", "dim"), arr.ndim)
    if arr.ndim == 0:
        return return_types_sort, arr.copy(), np.zeros((), _INT64)
    if descending:
        flipped = np.flip(arr, axis)
        order = np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis)
        indices = arr.shape[axis] - 1 - order
    else:
        indices = np.argsort(arr, axis=axis, kind="stable")
    indices = indices.astype(_INT64, copy=False)
    return return_types_sort, np.take_along_axis(arr, indices, axis), indices


def nonzero(arr, as_tuple):
    """torch's ``nonzero()``: an (N, ndim) int64 array; ``as_tuple=True``: numpy's tuple
    (one index array per dim; a 0-d input counts as 1-d)."""
    if as_tuple:
        return tuple(i.astype(_INT64) for i in np.nonzero(np.atleast_1d(arr)))
    if arr.ndim == 0:
        return np.zeros((1 if arr else 0, 0), _INT64)
    return np.argwhere(arr).astype(_INT64, copy=False)


def repeat(arr, sizes):
    """torch's ``repeat(*sizes)``: tile `arr` (numpy's np.tile, with torch's checks)."""
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
    return np.tile(arr, sizes).reshape(target)
