"""Depthwise 2-D convolution with the channels in the vector lanes: small planes, large
kernels and channels-last tensors.

On MobileNet's 7x7 and 14x14 planes a row is shorter than one register, so the NCHW
kernel (kernels/conv_depthwise.py), whose registers run along a row, leaves most of
their lanes empty and pays its per-plane setup for few positions. Here one task is 16
channels of one image (K = C, one output channel per group): their input planes are
packed zero-padded, channels innermost, into the chunk's scratch (HP, WP, 16), each tap's
16 weights become one vector, and a tile of P positions of one output row keeps P
accumulators of 16 channels, so every multiply-add is full width whatever the plane's
size. A channels-last input or output (torch's memory format: channels innermost) is
read or written as it is: a position's 16 channels are one contiguous run, so packing
and storing are copies of vectors. Into an NCHW output the tile stores its 16 channels
of each position a lane at a time, as 16 scalar stores (`rows.store_lanes_apart`: LLVM
vectorises `store_lanes`' loop into a masked scatter, which ran slower). Only the
'contract' fastmath flag is used; padding is multiplied, so the caller routes non-finite
weights elsewhere (torch's depthwise kernel skips the padding taps).
`python benchmarks/rules.py depthwise` times it against 'depthwise' on either layout.
"""
from numba import prange

from ._epilogue import NONE, ceiling, clamp
from ._stack import tile_buffer, wide_register_file
from ._target import njit
from .conv_pad import _u
from .rows import fill, store_lanes, store_lanes_apart, zero_margins

_FLAGS = {"contract"}
BLOCK = 16           # channels per task: the lanes of each accumulator


