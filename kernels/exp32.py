"""A float32 exp that LLVM vectorises, for softmax-like loops over x - max(x) <= 0, a
float32 log1p on [0, 1] beside it, torch's vectorised float32 erf built on the exp, and
what the element-wise kernels built on them share: float32 constants, the chunks their
parallel loops split an array into (`chunk_count`, `chunk_bounds`), `REDUCE_MATH`.

``math.exp`` on float32 is a call to libm's expf per element, which no loop around it can
vectorise. `exp_nonpositive` is Cephes' expf written as plain arithmetic: round x / ln 2 to
an integer n, a degree-7 polynomial for e**r on the remainder r (|r| <= ln 2 / 2), times
2**n built from its exponent bits (`_pow2`). Its error is within 3 ulp of the exact value
over [-87, 0]; below -87 it returns 0 (the exact values there are below float32's normal
range); -inf gives 0 and NaN gives NaN, as expf.
`benchmarks/` times the attention kernel that uses it against torch.
"""
import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from ._target import njit

# fastmath without nnan/ninf: reductions may be reassociated (vectorised) while NaN and inf
# still propagate exactly as in torch.
REDUCE_MATH = {"contract", "reassoc", "nsz", "arcp"}
# the packs' NaN/inf checks (a sum of v * 0 over what they copy): reassoc lets the sum
# vectorise, and any order of a sum holding a NaN is NaN
CHECK_MATH = {"reassoc"}

ZERO32 = np.float32(0.0)
HALF32 = np.float32(0.5)
ONE32 = np.float32(1.0)
SQRT_HALF32 = np.float32(0.7071067811865476)         # 1 / sqrt(2)
INV_SQRT_2PI32 = np.float32(0.3989422804014327)      # 1 / sqrt(2 pi)

# Elements per task of the chunked element-wise loops: a parallel loop over chunks, each
# chunk handed to a serial function as slices, so that its loops index from 0 (Numba then
# drops the wraparound test that keeps a loop scalar).
CHUNK = 1 << 14


@njit(inline="always")
def chunk_count(n):
    return (n + CHUNK - 1) // CHUNK


@njit(inline="always")
def chunk_bounds(k, n):
    """(lo, hi) of chunk `k` of an array of `n` elements."""
    lo = k * CHUNK
    return lo, min(n, lo + CHUNK)


_LOWEST = np.float32(-87.0)
_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693359375)
_LN2_LO = np.float32(-2.12194440e-4)


@intrinsic
def _pow2(typingctx, n):
    """2**n for a float32 `n` holding an integer in [-126, 127] (NaN gives some float).
    n + 1.5 * 2**23 holds n in its low mantissa bits, shifted here into the exponent field
    with the bias: no float-to-int conversion, whose NaN is poison to LLVM. The add is
    emitted here, without fast-math flags: inlined into a `reassoc` loop, written in
    Python, it would be folded away."""
    if n != types.float32:
        return None

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        shifted = builder.fadd(args[0], ir.Constant(ir.FloatType(), 12582912.0))
        bits = builder.shl(builder.bitcast(shifted, i32), ir.Constant(i32, 23))
        bits = builder.add(bits, ir.Constant(i32, 127 << 23))
        return builder.bitcast(bits, ir.FloatType())
    return types.float32(types.float32), codegen


@njit(inline="always", fastmath={"contract", "nsz", "arcp"})
def exp_nonpositive(x):
    """exp(x) for a float32 x <= 0 (or -inf, or NaN: NaN runs through the arithmetic)."""
    below = x < _LOWEST
    xc = _LOWEST if below else x
    n = np.floor(xc * _LOG2E + np.float32(0.5))
    r = xc - n * _LN2_HI - n * _LN2_LO
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r * r + r + np.float32(1.0)
    return ZERO32 if below else p * _pow2(n)


_LN2 = np.float32(0.6931471805599453)
_TWO32 = np.float32(2.0)


@njit(inline="always", fastmath={"contract", "nsz", "arcp"})
def log1p_unit(e):
    """log1p(e) for a float32 0 <= e <= 1 (NaN for NaN), within 2 ulp: log(m) + k ln 2
    with 1 + e = 2**k m, m in [0.75, 1.5], f = m - 1 exact (e itself, or (e - 1) / 2 with
    e - 1 exact by Sterbenz), log m = 2 atanh(f / (2 + f)) by its series (|s| <= 0.2:
    to s**9 / 9, below 1e-8 relative). Call it under ``error_model="numpy"``."""
    big = e > HALF32
    f = (e - ONE32) * HALF32 if big else e
    s = f / (_TWO32 + f)
    s2 = s * s
    q = np.float32(1.0 / 9.0)
    q = q * s2 + np.float32(1.0 / 7.0)
    q = q * s2 + np.float32(1.0 / 5.0)
    q = q * s2 + np.float32(1.0 / 3.0)
    log_m = _TWO32 * s + _TWO32 * s * s2 * q
    return log_m + _LN2 if big else log_m


def exp_shifted(x, shift):
    """exp(x - shift) for x <= shift: `exp_nonpositive` in float32, libm's exp in
    float64."""


@overload(exp_shifted)
def _exp_shifted_for(x, shift):
    if x == types.float32:
        return lambda x, shift: exp_nonpositive(x - shift)
    return lambda x, shift: math.exp(x - shift)


# torch's vectorised float32 erf: Abramowitz and Stegun 7.1.26 (~1e-7 absolute)
_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(v) for v in (0.254829592, -0.284496736, 1.421413741,
                                       -1.453152027, 1.061405429))


@njit(inline="always")
def erf_as_torch(z):
    """erf of a float32 `z` as torch's vectorised float32 kernels evaluate it (GELU's
    forward and backward), in float32 arithmetic that vectorises (call it under
    ``error_model="numpy"``: Numba's zero-divisor check would keep the loop scalar); it
    types for float64 too, with libm's exp, for loops typed but never run on float64."""
    a1, a2, a3, a4, a5 = _ERF_A
    t = ONE32 / (ONE32 + _ERF_P * abs(z))
    r = a1 + t * (a2 + t * (a3 + t * (a4 + t * a5)))
    return math.copysign(ONE32 - r * t * exp_shifted(-z * z, ZERO32), z)
