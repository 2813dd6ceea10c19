"""Resampling kernels (F.interpolate): a nearest-neighbour gather and the weighted passes
of the linear, cubic and antialiased modes.

The Python layer (`fastnn.nn.functional._resample_index`) computes every source index and
weight once per call, as torch computes them; the kernels only gather and sum. A weighted
mode runs one pass per spatial dimension, the last dimension first: torch's N-d formula
``sum_h w_h * (sum_w w_w * x[h, w])`` is the same sum in the same order, so a float32
result differs from torch's only where the compiler contracted a multiply-add.
"""
from numba import prange

from ._target import njit
from .pooling import _chunk_bounds, num_chunks


@njit(parallel=True, cache=True)
def nearest3d(x, out, index_d, index_h, index_w):
    """out[p, d, h, w] = x[p, index_d[d], index_h[h], index_w[w]] on (planes, D, H, W)."""
    planes = x.shape[0]
    OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
    rows = planes * OD * OH
    nchunks = num_chunks(rows, out.size)
    for chunk in prange(nchunks):
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        previous = -1
        for r in range(r0, r1):
            oh = r % OH
            od = (r // OH) % OD
            p = r // (OH * OD)
            o = out[p, od, oh]
            source = (p * x.shape[1] + index_d[od]) * x.shape[2] + index_h[oh]
            if source == previous:
                # an upsampled row repeats the row above it: a copy, not a second gather
                o[:] = out[(r - 1) // (OH * OD), ((r - 1) // OH) % OD, (r - 1) % OH]
                continue
            previous = source
            src = x[p, index_d[od], index_h[oh]]
            for ow in range(OW):
                o[ow] = src[index_w[ow]]


@njit(parallel=True, cache=True)
def weighted_last(x, out, index, weights, counts):
    """out[r, o] = sum over k < counts[o] of x[r, index[o, k]] * weights[o, k], the terms
    added in order of k (x: (rows, W), out: (rows, OW))."""
    rows, OW = out.shape
    nchunks = num_chunks(rows, out.size)
    for chunk in prange(nchunks):
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        for r in range(r0, r1):
            src = x[r]
            o = out[r]
            for ow in range(OW):
                total = src[index[ow, 0]] * weights[ow, 0]
                for k in range(1, counts[ow]):
                    total += src[index[ow, k]] * weights[ow, k]
                o[ow] = total


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
            src = x[q, index[oh, 0]]
            w = weights[oh, 0]
            for i in range(inner):
                o[i] = src[i] * w
            for k in range(1, counts[oh]):
                src = x[q, index[oh, k]]
                w = weights[oh, k]
                for i in range(inner):
                    o[i] += src[i] * w
