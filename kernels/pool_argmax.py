"""The argmax of every max pooling window of an output row, separably, with the index
loop's rule (`pooling.max_pool3d_with_indices`, torch's): the first maximum in row-major
order, or the last NaN; a window of -inf alone gives its first in-range element, and a
window that holds no input element -inf at torch's index (its first in-range position
along each dim, which may lie past the input).

Two steps per output row, both unit-stride selects that LLVM vectorises:
- down each input column over the window's rows (`_column_step`), keeping the winner and
  its row's rank among the window's rows as a number of x's dtype (the same lane width as
  the values);
- across each window's columns (`_row_step`), on the columns' winners copied out by phases
  of the stride (`rows.gather2` for stride 2), where a tie between two columns goes to the
  lower row rank (taps are taken in column order). Positions in the padding hold -inf at
  rank +inf, so they never win against an input element.

The flat indices are formed after the selects, in a loop of their own. The caller checks
that the padded row stays short (`_pool_ops._separable_fits`) and that every rank is exact
in x's dtype (`_pool_ops.argmax_fits`).
"""
import numpy as np
from numba import prange

from ._target import njit
from .conv_pad import _u
from .pooling import _chunk_bounds, first_tap, valid_taps
from .rows import SLACK, gather2

# ranks of a window's rows are exact integers in float32 below this
MAX_WINDOW_ROWS = 1 << 24


@njit(inline="always")
def row_geometry(OW, W, kw, sw, pw, dw):
    """(the first tap of each window along W, torch's first in-range tap, whether the
    window holds an input column), per output column."""
    first_col = np.empty(OW, dtype=np.int64)
    first_in = np.empty(OW, dtype=np.int64)
    has_col = np.empty(OW, dtype=np.bool_)
    for ow in range(OW):
        start = ow * sw - pw
        a0, a1 = valid_taps(start, kw, dw, W)
        first_col[ow] = start
        first_in[ow] = start + first_tap(start, dw) * dw
        has_col[ow] = a0 < a1
    return first_col, first_in, has_col


@njit(inline="always")
def scratch(x, span, sw, OW, window_rows):
    """One task's buffers: (col_v, col_r, phased_v, phased_r, best, rank, tap, at, rows)."""
    total = sw * span
    inf = x.dtype.type(np.inf)
    # 2 * SLACK past the end: gather2's register loads of the last phase stay inside
    col_v = np.full(total + 2 * SLACK, -inf, dtype=x.dtype)
    col_r = np.full(total + 2 * SLACK, inf, dtype=x.dtype)
    if sw == 1:
        phased_v = col_v
        phased_r = col_r
    else:
        phased_v = np.empty(total, dtype=x.dtype)
        phased_r = np.empty(total, dtype=x.dtype)
    return (col_v, col_r, phased_v, phased_r, np.empty(OW, dtype=x.dtype),
            np.empty(OW, dtype=x.dtype), np.empty(OW, dtype=x.dtype),
            np.empty(OW, dtype=np.int64), np.empty(max(1, window_rows), dtype=np.int64))


