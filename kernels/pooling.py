"""Max pooling kernels (1-, 2- and 3-D through one 3-D kernel with singleton dimensions).

Arrays are (planes, D, H, W) with planes = N * C. Torch's NaN rule: a NaN in the window
wins (``val > max or isnan(val)``), so the last NaN is the one whose index is returned.

`max_pool3d` (values only) is separable: a vectorised max over the window's rows into a
row buffer that carries -inf padding on both sides, then a strided max along that buffer.
It is much faster than a window loop per output element ('direct'; `python -m fastnn
bench --variants --only max_pool` times both against torch). The index kernels
keep torch's per-output loop, so indices match torch's exactly, including its quirks.
"""
import numpy as np
from numba import prange

from ._target import njit
from .rows import max_stride2_chunk


@njit(inline="always")
def _chunk_bounds(chunk, nchunks, total):
    return chunk * total // nchunks, (chunk + 1) * total // nchunks


@njit(inline="always")
def num_chunks(rows, elements):
    # A fixed count, not one per thread: numba.get_num_threads() inside a kernel defeats
    # cache=True, and many chunks let tbb balance the load on a shared machine. Each chunk
    # allocates its row buffer, so small inputs get few chunks: one per 16K input elements
    # (LeNet's 6x28x28 pooling was markedly slower in one-row chunks than in one).
    return max(1, min(rows, 256, elements // 16384))


@njit(inline="always")
def valid_taps(start, k, dil, size):
    """Taps a in [a0, a1) of a window (start + a * dil, a < k) that fall inside [0, size).

    Computed, not searched: a loop over the taps, or torch's `while (start < 0) start +=
    dil`, runs for as long as the padding is, and max_pool1d accepts int64 padding.
    """
    a0 = first_tap(start, dil)
    a1 = min(k, (size - start + dil - 1) // dil) if size > start else 0
    return a0, max(a0, a1)


@njit(inline="always")
def first_tap(start, dil):
    """The first tap a with start + a * dil >= 0."""
    return 0 if start >= 0 else (dil - 1 - start) // dil


@njit(inline="always")
def _take_max(m, v):
    """max(m, v), NaN if v is NaN (torch's rule). Where LLVM vectorised the strided loops
    written with it, it made gathers, which were slower on AVX2: they stay scalar."""
    return v if (v > m or v != v) else m


@njit(inline="always")
def _select_max(m, v):
    """`_take_max` as two selects, for the unit-stride row loop: the short-circuit `or`
    kept LLVM from vectorising it on AVX2 (scalar compares in max_pool3d's hot loop,
    tests/codegen_probe.py)."""
    larger = v if v > m else m
    return v if v != v else larger


@njit(parallel=True, cache=True)
def max_pool3d(x, out, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    """out[p, od, oh, ow] = max of x over the window (values only)."""
    planes, D, H, W = x.shape
    OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
    rows = planes * OD * OH
    # + 2: `_max_along_row`'s shuffled loads read up to two elements past the window
    buflen = max(pw + W, (OW - 1) * sw + (kw - 1) * dw + 1) + 2
    nchunks = num_chunks(rows, x.size)
    for chunk in prange(nchunks):
        buf = np.empty(buflen, dtype=x.dtype)
        buf[:pw] = -np.inf
        buf[pw + W:] = -np.inf
        row = buf[pw:pw + W]
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        for r in range(r0, r1):
            oh = r % OH
            od = (r // OH) % OD
            p = r // (OH * OD)
            first = True
            d0, h0 = od * sd - pd, oh * sh - ph
            a0, a1 = valid_taps(d0, kd, dd, D)
            b0, b1 = valid_taps(h0, kh, dh, H)
            for a in range(a0, a1):
                for b in range(b0, b1):
                    src = x[p, d0 + a * dd, h0 + b * dh]
                    if first:
                        row[:] = src
                        first = False
                    else:
                        for w in range(W):
                            row[w] = _select_max(row[w], src[w])
            if first:
                row[:] = -np.inf
            o = out[p, od, oh]
            _max_along_row(buf, o, OW, kw, sw, dw)


@njit(inline="always")
def _max_along_row(buf, o, OW, kw, sw, dw):
    if sw == 2 and dw == 1 and (kw == 2 or kw == 3):
        # the common k2 s2 / k3 s2 cases: even and odd lanes by register shuffles
        # (`max_stride2_chunk`), a register of outputs at a time, the last overlapping
        n = 64 // o.itemsize                 # one 512-bit register of outputs
        if OW >= n:
            ow0 = 0
            while ow0 < OW:
                s = min(ow0, OW - n)
                max_stride2_chunk(o, s, buf, 2 * s, kw == 3)
                ow0 += n
            return
        for ow in range(OW):
            m = _take_max(buf[2 * ow], buf[2 * ow + 1])
            if kw == 3:
                m = _take_max(m, buf[2 * ow + 2])
            o[ow] = m
        return
    for ow in range(OW):
        o[ow] = buf[ow * sw]
    for k in range(1, kw):
        off = k * dw
        for ow in range(OW):
            o[ow] = _take_max(o[ow], buf[ow * sw + off])


@njit(parallel=True, cache=True)
def max_pool3d_with_indices(x, out, indices, store_indices, kd, kh, kw, sd, sh, sw, pd, ph,
                            pw, dd, dh, dw):
    """Values and, if `store_indices`, flat indices (into each plane's D*H*W input volume;
    `indices` is not touched otherwise), torch's loop."""
    planes, D, H, W = x.shape
    OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
    rows = planes * OD * OH
    nchunks = num_chunks(rows, x.size)
    neg_inf = x.dtype.type(-np.inf)
    for chunk in prange(nchunks):
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        for r in range(r0, r1):
            oh = r % OH
            od = (r // OH) % OD
            p = r // (OH * OD)
            plane = x[p].reshape(D * H * W)
            d0 = od * sd - pd
            h0 = oh * sh - ph
            d1 = min(d0 + (kd - 1) * dd + 1, D)
            h1 = min(h0 + (kh - 1) * dh + 1, H)
            d0 += first_tap(d0, dd) * dd
            h0 += first_tap(h0, dh) * dh
            for ow in range(OW):
                w0 = ow * sw - pw
                w1 = min(w0 + (kw - 1) * dw + 1, W)
                w0 += first_tap(w0, dw) * dw
                # torch starts from the window's first in-range position, even when the
                # window holds no input element at all (then the value stays -inf)
                best_index = (d0 * H + h0) * W + w0
                best = neg_inf
                # while loops as torch's: range(start, stop, step) would compute a trip
                # count (an integer division) for every row of every window
                i_d = d0
                while i_d < d1:
                    i_h = h0
                    while i_h < h1:
                        row = (i_d * H + i_h) * W
                        i_w = w0
                        while i_w < w1:
                            v = plane[row + i_w]
                            if v > best or v != v:
                                best = v
                                best_index = row + i_w
                            i_w += dw
                        i_h += dh
                    i_d += dd
                out[p, od, oh, ow] = best
                if store_indices:
                    indices[p, od, oh, ow] = best_index


@njit(inline="always")
def adaptive_start(o, osize, isize):
    return (o * isize) // osize


@njit(inline="always")
def adaptive_end(o, osize, isize):
    return ((o + 1) * isize + osize - 1) // osize


@njit(parallel=True, cache=True)
def adaptive_max_pool3d(x, out, indices):
    """Adaptive max with torch's windows [floor(i*L/out), ceil((i+1)*L/out)) and indices."""
    planes, D, H, W = x.shape
    OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
    rows = planes * OD * OH
    nchunks = num_chunks(rows, x.size)
    for chunk in prange(nchunks):
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        for r in range(r0, r1):
            oh = r % OH
            od = (r // OH) % OD
            p = r // (OH * OD)
            d0 = adaptive_start(od, OD, D)
            d1 = adaptive_end(od, OD, D)
            h0 = adaptive_start(oh, OH, H)
            h1 = adaptive_end(oh, OH, H)
            for ow in range(OW):
                w0 = adaptive_start(ow, OW, W)
                w1 = adaptive_end(ow, OW, W)
                best_index = (d0 * H + h0) * W + w0
                best = -np.inf
                for i_d in range(d0, d1):
                    for i_h in range(h0, h1):
                        for i_w in range(w0, w1):
                            v = x[p, i_d, i_h, i_w]
                            if v > best or v != v:
                                best = v
                                best_index = (i_d * H + i_h) * W + i_w
                out[p, od, oh, ow] = best
                indices[p, od, oh, ow] = best_index
