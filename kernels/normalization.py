"""Per-row normalisation kernels: layer, group and instance norm, batch norm's training
statistics (a channel's rows), local response norm.

Statistics are one pass over each row, of the deviations from the row's first element
(summed in the input's dtype over short blocks, the blocks in float64): shifting by a
member of the row keeps ``E[d^2] - E[d]^2`` free of cancellation however large the row's
mean is against its spread, and a NaN or inf anywhere in the row makes that row's mean or
variance NaN (as torch) while other rows stay finite.

A row can be split into `chunk`-long pieces so that few long rows (batch-1 GroupNorm) still
spread over every thread; the caller adds the pieces' sums.
"""
import numpy as np
from numba import prange

from ._target import njit
from .conv_pad import _u
from .elementwise import _affine_of
from .vecmath import as_element

# x * a + b may be one fused multiply-add (one rounding); nothing that changes NaN or inf.
_FMA = {"contract"}
# fastmath without nnan/ninf: a reduction may be reassociated (vectorised) while NaN and
# inf still propagate exactly as in torch.
_REDUCE_MATH = {"contract", "reassoc", "nsz", "arcp"}


# Blocks of this many elements are summed in the input's dtype (vectorised), the blocks'
# sums in float64: the deviations from the row's first element are small and a block is
# short, so a float32 block sum loses little while it runs at float32 SIMD width (the
# large-mean tests in tests/functional/test_group_norms.py hold it to exact results).
_BLOCK = 256


@njit(cache=True, fastmath=_REDUCE_MATH)
def _block_sums(v, k):
    """(sum of d, sum of d * d) over one block v (1-D, at most _BLOCK long), d = v[i] - k,
    in v's dtype (k is of that dtype). Only this reduction is reassociated."""
    s = v[0] - v[0]
    q = s
    for i in range(_u(v.shape[0])):
        d = v[i] - k
        s += d
        q += d * d
    return s, q


@njit(cache=True)
def _shifted_sums(v, k):
    """(sum of d, sum of d * d) over the 1-D array v, d = v[i] - k, accumulated in float64
    over blocks of _BLOCK elements (k is of v's dtype: a member of the row)."""
    s = 0.0
    q = 0.0
    n = v.shape[0]
    for start in range(0, n, _BLOCK):
        bs, bq = _block_sums(v[start:min(start + _BLOCK, n)], k)
        s += np.float64(bs)
        q += np.float64(bq)
    return s, q


@njit(cache=True, fastmath=_REDUCE_MATH)
def _strided_shifted_sums(xf, start, stride, rows, length, k):
    """`_shifted_sums` over `rows` rows of `length` elements, row r at start + r*stride of
    the flat x: a channel's rows in an (N, C, L) array. Inline over flat indices: a call
    per row (on a view) cost more than its sums on 7x7 and 4x4 planes."""
    s = 0.0
    q = 0.0
    for r in range(rows):
        row = _u(start + r * stride)
        for b0 in range(0, length, _BLOCK):
            at = row + _u(b0)
            bs = xf[at] - xf[at]
            bq = bs
            for i in range(_u(min(_BLOCK, length - b0))):
                d = xf[at + i] - k
                bs += d
                bq += d * d
            s += np.float64(bs)
            q += np.float64(bq)
    return s, q


@njit(parallel=True, cache=True)
def batch_norm_train(x, weight, bias, eps, out, mean, var):
    """Batch norm in training mode over (N, C, L) x, one task per channel: its batch mean
    and biased variance from one pass of shifted sums about its first element (float64,
    into mean[c] and var[c], as the backward kernel recomputes them: kernels/
    norm_backward.py), then out[n, c, :] = x * scale + shift with `_affine_of` rounded to
    x's dtype (as the evaluation kernels round it) while the channel's rows are in cache:
    one read of x from memory where separate passes for the sums, the deviations and the
    output took three. An empty `weight` or `bias` stands for None."""
    batch, channels, length = x.shape
    count = batch * length
    stride = channels * length
    xf = x.reshape(x.size)
    of = out.reshape(out.size)
    for c in prange(channels):
        first = xf[_u(c * length)]
        s, q = _strided_shifted_sums(xf, c * length, stride, batch, length, first)
        m = s / count
        v = q / count - m * m
        if v < 0.0:
            v = 0.0
        mean[c] = np.float64(first) + m
        var[c] = v
        scale, shift = _affine_of(c, mean, var, weight, bias, eps)
        a = as_element(x, scale)
        b = as_element(x, shift)
        for n in range(batch):
            at = _u(c * length + n * stride)
            for i in range(_u(length)):
                of[at + i] = xf[at + i] * a + b


