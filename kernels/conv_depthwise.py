"""Depthwise convolution (one input channel per group, K = m*C), NCDHW, finite weights.

x (N, C, D, H, W), w (K, 1, KD, KH, KW) and out (N, K, OD, OH, OW): C-contiguous, one
float dtype. One task = one output plane: its input plane is copied into a zero-padded,
phased scratch (kernels/conv_pad.py: strided taps read contiguous memory) that stays in
L1/L2, then DW_ROWS output rows x one register of positions are computed at a time, the
accumulators in stack buffers that LLVM keeps in registers. Tasks run in DW_CHUNKS chunks,
each with one scratch zeroed once: at stride 1 along W a task copies only its input rows.
Padding is multiplied here, so the caller routes non-finite weights to `conv3d_bounds`,
which skips it as torch does.

Measured choices (float32, 2 threads; the benchmark cases' input and output fit in L3, so
the kernel is bound by its own instructions, not by memory):
- every multiply-add is its own `acc += q * x` (one FMA with 'contract'): the previous
  `acc += q0*x0 + q1*x1 + q2*x2` compiled to a mul, 2 FMAs and an add per 3 taps;
- full tiles store without the per-lane mask (kernels/rows.py `store_run`): the masked
  store is slower;
- row copies go in chunks of one register through a stack buffer (kernels/rows.py
  `copy_run`), faster than an element loop;
- stride 2 copies take both phases of a chunk from one load of two registers, a shuffle
  each (kernels/rows.py `phases_chunk`): the element-wise strided copy took most of the
  kernel's time on MobileNet's stride-2 layer, and a load per phase cost more than one;
- when 1-4 rows remain after the 8-row groups (28 = 3*8 + 4), they are one group of 4 rows
  x two registers (`_tile_h3_pair`, still 8 independent accumulators), not an overlapping
  8-row group that computes rows twice;
- one zeroed scratch per chunk of tasks, no per-task padding fills or allocation.
Tried without gain: copying each row group's rows just before computing it (to overlap
the copy with arithmetic), chunked zero fills, skipping depth taps in the padding (3-D).
Only the 'contract' fastmath flag is used, so NaN and inf propagate as in torch.
"""
import numpy as np
from numba import prange

from . import _shapes, tiles_depthwise
from ._stack import tile_buffer, tile_width
from ._target import njit
from .conv_pad import _u
from .rows import SLACK, copy_run, padded_row

_FLAGS = {"contract"}
DW_ROWS = _shapes.DEPTHWISE_ROWS    # output rows per tile, one accumulator each
# tasks are split into this many chunks, each with one scratch: a constant, since
# numba.get_num_threads() in a kernel stops Numba from caching it
DW_CHUNKS = 32


# The tiles (kernels/tiles_depthwise.py) are called by name. The three-row tiles are
# inlined by LLVM (`forceinline=True`): copied into Numba's IR before typing, they made
# this the slowest kernel to compile (docs/PERF.md), and inlined through an overload after
# typing, slower still. The general row tile takes this function's stack buffer `rows`
# and stays in Numba's IR, as do the stores that take a tile's accumulators
# (kernels/rows.py): a stack buffer handed to a compiled call stays in memory, and the
# tiles ran far slower with theirs there.
# DW_ROWS consecutive output rows from oh0 x TW positions from s, for KH = 3 with stride
# and dilation 1 along H: each loaded input row feeds the three output rows that use it
# (24 FMAs per 10 loads).
_tile_h3 = tiles_depthwise.TILES["h3", DW_ROWS, 1]
# DW_ROWS // 2 output rows from oh0 x two full registers (from s0 and s1), KH = 3, stride
# and dilation 1 along H: the last row group when 1-4 rows remain, so 28 rows cost 3.5
# eight-row groups, not 4 (four rows x one register would wait on the FMA latency).
_tile_h3_pair = tiles_depthwise.TILES["h3", DW_ROWS // 2, 2]
# S2_ROWS output rows from oh0 x TW positions for KH = 5 at stride 2 and dilation 1 along
# H: each of the 11 input rows loaded feeds the one to three output rows that use it,
# where the row tile loads 20. Eight rows were slower; with KH = 3 such a tile was no
# faster than the row tile, and each tile lengthens this kernel's compile.
S2_ROWS = _shapes.DEPTHWISE_S2_ROWS
_tile_h5s2 = tiles_depthwise.TILES["h5s2", S2_ROWS, 1]
# DW_ROWS output rows (`rows`, any stride and dilation) x TW positions from s.
_tile_rows = tiles_depthwise.TILES["rows", DW_ROWS, 1]


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def conv3d_depthwise(x, w, bias, has_bias, out, taps, span, sd, sh, pd, ph, pw, sw, dd, dh,
                     groups, epilogue):
    """Depthwise convolution (module docstring). `span` = phase_span(...) and `taps` =
    tap_offsets(...) as for conv3d_direct; pads before (pd, ph, pw) >= 0; `epilogue`
    (kernels/_epilogue.py) before the store."""
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
    # The task's body stays in the parallel loop, though Numba's parallel passes make it
    # the slowest kernel to compile: moved into a compiled function called per task, it
    # ran slower (in the loop body the arrays are known not to alias; docs/PERF.md)
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
            h5s2 = KH == 5 and sh == 2 and dh == 1 and OH >= S2_ROWS
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
                                      oplane, _u(OW), epilogue)
                        ow0 += 2 * TW
                for oh0 in range(0, groups_end, S2_ROWS if h5s2 else DW_ROWS):
                    if not (h3 or h5s2):
                        for i in range(DW_ROWS):
                            # rows past the end repeat the last row (computed, stored again)
                            rows[i] = _u(min(oh0 + i, OH - 1))
                    ow0 = 0
                    while ow0 < OW:
                        s = max(0, min(ow0, OW - TW))
                        if h3:
                            _tile_h3(scratch, w, of, min(oh0, OH - DW_ROWS), b, k, od, s, nv,
                                     sd, dd, KD, KW, Hp, Wp, taps, oplane, _u(OW), epilogue)
                        elif h5s2:
                            _tile_h5s2(scratch, w, of, min(oh0, OH - S2_ROWS), b, k, od, s,
                                       nv, sd, dd, KD, KW, Hp, Wp, taps, oplane, _u(OW),
                                       epilogue)
                        else:
                            _tile_rows(scratch, w, of, rows, b, k, od, s, nv, sd, sh, dd, dh,
                                       KD, KH, KW, Hp, Wp, taps, oplane, _u(OW), epilogue)
                        ow0 += TW
