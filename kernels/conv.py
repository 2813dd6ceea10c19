"""Direct convolution kernels, NCDHW (1-D and 2-D run with singleton D/H dimensions).

x (N, C, D, H, W), w (K, C/groups, KD, KH, KW) and out (N, K, OD, OH, OW) are C-contiguous
arrays of one float dtype.

- `conv3d_direct` (dense and grouped): each task copies the input rows it reads,
  zero-padded and phased (`padded_window`), into a scratch of its own (a few rows of its
  group's channels: nothing per call grows with the input), so the tiles have no bounds
  checks: padding taps are multiplied like any other, which is also what torch's dense
  CPU convolution does (an inf weight gives NaN at the border). A stride-1 unpadded input
  is read in place. Each task computes two output rows of up to OUT_BLOCK channels in tiles as
  wide as one vector register (`tile_width`: 16 float32, 8 float64), whose accumulators
  live in stack buffers that LLVM keeps in registers; the last tile of a row overlaps the
  previous one instead of running a scalar remainder, which was far slower on narrow
  rows.
- `conv3d_depthwise` (one input channel per group) lives in kernels/conv_depthwise.py.
- `conv3d_bounds` skips padding taps instead of multiplying them, as torch's depthwise
  kernel does (an inf weight gives 0, not NaN, at the border); it is slow and serves
  depthwise convolutions with non-finite weights.

conv3d_direct, conv3d_grouped_h3, conv_rows and conv3d_depthwise read "phased rows"
(kernels/conv_pad.py), which make strided taps contiguous.

Measured choices (float32):
- loops index flat arrays with unsigned offsets: Numba adds a negative-index wraparound
  to signed indices, which stops vectorisation, and slicing row views inside the loops
  costs reference counting per view (far slower on narrow rows);
- inner helpers are inlined (`inline="always"`);
- only the 'contract' fastmath flag is used (FMAs), so NaN and inf propagate as in torch.
"""
import numpy as np
from numba import prange
from numba.extending import overload

from . import _shapes, tiles_direct
from ._stack import shape_constant, target_shape, tile_buffer, tile_width
from ._target import njit
from .conv_pad import _u, tap_table
from .rows import SLACK, padded_row

_FLAGS = {"contract"}
OUT_BLOCK = 8       # output channels of the widest tile of any target (`direct_shape`)
NARROW_BLOCK = _shapes.DIRECT_NARROW    # blocks of at most this many take the narrow tile
# a task's channel blocks are split in shares until there are this many tasks (N=1 layers
# with few rows: ResNet 3x3 s2 128->256 has 7 row pairs)
MIN_TASKS = 16
# values of a task's scratch beyond which it takes no more pairs of output rows (an L2's
# share: the rows a pair reads are few and stay in L1 while its tiles run)
SCRATCH_ROWS_MAX = 32768


# The tiles (kernels/tiles_direct.py) are called, not inlined: that cuts the compile time
# sharply for a small loss on dense convolutions. Their accumulators are their own stack
# buffers: buffers passed in from the caller stay in memory and were far slower. They are
# `tile_pointer`s (as `carray`s they cost calls into Numba's runtime on every tile), and the
# tiles compile without reference counting, so that none comes back.
# Positions ob..ob+nv-1 (nv <= TW) of output rows ob and ob2, channels k0..k0+kn-1
# (kn <= NARROW_BLOCK); all offsets unsigned. Two rows share each weight load. The T taps
# (c, kd, kh, kw) run as one loop over their input offsets (`offs`, conv_pad.tap_table).
# Called by name: through an overload it compiled longer.
_tile_narrow = tiles_direct.TILES[NARROW_BLOCK, 2]
_tile_shape = shape_constant("direct_shape")


def _tile_wide(xf, wf, of, bias8, xb, xb2, wb, ob, ob2, wstep, ostep, kn, nv, T, offs,
               epilogue):
    """As `_tile_narrow` for blocks of NARROW_BLOCK < kn channels, up to the target's
    tile (kernels/_shapes.py `direct_shape`: 8 with 32 registers, 6 with 16)."""


@overload(_tile_wide, jit_options={"fastmath": _FLAGS, "_nrt": False})
def _tile_wide_for(xf, wf, of, bias8, xb, xb2, wb, ob, ob2, wstep, ostep, kn, nv, T, offs,
                   epilogue):
    return tiles_direct.TILES[target_shape(_shapes.direct_shape, of.dtype)].py_func


