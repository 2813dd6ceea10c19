"""torch's argument parsing and checks of its order statistics (``median``, ``nanmedian``,
``kthvalue``, ``mode``, ``quantile``, ``nanquantile``), shared by the Tensor methods
(`fastnn._order_statistics`), the top-level functions (`fastnn._order_statistic_functions`)
and the ops of the door (`fastnn._order_statistic_ops`). A leaf module: numpy in, canonical
values out, torch's messages on the way. `offset` is 0 for a method and 1 for a function,
whose positions count the input."""
import numbers

import numpy as np

from ._args import _argument, _is_int, invalid_combination, torch_type_name, torch_typename
from ._args import wrap_dim
from ._reductions import _return_type

__all__ = ["median_args", "kthvalue_args", "mode_args", "reduction_checks", "not_implemented",
           "check_pair_out",
           "quantile_args", "quantile_checks", "INTERPOLATIONS", "return_types_median",
           "return_types_nanmedian", "return_types_kthvalue", "return_types_mode"]

return_types_median = _return_type("median")
return_types_nanmedian = _return_type("nanmedian")
return_types_kthvalue = _return_type("kthvalue")
return_types_mode = _return_type("mode")

INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")
_NOT_IMPLEMENTED_NAMES = {"median": "median_out", "nanmedian": "median_out",
                          "kthvalue": "kthvalue_cpu"}


def _int(fn, name, value, position):
    if not _is_int(value):
        raise TypeError(f"{_argument(fn, name, position)} must be int, not "
                        f"{torch_typename(value)}")
    return int(value)


def _bool(fn, name, value, position):
    if value is not True and value is not False:
        raise TypeError(f"{_argument(fn, name, position)} must be bool, not "
                        f"{torch_typename(value)}")
    return value


def _bind(fn, args, kwargs, names, offset, first_name_required=False):
    """{name: (value, position or None)} of `args`/`kwargs` bound onto `names`."""
    if len(args) > len(names):
        low = offset + (1 if first_name_required else 0)
        raise TypeError(f"{fn}() takes from {low} to {len(names) + offset} positional "
                        f"arguments but {len(args) + offset} were given")
    bound = {name: (value, offset + n) for n, (name, value) in
             enumerate(zip(names, args), 1)}
    for key, value in kwargs.items():
        if key not in names or key in bound:
            raise TypeError(f"{fn}() got an unexpected keyword argument '{key}'")
        bound[key] = (value, None)
    return bound


def median_args(fn, args, kwargs, offset):
    """``median()`` -> (None, False); ``median(dim, keepdim=False)`` -> (dim, keepdim)."""
    if not args and not kwargs:
        return None, False
    if len(args) > 2 and not offset:
        raise invalid_combination(fn, [torch_typename(a) for a in args],
                                  ["()", "(int dim, bool keepdim = False)"])
    bound = _bind(fn, args, kwargs, ("dim", "keepdim"), offset, first_name_required=True)
    if "dim" not in bound:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "dim"')
    dim = _int(fn, "dim", *bound["dim"])
    keepdim = _bool(fn, "keepdim", *bound.get("keepdim", (False, None)))
    return dim, keepdim


def kthvalue_args(args, kwargs, offset):
    """``kthvalue(k, dim=-1, keepdim=False)`` -> (k, dim, keepdim)."""
    bound = _bind("kthvalue", args, kwargs, ("k", "dim", "keepdim"), offset,
                  first_name_required=True)
    if "k" not in bound:
        raise TypeError('kthvalue() missing 1 required positional arguments: "k"')
    return (_int("kthvalue", "k", *bound["k"]),
            _int("kthvalue", "dim", *bound.get("dim", (-1, None))),
            _bool("kthvalue", "keepdim", *bound.get("keepdim", (False, None))))


def mode_args(args, kwargs, offset):
    """``mode(dim=-1, keepdim=False)`` -> (dim, keepdim)."""
    bound = _bind("mode", args, kwargs, ("dim", "keepdim"), offset)
    return (_int("mode", "dim", *bound.get("dim", (-1, None))),
            _bool("mode", "keepdim", *bound.get("keepdim", (False, None))))


def reduction_checks(name, x, dim, k=None):
    """torch's checks of a reduction to (values, indices) along `dim`: the wrapped dim."""
    dim = wrap_dim(dim, x.ndim)
    if x.ndim and x.shape[dim] == 0:
        fn = "median" if name == "nanmedian" else name
        raise IndexError(f"{fn}(): Expected reduction dim {dim} to have non-zero size.")
    if k is not None and not 0 < k <= (x.shape[dim] if x.ndim else 1):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    return dim


