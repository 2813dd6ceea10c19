"""Average pooling kernels, plain and adaptive, on (planes, D, H, W) arrays.

Both are separable like `pooling.max_pool3d`: the window's rows are summed into a row
buffer (zero padding on both sides), then each output sums its stretch of that buffer and
divides. The summation order differs from torch's window loop, so float32 results agree
to rounding (about 1e-7 relative), not bit for bit.
"""
import numpy as np
from numba import prange

from ._target import njit
from .pooling import _chunk_bounds, adaptive_end, adaptive_start, num_chunks


@njit(inline="always")
def _sum_rows_into(row, x, p, d0, d1, dstep, h0, h1, hstep):
    """row[:] = sum over the rows x[p, d, h] for d in range(d0, d1, dstep), h likewise."""
    first = True
    for i_d in range(d0, d1, dstep):
        for i_h in range(h0, h1, hstep):
            src = x[p, i_d, i_h]
            if first:
                row[:] = src
                first = False
            else:
                for w in range(row.shape[0]):
                    row[w] += src[w]
    if first:
        row[:] = 0


@njit(cache=True)
def column_windows(OW, W, kw, sw, pw, count_include_pad):
    """(lo, hi, count) per output column: its window clipped to the input, [lo, hi), and
    torch's count of it along W (the window clipped to the padded input with
    count_include_pad, else its input elements)."""
    lo = np.empty(OW, dtype=np.int64)
    hi = np.empty(OW, dtype=np.int64)
    count = np.empty(OW, dtype=np.int64)
    for ow in range(OW):
        w0 = ow * sw - pw
        w1 = min(w0 + kw, W + pw)
        lo[ow], hi[ow] = max(w0, 0), min(w1, W)
        count[ow] = (w1 - w0) if count_include_pad else (hi[ow] - lo[ow])
    return lo, hi, count


@njit(parallel=True, cache=True)
def avg_pool3d(x, out, kd, kh, kw, sd, sh, sw, pd, ph, pw, count_include_pad, divisor):
    """Average over each window; a non-zero `divisor` overrides torch's window-size divisor.

    Torch's divisor: with count_include_pad, the window clipped to the padded input
    (a ceil-mode window running past the right padding counts only up to it); otherwise
    the number of input elements in the window.
    """
    planes, D, H, W = x.shape
    OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
    rows = planes * OD * OH
    buflen = max(pw + W, (OW - 1) * sw + kw)
    # a zero-padded row buffer lets the horizontal sums run unclipped and vectorised;
    # kernels far wider than the input (legal up to 2**31) sum clipped ranges instead
    padded = buflen <= 4 * W + 4096
    nchunks = num_chunks(rows, x.size)
    for chunk in prange(nchunks):
        buf = np.zeros(buflen if padded else W, dtype=x.dtype)
        row = buf[pw:pw + W] if padded else buf
        wlo, whi, wcount = column_windows(OW, W, kw, sw, pw, count_include_pad)
        divs = np.empty(OW, dtype=x.dtype)
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        for r in range(r0, r1):
            oh = r % OH
            od = (r // OH) % OD
            p = r // (OH * OD)
            d0 = od * sd - pd
            h0 = oh * sh - ph
            d1 = min(d0 + kd, D + pd)
            h1 = min(h0 + kh, H + ph)
            pool_dh = (d1 - d0) * (h1 - h0)
            d0, h0 = max(d0, 0), max(h0, 0)
            d1, h1 = min(d1, D), min(h1, H)
            _sum_rows_into(row, x, p, d0, d1, 1, h0, h1, 1)
            o = out[p, od, oh]
            if padded and sw == 2 and (kw == 2 or kw == 3):
                # the common k2 s2 / k3 s2 windows as fixed sums (faster than the loop)
                for ow in range(OW):
                    total = buf[2 * ow] + buf[2 * ow + 1]
                    if kw == 3:
                        total += buf[2 * ow + 2]
                    o[ow] = total
            elif padded:
                for ow in range(OW):
                    o[ow] = buf[ow * sw]
                for k in range(1, kw):
                    for ow in range(OW):
                        o[ow] += buf[ow * sw + k]
            else:
                for ow in range(OW):
                    total = row[wlo[ow]]
                    for i_w in range(wlo[ow] + 1, whi[ow]):
                        total += row[i_w]
                    o[ow] = total
            # divide in the input's dtype by the integer divisor, as torch does
            if divisor != 0:
                divs[:] = divisor
            else:
                vcount = pool_dh if count_include_pad else (d1 - d0) * (h1 - h0)
                for ow in range(OW):
                    divs[ow] = vcount * wcount[ow]
            for ow in range(OW):
                o[ow] = o[ow] / divs[ow]


@njit(parallel=True, cache=True)
def adaptive_avg_pool3d(x, out):
    """Mean over torch's adaptive windows [floor(i*L/out), ceil((i+1)*L/out))."""
    planes, D, H, W = x.shape
    OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
    rows = planes * OD * OH
    nchunks = num_chunks(rows, x.size)
    for chunk in prange(nchunks):
        row = np.empty(W, dtype=x.dtype)
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        for r in range(r0, r1):
            oh = r % OH
            od = (r // OH) % OD
            p = r // (OH * OD)
            d0, d1 = adaptive_start(od, OD, D), adaptive_end(od, OD, D)
            h0, h1 = adaptive_start(oh, OH, H), adaptive_end(oh, OH, H)
            _sum_rows_into(row, x, p, d0, d1, 1, h0, h1, 1)
            count_dh = (d1 - d0) * (h1 - h0)
            for ow in range(OW):
                w0, w1 = adaptive_start(ow, OW, W), adaptive_end(ow, OW, W)
                s = row[w0]
                for i_w in range(w0 + 1, w1):
                    s += row[i_w]
                out[p, od, oh, ow] = s / row.dtype.type(count_dh * (w1 - w0))


@njit(parallel=True, cache=True, fastmath={"reassoc"})
def mean_rows(x, out):
    """out[p] = mean of the row x[p, :] (rows are not empty).

    Global average pooling (adaptive output 1): one contiguous sum per plane. `reassoc`
    lets LLVM vectorise the sum; it changes rounding only, NaN and inf propagate as before.
    """
    planes, n = x.shape
    for p in prange(planes):
        total = x[p, 0]
        for i in range(1, n):
            total += x[p, i]
        out[p] = total / x.dtype.type(n)
