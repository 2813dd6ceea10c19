"""Backward kernels of max, average and adaptive pooling on (planes, D, H, W) arrays.

Each loops over planes in parallel and writes its plane of the input gradient `gx`
(zeroed here, so `gx` may be uninitialised): windows overlap inside a plane, never across
planes, so no two threads write the same element.
"""
import numpy as np
from numba import prange

from ._target import njit
from .pool_avg import column_windows
from .pooling import adaptive_end, adaptive_start, first_tap


@njit(parallel=True, cache=True)
def max_pool3d_backward_direct(x, grad, gx, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh,
                               dw):
    """The gradient of a values-only max pooling, each window's argmax found again with
    `pooling.max_pool3d_with_indices`'s loop: for padding or dilation that would make the
    separable argmax's row buffer (`pool_argmax`) far longer than a row.
    A window that holds no input element adds nothing."""
    planes, D, H, W = x.shape
    OD, OH, OW = grad.shape[1], grad.shape[2], grad.shape[3]
    volume = D * H * W
    neg_inf = x.dtype.type(-np.inf)
    for p in prange(planes):
        plane = x[p].reshape(volume)
        out = gx[p].reshape(volume)
        out[:] = 0
        for od in range(OD):
            d0 = od * sd - pd
            d1 = min(d0 + (kd - 1) * dd + 1, D)
            d0 += first_tap(d0, dd) * dd
            for oh in range(OH):
                h0 = oh * sh - ph
                h1 = min(h0 + (kh - 1) * dh + 1, H)
                h0 += first_tap(h0, dh) * dh
                g = grad[p, od, oh]
                for ow in range(OW):
                    w0 = ow * sw - pw
                    w1 = min(w0 + (kw - 1) * dw + 1, W)
                    w0 += first_tap(w0, dw) * dw
                    best_index = -1
                    best = neg_inf
                    i_d = d0
                    while i_d < d1:
                        i_h = h0
                        while i_h < h1:
                            row = (i_d * H + i_h) * W
                            i_w = w0
                            while i_w < w1:
                                v = plane[row + i_w]
                                if v > best or v != v:
                                    best = v
                                    best_index = row + i_w
                                i_w += dw
                            i_h += dh
                        i_d += dd
                    if best_index < 0 and d0 < d1 and h0 < h1 and w0 < w1:
                        # every value -inf: torch's index is the window's first element
                        best_index = (d0 * H + h0) * W + w0
                    if best_index >= 0:
                        out[best_index] += g[ow]


@njit(parallel=True, cache=True)
def scatter_indices(grad, indices, gx):
    """gx[p, indices[p, i]] += grad[p, i] on (planes, n) and (planes, m) arrays, in order of
    i; an index outside [0, m) adds nothing."""
    planes, n = grad.shape
    m = gx.shape[1]
    for p in prange(planes):
        out = gx[p]
        out[:] = 0
        for i in range(n):
            k = indices[p, i]
            if 0 <= k < m:
                out[k] += grad[p, i]


