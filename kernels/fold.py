"""col2im for F.fold (and the gradient of F.unfold): the inverse gather of
`kernels/im2col.py`'s `im2col3d`, whose 2-D case is F.unfold itself.

cols is (N, C * KH * KW, OH * OW), row (c, kh, kw) holding, for every block position
(oh, ow), the value that goes to out[n, c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw];
overlapping blocks add up and values landing in the padding are dropped. One task per
(sample, channel) plane, so no two tasks write the same element.
"""
from numba import prange

from ._target import njit


@njit(parallel=True, cache=True)
def col2im2d(cols, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw, out):
    """out[n, c] = the sum over taps (kh, kw) and block positions of cols[n, (c, kh, kw)]."""
    N, C, H, W = out.shape
    for t in prange(N * C):
        n = t // C
        c = t % C
        plane = out[n, c]
        for ih in range(H):
            for iw in range(W):
                plane[ih, iw] = 0.0
        for kh in range(KH):
            for kw in range(KW):
                src = cols[n, (c * KH + kh) * KW + kw]
                for oh in range(OH):
                    ih = oh * sh - ph + kh * dh
                    if ih < 0 or ih >= H:
                        continue
                    dst = plane[ih]
                    for ow in range(OW):
                        iw = ow * sw - pw + kw * dw
                        if 0 <= iw < W:
                            dst[iw] += src[oh * OW + ow]