def scratch_size(w_shape, out_shape, stride, dilation):
    """Elements of one chunk's row of the scratch: the padded input plane of 16 channels
    (HP, WP, 16), then the 16 channels' weights per tap and their bias."""
    kh, kw = w_shape[-2:]
    oh, ow = out_shape[-2:]
    hp = (oh - 1) * stride[-2] + (kh - 1) * dilation[-2] + 1
    wp = (ow - 1) * stride[-1] + (kw - 1) * dilation[-1] + 1
    return (hp * wp + kh * kw + 1) * BLOCK


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def conv2d_depthwise_blocked(x, w, bias, has_bias, out, sh, sw, ph, pw, dh, dw, x_last,
                             out_last, scratch, epilogue):
    """out (N, C, 1, OH, OW) = the depthwise convolution (groups = C, one output channel
    per group) of x (N, C, 1, H, W), zero-padded by (ph, pw) before each dimension, with w
    (C, 1, 1, KH, KW); x is (N, 1, H, W, C) when `x_last`, out (N, 1, OH, OW, C) when
    `out_last` (channels last). Task t = channels 16*(t % CB) .. of image t // CB; the
    tasks run in scratch.shape[0] near-equal chunks, each packing into its own row of
    `scratch` (`scratch_size`). `epilogue` (kernels/_epilogue.py) before each store."""
    N, C = x.shape[0], w.shape[0]
    H, W = (x.shape[2], x.shape[3]) if x_last else (x.shape[3], x.shape[4])
    OH, OW = (out.shape[2], out.shape[3]) if out_last else (out.shape[3], out.shape[4])
    KH, KW = w.shape[3], w.shape[4]
    HP = (OH - 1) * sh + (KH - 1) * dh + 1
    WP = (OW - 1) * sw + (KW - 1) * dw + 1
    CB = (C + BLOCK - 1) // BLOCK
    tasks = N * CB
    chunks = scratch.shape[0]
    xf = x.reshape(x.size)
    wf = w.reshape(w.size)
    of = out.reshape(out.size)
    for ch in prange(chunks):
        xs = scratch[ch]
        for t in range(ch * tasks // chunks, (ch + 1) * tasks // chunks):
            _task(xf, wf, bias, has_bias, of, xs, t // CB, t % CB, C, H, W, KH, KW, OH, OW,
                  HP, WP, sh, sw, ph, pw, dh, dw, x_last, out_last, epilogue)


@njit(fastmath=_FLAGS)
def _task(xf, wf, bias, has_bias, of, xs, n, cb, C, H, W, KH, KW, OH, OW, HP, WP, sh, sw,
          ph, pw, dh, dw, x_last, out_last, epilogue):
    """Channels 16*cb .. (cn of them real) of image n: pack, then every output row."""
    cn = min(BLOCK, C - cb * BLOCK)
    taps = KH * KW
    weights = _u(HP * WP * BLOCK)
    biases = weights + _u(taps * BLOCK)
    _pack(xf, wf, bias, has_bias, xs, n, cb, cn, C, H, W, taps, HP, WP, ph, pw, weights,
          biases, x_last)
    if out_last:
        base, row_step, position_step, lane_step = n * OH * OW * C + cb * BLOCK, OW * C, C, 1
    else:
        base, row_step, position_step, lane_step = (n * C + cb * BLOCK) * OH * OW, OW, 1, OH * OW
    _rows(xs, of, weights, biases, _u(base), row_step, position_step, lane_step, cn, OH, OW,
          KH, KW, WP, sh, sw, dh, dw, epilogue)


# Not inlined into _task (it is called once per task): Numba copies a callee's IR into its
# caller for every inlined call, so the tiles' code, inlined here, was copied again into
# _task and this kernel took the longest of all to compile
@njit(fastmath=_FLAGS)
def _rows(xs, of, weights, biases, base, row_step, position_step, lane_step, cn, OH, OW,
          KH, KW, WP, sh, sw, dh, dw, epilogue):
    """Every output row of the task, in tiles of `positions()` positions: position p of
    row oh, lane v, goes to of[base + oh * row_step + p * position_step + v * lane_step].
    A row's last tile starts early enough to end at the row's end (recomputing some of
    its predecessor's positions), unless the row is shorter than a tile."""
    step = positions()        # a compile-time constant: the other tile's code is folded away
    last = max(OW - step, 0)
    sliding = step == 8 and sw == 1 and dw == 1 and OW >= step
    for oh in range(OH):
        orow = base + _u(oh * row_step)
        for ow in range(0, OW, step):
            if sliding:
                _tile_sliding(xs, of, weights, biases, orow, position_step, lane_step, cn,
                              oh, min(ow, last), KH, KW, WP, sh, dh, epilogue)
            else:
                _tile(xs, of, weights, biases, orow, position_step, lane_step, cn, oh,
                      min(ow, last), OW, KH, KW, WP, sh, sw, dh, dw, epilogue)


@njit(inline="always")
def _pack(xf, wf, bias, has_bias, xs, n, cb, cn, C, H, W, taps, HP, WP, ph, pw, weights,
          biases, x_last):
    """xs = the 16 channels' input plane zero-padded to (HP, WP), channels innermost, then
    their weights per tap and their bias, zero past the cn real channels."""
    left = max(0, min(pw, WP))                 # padded columns before the input
    right = max(left, min(WP, W + pw))         # the input's columns end here
    for r in range(HP):
        ih = r - ph
        dst = _u(r * WP * BLOCK)
        if ih < 0 or ih >= H:
            fill(xs, dst, WP * BLOCK, 0.0)
            continue
        zero_margins(xs, dst, left, right, WP, BLOCK)
        # the steps are constants in each call, so the channels-last copy is of vectors
        if x_last:
            _pack_row(xs, dst, xf, _u(((n * H + ih) * W - pw) * C + cb * BLOCK), left, right,
                      1, C, cn)
        else:
            # a column of the 16 planes at a time: contiguous stores (a scatter per plane
            # row was far slower)
            _pack_row(xs, dst, xf, _u(((n * C + cb * BLOCK) * H + ih) * W - pw), left, right,
                      H * W, 1, cn)
    for lane in range(BLOCK):
        c = cb * BLOCK + lane
        for t in range(taps):
            xs[weights + _u(t * BLOCK + lane)] = wf[_u(c * taps + t)] if lane < cn else 0.0
        xs[biases + _u(lane)] = bias[c] if has_bias and lane < cn else 0.0


@njit(inline="always")
def _pack_row(xs, dst, xf, src, left, right, lane_step, column_step, cn):
    """Columns left .. right of a packed row at xs[dst]: column q's 16 channels are
    xf[src + q * column_step + lane * lane_step], zero past the cn real channels. A full
    column is loaded into registers, then stored as one vector: copied lane by lane, xs
    and xf might alias, and LLVM left the copy scalar (or made a scatter of it)."""
    if cn == BLOCK:
        column = tile_buffer(xs.dtype)
        for q in range(left, right):
            at = src + _u(q * column_step)
            for lane in range(BLOCK):
                column[lane] = xf[at + _u(lane * lane_step)]
            for lane in range(BLOCK):
                xs[dst + _u(q * BLOCK + lane)] = column[lane]
    else:
        for q in range(left, right):
            for lane in range(BLOCK):
                xs[dst + _u(q * BLOCK + lane)] = (
                    xf[src + _u(q * column_step + lane * lane_step)] if lane < cn else 0.0)


@njit(inline="always")
def _tile(xs, of, weights, biases, orow, position_step, lane_step, cn, oh, ow0, OW, KH, KW,
          WP, sh, sw, dh, dw, epilogue):
    """Output positions ow0 .. ow0 + positions() - 1 (clamped to the row) of row oh, 16
    channels each: position p's lane v goes to of[orow + p * position_step + v *
    lane_step]. With 32 vector registers eight accumulators hide the multiply-adds'
    latency, which four did not; with 16, four fill them (`wide` is a compile-time
    constant: the other four accumulators' code is folded away)."""
    wide = wide_register_file()
    p0 = ow0
    p1 = min(ow0 + 1, OW - 1)
    p2 = min(ow0 + 2, OW - 1)
    p3 = min(ow0 + 3, OW - 1)
    p4 = min(ow0 + 4, OW - 1)
    p5 = min(ow0 + 5, OW - 1)
    p6 = min(ow0 + 6, OW - 1)
    p7 = min(ow0 + 7, OW - 1)
    a0, a1, a2, a3, a4, a5, a6, a7 = _accumulators(xs, biases)
    for kh in range(KH):
        row = (oh * sh + kh * dh) * WP
        for kw in range(KW):
            wo = weights + _u((kh * KW + kw) * BLOCK)
            i0 = _u((row + p0 * sw + kw * dw) * BLOCK)
            i1 = _u((row + p1 * sw + kw * dw) * BLOCK)
            i2 = _u((row + p2 * sw + kw * dw) * BLOCK)
            i3 = _u((row + p3 * sw + kw * dw) * BLOCK)
            i4 = _u((row + p4 * sw + kw * dw) * BLOCK)
            i5 = _u((row + p5 * sw + kw * dw) * BLOCK)
            i6 = _u((row + p6 * sw + kw * dw) * BLOCK)
            i7 = _u((row + p7 * sw + kw * dw) * BLOCK)
            for v in range(BLOCK):
                q = xs[wo + _u(v)]
                a0[v] += q * xs[i0 + _u(v)]
                a1[v] += q * xs[i1 + _u(v)]
                a2[v] += q * xs[i2 + _u(v)]
                a3[v] += q * xs[i3 + _u(v)]
                if wide:
                    a4[v] += q * xs[i4 + _u(v)]
                    a5[v] += q * xs[i5 + _u(v)]
                    a6[v] += q * xs[i6 + _u(v)]
                    a7[v] += q * xs[i7 + _u(v)]
    _finish(of, orow, position_step, lane_step, cn, epilogue, wide, a0, a1, a2, a3, a4, a5,
            a6, a7, p0, p1, p2, p3, p4, p5, p6, p7)


@njit(inline="always")
def _tile_sliding(xs, of, weights, biases, orow, position_step, lane_step, cn, oh, ow0, KH,
                  KW, WP, sh, dh, epilogue):
    """`_tile` on 32 vector registers at stride and dilation 1 along W, eight positions
    from ow0 all in the row: position p at tap kw reads the column position p + 1 read
    at tap kw - 1, so a tap loads its weights and one new column, and its eight
    multiply-adds take the others from registers (seven columns slide down one). Loads
    had bounded `_tile`, one per multiply-add (docs/PERF.md keeps `python
    benchmarks/rules.py depthwise` from before and after)."""
    a0, a1, a2, a3, a4, a5, a6, a7 = _accumulators(xs, biases)
    c0 = tile_buffer(xs.dtype)
    c1 = tile_buffer(xs.dtype)
    c2 = tile_buffer(xs.dtype)
    c3 = tile_buffer(xs.dtype)
    c4 = tile_buffer(xs.dtype)
    c5 = tile_buffer(xs.dtype)
    c6 = tile_buffer(xs.dtype)
    for kh in range(KH):
        start = _u(((oh * sh + kh * dh) * WP + ow0) * BLOCK)
        for v in range(BLOCK):
            c0[v] = xs[start + _u(0 * BLOCK + v)]
            c1[v] = xs[start + _u(1 * BLOCK + v)]
            c2[v] = xs[start + _u(2 * BLOCK + v)]
            c3[v] = xs[start + _u(3 * BLOCK + v)]
            c4[v] = xs[start + _u(4 * BLOCK + v)]
            c5[v] = xs[start + _u(5 * BLOCK + v)]
            c6[v] = xs[start + _u(6 * BLOCK + v)]
        for kw in range(KW):
            wo = weights + _u((kh * KW + kw) * BLOCK)
            fresh = start + _u((kw + 7) * BLOCK)
            for v in range(BLOCK):
                q = xs[wo + _u(v)]
                c7 = xs[fresh + _u(v)]
                a0[v] += q * c0[v]
                a1[v] += q * c1[v]
                a2[v] += q * c2[v]
                a3[v] += q * c3[v]
                a4[v] += q * c4[v]
                a5[v] += q * c5[v]
                a6[v] += q * c6[v]
                a7[v] += q * c7
                c0[v] = c1[v]
                c1[v] = c2[v]
                c2[v] = c3[v]
                c3[v] = c4[v]
                c4[v] = c5[v]
                c5[v] = c6[v]
                c6[v] = c7
    _finish(of, orow, position_step, lane_step, cn, epilogue, True, a0, a1, a2, a3, a4, a5,
            a6, a7, ow0, ow0 + 1, ow0 + 2, ow0 + 3, ow0 + 4, ow0 + 5, ow0 + 6, ow0 + 7)


@njit(inline="always")
def _accumulators(xs, biases):
    """Eight accumulators of BLOCK lanes on the stack, each holding the block's biases."""
    a0 = tile_buffer(xs.dtype)
    a1 = tile_buffer(xs.dtype)
    a2 = tile_buffer(xs.dtype)
    a3 = tile_buffer(xs.dtype)
    a4 = tile_buffer(xs.dtype)
    a5 = tile_buffer(xs.dtype)
    a6 = tile_buffer(xs.dtype)
    a7 = tile_buffer(xs.dtype)
    for v in range(BLOCK):
        b = xs[biases + _u(v)]
        a0[v] = b
        a1[v] = b
        a2[v] = b
        a3[v] = b
        a4[v] = b
        a5[v] = b
        a6[v] = b
        a7[v] = b
    return a0, a1, a2, a3, a4, a5, a6, a7


@njit(inline="always")
def _finish(of, orow, position_step, lane_step, cn, epilogue, wide, a0, a1, a2, a3, a4, a5,
            a6, a7, p0, p1, p2, p3, p4, p5, p6, p7):
    """The epilogue on the accumulators, then each stored at its position (the last four
    only where `wide`)."""
    if epilogue != NONE:
        hi = ceiling(epilogue, of.dtype)
        for v in range(BLOCK):
            a0[v] = clamp(a0[v], hi)
            a1[v] = clamp(a1[v], hi)
            a2[v] = clamp(a2[v], hi)
            a3[v] = clamp(a3[v], hi)
            a4[v] = clamp(a4[v], hi)
            a5[v] = clamp(a5[v], hi)
            a6[v] = clamp(a6[v], hi)
            a7[v] = clamp(a7[v], hi)
    _store(of, a0, orow + _u(p0 * position_step), lane_step, cn)
    _store(of, a1, orow + _u(p1 * position_step), lane_step, cn)
    _store(of, a2, orow + _u(p2 * position_step), lane_step, cn)
    _store(of, a3, orow + _u(p3 * position_step), lane_step, cn)
    if wide:
        _store(of, a4, orow + _u(p4 * position_step), lane_step, cn)
        _store(of, a5, orow + _u(p5 * position_step), lane_step, cn)
        _store(of, a6, orow + _u(p6 * position_step), lane_step, cn)
        _store(of, a7, orow + _u(p7 * position_step), lane_step, cn)


@njit(inline="always")
def positions():
    """Output positions per tile: 8 with 32 vector registers, else 4."""
    return 8 if wide_register_file() else 4


@njit(inline="always")
def _store(of, acc, at, lane_step, cn):
    """The cn real lanes of `acc` to of[at + v * lane_step]: one vector when they are
    adjacent, else a scalar store per lane."""
    if cn < BLOCK:
        store_lanes(of, acc, at, _u(lane_step), cn)
    elif lane_step == 1:
        for v in range(BLOCK):
            of[at + _u(v)] = acc[v]
    else:
        store_lanes_apart(of, at, _u(lane_step), acc)
