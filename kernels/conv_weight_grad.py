"""The weight gradient of a dense stride-1 convolution as shifted GEMMs on the 'pointwise'
register tiles, without an im2col (fastnn/nn/functional/_conv_grad.py picks it).

The input is zero-padded onto a grid of Dg x Hg x Wg positions per sample (its lengths:
`_conv_grad._grid_length`; a tap reaching past a row's end lands in the next row's
padding) and stored position-major (`pack_input`: xs[q, c] with grid position
q = n*V + (d*Hg + h)*Wg + w, V = Dg*Hg*Wg). The output gradient is laid on the same grid,
in chunks of B whole grid rows of one output plane (`pack_grad`: gs[chunk, k, l] at
q = start(chunk) + l, zero in the columns past the output's and the rows past its last),
so the grid's rows and planes that hold no output (the padding after it) are never
reduced over. A tap's grid offset is off_t = (kd*dd*Hg + kh*dh)*Wg + kw*dw, and

    gw[k, c, t] = sum over q of gs[k, q] * xs[q + off_t, c]

a GEMM over a long reduction whose right operand is the packed input itself, shifted by
the tap (an im2col writes and reads taps x the input). Read as a pointwise convolution,
the reduction is its input channels and the input channels its positions, so it runs on
the 'pointwise' tiles (kernels/tiles_pointwise.py: 8 rows of gs broadcast per step
against 32 input channels on AVX-512, 6 against 16 on AVX2). Each worker runs a
contiguous run of chunks, every (block of output channels, tap, run of input channels)
tile over a chunk while the chunk's rows of gs and xs stay in cache, and adds the
chunk's results into its own partial sums (`weight_grad_shifted`). A large batch is
packed and run a few samples at a time, so the packed copies stay bounded.

Grid positions without an output multiply real inputs by zero and padding is multiplied
by the output gradient: 0 * inf would give NaN where torch gives a number, so the pack
kernels return a sum that is NaN when an array holds NaN or inf, and the caller then
takes the im2col path instead.
"""
import numpy as np
from numba import prange

from ._epilogue import NONE
from ._target import njit
from .conv_pad import _u
from .exp32 import CHECK_MATH
from .rows import fill, zero_margins
from .conv_pointwise import MIN_POSITIONS, _tile, _tile16, _tile_shape

_FLAGS = {"contract"}
# the tiles run along the input channels: at least the positions a 'pointwise' tile takes
MIN_CHANNELS = MIN_POSITIONS


def chunk_length(k, c):
    """Grid positions per chunk: a chunk's rows of gs (k of them) and xs (c wide) in about
    512 KB, a power of two from 64 to 1024."""
    length = 1024
    while length > 64 and length * (k + c) > 1 << 17:
        length //= 2
    return length


@njit(parallel=True, cache=True, fastmath=CHECK_MATH)
def pack_input(x, xs, Dg, Hg, Wg, pd, ph, pw):
    """xs[n*V + (d*Hg + h)*Wg + w, c] = x[n, c, d - pd, h - ph, w - pw], zero outside x;
    rows from N*V on are left to the caller. Returns 0.0, or NaN when x holds NaN or inf."""
    N, C, D, H, W = x.shape
    plane = Hg * Wg
    channel = _u(D * H * W)
    xf = x.reshape(x.size)
    sf = xs.reshape(xs.size)
    uc = _u(C)
    checks = np.zeros(N * Dg)
    for task in prange(N * Dg):
        n = task // Dg
        id_ = task % Dg - pd
        check = 0.0
        for h in range(Hg):
            ih = h - ph
            at = _u(task * plane + h * Wg) * uc
            # grid columns lo..hi-1 hold the input row's columns, the rest are padding
            lo, hi = Wg, Wg
            if 0 <= id_ < D and 0 <= ih < H:
                lo, hi = min(pw, Wg), min(Wg, pw + W)
            zero_margins(sf, at, lo, hi, Wg, C)
            if hi > lo:
                check += transpose_row(xf, sf, _u(((n * C * D + id_) * H + ih) * W),
                                       channel, at + _u(lo) * uc, C, uc, hi - lo)
        checks[task] = check
    return checks.sum()


@njit(inline="always")
def transpose_row(xf, sf, src, channel, at, C, stride, count):
    """sf[at + w*stride + c] = xf[src + c*channel + w] for w < count, c < C, in 16 x 16
    blocks: a column of all channels at a time missed L1 on every read where the channels'
    rows are a multiple of 4 KiB apart (a 1-D input of 1,024 columns). Returns the sum of
    the values times zero (NaN when one is NaN or inf)."""
    check = 0.0
    for w0 in range(0, count, 16):
        wn = _u(min(16, count - w0))
        for c0 in range(0, C, 16):
            for c in range(c0, min(c0 + 16, C)):
                s = src + _u(c) * channel + _u(w0)
                o = at + _u(w0) * stride + _u(c)
                for j in range(wn):
                    v = xf[s + j]
                    check += v * 0.0
                    sf[o + j * stride] = v
    return check


