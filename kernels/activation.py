"""Kernels of the smooth and thresholded activations (mish, selu/celu, softplus,
logsigmoid, softsign, tanhshrink, threshold, hardshrink, softshrink) and of prelu.

The steps follow torch's formulas; float32 input evaluates the transcendental steps in
float64 (see `pointwise`; softplus in float32 with `exp32`'s exp and log1p), so a float32
result can differ from torch's by its rounding (and where torch's float32 exp underflows
to a denormal, by that denormal's few digits).

The element-wise ops share one kernel selected by an op code, so a cold run compiles it
once per dtype instead of once per op and dtype; the code is tested once per chunk, each
op having a loop of its own.
Scalar parameters arrive already cast to the array's dtype. Arrays are flat and
C-contiguous; `out` may be `x` itself (in place).
"""
import math

import numpy as np
from numba import prange

from ._target import njit
from .exp32 import ZERO32, chunk_bounds, chunk_count, exp_shifted, log1p_unit
from .vecmath import exp_upto, expm1_to_single, is_single

MISH = 0
ELU = 1            # a = negcoef, b = poscoef, c = negiptcoef (selu, celu)
SOFTPLUS = 2       # a = beta, b = threshold
LOG_SIGMOID = 3    # a = 0
SOFTSIGN = 4       # a = 1
TANHSHRINK = 5
THRESHOLD = 6      # a = threshold, b = value
HARDSHRINK = 7     # a = lambd
SOFTSHRINK = 8     # a = lambd


@njit(inline="always")
def _tanh(w):
    """tanh of a float64 from one exp, within ~1e-12 relative (so it rounds to float32 as
    the true tanh nearly always does): a series near 0, 1 - 2 / (e^2|w| + 1) beyond."""
    a = abs(w)
    if a < 0.0625:
        a2 = a * a
        t = a * (1.0 - a2 * (1.0 / 3.0 - a2 * (2.0 / 15.0 - a2 * (17.0 / 315.0))))
    else:
        t = 1.0 - 2.0 / (math.exp(2.0 * a) + 1.0)
    return math.copysign(t, w) if w == w else w


@njit(parallel=True, cache=True)
def pointwise(x, out, code, a, b, c):
    """out = f(x) for the activation `code` with parameters a, b, c (torch's formulas,
    as aten/src/ATen/native/cpu/Activation.cpp writes them).

    float32 input evaluates the transcendental steps in float64 and rounds once: mish and
    the ELU family through `vecmath`'s exp (`vecmath.expm1_to_single`), which vectorises
    (the libm's does not); tanhshrink through one libm exp (`_tanh`), several times
    faster than the libm's float32 tanh. softplus and log-sigmoid stay in float32 with
    `exp32`'s exp and log1p. All stay within 1e-6 of torch's float32 kernels. float64
    input calls the float64 libm functions. Multiply-adds are fused, as torch's vectorised
    functions fuse them.
    """
    n = x.size
    in_place = x.ctypes.data == out.ctypes.data
    for k in prange(chunk_count(n)):
        lo, hi = chunk_bounds(k, n)
        if in_place:
            _segment_in_place(out[lo:hi], code, a, b, c)
        else:
            _segment(x[lo:hi], out[lo:hi], code, a, b, c)


@njit(error_model="numpy", fastmath={"contract"})
def _segment(x, out, code, a, b, c):
    """`pointwise` on a chunk, into a separate `out`."""
    _loops(x, out, code, a, b, c)


@njit(error_model="numpy", fastmath={"contract"})
def _segment_in_place(x, code, a, b, c):
    """`pointwise` on a chunk, in place: `_loops` inlined with one array for both ends,
    which LLVM vectorises (given two arrays, it cannot rule out a partial overlap and runs
    the loop scalar)."""
    _loops(x, x, code, a, b, c)