def not_implemented(name, x, reduced=True):
    """torch's refusal of bool input (mode takes it)."""
    if x.dtype == np.bool_ and name != "mode":
        kernel = _NOT_IMPLEMENTED_NAMES[name] if reduced else "median_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _tensor_type(dtype):
    return f"torch.{torch_type_name(dtype)}Tensor"


def check_pair_out(name, x, out, position):
    """torch's checks of the (values, indices) `out` of `name` (argument `position`)."""
    if not isinstance(out, (tuple, list)):
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not "
                        f"{torch_typename(out) if not isinstance(out, np.ndarray) else 'Tensor'}")
    if len(out) != 2:
        raise TypeError(f"expected tuple of 2 elements but got {len(out)}")
    for n, o in enumerate(out):
        if not isinstance(o, np.ndarray):
            raise TypeError(f"expected Tensor as element {n} in argument {position}, but "
                            f"got {type(o).__name__}")
    values, indices = out
    if name in ("median", "nanmedian"):
        if indices.dtype != np.int64:
            raise RuntimeError(f"Expected tensor for argument #1 'indices' to have scalar type "
                               f"Long; but got {_tensor_type(indices.dtype)} instead (while "
                               f"checking arguments for median)")
        if values.dtype != x.dtype:
            raise RuntimeError(f"Expected tensor for 'values' to have the same type as tensor "
                               f"for argument #2 'self'; but type "
                               f"{_tensor_type(values.dtype)} does not equal "
                               f"{_tensor_type(x.dtype)} (while checking arguments for median)")
    elif name == "kthvalue":
        if values.dtype != x.dtype:
            raise RuntimeError("output values must be of same type as input")
        if indices.dtype != np.int64:
            raise RuntimeError("output indices must be of scalar type Long")
    else:
        if values.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type '{torch_type_name(x.dtype)}' but got "
                               f"'{torch_type_name(values.dtype)}' for values output")
        if indices.dtype != np.int64:
            raise RuntimeError(f"expected scalar type 'Long' but got "
                               f"'{torch_type_name(indices.dtype)}' for indices output")
    return tuple(out)


def _typename(value):
    return "Tensor" if isinstance(value, np.ndarray) and type(value) is not np.ndarray \
        else torch_typename(value)


def _is_float(value):
    return isinstance(value, (numbers.Real, np.bool_)) and not isinstance(value, np.ndarray)


def quantile_args(fn, args, kwargs, offset):
    """``quantile(q, dim=None, keepdim=False, *, interpolation='linear')`` (and ``out=``
    for the function, `offset` 1) -> (q, dim, keepdim, interpolation, out), `q` a float or
    an array; torch's TypeError for arguments that fit neither overload."""
    names = ("q", "dim", "keepdim")
    bound = dict(zip(names, args))
    allowed = names + ("interpolation",) + (("out",) if offset else ())
    fits = len(args) <= 3 and all(k in allowed and k not in bound for k in kwargs)
    bound.update(kwargs)
    q = bound.get("q")
    dim = bound.get("dim")
    keepdim = bound.get("keepdim", False)
    interpolation = bound.get("interpolation", "linear")
    out = bound.get("out")
    fits = (fits and "q" in bound and (_is_float(q) or _typename(q) == "Tensor")
            and (dim is None or _is_int(dim)) and (keepdim is True or keepdim is False)
            and isinstance(interpolation, str)
            and (out is None or isinstance(out, np.ndarray)))
    if not fits:
        got = ["Tensor"] * offset + [_typename(a) for a in args] + [
            f"{k}={_typename(v)}" for k, v in reversed(kwargs.items())]
        first = "Tensor input, " if offset else ""
        last = ", Tensor out = None" if offset else ""
        raise invalid_combination(fn, got, [
            f'({first}{kind} q, int dim = None, bool keepdim = False, *, '
            f'str interpolation = "linear"{last})' for kind in ("Tensor", "float")])
    if _is_float(q):
        q = float(q)
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q:g}")
    if interpolation not in INTERPOLATIONS:
        raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    return q, None if dim is None else int(dim), keepdim, interpolation, out


def quantile_checks(x, q, dim, out=None):
    """torch's checks of ``quantile(q, dim)`` on the array `x`, `q` an array of the input's
    dtype or not: the wrapped dim (0 for dim=None)."""
    if x.size == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if np.ndim(q) > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if q.dtype != x.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if out is not None and out.dtype != x.dtype:
        raise RuntimeError("quantile() out tensor must be same dtype as the input tensor")
    dim = wrap_dim(0 if dim is None else dim, x.ndim)
    q_values = np.asarray(q)
    if not ((q_values >= 0) & (q_values <= 1)).all():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    return dim
