"""im2col for the 'im2col_gemm' convolution variant (the GEMM itself is BLAS's) and for
the weight gradient of a convolution (fastnn/nn/functional/_conv_grad.py, on Numba's GEMM).

x is (N, C, D, H, W); `cols` is (C * KD * KH * KW, S * OD * OH * OW) for the S samples
n .. n+S-1 side by side: row (c, kd, kh, kw) holds, for every output position of each of
them, the input element that tap multiplies (zero in the padding). Dilation is applied
here, in the gather, so the weights are never inflated. Rows are ordered as the weight's
(C/groups, KD, KH, KW) flattening, group by group, so group g's GEMM reads rows
g*Cg*K .. (g+1)*Cg*K of `cols`.
"""
import numpy as np
from numba import prange

from ._target import njit
from .conv_pad import _u


@njit(parallel=True, cache=True)
def im2col3d(x, n, cols, KD, KH, KW, OD, OH, OW, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    """cols[(c, kd, kh, kw), (s, od, oh, ow)] = x[n + s, c, od*sd - pd + kd*dd, ...] or 0."""
    _, C, D, H, W = x.shape
    taps = KD * KH * KW
    positions = OD * OH * OW
    samples = cols.shape[1] // positions
    cf_row = cols.shape[1]
    cf = cols.reshape(cols.size)
    xf = x.reshape(x.size)
    for t in prange(C * taps * samples * OD):
        od = t % OD
        s = (t // OD) % samples
        row = t // (OD * samples)
        kw = row % KW
        kh = (row // KW) % KH
        kd = (row // (KW * KH)) % KD
        c = row // taps
        id_ = od * sd - pd + kd * dd
        # the output positions whose tap lands inside [0, W): ow_lo <= ow < ow_hi
        start = kw * dw - pw
        ow_lo = 0 if start >= 0 else min(OW, (-start + sw - 1) // sw)
        ow_hi = 0 if W <= start else min(OW, (W - start + sw - 1) // sw)
        ow_hi = max(ow_lo, ow_hi)
        base = s * positions
        for oh in range(OH):
            at = _u(row * cf_row + base + (od * OH + oh) * OW)
            ih = oh * sh - ph + kh * dh
            if id_ < 0 or id_ >= D or ih < 0 or ih >= H:
                for j in range(OW):
                    cf[at + _u(j)] = 0.0
                continue
            # the input row by its flat offset: a view of it per row cost more than a
            # LeNet row's copy (10 elements); element loops, not slices, for the same reason
            src = _u((((n + s) * C + c) * D + id_) * H + ih) * _u(W)
            for j in range(ow_lo):
                cf[at + _u(j)] = 0.0
            if sw == 1:
                for j in range(ow_lo, ow_hi):
                    cf[at + _u(j)] = xf[src + _u(j + start)]
            else:
                for j in range(ow_lo, ow_hi):
                    cf[at + _u(j)] = xf[src + _u(j * sw + start)]
            for j in range(ow_hi, OW):
                cf[at + _u(j)] = 0.0


@njit(parallel=True, cache=True)
def im2col_positions(x, n, xs, KD, KH, KW, OD, OH, OW, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    """xs[(s, od, oh, ow), (c, kd, kh, kw)] = x[n + s, c, od*sd - pd + kd*dd, ...] or 0:
    `im2col3d`'s columns laid position-major (one row per output position, its taps in
    the weight's order), for the weight gradient's GEMM on the 'pointwise' tiles. A task
    (one output row) copies each input row it reads once, zero-padded, into a row buffer
    and spreads its taps from there to the row's positions: per position and tap a test
    for the padding cost more than the copies (rows of 3 taps on 7x7 planes)."""
    _, C, D, H, W = x.shape
    width = xs.shape[1]
    samples = xs.shape[0] // (OD * OH * OW)
    src = x.reshape(x.size)
    xf = xs.reshape(xs.size)
    span = (OW - 1) * sw + (KW - 1) * dw + 1          # the padded columns the row's taps read
    for t in prange(samples * OD * OH):
        oh = t % OH
        od = (t // OH) % OD
        s = t // (OH * OD)
        padded = np.empty(span, x.dtype)         # every path below writes it whole
        base = _u(t * OW * width)
        for c in range(C):
            for kd in range(KD):
                id_ = od * sd - pd + kd * dd
                for kh in range(KH):
                    ih = oh * sh - ph + kh * dh
                    if id_ < 0 or id_ >= D or ih < 0 or ih >= H:
                        for j in range(_u(span)):
                            padded[j] = 0.0
                    else:
                        row = ((((n + s) * C + c) * D + id_) * H + ih) * W
                        for j in range(span):
                            iw = j - pw
                            padded[_u(j)] = src[_u(row + iw)] if 0 <= iw < W else 0.0
                    column = _u(((c * KD + kd) * KH + kh) * KW)
                    for ow in range(_u(OW)):
                        at = base + ow * _u(width) + column
                        first = ow * _u(sw)
                        for kw in range(_u(KW)):
                            xf[at + kw] = padded[first + kw * _u(dw)]
