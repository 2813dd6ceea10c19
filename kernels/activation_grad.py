"""Backward kernels of the activations, softmax and prelu.

The element-wise gradients share two kernels selected by an op code (as the forward's
`activation.pointwise`), so a cold run compiles each once per dtype. Each code follows
torch's backward formula and its subgradient at the kinks (aten/src/ATen/native/cpu/
Activation.cpp and friends): where torch's vectorised kernel picks a branch with a
comparison, the same comparison picks it here, so NaN and +-inf give torch's answers.
`s` is the saved tensor the formula reads: the input, or the output for the codes marked
"from y".

Arrays are flat and C-contiguous; `out` may be `grad` itself.
"""
import math

import numpy as np
from numba import prange

from ._target import njit
from .exp32 import (HALF32, INV_SQRT_2PI32, ONE32, REDUCE_MATH, SQRT_HALF32, ZERO32,
                    chunk_bounds, chunk_count, erf_as_torch, exp_shifted)
from .vecmath import is_single

# piecewise_backward: arithmetic in the dtype
THRESHOLD = 0      # a = threshold: relu (from x or y), threshold
# BAND: c * grad strictly inside (a, b), else 0: hardtanh, relu6 (c = 1), hardsigmoid
# (-3, 3) or from y (0, 1), c = torch's float 1/6
BAND = 1
LEAKY = 2          # a = slope (from x, or from y for slope >= 0)
# ELU_RESULT: from y, the in-place elu/selu/celu: a = negcoef, b = poscoef, c = negiptcoef
ELU_RESULT = 3
SIGMOID = 4        # from y
TANH = 5           # from y
HARDSWISH = 6
SHRINK = 7         # a = lambd: grad strictly outside [-a, a] (hardshrink, softshrink)

# smooth_backward: transcendental steps in float64, the code tested per element
ELU = 0            # a = negcoef, b = poscoef, c = negiptcoef (elu, selu, celu)
GELU_ERF = 1
GELU_TANH = 2
SILU = 3
MISH = 4
SOFTPLUS = 5       # a = beta, b = threshold
SOFTSIGN = 6
LOG_SIGMOID = 7
TANHSHRINK = 8

_SQRT_HALF = 0.7071067811865476        # 1 / sqrt(2)
_INV_SQRT_2PI = 0.3989422804014327     # 1 / sqrt(2 pi)
_SQRT_2_OVER_PI = 0.7978845608028654   # sqrt(2 / pi)
_GELU_CUBIC = 0.044715


@njit(inline="always")
def _sigmoid(w):
    return 1.0 / (1.0 + math.exp(-w))


@njit(parallel=True, cache=True)
def piecewise_backward(s, grad, out, code, a, b, c):
    """out = grad * f'(.) for the piecewise activation `code` (parameters a, b, c in s's
    dtype, arithmetic in it as torch's). THRESHOLD (relu) and BAND (relu6, hardtanh:
    MobileNet's) have loops of their own, which vectorise; the other codes share one (a
    loop per code compiled about twice as long)."""
    n = s.size
    zero = s.dtype.type(0)
    if code == THRESHOLD:
        for i in prange(n):
            out[i] = zero if s[i] <= a else grad[i]
        return
    if code == BAND:
        for i in prange(n):
            v = s[i]
            # `&`, not `and`: the short-circuit branch made this loop many times slower
            out[i] = grad[i] * c if (v > a) & (v < b) else zero
        return
    for i in prange(n):
        v = s[i]
        g = grad[i]
        if code == LEAKY:
            r = g if v > 0 else g * a
        elif code == ELU_RESULT:
            r = g * b if v > 0 else g * c * (v + a)
        elif code == SIGMOID:
            r = g * (1 - v) * v
        elif code == TANH:
            # 1 - y^2 as torch's fused multiply-subtract gets it: (1 - y)(1 + y) stays
            # accurate where y is near +-1 (1 - y*y would cancel its rounding)
            w = np.float64(v)
            r = np.float64(g) * ((1.0 - w) * (1.0 + w))
        elif code == SHRINK:
            # as torch's vectorised loop: NaN (or a NaN lambd) stops the gradient (its
            # scalar tail lets it pass)
            r = g if (v < -a) | (v > a) else zero
        elif v <= -3:       # HARDSWISH
            r = zero
        elif v >= 3:
            r = g
        else:
            r = g * (v / 3 + 0.5)
        out[i] = r


@njit(parallel=True, cache=True)
def smooth_backward(s, grad, out, code, a, b, c):
    """out = grad * f'(s) for the smooth activation `code`, evaluated in float64 and
    rounded once (parameters a, b, c in s's dtype)."""
    n = s.size
    for k in prange(chunk_count(n)):
        lo, hi = chunk_bounds(k, n)
        _smooth_segment(s[lo:hi], grad[lo:hi], out[lo:hi], code, a, b, c)


@njit(error_model="numpy", fastmath={"contract"})
def _smooth_segment(s, grad, out, code, a, b, c):
    """`smooth_backward` on a chunk. float32 gelu has a loop of its own, in float32 as
    torch's vectorised kernel, which vectorises: its erf as torch's (Abramowitz and Stegun
    7.1.26), exp as `exp32`'s (the loop is typed for float64 too, never run); the other
    codes run `_smooth_one` per element."""
    if code == GELU_ERF and is_single(s):
        for i in range(s.size):
            w = s[i]
            cdf = HALF32 * (ONE32 + erf_as_torch(w * SQRT_HALF32))
            pdf = exp_shifted(-HALF32 * w * w, ZERO32) * INV_SQRT_2PI32
            out[i] = grad[i] * (cdf + w * pdf)
        return
    for i in range(s.size):
        out[i] = _smooth_one(code, s[i], grad[i], a, b, c)