@njit(inline="always")
def channel_blocks(Kg, wide):
    """(wide blocks, blocks) of a group's Kg output channels: blocks of `wide` channels
    (the target's tile) first, then of NARROW_BLOCK. A rest of 1 or 2 channels beside a
    wide block of 6 goes as two narrow blocks (8 = 4 + 4, not 6 + 2 on a 4-channel tile
    half idle); a rest above NARROW_BLOCK is a partial wide block."""
    full = Kg // wide
    rest = Kg - full * wide
    if rest > NARROW_BLOCK:
        full += 1
        rest = 0
    elif 0 < rest and full > 0 and rest + wide <= 2 * NARROW_BLOCK:
        full -= 1
        rest += wide
    return full, full + (rest + NARROW_BLOCK - 1) // NARROW_BLOCK


@njit(inline="always")
def pairs_per_task(planes, pairs, row_values, KH, sh, dh):
    """Pairs of output rows a `conv3d_direct` task takes where consecutive pairs read
    overlapping input rows: as many as leave MIN_TASKS tasks over the `planes` output
    planes of `pairs` pairs each, and a scratch of at most SCRATCH_ROWS_MAX values
    (`row_values` per scratch row)."""
    fit = (SCRATCH_ROWS_MAX // row_values - (KH - 1) * dh - 1 + sh) // (2 * sh)
    return max(1, min(pairs, planes * pairs // MIN_TASKS, fit))


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def conv3d_direct(x, w, bias, has_bias, out, taps, span, sd, sh, pd, ph, pw, sw, dd, dh,
                  groups, in_place, epilogue):
    """Dense and grouped convolution (module docstring). `taps` = tap_offsets(..., span)
    with `span` = phase_span(...), pads before (pd, ph, pw) >= 0; `in_place`: x is read
    as it is (stride 1 along W, no padding, span == W); `epilogue` (kernels/_epilogue.py)
    before the store.
    One task = `chunk` pairs of output rows (n, od, oh and oh + 1, ...) of one group and
    a share of its blocks of channels (`channel_blocks`); an odd last row is computed twice, a
    lone row pairs its own tiles. The task first copies the rows it reads (its group's
    channels, KD planes) zero-padded and phased into its own scratch: where consecutive
    pairs read overlapping rows (`shared`), a task of several pairs copies each row once
    instead of once per pair that reads it."""
    N, C, D, H, W = x.shape
    K, Cg, KD, KH, KW = w.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    xf = x.reshape(x.size)
    wf = w.reshape(w.size)
    of = out.reshape(out.size)
    Kg = K // groups
    wide = _tile_shape(out.dtype)[0]
    wide_blocks, blocks = channel_blocks(Kg, wide)
    pairs = (OH + 1) // 2
    Wp = sw * span
    # scratch rows of a task's output rows: shared (row j, tap kh at j*sh + kh*dh) when
    # that is no more than a copy per row (j*KH + kh)
    shared = sh + (KH - 1) * dh + 1 <= 2 * KH
    rj = sh if shared else KH
    rk = dh if shared else 1
    chunk = 1
    if shared and not in_place:
        chunk = pairs_per_task(N * OD * groups, pairs, Cg * KD * Wp, KH, sh, dh)
    chunks = (pairs + chunk - 1) // chunk
    row_tasks = N * OD * chunks * groups
    splits = min(blocks, max(1, (MIN_TASKS + row_tasks - 1) // row_tasks))
    RH = (2 * chunk - 1) * sh + (KH - 1) * dh + 1 if shared else 2 * KH
    if in_place:
        xc, xd, xh = D * H * W, dd * H * W, dh * W
    else:
        xc, xd, xh = KD * RH * Wp, RH * Wp, rk * Wp
    T = Cg * KD * KH * KW
    offs = tap_table(Cg, KD, KH, KW, xc, xd, xh, taps)
    u_plane = _u(OD * OH * OW)
    for t in prange(row_tasks * splits):
        # set inside the loop: a value from outside reaches the parallel body as a runtime
        # argument, and the tile loops must see a constant trip count
        TW = tile_width(out.dtype)
        nv = min(OW, TW)
        sp = t % splits
        g = (t // splits) % groups
        r = t // (splits * groups)
        oh0 = (r % chunks) * chunk * 2
        last = min(oh0 + 2 * chunk, OH) - 1
        od = (r // chunks) % OD
        n = r // (chunks * OD)
        xs = xf
        xplane = ((n * C + g * Cg) * D + od * sd) * H
        if not in_place:
            xs = np.empty(Cg * KD * RH * Wp + SLACK, dtype=x.dtype)
            # the second row's taps only when there is a second row
            rows = ((last - oh0) * sh + (KH - 1) * dh + 1 if shared else
                    RH if last > oh0 else (KH - 1) * rk + 1)
            for c in range(Cg):
                for kd in range(KD):
                    for i in range(rows):
                        ih = (oh0 * sh - ph + i if shared else
                              (oh0 + i // KH) * sh - ph + (i % KH) * dh)
                        id_ = od * sd - pd + kd * dd
                        padded_row(xf, xs, _u(((c * KD + kd) * RH + i) * Wp),
                                   n * C + g * Cg + c, id_, ih, D, H, W, pw, sw, span)
        for blk in range(sp * blocks // splits, (sp + 1) * blocks // splits):
            if blk < wide_blocks:
                k0 = g * Kg + blk * wide
                kn = min(wide, (g + 1) * Kg - k0)
            else:
                k0 = g * Kg + wide_blocks * wide + (blk - wide_blocks) * NARROW_BLOCK
                kn = min(NARROW_BLOCK, (g + 1) * Kg - k0)
            bias8 = tile_buffer(out.dtype)
            wstep = tile_buffer(np.uint64)
            for i in range(OUT_BLOCK):
                k = k0 + min(i, kn - 1)
                bias8[i] = bias[k] if has_bias else 0.0
                wstep[i] = _u((k - k0) * Cg * KD * KH * KW)
            oplane = ((n * K + k0) * OD + od) * OH
            wb = _u(k0 * Cg * KD * KH * KW)
            for oh in range(oh0, last + 1, 2):
                oh2 = min(oh + 1, OH - 1)
                if in_place:
                    x1 = _u((xplane + oh * sh) * W)
                    x2 = _u((xplane + oh2 * sh) * W)
                else:
                    x1 = _u((oh - oh0) * sh * Wp)        # chunk > 1 only where `shared`
                    x2 = x1 + _u((oh2 - oh) * rj * Wp)
                o1 = _u((oplane + oh) * OW)
                o2 = _u((oplane + oh2) * OW)
                # a single output row (1-D convolutions) pairs two tiles of that row instead
                step = 2 * TW if OH == 1 else TW
                ow0 = 0
                while ow0 < OW:
                    s = _u(max(0, min(ow0, OW - TW)))     # the last tile overlaps the previous
                    s2 = _u(max(0, min(ow0 + TW, OW - TW))) if OH == 1 else s
                    if kn > NARROW_BLOCK:
                        _tile_wide(xs, wf, of, bias8, x1 + s, x2 + s2, wb, o1 + s, o2 + s2,
                                   wstep, u_plane, kn, nv, T, offs, epilogue)
                    else:
                        _tile_narrow(xs, wf, of, bias8, x1 + s, x2 + s2, wb, o1 + s,
                                     o2 + s2, wstep, u_plane, kn, nv, T, offs, epilogue)
                    ow0 += step


@njit(parallel=True, cache=True)
def conv3d_bounds(x, w, bias, has_bias, out, sd, sh, sw, pd, ph, pw, dd, dh, dw, groups):
    """Any convolution, one output element at a time, padding taps skipped (not
    multiplied). Slow; used where that difference matters (non-finite depthwise weights)."""
    N, C, D, H, W = x.shape
    K, Cg, KD, KH, KW = w.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    Kg = K // groups
    for t in prange(N * K * OD):
        od = t % OD
        k = (t // OD) % K
        n = t // (OD * K)
        c0 = (k // Kg) * Cg
        for oh in range(OH):
            for ow in range(OW):
                acc = bias[k] if has_bias else 0.0
                for c in range(Cg):
                    for kd in range(KD):
                        id_ = od * sd - pd + kd * dd
                        if id_ < 0 or id_ >= D:
                            continue
                        for kh in range(KH):
                            ih = oh * sh - ph + kh * dh
                            if ih < 0 or ih >= H:
                                continue
                            for kw in range(KW):
                                iw = ow * sw - pw + kw * dw
                                if iw >= 0 and iw < W:
                                    acc += w[k, c, kd, kh, kw] * x[n, c0 + c, id_, ih, iw]
                out[n, k, od, oh, ow] = acc
