"""Loss kernels: the element-wise losses fused with their reduction, and the negative
log-likelihood / cross entropy rows of an ``(N, C, inner)`` input.

The callers pass float64 arrays (one compiled specialization per kernel) and round each
result once into the output's dtype, so float32 results sit within an ulp or two of
torch's float32 arithmetic and float64 results follow torch's formulas term for term.
A reduced loss is summed per chunk into ``partial``; the caller adds the chunks: the
kernel never allocates.
"""
import math

from numba import prange

from ._target import njit

MSE, L1, SMOOTH_L1, HUBER, BCE, BCE_LOGITS, KL_DIV, KL_DIV_LOG = range(8)


@njit(cache=True)
def _pointwise(kind, x, y, param):
    if kind == MSE:
        d = x - y
        return d * d
    if kind == L1:
        return abs(x - y)
    if kind == SMOOTH_L1:                       # param: beta > 0
        z = abs(x - y)
        return 0.5 * z * z / param if z < param else z - 0.5 * param
    if kind == HUBER:                           # param: delta > 0
        z = abs(x - y)
        return 0.5 * z * z if z < param else param * (z - 0.5 * param)
    if kind == BCE:                             # torch clamps each log at -100
        log_x = max(math.log(x), -100.0)
        log_1mx = max(math.log1p(-x), -100.0)
        return (y - 1.0) * log_1mx - y * log_x
    if kind == KL_DIV:                          # xlogy(y, y) - y * x
        if math.isnan(y):
            return y
        return (0.0 if y == 0.0 else y * math.log(y)) - y * x
    # KL_DIV_LOG
    return math.exp(y) * (y - x)


@njit(cache=True)
def _logits(x, y, pos_weight, pos_weighted):
    """binary_cross_entropy_with_logits as torch composes it:
    (1 - y) * x - log_sigmoid(x) * ((pos_weight - 1) * y + 1), the factor only with a
    pos_weight (an infinite y would make it NaN)."""
    log_sigmoid = min(x, 0.0) - math.log1p(math.exp(-abs(x)))
    if pos_weighted:
        log_sigmoid = log_sigmoid * ((pos_weight - 1.0) * y + 1.0)
    return (1.0 - y) * x - log_sigmoid


@njit(cache=True)
def _element(kind, x, y, w, pw, param, i, weighted, pos_weighted):
    if kind == BCE_LOGITS:
        loss = _logits(float(x[i]), float(y[i]), float(pw[i]) if pos_weighted else 1.0,
                       pos_weighted)
    else:
        loss = _pointwise(kind, float(x[i]), float(y[i]), param)
    if weighted:
        loss = loss * w[i]
    return loss


@njit(parallel=True, cache=True)
def pointwise_loss(kind, x, y, w, pw, param, out, partial):
    """Loss `kind` of flat equal-length `x`, `y` (times `w`, with BCE_LOGITS' `pw`, where
    those have x's length; size 0: absent). `partial` of size 0: each loss into `out`;
    otherwise ``partial[c]`` = the sum of chunk c's losses (float64)."""
    n = x.size
    weighted = w.size == n and n > 0
    pos_weighted = pw.size == n and n > 0
    chunks = partial.size
    if chunks == 0:
        for i in prange(n):
            out[i] = _element(kind, x, y, w, pw, param, i, weighted, pos_weighted)
        return
    step = (n + chunks - 1) // chunks
    for c in prange(chunks):
        acc = 0.0
        for i in range(c * step, min(n, (c + 1) * step)):
            acc += _element(kind, x, y, w, pw, param, i, weighted, pos_weighted)
        partial[c] = acc


@njit(parallel=True, cache=True)
def nll_rows(x, target, weight, ignore_index, log_softmax, smooth, loss, picked_weight,
             smooth_loss):
    """Per position (n, j) of ``x`` (N, C, inner) with class ``target[n, j]``:

    loss[n, j]          = -weight[t] * lp[n, t, j]   (0 where t == ignore_index)
    picked_weight[n, j] = weight[t]                  (0 where ignored)
    smooth_loss[n, j]   = -sum_c weight[c] * lp[n, c, j]   (when `smooth`; 0 where ignored)

    with lp = log_softmax(x) over C when `log_softmax`, else x itself (nll_loss). `weight`
    of size 0 means all ones. Targets are in [0, C) or ignored (the caller checked)."""
    N, C, inner = x.shape
    weighted = weight.size > 0
    for m in prange(N * inner):
        n = m // inner
        j = m - n * inner
        t = target[n, j]
        if t == ignore_index:
            loss[n, j] = 0.0
            picked_weight[n, j] = 0.0
            if smooth:
                smooth_loss[n, j] = 0.0
            continue
        shift = 0.0
        if log_softmax:
            top = -math.inf
            for c in range(C):
                v = float(x[n, c, j])
                if v > top or math.isnan(v):
                    top = v
                    if math.isnan(v):
                        break
            total = 0.0
            for c in range(C):
                total += math.exp(float(x[n, c, j]) - top)
            shift = top + math.log(total)     # NaN when top is +-inf, as torch's
        w_t = float(weight[t]) if weighted else 1.0
        loss[n, j] = -w_t * (float(x[n, t, j]) - shift)
        picked_weight[n, j] = w_t
        if smooth:
            acc = 0.0
            for c in range(C):
                w_c = float(weight[c]) if weighted else 1.0
                acc += w_c * (float(x[n, c, j]) - shift)
            smooth_loss[n, j] = -acc


@njit(parallel=True, cache=True)
def soft_cross_entropy_rows(x, target, weight, smoothing, loss):
    """Cross entropy with class probabilities: loss[n, j] = -sum_c weight[c] * lp[n, c, j]
    * (target[n, c, j] * (1 - smoothing) + smoothing / C), lp = log_softmax(x) over C."""
    N, C, inner = x.shape
    weighted = weight.size > 0
    for m in prange(N * inner):
        n = m // inner
        j = m - n * inner
        top = -math.inf
        for c in range(C):
            v = float(x[n, c, j])
            if v > top or math.isnan(v):
                top = v
                if math.isnan(v):
                    break
        total = 0.0
        for c in range(C):
            total += math.exp(float(x[n, c, j]) - top)
        shift = top + math.log(total)
        acc = 0.0
        for c in range(C):
            p = float(target[n, c, j])
            if smoothing > 0.0:
                p = p * (1.0 - smoothing) + smoothing / C
            w_c = float(weight[c]) if weighted else 1.0
            acc += (float(x[n, c, j]) - shift) * p * w_c
        loss[n, j] = -acc
