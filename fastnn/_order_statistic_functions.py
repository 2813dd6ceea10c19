"""The top-level forms of `fastnn._order_statistics`: ``fastnn.median``, ``nanmedian``,
``kthvalue``, ``mode``, ``quantile`` and ``nanquantile``, with torch's ``out=`` (a
``(values, indices)`` pair for the reductions along a dim). Any array is taken as a
Tensor."""
from ._dispatch import dispatch
from ._functions import _tensor
from ._order_statistic_args import (check_pair_out, kthvalue_args, median_args, mode_args,
                                    not_implemented, quantile_args, reduction_checks,
                                    return_types_kthvalue, return_types_median,
                                    return_types_mode, return_types_nanmedian)
from ._order_statistics import quantile_of

__all__ = ["median", "nanmedian", "kthvalue", "mode", "quantile", "nanquantile"]

_RESULTS = {"median": return_types_median, "nanmedian": return_types_nanmedian,
            "kthvalue": return_types_kthvalue, "mode": return_types_mode}


def _reduce(name, x, args, dim, keepdim, out, out_position):
    """(values, indices) of op `name` along `dim`; `out` checked as torch checks it (after
    the checks of the arguments, before the kernel's refusal of bool input)."""
    if out is not None:
        reduction_checks(name, x, dim, *args)
        out = check_pair_out(name, x, out, out_position)
        if name != "mode" and (x.ndim or name != "kthvalue"):
            not_implemented(name, x)
    return _RESULTS[name](*dispatch(name, x, *args, dim, keepdim, out=out))


def _median(name, input, args, kwargs, out):
    x = _tensor(input, name)
    dim, keepdim = median_args(name, args, kwargs, 1)
    if dim is None:
        if out is not None:
            raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
        return dispatch(name, x)
    return _reduce(name, x, (), dim, keepdim, out, 3)


def median(input, *args, out=None, **kwargs):
    """``median(input)``: the lower of the two middle values (NaN if any is NaN);
    ``median(input, dim, keepdim=False, *, out=None)`` -> ``(values, indices)``."""
    return _median("median", input, args, kwargs, out)


def nanmedian(input, *args, out=None, **kwargs):
    """:func:`median` of the values that are not NaN (NaN where all are)."""
    return _median("nanmedian", input, args, kwargs, out)


def kthvalue(input, *args, out=None, **kwargs):
    """``kthvalue(input, k, dim=-1, keepdim=False, *, out=None)`` -> ``(values, indices)``
    of the k-th smallest elements along `dim`."""
    x = _tensor(input, "kthvalue")
    k, dim, keepdim = kthvalue_args(args, kwargs, 1)
    return _reduce("kthvalue", x, (k,), dim, keepdim, out, 4)


def mode(input, *args, out=None, **kwargs):
    """``mode(input, dim=-1, keepdim=False, *, out=None)`` -> ``(values, indices)`` of the
    most frequent values along `dim`."""
    x = _tensor(input, "mode")
    dim, keepdim = mode_args(args, kwargs, 1)
    return _reduce("mode", x, (), dim, keepdim, out, 3)


def quantile(input, *args, **kwargs):
    """``quantile(input, q, dim=None, keepdim=False, *, interpolation='linear',
    out=None)`` (``torch.quantile``)."""
    x = _tensor(input, "quantile")
    q, dim, keepdim, interpolation, out = quantile_args("quantile", args, kwargs, 1)
    return quantile_of(x, q, dim, keepdim, interpolation, False, out)


def nanquantile(input, *args, **kwargs):
    """:func:`quantile` of the values that are not NaN (``torch.nanquantile``)."""
    x = _tensor(input, "nanquantile")
    q, dim, keepdim, interpolation, out = quantile_args("nanquantile", args, kwargs, 1)
    return quantile_of(x, q, dim, keepdim, interpolation, True, out)
