"""Kernels of the smooth and thresholded activations (mish, selu/celu, softplus,
logsigmoid, softsign, tanhshrink, threshold) and of prelu.

Unlike `elementwise.elu`/`gelu_erf`, most of these compute in the array's own dtype, step
by step as torch's kernels do, so the rounding of each step (exp, log1p) and the underflow
of float32 intermediates follow torch's (softplus of large negative x is a float32
denormal whose digits depend on it). mish is the exception: see its branch.

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


@njit(parallel=True, cache=True)
def pointwise(x, out, code, a, b, c):
    """out = f(x) for the activation `code` with parameters a, b, c (torch's formulas,
    as aten/src/ATen/native/cpu/Activation.cpp writes them)."""
    for i in prange(x.size):
        v = x[i]
        if code == MISH:
            # x tanh(log1p(e^x)) = x n / (n + 2) with n = e^x (e^x + 2): one exp instead of
            # exp, log1p and tanh (several times faster), in float64 so that float32
            # rounds once; beyond 20, tanh(softplus(x)) is 1 in float64
            w = np.float64(v)
            if w > 20.0:
                r = v
            else:
                e = math.exp(w)
                n = e * (e + 2.0)
                r = w * n / (n + 2.0)
        elif code == ELU:
            # +-0 take the linear branch (stays +-0 for an infinite or NaN alpha, as torch's)
            r = v * b if v >= 0 else math.expm1(v * c) * a
        elif code == SOFTPLUS:
            z = v * a
            r = v if z > b else math.log1p(math.exp(z)) / a
        elif code == LOG_SIGMOID:
            low = v if v < a else a              # min(x, 0); NaN from the log1p term
            r = low - math.log1p(math.exp(-abs(v)))
        elif code == SOFTSIGN:
            r = v / (abs(v) + a)
        elif code == TANHSHRINK:
            # tanh rounded once to the dtype, then subtracted in it, as torch's
            # x - x.tanh(): float32 tanhf is 1 ulp off torch's tanh far more often than
            # the rounded double (the difference keeps the ulp: it cancels)
            out[i] = math.tanh(np.float64(v))
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
