"""Depthwise 2-D convolution with the channels in the vector lanes, for small planes.

On MobileNet's 7x7 and 14x14 planes a row is shorter than one register, so the NCHW
kernel (kernels/conv_depthwise.py), whose registers run along a row, leaves most of
their lanes empty and pays its per-plane setup for few positions. Here one task is 16
channels of one image (K = C, one output channel per group): their input planes are
packed zero-padded, channels innermost, into the chunk's scratch (HP, WP, 16), each tap's
16 weights become one vector, and a tile of P positions of one output row keeps P
accumulators of 16 channels, so every multiply-add is full width whatever the plane's
size. The tile stores its 16 channels of each position into the NCHW output a lane at a
time, as 16 scalar stores (`rows.store_lanes_apart`: LLVM vectorises `store_lanes`' loop
into a masked scatter, which ran slower). Only the 'contract' fastmath flag is
used; padding is multiplied, so the caller routes non-finite weights elsewhere (torch's
depthwise kernel skips the padding taps).
`python benchmarks/rules.py depthwise` times it against 'depthwise' by plane size.
"""
from numba import prange

from ._epilogue import EPILOGUE, activate
from ._stack import tile_buffer
from ._target import njit
from .conv_pad import _u
from .rows import fill, store_lanes, store_lanes_apart, zero_margins

_FLAGS = {"contract"}
BLOCK = 16           # channels per task: the lanes of each accumulator
POSITIONS = 4        # output positions per tile (one accumulator each)


def scratch_size(w_shape, out_shape, stride, dilation):
    """Elements of one chunk's row of the scratch: the padded input plane of 16 channels
    (HP, WP, 16), then the 16 channels' weights per tap and their bias."""
    kh, kw = w_shape[-2:]
    oh, ow = out_shape[-2:]
    hp = (oh - 1) * stride[-2] + (kh - 1) * dilation[-2] + 1
    wp = (ow - 1) * stride[-1] + (kw - 1) * dilation[-1] + 1
    return (hp * wp + kh * kw + 1) * BLOCK


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def conv2d_depthwise_blocked(x, w, bias, has_bias, out, sh, sw, ph, pw, dh, dw, scratch):
    """out (N, C, 1, OH, OW) = the depthwise convolution (groups = C, one output channel
    per group) of x (N, C, 1, H, W), zero-padded by (ph, pw) before each dimension, with w
    (C, 1, 1, KH, KW). Task t = channels 16*(t % CB) .. of image t // CB; the tasks run
    in scratch.shape[0] near-equal chunks, each packing into its own row of `scratch`
    (`scratch_size`)."""
    N, C = x.shape[0], x.shape[1]
    OH, OW = out.shape[3], out.shape[4]
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
            _task(xf, wf, bias, has_bias, of, xs, t // CB, t % CB, C, x.shape[3],
                  x.shape[4], KH, KW, OH, OW, HP, WP, sh, sw, ph, pw, dh, dw, EPILOGUE)


@njit(fastmath=_FLAGS)
def _task(xf, wf, bias, has_bias, of, xs, n, cb, C, H, W, KH, KW, OH, OW, HP, WP, sh, sw,
          ph, pw, dh, dw, epilogue):
    """Channels 16*cb .. (cn of them real) of image n: pack, then every output row in
    tiles of POSITIONS positions (the row's last tile repeats its last position)."""
    cn = min(BLOCK, C - cb * BLOCK)
    taps = KH * KW
    weights = _u(HP * WP * BLOCK)
    biases = weights + _u(taps * BLOCK)
    _pack(xf, wf, bias, has_bias, xs, n, cb, cn, C, H, W, taps, HP, WP, ph, pw, weights,
          biases)
    plane = _u(OH * OW)
    base = _u((n * C + cb * BLOCK) * OH * OW)
    for oh in range(OH):
        for ow0 in range(0, OW, POSITIONS):
            _tile(xs, of, weights, biases, base + _u(oh * OW), plane, cn, oh, ow0, OW, KH,
                  KW, WP, sh, sw, dh, dw, epilogue)