@njit(parallel=True, cache=True, error_model="numpy")
def avg_pool3d_backward(grad, gx, kd, kh, kw, sd, sh, sw, pd, ph, pw, count_include_pad,
                        divisor):
    """The transpose of `pool_avg.avg_pool3d`: each output's gradient, divided by its
    window's divisor (torch's, or a non-zero `divisor`), added to every input element of
    its window. An output row's shares are divided in one loop (each divisor the row's
    factor times its column's: numpy's error model, so the divisions are vectorised, not
    each checked for zero), spread along a row buffer, and that row is then added to each
    input row its window covers."""
    planes, D, H, W = gx.shape
    OD, OH, OW = grad.shape[1], grad.shape[2], grad.shape[3]
    lo, hi, columns = column_windows(OW, W, kw, sw, pw, count_include_pad)
    for ow in range(OW):
        # an empty window (count 0) spreads nothing: any non-zero divisor will do
        columns[ow] = divisor if divisor != 0 else max(columns[ow], 1)
    for p in prange(planes):
        row = np.empty(W, dtype=gx.dtype)
        shares = np.empty(OW, dtype=gx.dtype)
        written = np.zeros((D, H), dtype=np.bool_)
        for od in range(OD):
            d0 = od * sd - pd
            d1 = min(d0 + kd, D + pd)
            pool_d = d1 - d0
            d0, d1 = max(d0, 0), min(d1, D)
            for oh in range(OH):
                h0 = oh * sh - ph
                h1 = min(h0 + kh, H + ph)
                pool_h = h1 - h0
                h0, h1 = max(h0, 0), min(h1, H)
                if d0 >= d1 or h0 >= h1:
                    continue
                if divisor != 0:
                    factor = 1
                elif count_include_pad:
                    factor = pool_d * pool_h
                else:
                    factor = (d1 - d0) * (h1 - h0)
                g = grad[p, od, oh]
                for ow in range(OW):
                    shares[ow] = g[ow] / gx.dtype.type(factor * columns[ow])
                row[:] = 0
                for ow in range(OW):
                    v = shares[ow]
                    for i_w in range(lo[ow], hi[ow]):
                        row[i_w] += v
                for i_d in range(d0, d1):
                    for i_h in range(h0, h1):
                        _add_row(gx[p], i_d, i_h, row, written)
        _zero_unwritten(gx[p], written)


@njit(parallel=True, cache=True)
def adaptive_avg_pool3d_backward(grad, gx):
    """The transpose of `pool_avg.adaptive_avg_pool3d`, each share divided as torch's
    (grad / kd / kh / kw)."""
    planes, D, H, W = gx.shape
    OD, OH, OW = grad.shape[1], grad.shape[2], grad.shape[3]
    t = gx.dtype.type
    for p in prange(planes):
        row = np.empty(W, dtype=gx.dtype)
        written = np.zeros((D, H), dtype=np.bool_)
        for od in range(OD):
            d0, d1 = adaptive_start(od, OD, D), adaptive_end(od, OD, D)
            for oh in range(OH):
                h0, h1 = adaptive_start(oh, OH, H), adaptive_end(oh, OH, H)
                row[:] = 0
                g = grad[p, od, oh]
                for ow in range(OW):
                    w0, w1 = adaptive_start(ow, OW, W), adaptive_end(ow, OW, W)
                    v = g[ow] / t(d1 - d0) / t(h1 - h0) / t(w1 - w0)
                    for i_w in range(w0, w1):
                        row[i_w] += v
                for i_d in range(d0, d1):
                    for i_h in range(h0, h1):
                        _add_row(gx[p], i_d, i_h, row, written)
        _zero_unwritten(gx[p], written)


@njit(inline="always")
def _add_row(plane, i_d, i_h, row, written):
    """plane[i_d, i_h] += row, or = row for the first share of that input row: one write
    instead of a zero fill, then a read and a write (`row`, a sum from +0.0, holds no
    -0.0 that the zero fill would have turned into +0.0)."""
    dst = plane[i_d, i_h]
    if written[i_d, i_h]:
        for w in range(row.size):
            dst[w] += row[w]
    else:
        for w in range(row.size):
            dst[w] = row[w]
        written[i_d, i_h] = True


@njit(inline="always")
def _zero_unwritten(plane, written):
    """Zero the input rows of `plane` that no window covers."""
    for i_d in range(written.shape[0]):
        for i_h in range(written.shape[1]):
            if not written[i_d, i_h]:
                plane[i_d, i_h] = 0


@njit(parallel=True, cache=True)
def mean_rows_backward(grad, gx):
    """gx[p, :] = grad[p] / n: the backward of `pool_avg.mean_rows` (global average)."""
    planes, n = gx.shape
    for p in prange(planes):
        v = grad[p] / gx.dtype.type(n)
        for i in range(n):
            gx[p, i] = v
