"""Grouped convolution with few channels per group, 3 kernel rows, stride and dilation 1
along H (e.g. ResNeXt's 3x3 g32: 4 channels per group).

It reads zero-padded, phased rows as `conv3d_direct` does (each task copies the rows it
reads into its own scratch; a stride-1 unpadded input is read in place) and writes NCDHW.
A tile is 4 output channels x 4 output rows x one register of positions: each loaded
input row feeds the three output rows that use it, for the 4 channels, so a load feeds
12 FMAs (conv3d_direct's 2-row tile: 8 FMAs per 6 loads, load-bound on 4-channel
groups). One task = all the channels of one group over a band of BAND output rows: the
band's BAND + 2 input rows are copied once for all its channels; the plane's last row
group overlaps the previous one.
Padding taps are multiplied like any other (as in conv3d_direct). Only 'contract' is used.

Measured (kernel alone, g32 n8 128ch 28x28 / n1 256ch 28x28, 2 threads): one
`acc += q * x` per multiply-add (an FMA each; `acc += q0*x0 + q1*x1 + q2*x2` compiled to
a mul, 2 FMAs and an add) 0.314 -> 0.242 / 0.137 -> 0.099 ms; then unmasked stores for
full tiles (conv_depthwise._store) -> 0.172 / 0.074 ms. Per-task scratch of a band
instead of a padded copy of the whole input, whole call (idle-gated): 0.262 / 0.102 ms
against 0.250 / 0.102 (bands of 8 rows: 0.331 / 0.119).
"""
import numpy as np
from numba import njit, prange

from ._stack import tile_buffers4, tile_width
from .conv_depthwise import _store
from .conv_pad import _u
from .rows import SLACK, padded_row

_FLAGS = {"contract"}
ROWS = 4
CHANNELS = 4
BAND = 32   # output rows per task (a multiple of ROWS): 28-row planes are one (docstring)


