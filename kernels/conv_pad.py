"""Padding kernels: the convolution's padded copies ("phased rows") and F.pad's gather.

Phased rows: a padded row for a width stride `sw` is stored as its `sw` phases one after
the other (positions p, p + sw, p + 2 sw, ... for p = 0 .. sw-1), each `span` long. Tap
`kw` of output position `ow` then reads phase (kw*dw) % sw at index ow + (kw*dw) // sw:
every stride reads contiguous memory (the strided loads were 8x slower on stride 2).
`tap_offsets` gives each tap's offset in such a row; with sw = 1 a phased row is a plain
padded row.
"""
import functools

import numpy as np
from numba import njit, prange

from ._stack import TILE


@njit(inline="always")
def _u(v):
    """An unsigned index: Numba adds a negative-index wraparound to signed ones, which
    stops LLVM from vectorising the loop."""
    return np.uint64(v)


@functools.lru_cache(maxsize=256)
def tap_offsets(kernel_w, dilation_w, stride_w, span):
    """Offset of each width tap in a phased row (uint64, for the kernels' `taps`).

    Remembered (3.8 us a call, a tenth of a small convolution): callers share the array,
    and the kernels only read it."""
    reach = np.arange(kernel_w) * dilation_w
    return ((reach % stride_w) * span + reach // stride_w).astype(np.uint64)


def phase_span(out_w, kernel_w, dilation_w, stride_w, padded_w):
    """Length of each phase of a phased row: enough for whole tiles and the padded row."""
    return max(max(out_w, TILE) + (kernel_w - 1) * dilation_w // stride_w,
               -(-padded_w // stride_w))


@njit(inline="always")
def _phased_row(xf, dst, start, plane, id_, ih, D, H, W, pw, sw, span, value):
    """dst[start:start + sw*span] = input row (plane, id_, ih) shifted right by pw, as `sw`
    phases of `span` (module docstring); `value` outside the input."""
    row_len = sw * span
    if id_ < 0 or id_ >= D or ih < 0 or ih >= H:
        for i in range(_u(row_len)):
            dst[start + i] = value
        return
    src = _u(((plane * D + id_) * H + ih) * W)
    if sw == 1:
        left = min(pw, row_len)
        inner = max(0, min(W, row_len - pw))
        for i in range(_u(left)):
            dst[start + i] = value
        at = start + _u(left)
        for i in range(_u(inner)):
            dst[at + i] = xf[src + i]
        for i in range(_u(left + inner), _u(row_len)):
            dst[start + i] = value
        return
    for p in range(sw):
        at = start + _u(p * span)
        for j in range(span):
            iw = j * sw + p - pw
            dst[at + _u(j)] = xf[src + _u(iw)] if iw >= 0 and iw < W else value


@njit(parallel=True, cache=True)
def pad_phased3d(x, out, pd, ph, pw, sw, value):
    """out = x placed at (pd, ph, pw) in a block of `value`, rows phased for stride `sw`
    (pads >= 0; out.shape[4] = sw * span)."""
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    span = OW // sw
    xf = x.reshape(x.size)
    of = out.reshape(out.size)
    for t in prange(N * C * OD):
        od = t % OD
        p = t // OD
        for oh in range(OH):
            _phased_row(xf, of, _u((t * OH + oh) * OW), p, od - pd, oh - ph, D, H, W, pw, sw,
                        span, value)


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
