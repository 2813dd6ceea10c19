"""Depthwise convolution (one input channel per group, K = m*C), NCDHW, finite weights.

x (N, C, D, H, W), w (K, 1, KD, KH, KW) and out (N, K, OD, OH, OW): C-contiguous, one
float dtype. One task = one output plane: its input plane is copied into a zero-padded,
phased scratch (kernels/conv_pad.py: strided taps read contiguous memory) that stays in
L1/L2, then DW_ROWS output rows x one register of positions are computed at a time, the
accumulators in stack buffers that LLVM keeps in registers. Tasks run in DW_CHUNKS chunks,
each with one scratch zeroed once: at stride 1 along W a task copies only its input rows.
Padding is multiplied here, so the caller routes non-finite weights to `conv3d_bounds`,
which skips it as torch does.

Measured choices (float32, 2 threads, this machine; the benchmark cases' input and output
stay in the 32 MB L3, where a plain parallel copy runs at ~180 GB/s, so the kernel is bound
by its own instructions, not by memory). n8 128ch 56x56 3x3, kernel alone: 0.69 -> 0.45-0.55
ms (copy 0.16-0.26 -> 0.17, arithmetic 0.42 -> 0.27):
- every multiply-add is its own `acc += q * x` (one FMA with 'contract'): the previous
  `acc += q0*x0 + q1*x1 + q2*x2` compiled to a mul, 2 FMAs and an add per 3 taps;
- full tiles store without the per-lane mask (`_store`; 1.4x on grouped_h3);
- row copies go in chunks of one register through a stack buffer (kernels/rows.py
  `copy_run`): 0.197 -> 0.124 ms on 1024 planes.
Tried without gain (noise-level): copying each row group's rows just before computing it
(to overlap the copy with arithmetic), chunked zero fills, skipping depth taps in the
padding (3-D).
- stride 2 copies take the even elements of two registers with one shuffle
  (kernels/rows.py `even_chunk`): that copy took 0.15 of 0.19 ms on MobileNet's s2
  112x112 (0.04 at stride 1): kernel 0.184 -> 0.11 ms.
- when 1-4 rows remain after the 8-row groups (28 = 3*8 + 4), they are one group of 4 rows
  x two registers (`_tile_h3_pair`, still 8 independent accumulators), not an overlapping
  8-row group: n2 64ch 8x28x28 3x3x3, kernel 0.266 -> 0.237 ms;
- one zeroed scratch per chunk of tasks, no per-task padding fills or allocation: copy
  0.081 -> 0.043 ms on that case (kernel 0.237 -> 0.204; arithmetic 0.170), n8 128ch 56x56
  copy 0.18 -> 0.14 ms.
Only the 'contract' fastmath flag is used, so NaN and inf propagate as in torch.
"""
import numpy as np
from numba import prange

from ._stack import tile_buffer, tile_width
from ._target import njit
from .conv_pad import _u
from .rows import SLACK, copy_run, padded_row

_FLAGS = {"contract"}
DW_ROWS = 8         # output rows per tile, one accumulator each
# tasks are split into this many chunks, each with one scratch: a constant, since
# numba.get_num_threads() in a kernel stops Numba from caching it
DW_CHUNKS = 32


@njit(inline="always")
def _buffers8(dtype):
    return (tile_buffer(dtype), tile_buffer(dtype), tile_buffer(dtype), tile_buffer(dtype),
            tile_buffer(dtype), tile_buffer(dtype), tile_buffer(dtype), tile_buffer(dtype))


@njit(inline="always")
def _store(of, acc, ob, nv, TW):
    """of[ob:ob+nv] = acc[:nv]; a full tile stores without the mask (one vector store)."""
    if nv == TW:
        for v in range(TW):
            of[ob + _u(v)] = acc[v]
    else:
        for v in range(TW):
            if v < nv:
                of[ob + _u(v)] = acc[v]


