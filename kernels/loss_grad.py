"""Backward kernel of the element-wise losses (the kinds of `loss`).

As the forward kernels, it takes float64 arrays (one compiled specialization) and the
caller rounds each gradient once into its input's dtype. The formulas are torch's
backward formulas (aten/src/ATen/native/Loss.cpp, BinaryOps and the composites' chain
rule), the kinks included: smooth_l1 and huber take the quadratic branch at |x - y| ==
beta, l1's sign is 0 at x == y, binary cross entropy divides by max(x (1 - x), 1e-12).
"""
import math

from numba import prange

from ._target import njit
from .loss import BCE, BCE_LOGITS, HUBER, KL_DIV, L1, MSE, SMOOTH_L1, _logits, _pointwise

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
