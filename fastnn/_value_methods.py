"""torch's value tests, repairs and counts (a mixin of Tensor, in the tensor layer):
``isclose`` (comparisons), ``nan_to_num`` (masked fills), ``count_nonzero`` (a comparison
and a sum), ``frac`` (a subtraction of ``trunc``), ``isposinf``/``isneginf``
(comparisons), ``logit`` and ``xlogy`` (log-odds and x log y, 0 where x is 0),
``nansum``/``nanmean`` (NaNs counted as absent), compositions with torch's checks; and
``unique`` and ``bincount``, ops of their own (`fastnn._count_ops`). All run through the
door. ``fastnn._value_functions`` has the top-level forms.
"""
import numpy as np

from ._args import (_is_int, float_arg, int_tuple_arg, is_number, tensor_arg, torch_type_name,
                    torch_typename)
from ._arith_methods import written_back
from ._dtypes import get_default_dtype
from ._ufunc_methods import no_overload

__all__ = ["ValueMethods"]


def _dims(dim, fn):
    """`dim` of a reduction over an int or a sequence of ints (None: every dim), refused
    in torch's words; the reductions it is passed on to would name themselves."""
    if dim is None or _is_int(dim):
        return dim
    if isinstance(dim, (tuple, list)):
        return int_tuple_arg((dim,), fn, "dim")
    raise TypeError(f"{fn}(): argument 'dim' must be tuple of ints, not {torch_typename(dim)}")


def _cast(value, dtype):
    """`value` as `dtype` holds it (float32 overflows to inf, as torch's cast does)."""
    with np.errstate(over="ignore"):
        return np.array(value, dtype=dtype).item()


class ValueMethods:
    """isclose, nan_to_num, count_nonzero, frac, isposinf, isneginf, logit, xlogy, nansum,
    nanmean, unique, bincount, and the in-place logit_ and xlogy_."""

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Where ``|self - other| <= atol + rtol * |other|`` (equal values, infinities
        included, are close; NaNs only with `equal_nan`)."""
        other = tensor_arg(other, self, "isclose", "other", 1)
        float_arg(rtol, "isclose", "rtol", None)     # its type; torch prints it as given
        float_arg(atol, "isclose", "atol", None)
        if self.dtype != other.dtype:
            raise RuntimeError(f"{torch_type_name(self.dtype)} did not match "
                               f"{torch_type_name(other.dtype)}")
        for name, value in (("rtol", rtol), ("atol", atol)):
            if value < 0:
                raise RuntimeError(f"{name} must be greater than or equal to zero, but got "
                                   f"{value}")
        close = self == other
        if equal_nan and self.dtype.kind in "fc":
            close = close | (self.isnan() & other.isnan())
        if rtol == 0 and atol == 0:
            return close
        a, b = self, other
        if self.dtype.kind not in "fc":
            a, b = a.to(get_default_dtype()), b.to(get_default_dtype())
        error = (a - b).abs()
        return close | (error.isfinite() & (error <= atol + (b * rtol).abs()))

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced by `nan`, `posinf` and `neginf` (the dtype's largest
        and lowest finite values by default); integers and bools copied."""
        nan = 0.0 if nan is None else float_arg(nan, "nan_to_num", "nan", None)
        posinf, neginf = (None if value is None else float_arg(value, "nan_to_num", name, None)
                          for name, value in (("posinf", posinf), ("neginf", neginf)))
        if self.dtype.kind not in "fc":
            return self.clone()
        info = np.finfo(self.dtype)
        high = info.max if posinf is None else _cast(posinf, self.dtype)
        low = info.min if neginf is None else _cast(neginf, self.dtype)
        x = self.masked_fill(self.isnan(), _cast(nan, self.dtype))
        return x.masked_fill(self == np.inf, high).masked_fill(self == -np.inf, low)

    def count_nonzero(self, dim=None):
        """The number of non-zero elements (over `dim`: an int or a sequence), int64."""
        dim = _dims(dim, "count_nonzero")
        nonzero = self != 0
        return nonzero.sum() if dim is None else nonzero.sum(dim)

    def frac(self):
        """The fractional part, ``self - trunc(self)`` (floating point only)."""
        if self.dtype.kind not in "fc":
            raise NotImplementedError(f"\"frac_cpu\" not implemented for "
                                      f"'{torch_type_name(self.dtype)}'")
        return self - self.trunc()

    def isposinf(self):
        """Where the elements are +inf (never, for integers and bools)."""
        return self == np.inf if self.dtype.kind == "f" else self != self

    def isneginf(self):
        """Where the elements are -inf (never, for integers and bools)."""
        return self == -np.inf if self.dtype.kind == "f" else self != self

    def logit(self, eps=None):
        """log(p / (1 - p)), p the elements clamped to [eps, 1 - eps] when `eps` is given
        (integers give the default float dtype)."""
        p = self if self.dtype.kind in "fc" else self.to(get_default_dtype())
        if eps is not None:
            eps = float_arg(eps, "logit", "eps", None)
            # torch's order: below eps first, then above 1 - eps (so eps > 0.5 is no clamp)
            p = self._door("where", p < eps, eps, self._door("where", p > 1 - eps, 1 - eps, p))
        return (p / (1 - p)).log()

    def xlogy(self, other):
        """``self * log(other)``, 0 where self is 0 unless other is NaN (`other` a tensor
        or a number; integers give the default float dtype)."""
        if not isinstance(other, np.ndarray) and not is_number(other):
            raise no_overload("xlogy", other, 1)
        if isinstance(other, np.ndarray):
            other = tensor_arg(other, self, "xlogy", "other", 1)
            product = self * np.log(other)
            keep = (self != 0) | other.isnan()
        else:
            with np.errstate(all="ignore"):
                log_other = float(np.log(np.float64(other)))
            product = self * log_other
            if log_other != log_other:          # a NaN `other`: NaN everywhere
                return product
            keep = self != 0
        return self._door("where", keep, product, product.new_zeros(()))

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """The sum of the elements that are not NaN (over `dim`)."""
        dim = _dims(dim, "nansum")
        x = self.masked_fill(self.isnan(), 0) if self.dtype.kind in "fc" else self
        return x.sum(dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """The mean of the elements that are not NaN (over `dim`; NaN where all are)."""
        if self.dtype.kind not in "fc":
            raise RuntimeError(f"nanmean(): expected input to have floating point or complex "
                               f"dtype but got {torch_type_name(self.dtype)}")
        dim = _dims(dim, "nanmean")
        counted = (~self.isnan()).sum(dim, keepdim)
        return self.nansum(dim, keepdim, dtype=dtype) / counted

    def logit_(self, eps=None):
        """In-place :meth:`logit`."""
        return written_back(self, lambda x: x.logit(eps))

    def xlogy_(self, other):
        """In-place :meth:`xlogy`."""
        return written_back(self, lambda x: x.xlogy(other))

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (slices along `dim`), sorted; with the index of each element
        in them and the count of each on request (a tuple then)."""
        return self._door("unique", self, sorted, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        """How often each value 0..max of a 1-D non-negative integer tensor occurs (the sum
        of its `weights` on request), at least `minlength` bins."""
        if weights is not None:
            weights = tensor_arg(weights, self, "bincount", "weights", 1)
        return self._door("bincount", self, weights, minlength)