@njit(fastmath=_FLAGS, inline="always")
def _tile_h3(scratch, w, of, oh0, b, k, od, s, nv, sd, dd, KD, KW, Hp, Wp, taps, oplane,
             ow_len):
    """DW_ROWS consecutive output rows from oh0 x TW positions from s, for KH = 3 with
    stride and dilation 1 along H: each loaded input row feeds the three output rows
    that use it (24 FMAs per 10 loads)."""
    TW = tile_width(of.dtype)
    a0, a1, a2, a3, a4, a5, a6, a7 = _buffers8(of.dtype)
    for v in range(TW):
        a0[v] = b
        a1[v] = b
        a2[v] = b
        a3[v] = b
        a4[v] = b
        a5[v] = b
        a6[v] = b
        a7[v] = b
    u_wp = _u(Wp)
    for kd in range(KD):
        r0 = _u(((od * sd + kd * dd) * Hp + oh0) * Wp + s)
        r1, r2, r3 = r0 + u_wp, r0 + _u(2) * u_wp, r0 + _u(3) * u_wp
        r4, r5, r6 = r0 + _u(4) * u_wp, r0 + _u(5) * u_wp, r0 + _u(6) * u_wp
        r7, r8, r9 = r0 + _u(7) * u_wp, r0 + _u(8) * u_wp, r0 + _u(9) * u_wp
        for kw in range(KW):
            q0 = w[k, 0, kd, 0, kw]
            q1 = w[k, 0, kd, 1, kw]
            q2 = w[k, 0, kd, 2, kw]
            e = taps[kw]
            for v in range(TW):
                j = _u(v) + e
                x0 = scratch[r0 + j]
                x1 = scratch[r1 + j]
                x2 = scratch[r2 + j]
                x3 = scratch[r3 + j]
                x4 = scratch[r4 + j]
                x5 = scratch[r5 + j]
                x6 = scratch[r6 + j]
                x7 = scratch[r7 + j]
                x8 = scratch[r8 + j]
                x9 = scratch[r9 + j]
                a0[v] += q0 * x0
                a1[v] += q0 * x1
                a2[v] += q0 * x2
                a3[v] += q0 * x3
                a4[v] += q0 * x4
                a5[v] += q0 * x5
                a6[v] += q0 * x6
                a7[v] += q0 * x7
                a0[v] += q1 * x1
                a1[v] += q1 * x2
                a2[v] += q1 * x3
                a3[v] += q1 * x4
                a4[v] += q1 * x5
                a5[v] += q1 * x6
                a6[v] += q1 * x7
                a7[v] += q1 * x8
                a0[v] += q2 * x2
                a1[v] += q2 * x3
                a2[v] += q2 * x4
                a3[v] += q2 * x5
                a4[v] += q2 * x6
                a5[v] += q2 * x7
                a6[v] += q2 * x8
                a7[v] += q2 * x9
    ob = oplane + _u(s) + _u(oh0) * ow_len
    _store(of, a0, ob, nv, TW)
    _store(of, a1, ob + ow_len, nv, TW)
    _store(of, a2, ob + _u(2) * ow_len, nv, TW)
    _store(of, a3, ob + _u(3) * ow_len, nv, TW)
    _store(of, a4, ob + _u(4) * ow_len, nv, TW)
    _store(of, a5, ob + _u(5) * ow_len, nv, TW)
    _store(of, a6, ob + _u(6) * ow_len, nv, TW)
    _store(of, a7, ob + _u(7) * ow_len, nv, TW)


