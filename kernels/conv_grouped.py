"""Grouped convolution with few channels per group, 3 kernel rows, stride 1 or 2 and
dilation 1 along H (e.g. ResNeXt's 3x3 g32: 4 to 32 channels per group).

It reads zero-padded, phased rows as `conv3d_direct` does (each task copies the rows it
reads into its own scratch; a stride-1 unpadded input is read in place) and writes NCDHW.
A tile is 4 output channels (2 with 16 vector registers: kernels/_shapes.py
`grouped_shape`) x 4 output rows x one register of positions: each loaded input row feeds
the three output rows that use it, for the 4 channels, so a load feeds 12 FMAs
(conv3d_direct's 2-row tile: 8 FMAs per 6 loads, load-bound on 4-channel groups). At
stride 2 along H the 4 output rows read 9 input rows (`tile_CxR_s2`): 48 FMAs per 9
loads per channel, for ResNeXt's and RegNet's strided layers (`python benchmarks/rules.py
grouped` times them on 'direct' and here). One task = all the channels of one group over
a band of BAND output rows: the band's (BAND - 1) * stride + 3 input rows are copied once
for all its channels; the plane's last row group overlaps the previous one.
Padding taps are multiplied like any other (as in conv3d_direct). Only 'contract' is used.

Measured choices (g32 n8 128ch 28x28 and n1 256ch 28x28, 2 threads): one `acc += q * x`
per multiply-add (an FMA each; `acc += q0*x0 + q1*x1 + q2*x2` compiled to a mul, 2 FMAs
and an add) and unmasked stores for full tiles (kernels/rows.py `store_run`) each made the
kernel faster; a per-task scratch of a band costs about what a padded copy of the whole
input did, and bands of 8 rows were slower than one band per 28-row plane.
"""
import numpy as np
from numba import prange, types
from numba.extending import overload

from . import _shapes, tiles_grouped
from ._stack import shape_constant, target_shape, tile_width
from ._target import njit
from .conv_pad import _u, tap_table
from .rows import SLACK, padded_row

_FLAGS = {"contract"}
ROWS = 4        # output rows of a tile at most (the caller's check: OH >= ROWS)
CHANNELS = 4    # K/groups must be a multiple of this (and so of any tile's channels)
BAND = 32   # output rows per task (a multiple of ROWS): 28-row planes are one (docstring)


_tile_shape = shape_constant("grouped_shape")


def _tile(xf, wf, of, bias, k0, has_bias, xb, wb, ob, T, xoffs, woffs, KW, xh, wk, ostep,
          ow_len, nv, stride, epilogue):
    """The target's tile for `stride` along H (a literal; kernels/tiles_grouped.py):
    channels k0.. x rows ob, ob + ow_len, .. x nv positions."""


@overload(_tile, prefer_literal=True, jit_options={"fastmath": _FLAGS})
def _tile_for_target(xf, wf, of, bias, k0, has_bias, xb, wb, ob, T, xoffs, woffs, KW, xh,
                     wk, ostep, ow_len, nv, stride, epilogue):
    if not isinstance(stride, types.IntegerLiteral):
        return None
    shape = target_shape(_shapes.grouped_shape, of.dtype) + (stride.literal_value,)
    return tiles_grouped.TILES[shape].py_func


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def conv3d_grouped_h3(x, w, bias, has_bias, out, taps, span, sd, sh, pd, ph, pw, sw, dd,
                      groups, in_place, epilogue):
    """Grouped convolution (as conv3d_direct: same `taps`, `span`, pads, `in_place` and
    `epilogue`), for KH == 3, stride `sh` 1 or 2 and dilation 1 along H, OH >= ROWS and
    K/groups a multiple of CHANNELS (the caller checks). One task = one group's channels
    over a band of BAND output rows of one plane; it first copies the band's input rows
    (the group's channels, KD planes) zero-padded and phased into its own scratch."""
    N, C, D, H, W = x.shape
    K, Cg, KD, KH, KW = w.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    xf = x.reshape(x.size)
    wf = w.reshape(w.size)
    of = out.reshape(out.size)
    Kg = K // groups
    bands = (OH + BAND - 1) // BAND
    Wp = sw * span
    RH = (BAND - 1) * sh + 3             # input rows of a band (KH = 3)
    if in_place:
        xc, xd, u_xh = D * H * W, dd * H * W, _u(W)
    else:
        xc, xd, u_xh = KD * RH * Wp, RH * Wp, _u(Wp)
    # the tiles' taps (c, kd, kw) as one loop over their input and weight offsets (the
    # three kernel rows are the tile's own)
    T = Cg * KD * KW
    xoffs = tap_table(Cg, KD, 1, KW, xc, xd, 0, taps)
    woffs = np.empty(T, dtype=np.uint64)
    for i in range(T):
        woffs[i] = _u(i // KW * KH * KW + i % KW)
    u_wk = _u(Cg * KD * KH * KW)
    u_ostep = _u(OD * OH * OW)
    for t in prange(N * OD * groups * bands):
        TW = tile_width(out.dtype)          # inside the loop: see conv3d_direct
        channels, rows = _tile_shape(out.dtype)
        nv = min(OW, TW)
        band = t % bands
        g = (t // bands) % groups
        r = t // (bands * groups)
        od = r % OD
        n = r // OD
        # output rows lo..hi-1, in row groups of ROWS (the last one overlapping)
        lo = min(band * BAND, OH - rows)
        hi = min(band * BAND + BAND, OH)
        if in_place:
            xs = xf
            xb = ((n * C + g * Cg) * D + od * sd) * H * W
            xrow = W
        else:
            xs = np.empty(Cg * KD * RH * Wp + SLACK, dtype=x.dtype)
            for c in range(Cg):
                for kd in range(KD):
                    for i in range((hi - lo - 1) * sh + 3):
                        id_ = od * sd - pd + kd * dd
                        ih = lo * sh + i - ph
                        padded_row(xf, xs, _u(((c * KD + kd) * RH + i) * Wp),
                                   n * C + g * Cg + c, id_, ih, D, H, W, pw, sw, span)
            xb = -lo * sh * Wp
            xrow = Wp
        for k0 in range(g * Kg, (g + 1) * Kg, channels):
            wb = _u(k0 * Cg * KD * KH * KW)
            for oh0 in range(lo, hi, rows):
                oh = min(oh0, OH - rows)
                ow0 = 0
                while ow0 < OW:
                    s = max(0, min(ow0, OW - TW))
                    xo = _u(xb + oh * sh * xrow + s)
                    oo = _u((((n * K + k0) * OD + od) * OH + oh) * OW + s)
                    if sh == 1:
                        _tile(xs, wf, of, bias, k0, has_bias, xo, wb, oo, _u(T), xoffs, woffs,
                              _u(KW), u_xh, u_wk, u_ostep, _u(OW), nv, 1, epilogue)
                    else:
                        _tile(xs, wf, of, bias, k0, has_bias, xo, wb, oo, _u(T), xoffs, woffs,
                              _u(KW), u_xh, u_wk, u_ostep, _u(OW), nv, 2, epilogue)
                    ow0 += TW
