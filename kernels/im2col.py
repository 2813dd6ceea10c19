"""im2col for the 'im2col_gemm' convolution variant (the GEMM itself is BLAS's).

x is (N, C, D, H, W); `cols` is (C * KD * KH * KW, OD * OH * OW) for one sample: row
(c, kd, kh, kw) holds, for every output position, the input element that tap multiplies
(zero in the padding). Dilation is applied here, in the gather, so the weights are never
inflated. Rows are ordered as the weight's (C/groups, KD, KH, KW) flattening, group by
group, so group g's GEMM reads rows g*Cg*K .. (g+1)*Cg*K of `cols`.
"""
from numba import prange

from ._target import njit


@njit(parallel=True, cache=True)
def im2col3d(x, n, cols, KD, KH, KW, OD, OH, OW, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    """cols[(c, kd, kh, kw), (od, oh, ow)] = x[n, c, od*sd - pd + kd*dd, ...] or 0."""
    _, C, D, H, W = x.shape
    taps = KD * KH * KW
    for t in prange(C * taps * OD):
        od = t % OD
        row = t // OD
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
        for oh in range(OH):
            dst = cols[row, (od * OH + oh) * OW:(od * OH + oh + 1) * OW]
            ih = oh * sh - ph + kh * dh
            if id_ < 0 or id_ >= D or ih < 0 or ih >= H:
                dst[:] = 0.0
                continue
            src = x[n, c, id_, ih]
            for ow in range(ow_lo):
                dst[ow] = 0.0
            if sw == 1:
                for ow in range(ow_lo, ow_hi):
                    dst[ow] = src[ow + start]
            else:
                for ow in range(ow_lo, ow_hi):
                    dst[ow] = src[ow * sw + start]
            for ow in range(ow_hi, OW):
                dst[ow] = 0.0