@njit(fastmath=_FLAGS, inline="always")
def _tile_h3_pair(scratch, w, of, oh0, b, k, od, s0, s1, sd, dd, KD, KW, Hp, Wp, taps,
                  oplane, ow_len):
    """4 output rows from oh0 x two full registers (from s0 and s1), KH = 3, stride and
    dilation 1 along H: the last row group when 1-4 rows remain, so 28 rows cost 3.5
    eight-row groups, not 4 (four rows x one register would wait on the FMA latency)."""
    TW = tile_width(of.dtype)
    a0, a1, a2, a3, c0, c1, c2, c3 = _buffers8(of.dtype)
    for v in range(TW):
        a0[v] = b
        a1[v] = b
        a2[v] = b
        a3[v] = b
        c0[v] = b
        c1[v] = b
        c2[v] = b
        c3[v] = b
    u_wp = _u(Wp)
    for kd in range(KD):
        r0 = _u(((od * sd + kd * dd) * Hp + oh0) * Wp)
        r1, r2, r3 = r0 + u_wp, r0 + _u(2) * u_wp, r0 + _u(3) * u_wp
        r4, r5 = r0 + _u(4) * u_wp, r0 + _u(5) * u_wp
        for kw in range(KW):
            q0 = w[k, 0, kd, 0, kw]
            q1 = w[k, 0, kd, 1, kw]
            q2 = w[k, 0, kd, 2, kw]
            e = taps[kw]
            for v in range(TW):
                j = _u(v) + e + _u(s0)
                i = _u(v) + e + _u(s1)
                x0 = scratch[r0 + j]
                x1 = scratch[r1 + j]
                x2 = scratch[r2 + j]
                x3 = scratch[r3 + j]
                x4 = scratch[r4 + j]
                x5 = scratch[r5 + j]
                y0 = scratch[r0 + i]
                y1 = scratch[r1 + i]
                y2 = scratch[r2 + i]
                y3 = scratch[r3 + i]
                y4 = scratch[r4 + i]
                y5 = scratch[r5 + i]
                a0[v] += q0 * x0
                a1[v] += q0 * x1
                a2[v] += q0 * x2
                a3[v] += q0 * x3
                c0[v] += q0 * y0
                c1[v] += q0 * y1
                c2[v] += q0 * y2
                c3[v] += q0 * y3
                a0[v] += q1 * x1
                a1[v] += q1 * x2
                a2[v] += q1 * x3
                a3[v] += q1 * x4
                c0[v] += q1 * y1
                c1[v] += q1 * y2
                c2[v] += q1 * y3
                c3[v] += q1 * y4
                a0[v] += q2 * x2
                a1[v] += q2 * x3
                a2[v] += q2 * x4
                a3[v] += q2 * x5
                c0[v] += q2 * y2
                c1[v] += q2 * y3
                c2[v] += q2 * y4
                c3[v] += q2 * y5
    ob = oplane + _u(oh0) * ow_len
    _store(of, a0, ob + _u(s0), TW, TW)
    _store(of, a1, ob + ow_len + _u(s0), TW, TW)
    _store(of, a2, ob + _u(2) * ow_len + _u(s0), TW, TW)
    _store(of, a3, ob + _u(3) * ow_len + _u(s0), TW, TW)
    _store(of, c0, ob + _u(s1), TW, TW)
    _store(of, c1, ob + ow_len + _u(s1), TW, TW)
    _store(of, c2, ob + _u(2) * ow_len + _u(s1), TW, TW)
    _store(of, c3, ob + _u(3) * ow_len + _u(s1), TW, TW)


