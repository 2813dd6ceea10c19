"""The top-level forms of `fastnn._cumulative_methods`: ``fastnn.cummax``, ``cummin`` and
``logcumsumexp``, with torch's `out=` (a (values, indices) pair for cummax and cummin,
whose dtypes torch checks with its own words). Any array is taken as a Tensor."""
import numpy as np

from ._args import torch_type_name, torch_typename
from ._cumulative_methods import REQUIRED, dim_arg, return_types_cummax, return_types_cummin
from ._dispatch import dispatch
from ._functions import _tensor

__all__ = ["cummax", "cummin", "logcumsumexp"]

_INT64 = np.dtype(np.int64)


def _check_out_dtype(out, dtype):
    if isinstance(out, np.ndarray) and out.dtype != dtype:
        raise RuntimeError(f"expected scalar_type {torch_type_name(dtype)} but found "
                           f"{torch_type_name(out.dtype)}")


def _running_extreme(name, result_type, input, dim, out):
    x = _tensor(input, name)
    dim = dim_arg(dim, name, 2)
    if out is None:
        return result_type(*dispatch(name, x, dim))
    if not isinstance(out, (tuple, list)):
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not "
                        f"{torch_typename(out)}")
    if len(out) == 2:
        _check_out_dtype(out[0], x.dtype)
        _check_out_dtype(out[1], _INT64)
    return result_type(*dispatch(name, x, dim, out=tuple(out)))


def cummax(input, dim=REQUIRED, *, out=None):
    """``(values, indices)``: the running maximum of `input` along `dim` and where it is
    (``torch.cummax``)."""
    return _running_extreme("cummax", return_types_cummax, input, dim, out)


def cummin(input, dim=REQUIRED, *, out=None):
    """``(values, indices)``: the running minimum of `input` along `dim` and where it is
    (``torch.cummin``)."""
    return _running_extreme("cummin", return_types_cummin, input, dim, out)


def logcumsumexp(input, dim=REQUIRED, *, out=None):
    """``log(cumsum(exp(input), dim))`` without overflow (``torch.logcumsumexp``)."""
    x = _tensor(input, "logcumsumexp")
    dim = dim_arg(dim, "logcumsumexp", 2)
    if out is not None:
        _check_out_dtype(out, x.dtype)
    return dispatch("logcumsumexp", x, dim, out=out)
