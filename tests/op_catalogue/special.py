"""Catalogue entries of the special functions (fastnn._special_ops): erfc, erfinv, lgamma,
digamma, polygamma, mvlgamma, i0, sinc, heaviside, frexp and ldexp, each against torch's function
of the same name (the gamma family on x > 0, erfinv on 0.9 tanh(x): where they are
finite); gcd, lcm and nextafter are ufunc ops (tests/tensor/test_special_functions.py
covers them)."""
import fastnn

from . import OpInfo, Sample

X = (3, 4, 5)
_NO_DERIVATIVE = "torch has no derivative of heaviside: its backward raises"
_NAN_IS_ZERO = "a NaN input gives 0, as torch's (x > 0 is false for NaN)"
_INT_EXPONENT = "the exponent is int32: no NaN to hold (the mantissa is NaN)"


def _top(name, samples, **fields):
    return OpInfo(name, getattr(fastnn, name), name, samples, **fields)


SPECIAL = [
    _top("erfc", [Sample(X)]),
    OpInfo("erfinv", lambda x: fastnn.erfinv(fastnn.tanh(x) * 0.9),
           lambda torch: lambda x: torch.erfinv(torch.tanh(x) * 0.9), [Sample(X)]),
    _top("lgamma", [Sample(X, positive=(0,))]),
    _top("digamma", [Sample(X, positive=(0,))]),
    OpInfo("polygamma", lambda x, n: fastnn.polygamma(n, x),
           lambda torch: lambda x, n: torch.polygamma(n, x),
           [Sample(X, positive=(0,), n=1), Sample(X, positive=(0,), n=3, label="n3")]),
    _top("mvlgamma", [Sample(X, positive=(0,), p=1),
                      Sample(X, positive=(0,), p=2, label="p2")], rtol32=1e-4),
    _top("i0", [Sample(X)]),
    _top("sinc", [Sample(X)]),
    _top("heaviside", [Sample(X, X), Sample(X, (5,), label="broadcast")], nan_fills=False,
         skips={"grad": _NO_DERIVATIVE, "nan_torch_free": _NAN_IS_ZERO}),
    _top("frexp", [Sample(X)], nan_fills=False, skips={"nan_torch_free": _INT_EXPONENT}),
    _top("ldexp", [Sample(X, X), Sample(X, (5,), label="broadcast")]),
]
