"""The weight gradient of a convolution, computed directly: for grouped and depthwise
convolutions, where an im2col GEMM (fastnn/nn/functional/_conv_grad.py) has too few
channels per group to pay.

x (N, C, D, H, W), g (N, K, OD, OH, OW) (the gradient of the output) and gw
(K, C/groups, KD, KH, KW): C-contiguous, one float dtype.

    gw[k, c, kd, kh, kw] = sum over n, od, oh, ow of g[n, k, od, oh, ow]
                           * x[n, group(k)*C/groups + c, od*sd - pd + kd*dd, ...]

One task owns one (k, c) pair, so no two tasks write the same element. Within a task each
row of g is multiplied with the input rows its taps read (a dot product per tap, along the
row, over the positions whose tap lands inside the input: padding is skipped, so NaN or
inf in an input only reaches the taps that read it, as in torch).
"""
import numpy as np
from numba import prange

from ._target import njit

# No nnan/ninf: NaN and inf propagate as in torch. reassoc lets the dot products along a
# row vectorise; it changes only the summation order (rounding).
_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}


@njit(inline="always", fastmath=_FASTMATH)
def _dot(grow, xrow, lo, hi, start, sw):
    acc = grow[0] * 0.0
    if sw == 1:
        for ow in range(lo, hi):
            acc += grow[ow] * xrow[ow + start]
    else:
        for ow in range(lo, hi):
            acc += grow[ow] * xrow[ow * sw + start]
    return acc


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def weight_grad_direct(x, g, gw, sd, sh, sw, pd, ph, pw, dd, dh, dw, groups):
    """gw = the weight gradient (module docstring); gw is overwritten."""
    N, C, D, H, W = x.shape
    K, OD, OH, OW = g.shape[1], g.shape[2], g.shape[3], g.shape[4]
    CG, KD, KH, KW = gw.shape[1], gw.shape[2], gw.shape[3], gw.shape[4]
    KG = K // groups
    for task in prange(K * CG):
        k = task // CG
        c = (k // KG) * CG + task % CG
        out = gw[k, task % CG]
        out[:] = 0.0
        # the output positions whose tap kw lands inside [0, W): lo[kw] <= ow < hi[kw]
        lo = np.empty(KW, np.intp)
        hi = np.empty(KW, np.intp)
        for kw in range(KW):
            start = kw * dw - pw
            lo[kw] = 0 if start >= 0 else min(OW, (-start + sw - 1) // sw)
            hi[kw] = max(lo[kw], 0 if W <= start else min(OW, (W - start + sw - 1) // sw))
        for n in range(N):
            for od in range(OD):
                for oh in range(OH):
                    grow = g[n, k, od, oh]
                    for kd in range(KD):
                        id_ = od * sd - pd + kd * dd
                        if id_ < 0 or id_ >= D:
                            continue
                        for kh in range(KH):
                            ih = oh * sh - ph + kh * dh
                            if ih < 0 or ih >= H:
                                continue
                            xrow = x[n, c, id_, ih]
                            for kw in range(KW):
                                out[kd, kh, kw] += _dot(grow, xrow, lo[kw], hi[kw],
                                                        kw * dw - pw, sw)