@njit(inline="always")
def row_argmax(x, p, d0, d1, dd, h0, h1, dh, kw, sw, pw, dw, span, first_col, first_in,
               has_col, col_v, col_r, phased_v, phased_r, best, rank, tap, at, rows):
    """best[ow], at[ow]: the value and flat index (into the plane) of the argmax of each
    window of plane p whose rows are (d, h) for d in range(d0, d1, dd), h in range(h0,
    h1, dh) (d0, h0 in range: their first in-range taps)."""
    H, W = x.shape[2], x.shape[3]
    dtype = x.dtype.type
    OW = best.shape[0]
    n = 0
    i_d = d0
    while i_d < d1:
        i_h = h0
        while i_h < h1:
            rows[n] = i_d * H + i_h
            if n == 0:
                col_v[pw:pw + W] = x[p, i_d, i_h]
                col_r[pw:pw + W] = 0
            else:
                _column_step(x[p, i_d, i_h], col_v[pw:pw + W], col_r[pw:pw + W], dtype(n))
            n += 1
            i_h += dh
        i_d += dd
    if n == 0:      # no input row: torch's index of its first (absent) element
        first = (d0 * H + h0) * W
        for ow in range(OW):
            best[ow] = -np.inf
            at[ow] = first + first_in[ow]
        return
    if sw == 2:
        for phase in range(2):
            gather2(phased_v, _u(phase * span), col_v, _u(phase), span)
            gather2(phased_r, _u(phase * span), col_r, _u(phase), span)
    elif sw > 2:
        for phase in range(sw):
            for j in range(span):
                phased_v[phase * span + j] = col_v[j * sw + phase]
                phased_r[phase * span + j] = col_r[j * sw + phase]
    best[:] = phased_v[:OW]
    rank[:] = phased_r[:OW]
    tap[:] = 0
    for k in range(1, kw):
        off = k * dw
        _row_step(phased_v, phased_r, _u((off % sw) * span + off // sw), dtype(k), best,
                  rank, tap)
    first = rows[0] * W
    for ow in range(OW):
        if has_col[ow]:
            at[ow] = rows[np.int64(rank[ow])] * W + first_col[ow] + np.int64(tap[ow]) * dw
        else:       # no input column: -inf at torch's index
            best[ow] = -np.inf
            at[ow] = first + first_in[ow]


@njit(inline="always")
def _column_step(src, col_v, col_r, r):
    """One more window row, of rank r, into the columns' winners: a later number wins only
    when larger, a NaN always (torch's last NaN)."""
    for w in range(_u(src.shape[0])):
        v = src[w]
        b = col_v[w]
        take = (v > b) | (v != v)          # bitwise: selects, not branches
        col_v[w] = v if take else b
        col_r[w] = r if take else col_r[w]


@njit(inline="always")
def _row_step(values, ranks, base, k, best, rank, tap):
    """Tap k of every window of an output row against the window's winner so far (taps
    0..k-1): the tap comes later in row-major order unless its row ranks lower. Any NaN
    beats a number and the last NaN is torch's; among numbers the larger wins, and on a
    tie the earlier (torch's first maximum)."""
    for ow in range(_u(best.shape[0])):
        v = values[base + ow]
        r = ranks[base + ow]
        b = best[ow]
        a = rank[ow]
        take = ((v != v) & ((b == b) | (r >= a))) | (v > b) | ((v == b) & (r < a))
        best[ow] = v if take else b
        rank[ow] = r if take else a
        tap[ow] = k if take else tap[ow]


@njit(inline="always")
def padded_span(W, OW, kw, sw, pw, dw):
    """Elements per phase of the padded row every window of an output row reads."""
    reach = max(pw + W, (OW - 1) * sw + (kw - 1) * dw + 1)
    return (reach + sw - 1) // sw


@njit(parallel=True, cache=True)
def max_pool3d_argmax(x, out, indices, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    """`pooling.max_pool3d_with_indices` (values and flat indices), separably."""
    planes, D, H, W = x.shape
    OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
    span = padded_span(W, OW, kw, sw, pw, dw)
    first_col, first_in, has_col = row_geometry(OW, W, kw, sw, pw, dw)
    rows_total = planes * OD * OH
    nchunks = max(1, min(rows_total, 256, x.size // 16384))
    for chunk in prange(nchunks):
        col_v, col_r, phased_v, phased_r, best, rank, tap, at, rows = scratch(
            x, span, sw, OW, kd * kh)
        r0, r1 = _chunk_bounds(chunk, nchunks, rows_total)
        for r in range(r0, r1):
            oh = r % OH
            od = (r // OH) % OD
            p = r // (OH * OD)
            d0 = od * sd - pd
            d1 = min(d0 + (kd - 1) * dd + 1, D)
            d0 += first_tap(d0, dd) * dd
            h0 = oh * sh - ph
            h1 = min(h0 + (kh - 1) * dh + 1, H)
            h0 += first_tap(h0, dh) * dh
            row_argmax(x, p, d0, d1, dd, h0, h1, dh, kw, sw, pw, dw, span, first_col,
                       first_in, has_col, col_v, col_r, phased_v, phased_r, best, rank,
                       tap, at, rows)
            out[p, od, oh] = best
            indices[p, od, oh] = at


@njit(parallel=True, cache=True)
def max_pool2x2_argmax(x, values, indices):
    """`max_pool3d_argmax` for 2x2 windows at stride 2 without padding or dilation, x
    (planes, 1, H, W) and every window inside it: each window's four elements in torch's
    scan order (row by row), a larger value or a NaN replacing the one held, so that ties
    keep the first and NaNs the last, as torch's loop does."""
    planes = x.shape[0]
    W = x.shape[3]
    OH, OW = values.shape[2], values.shape[3]
    for task in prange(planes * OH):
        p = task // OH
        top = 2 * (task % OH)
        for ow in range(OW):
            left = 2 * ow
            best = x[p, 0, top, left]
            at = top * W + left
            v = x[p, 0, top, left + 1]
            if v > best or v != v:
                best, at = v, top * W + left + 1
            v = x[p, 0, top + 1, left]
            if v > best or v != v:
                best, at = v, (top + 1) * W + left
            v = x[p, 0, top + 1, left + 1]
            if v > best or v != v:
                best, at = v, (top + 1) * W + left + 1
            values[p, 0, top // 2, ow] = best
            indices[p, 0, top // 2, ow] = at
