"""torch's special-function methods of fastnn.Tensor (a mixin of Tensor, in the tensor
layer): erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0, sinc, heaviside, frexp,
ldexp, gcd, lcm, nextafter and the in-place forms torch has (``x.erfc_()``, ...). The
kernel-backed ones run their op through the door (entries in ``fastnn._special_ops``);
gcd, lcm and nextafter are numpy's ufuncs through the ufunc door; ldexp is an op of
its own. The top-level functions are in ``fastnn._special_functions``.
"""
import collections

import numpy as np

from ._arith_methods import written_back
from ._args import array_arg, int_arg, torch_type_name
from ._ufunc_rules import check_output_cast, result_type

__all__ = ["SpecialMethods", "return_types_frexp", "polygamma_order", "mvlgamma_order",
           "tensor_other"]


def polygamma_order(n, fn="polygamma", position=1):
    """polygamma's `n`, refused as torch refuses it."""
    n = int_arg(n, fn, "n", position)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return n


def mvlgamma_order(p, position=1):
    """mvlgamma's `p` as an int (its range is checked by the op)."""
    return int_arg(p, "mvlgamma", "p", position)


def _frexp_type():
    base = collections.namedtuple("frexp", ["mantissa", "exponent"])

    def __repr__(self):
        return (f"fastnn.return_types.frexp(\nmantissa={self.mantissa!r},\n"
                f"exponent={self.exponent!r})")

    return type("frexp", (base,), {"__slots__": (), "__repr__": __repr__,
                                   "__module__": __name__,
                                   "__qualname__": "return_types_frexp"})


return_types_frexp = _frexp_type()


def tensor_other(tensor, other, fn, name="other", position=1):
    """`other` as an array, or torch's TypeError for a number (these take a tensor only)."""
    if isinstance(other, np.ndarray):
        return other
    return array_arg(other, fn, name, position)


def _check_in_place(tensor, other):
    """torch's refusal of an in-place binary op whose promoted dtype `tensor` cannot hold,
    before the op's own dtype checks."""
    dtype = result_type([tensor, other])
    if dtype is not None:
        check_output_cast(dtype, tensor.dtype)


class SpecialMethods:
    """erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0, sinc, heaviside, frexp,
    ldexp, gcd, lcm, nextafter and their in-place forms."""

    def erfc(self):
        """1 - erf(x), without cancellation (integers give the default float dtype)."""
        return self._door("erfc", self)

    def erfinv(self):
        """The inverse of erf: +-inf at +-1, NaN outside [-1, 1]."""
        return self._door("erfinv", self)

    def lgamma(self):
        """log |Gamma(x)|: inf at 0 and the negative integers."""
        return self._door("lgamma", self)

    def digamma(self):
        """psi(x) = Gamma'(x) / Gamma(x): -inf at +0, inf at -0, NaN at negative integers."""
        return self._door("digamma", self)

    def polygamma(self, n):
        """The n-th derivative of digamma (n >= 0)."""
        return self._door("polygamma", n, self)

    def mvlgamma(self, p):
        """The multivariate log-gamma function of dimension `p` (p >= 1)."""
        return self._door("mvlgamma", self, p)

    def i0(self):
        """The modified Bessel function of the first kind, order 0."""
        return self._door("i0", self)

    def sinc(self):
        """sin(pi x) / (pi x), 1 at 0."""
        return self._door("sinc", self)

    def heaviside(self, values):
        """0 where x < 0, 1 where x > 0, `values` (same dtype, broadcast) where x == 0."""
        values = tensor_other(self, values, "heaviside", "values")
        return self._door("heaviside", self, values)

    def frexp(self):
        """``(mantissa, exponent)`` with x = mantissa * 2 ** exponent, 0.5 <= |mantissa| < 1
        (exponent int32; floats only)."""
        return return_types_frexp(*self._door("frexp", self))

    def ldexp(self, other):
        """x * 2 ** other, in the promoted float dtype (integers give the default one)."""
        return self._door("ldexp", self, tensor_other(self, other, "ldexp"))

    def gcd(self, other):
        """The greatest common divisor of the elements (integers only), >= 0."""
        return np.gcd(self, tensor_other(self, other, "gcd"))

    def lcm(self, other):
        """The least common multiple of the elements (integers only), >= 0."""
        return np.lcm(self, tensor_other(self, other, "lcm"))

    def nextafter(self, other):
        """The next float after x towards `other` (floats only)."""
        return np.nextafter(self, tensor_other(self, other, "nextafter"))

    # -- in place: computed out of place, then written back (copy_)
    def erfc_(self):
        """In-place :meth:`erfc`."""
        return written_back(self, lambda x: x.erfc())

    def erfinv_(self):
        """In-place :meth:`erfinv`."""
        return written_back(self, lambda x: x.erfinv())

    def lgamma_(self):
        """In-place :meth:`lgamma`."""
        return written_back(self, lambda x: x.lgamma())

    def digamma_(self):
        """In-place :meth:`digamma`."""
        return written_back(self, lambda x: x.digamma())

    def polygamma_(self, n):
        """In-place :meth:`polygamma`."""
        polygamma_order(n, "polygamma_")
        return written_back(self, lambda x: x.polygamma(n))

    def mvlgamma_(self, p):
        """In-place :meth:`mvlgamma`."""
        mvlgamma_order(p)
        return written_back(self, lambda x: x.mvlgamma(p))

    def i0_(self):
        """In-place :meth:`i0`."""
        return written_back(self, lambda x: x.i0())

    def sinc_(self):
        """In-place :meth:`sinc`."""
        return written_back(self, lambda x: x.sinc())

    def heaviside_(self, values):
        """In-place :meth:`heaviside`."""
        values = tensor_other(self, values, "heaviside_", "values")
        return written_back(self, lambda x: x.heaviside(values))

    def ldexp_(self, other):
        """In-place :meth:`ldexp`."""
        other = tensor_other(self, other, "ldexp_")
        if self.dtype.kind in "biu":
            raise RuntimeError(f"ldexp can't be cast to the desired output type "
                               f"{torch_type_name(self.dtype)}")
        return written_back(self, lambda x: x.ldexp(other))

    def gcd_(self, other):
        """In-place :meth:`gcd`."""
        other = tensor_other(self, other, "gcd_")
        _check_in_place(self, other)
        return written_back(self, lambda x: x.gcd(other))

    def lcm_(self, other):
        """In-place :meth:`lcm`."""
        other = tensor_other(self, other, "lcm_")
        _check_in_place(self, other)
        return written_back(self, lambda x: x.lcm(other))

    def nextafter_(self, other):
        """In-place :meth:`nextafter`."""
        other = tensor_other(self, other, "nextafter_")
        _check_in_place(self, other)
        return written_back(self, lambda x: x.nextafter(other))
