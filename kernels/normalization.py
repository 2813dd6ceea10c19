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

# fastmath without nnan/ninf: reductions may be reassociated (vectorised) while NaN and inf
# still propagate exactly as in torch.
_REDUCE_MATH = {"contract", "reassoc", "nsz", "arcp"}


@njit(parallel=True, cache=True, fastmath=_REDUCE_MATH)
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
        k = np.float64(x[r, 0])
        s = 0.0
        q = 0.0
        for i in range(start, stop):
            d = np.float64(x[r, i]) - k
            s += d
            q += d * d
        sums[r, c] = s
        squares[r, c] = q


@njit(parallel=True, cache=True)
def rows_scale_shift(x, chunk, mean, mean_low, scale, shift, out):
    """out[r, i] = (x[r, i] - mean[r] - mean_low[r]) * scale[r] + shift[r], piece by piece
    (group and instance norm on (N*C, L) rows: scale and shift carry each channel's
    affine). The mean comes in two parts of x's dtype (high, then the rounding residue)
    so that a float32 mean far from 0 loses nothing when it is subtracted."""
    rows, length = x.shape
    pieces = (length + chunk - 1) // chunk
    for t in prange(rows * pieces):
        r = t // pieces
        start = (t % pieces) * chunk
        stop = min(start + chunk, length)
        m = mean[r]
        low = mean_low[r]
        a = scale[r]
        b = shift[r]
        for i in range(start, stop):
            out[r, i] = ((x[r, i] - m) - low) * a + b


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
        for i in range(start, stop):
            out[r, i] = ((x[r, i] - m) - low) * a * weight[i] + bias[i]


@njit(parallel=True, cache=True, fastmath=_REDUCE_MATH)
def layer_norm_rows(x, weight, bias, eps, mean, mean_low, rstd, out):
    """Layer norm of each row of x (R, D) with one thread per row: the row's statistics
    (stored in mean[r] + mean_low[r] and rstd[r], x's dtype), then out[r, i] =
    (x[r, i] - mean[r] - mean_low[r]) * rstd[r] * weight[i] + bias[i] while the row is in
    cache."""
    rows, length = x.shape
    for r in prange(rows):
        k = np.float64(x[r, 0])
        s = 0.0
        q = 0.0
        for i in range(length):
            d = np.float64(x[r, i]) - k
            s += d
            q += d * d
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
