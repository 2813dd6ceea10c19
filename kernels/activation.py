"""Kernels of the smooth and thresholded activations (mish, selu/celu, softplus,
logsigmoid, softsign, tanhshrink, threshold) and of prelu.

The steps follow torch's formulas; float32 input evaluates the transcendental steps in
float64 (see `pointwise`), so a float32 result can differ from torch's by its rounding
(and where torch's float32 exp underflows to a denormal, by that denormal's few digits).

The element-wise ops share one kernel selected by an op code, so a cold run compiles it
once per dtype instead of once per op and dtype; the code is loop-invariant.
Scalar parameters arrive already cast to the array's dtype. Arrays are flat and
C-contiguous; `out` may be `x` itself (in place).
"""
import math

import numpy as np
from numba import prange

from ._target import njit

MISH = 0
ELU = 1            # a = negcoef, b = poscoef, c = negiptcoef (selu, celu)
SOFTPLUS = 2       # a = beta, b = threshold
LOG_SIGMOID = 3    # a = 0
SOFTSIGN = 4       # a = 1
TANHSHRINK = 5
THRESHOLD = 6      # a = threshold, b = value


@njit(inline="always")
def _expm1(w):
    """expm1 of a float64 from one exp: the absolute error of exp(w) - 1 (~1e-16) is
    within 1e-10 of the result for |w| >= 1e-5, and the series below is exact there.
    Accurate for rounding to float32 only (float64 input keeps math.expm1)."""
    if abs(w) < 1e-5:
        return w + w * w * 0.5
    return math.exp(w) - 1.0


@njit(inline="always")
def _log1p(e):
    """log1p of a float64 e >= 0 from one log, accurate for rounding to float32 as
    `_expm1` is."""
    if e < 1e-5:
        return e - e * e * 0.5
    return math.log(1.0 + e)


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

    float32 input: exp, log1p, tanh and expm1 are evaluated in float64 through one exp or
    log each (`_expm1`, `_log1p`, `_tanh`): several times faster than the libm's float32
    log1p/tanh/expm1 (which Numba computes in float64 anyway) and within 1e-6 of torch's
    float32 kernels. float64 input calls the float64 libm functions.
    """
    single = x.itemsize == 4
    for i in prange(x.size):
        v = x[i]
        if code == MISH:
            # x tanh(log1p(e^x)) = x n / (n + 2) with n = e^x (e^x + 2): one exp instead of
            # exp, log1p and tanh, in float64 so that float32 rounds once; beyond 20,
            # tanh(softplus(x)) is 1 in float64
            w = np.float64(v)
            if w > 20.0:
                r = v
            else:
                e = math.exp(w)
                n = e * (e + 2.0)
                r = w * n / (n + 2.0)
        elif code == ELU:
            # +-0 take the linear branch (stays +-0 for an infinite or NaN alpha, as torch's)
            if v >= 0:
                r = v * b
            elif single:
                r = _expm1(np.float64(v * c)) * np.float64(a)
            else:
                r = math.expm1(v * c) * a
        elif code == SOFTPLUS:
            z = v * a
            if z > b:
                r = v
            elif single:
                r = _log1p(math.exp(np.float64(z))) / np.float64(a)
            else:
                r = math.log1p(math.exp(z)) / a
        elif code == LOG_SIGMOID:
            low = v if v < a else a              # min(x, 0); NaN from the log1p term
            if single:
                r = np.float64(low) - _log1p(math.exp(-abs(np.float64(v))))
            else:
                r = low - math.log1p(math.exp(-abs(v)))
        elif code == SOFTSIGN:
            r = v / (abs(v) + a)
        elif code == TANHSHRINK:
            # tanh rounded once to the dtype, then subtracted in it, as torch's
            # x - x.tanh() (the difference keeps tanh's last bit: it cancels)
            out[i] = _tanh(np.float64(v)) if single else math.tanh(v)
            r = v - out[i]
        else:
            r = b if v <= a else v
        out[i] = r


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