@njit(inline="always")
def _smooth_one(code, v, gv, a, b, c):
    """grad * f'(v) of one element, in float64."""
    w = np.float64(v)
    g = np.float64(gv)
    if code == ELU:
        if v > 0:
            r = g * np.float64(b)
        else:
            r = g * np.float64(c) * np.float64(a) * math.exp(w * np.float64(c))
    elif code == GELU_ERF:
        cdf = 0.5 * (1.0 + math.erf(w * _SQRT_HALF))
        pdf = math.exp(-0.5 * w * w) * _INV_SQRT_2PI
        r = g * (cdf + w * pdf)
    elif code == GELU_TANH:
        inner = _SQRT_2_OVER_PI * (w + _GELU_CUBIC * w * w * w)
        t = math.tanh(inner)
        left = 0.5 * w
        right = 1.0 + t
        dright = left * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * w * w)
        r = g * (0.5 * right + dright)
    elif code == SILU:
        sg = _sigmoid(w)
        r = g * sg * (1.0 + w * (1.0 - sg))
    elif code == MISH:
        sg = _sigmoid(w)
        t = math.tanh(math.log1p(math.exp(w)))
        r = g * (t + w * sg * (1.0 - t * t))
    elif code == SOFTPLUS:
        z = w * np.float64(a)
        if z > np.float64(b):
            r = g
        else:
            e = math.exp(z)
            r = g * e / (e + 1.0)
    elif code == SOFTSIGN:
        # torch's composite x / (1 + |x|): the quotient's two terms, |x|' = sgn(x)
        d = 1.0 + abs(w)
        sgn = 1.0 if w > 0 else -1.0 if w < 0 else 0.0 if w == 0 else w
        r = g / d + (-g * w / (d * d)) * sgn
    elif code == LOG_SIGMOID:
        negative = w < 0
        e = math.exp(-abs(w))
        r = g * ((1.0 if negative else 0.0) - (1.0 if negative else -1.0) * (e / (1.0 + e)))
    else:   # TANHSHRINK: x - tanh(x)
        t = math.tanh(w)
        r = g - g * (1.0 - t * t)
    return r


@njit(parallel=True, cache=True, fastmath=REDUCE_MATH)
def softmax_backward(y, grad, out, log, block):
    """Gradient of softmax (log_softmax when `log`) over the middle axis of (outer, n,
    inner) from its output y: y (g - sum(g y)), or g - exp(y) sum(g); sums in float64.
    `block` inner positions are handled together (contiguous innermost loops). The sums
    are reassociated (`REDUCE_MATH`), so that they vectorise."""
    outer, n, inner = y.shape
    nblocks = (inner + block - 1) // block
    for t in prange(outer * nblocks):
        o = t // nblocks
        j0 = (t % nblocks) * block
        j1 = min(j0 + block, inner)
        w = j1 - j0
        total = np.zeros(w)
        for k in range(n):
            for j in range(w):
                gv = np.float64(grad[o, k, j0 + j])
                total[j] += gv if log else gv * np.float64(y[o, k, j0 + j])
        for k in range(n):
            for j in range(w):
                yv = np.float64(y[o, k, j0 + j])
                gv = np.float64(grad[o, k, j0 + j])
                if log:
                    out[o, k, j0 + j] = gv - math.exp(yv) * total[j]
                else:
                    out[o, k, j0 + j] = yv * (gv - total[j])


@njit(parallel=True, cache=True, fastmath=REDUCE_MATH)
def softmax_rows_backward(y, grad, out, log):
    """softmax_backward of (rows, n) arrays, the reduced axis innermost; its row sums,
    reassociated, vectorise (in order, each add waited for the previous one: about three
    times slower)."""
    rows, n = y.shape
    for r in prange(rows):
        total = 0.0
        for j in range(n):
            gv = np.float64(grad[r, j])
            total += gv if log else gv * np.float64(y[r, j])
        for j in range(n):
            gv = np.float64(grad[r, j])
            yv = np.float64(y[r, j])
            if log:
                out[r, j] = gv - math.exp(yv) * total
            else:
                out[r, j] = yv * (gv - total)


@njit(parallel=True, cache=True)
def prelu_backward(x, weight, grad, grad_input, weight_partial):
    """On (N, C, inner) arrays: grad_input = grad where x > 0, else weight[c] * grad;
    weight_partial[n, c] = sum over inner of x * grad where x <= 0 (float64; size 0: the
    weight needs no gradient)."""
    batch, channels, inner = x.shape
    want_weight = weight_partial.size > 0
    for t in prange(batch * channels):
        n = t // channels
        ch = t % channels
        wc = weight[ch]
        acc = 0.0
        for k in range(inner):
            v = x[n, ch, k]
            g = grad[n, ch, k]
            if v > 0:
                grad_input[n, ch, k] = g
            else:
                grad_input[n, ch, k] = wc * g
                if want_weight:
                    acc += np.float64(v) * np.float64(g)
        if want_weight:
            weight_partial[n, ch] = acc
