"""The weight gradient of a convolution with few input channels (a network's stem), its
input values broadcast straight from the padded input: no im2col
(fastnn/nn/functional/_conv_grad.py picks it).

For tap j = (c, kd, kh, kw) of output channel k,

    gw[k, j] = sum over samples and output positions (od, oh, ow) of
               g[n, k, od, oh, ow] * xp[n, c, od*sd + kd*dd, oh*sh + kh*dh, ow*sw + kw*dw]

with xp the input zero-padded (`pad_input`), so a tap's value at a position is xp at the
position's base plus the tap's offset (`tap_offsets`), whatever the stride, padding and
dilation. Each task lays its positions' output gradient position-major in L1, its channels padded
to whole groups, and a tile (kernels/tiles_weight_grad.py, shape
from kernels/_shapes.py `weight_grad_shape`: 6 taps x 4 groups of 16 channels on
AVX-512) loads the groups' vectors of a position and broadcasts one input value per tap,
accumulating over a run of positions with output channels in the lanes: no horizontal
sums, and its operands read in place. On the ResNet stem (3 channels, 7x7, stride 2) the
im2col path wrote and read back 147 values per position and its GEMM's reduction ran
over every position of a pass with no block in cache (`python -m fastnn bench --only
"conv_backward ResNet stem"`).

A task is a run of up to `segment` positions of one output row; each worker runs a
contiguous run of tasks, every tile over each, into its own partial sums
(partial[worker, j, k]), which the caller adds up. Padding taps are multiplied like any
other, as on the im2col path.
"""
import numpy as np
from numba import prange
from numba.extending import overload

from . import _shapes, tiles_weight_grad
from ._stack import shape_constant, target_shape
from ._target import njit, target
from .conv_pad import _u
from .rows import copy_run, fill, zero_margins

_FLAGS = {"contract"}
LANES = 16
L1_BYTES = 32 << 10     # a task's rows of gT stay in L1 across its tiles


def padded_shape(out_spatial, kernel, stride, dilation):
    """(Dp, Hp, Wp): the padded input positions the taps reach."""
    return tuple((o - 1) * s + d * (k - 1) + 1
                 for o, k, s, d in zip(out_spatial, kernel, stride, dilation))


def tap_offsets(channels, kernel, dilation, padded):
    """Each tap's offset in the padded input from its position's base (int64), taps in
    the weight's order (c, kd, kh, kw)."""
    dp, hp, wp = padded
    return np.array([((c * dp + kd * dilation[0]) * hp + kh * dilation[1]) * wp
                     + kw * dilation[2] for c in range(channels)
                     for kd, kh, kw in np.ndindex(*kernel)], np.int64)


