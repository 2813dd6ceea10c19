"""Padding: the layout of the convolution's padded rows ("phased rows") and F.pad's gather.

Phased rows: a padded row for a width stride `sw` is stored as its `sw` phases one after
the other (positions p, p + sw, p + 2 sw, ... for p = 0 .. sw-1), each `span` long. Tap
`kw` of output position `ow` then reads phase (kw*dw) % sw at index ow + (kw*dw) // sw:
every stride reads contiguous memory (strided loads were far slower).
`tap_offsets` gives each tap's offset in such a row; with sw = 1 a phased row is a plain
padded row. The convolution kernels copy the rows each task reads into such rows in their
own scratch (kernels/rows.py `padded_window`), never the whole input.
"""
import functools

import numpy as np
from numba import prange, types
from numba.extending import intrinsic

from ._stack import TILE
from ._target import njit


@intrinsic
def _u(typingctx, v):
    """An unsigned index: Numba adds a negative-index wraparound to signed ones, which
    stops LLVM from vectorising the loop. An intrinsic (a cast in LLVM): as a function
    inlined in Numba's IR, each of its hundreds of calls cost a copy of its IR when the
    kernels compiled."""
    if not isinstance(v, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return context.cast(builder, args[0], signature.args[0], types.uint64)
    return types.uint64(v), codegen


@functools.lru_cache(maxsize=256)
def tap_offsets(kernel_w, dilation_w, stride_w, span):
    """Offset of each width tap in a phased row (uint64, for the kernels' `taps`).

    Remembered (computing it was a noticeable share of a small convolution): callers
    share the array, and the kernels only read it."""
    reach = np.arange(kernel_w) * dilation_w
    return ((reach % stride_w) * span + reach // stride_w).astype(np.uint64)


@njit(inline="always")
def tap_table(C, KD, KH, KW, xc, xd, xh, taps):
    """Each tap's (c, kd, kh, kw), in the weight's order, offset in a task's rows:
    c*xc + kd*xd + kh*xh + taps[kw] (uint64). Tiles that run their taps as one loop read
    it: as nested loops, a short kw loop's exits and the pointer updates of the loops
    around it ran on every row of taps."""
    table = np.empty(C * KD * KH * KW, dtype=np.uint64)
    t = 0
    for c in range(C):
        for kd in range(KD):
            for kh in range(KH):
                for kw in range(KW):
                    table[t] = _u(c * xc + kd * xd + kh * xh) + taps[kw]
                    t += 1
    return table


def phase_span(out_w, kernel_w, dilation_w, stride_w, padded_w):
    """Length of each phase of a phased row: enough for whole tiles and the padded row."""
    return max(max(out_w, TILE) + (kernel_w - 1) * dilation_w // stride_w,
               -(-padded_w // stride_w))


@njit(parallel=True, cache=True)
def pad_gather3d(x, out, src_d, src_h, src_w, k0, k1):
    """out[p, i, j, k] = x[p, src_d[i], src_h[j], src_w[k]]: reflect, replicate and
    circular padding through per-dimension source indices. Along the row, positions
    k0..k1-1 must read src_w[k0] + (k - k0): that span is a plain copy (vectorised)."""
    P, D, H, W = x.shape
    OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
    xf = x.reshape(x.size)
    of = out.reshape(out.size)
    for t in prange(P * OD):
        i = t % OD
        p = t // OD
        for j in range(OH):
            src = _u(((p * D + src_d[i]) * H + src_h[j]) * W)
            dst = _u((t * OH + j) * OW)
            for k in range(k0):
                of[dst + _u(k)] = xf[src + _u(src_w[k])]
            run_src = src + _u(src_w[k0]) if k1 > k0 else src
            run_dst = dst + _u(k0)
            for k in range(_u(k1 - k0)):
                of[run_dst + k] = xf[run_src + k]
            for k in range(k1, OW):
                of[dst + _u(k)] = xf[src + _u(src_w[k])]
