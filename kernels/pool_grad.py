"""Backward kernels of max, average and adaptive pooling on (planes, D, H, W) arrays.

Each loops over planes in parallel and writes its plane of the input gradient `gx`
(zeroed here, so `gx` may be uninitialised): windows overlap inside a plane, never across
planes, so no two threads write the same element.
"""
import numpy as np
from numba import prange

from ._target import njit
from .pooling import _chunk_bounds, adaptive_end, adaptive_start, first_tap, valid_taps


@njit(parallel=True, cache=True)
def max_pool3d_backward(x, grad, gx, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    """gx[p, argmax of each window] += grad[p, window], the argmax found again from `x`
    with `pooling.max_pool3d_with_indices`'s ties and NaN rule (the first maximum in
    row-major order, or the last NaN), in two steps per output row: down each input
    column over the window's rows (`_column_winners`), then across each window's columns
    (`_row_winners`), comparing flat indices to keep torch's order. Both steps are
    unit-stride selects that LLVM vectorises: the columns' winners are stored by phases
    of the stride (padded with entries that never win), so that each tap reads them
    contiguously. The window-by-window loop (`max_pool3d_backward_direct`) mispredicted
    its comparisons on random data, and strided reads stayed scalar. The caller checks
    that the padded row stays short (`_pool_ops._separable_fits`)."""
    planes, D, H, W = x.shape
    OD, OH, OW = grad.shape[1], grad.shape[2], grad.shape[3]
    reach = max(pw + W, (OW - 1) * sw + (kw - 1) * dw + 1)
    span = (reach + sw - 1) // sw
    nchunks = max(1, min(planes, 64))
    first_col = np.empty(OW, dtype=np.int64)
    has_col = np.empty(OW, dtype=np.bool_)
    for ow in range(OW):
        a0, a1 = valid_taps(ow * sw - pw, kw, dw, W)
        first_col[ow] = ow * sw - pw + a0 * dw
        has_col[ow] = a0 < a1
    for chunk in prange(nchunks):
        col_best = np.empty(W, dtype=x.dtype)
        col_row = np.empty(W, dtype=np.int64)
        phased_best = np.full(sw * span, -np.inf, dtype=x.dtype)
        phased_at = np.full(sw * span, np.iinfo(np.int64).max, dtype=np.int64)
        best = np.empty(OW, dtype=x.dtype)
        at = np.empty(OW, dtype=np.int64)
        p0, p1 = _chunk_bounds(chunk, nchunks, planes)
        for p in range(p0, p1):
            out = gx[p].reshape(D * H * W)
            out[:] = 0
            for od in range(OD):
                d0 = od * sd - pd
                d1 = min(d0 + (kd - 1) * dd + 1, D)
                d0 += first_tap(d0, dd) * dd
                for oh in range(OH):
                    h0 = oh * sh - ph
                    h1 = min(h0 + (kh - 1) * dh + 1, H)
                    h0 += first_tap(h0, dh) * dh
                    if d0 >= d1 or h0 >= h1:
                        continue
                    _column_winners(x, p, d0, d1, dd, h0, h1, dh, col_best, col_row)
                    for phase in range(sw):
                        # padded position j * sw + phase is column j * sw + phase - pw
                        j0 = max(0, (pw - phase + sw - 1) // sw)
                        j1 = min(span, (W + pw - phase + sw - 1) // sw)
                        for j in range(j0, j1):
                            w = j * sw + phase - pw
                            phased_best[phase * span + j] = col_best[w]
                            phased_at[phase * span + j] = col_row[w] * W + w
                    first = (d0 * H + h0) * W
                    for ow in range(OW):
                        best[ow] = -np.inf
                        at[ow] = first + first_col[ow]
                    for k in range(kw):
                        off = k * dw
                        _row_winners(phased_best, phased_at, (off % sw) * span + off // sw,
                                     best, at)
                    g = grad[p, od, oh]
                    for ow in range(OW):
                        if has_col[ow]:
                            out[at[ow]] += g[ow]


@njit(inline="always")
def _column_winners(x, p, d0, d1, dd, h0, h1, dh, col_best, col_row):
    """col_best[w], col_row[w]: the first maximum (or last NaN) of input column w over
    the rows (d, h) of a window, in order, and its row d * H + h."""
    H, W = x.shape[2], x.shape[3]
    col_best[:] = -np.inf
    col_row[:] = d0 * H + h0
    i_d = d0
    while i_d < d1:
        i_h = h0
        while i_h < h1:
            r = i_d * H + i_h
            for w in range(W):
                v = x[p, i_d, i_h, w]
                b = col_best[w]
                take = (v > b) | (v != v)          # bitwise: selects, not branches
                col_best[w] = v if take else b
                col_row[w] = r if take else col_row[w]
            i_h += dh
        i_d += dd


@njit(inline="always")
def _row_winners(values, flat, base, best, at):
    """One tap of every window of an output row: (values[base + ow], at its flat index)
    against the window's winner so far. Any NaN beats a number and the last NaN (largest
    flat index) is torch's; among numbers the larger wins, and on a tie the smaller flat
    index (torch's first maximum)."""
    for ow in range(best.shape[0]):
        v = values[base + ow]
        f = flat[base + ow]
        b = best[ow]
        a = at[ow]
        v_nan = v != v
        b_nan = b != b
        take = ((v_nan & ((not b_nan) | (f > a)))
                | ((not v_nan) & (not b_nan) & ((v > b) | ((v == b) & (f < a)))))
        best[ow] = v if take else b
        at[ow] = f if take else a


@njit(parallel=True, cache=True)
def max_pool3d_backward_direct(x, grad, gx, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh,
                               dw):
    """`max_pool3d_backward` window by window with `pooling.max_pool3d_with_indices`'s
    loop: for padding or dilation that would make the row buffer far longer than a row.
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


@njit(parallel=True, cache=True)
def avg_pool3d_backward(grad, gx, kd, kh, kw, sd, sh, sw, pd, ph, pw, count_include_pad,
                        divisor):
    """The transpose of `pool_avg.avg_pool3d`: each output's gradient, divided by its
    window's divisor (torch's, or a non-zero `divisor`), added to every input element of
    its window. An output row's share is spread along a row buffer first, then that row is
    added to each input row its window covers."""
    planes, D, H, W = gx.shape
    OD, OH, OW = grad.shape[1], grad.shape[2], grad.shape[3]
    for p in prange(planes):
        gx[p] = 0
        row = np.empty(W, dtype=gx.dtype)
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
                row[:] = 0
                g = grad[p, od, oh]
                for ow in range(OW):
                    w0 = ow * sw - pw
                    w1 = min(w0 + kw, W + pw)
                    lo, hi = max(w0, 0), min(w1, W)
                    if divisor != 0:
                        div = divisor
                    elif count_include_pad:
                        div = pool_d * pool_h * (w1 - w0)
                    else:
                        div = (d1 - d0) * (h1 - h0) * (hi - lo)
                    if hi > lo:
                        v = g[ow] / gx.dtype.type(div)
                        for i_w in range(lo, hi):
                            row[i_w] += v
                for i_d in range(d0, d1):
                    for i_h in range(h0, h1):
                        dst = gx[p, i_d, i_h]
                        for w in range(W):
                            dst[w] += row[w]


@njit(parallel=True, cache=True)
def adaptive_avg_pool3d_backward(grad, gx):
    """The transpose of `pool_avg.adaptive_avg_pool3d`, each share divided as torch's
    (grad / kd / kh / kw)."""
    planes, D, H, W = gx.shape
    OD, OH, OW = grad.shape[1], grad.shape[2], grad.shape[3]
    t = gx.dtype.type
    for p in prange(planes):
        gx[p] = 0
        row = np.empty(W, dtype=gx.dtype)
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
                        dst = gx[p, i_d, i_h]
                        for w in range(W):
                            dst[w] += row[w]


@njit(parallel=True, cache=True)
def mean_rows_backward(grad, gx):
    """gx[p, :] = grad[p] / n: the backward of `pool_avg.mean_rows` (global average)."""
    planes, n = gx.shape
    for p in prange(planes):
        v = grad[p] / gx.dtype.type(n)
        for i in range(n):
            gx[p, i] = v
