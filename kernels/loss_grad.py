"""Backward kernels of the losses: the element-wise losses (the kinds of `loss`) and the
negative log-likelihood / cross entropy rows of an ``(N, C, inner)`` input.

As the forward kernels, they take float64 arrays (one compiled specialization each) and
the callers round each gradient once into its input's dtype. The formulas are torch's
backward formulas (aten/src/ATen/native/Loss.cpp, BinaryOps and the composites' chain
rule), the kinks included: smooth_l1 and huber take the quadratic branch at |x - y| ==
beta, l1's sign is 0 at x == y, binary cross entropy divides by max(x (1 - x), 1e-12).
"""
import math

from numba import prange

from ._target import njit
from .loss import (BCE, BCE_LOGITS, HUBER, KL_DIV, KL_DIV_LOG, L1, MSE, SMOOTH_L1,
                   _logits, _pointwise)

# torch's binary_cross_entropy_backward clamps x (1 - x) at its EPSILON 1e-12 as a float32
_BCE_EPSILON = 9.999999960041972e-13


@njit(cache=True)
def _log_sigmoid(x):
    return min(x, 0.0) - math.log1p(math.exp(-abs(x)))


@njit(cache=True)
def _input_grad(kind, x, y, pw, pos_weighted, param):
    """d loss / d x of one element (unweighted, unscaled)."""
    d = x - y
    if kind == MSE:
        return 2.0 * d
    if kind == L1:
        return 1.0 if d > 0 else -1.0 if d < 0 else 0.0 if d == 0 else d
    if kind == SMOOTH_L1:
        if d < -param:
            return -1.0
        if d > param:
            return 1.0
        return d / param
    if kind == HUBER:
        if d < -param:
            return -param
        if d > param:
            return param
        return d
    if kind == BCE:
        return d / max((1.0 - x) * x, _BCE_EPSILON)
    if kind == BCE_LOGITS:
        s = 1.0 / (1.0 + math.exp(-x))
        if pos_weighted:
            t = pw * y
            return (t + 1.0 - y) * s - t
        return s - y
    if kind == KL_DIV:
        return -y
    return -math.exp(y)                     # KL_DIV_LOG


@njit(cache=True)
def _target_grad(kind, x, y, pw, pos_weighted, param):
    """d loss / d y of one element (unweighted, unscaled)."""
    if kind == SMOOTH_L1 or kind == HUBER:
        # torch differentiates the target with the input's formula, arguments swapped
        return _input_grad(kind, y, x, pw, pos_weighted, param)
    if kind == L1 or kind == MSE:
        return -_input_grad(kind, x, y, pw, pos_weighted, param)
    if kind == BCE:
        # -logit(x) = -log(x / (1 - x)), without the division (Numba's raises at x == 1)
        return math.log1p(-x) - math.log(x)
    if kind == BCE_LOGITS:
        if pos_weighted:
            return _log_sigmoid(-x) - _log_sigmoid(x) * pw
        return -x
    if kind == KL_DIV:
        # xlogy(y, y) - y x: d xlogy(y, y) = xlogy(y != 0, y) + y / y (NaN at y == 0)
        if y == 0.0:
            return math.nan
        return math.log(y) + y / y - x
    e = math.exp(y)                         # KL_DIV_LOG: e^y (y - x)
    return e * (y - x) + e