def chunk_rows(out_rows, grid_width, length):
    """Grid rows per chunk (B): as many output rows of a plane as fit in `length` positions,
    split evenly over the plane's chunks (out_rows 28 in chunks of at most 34 rows: one
    chunk of 28, not one of 34 with 6 rows of zeros)."""
    most = max(1, length // grid_width)
    return -(-out_rows // -(-out_rows // most))


@njit(inline="always")
def chunk_start(chunk, OD, per_plane, B, V, Hg, Wg):
    """The grid position of chunk `chunk`'s first row: B rows from output row p*B of plane
    d of sample n (chunk = (n*OD + d)*per_plane + p)."""
    p = chunk % per_plane
    d = (chunk // per_plane) % OD
    n = chunk // (per_plane * OD)
    return n * V + (d * Hg + p * B) * Wg


@njit(parallel=True, cache=True, fastmath=CHECK_MATH)
def pack_grad(g, gs, Wg):
    """gs[chunk, k, r*Wg + w] = g[n, k, d, p*B + r, w] (chunk = (n*OD + d)*per_plane + p,
    B = gs.shape[2] // Wg rows per chunk), zero for w past OW and rows past OH. Returns
    0.0, or NaN when g holds NaN or inf."""
    N, K, OD, OH, OW = g.shape
    L = gs.shape[2]
    B = L // Wg
    per_plane = (OH + B - 1) // B
    gf = gs.reshape(gs.size)
    src = g.reshape(g.size)
    chunks = gs.shape[0]
    checks = np.zeros(chunks * K)
    for task in prange(chunks * K):
        chunk = task // K
        k = task % K
        p = chunk % per_plane
        d = (chunk // per_plane) % OD
        n = chunk // (per_plane * OD)
        at = _u(task * L)
        check = 0.0
        for r in range(B):
            h = p * B + r
            real = OW if h < OH else 0
            if real:
                row = _u((((n * K + k) * OD + d) * OH + h) * OW)
                for w in range(_u(real)):
                    v = src[row + w]
                    check += v * 0.0
                    gf[at + w] = v
            fill(gf, at + _u(real), Wg - real, 0.0)
            at += _u(Wg)
        checks[task] = check
    return checks.sum()


@njit(parallel=True, cache=True)
def finish(partial, gw):
    """gw (K, C, T) = the sum over workers of partial (workers, T, K, C)."""
    workers, T, K, C = partial.shape
    for k in prange(K):
        for c in range(C):
            for t in range(T):
                total = partial[0, t, k, c]
                for w in range(1, workers):
                    total += partial[w, t, k, c]
                gw[k, c, t] = total


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def weight_grad_shifted(xs, gs, offsets, partial, results, accumulate, OD, OH, V, Hg, Wg):
    """partial[w, t, k, c] (+= when `accumulate`) = the sum, over worker w's chunks (a
    near-equal contiguous run of gs.shape[0] chunks per worker, partial.shape[0]
    workers), of gs[chunk, k, l] * xs[start(chunk) + l + offsets[t], c] (`pack_grad`'s
    chunks of the OD x OH output rows of each sample, on a grid of V positions per sample
    and Hg x Wg per plane). `results`
    (workers, T*K*C) holds a chunk's sums before they are added; xs has rows enough for
    the last chunk's reach."""
    chunks, K, L = gs.shape
    B = L // Wg
    per_plane = (OH + B - 1) // B
    C = xs.shape[1]
    T = offsets.shape[0]
    workers = partial.shape[0]
    kblock, runs = _tile_shape(gs.dtype)
    wide = runs == 2 and C >= 32
    width = 32 if wide else 16
    xf = xs.reshape(xs.size)
    no_taps = np.zeros(1, np.uint64)
    no_bias = np.zeros(1, gs.dtype)
    size = T * K * C
    for worker in prange(workers):
        sums = partial[worker].reshape(size)
        if not accumulate:
            sums[:] = 0.0
        chunk_sums = results[worker]
        for chunk in range(worker * chunks // workers, (worker + 1) * chunks // workers):
            wf = gs[chunk].reshape(K * L)
            start = chunk_start(chunk, OD, per_plane, B, V, Hg, Wg)
            for k0 in range(0, K, kblock):
                kn = min(kblock, K - k0)
                for t in range(T):
                    xrow = _u((start + offsets[t]) * C)
                    orow = _u((t * K + k0) * C)
                    for c0 in range(0, C, width):
                        p0 = min(c0, C - width)
                        if wide:
                            _tile(xf, wf, chunk_sums, no_bias, 0, K, k0, kn, xrow, _u(C), L,
                                  no_taps, 1, orow, C, p0, NONE)
                        else:
                            _tile16(xf, wf, chunk_sums, no_bias, 0, K, k0, kn, xrow, _u(C),
                                    L, no_taps, 1, orow, C, p0, NONE)
            for i in range(size):
                sums[i] += chunk_sums[i]