@njit(parallel=True, cache=True)
def row_shifted_sums(x, chunk, sums, squares):
    """For x (R, L): sums[r, c] and squares[r, c] = the sum of d and of d*d over piece c
    (``[c*chunk, (c+1)*chunk)``) of row r, where d = x[r, i] - x[r, 0], in float64."""
    rows, length = x.shape
    pieces = sums.shape[1]
    for t in prange(rows * pieces):
        r = t // pieces
        c = t % pieces
        start = c * chunk
        stop = min(start + chunk, length)
        sums[r, c], squares[r, c] = _shifted_sums(x[r, start:stop], x[r, 0])


@njit(parallel=True, cache=True, fastmath=_FMA)
def rows_scale_shift(x, chunk, scale, shift, out):
    """out[r, i] = x[r, i] * scale[r] + shift[r], piece by piece (group and instance norm
    on (N*C, L) rows, scale = rstd * weight and shift = bias - mean * scale: torch's form,
    so that inf and NaN in the parameters land where torch's do)."""
    rows, length = x.shape
    pieces = (length + chunk - 1) // chunk
    for t in prange(rows * pieces):
        r = t // pieces
        start = (t % pieces) * chunk
        stop = min(start + chunk, length)
        a = scale[r]
        b = shift[r]
        src = x[r, start:stop]      # loops from 0 over a slice: no negative-index checks
        dst = out[r, start:stop]
        for i in range(_u(src.shape[0])):
            dst[i] = src[i] * a + b


@njit(parallel=True, cache=True, fastmath=_FMA)
def layer_norm_pieces(x, chunk, weight, bias, eps, sums, squares, mean, rstd, out):
    """Layer norm of rows too few to occupy the threads one row each: the shifted sums
    of each `chunk`-long piece of each row of x (R, L) into sums and squares ((R,
    pieces), float64), each row's mean[r] and rstd[r] (x's dtype) from them, then out[r,
    i] = (x[r, i] - mean[r]) * rstd[r] * weight[i] + bias[i] piece by piece (without the
    affine when `weight` and `bias` are empty: one compiled kernel for both cases, the
    branch taken once per piece). One call: no Python between the passes."""
    rows, length = x.shape
    pieces = sums.shape[1]
    for t in prange(rows * pieces):
        r = t // pieces
        start = (t % pieces) * chunk
        sums[r, t % pieces], squares[r, t % pieces] = _shifted_sums(
            x[r, start:min(start + chunk, length)], x[r, 0])
    for r in range(rows):
        s = 0.0
        q = 0.0
        for c in range(pieces):
            s += sums[r, c]
            q += squares[r, c]
        m = s / length
        var = q / length - m * m
        if var < 0.0:
            var = 0.0
        mean[r] = np.float64(x[r, 0]) + m
        rstd[r] = 1.0 / np.sqrt(var + eps)
    affine = weight.shape[0] > 0
    for t in prange(rows * pieces):
        r = t // pieces
        start = (t % pieces) * chunk
        stop = min(start + chunk, length)
        m = mean[r]
        a = rstd[r]
        src = x[r, start:stop]      # loops from 0 over a slice: no negative-index checks
        dst = out[r, start:stop]
        if affine:
            w = weight[start:stop]
            b = bias[start:stop]
            for i in range(_u(src.shape[0])):
                dst[i] = (src[i] - m) * a * w[i] + b[i]
        else:
            for i in range(_u(src.shape[0])):
                dst[i] = (src[i] - m) * a


@njit(parallel=True, cache=True, fastmath=_FMA)
def layer_norm_rows(x, weight, bias, eps, mean, rstd, out):
    """Layer norm of each row of x (R, D) with one thread per row: the row's statistics
    (stored in mean[r] and rstd[r], x's dtype), then out[r, i] = (x[r, i] - mean[r]) *
    rstd[r] * weight[i] + bias[i] while the row is in cache. Subtracting the mean before
    scaling keeps rows far from 0 as precise as torch's x * rstd - mean * rstd or more."""
    for r in prange(x.shape[0]):
        mean[r], rstd[r] = _layer_norm_row(x[r], weight, bias, eps, out[r])


LAYER_NORM_COLUMNS = 16     # positions per task of `layer_norm_columns`


