"""erfc(z) for z >= 0 as plain float64 arithmetic, which LLVM vectorises (libm's erf and
erfc are calls, one element at a time), for float32 results such as GELU's.

erfc(z) = t * exp(-z*z + g(t)) with t = 2 / (2 + z): g is smooth, a degree-18 Chebyshev
series that `tools/fit_erfc.py` fits and prints as the Horner lines below, with the
largest relative error of the result against `math.erfc` on [0, 14] (about 1e-12); exp
is `vecmath.exp_upto` (below 1e-11), so erfc is within 2e-11, far inside float32's
rounding. Beyond z = 14 erfc is below 1e-86 and 0 is returned; NaN gives 0 too: the
callers multiply by the NaN input.
"""
from ._target import njit
from .vecmath import divide, exp_upto

Z_MAX = 14.0
_T_LO = 2.0 / (2.0 + Z_MAX)


@njit(inline="always", fastmath={"contract"})
def erfc_nonnegative(z):
    """erfc(z) for z >= 0 (within 2e-11 relative); 0 beyond Z_MAX and for NaN."""
    inside = z <= Z_MAX
    zc = z if inside else Z_MAX
    t = divide(2.0, 2.0 + zc)
    y = (2.0 * t - (_T_LO + 1.0)) / (1.0 - _T_LO)
    # g: printed by tools/fit_erfc.py (the Chebyshev series in powers of y)
    g = -2.1822154286460995e-08
    g = g * y + -1.5783267502877998e-07
    g = g * y + 3.6170624103452347e-07
    g = g * y + 1.0509925824083626e-06
    g = g * y + -3.0971177531621817e-06
    g = g * y + -2.0547578837462996e-06
    g = g * y + 1.7010326834628925e-05
    g = g * y + -1.145374590882983e-05
    g = g * y + -6.565975920336618e-05
    g = g * y + 0.00013270128279913908
    g = g * y + 0.00017152814550689728
    g = g * y + -0.0008432280292120522
    g = g * y + -0.00011404514552670344
    g = g * y + 0.004810137442672267
    g = g * y + -0.0024064041690030286
    g = g * y + -0.03376703417741934
    g = g * y + 0.022210156583226066
    g = g * y + 0.5969378803759903
    g = g * y + -0.5870676703000888
    e = t * exp_upto(g - zc * zc)
    return e if inside else 0.0