@njit(inline="always")
def _pack(xf, wf, bias, has_bias, xs, n, cb, cn, C, H, W, taps, HP, WP, ph, pw, weights,
          biases):
    """xs = the 16 channels' input plane zero-padded to (HP, WP), channels innermost, then
    their weights per tap and their bias, zero past the cn real channels."""
    left = max(0, min(pw, WP))                 # padded columns before the input
    right = max(left, min(WP, W + pw))         # the input's columns end here
    first = n * C + cb * BLOCK                 # the block's first channel (plane)
    for r in range(HP):
        ih = r - ph
        dst = _u(r * WP * BLOCK)
        if ih < 0 or ih >= H:
            fill(xs, dst, WP * BLOCK, 0.0)
            continue
        zero_margins(xs, dst, left, right, WP, BLOCK)
        # a column of the 16 planes at a time: contiguous stores (a scatter per plane row
        # was far slower)
        src = _u((first * H + ih) * W - pw)
        if cn == BLOCK:
            for q in range(left, right):
                for lane in range(BLOCK):
                    xs[dst + _u(q * BLOCK + lane)] = xf[src + _u(lane * H * W + q)]
        else:
            for q in range(left, right):
                for lane in range(BLOCK):
                    xs[dst + _u(q * BLOCK + lane)] = (
                        xf[src + _u(lane * H * W + q)] if lane < cn else 0.0)
    for lane in range(BLOCK):
        c = cb * BLOCK + lane
        for t in range(taps):
            xs[weights + _u(t * BLOCK + lane)] = wf[_u(c * taps + t)] if lane < cn else 0.0
        xs[biases + _u(lane)] = bias[c] if has_bias and lane < cn else 0.0


@njit(inline="always")
def _tile(xs, of, weights, biases, orow, plane, cn, oh, ow0, OW, KH, KW, WP, sh, sw, dh, dw,
          epilogue):
    """Output positions ow0 .. ow0 + 3 (clamped to the row) of row oh, 16 channels each."""
    p1 = min(ow0 + 1, OW - 1)
    p2 = min(ow0 + 2, OW - 1)
    p3 = min(ow0 + 3, OW - 1)
    a0 = tile_buffer(xs.dtype)
    a1 = tile_buffer(xs.dtype)
    a2 = tile_buffer(xs.dtype)
    a3 = tile_buffer(xs.dtype)
    for v in range(BLOCK):
        b = xs[biases + _u(v)]
        a0[v] = b
        a1[v] = b
        a2[v] = b
        a3[v] = b
    for kh in range(KH):
        row = (oh * sh + kh * dh) * WP
        for kw in range(KW):
            wo = weights + _u((kh * KW + kw) * BLOCK)
            i0 = _u((row + ow0 * sw + kw * dw) * BLOCK)
            i1 = _u((row + p1 * sw + kw * dw) * BLOCK)
            i2 = _u((row + p2 * sw + kw * dw) * BLOCK)
            i3 = _u((row + p3 * sw + kw * dw) * BLOCK)
            for v in range(BLOCK):
                q = xs[wo + _u(v)]
                a0[v] += q * xs[i0 + _u(v)]
                a1[v] += q * xs[i1 + _u(v)]
                a2[v] += q * xs[i2 + _u(v)]
                a3[v] += q * xs[i3 + _u(v)]
    for v in range(BLOCK):
        a0[v] = activate(a0[v], epilogue)
        a1[v] = activate(a1[v], epilogue)
        a2[v] = activate(a2[v], epilogue)
        a3[v] = activate(a3[v], epilogue)
    if cn == BLOCK:
        store_lanes_apart(of, orow + _u(ow0), plane, a0)
        store_lanes_apart(of, orow + _u(p1), plane, a1)
        store_lanes_apart(of, orow + _u(p2), plane, a2)
        store_lanes_apart(of, orow + _u(p3), plane, a3)
    else:
        store_lanes(of, a0, orow + _u(ow0), plane, cn)
        store_lanes(of, a1, orow + _u(p1), plane, cn)
        store_lanes(of, a2, orow + _u(p2), plane, cn)
        store_lanes(of, a3, orow + _u(p3), plane, cn)
