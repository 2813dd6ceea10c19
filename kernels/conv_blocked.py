"""Dense convolution in a channel-blocked layout (PERF.md, "What a probe measured").

The input stays NCDHW: nothing is allocated per call. One task = one band of output rows
of one (n, od) plane (`band_count` bands per plane) for one run of its output channels
(`channel_parts` runs). It packs the input rows the band reads into scratch (one row of
the caller's per-thread `scratch` per chunk of tasks), then runs each of its groups of one
or two 16-channel output blocks over the band, so the rows are packed once and reused by
all its output channels. The tasks run part by part, so where the channels are split
over the threads each thread runs its part over every band.

Layouts (BLOCK = 16 channels, zero-filled past the real channel count):
- scratch xs (C/16, KD, RH, WR, 16): for each input block and depth tap kd, the RH input
  rows oh0*sh - ph .. of depth plane od*sd - pd + kd*dd, zero-padded, WR columns (what the
  taps reach), channels innermost; the kd planes are stacked, so the kd stride is a plane;
- weight wb (K/16, C/16, KD, KH, KW, 16c, 16k) (`pack_weight`), or, where each chunk runs
  each of its groups of output blocks once (batch 1, channels split over the threads),
  the blocks of one group at a time, packed by the chunk just before the group runs: a
  weight given as it is then is never written whole and read back from memory;
- output: written straight into the NCDHW `out`, or, where an output plane is a multiple
  of 2 KiB, through a per-thread stage whose channel rows do not share L1 sets
  (`stage_pays`), copied out a channel's run at a time.

A tile is B blocks of 16 output channels times P output positions, B x P accumulators of
16 lanes, generated for every shape the targets need (kernels/tiles_blocked.py) and chosen
for the codegen target by kernels/_shapes.py (2x8 with AVX-512's 32 registers of 512 bits,
1x6 with AVX2's 16 of 256). For each input channel the tile loads one 16-channel weight
vector per block and broadcasts one input value per position (the loop written as vector
code, kernels/_fma_loop.py, each broadcast used at once), so stride and dilation
only change where the broadcasts come from, and a tile's positions run on across row
ends, flat over the band (no remainder tiles: per-row tiles wasted work on rows that are
not a multiple of P wide); the band's last tile repeats its last position, never a scalar
remainder.

A tile skips the kernel rows (and depth planes) whose taps read only padding for all of
its positions, as torch's AVX-512 oneDNN convolution skips padding taps: on a dilated
border that is much of the work (DeepLab's 3x3 d6 on 33x33: 12% of the taps along each
axis). A flat tile spans row ends, so where it saves work (`_split_pays`) a band runs as
rectangles cut at the border rows and columns, each skipping the kernel rows and columns
that read only its padding. The other padding taps are multiplied like any other, as in
torch's AVX2 and slower dense paths and in `conv3d_direct`, so at the border an inf
weight may give NaN or a number, as torch's paths differ. Only 'contract' (FMA) is used.
"""
import math

import numpy as np
from numba import prange
from numba.extending import overload

from . import _shapes, tiles_blocked
from ._stack import shape_constant, target_shape, tile_buffer
from ._target import njit, target
from .conv_pad import _u
from .exp32 import CHECK_MATH
from .rows import fill, zero_margins

_FLAGS = {"contract"}
BLOCK = 16


