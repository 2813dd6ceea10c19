"""torch's value tests, repairs and counts (a mixin of Tensor, in the tensor layer):
``isclose`` (comparisons), ``nan_to_num`` (masked fills), ``count_nonzero`` (a comparison
and a sum), ``frac`` (a subtraction of ``trunc``), ``isposinf``/``isneginf``
(comparisons), compositions with torch's checks; and ``unique`` and ``bincount``, ops of
their own (`fastnn._count_ops`). All run through the door. ``fastnn._value_functions`` has
the top-level forms.
"""
import numpy as np

from ._args import tensor_arg, torch_type_name
from ._dtypes import get_default_dtype

__all__ = ["ValueMethods"]


def _cast(value, dtype):
    """`value` as `dtype` holds it (float32 overflows to inf, as torch's cast does)."""
    with np.errstate(over="ignore"):
        return np.array(value, dtype=dtype).item()


class ValueMethods:
    """isclose, nan_to_num, count_nonzero, frac, isposinf, isneginf, unique, bincount."""

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Where ``|self - other| <= atol + rtol * |other|`` (equal values, infinities
        included, are close; NaNs only with `equal_nan`)."""
        other = tensor_arg(other, self, "isclose", "other", 1)
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
        if self.dtype.kind not in "fc":
            return self.clone()
        info = np.finfo(self.dtype)
        high = info.max if posinf is None else _cast(posinf, self.dtype)
        low = info.min if neginf is None else _cast(neginf, self.dtype)
        x = self.masked_fill(self.isnan(), _cast(nan, self.dtype))
        return x.masked_fill(self == np.inf, high).masked_fill(self == -np.inf, low)

    def count_nonzero(self, dim=None):
        """The number of non-zero elements (over `dim`: an int or a sequence), int64."""
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
