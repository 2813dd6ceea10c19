"""The weight gradient of a dense stride-1 convolution as shifted GEMMs on the 'pointwise'
register tiles, without an im2col (fastnn/nn/functional/_conv_grad.py picks it).

The input is zero-padded onto a grid of Dg x Hg x Wg positions per sample (its lengths:
`_conv_grad._grid_length`; a tap reaching past a row's end lands in the next row's
padding) and stored position-major (`pack_input`: xs[q, c] with grid position
q = n*V + (d*Hg + h)*Wg + w, V = Dg*Hg*Wg). The output gradient is laid on the same grid
(`pack_grad`: zero at the grid positions no output has), cut into chunks of L positions:
gs[chunk, k, l] at q = chunk*L + l. A tap's grid offset is
off_t = (kd*dd*Hg + kh*dh)*Wg + kw*dw, and

    gw[k, c, t] = sum over q of gs[k, q] * xs[q + off_t, c]

a GEMM over a long reduction whose right operand is the packed input itself, shifted by
the tap (an im2col writes and reads taps x the input). Read as a pointwise convolution,
the reduction is its input channels and the input channels its positions, so it runs on
the 'pointwise' tiles (kernels/tiles_pointwise.py: 8 rows of gs broadcast per step
against 32 input channels on AVX-512). Each worker runs a contiguous run of chunks, every
(block of output channels, tap, run of input channels) tile over a chunk while the
chunk's rows of gs and xs stay in cache, and adds the chunk's results into its own
partial sums (`weight_grad_shifted`). A large batch is packed and run a few samples at a
time, so the packed copies stay bounded.

Grid positions without an output multiply real inputs by zero and padding is multiplied
by the output gradient: 0 * inf would give NaN where torch gives a number, so the pack
kernels return a sum that is NaN when an array holds NaN or inf, and the caller then
takes the im2col path instead.
"""
import numpy as np
from numba import prange

from ._epilogue import EPILOGUE
from ._target import njit
from .conv_pad import _u
from .conv_pointwise import MIN_POSITIONS, _tile, _tile16, _tile_shape

_FLAGS = {"contract"}
# the tiles run along the input channels: at least the positions a 'pointwise' tile takes
MIN_CHANNELS = MIN_POSITIONS
# the packs' NaN/inf check is a sum of v * 0: reassoc lets it vectorise (any order of a
# sum holding a NaN is NaN)
_CHECK_FLAGS = {"reassoc"}


def chunk_length(k, c):
    """Grid positions per chunk: a chunk's rows of gs (k of them) and xs (c wide) in about
    512 KB, a power of two from 64 to 1024."""
    length = 1024
    while length > 64 and length * (k + c) > 1 << 17:
        length //= 2
    return length


@njit(parallel=True, cache=True, fastmath=_CHECK_FLAGS)
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
            for i in range(_u(lo) * uc):
                sf[at + i] = 0.0
            for i in range(_u(hi) * uc, _u(Wg) * uc):
                sf[at + i] = 0.0
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


@njit(inline="always")
def _put_run(gf, K, L, k, q, src, at, count):
    """Grid positions q..q + count - 1 of channel k of gs (flat, (chunks, K, L)) =
    src[at..] (zeros when `at` < 0), cut where a chunk ends; returns 0.0, or NaN when a
    value copied is NaN or inf."""
    check = 0.0
    done = 0
    while done < count:
        chunk = (q + done) // L
        offset = (q + done) - chunk * L
        run = min(count - done, L - offset)
        base = _u((chunk * K + k) * L + offset)
        if at < 0:
            for i in range(_u(run)):
                gf[base + i] = 0.0
        else:
            first = _u(at + done)
            for i in range(_u(run)):
                v = src[first + i]
                check += v * 0.0
                gf[base + i] = v
        done += run
    return check


@njit(parallel=True, cache=True, fastmath=_CHECK_FLAGS)
def pack_grad(g, gs, Dg, Hg, Wg):
    """gs[q // L, k, q % L] = g[n, k, d, h, w] at grid position q = n*V + (d*Hg + h)*Wg + w
    (L = gs.shape[2]), zero at grid positions with d, h or w past the output; positions
    from N*V on are left to the caller. Returns 0.0, or NaN when g holds NaN or inf."""
    N, K, OD, OH, OW = g.shape
    L = gs.shape[2]
    gf = gs.reshape(gs.size)
    src = g.reshape(g.size)
    checks = np.zeros(N * K * Dg)
    for task in prange(N * K * Dg):
        n = task // (K * Dg)
        k = (task // Dg) % K
        d = task % Dg
        q = (n * Dg + d) * Hg * Wg
        row = ((n * K + k) * OD + d) * OH * OW
        check = 0.0
        for h in range(Hg):
            # the row's outputs, then zeros to the grid row's end
            real = OW if d < OD and h < OH else 0
            if real:
                check += _put_run(gf, K, L, k, q, src, row + h * OW, real)
            check += _put_run(gf, K, L, k, q + real, src, -1, Wg - real)
            q += Wg
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
def weight_grad_shifted(xs, gs, offsets, partial, results, accumulate):
    """partial[w, t, k, c] (+= when `accumulate`) = the sum, over worker w's chunks (a
    near-equal contiguous run of gs.shape[0] chunks per worker, partial.shape[0]
    workers), of gs[chunk, k, l] * xs[chunk*L + l + offsets[t], c]. `results`
    (workers, T*K*C) holds a chunk's sums before they are added; xs has rows enough for
    the last chunk's reach."""
    chunks, K, L = gs.shape
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
            for k0 in range(0, K, kblock):
                kn = min(kblock, K - k0)
                for t in range(T):
                    xrow = _u((chunk * L + offsets[t]) * C)
                    orow = _u((t * K + k0) * C)
                    for c0 in range(0, C, width):
                        p0 = min(c0, C - width)
                        if wide:
                            _tile(xf, wf, chunk_sums, no_bias, 0, K, k0, kn, xrow, _u(C), L,
                                  no_taps, 1, orow, C, p0, EPILOGUE)
                        else:
                            _tile16(xf, wf, chunk_sums, no_bias, 0, K, k0, kn, xrow, _u(C),
                                    L, no_taps, 1, orow, C, p0, EPILOGUE)
            for i in range(size):
                sums[i] += chunk_sums[i]
