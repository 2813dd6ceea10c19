"""torch's running extremes and running log-sum-exp as Tensor methods (a mixin of Tensor, in
the tensor layer): ``cummax`` and ``cummin`` (``(values, indices)``, printed as torch's
``return_types``) and ``logcumsumexp``. Each runs its op through the door (the entries and
their backward are `fastnn._cumulative_ops`'); ``fastnn._cumulative_functions`` has the
top-level forms."""
from ._args import int_arg
from ._reductions import _return_type

__all__ = ["CumulativeMethods", "return_types_cummax", "return_types_cummin", "REQUIRED",
           "dim_arg"]

return_types_cummax = _return_type("cummax")
return_types_cummin = _return_type("cummin")
REQUIRED = object()         # torch's `dim` has no default: its TypeError when absent


def dim_arg(dim, fn, position):
    """The required int `dim` of `fn`, given at `position` in torch's messages."""
    if dim is REQUIRED:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "dim"')
    return int_arg(dim, fn, "dim", position)


class CumulativeMethods:
    """cummax, cummin, logcumsumexp."""

    def cummax(self, dim=REQUIRED):
        """``(values, indices)``: the largest element so far along `dim` and where it is
        (a later tie or a NaN takes over, as in torch)."""
        return return_types_cummax(*self._door("cummax", self, dim_arg(dim, "cummax", 1)))

    def cummin(self, dim=REQUIRED):
        """``(values, indices)``: the smallest element so far along `dim` and where it is
        (a later tie or a NaN takes over, as in torch)."""
        return return_types_cummin(*self._door("cummin", self, dim_arg(dim, "cummin", 1)))

    def logcumsumexp(self, dim=REQUIRED):
        """``log(cumsum(exp(self), dim))`` without overflow (floating point only)."""
        return self._door("logcumsumexp", self, dim_arg(dim, "logcumsumexp", 1))
