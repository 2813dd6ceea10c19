"""exp and log1p of a float64 as plain arithmetic, so that a loop around them vectorises.

``math.exp`` and ``math.log1p`` are libm calls per element, which no loop can vectorise
(Numba has no SVML here). These evaluate them with polynomials, 2**n built from exponent
bits (`_bits`, `_from_bits`), and selects instead of calls. Their relative error is below
1e-10: meant for results rounded to float32 (the float32 kernels evaluate in float64 and
round once); float64 input keeps libm.
NaN gives NaN; ``exp_upto`` of -inf (or below -708) gives 0.
"""
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from ._target import njit

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238          # ln 2 split so that n * _LN2_HI is exact
_LN2_LO = 1.9082149292705877e-10
_LN2 = 0.6931471805599453
_SHIFTER = 6755399441055744.0         # 1.5 * 2**52: x + it rounds x to an integer
_SQRT2 = 1.4142135623730951


@intrinsic
def _bits(typingctx, x):
    """The bits of a float64 as an int64."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, k):
    """The float64 whose bits are the int64 `k`."""
    if k != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def divide(typingctx, a, b):
    """a / b of float64s as IEEE division (inf, NaN) without Numba's zero-divisor check,
    whose branch would keep the loop around it scalar."""
    if a != types.float64 or b != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.fdiv(args[0], args[1])
    return types.float64(types.float64, types.float64), codegen


@njit(inline="always")
def exp_upto(w):
    """exp(w) for w <= 709 (0 below -708, NaN for NaN)."""
    wc = w if w > -708.0 else -708.0
    t = wc * _LOG2E + _SHIFTER
    n = t - _SHIFTER                            # the integer nearest w / ln 2
    r = wc - n * _LN2_HI - n * _LN2_LO          # |r| <= ln 2 / 2
    # Taylor series to r**9 / 9!: truncation below 1e-11 relative on |r| <= 0.35
    p = 2.7557319223985893e-06
    p = p * r + 2.48015873015873e-05
    p = p * r + 0.0001984126984126984
    p = p * r + 0.001388888888888889
    p = p * r + 0.008333333333333333
    p = p * r + 0.041666666666666664
    p = p * r + 0.16666666666666666
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    # t's low bits hold n: shifted into the exponent field with the bias, they are 2**n
    scale = _from_bits((_bits(t) << 52) + (1023 << 52))
    return p * scale if w >= -708.0 else (0.0 if w < -708.0 else w)


@njit(inline="always")
def expm1_to_single(w):
    """expm1 of a float64 from one exp (`exp_upto`, which vectorises; clamped at
    its overflow, where float32 overflows long before): the absolute error of exp(w) - 1
    (~1e-16) is within 1e-10 of the result for |w| >= 1e-5, and the series below is
    exact there. Accurate for rounding to float32 only (float64 input keeps math.expm1)."""
    if abs(w) < 1e-5:
        return w + w * w * 0.5
    return exp_upto(709.0 if w > 709.0 else w) - 1.0


@njit(inline="always")
def log1p_unit(e):
    """log1p(e) for 0 <= e <= 1 (NaN for NaN)."""
    u = 1.0 + e
    big = u > _SQRT2
    m = u * 0.5 if big else u                   # m in [1 / sqrt 2, sqrt 2]
    f = m - 1.0
    s = divide(f, 2.0 + f)                 # log m = 2 atanh(s), |s| <= 0.172:
    s2 = s * s                             # its series to s**11 / 11, below 1e-10 relative
    q = 1.0 / 11.0
    q = q * s2 + 1.0 / 9.0
    q = q * s2 + 1.0 / 7.0
    q = q * s2 + 1.0 / 5.0
    q = q * s2 + 1.0 / 3.0
    log_m = 2.0 * s * (q * s2 + 1.0)
    result = log_m + _LN2 if big else log_m
    # 1 + e rounds away e's low digits: below 1e-5 the series keeps them
    return e * (1.0 - e * (0.5 - e * (1.0 / 3.0))) if e < 1e-5 else result


def is_single(array):
    """True for a float32 array, as a compile-time constant (no branch survives)."""


@overload(is_single, inline="always")
def _is_single_for(array):
    single = array.dtype == types.float32
    return lambda array: single


def as_element(array, value):
    """`value` rounded to `array`'s element type (float32 or float64), chosen at compile
    time, so that arithmetic with it stays in that type."""


@overload(as_element, inline="always")
def _as_element_for(array, value):
    if array.dtype == types.float32:
        return lambda array, value: np.float32(value)
    return lambda array, value: np.float64(value)
