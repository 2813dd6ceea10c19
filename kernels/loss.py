"""Loss kernels: the element-wise losses fused with their reduction, and the negative
log-likelihood / cross entropy rows of an ``(N, C, inner)`` input.

The element-wise losses take the arrays in their (common) dtype and compute in float64,
rounding each result once into the output's dtype, so float32 results sit within an ulp
or two of torch's float32 arithmetic and float64 results follow torch's formulas term
for term (float32 logits take their exp and log1p in float32, `exp32.exp_nonpositive` and
`exp32.log1p_unit`, which vectorise sixteen wide). A reduced loss is summed per chunk into
``partial``; the caller adds the chunks: the kernel never allocates its outputs. A
reduced mse or l1 without weights is one loop (`_difference_sum`) whose terms are torch's,
in the input's dtype.

The cross entropy rows take their maximum with `maxnum` and sum float32 exps in float32
chunks of _SUM_CHUNK (then in float64), so that both loops vectorise.
"""
import math

import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from ._target import njit
from .exp32 import exp_nonpositive, exp_shifted
from .exp32 import log1p_unit as log1p_unit32
from .vecmath import _bits, _from_bits, divide, is_single, log1p_unit

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
    return _logits_from(x, y, math.log1p(math.exp(-abs(x))), pos_weight, pos_weighted)


@njit(inline="always")
def _logits_from(x, y, softplus, pos_weight, pos_weighted):
    """`_logits` given softplus = log1p(exp(-|x|))."""
    log_sigmoid = min(x, 0.0) - softplus
    if pos_weighted:
        log_sigmoid = log_sigmoid * ((pos_weight - 1.0) * y + 1.0)
    return (1.0 - y) * x - log_sigmoid


# fastmath without nnan/ninf: sums may be reassociated (vectorised) while NaN and inf
# propagate as in torch
_REDUCE_MATH = {"contract", "reassoc", "nsz", "arcp"}


@intrinsic
def maxnum(typingctx, a, b):
    """The larger of two floats of one type, a NaN skipped (LLVM's maxnum): a loop's
    maximum written with it vectorises where one written as a select stays scalar."""
    if a != b or not isinstance(a, types.Float):
        return None

    def codegen(context, builder, signature, args):
        ty = context.get_value_type(signature.args[0])
        fn = builder.module.declare_intrinsic("llvm.maxnum", [ty], ir.FunctionType(ty, [ty, ty]))
        return builder.call(fn, args)
    return a(a, b), codegen


_LN2 = 0.6931471805599453
_MANTISSA = (1 << 52) - 1
_EXPONENT_ONE = 1023 << 52


@njit(inline="always")
def log_from_one(u):
    """log(u) of a float64 u >= 1 (NaN for NaN) below 1e-10 relative, as plain arithmetic
    that vectorises: the exponent's multiple of ln 2 plus `log1p_unit` of the mantissa."""
    bits = _bits(u)
    mantissa = _from_bits((bits & _MANTISSA) | _EXPONENT_ONE)         # in [1, 2)
    result = np.float64((bits >> 52) - 1023) * _LN2 + log1p_unit(mantissa - 1.0)
    return result if u == u else u


# elements per task of `pointwise_loss`, and per block of its float64 scratch
_CHUNK = 1 << 13
_BLOCK = 512