@njit(parallel=True, cache=True)
def pointwise_loss_backward(kind, x, y, w, pw, param, grad, scale, shift, gx, gy, gw):
    """Gradients of loss `kind` of flat equal-length `x`, `y` (times `w` where it has x's
    length, BCE_LOGITS' `pw` likewise; size 0: absent). The output's gradient at element i
    is ``grad[i] * scale`` (``grad`` of size 1: the same for every element, a reduced
    loss). gx, gy, gw (size 0: not wanted) get the gradients of x, y, w; gw[i] is
    ``(loss_i - shift) * grad * scale`` (`shift`: the weighted mean's own value, 0 else)."""
    n = x.size
    weighted = w.size == n and n > 0
    pos_weighted = pw.size == n and n > 0
    each = grad.size == n and n != 1
    want_x, want_y, want_w = gx.size > 0, gy.size > 0, gw.size > 0
    for i in prange(n):
        xi = x[i]
        yi = y[i]
        pwi = pw[i] if pos_weighted else 1.0
        g = (grad[i] if each else grad[0]) * scale
        gl = g * w[i] if weighted else g
        if want_x:
            gx[i] = _input_grad(kind, xi, yi, pwi, pos_weighted, param) * gl
        if want_y:
            gy[i] = _target_grad(kind, xi, yi, pwi, pos_weighted, param) * gl
        if want_w:
            if kind == BCE_LOGITS:
                loss = _logits(xi, yi, pwi, pos_weighted)
            else:
                loss = _pointwise(kind, xi, yi, param)
            gw[i] = (loss - shift) * g


@njit(parallel=True, cache=True)
def nll_rows_backward(x, target, weight, ignore_index, log_softmax, scale, smooth_scale,
                      grad, grad_input):
    """grad_input (N, C, inner) of nll_loss (x: log-probabilities) or cross entropy (x:
    logits, `log_softmax`) with class `target[n, j]`, position (n, j)'s output gradient
    ``grad[n, j]`` (size 1: the same everywhere). d loss / d lp[c] is
    ``-(scale * w_t [c == t] + smooth_scale * w_c)`` times it, 0 where t is ignored, then
    through log_softmax: d - softmax * sum(d)."""
    N, C, inner = x.shape
    weighted = weight.size > 0
    each = grad.size > 1
    for m in prange(N * inner):
        n = m // inner
        j = m - n * inner
        t = target[n, j]
        g = grad[n * inner + j] if each else grad[0]
        if t == ignore_index:
            for c in range(C):
                grad_input[n, c, j] = 0.0
            continue
        total = 0.0
        for c in range(C):
            w_c = float(weight[c]) if weighted else 1.0
            d = -smooth_scale * w_c
            if c == t:
                d -= scale * w_c
            d *= g
            grad_input[n, c, j] = d
            total += d
        if log_softmax:
            top = -math.inf
            for c in range(C):
                v = float(x[n, c, j])
                if v > top or math.isnan(v):
                    top = v
                    if math.isnan(v):
                        break
            norm = 0.0
            for c in range(C):
                norm += math.exp(float(x[n, c, j]) - top)
            shift = top + math.log(norm)
            for c in range(C):
                grad_input[n, c, j] -= math.exp(float(x[n, c, j]) - shift) * total


@njit(parallel=True, cache=True)
def soft_cross_entropy_backward(x, target, weight, smoothing, scale, grad, grad_input,
                                grad_target):
    """Gradients of cross entropy with class probabilities (see
    loss.soft_cross_entropy_rows): position (n, j)'s output gradient ``grad[n, j] * scale``
    (size 1: the same everywhere); grad_input through log_softmax, grad_target (size 0:
    not wanted) = -w_c lp_c (1 - smoothing) times it."""
    N, C, inner = x.shape
    weighted = weight.size > 0
    each = grad.size > 1
    want_target = grad_target.size > 0
    for m in prange(N * inner):
        n = m // inner
        j = m - n * inner
        g = (grad[n * inner + j] if each else grad[0]) * scale
        top = -math.inf
        for c in range(C):
            v = float(x[n, c, j])
            if v > top or math.isnan(v):
                top = v
                if math.isnan(v):
                    break
        norm = 0.0
        for c in range(C):
            norm += math.exp(float(x[n, c, j]) - top)
        shift = top + math.log(norm)
        total = 0.0
        for c in range(C):
            p = float(target[n, c, j])
            if smoothing > 0.0:
                p = p * (1.0 - smoothing) + smoothing / C
            w_c = float(weight[c]) if weighted else 1.0
            d = -p * w_c * g
            grad_input[n, c, j] = d
            total += d
            if want_target:
                grad_target[n, c, j] = -(float(x[n, c, j]) - shift) * w_c * (1.0 - smoothing) * g
        for c in range(C):
            grad_input[n, c, j] -= math.exp(float(x[n, c, j]) - shift) * total
