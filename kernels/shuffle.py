"""Pixel and channel shuffles: pure data movement, one parallel loop over output planes.

A numpy transposed copy does pixel_shuffle's work several times slower (its innermost
axis is the factor r, two elements long): `python benchmarks/rules.py resample`.
"""
from numba import prange

from ._target import njit


@njit(parallel=True, cache=True)
def pixel_shuffle(x, out, r):
    """out[b, c, h*r + i, w*r + j] = x[b, c*r*r + i*r + j, h, w] (x: (B, C*r*r, H, W))."""
    B, C = out.shape[0], out.shape[1]
    H, W = x.shape[2], x.shape[3]
    for bc in prange(B * C):
        b = bc // C
        c = bc % C
        for i in range(r):
            for h in range(H):
                dst = out[b, c, h * r + i]
                for j in range(r):
                    src = x[b, (c * r + i) * r + j, h]
                    for w in range(W):
                        dst[w * r + j] = src[w]


@njit(parallel=True, cache=True)
def pixel_unshuffle(x, out, r):
    """out[b, c*r*r + i*r + j, h, w] = x[b, c, h*r + i, w*r + j] (out: (B, C*r*r, H, W))."""
    B, C = x.shape[0], x.shape[1]
    H, W = out.shape[2], out.shape[3]
    for bc in prange(B * C):
        b = bc // C
        c = bc % C
        for i in range(r):
            for h in range(H):
                src = x[b, c, h * r + i]
                for j in range(r):
                    dst = out[b, (c * r + i) * r + j, h]
                    for w in range(W):
                        dst[w] = src[w * r + j]


@njit(parallel=True, cache=True)
def channel_shuffle(x, out, groups):
    """out[n, i*groups + g] = x[n, g*(C/groups) + i] on (N, C, S) planes, each plane copied
    by a plain loop (a slice assignment, which Numba checks for overlap first, timed
    slower and more spread)."""
    N, C, S = x.shape
    per_group = C // groups
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        src = x[n, (c % groups) * per_group + c // groups]
        dst = out[n, c]
        for s in range(S):
            dst[s] = src[s]
