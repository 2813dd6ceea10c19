"""erfc(z) for z >= 0 as plain float64 arithmetic, which LLVM vectorises (libm's erf and
erfc are calls, one element at a time), for float32 results such as GELU's.

erfc(z) = t * exp(-z*z + g(t)) with t = 2 / (2 + z): g is smooth, a degree-18 Chebyshev
series that `tools/fit_erfc.py` fits and prints as the Horner lines below, with the
largest relative error of the result against `math.erfc` on [0, 14] (about 1e-12, far
inside float32's rounding). exp is a degree-11 Taylor polynomial on the remainder of
x / ln 2, times 2**n built from its exponent bits. Beyond z = 14 erfc is below 1e-86 and
0 is returned; NaN gives 0 too: the callers multiply by the NaN input.

Callers compile with ``error_model="numpy"``: Python's, numba's default, checks the
division for zero on every element, which keeps the loop from vectorising.
"""
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._target import njit

Z_MAX = 14.0
_T_LO = 2.0 / (2.0 + Z_MAX)
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01        # ln 2 split so that n * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_TAYLOR = tuple(1.0 / float(np.prod(np.arange(1.0, k + 1.0)))
                for k in range(11, -1, -1))     # 1/11!, ..., 1/1!, 1/0!


@intrinsic
def _pow2(typingctx, n):
    """2**n for a float64 `n` holding an integer in [-1022, 1023] (its exponent bits)."""
    if n != types.float64:
        return None

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        k = builder.fptosi(args[0], i64)
        bits = builder.shl(builder.add(k, ir.Constant(i64, 1023)), ir.Constant(i64, 52))
        return builder.bitcast(bits, ir.DoubleType())
    return types.float64(types.float64), codegen


@njit(inline="always", fastmath={"contract"})
def _exp(x):
    """exp(x) for a finite float64 x in [-700, 0]."""
    n = np.floor(x * _LOG2E + 0.5)
    r = x - n * _LN2_HI - n * _LN2_LO
    p = 0.0
    for c in _TAYLOR:
        p = p * r + c
    return p * _pow2(n)


@njit(inline="always", fastmath={"contract"})
def erfc_nonnegative(z):
    """erfc(z) for z >= 0 (within ~1e-12 relative); 0 beyond Z_MAX and for NaN."""
    inside = z <= Z_MAX
    zc = z if inside else Z_MAX
    t = 2.0 / (2.0 + zc)
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
    e = t * _exp(g - zc * zc)
    return e if inside else 0.0
