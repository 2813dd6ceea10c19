"""The weight gradient of a convolution, computed directly: for grouped and depthwise
convolutions, where an im2col GEMM (fastnn/nn/functional/_conv_grad.py) has too few
channels per group to pay.

x (N, C, D, H, W), g (N, K, OD, OH, OW) (the gradient of the output) and gw
(K, C/groups, KD, KH, KW): C-contiguous, one float dtype.

    gw[k, c, kd, kh, kw] = sum over n, od, oh, ow of g[n, k, od, oh, ow]
                           * x[n, group(k)*C/groups + c, od*sd - pd + kd*dd, ...]

One task owns one (k, c) pair, so no two tasks write the same element. Within a task each
row of g is multiplied element-wise with the input rows its taps read, over the positions
whose tap lands inside the input (padding is skipped, so NaN or inf in an input only
reaches the taps that read it, as in torch), into one accumulator row per tap, summed once
at the end: a dot product per row and tap spent most of its time in the horizontal sums
and the scalar remainders of short rows.
"""
import numpy as np
from numba import prange

from ._target import njit
from .conv_pad import _u

# No nnan/ninf: NaN and inf propagate as in torch. reassoc lets the dot products along a
# row vectorise; it changes only the summation order (rounding).
_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def weight_grad_direct(x, g, gw, sd, sh, sw, pd, ph, pw, dd, dh, dw, groups):
    """gw = the weight gradient (module docstring); gw is overwritten."""
    N, C, D, H, W = x.shape
    K, OD, OH, OW = g.shape[1], g.shape[2], g.shape[3], g.shape[4]
    CG, KD, KH, KW = gw.shape[1], gw.shape[2], gw.shape[3], gw.shape[4]
    KG = K // groups
    taps = KD * KH * KW
    for task in prange(K * CG):
        k = task // CG
        c = (k // KG) * CG + task % CG
        # acc[tap, ow]: each tap's products by output column, summed once at the end
        acc = np.zeros(taps * OW, gw.dtype)
        # the output positions whose tap kw lands inside [0, W): lo[kw] <= ow < hi[kw]
        lo = np.empty(KW, np.intp)
        hi = np.empty(KW, np.intp)
        for kw in range(KW):
            start = kw * dw - pw
            lo[kw] = 0 if start >= 0 else min(OW, (-start + sw - 1) // sw)
            hi[kw] = max(lo[kw], 0 if W <= start else min(OW, (W - start + sw - 1) // sw))
        xf = x.reshape(x.size)
        gf = g.reshape(g.size)
        for n in range(N):
            for od in range(OD):
                for oh in range(OH):
                    grow = _u(((((n * K + k) * OD) + od) * OH + oh) * OW)
                    for kd in range(KD):
                        id_ = od * sd - pd + kd * dd
                        if id_ < 0 or id_ >= D:
                            continue
                        for kh in range(KH):
                            ih = oh * sh - ph + kh * dh
                            if ih < 0 or ih >= H:
                                continue
                            xrow = ((((n * C + c) * D) + id_) * H + ih) * W
                            for kw in range(KW):
                                at = _u(((kd * KH + kh) * KW + kw) * OW + lo[kw])
                                src = _u(xrow + kw * dw - pw + lo[kw] * sw)
                                gat = grow + _u(lo[kw])
                                count = _u(hi[kw] - lo[kw])
                                if sw == 1:
                                    for i in range(count):
                                        acc[at + i] += gf[gat + i] * xf[src + i]
                                else:
                                    step = _u(sw)
                                    for i in range(count):
                                        acc[at + i] += gf[gat + i] * xf[src + i * step]
        out = gw[k, task % CG].reshape(taps)
        for t in range(taps):
            total = acc.dtype.type(0)
            for ow in range(OW):
                total += acc[t * OW + ow]
            out[t] = total


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def input_grad_direct(g, w, gx, sd, sh, sw, pd, ph, pw, dd, dh, dw, groups):
    """gx = the input gradient of the convolution by w (K, C/groups, KD, KH, KW) whose
    output gradient is g; gx (N, C, D, H, W) is overwritten. One task owns one input
    plane (n, c) and adds into it, row by row, every output row of c's group times each
    tap's weight (positions in the padding skipped): for depthwise convolutions, where the
    transposed convolution's phases are many small convolutions."""
    N, C, D, H, W = gx.shape
    K, OD, OH, OW = g.shape[1], g.shape[2], g.shape[3], g.shape[4]
    CG, KD, KH, KW = w.shape[1], w.shape[2], w.shape[3], w.shape[4]
    KG = K // groups
    gf = g.reshape(g.size)
    for task in prange(N * C):
        n = task // C
        c = task % C
        plane = gx[n, c].reshape(D * H * W)
        plane[:] = 0.0
        lo = np.empty(KW, np.intp)
        hi = np.empty(KW, np.intp)
        for kw in range(KW):
            start = kw * dw - pw
            lo[kw] = 0 if start >= 0 else min(OW, (-start + sw - 1) // sw)
            hi[kw] = max(lo[kw], 0 if W <= start else min(OW, (W - start + sw - 1) // sw))
        grp = c // CG
        for k in range(grp * KG, (grp + 1) * KG):
            taps = w[k, c - grp * CG]
            for od in range(OD):
                for oh in range(OH):
                    grow = _u(((((n * K + k) * OD) + od) * OH + oh) * OW)
                    for kd in range(KD):
                        id_ = od * sd - pd + kd * dd
                        if id_ < 0 or id_ >= D:
                            continue
                        for kh in range(KH):
                            ih = oh * sh - ph + kh * dh
                            if ih < 0 or ih >= H:
                                continue
                            row = (id_ * H + ih) * W
                            for kw in range(KW):
                                weight = taps[kd, kh, kw]
                                dst = _u(row + kw * dw - pw + lo[kw] * sw)
                                gat = grow + _u(lo[kw])
                                count = _u(hi[kw] - lo[kw])
                                if sw == 1:
                                    for i in range(count):
                                        plane[dst + i] += weight * gf[gat + i]
                                else:
                                    step = _u(sw)
                                    for i in range(count):
                                        plane[dst + i * step] += weight * gf[gat + i]