@njit(parallel=True, cache=True)
def pointwise_loss(kind, x, y, w, pw, param, out, partial):
    """Loss `kind` of flat equal-length `x`, `y` of one dtype (times `w`, with BCE_LOGITS'
    `pw`, where those have x's length; size 0: absent), computed in float64. `partial` of
    size 0: each loss into `out`; otherwise ``partial[c]`` = the sum of the losses of
    chunk c, of `loss_chunks(n)`, in float64."""
    n = x.size
    reduce = partial.size > 0
    plain = reduce and w.size == 0 and (kind == MSE or kind == L1)
    for c in prange((n + _CHUNK - 1) // _CHUNK):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        if plain:
            partial[c] = _difference_sum(kind, x[lo:hi], y[lo:hi])
            continue
        buf = np.empty(_BLOCK)
        scratch = np.empty(_BLOCK, x.dtype)
        acc = 0.0
        for start in range(lo, hi, _BLOCK):
            stop = min(hi, start + _BLOCK)
            # slices, so that the loops index from 0: Numba then knows an index is not
            # negative, and drops the wraparound test that keeps a loop scalar
            losses = buf[:stop - start]
            _losses(kind, x[start:stop], y[start:stop], pw[start:stop], param, losses,
                    scratch[:stop - start])
            acc += _finish(losses, w[start:stop], out[start:stop], reduce)
        if reduce:
            partial[c] = acc


@njit(fastmath=_REDUCE_MATH)
def _difference_sum(kind, x, y):
    """The sum of MSE or L1 losses of `x`, `y`, in one loop without `_losses`' scratch
    (which took twice its time): each term in x's dtype, as torch computes it (float32:
    sixteen wide), summed in chunks of _SUM_CHUNK in that dtype, the chunks in float64."""
    acc = 0.0
    for lo in range(0, x.size, _SUM_CHUNK):
        xs, ys = x[lo:lo + _SUM_CHUNK], y[lo:lo + _SUM_CHUNK]
        part = x.dtype.type(0.0)
        if kind == MSE:
            for i in range(xs.size):
                d = xs[i] - ys[i]
                part += d * d
        else:
            for i in range(xs.size):
                part += abs(xs[i] - ys[i])
        acc += part
    return acc


def loss_chunks(n):
    """The size of `pointwise_loss`'s `partial` for n elements."""
    return max(1, (n + _CHUNK - 1) // _CHUNK)


@njit(error_model="numpy")
def _losses(kind, x, y, pw, param, buf, scratch):
    """buf[i] = loss `kind` of element i, in float64: the kind chosen once, then a loop of
    its own, so that those without a libm call vectorise (`scratch`: buf's size, x's
    dtype)."""
    if kind == MSE:
        for i in range(x.size):
            d = np.float64(x[i]) - np.float64(y[i])
            buf[i] = d * d
    elif kind == L1:
        for i in range(x.size):
            buf[i] = abs(np.float64(x[i]) - np.float64(y[i]))
    elif kind == SMOOTH_L1:
        for i in range(x.size):
            buf[i] = _pointwise(SMOOTH_L1, np.float64(x[i]), np.float64(y[i]), param)
    elif kind == HUBER:
        for i in range(x.size):
            buf[i] = _pointwise(HUBER, np.float64(x[i]), np.float64(y[i]), param)
    elif kind == BCE_LOGITS and not is_single(x):
        for i in range(x.size):         # libm's exp and log1p: float64 as torch's
            buf[i] = _logits(x[i], y[i], pw[i] if pw.size else 1.0, pw.size > 0)
    elif kind == BCE_LOGITS:
        _logits_single(x, y, pw, buf, scratch)
    else:
        for i in range(x.size):
            buf[i] = _pointwise(kind, np.float64(x[i]), np.float64(y[i]), param)


@njit(error_model="numpy", fastmath={"contract"})
def _logits_single(x, y, pw, buf, softplus):
    """buf[i] = `_logits` of float32 x[i], y[i]: log1p(exp(-|x|)) first, in float32
    (exp32's `exp_nonpositive` and `log1p_unit`; a loop of float32 alone vectorises
    sixteen wide), the rest in float64. The loss is at least that term (for y in [0, 1]),
    so it keeps its few float32 ulps."""
    for i in range(x.size):         # (np.float32: typed for float64 x too, never run)
        softplus[i] = log1p_unit32(exp_nonpositive(-abs(np.float32(x[i]))))
    if pw.size:
        for i in range(x.size):
            buf[i] = _logits_from(np.float64(x[i]), np.float64(y[i]), np.float64(softplus[i]),
                                  np.float64(pw[i]), True)
    else:
        for i in range(x.size):
            buf[i] = _logits_from(np.float64(x[i]), np.float64(y[i]), np.float64(softplus[i]),
                                  1.0, False)


@njit(fastmath=_REDUCE_MATH)
def _finish(buf, w, out, reduce):
    """The block's losses times `w` (when given) summed (`reduce`, returned) or stored
    into `out`. The sum may be reassociated, so that it vectorises."""
    acc = 0.0
    if w.size > 0:
        if reduce:
            for i in range(buf.size):
                acc += buf[i] * w[i]
        else:
            for i in range(buf.size):
                out[i] = buf[i] * w[i]
    elif reduce:
        for i in range(buf.size):
            acc += buf[i]
    else:
        for i in range(buf.size):
            out[i] = buf[i]
    return acc


# rows per task of `nll` when the classes are innermost, positions per block otherwise
_ROWS = 16
_POSITIONS = 256
# elements summed in the input's dtype before their sum joins a float64 total
_SUM_CHUNK = 256


@njit(parallel=True, cache=True)
def nll(x, target, weight, ignore_index, log_softmax, smooth, loss, smooth_loss, totals):
    """Per position (n, j) of ``x`` (N, C, inner) with class t = ``target[n, j]``:

    loss[n, j]        = -weight[t] * lp[n, t, j]         (0 where t == ignore_index)
    smooth_loss[n, j] = -sum_c weight[c] * lp[n, c, j]   (when `smooth`; 0 where ignored)

    with lp = log_softmax(x) over C when `log_softmax`, else x itself (nll_loss), in
    float64 (x in its dtype). `loss` of size 0: only the sums. `weight` of size 0 means all
    ones. totals (float64, 4): the sums of loss, of the kept targets' weights, of
    smooth_loss, and the count of targets neither in [0, C) nor ignored (those count
    nowhere else: the caller raises)."""
    N, C, inner = x.shape
    rows = inner == 1
    blocks = (N + _ROWS - 1) // _ROWS if rows else N * ((inner + _POSITIONS - 1) // _POSITIONS)
    sums = np.zeros((blocks, 4))
    for b in prange(blocks):
        if rows:
            _rows_block(x.reshape((N, C)), target, weight, ignore_index, log_softmax,
                        smooth, loss, smooth_loss, sums[b], b * _ROWS, min(N, (b + 1) * _ROWS))
        else:
            _positions_block(x, target, weight, ignore_index, log_softmax, smooth, loss,
                             smooth_loss, sums[b], b)
    for k in range(4):
        acc = 0.0
        for b in range(blocks):
            acc += sums[b, k]
        totals[k] = acc


@njit(fastmath=_REDUCE_MATH)
def _row_shift(row):
    """log(sum(exp(row))) of a contiguous row, the maximum subtracted first; NaN when the
    row holds a NaN or +inf or is all -inf, as torch's log_softmax (x - max is NaN
    there). The maximum and the sums may be reassociated, so that they vectorise."""
    top = _row_max(row)
    return np.float64(top) + math.log(_exp_sum(row, top))


@njit(fastmath=_REDUCE_MATH)
def _row_max(row):
    """The largest element of `row`, NaN skipped (-inf when none)."""
    top = row.dtype.type(-math.inf)
    for c in range(row.size):
        top = maxnum(top, row[c])
    return top


@njit(fastmath=_REDUCE_MATH)
def _exp_sum(row, top):
    """sum(exp(row - top)) in float64, the exps in row's dtype summed in chunks of
    _SUM_CHUNK in that dtype (for float32: sixteen lanes, not eight), the chunks in
    float64."""
    total = 0.0
    for lo in range(0, row.size, _SUM_CHUNK):
        chunk = row[lo:lo + _SUM_CHUNK]
        part = row.dtype.type(0.0)
        for c in range(chunk.size):
            part += exp_shifted(chunk[c], top)
        total += part
    return total


@njit(inline="always")
def _picked(t, weight, ignore_index, classes):
    """(class, its weight) of target t; class -1: ignored, -2: out of range."""
    if t == ignore_index:
        return -1, 0.0
    if t < 0 or t >= classes:
        return -2, 0.0
    return t, (np.float64(weight[t]) if weight.size else 1.0)


@njit(inline="always")
def _store(loss, smooth_loss, n, j, value, smooth_value):
    if loss.size:
        loss[n, j] = value
        if smooth_loss.size:
            smooth_loss[n, j] = smooth_value


@njit
def _rows_block(x, target, weight, ignore_index, log_softmax, smooth, loss, smooth_loss,
                sums, start, stop):
    """`nll` on rows [start, stop) of the (N, C) `x` (inner == 1)."""
    C = x.shape[1]
    for n in range(start, stop):
        t, w_t = _picked(target[n, 0], weight, ignore_index, C)
        if t < 0:
            sums[3] += 1.0 if t == -2 else 0.0
            _store(loss, smooth_loss, n, 0, 0.0, 0.0)
            continue
        row = x[n]
        shift = _row_shift(row) if log_softmax else 0.0
        value = -w_t * (np.float64(row[t]) - shift)
        smooth_value = 0.0
        if smooth:
            smooth_value = -_weighted_sum(row, weight, shift)
        sums[0] += value
        sums[1] += w_t
        sums[2] += smooth_value
        _store(loss, smooth_loss, n, 0, value, smooth_value)


@njit(fastmath=_REDUCE_MATH)
def _weighted_sum(row, weight, shift):
    """sum_c weight[c] (row[c] - shift), in float64 (weight of size 0: ones)."""
    acc = 0.0
    if weight.size:
        for c in range(row.size):
            acc += np.float64(weight[c]) * (np.float64(row[c]) - shift)
    else:
        for lo in range(0, row.size, _SUM_CHUNK):
            chunk = row[lo:lo + _SUM_CHUNK]
            part = row.dtype.type(0.0)
            for c in range(chunk.size):
                part += chunk[c]
            acc += part
        acc -= shift * row.size
    return acc


@njit
def _positions_block(x, target, weight, ignore_index, log_softmax, smooth, loss,
                     smooth_loss, sums, b):
    """`nll` on one block of up to _POSITIONS inner positions of one batch entry: the
    class loops run over contiguous positions."""
    N, C, inner = x.shape
    per = (inner + _POSITIONS - 1) // _POSITIONS
    n = b // per
    j0 = (b - n * per) * _POSITIONS
    width = min(inner, j0 + _POSITIONS) - j0
    # slices of x[n], so that the loops index from 0 (see `pointwise_loss`)
    planes = x[n]
    shift = np.zeros(width)
    if log_softmax:
        _block_shift(planes, j0, shift)
    smooth_acc = np.zeros(width if smooth else 0)
    if smooth:
        for c in range(C):
            _add_weighted(smooth_acc, planes[c, j0:j0 + width], shift,
                          np.float64(weight[c]) if weight.size else 1.0)
    targets = target[n, j0:j0 + width]
    value_sum = weight_sum = smooth_sum = bad = 0.0
    for j in range(width):
        # one store per position: a second one, for the ignored targets, kept this loop
        # several times slower
        t, w_t = _picked(targets[j], weight, ignore_index, C)
        value = smooth_value = 0.0
        if t >= 0:
            value = -w_t * (np.float64(planes[t, j0 + j]) - shift[j])
            smooth_value = -smooth_acc[j] if smooth else 0.0
        else:
            bad += 1.0 if t == -2 else 0.0
        value_sum += value
        weight_sum += w_t
        smooth_sum += smooth_value
        _store(loss, smooth_loss, n, j0 + j, value, smooth_value)
    sums[0] += value_sum
    sums[1] += weight_sum
    sums[2] += smooth_sum
    sums[3] += bad


@njit(fastmath=_REDUCE_MATH)
def _add_weighted(acc, plane, shift, w_c):
    for j in range(acc.size):
        acc[j] += w_c * (np.float64(plane[j]) - shift[j])


@njit(fastmath=_REDUCE_MATH)
def _block_shift(planes, j0, shift):
    """shift[j] = log(sum_c exp(planes[c, j0 + j])) (the maximum subtracted first), as
    `_row_shift` over the classes of shift.size contiguous positions: float32 exps are
    summed in float32 over up to _SUM_CHUNK classes at a time, and their log taken with
    `log_from_one` (the sum is at least 1), so that every loop vectorises."""
    C = planes.shape[0]
    width = shift.size
    top = planes[0, j0:j0 + width].copy()
    for c in range(1, C):
        plane = planes[c, j0:j0 + width]
        for j in range(width):
            top[j] = maxnum(top[j], plane[j])
    part = np.empty(width, planes.dtype)
    for c0 in range(0, C, _SUM_CHUNK):
        part[:] = 0.0
        for c in range(c0, min(C, c0 + _SUM_CHUNK)):
            plane = planes[c, j0:j0 + width]
            for j in range(width):
                part[j] += exp_shifted(plane[j], top[j])
        for j in range(width):
            shift[j] += part[j]
    if is_single(planes):
        for j in range(width):
            shift[j] = np.float64(top[j]) + log_from_one(shift[j])
    else:
        for j in range(width):
            shift[j] = top[j] + math.log(shift[j])


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


@njit(parallel=True, cache=True)
def nll_rows_backward(x, target, weight, ignore_index, scale, smooth_scale, g, gx):
    """Gradient of `nll` with log_softmax in the (N, C) logits `x` (classes innermost), for
    class-index targets: where target n is kept (with weight w_t),

        gx[n, c] = g_n (softmax(x)[n, c] (scale w_t + smooth_scale sum(w))
                        - smooth_scale w_c - scale w_t [c == t]),

    0 on an ignored row; g_n = g[n] (g of size N) or g[0]. `weight` of size 0: ones.
    Computed in float64, rounded once into gx's dtype."""
    N, C = x.shape
    weighted = weight.size > 0
    weight_sum = 0.0
    if weighted:
        for c in range(C):
            weight_sum += weight[c]
    else:
        weight_sum = np.float64(C)
    each = g.size == N and N != 1
    for n in prange(N):
        t = target[n]
        row = gx[n]
        if t == ignore_index:
            for c in range(C):
                row[c] = 0.0
            continue
        gn = np.float64(g[n] if each else g[0])
        w_t = weight[t] if weighted else 1.0
        total = (scale * w_t + smooth_scale * weight_sum) * gn
        _softmax_times(x[n], total, row)
        if smooth_scale != 0.0:
            for c in range(C):
                row[c] -= smooth_scale * (weight[c] if weighted else 1.0) * gn
        row[t] -= scale * w_t * gn


@njit(fastmath=_REDUCE_MATH)
def _softmax_times(row, total, out):
    """out = softmax(row) * total: the exps (in row's dtype: vectorised for float32) stored
    as `_exp_sum` sums them, then scaled by total over their sum (one exp per element)."""
    top = _row_max(row)
    norm = 0.0
    for lo in range(0, row.size, _SUM_CHUNK):
        chunk = row[lo:lo + _SUM_CHUNK]
        into = out[lo:lo + _SUM_CHUNK]
        part = row.dtype.type(0.0)
        for c in range(chunk.size):
            e = exp_shifted(chunk[c], top)
            into[c] = e
            part += e
        norm += part
    factor = divide(total, norm)
    for c in range(out.size):
        out[c] = out[c] * factor