def padded_channels(k, itemsize):
    """Output channels rounded up to whole groups of the target's tile."""
    groups = _shapes.weight_grad_shape(target().vector_bits, itemsize)[1]
    return -(-k // (LANES * groups)) * LANES * groups


def segment_length(kp, itemsize):
    """Positions per task: its rows of gT in L1_BYTES, at least LANES."""
    return max(LANES, L1_BYTES // (kp * itemsize))


@njit(parallel=True, cache=True)
def pad_input(x, xp, pd, ph, pw):
    """xp[n, c, d, h, w] = x[n, c, d - pd, h - ph, w - pw], zero outside x."""
    N, C, D, H, W = x.shape
    Dp, Hp, Wp = xp.shape[2], xp.shape[3], xp.shape[4]
    xf = x.reshape(x.size)
    pf = xp.reshape(xp.size)
    lo = min(pw, Wp)                      # columns lo..hi-1 hold the input row's
    hi = max(lo, min(Wp, pw + W))
    for plane in prange(N * C * Dp):
        d = plane % Dp - pd
        nc = plane // Dp
        for h in range(Hp):
            at = _u((plane * Hp + h) * Wp)
            ih = h - ph
            if 0 <= d < D and 0 <= ih < H and hi > lo:
                zero_margins(pf, at, lo, hi, Wp, 1)
                copy_run(pf, at + _u(lo), xf, _u(((nc * D + d) * H + ih) * W + lo - pw),
                         hi - lo)
            else:
                fill(pf, at, Wp, 0.0)


@njit(inline="always")
def _lay_rows(gf, rows, src, V, K, Kp, count):
    """rows[q*Kp + k] = gf[src + k*V + q] for q < count, k < K: eight positions of a
    channel at a time (one run read, eight stores), which ran faster here than
    conv_weight_grad's `transpose_row` (16 x 16 blocks, with its NaN check) and than a
    channel-inner gather."""
    whole = count - count % 8
    for q0 in range(0, whole, 8):
        for k in range(K):
            s = src + _u(k) * V + _u(q0)
            o = _u(q0) * Kp + _u(k)
            for q in range(8):
                rows[o + _u(q) * Kp] = gf[s + _u(q)]
    for q in range(whole, count):
        for k in range(K):
            rows[_u(q) * Kp + _u(k)] = gf[src + _u(k) * V + _u(q)]


_tile_shape = shape_constant("weight_grad_shape")


def _tile(xf, gf, part, offsets, j0, J, xb, step, gb, Kp, kb, count):
    """The target's tile (kernels/tiles_weight_grad.py)."""


# without reference counting, on `tile_pointer` buffers (kernels/conv_pointwise.py says why)
@overload(_tile, prefer_literal=True, jit_options={"fastmath": _FLAGS, "_nrt": False})
def _tile_for_target(xf, gf, part, offsets, j0, J, xb, step, gb, Kp, kb, count):
    return tiles_weight_grad.TILES[target_shape(_shapes.weight_grad_shape, gf.dtype)].py_func


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def weight_grad_gather(xp, g, offsets, partial, scratch, sd, sh, sw, accumulate):
    """partial[w, j, k] (+= when `accumulate`) = worker w's share of the sum over
    positions of g[n, k, position] * xp[position's base + offsets[j]] (module docstring).
    The tasks (runs of up to scratch.shape[1] // partial.shape[2] positions of one output
    row) split into partial.shape[0] near-equal contiguous runs; a task first lays its
    positions' output gradient position-major in its worker's row of `scratch`, channels
    padded with zeros to partial.shape[2]."""
    N, C, Dp, Hp, Wp = xp.shape
    K, OD, OH, OW = g.shape[1], g.shape[2], g.shape[3], g.shape[4]
    V = OD * OH * OW
    J, Kp = partial.shape[1], partial.shape[2]
    workers = partial.shape[0]
    segment = scratch.shape[1] // Kp
    taps, groups = _tile_shape(g.dtype)
    xf = xp.reshape(xp.size)
    gf = g.reshape(g.size)
    runs = (OW + segment - 1) // segment
    tasks = N * OD * OH * runs
    for worker in prange(workers):
        part = partial[worker].reshape(J * Kp)
        if not accumulate:
            part[:] = 0.0
        rows = scratch[worker]
        rows[:] = 0.0              # the padding channels stay zero
        for task in range(worker * tasks // workers, (worker + 1) * tasks // workers):
            row = task // runs
            ow0 = (task % runs) * segment
            count = min(segment, OW - ow0)
            oh = row % OH
            od = (row // OH) % OD
            n = row // (OH * OD)
            _lay_rows(gf, rows, _u(n * K * V + row % (OD * OH) * OW + ow0), _u(V), K,
                      _u(Kp), count)
            xb = _u((((n * C * Dp) + od * sd) * Hp + oh * sh) * Wp + ow0 * sw)
            for j0 in range(0, J, taps):
                for kb in range(0, Kp, LANES * groups):
                    _tile(xf, rows, part, offsets, j0, J, xb, _u(sw), _u(0), _u(Kp), kb,
                          count)