@njit(fastmath=_FLAGS, inline="always")
def _tile_rows(scratch, w, of, rows, b, k, od, s, nv, sd, sh, dd, dh, KD, KH, KW, Hp, Wp,
               taps, oplane, ow_len):
    """DW_ROWS output rows (`rows`, any stride and dilation) x TW positions from s:
    eight accumulators (1.5x faster than four, which wait on the FMA latency)."""
    TW = tile_width(of.dtype)
    a0, a1, a2, a3, a4, a5, a6, a7 = _buffers8(of.dtype)
    for v in range(TW):
        a0[v] = b
        a1[v] = b
        a2[v] = b
        a3[v] = b
        a4[v] = b
        a5[v] = b
        a6[v] = b
        a7[v] = b
    step = _u(sh) * _u(Wp)
    for kd in range(KD):
        for kh in range(KH):
            base = _u(((od * sd + kd * dd) * Hp + kh * dh) * Wp + s)
            r0 = base + rows[0] * step
            r1 = base + rows[1] * step
            r2 = base + rows[2] * step
            r3 = base + rows[3] * step
            r4 = base + rows[4] * step
            r5 = base + rows[5] * step
            r6 = base + rows[6] * step
            r7 = base + rows[7] * step
            for kw in range(KW):
                q = w[k, 0, kd, kh, kw]
                e = taps[kw]
                for v in range(TW):
                    j = _u(v) + e
                    a0[v] += q * scratch[r0 + j]
                    a1[v] += q * scratch[r1 + j]
                    a2[v] += q * scratch[r2 + j]
                    a3[v] += q * scratch[r3 + j]
                    a4[v] += q * scratch[r4 + j]
                    a5[v] += q * scratch[r5 + j]
                    a6[v] += q * scratch[r6 + j]
                    a7[v] += q * scratch[r7 + j]
    ob = oplane + _u(s)
    _store(of, a0, ob + rows[0] * ow_len, nv, TW)
    _store(of, a1, ob + rows[1] * ow_len, nv, TW)
    _store(of, a2, ob + rows[2] * ow_len, nv, TW)
    _store(of, a3, ob + rows[3] * ow_len, nv, TW)
    _store(of, a4, ob + rows[4] * ow_len, nv, TW)
    _store(of, a5, ob + rows[5] * ow_len, nv, TW)
    _store(of, a6, ob + rows[6] * ow_len, nv, TW)
    _store(of, a7, ob + rows[7] * ow_len, nv, TW)


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def conv3d_depthwise(x, w, bias, has_bias, out, taps, span, sd, sh, pd, ph, pw, sw, dd, dh,
                     groups):
    """Depthwise convolution (module docstring). `span` = phase_span(...) and `taps` =
    tap_offsets(...) as for conv3d_direct; pads before (pd, ph, pw) >= 0."""
    N, C, D, H, W = x.shape
    K, _, KD, KH, KW = w.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    Kg = K // groups
    Dp = (OD - 1) * sd + (KD - 1) * dd + 1
    Hp = (OH - 1) * sh + (KH - 1) * dh + 1
    Wp = sw * span
    xf = x.reshape(x.size)
    of = out.reshape(out.size)
    NK = N * K
    chunks = min(NK, DW_CHUNKS)
    for ch in prange(chunks):
        # one zeroed scratch per chunk of tasks: at stride 1 along W its padding stays zero,
        # so each task copies only the input rows
        scratch = np.zeros(Dp * Hp * Wp + SLACK, dtype=x.dtype)
        for t in range(ch * NK // chunks, (ch + 1) * NK // chunks):
            TW = tile_width(out.dtype)          # inside the loop: see conv3d_direct
            nv = min(OW, TW)
            k = t % K
            n = t // K
            c = k // Kg
            if sw == 1:
                left = min(pw, Wp)
                inner = max(0, min(W, Wp - pw))
                for zd in range(max(0, pd), min(Dp, D + pd)):
                    for zh in range(max(0, ph), min(Hp, H + ph)):
                        src = _u((((n * C + c) * D + zd - pd) * H + zh - ph) * W)
                        copy_run(scratch, _u((zd * Hp + zh) * Wp + left), xf, src, inner)
            else:
                for zd in range(Dp):
                    for zh in range(Hp):
                        padded_row(xf, scratch, _u((zd * Hp + zh) * Wp), n * C + c, zd - pd,
                                   zh - ph, D, H, W, pw, sw, span)
            rows = tile_buffer(np.uint64)
            # the last row group overlaps the previous one, as tiles do along W
            h3 = KH == 3 and sh == 1 and dh == 1 and OH >= DW_ROWS
            # 1-4 rows left after the eight-row groups: one four-row group of register pairs
            tail = h3 and OW > TW and 0 < OH % DW_ROWS <= DW_ROWS // 2
            groups_end = OH - OH % DW_ROWS if tail else OH
            b = bias[k] if has_bias else 0.0
            plane = (n * K + k) * OD * OH * OW
            for od in range(OD):
                oplane = _u(plane + od * OH * OW)
                if tail:
                    ow0 = 0
                    while ow0 < OW:
                        s0 = min(ow0, OW - TW)
                        _tile_h3_pair(scratch, w, of, OH - DW_ROWS // 2, b, k, od, s0,
                                      min(s0 + TW, OW - TW), sd, dd, KD, KW, Hp, Wp, taps,
                                      oplane, _u(OW))
                        ow0 += 2 * TW
                for oh0 in range(0, groups_end, DW_ROWS):
                    if not h3:
                        for i in range(DW_ROWS):
                            # rows past the end repeat the last row (computed, stored again)
                            rows[i] = _u(min(oh0 + i, OH - 1))
                    ow0 = 0
                    while ow0 < OW:
                        s = max(0, min(ow0, OW - TW))
                        if h3:
                            _tile_h3(scratch, w, of, min(oh0, OH - DW_ROWS), b, k, od, s, nv,
                                     sd, dd, KD, KW, Hp, Wp, taps, oplane, _u(OW))
                        else:
                            _tile_rows(scratch, w, of, rows, b, k, od, s, nv, sd, sh, dd, dh,
                                       KD, KH, KW, Hp, Wp, taps, oplane, _u(OW))
                        ow0 += TW
