"""Resampling kernels (F.interpolate): a nearest-neighbour gather and the weighted passes
of the linear, cubic and antialiased modes.

The Python layer (`fastnn.nn.functional._resample_index`) computes every source index and
weight once per call, as torch computes them; the kernels only gather and sum. A weighted
mode runs one pass per spatial dimension, the last dimension first: torch's N-d formula
``sum_h w_h * (sum_w w_w * x[h, w])`` is the same sum in the same order, so a float32
result differs from torch's only where the compiler contracted a multiply-add.
"""
import numpy as np
from numba import prange

from ._target import njit
from .conv_pad import _u
from .pooling import _chunk_bounds, num_chunks


@njit(parallel=True, cache=True)
def nearest3d(x, out, index_d, index_h, index_w):
    """out[p, d, h, w] = x[p, index_d[d], index_h[h], index_w[w]] on (planes, D, H, W), both
    C-contiguous. Offsets are unsigned (a signed index is checked for wrapping around per
    element), a row's (plane, d, h) is stepped from the previous row's, not divided out
    of the row's number, and a gathered row is read and written through views of its own
    (not the flat arrays at an offset): each of the three kept short rows slower
    (`benchmarks/rules.py nearest`). A repeated row's copy stays on the flat array: through
    two views of one array it was slower."""
    planes = x.shape[0]
    D, H, W = x.shape[1], x.shape[2], x.shape[3]
    OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
    xf = x.reshape(x.size)
    of = out.reshape(out.size)
    rows = planes * OD * OH
    nchunks = num_chunks(rows, out.size)
    for chunk in prange(nchunks):
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        previous = -1
        oh = r0 % OH
        od = (r0 // OH) % OD
        p = r0 // (OH * OD)
        for r in range(r0, r1):
            dst = _u(r * OW)
            source = (p * D + index_d[od]) * H + index_h[oh]
            if source == previous:
                copy_row_above(of, dst, OW)
            else:
                previous = source
                src = _u(source * W)
                source_row = xf[src:src + _u(W)]
                row = of[dst:dst + _u(OW)]
                for ow in range(_u(OW)):
                    row[ow] = source_row[_u(index_w[ow])]
            oh, od, p = next_row(oh, od, p, OH, OD)


@njit(inline="always")
def copy_row_above(of, dst, OW):
    """An upsampled row repeats the row above it: a copy, not a second gather."""
    for ow in range(_u(OW)):
        of[dst + ow] = of[dst - _u(OW) + ow]


@njit(inline="always")
def next_row(oh, od, p, OH, OD):
    """The (oh, od, plane) of the row after (oh, od, p), stepped, not divided out."""
    oh += 1
    if oh == OH:
        oh = 0
        od += 1
        if od == OD:
            od = 0
            p += 1
    return oh, od, p


@njit(inline="always")
def _tap_sum(src, index, weights, ow, taps):
    """sum over k < taps of src[index[ow, k]] * weights[ow, k], in order of k."""
    total = src[index[ow, 0]] * weights[ow, 0]
    for k in range(1, taps):
        total += src[index[ow, k]] * weights[ow, k]
    return total


@njit(parallel=True, cache=True)
def weighted_middle(x, out, index, weights, counts):
    """out[q, o, :] = sum over k < counts[o] of x[q, index[o, k], :] * weights[o, k], in
    order of k (x: (outer, H, inner), out: (outer, OH, inner))."""
    outer, OH, inner = out.shape
    rows = outer * OH
    nchunks = num_chunks(rows, out.size)
    for chunk in prange(nchunks):
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        for r in range(r0, r1):
            oh = r % OH
            q = r // OH
            o = out[q, oh]
            taps = counts[oh]
            if taps == 2:
                # the two taps in one sweep: half the passes over the output row
                s0, s1 = x[q, index[oh, 0]], x[q, index[oh, 1]]
                w0, w1 = weights[oh, 0], weights[oh, 1]
                for i in range(inner):
                    o[i] = s0[i] * w0 + s1[i] * w1
                continue
            if taps == 4:
                s0, s1 = x[q, index[oh, 0]], x[q, index[oh, 1]]
                s2, s3 = x[q, index[oh, 2]], x[q, index[oh, 3]]
                w0, w1, w2, w3 = weights[oh, 0], weights[oh, 1], weights[oh, 2], weights[oh, 3]
                for i in range(inner):
                    o[i] = s0[i] * w0 + s1[i] * w1 + s2[i] * w2 + s3[i] * w3
                continue
            src = x[q, index[oh, 0]]
            w = weights[oh, 0]
            for i in range(inner):
                o[i] = src[i] * w
            for k in range(1, taps):
                src = x[q, index[oh, k]]
                w = weights[oh, k]
                for i in range(inner):
                    o[i] += src[i] * w


# Rows per block of `weighted_last_blocked`: at 16 LLVM unrolls the lane loop into scalar
# code (it cannot see that the block and the sums do not overlap); at 64 it vectorises.
# `python benchmarks/rules.py resample` times it against the gather (`weighted_last`) and
# against phase-by-phase loops over a repeating table (x2), both slower.
_BLOCK = 64


@njit(parallel=True, cache=True)
def weighted_last_blocked(x, out, index, weights, counts):
    """`weighted_last` on blocks of 64 rows: a block is transposed into a scratch
    (W, 64) so that every tap adds 64 outputs at once, as vector operations (a gather
    reads one input per tap and output). Each output's terms are still added in order
    of k."""
    rows, W = x.shape
    OW = out.shape[1]
    xf = x.reshape(x.size)
    of = out.reshape(out.size)
    nblocks = (rows + _BLOCK - 1) // _BLOCK
    nchunks = num_chunks(nblocks, out.size)
    for chunk in prange(nchunks):
        block = np.zeros((W, _BLOCK), dtype=x.dtype)
        sums = np.empty((OW, _BLOCK), dtype=x.dtype)
        b0, b1 = _chunk_bounds(chunk, nchunks, nblocks)
        for blk in range(b0, b1):
            r0 = blk * _BLOCK
            n = min(_BLOCK, rows - r0)
            # columns read through unsigned slices (as kernels/transpose.py reads them)
            rows_in = xf[_u(r0 * W):]
            for w in range(W):
                column = block[w]
                src = rows_in[_u(w):]
                for b in range(_u(n)):
                    column[b] = src[b * _u(W)]
            for ow in range(OW):
                i0 = index[ow, 0]
                wk = weights[ow, 0]
                for b in range(_BLOCK):
                    sums[ow, b] = block[i0, b] * wk
                for k in range(1, counts[ow]):
                    ik = index[ow, k]
                    wk = weights[ow, k]
                    for b in range(_BLOCK):
                        sums[ow, b] += block[ik, b] * wk
            rows_out = of[_u(r0 * OW):]
            for ow in range(OW):
                column = sums[ow]
                dst = rows_out[_u(ow):]
                for b in range(_u(n)):
                    dst[b * _u(OW)] = column[b]


@njit(parallel=True, cache=True)
def weighted_last(x, out, index, weights, counts):
    """out[r, o] = sum over k < counts[o] of x[r, index[o, k]] * weights[o, k], the terms
    added in order of k (x: (rows, W), out: (rows, OW)): a gather per tap and output,
    for rows too long for `weighted_last_blocked`'s scratch."""
    rows, OW = out.shape
    nchunks = num_chunks(rows, out.size)
    for chunk in prange(nchunks):
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        for r in range(r0, r1):
            src = x[r]
            o = out[r]
            for ow in range(OW):
                o[ow] = _tap_sum(src, index, weights, ow, counts[ow])
