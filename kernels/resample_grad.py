"""Backward kernels of F.interpolate and F.pad: the transposes of the gathers and weighted
passes in `resample.py` and `conv_pad.pad_gather3d`.

A gather out[o] = x[index[o]] has the scatter gx[index[o]] += grad[o] as its transpose;
each kernel zeroes and fills its own slice of `gx` (a plane, a row or a block of them),
so no two threads write the same element.
"""
from numba import prange

from ._target import njit
from .pooling import _chunk_bounds, num_chunks


@njit(parallel=True, cache=True)
def gather3d_backward(grad, gx, index_d, index_h, index_w):
    """gx[p, index_d[d], index_h[h], index_w[w]] += grad[p, d, h, w] on (planes, D, H, W):
    nearest resampling and reflect / replicate / circular padding, in output order."""
    planes = gx.shape[0]
    OD, OH, OW = grad.shape[1], grad.shape[2], grad.shape[3]
    for p in prange(planes):
        gx[p] = 0
        for od in range(OD):
            for oh in range(OH):
                dst = gx[p, index_d[od], index_h[oh]]
                src = grad[p, od, oh]
                for ow in range(OW):
                    dst[index_w[ow]] += src[ow]


@njit(parallel=True, cache=True)
def weighted_middle_backward(grad, gx, index, weights, counts):
    """gx[q, index[o, k], :] += grad[q, o, :] * weights[o, k] for k < counts[o], the
    transpose of `resample.weighted_middle` (grad: (outer, OH, inner), gx: (outer, H,
    inner))."""
    outer, OH, inner = grad.shape
    for q in prange(outer):
        gx[q] = 0
        for oh in range(OH):
            src = grad[q, oh]
            for k in range(counts[oh]):
                dst = gx[q, index[oh, k]]
                w = weights[oh, k]
                for i in range(inner):
                    dst[i] += src[i] * w


@njit(parallel=True, cache=True)
def weighted_last_backward(grad, gx, index, weights, counts):
    """gx[r, index[o, k]] += grad[r, o] * weights[o, k] for k < counts[o], the transpose of
    `resample.weighted_last` (grad: (rows, OW), gx: (rows, W))."""
    rows, OW = grad.shape
    nchunks = num_chunks(rows, grad.size)
    for chunk in prange(nchunks):
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        for r in range(r0, r1):
            src = grad[r]
            dst = gx[r]
            dst[:] = 0
            for ow in range(OW):
                g = src[ow]
                for k in range(counts[ow]):
                    dst[index[ow, k]] += g * weights[ow, k]