@njit(fastmath=_FLAGS)
def _tile(xf, wf, of, b0, b1, b2, b3, xb, wb, ob, Cg, KD, KW, xc, xd, xh, taps, wk, wc,
          ostep, ow_len, nv):
    """Channels k0..k0+3 (weights from wf[wb], k apart by wk, c by wc), output rows
    ob, ob + ow_len, .. (channels ostep apart), nv positions; input row r of channel c,
    depth tap kd, starts at xf[xb + c*xc + kd*xd + r*xh]. All offsets unsigned."""
    TW = tile_width(of.dtype)
    a00, a01, a02, a03 = tile_buffers4(of.dtype)
    a10, a11, a12, a13 = tile_buffers4(of.dtype)
    a20, a21, a22, a23 = tile_buffers4(of.dtype)
    a30, a31, a32, a33 = tile_buffers4(of.dtype)
    for v in range(TW):
        a00[v] = b0
        a01[v] = b0
        a02[v] = b0
        a03[v] = b0
        a10[v] = b1
        a11[v] = b1
        a12[v] = b1
        a13[v] = b1
        a20[v] = b2
        a21[v] = b2
        a22[v] = b2
        a23[v] = b2
        a30[v] = b3
        a31[v] = b3
        a32[v] = b3
        a33[v] = b3
    KH = _u(3)
    for c in range(Cg):
        for kd in range(KD):
            base = xb + c * xc + kd * xd
            wr = wb + c * wc + kd * KH * KW
            for kw in range(KW):
                q00 = wf[wr + _u(0) * wk + _u(0) * KW + kw]
                q01 = wf[wr + _u(0) * wk + _u(1) * KW + kw]
                q02 = wf[wr + _u(0) * wk + _u(2) * KW + kw]
                q10 = wf[wr + _u(1) * wk + _u(0) * KW + kw]
                q11 = wf[wr + _u(1) * wk + _u(1) * KW + kw]
                q12 = wf[wr + _u(1) * wk + _u(2) * KW + kw]
                q20 = wf[wr + _u(2) * wk + _u(0) * KW + kw]
                q21 = wf[wr + _u(2) * wk + _u(1) * KW + kw]
                q22 = wf[wr + _u(2) * wk + _u(2) * KW + kw]
                q30 = wf[wr + _u(3) * wk + _u(0) * KW + kw]
                q31 = wf[wr + _u(3) * wk + _u(1) * KW + kw]
                q32 = wf[wr + _u(3) * wk + _u(2) * KW + kw]
                e = base + taps[kw]
                for v in range(TW):
                    x0 = xf[e + _u(0) * xh + _u(v)]
                    x1 = xf[e + _u(1) * xh + _u(v)]
                    x2 = xf[e + _u(2) * xh + _u(v)]
                    x3 = xf[e + _u(3) * xh + _u(v)]
                    x4 = xf[e + _u(4) * xh + _u(v)]
                    x5 = xf[e + _u(5) * xh + _u(v)]
                    a00[v] += q00 * x0
                    a01[v] += q00 * x1
                    a02[v] += q00 * x2
                    a03[v] += q00 * x3
                    a10[v] += q10 * x0
                    a11[v] += q10 * x1
                    a12[v] += q10 * x2
                    a13[v] += q10 * x3
                    a20[v] += q20 * x0
                    a21[v] += q20 * x1
                    a22[v] += q20 * x2
                    a23[v] += q20 * x3
                    a30[v] += q30 * x0
                    a31[v] += q30 * x1
                    a32[v] += q30 * x2
                    a33[v] += q30 * x3
                    a00[v] += q01 * x1
                    a01[v] += q01 * x2
                    a02[v] += q01 * x3
                    a03[v] += q01 * x4
                    a10[v] += q11 * x1
                    a11[v] += q11 * x2
                    a12[v] += q11 * x3
                    a13[v] += q11 * x4
                    a20[v] += q21 * x1
                    a21[v] += q21 * x2
                    a22[v] += q21 * x3
                    a23[v] += q21 * x4
                    a30[v] += q31 * x1
                    a31[v] += q31 * x2
                    a32[v] += q31 * x3
                    a33[v] += q31 * x4
                    a00[v] += q02 * x2
                    a01[v] += q02 * x3
                    a02[v] += q02 * x4
                    a03[v] += q02 * x5
                    a10[v] += q12 * x2
                    a11[v] += q12 * x3
                    a12[v] += q12 * x4
                    a13[v] += q12 * x5
                    a20[v] += q22 * x2
                    a21[v] += q22 * x3
                    a22[v] += q22 * x4
                    a23[v] += q22 * x5
                    a30[v] += q32 * x2
                    a31[v] += q32 * x3
                    a32[v] += q32 * x4
                    a33[v] += q32 * x5
    _store(of, a00, ob + _u(0) * ostep + _u(0) * ow_len, nv, TW)
    _store(of, a01, ob + _u(0) * ostep + _u(1) * ow_len, nv, TW)
    _store(of, a02, ob + _u(0) * ostep + _u(2) * ow_len, nv, TW)
    _store(of, a03, ob + _u(0) * ostep + _u(3) * ow_len, nv, TW)
    _store(of, a10, ob + _u(1) * ostep + _u(0) * ow_len, nv, TW)
    _store(of, a11, ob + _u(1) * ostep + _u(1) * ow_len, nv, TW)
    _store(of, a12, ob + _u(1) * ostep + _u(2) * ow_len, nv, TW)
    _store(of, a13, ob + _u(1) * ostep + _u(3) * ow_len, nv, TW)
    _store(of, a20, ob + _u(2) * ostep + _u(0) * ow_len, nv, TW)
    _store(of, a21, ob + _u(2) * ostep + _u(1) * ow_len, nv, TW)
    _store(of, a22, ob + _u(2) * ostep + _u(2) * ow_len, nv, TW)
    _store(of, a23, ob + _u(2) * ostep + _u(3) * ow_len, nv, TW)
    _store(of, a30, ob + _u(3) * ostep + _u(0) * ow_len, nv, TW)
    _store(of, a31, ob + _u(3) * ostep + _u(1) * ow_len, nv, TW)
    _store(of, a32, ob + _u(3) * ostep + _u(2) * ow_len, nv, TW)
    _store(of, a33, ob + _u(3) * ostep + _u(3) * ow_len, nv, TW)


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def conv3d_grouped_h3(x, w, bias, has_bias, out, taps, span, sd, pd, ph, pw, sw, dd, groups,
                      in_place):
    """Grouped convolution (as conv3d_direct: same `taps`, `span`, pads and `in_place`),
    for KH == 3, stride 1 and dilation 1 along H, OH >= ROWS and K/groups a multiple of
    CHANNELS (the caller checks). One task = one group's channels over a band of BAND
    output rows of one plane; it first copies the band's input rows (the group's channels,
    KD planes) zero-padded and phased into its own scratch."""
    N, C, D, H, W = x.shape
    K, Cg, KD, KH, KW = w.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    xf = x.reshape(x.size)
    wf = w.reshape(w.size)
    of = out.reshape(out.size)
    Kg = K // groups
    bands = (OH + BAND - 1) // BAND
    Wp = sw * span
    RH = BAND + 2                        # input rows of a band (KH = 3)
    if in_place:
        u_xc, u_xd, u_xh = _u(D * H * W), _u(dd * H * W), _u(W)
    else:
        u_xc, u_xd, u_xh = _u(KD * RH * Wp), _u(RH * Wp), _u(Wp)
    u_wk, u_wc = _u(Cg * KD * KH * KW), _u(KD * KH * KW)
    u_ostep = _u(OD * OH * OW)
    for t in prange(N * OD * groups * bands):
        TW = tile_width(out.dtype)          # inside the loop: see conv3d_direct
        nv = min(OW, TW)
        band = t % bands
        g = (t // bands) % groups
        r = t // (bands * groups)
        od = r % OD
        n = r // OD
        # output rows lo..hi-1, in row groups of ROWS (the last one overlapping)
        lo = min(band * BAND, OH - ROWS)
        hi = min(band * BAND + BAND, OH)
        if in_place:
            xs = xf
            xb = ((n * C + g * Cg) * D + od * sd) * H * W
            xrow = W
        else:
            xs = np.empty(Cg * KD * RH * Wp + SLACK, dtype=x.dtype)
            for c in range(Cg):
                for kd in range(KD):
                    for i in range(hi - lo + 2):
                        id_ = od * sd - pd + kd * dd
                        ih = lo + i - ph
                        padded_row(xf, xs, _u(((c * KD + kd) * RH + i) * Wp),
                                   n * C + g * Cg + c, id_, ih, D, H, W, pw, sw, span)
            xb = -lo * Wp
            xrow = Wp
        for k0 in range(g * Kg, (g + 1) * Kg, CHANNELS):
            b0 = bias[k0] if has_bias else 0.0
            b1 = bias[k0 + 1] if has_bias else 0.0
            b2 = bias[k0 + 2] if has_bias else 0.0
            b3 = bias[k0 + 3] if has_bias else 0.0
            wb = _u(k0 * Cg * KD * KH * KW)
            for oh0 in range(lo, hi, ROWS):
                oh = min(oh0, OH - ROWS)
                ow0 = 0
                while ow0 < OW:
                    s = max(0, min(ow0, OW - TW))
                    _tile(xs, wf, of, b0, b1, b2, b3, _u(xb + oh * xrow + s), wb,
                          _u((((n * K + k0) * OD + od) * OH + oh) * OW + s), _u(Cg), _u(KD),
                          _u(KW), u_xc, u_xd, u_xh, taps, u_wk, u_wc, u_ostep, _u(OW), nv)
                    ow0 += TW
