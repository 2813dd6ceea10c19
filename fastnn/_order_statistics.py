"""torch's order statistics as Tensor methods (a mixin of Tensor, in the tensor layer):
``median`` and ``nanmedian`` (of everything, or ``(values, indices)`` along a dim),
``kthvalue`` and ``mode`` (``(values, indices)``), ops of their own
(`fastnn._order_statistic_ops`); and ``quantile``/``nanquantile``, torch's composition of
sort, gather and lerp, so autograd follows it. All run through the door;
``fastnn._order_statistic_functions`` has the top-level forms.
"""
import numpy as np

from ._order_statistic_args import (kthvalue_args, median_args, mode_args, quantile_args,
                                    quantile_checks, return_types_kthvalue,
                                    return_types_median, return_types_mode,
                                    return_types_nanmedian)
from ._out_arg import write_out

__all__ = ["OrderStatisticMethods", "quantile_of"]

_MAX_QUANTILE_SIZE = 2 ** 24         # torch's limit: ranks stay exact in float32


def quantile_of(x, q, dim, keepdim, interpolation, ignore_nan, out=None):
    """torch's quantile_impl on the Tensor `x`: `q` a float or a Tensor of x's dtype, the
    other arguments parsed; the result, or `out` with the result written into it."""
    q_checked = np.asarray(q, x.dtype) if isinstance(q, float) else q
    wrapped = quantile_checks(x, q_checked, dim, out)
    if not isinstance(q, np.ndarray):
        q = x.new_full((), q)
    elif not isinstance(q, type(x)):
        q = x.new_tensor(q)
    if dim is not None and x.ndim:
        shape = list(x.shape)
        if keepdim:
            shape[wrapped] = 1
        else:
            del shape[wrapped]
    else:
        shape = [1] * x.ndim if keepdim else []
    n = x.size if dim is None else (x.shape[wrapped] if x.ndim else 1)
    if n > _MAX_QUANTILE_SIZE:
        raise RuntimeError("quantile() input tensor is too large")
    if dim is None:
        ordered = x.reshape(-1).sort()[0]
    elif wrapped == x.ndim - 1:
        ordered = x.sort()[0]
    else:
        ordered = x.unsqueeze(-1).transpose(wrapped, -1).sort()[0]
    ordered = ordered.view(shape + [n])
    if ignore_nan:
        counts = (~ordered.isnan()).sum(-1, keepdim=True) - 1
        ranks = q * counts.to(q.dtype)
        ranks = ranks.masked_fill(ranks < 0, 0)
    else:
        ranks = (q * (n - 1)).where(~ordered.isnan().any(-1, keepdim=True), n - 1)
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    values = ordered.gather(-1, ranks.long())
    if interpolation in ("linear", "midpoint"):
        weights = (ranks.new_full(ranks.shape, 0.5) if interpolation == "midpoint"
                   else ranks - ranks.floor())
        values = values.lerp(ordered.gather(-1, ranks.ceil().long()), weights)
    if q.ndim == 0:
        result = values.squeeze(-1)
    else:
        result = values.unsqueeze(0).transpose(0, -1).squeeze(-1).contiguous()
    return write_out(result, out)


class OrderStatisticMethods:
    """median, nanmedian, kthvalue, mode, quantile, nanquantile."""

    def median(self, *args, **kwargs):
        """``median()``: the lower of the two middle values (NaN if any is NaN);
        ``median(dim, keepdim=False)`` -> ``(values, indices)``."""
        dim, keepdim = median_args("median", args, kwargs, 0)
        if dim is None:
            return self._door("median", self)
        return return_types_median(*self._door("median", self, dim, keepdim))

    def nanmedian(self, *args, **kwargs):
        """:meth:`median` of the values that are not NaN (NaN where all are)."""
        dim, keepdim = median_args("nanmedian", args, kwargs, 0)
        if dim is None:
            return self._door("nanmedian", self)
        return return_types_nanmedian(*self._door("nanmedian", self, dim, keepdim))

    def kthvalue(self, *args, **kwargs):
        """``kthvalue(k, dim=-1, keepdim=False)`` -> ``(values, indices)`` of the k-th
        smallest elements (NaN counts above every number)."""
        k, dim, keepdim = kthvalue_args(args, kwargs, 0)
        return return_types_kthvalue(*self._door("kthvalue", self, k, dim, keepdim))

    def mode(self, *args, **kwargs):
        """``mode(dim=-1, keepdim=False)`` -> ``(values, indices)`` of the most frequent
        values (the smallest of equally frequent ones)."""
        dim, keepdim = mode_args(args, kwargs, 0)
        return return_types_mode(*self._door("mode", self, dim, keepdim))

    def quantile(self, *args, **kwargs):
        """``quantile(q, dim=None, keepdim=False, *, interpolation='linear')``: `q` a float
        or a 0-d/1-d tensor (then its values lead the result's dims)."""
        q, dim, keepdim, interpolation, _ = quantile_args("quantile", args, kwargs, 0)
        return quantile_of(self, q, dim, keepdim, interpolation, False)

    def nanquantile(self, *args, **kwargs):
        """:meth:`quantile` of the values that are not NaN."""
        q, dim, keepdim, interpolation, _ = quantile_args("nanquantile", args, kwargs, 0)
        return quantile_of(self, q, dim, keepdim, interpolation, True)