@njit(parallel=True, cache=True, fastmath=_FMA)
def layer_norm_columns(x, weight, bias, eps, mean, rstd, out):
    """`layer_norm_rows` of x (N, D, P) seen as (N, P, D), into out (N, P, D): a
    channels-last view of NCHW memory normalised over its channels (ConvNeXt's
    ``x.permute(0, 2, 3, 1)`` then LayerNorm), without copying it whole first. Each task
    copies LAYER_NORM_COLUMNS positions' channels into a scratch of rows, then runs
    `layer_norm_rows`' arithmetic on them: the same values."""
    N, D, P = x.shape
    width = LAYER_NORM_COLUMNS
    blocks = (P + width - 1) // width
    xf = x.reshape(x.size)
    for task in prange(N * blocks):
        n = task // blocks
        p0 = (task % blocks) * width
        count = min(width, P - p0)
        rows = np.empty((width, D), x.dtype)
        for c in range(D):
            src = _u((n * D + c) * P + p0)
            for j in range(count):
                rows[j, c] = xf[src + _u(j)]
        for j in range(count):
            r = n * P + p0 + j
            mean[r], rstd[r] = _layer_norm_row(rows[j], weight, bias, eps, out[n, p0 + j])


@njit(inline="always", fastmath=_FMA)
def _layer_norm_row(src, weight, bias, eps, dst):
    """dst = layer norm of the row src; (mean, rstd) in src's dtype."""
    length = src.shape[0]
    k = np.float64(src[0])
    s, q = _shifted_sums(src, src[0])
    m = s / length
    var = q / length - m * m
    if var < 0.0:
        var = 0.0
    high = as_element(src, k + m)
    a = as_element(src, 1.0 / np.sqrt(var + eps))
    for i in range(_u(length)):
        dst[i] = (src[i] - high) * a * weight[i] + bias[i]
    return high, a


@njit(parallel=True, cache=True, fastmath=_FMA)
def group_norm_rows(x, per_group, channels, weight, bias, eps, mean, var, out):
    """Group norm with one thread per (sample, group) row of x (N*G, per_group * L): the
    row's statistics (float64 mean[r], biased var[r]), then each of its channels c as
    x * scale + shift with torch's scale = rstd * weight[c] and shift = bias[c] - mean *
    scale, in float64 and rounded once to x's dtype, while the row is in cache (an empty
    `weight` or `bias` stands for None). Instance norm is the case per_group = 1."""
    rows, length = x.shape
    inner = length // per_group
    for r in prange(rows):
        k = np.float64(x[r, 0])
        s, q = _shifted_sums(x[r], x[r, 0])
        m = s / length
        v = q / length - m * m
        if v < 0.0:
            v = 0.0
        mean[r] = k + m
        var[r] = v
        rstd = 1.0 / np.sqrt(v + eps)
        for j in range(per_group):
            c = (r * per_group + j) % channels
            scale = rstd * np.float64(weight[c]) if weight.size else rstd
            shift = (np.float64(bias[c]) if bias.size else 0.0) - mean[r] * scale
            a = as_element(x, scale)
            b = as_element(x, shift)
            src = x[r, j * inner:(j + 1) * inner]
            dst = out[r, j * inner:(j + 1) * inner]
            for i in range(_u(inner)):
                dst[i] = src[i] * a + b


@njit(parallel=True, cache=True)
def local_response_norm(x, size, divisor, alpha, beta, k, out):
    """x (N, C, S): out = x / (k + alpha * mean of x*x over the channel window)**beta,
    the window ``[c - size // 2, c + (size - 1) // 2]`` clipped to the channels and
    divided by `size` (torch pads with zeros). Squares are summed in x's dtype, as torch
    does, so squares that overflow give what torch gives; `divisor` (= size), alpha, beta
    and k arrive in x's dtype. beta = 0.75 (AlexNet's, GoogLeNet's) takes two square
    roots instead of a pow, which does not vectorise."""
    batch, channels, length = x.shape
    before = size // 2
    after = (size - 1) // 2
    three_quarters = beta == 0.75
    for t in prange(batch * channels):
        n = t // channels
        c = t % channels
        lo = max(c - before, 0)
        hi = min(c + after, channels - 1)
        dst = out[n, c]
        src = x[n, c]
        for i in range(length):
            dst[i] = 0
        for j in range(lo, hi + 1):
            row = x[n, j]
            for i in range(length):
                dst[i] += row[i] * row[i]
        if three_quarters:
            for i in range(length):
                root = np.sqrt(dst[i] / divisor * alpha + k)
                dst[i] = src[i] / (root * np.sqrt(root))
        else:
            for i in range(length):
                dst[i] = src[i] / (dst[i] / divisor * alpha + k) ** beta