@njit(inline="always")
def _loops(x, out, code, a, b, c):
    """The op code chosen once, then a loop of its own (a loop that tests the code per
    element does not vectorise). IEEE division (inf, NaN) as in the parallel loop's body,
    where Numba's zero-divisor check is off too."""
    single = is_single(x)
    if code == MISH:
        # x tanh(log1p(e^x)) = x n / (n + 2) with n = e^x (e^x + 2): one exp instead of
        # exp, log1p and tanh, in float64 so that float32 rounds once; beyond 20,
        # tanh(softplus(x)) is 1 in float64
        if single:
            for i in range(x.size):
                v = x[i]
                w = np.float64(v)
                e = exp_upto(w if w < 20.0 else 20.0)
                m = e * (e + 2.0)
                r = w * m / (m + 2.0)
                out[i] = v if w > 20.0 else r
        else:
            for i in range(x.size):
                w = x[i]
                if w > 20.0:
                    out[i] = w
                else:
                    e = math.exp(w)
                    m = e * (e + 2.0)
                    out[i] = w * m / (m + 2.0)
    elif code == SOFTPLUS:
        if single:
            _softplus_single(x, out, a, b)
        else:
            for i in range(x.size):
                v = x[i]
                z = v * a
                out[i] = v if z > b else math.log1p(math.exp(z)) / a
    elif code == ELU:
        # +-0 take the linear side (stays +-0 for an infinite or NaN alpha, as torch's);
        # float32 computes both sides and chooses: a branch kept the loop scalar on AVX2
        if single:
            for i in range(x.size):
                v = x[i]
                negative = expm1_to_single(np.float64(v * c)) * np.float64(a)
                out[i] = v * b if v >= 0 else negative
        else:
            for i in range(x.size):
                v = x[i]
                out[i] = v * b if v >= 0 else math.expm1(v * c) * a
    elif code == LOG_SIGMOID:
        # min(x, 0) - log1p(e^-|x|), NaN from the log1p term; float32 in float32, sixteen
        # wide, as softplus (`exp32`'s exp and log1p)
        if single:
            for i in range(x.size):
                v = x[i]
                low = v if v < a else a
                out[i] = low - log1p_unit(exp_shifted(-abs(v), ZERO32))
        else:
            for i in range(x.size):
                v = x[i]
                low = v if v < a else a
                out[i] = low - math.log1p(math.exp(-abs(v)))
    elif code == SOFTSIGN:
        for i in range(x.size):
            v = x[i]
            out[i] = v / (abs(v) + a)
    elif code == TANHSHRINK:
        for i in range(x.size):
            v = x[i]
            # tanh rounded once to the dtype, then subtracted in it, as torch's
            # x - x.tanh() (the difference keeps tanh's last bit: it cancels)
            out[i] = _tanh(np.float64(v)) if single else math.tanh(v)
            out[i] = v - out[i]
    elif code == HARDSHRINK:
        zero = x.dtype.type(0)
        for i in range(x.size):
            v = x[i]
            # torch's comparisons: NaN (and everything for a NaN lambd) passes through
            out[i] = zero if (v >= -a) & (v <= a) else v
    elif code == SOFTSHRINK:
        zero = x.dtype.type(0)
        for i in range(x.size):
            v = x[i]
            # inside the band +0, as torch's vectorised loop (its scalar tail gives v * 0,
            # a signed zero); NaN stays NaN
            out[i] = v - a if v > a else (v + a if v < -a else (zero if v == v else v))
    else:
        for i in range(x.size):
            v = x[i]
            out[i] = b if v <= a else v


@njit(error_model="numpy", fastmath={"contract"})
def _softplus_single(x, out, beta, threshold):
    """float32 softplus in float32, sixteen lanes wide: log1p(e^z) = max(z, 0) +
    log1p(e^-|z|), exp's argument <= 0 (`exp32`'s exp and log1p, each within 2 ulp),
    twice as wide as a float64 evaluation (`python -m fastnn bench --only softplus`).
    (Typed for float64 too, never run on it.)"""
    for i in range(x.size):
        v = x[i]
        z = v * beta
        top = z if z > ZERO32 else ZERO32
        r = (top + log1p_unit(exp_shifted(-abs(z), ZERO32))) / beta
        out[i] = v if z > threshold else r


@njit(parallel=True, cache=True)
def prelu(x, weight, out):
    """out[n, c, k] = x if x > 0 else weight[c] * x, on (N, C, inner) arrays."""
    batch, channels, inner = x.shape
    for t in prange(batch * channels):
        n = t // channels
        c = t % channels
        w = weight[c]
        for k in range(inner):
            v = x[n, c, k]
            out[n, c, k] = v if v > 0 else w * v
