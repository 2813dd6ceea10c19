"""Per-row normalisation kernels: layer, group and instance norm, local response norm.

Statistics are one pass over each row in float64, of the deviations from the row's first
element: shifting by a member of the row keeps ``E[d^2] - E[d]^2`` free of cancellation
however large the row's mean is against its spread, and a NaN or inf anywhere in the row
makes that row's mean or variance NaN (as torch) while other rows stay finite.

A row can be split into `chunk`-long pieces so that few long rows (batch-1 GroupNorm) still
spread over every thread; the caller adds the pieces' sums.
"""
import numpy as np
from numba import prange

from ._target import njit

# x * a + b may be one fused multiply-add (one rounding); nothing that changes NaN or inf.
_FMA = {"contract"}


@njit(cache=True)
def _shifted_sums(v, k):
    """(sum of d, sum of d * d) over the 1-D array v, d = v[i] - k, in float64. Eight
    interleaved partial sums in a fixed order: the answer does not depend on where the
    row sits in memory (a reassociated, vectorised reduction's would, by an ulp)."""
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    q0 = q1 = q2 = q3 = q4 = q5 = q6 = q7 = 0.0
    n = v.shape[0]
    end = n // 8 * 8
    for i in range(0, end, 8):
        d0 = np.float64(v[i]) - k
        d1 = np.float64(v[i + 1]) - k
        d2 = np.float64(v[i + 2]) - k
        d3 = np.float64(v[i + 3]) - k
        d4 = np.float64(v[i + 4]) - k
        d5 = np.float64(v[i + 5]) - k
        d6 = np.float64(v[i + 6]) - k
        d7 = np.float64(v[i + 7]) - k
        s0 += d0
        s1 += d1
        s2 += d2
        s3 += d3
        s4 += d4
        s5 += d5
        s6 += d6
        s7 += d7
        q0 += d0 * d0
        q1 += d1 * d1
        q2 += d2 * d2
        q3 += d3 * d3
        q4 += d4 * d4
        q5 += d5 * d5
        q6 += d6 * d6
        q7 += d7 * d7
    for i in range(end, n):
        d = np.float64(v[i]) - k
        s0 += d
        q0 += d * d
    s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    q = ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7))
    return s, q


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
        sums[r, c], squares[r, c] = _shifted_sums(x[r, start:stop], np.float64(x[r, 0]))


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
        for i in range(src.shape[0]):
            dst[i] = src[i] * a + b


@njit(parallel=True, cache=True)
def rows_affine(x, chunk, mean, mean_low, rstd, weight, bias, out):
    """out[r, i] = (x[r, i] - mean[r] - mean_low[r]) * rstd[r] * weight[i] + bias[i], piece
    by piece (layer norm when its rows are too few to occupy the threads one row each)."""
    rows, length = x.shape
    pieces = (length + chunk - 1) // chunk
    for t in prange(rows * pieces):
        r = t // pieces
        start = (t % pieces) * chunk
        stop = min(start + chunk, length)
        m = mean[r]
        low = mean_low[r]
        a = rstd[r]
        src = x[r, start:stop]
        dst = out[r, start:stop]
        w = weight[start:stop]
        b = bias[start:stop]
        for i in range(src.shape[0]):
            dst[i] = ((src[i] - m) - low) * a * w[i] + b[i]


@njit(parallel=True, cache=True)
def layer_norm_rows(x, weight, bias, eps, mean, mean_low, rstd, out):
    """Layer norm of each row of x (R, D) with one thread per row: the row's statistics
    (stored in mean[r] + mean_low[r] and rstd[r], x's dtype), then out[r, i] =
    (x[r, i] - mean[r] - mean_low[r]) * rstd[r] * weight[i] + bias[i] while the row is in
    cache."""
    rows, length = x.shape
    for r in prange(rows):
        k = np.float64(x[r, 0])
        s, q = _shifted_sums(x[r], k)
        m = s / length
        var = q / length - m * m
        if var < 0.0:
            var = 0.0
        mean[r] = k + m
        mean_low[r] = (k + m) - np.float64(mean[r])
        rstd[r] = 1.0 / np.sqrt(var + eps)
        high = mean[r]
        low = mean_low[r]
        a = rstd[r]
        for i in range(length):
            out[r, i] = ((x[r, i] - high) - low) * a * weight[i] + bias[i]


@njit(parallel=True, cache=True)
def local_response_norm(x, size, divisor, alpha, beta, k, out):
    """x (N, C, S): out = x / (k + alpha * mean of x*x over the channel window)**beta,
    the window ``[c - size // 2, c + (size - 1) // 2]`` clipped to the channels and
    divided by `size` (torch pads with zeros). Squares are summed in x's dtype, as torch
    does, so squares that overflow give what torch gives; `divisor` (= size), alpha, beta
    and k arrive in x's dtype."""
    batch, channels, length = x.shape
    before = size // 2
    after = (size - 1) // 2
    for t in prange(batch * channels):
        n = t // channels
        c = t % channels
        lo = max(c - before, 0)
        hi = min(c + after, channels - 1)
        for i in range(length):
            out[n, c, i] = 0
        for j in range(lo, hi + 1):
            for i in range(length):
                v = x[n, j, i]
                out[n, c, i] += v * v
        for i in range(length):
            out[n, c, i] = x[n, c, i] / (out[n, c, i] / divisor * alpha + k) ** beta