def packed_weight_shape(w_shape):
    """(K, C, KD, KH, KW) -> the shape of `pack_weight`'s output."""
    k, c = w_shape[:2]
    return (-(-k // BLOCK), -(-c // BLOCK)) + tuple(w_shape[2:]) + (BLOCK, BLOCK)


@njit(parallel=True, cache=True)
def pack_weight(w, wb):
    """wb (K/16, C/16, KD, KH, KW, 16c, 16k) = w (K, C, KD, KH, KW), zero past K and C."""
    K, C = w.shape[0], w.shape[1]
    CB = wb.shape[1]
    T = w.shape[2] * w.shape[3] * w.shape[4]
    wf = w.reshape(w.size)
    bf = wb.reshape(wb.size)
    for blk in prange(wb.shape[0] * CB):
        _pack_block(wf, bf, _u(blk * T * BLOCK * BLOCK), blk // CB, blk % CB, K, C, C * T, T,
                    T, False)


@njit(parallel=True, cache=True, fastmath=CHECK_MATH)
def pack_weight_flipped(w, wb):
    """wb = `pack_weight`'s form of the weight w (C, K, KD, KH, KW) with its first two axes
    swapped and its taps reversed along every axis: the convolution that gives a stride-1
    convolution's input gradient, or runs a stride-1 transposed one, made in one pass.
    Returns 0.0, or NaN when w holds NaN or inf."""
    C, K = w.shape[0], w.shape[1]
    CB = wb.shape[1]
    T = w.shape[2] * w.shape[3] * w.shape[4]
    wf = w.reshape(w.size)
    bf = wb.reshape(wb.size)
    checks = np.zeros(wb.shape[0] * CB)
    for blk in prange(wb.shape[0] * CB):
        checks[blk] = _pack_block(wf, bf, _u(blk * T * BLOCK * BLOCK), blk // CB, blk % CB, K,
                                  C, T, K * T, T, True)
    return checks.sum()


@njit(inline="always")
def _pack_block(wf, bf, at, kb, cb, K, C, kstride, cstride, T, flip):
    """bf[at:] = the (16c, 16k) blocks of taps 0..T-1 of input block cb and output block
    kb of the weight whose element (k, c, t) is wf[k*kstride + c*cstride + t] (tap T-1-t
    when `flip`), zero past K and C. Returns the sum of the values times zero (NaN when
    one is NaN or inf)."""
    check = 0.0
    if (kb + 1) * BLOCK <= K and (cb + 1) * BLOCK <= C:
        # no test per element, which kept the loop scalar
        base = _u(kb * BLOCK * kstride + cb * BLOCK * cstride)
        ks = _u(kstride)
        start = at
        for t in range(T):
            tap = _u(T - 1 - t) if flip else _u(t)
            for c in range(BLOCK):
                src = base + _u(c * cstride) + tap
                for k in range(BLOCK):
                    bf[at + _u(k)] = wf[src + _u(k) * ks]
                at += _u(BLOCK)
        # checked where the block lies contiguous and in L1: a sum per value read above
        # kept the loads scalar
        lanes = bf[start] - bf[start]           # in the weight's dtype: no conversions
        for i in range(start, at):
            lanes += bf[i] - bf[i]
        return check + lanes
    for t in range(T):
        tap = T - 1 - t if flip else t
        for c in range(BLOCK):
            ci = cb * BLOCK + c
            for k in range(BLOCK):
                ki = kb * BLOCK + k
                v = 0.0
                if ki < K and ci < C:
                    v = wf[_u(ki * kstride + ci * cstride + tap)]
                check += v * 0.0
                bf[at] = v
                at += _u(1)
    return check


L2_BYTES = 1 << 20    # a band's scratch plus one pair's weights should fit: one core's L2


def band_count(x_shape, w_shape, out_shape, stride, dilation, itemsize, threads):
    """Bands per output plane for `conv3d_blocked`: the fewest whose scratch fits in L2_BYTES
    with a pair's packed weights and whose tasks (planes x bands) split evenly over
    `threads` (or number at least 8 per thread). Numba hands each thread one equal run of
    tasks, so more tasks only add repacking; the L2 bound keeps the scratch a few rows on
    wide planes, where the tiles sweep a few input rows at a time anyway. A pair's weights
    of more than half of L2_BYTES (3x3 on 1024 input channels) are read from L3 by every
    tile whatever the bands, and every band reads them again: there the scratch alone
    is bound by L2_BYTES (one band per row had run UNet's 1024-channel 28x28 layer
    slower).
    `python benchmarks/rules.py bands` times 1, 2, 4, 8 and 16 bands per plane and marks
    this choice (docs/PERF.md)."""
    n, c = x_shape[:2]
    kd, kh = w_shape[2:4]
    od, oh, ow = out_shape[2:]
    width = (ow - 1) * stride[2] + dilation[2] * (w_shape[4] - 1) + 1
    cb = -(-c // BLOCK)
    plane_row = cb * kd * width * BLOCK * itemsize
    pair_weights = 2 * cb * kd * kh * w_shape[4] * BLOCK * BLOCK * itemsize
    if pair_weights > L2_BYTES // 2:
        pair_weights = 0
    for bands in range(1, oh):
        tasks = n * od * bands
        rows = (-(-oh // bands) - 1) * stride[1] + dilation[1] * (kh - 1) + 1
        if ((tasks % threads == 0 or tasks >= 8 * threads)
                and rows * plane_row + pair_weights <= L2_BYTES):
            return bands
    return max(oh, 1)


def channel_parts(x_shape, w_shape, out_shape, itemsize, threads):
    """How many runs the output-channel blocks of each band are split into for
    `conv3d_blocked`: `threads` when there are fewer (n, od) planes than threads (batch 1)
    and at least `threads` groups of output blocks, else 1 (the bands split over the
    threads). Split bands each read all the weights for few positions, split channels a part
    of them for all positions: at batch 1 the channel split was faster on ResNet's 3x3
    layers on 14x14 and smaller planes and no slower on larger ones, and the band split's
    time swung between runs; at batch 2 and more the two were level.
    `python benchmarks/rules.py parts` times both (docs/PERF.md)."""
    output_blocks = -(-w_shape[0] // BLOCK)
    groups = -(-output_blocks // _shapes.blocked_shape(target().vector_bits, itemsize)[0])
    if 1 < threads <= groups and x_shape[0] * out_shape[2] < threads:
        return threads
    return 1


_tile_shape = shape_constant("blocked_shape")


def _tile(xf, wf, of, bias16, bias16b, xrow, wbase, wstep, orow, ostep, ostride, kn, kn2,
          first, P, OW, CW, col0, shxh, sw, CB, KD, KH, KW, kd0, kd1, kh0, kh1, kw0, kw1,
          xcb, xd, xh, xw, epilogue):
    """Output positions first.. (flat over the columns col0 .. col0 + CW - 1 of a band of
    rows OW wide, clamped to its P positions, so a tile may span rows and only the
    segment's end repeats work) of one or two blocks of 16 channels (weights at wbase and
    wbase + wstep, NCDHW outputs at orow and orow + ostep, channels ostride apart, kn and
    kn2 of them real), in the generated tile `_tile_shape` picks
    (kernels/tiles_blocked.py). Each weight vector feeds one FMA per position and each
    broadcast one per block. Input tap (cb, kd, kh, kw) of band position (oh, ow) starts at
    xf[xrow + cb*xcb + kd*xd + kh*xh + kw*xw + oh*shxh + ow*sw*16]; only the taps
    kd0 <= kd < kd1, kh0 <= kh < kh1, kw0 <= kw < kw1 run (`_inside`)."""


# compiled without reference counting, as 'pointwise''s tiles (kernels/conv_pointwise.py)
@overload(_tile, jit_options={"fastmath": _FLAGS, "_nrt": False})
def _tile_for_target(xf, wf, of, bias16, bias16b, xrow, wbase, wstep, orow, ostep, ostride,
                     kn, kn2, first, P, OW, CW, col0, shxh, sw, CB, KD, KH, KW, kd0, kd1,
                     kh0, kh1, kw0, kw1, xcb, xd, xh, xw, epilogue):
    return tiles_blocked.TILES[target_shape(_shapes.blocked_shape, of.dtype)].py_func


@njit(inline="always")
def _inside(first, last, size, stride, pad, dilation, taps):
    """(t0, t1): the taps t0 <= t < t1 that read inside an input of `size` (not padding)
    from at least one of the output positions first..last along one dimension."""
    t0 = 0
    while t0 < taps and last * stride - pad + t0 * dilation < 0:
        t0 += 1
    t1 = taps
    while t1 > t0 and first * stride - pad + (t1 - 1) * dilation >= size:
        t1 -= 1
    return t0, t1


@njit(inline="always")
def _borders(size_out, size_in, stride, pad, dilation, taps):
    """(lo, hi) along one dimension: outputs below lo read the padding before the input
    with tap 0, outputs from hi the padding after it with the last tap."""
    lo = min(size_out, (pad + stride - 1) // stride)
    hi = max(lo, min(size_out, (size_in + pad - (taps - 1) * dilation + stride - 1) // stride))
    return lo, hi


@njit(inline="always")
def _segment(index, lo, hi, size, split):
    """Segment `index` (0, 1, 2) of 0..size split at lo and hi, or all of it as segment 0
    when not `split` (an empty range otherwise)."""
    if not split:
        return (0, size) if index == 0 else (0, 0)
    return (0, lo) if index == 0 else (lo, hi) if index == 1 else (hi, size)


@njit(inline="always")
def _rectangle(index, top, bottom, left, right, oh0, rows, OH, OW, split):
    """Rectangle `index` (0..8) of a band of output rows oh0 .. oh0 + rows - 1 cut at
    the border rows and columns (`_borders`) when `split`, else the whole band as
    rectangle 0: (first row, last row + 1, first column, last column + 1)."""
    r0, r1 = _segment(index // 3, top, bottom, OH, split)
    c0, c1 = _segment(index % 3, left, right, OW, split)
    return max(r0, oh0), min(r1, oh0 + rows), c0, c1


@njit(inline="always")
def _tile_kernel_rows(r0, f0, count, cw, pixels, H, sh, ph, dh, KH):
    """(kh0, kh1) of the tile at flat position f0 of `count` positions over rows of `cw`
    from output row r0: the kernel rows that read inside the input for at least one of
    its positions."""
    return _inside(r0 + f0 // cw, r0 + (min(f0 + pixels, count) - 1) // cw, H, sh, ph, dh,
                   KH)


@njit(inline="always")
def _split_pays(top, bottom, left, right, oh0, rows, OW, OH, H, W, sh, sw, ph, pw, dh, dw,
                KH, KW, pixels):
    """Whether running the band as up to nine rectangles cut at the border rows and
    columns, each skipping the kernel rows and columns that read only its padding and
    each rounded up to whole tiles, does fewer tile x tap steps than running its rows
    flat (skipping the kernel rows that read only padding for a whole tile). DeepLab's
    3x3 d6 p6 on 33 x 33 skips a third of the taps on 12 rows and 12 columns, as torch's
    AVX-512 oneDNN convolution does (its AVX2 one multiplies them). A 3x3 p1 layer's
    one-wide borders save less than the rounding costs."""
    if (top == 0 and bottom >= OH and left == 0 and right == OW) or rows == 0:
        return False
    steps = 0
    for index in range(9):
        r0, r1, c0, c1 = _rectangle(index, top, bottom, left, right, oh0, rows, OH, OW,
                                    True)
        if r1 > r0 and c1 > c0:
            kh0, kh1 = _inside(r0, r1 - 1, H, sh, ph, dh, KH)
            kw0, kw1 = _inside(c0, c1 - 1, W, sw, pw, dw, KW)
            steps += ((r1 - r0) * (c1 - c0) + pixels - 1) // pixels * (kh1 - kh0) * (kw1 - kw0)
    flat = 0
    for f0 in range(0, rows * OW, pixels):
        kh0, kh1 = _tile_kernel_rows(oh0, f0, rows * OW, OW, pixels, H, sh, ph, dh, KH)
        flat += (kh1 - kh0) * KW
    return steps < flat


@njit(inline="always")
def _pack_band(xf, xs, n, od, oh0, rows_in, C, D, H, W, CB, KD, RH, WR, sd, sh, pd, ph, pw,
               dd):
    """xs (CB, KD, RH, WR, 16) = input rows oh0*sh - ph .. + rows_in - 1 of the depth planes
    od*sd - pd + kd*dd, columns -pw .. WR - pw - 1, zero outside the input and past C."""
    plane = _u(D * H * W)            # one input channel
    left = min(pw, WR)                     # zero columns before the input
    inside = max(0, min(W, WR - pw))       # input columns the band reads
    right = left + inside                  # zero columns from here to WR
    for cb in range(CB):
        cn = min(BLOCK, C - cb * BLOCK)
        for kd in range(KD):
            id_ = od * sd - pd + kd * dd
            for zr in range(RH):
                ih = oh0 * sh - ph + zr
                dst = _u(((cb * KD + kd) * RH + zr) * WR * BLOCK)
                if zr >= rows_in or id_ < 0 or id_ >= D or ih < 0 or ih >= H:
                    fill(xs, dst, WR * BLOCK, 0.0)
                    continue
                zero_margins(xs, dst, left, right, WR, BLOCK)
                src = _u(((n * C + cb * BLOCK) * D + id_) * H + ih) * _u(W)
                at = dst + _u(left * BLOCK)
                # 16 columns at a time, each channel's read whole: where a plane is a
                # multiple of 4 KiB the 16 channels' rows share one L1 set, and reading one
                # column of all of them at a time (as below) missed on every read
                done = 0
                if cn == BLOCK:
                    done = inside - inside % BLOCK
                    for iw0 in range(0, _u(done), _u(BLOCK)):
                        for c in range(BLOCK):
                            for j in range(BLOCK):
                                xs[at + (iw0 + _u(j)) * _u(BLOCK) + _u(c)] = (
                                    xf[src + _u(c) * plane + iw0 + _u(j)])
                # position-major with the 16 channels innermost: contiguous 64-byte stores
                # (channel-major strided stores were far slower)
                for iw in range(_u(done), _u(inside)):
                    for c in range(BLOCK):
                        xs[at + iw * _u(BLOCK) + _u(c)] = (
                            xf[src + _u(c) * plane + iw] if c < cn else 0.0)


def planes_per_pass(x_shape, w_shape, out_shape, stride, dilation, bands, parts, itemsize,
                    threads):
    """Bands `conv3d_blocked` packs and runs together (its `planes`): where the packed
    weights outgrow L2_BYTES and the channels are not split (`parts` 1), as many of a
    chunk's bands as fit in L2_BYTES beside one group's weights, which are then read from
    L3 once per pass rather than once per band (ResNet's 512-channel 4x4 and 256-channel
    7x7 layers at batch 8 read all their weights for every plane of 16 or 49 positions);
    else 1. `python benchmarks/rules.py planes` times 1 against the pick."""
    k, c = w_shape[:2]
    blocks_in, taps = -(-c // BLOCK), math.prod(w_shape[2:])
    weights = -(-k // BLOCK) * blocks_in * taps * BLOCK * BLOCK * itemsize
    if parts != 1 or weights <= L2_BYTES:
        return 1
    group = _shapes.blocked_shape(target().vector_bits, itemsize)[0] * blocks_in * taps * (
        BLOCK * BLOCK * itemsize)
    band = scratch_size(w_shape, out_shape, stride, dilation, bands) * itemsize
    per_chunk = -(-(x_shape[0] * out_shape[2] * bands) // threads)
    return max(1, min(per_chunk, (L2_BYTES - group) // band))


def scratch_size(w_shape, out_shape, stride, dilation, bands):
    """Elements of one task's scratch in `conv3d_blocked` (C/16, KD, RH, WR, 16)."""
    cb = -(-w_shape[1] // BLOCK)
    kd, kh, kw = w_shape[2:]
    oh, ow = out_shape[3:]
    rows = (-(-oh // bands) - 1) * stride[1] + dilation[1] * (kh - 1) + 1
    return cb * kd * rows * ((ow - 1) * stride[2] + dilation[2] * (kw - 1) + 1) * BLOCK


def stage_size(out_shape, bands, itemsize):
    """Elements of one chunk's row of `conv3d_blocked`'s `stage`: a group of output blocks
    over the tallest band, each channel's run padded to an odd number of 64-byte lines so
    that the group's channels start in different L1 sets."""
    oh, ow = out_shape[3:]
    lines = -(-(-(-oh // bands) * ow * itemsize) // 64)
    blocks = _shapes.blocked_shape(target().vector_bits, itemsize)[0]
    return blocks * BLOCK * (lines | 1) * 64 // itemsize


def stage_pays(out_shape, itemsize):
    """Whether `conv3d_blocked`'s tiles store through `stage`: where one output plane is a
    multiple of 2 KiB, the 16 or 32 channels a tile stores at each position fall in at most
    two of the L1 cache's 4 KiB-periodic sets, more than their 8 ways hold, and its stores
    miss (a 64-channel 3x3 convolution ran markedly slower on 224x224 planes than on
    223x223 ones). Elsewhere the stage's copy costs a little.
    `python benchmarks/rules.py stage` times both on such planes and others."""
    return (out_shape[2] * out_shape[3] * out_shape[4] * itemsize) % 2048 == 0


def group_weights_size(w_shape, itemsize):
    """Elements of one chunk's row of `conv3d_blocked`'s `group_weights`: the packed
    weights of one group of output blocks."""
    blocks = _shapes.blocked_shape(target().vector_bits, itemsize)[0]
    return blocks * -(-w_shape[1] // BLOCK) * w_shape[2] * w_shape[3] * w_shape[4] * BLOCK * BLOCK


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def conv3d_blocked(x, w, bias, has_bias, out, sd, sh, sw, pd, ph, pw, dd, dh, dw, bands,
                   parts, planes, scratch, stage, wb, group_weights, epilogue):
    """out (N, K, OD, OH, OW) = convolution of the NCDHW input x, zero-padded by (pd, ph, pw)
    before each dimension, with the weight w (K, C, KD, KH, KW); groups == 1; `epilogue`
    (kernels/_epilogue.py) before the store.
    One task = the output rows of one band of a plane (`bands` near-equal bands per plane)
    for one of `parts` near-equal runs of the groups of 16-channel output blocks: it packs
    the input rows the band reads into scratch (unless the chunk's previous task packed
    them), then runs its groups over the band's positions. `scratch` has a row of
    `scratch_size(...)` per chunk: the tasks run in scratch.shape[0] near-equal chunks,
    each on its own row; task t is band t % (N * OD * bands) in part t // (N * OD * bands).
    The tiles read w packed (module docstring): from wb (`pack_weight`'s output) when
    `group_weights` has no columns, else each group's packed just before it runs, into the
    chunk's row of `group_weights` (`group_weights_size`), where the tiles find it in
    cache; for a chunk that runs each group once (one plane, one band, `parts` chunks).
    With `planes` > 1 (`parts` 1, `planes_per_pass`), a chunk runs its tasks in passes of
    that many bands: it packs them into as many slots of its scratch row, then runs each
    group over every band of the pass, so that a group's weights, read from L3 for the
    first band (and packed into `group_weights` by it, when that has columns), are in L2
    for the others.
    Where `stage` has columns (`stage_size`), each chunk's tiles store a group's outputs
    over the band into its row of `stage`, copied into `out` a channel's run at a time
    after the group (`stage_pays`)."""
    N, C, D, H, W = x.shape
    K, KD, KH, KW = w.shape[0], w.shape[2], w.shape[3], w.shape[4]
    KB, CB = (K + BLOCK - 1) // BLOCK, (C + BLOCK - 1) // BLOCK
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    xf = x.reshape(x.size)
    wrf = w.reshape(w.size)
    wf = wb.reshape(wb.size)
    of = out.reshape(out.size)
    WR = (OW - 1) * sw + dw * (KW - 1) + 1          # padded columns the taps reach
    most = (OH + bands - 1) // bands                # output rows of the tallest band
    RH = (most - 1) * sh + dh * (KH - 1) + 1        # input rows it reads
    xh = WR * BLOCK
    xd = RH * xh
    xcb = KD * xd
    u_xcb, u_xd, u_xh, u_xw = _u(xcb), _u(xd), _u(dh * xh), _u(dw * BLOCK)
    wblock = _u(CB * KD * KH * KW * BLOCK * BLOCK)
    pack_groups = group_weights.shape[1] > 0
    per_part = N * OD * bands
    tasks = per_part * parts
    chunks = scratch.shape[0]
    blocks = _tile_shape(out.dtype)[0]
    groups = (KB + blocks - 1) // blocks
    for ch in prange(chunks):
        row = scratch[ch]
        slot = row.size // planes
        st = stage[ch]
        gw = wf
        if pack_groups:
            gw = group_weights[ch]
        packed_band = -1
        first = ch * tasks // chunks
        last = (ch + 1) * tasks // chunks
        if planes == 1:
            for t in range(first, last):
                # part-major: with the channels split over the chunks, each chunk runs its
                # part of the channels over every band (packing each band it runs)
                band = t % per_part
                part = t // per_part
                if band != packed_band:
                    _pack_task(xf, row, band, bands, C, D, H, W, CB, KD, KH, RH, WR, OD, OH,
                               sd, sh, pd, ph, pw, dd, dh)
                _band_groups(xf, row, st, wrf, gw, pack_groups, pack_groups, of, bias,
                             has_bias, band, part * groups // parts,
                             (part + 1) * groups // parts, bands, C, D, H, W, K, OD, OH, OW,
                             KB, CB, KD, KH, KW, WR, sd, sh, sw, pd, ph, pw, dd, dh, dw, u_xcb,
                             u_xd, u_xh, u_xw, wblock, epilogue)
                packed_band = band
            continue
        for t0 in range(first, last, planes):
            t1 = min(t0 + planes, last)
            for t in range(t0, t1):
                _pack_task(xf, row[(t - t0) * slot:(t - t0 + 1) * slot], t, bands, C, D, H,
                           W, CB, KD, KH, RH, WR, OD, OH, sd, sh, pd, ph, pw, dd, dh)
            for group in range(groups):
                for t in range(t0, t1):
                    # group by group, its weights packed by the pass's first band
                    pack_now = pack_groups and t == t0
                    _band_groups(xf, row[(t - t0) * slot:(t - t0 + 1) * slot], st, wrf, gw,
                                 pack_groups, pack_now, of, bias, has_bias, t,
                                 group, group + 1, bands, C, D, H, W, K, OD, OH, OW, KB, CB,
                                 KD, KH, KW, WR, sd, sh, sw, pd, ph, pw, dd, dh, dw, u_xcb,
                                 u_xd, u_xh, u_xw, wblock, epilogue)


@njit(inline="always")
def _task_rows(t, bands, OD, OH):
    """Task t of conv3d_blocked (band-major within a plane): its sample n, output depth od,
    first output row oh0 and row count."""
    band = t % bands
    oh0 = band * OH // bands
    return t // (bands * OD), (t // bands) % OD, oh0, (band + 1) * OH // bands - oh0


@njit(inline="always")
def _pack_task(xf, xs, t, bands, C, D, H, W, CB, KD, KH, RH, WR, OD, OH, sd, sh, pd, ph, pw,
               dd, dh):
    """Pack band t (of the N * OD * bands) of conv3d_blocked into xs (`_pack_band`)."""
    n, od, oh0, rows = _task_rows(t, bands, OD, OH)
    _pack_band(xf, xs, n, od, oh0, (rows - 1) * sh + dh * (KH - 1) + 1, C, D, H, W, CB, KD,
               RH, WR, sd, sh, pd, ph, pw, dd)


@njit(fastmath=_FLAGS)
def _band_groups(xf, xs, st, wrf, wf, grouped, pack_groups, of, bias, has_bias, t, group0,
                 group1, bands, C, D, H, W, K, OD, OH, OW, KB, CB, KD, KH, KW, WR, sd, sh, sw,
                 pd, ph, pw, dd, dh, dw, u_xcb, u_xd, u_xh, u_xw, wblock, epilogue):
    """Run the groups group0 .. group1 - 1 of 16-channel output blocks of conv3d_blocked
    over band t, packed in xs (tiles with `epilogue`, kernels/_epilogue.py), reading the
    packed weights from wf: all of them, or, if `grouped`, the running group's alone,
    which are packed into it from the flat weight wrf first if `pack_groups`."""
    n, od, oh0, rows = _task_rows(t, bands, OD, OH)
    P = OH * OW
    kd0, kd1 = _inside(od, od, D, sd, pd, dd, KD)
    bias16 = tile_buffer(of.dtype)
    bias16b = tile_buffer(of.dtype)
    blocks, pixels = _tile_shape(of.dtype)
    top, bottom = _borders(OH, H, sh, ph, dh, KH)
    left, right = _borders(OW, W, sw, pw, dw, KW)
    split = _split_pays(top, bottom, left, right, oh0, rows, OW, OH, H, W, sh, sw, ph, pw, dh,
                        dw, KH, KW, pixels)
    taps = KD * KH * KW
    staged = st.size > 0
    sstride = _u(st.size // (blocks * BLOCK))
    for group in range(group0, group1):
        kb = group * blocks
        kb2 = min(kb + blocks - 1, KB - 1)     # an odd last pair computes its block twice
        for v in range(BLOCK):
            k = kb * BLOCK + v
            k2 = kb2 * BLOCK + v
            bias16[v] = bias[k] if has_bias and k < K else 0.0
            bias16b[v] = bias[k2] if has_bias and k2 < K else 0.0
        orow = _u(((n * K + kb * BLOCK) * OD + od) * P + oh0 * OW)
        ostep = _u((kb2 - kb) * BLOCK * OD * P)
        kn = min(BLOCK, K - kb * BLOCK)
        kn2 = min(BLOCK, K - kb2 * BLOCK)
        wbase = _u(kb) * wblock
        wstep = _u(kb2 - kb) * wblock
        if grouped:
            wbase = _u(0)
        if pack_groups:
            for b in range(kb2 - kb + 1):
                for cb in range(CB):
                    _pack_block(wrf, wf, _u(b) * wblock + _u(cb * taps * BLOCK * BLOCK),
                                kb + b, cb, K, C, C * taps, taps, taps, False)
        target, base, tstep, tstride = of, orow, ostep, _u(OD * P)
        if staged:
            target, base, tstep, tstride = st, _u(0), _u((kb2 - kb) * BLOCK) * sstride, sstride
        for index in range(9 if split else 1):
            r0, r1, c0, c1 = _rectangle(index, top, bottom, left, right, oh0, rows, OH, OW,
                                        split)
            if r1 <= r0 or c1 <= c0:
                continue
            kw0, kw1 = _inside(c0, c1 - 1, W, sw, pw, dw, KW)
            cw = c1 - c0
            count = (r1 - r0) * cw
            for f0 in range(0, count, pixels):
                # taps that read only padding for all of the tile's positions are skipped,
                # as torch's AVX-512 oneDNN convolution skips them (a dilated border has many)
                kh0, kh1 = _tile_kernel_rows(r0, f0, count, cw, pixels, H, sh, ph, dh, KH)
                _tile(xs, wf, target, bias16, bias16b, _u((r0 - oh0) * sh * WR * BLOCK),
                      wbase, wstep, base + _u((r0 - oh0) * OW), tstep, tstride, kn, kn2, f0,
                      count, OW, cw, c0, sh * WR * BLOCK, sw, _u(CB), _u(KD), _u(KH),
                      _u(KW), _u(kd0), _u(kd1), _u(kh0), _u(kh1), _u(kw0), _u(kw1), u_xcb,
                      u_xd, u_xh, u_xw, epilogue)
        if staged:
            for b in range(kb2 - kb + 1):
                for v in range(min(BLOCK, K - (kb + b) * BLOCK)):
                    dst = orow + _u(b * BLOCK * OD * P + v * OD * P)
                    src = _u(b * BLOCK + v) * sstride
                    for i in range(_u(rows * OW)):
                        of[dst + i] = st[src + i]
