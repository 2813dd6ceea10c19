"""Row copies into a kernel's scratch, in chunks of one vector register.

The convolution kernels copy the input rows a task reads, zero-padded and phased
(kernels/conv_pad.py), into a scratch of their own (`padded_window`). Measured choices
(float32):
- chunks of one register go through a stack buffer (`copy_run`): LLVM's own loop left
  56-wide rows to its scalar remainder, and chunks stored straight from the input were not
  vectorised (the two arrays may alias);
- stride 2 takes the even elements of two registers with one shuffle (`even_chunk`): LLVM
  forms none from Python loops, and that copy took most of the time of MobileNet's s2
  112x112 depthwise convolution;
- a row shorter than a register is one chunk that may write past its end (SLACK): scalar
  copies of such rows, repeated for each task that reads them, made ResNet's 3x3 s2 n1
  128->256 slower than one padded copy of the whole input.
"""
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._stack import register_lanes, tile_buffer, tile_width
from ._target import njit
from .conv_pad import _u

# elements a scratch row copy may write past its end (strided_run): one register
SLACK = 16

# store_lanes and store_run take a tile's accumulators, stack buffers of the caller: they
# stay copied into the caller's Numba IR. As compiled calls (forceinline), the buffers
# stayed in memory and the depthwise tiles ran several times slower (docs/PERF.md).


@njit(inline="always")
def store_lanes(of, acc, at, ostride, kn):
    """Lanes v < kn of the accumulator `acc` to of[at + v*ostride] (NCDHW: one plane apart).
    Storing straight into NCDHW costs a 64-channel 3x3 'blocked' tile little; a separate
    unpacking pass cost more, and more still on a 1-D convolution."""
    for v in range(SLACK):
        if v < kn:
            of[at + _u(v) * ostride] = acc[v]


@intrinsic
def store_lanes_apart(typingctx, of, at, stride, acc):
    """of[at + v*stride] = acc[v] for every lane v of the SLACK-long `acc`, one scalar store
    per lane (LLVM makes no scatter of them, as it does of `store_lanes`' loop on
    AVX-512: depthwise_blocked's tile ran slower with the scatter)."""
    def codegen(context, builder, signature, args):
        of_arr = context.make_array(signature.args[0])(context, builder, args[0])
        acc_arr = context.make_array(signature.args[3])(context, builder, args[3])
        for lane in range(SLACK):
            index = ir.Constant(args[1].type, lane)
            value = builder.load(builder.gep(acc_arr.data, [index]))
            where = builder.add(args[1], builder.mul(index, args[2]))
            builder.store(value, builder.gep(of_arr.data, [where]))
        return context.get_dummy_value()

    if not (isinstance(at, types.Integer) and at == stride and of.dtype == acc.dtype):
        return None
    return types.none(of, at, stride, acc), codegen


@njit(inline="always")
def store_run(of, acc, ob, nv, TW):
    """of[ob:ob+nv] = acc[:nv]; a full tile stores without the mask (one vector store: the
    masked one is slower)."""
    if nv == TW:
        for v in range(TW):
            of[ob + _u(v)] = acc[v]
    else:
        for v in range(TW):
            if v < nv:
                of[ob + _u(v)] = acc[v]


@njit(inline="always")
def fill(dst, start, n, value):
    for i in range(_u(n)):
        dst[start + i] = value


@njit(inline="always")
def zero_margins(dst, at, left, right, width, lanes):
    """Zero the columns before `left` and from `right` on of a packed row of `width`
    columns of `lanes` values each, starting at dst[at]: a padded row's margins."""
    fill(dst, at, left * lanes, 0.0)
    fill(dst, at + _u(right * lanes), (width - right) * lanes, 0.0)


@njit(forceinline=True)     # inlined by LLVM: compiled once, not copied into each caller's IR
def copy_run(dst, at, xf, src, n):
    """dst[at:at+n] = xf[src:src+n] in chunks of one register, the last chunk overlapping
    the previous one."""
    TW = tile_width(dst.dtype)
    if n < TW:
        for i in range(_u(n)):
            dst[at + i] = xf[src + i]
        return
    buf = tile_buffer(dst.dtype)     # loads, then stores: dst and xf may alias
    c = 0
    while c < n:
        o = _u(min(c, n - TW))
        d = at + o
        r = src + o
        for i in range(TW):
            buf[i] = xf[r + _u(i)]
        for i in range(TW):
            dst[d + _u(i)] = buf[i]
        c += TW


def _strided_lanes(context, builder, src_arr, at, elt, width, first):
    """Elements at, at+2, .. (first=0) or at+1, at+3, .. (first=1) of `src_arr`: `width`
    lanes from one 2*width load and one shuffle."""
    return _phase_of(builder, _wide_load(context, builder, src_arr, at, elt, width), width,
                     first)


def _wide_load(context, builder, src_arr, at, elt, width):
    """src_arr[at:at + 2*width] as one vector."""
    wide = ir.VectorType(context.get_value_type(elt), 2 * width)
    pointer = builder.bitcast(builder.gep(src_arr.data, [at]), wide.as_pointer())
    return builder.load(pointer, align=1)


def _phase_of(builder, loaded, width, first):
    """Lanes first, first+2, .. of the 2*width vector `loaded`: one shuffle."""
    mask = ir.Constant(ir.VectorType(ir.IntType(32), width),
                       [2 * i + first for i in range(width)])
    return builder.shuffle_vector(loaded, ir.Constant(loaded.type, ir.Undefined), mask)


def _store_lanes(context, builder, dst_arr, at, elt, width, vector):
    """dst_arr[at:at + width] = vector."""
    narrow = ir.VectorType(context.get_value_type(elt), width)
    pointer = builder.bitcast(builder.gep(dst_arr.data, [at]), narrow.as_pointer())
    builder.store(vector, pointer, align=1)


@intrinsic
def even_chunk(typingctx, dst, d, src, r):
    """dst[d:d+TW] = src[r:r+2*TW:2]: one 2-register load and one shuffle (LLVM makes no
    shuffle of the same loop written in Python, which took several times the stride-1
    copy's time)."""
    elt = dst.dtype
    width = 512 // elt.bitwidth

    def codegen(context, builder, signature, args):
        dst_arr = context.make_array(signature.args[0])(context, builder, args[0])
        src_arr = context.make_array(signature.args[2])(context, builder, args[2])
        even = _strided_lanes(context, builder, src_arr, args[3], elt, width, 0)
        _store_lanes(context, builder, dst_arr, args[1], elt, width, even)
        return context.get_dummy_value()

    return types.none(dst, d, src, r), codegen


@intrinsic
def phases_chunk(typingctx, dst, even, odd, src, r):
    """dst[even:even+TW] = src[r:r+2*TW:2] and dst[odd:odd+TW] = src[r+1:r+2*TW:2], TW =
    `tile_width`: both stride-2 phases of a chunk from one 2-register load (`even_chunk`
    loads it per phase), writing nothing past either phase's TW elements."""
    elt = dst.dtype
    width = register_lanes(elt.bitwidth)

    def codegen(context, builder, signature, args):
        dst_arr = context.make_array(signature.args[0])(context, builder, args[0])
        src_arr = context.make_array(signature.args[3])(context, builder, args[3])
        loaded = _wide_load(context, builder, src_arr, args[4], elt, width)
        for first, at in ((0, args[1]), (1, args[2])):
            _store_lanes(context, builder, dst_arr, at, elt, width,
                         _phase_of(builder, loaded, width, first))
        return context.get_dummy_value()

    return types.none(dst, even, odd, src, r), codegen


@intrinsic
def max_stride2_chunk(typingctx, dst, d, src, r, three):
    """dst[d + i] = the max of src[r + 2i], src[r + 2i + 1] and, when `three`, src[r + 2i + 2],
    for one 512-bit register of outputs, with torch's NaN rule (a NaN in the window wins):
    two-register loads and shuffles, all in registers (max pooling's k2/k3 s2 rows; the
    loop written in Python became gathers, or stayed scalar)."""
    elt = dst.dtype
    width = 512 // elt.bitwidth

    def codegen(context, builder, signature, args):
        dst_arr = context.make_array(signature.args[0])(context, builder, args[0])
        src_arr = context.make_array(signature.args[2])(context, builder, args[2])

        def lanes(offset, first):
            at = builder.add(args[3], offset)
            return _strided_lanes(context, builder, src_arr, at, elt, width, first)

        def take_max(m, v):          # v if (v > m or v != v) else m
            wins = builder.or_(builder.fcmp_ordered(">", v, m),
                               builder.fcmp_unordered("uno", v, v))
            return builder.select(wins, v, m)

        zero = ir.Constant(args[3].type, 0)
        two = ir.Constant(args[3].type, 2)
        pair = take_max(lanes(zero, 0), lanes(zero, 1))
        triple = take_max(pair, lanes(two, 0))
        result = builder.select(args[4], triple, pair)     # a scalar i1 picks a vector
        _store_lanes(context, builder, dst_arr, args[1], elt, width, result)
        return context.get_dummy_value()

    if not isinstance(three, types.Boolean):
        return None
    return types.none(dst, d, src, r, three), codegen


@njit(inline="always")
def gather2(dst, at, xf, src, n):
    """dst[at:at+n] = xf[src::2][:n] in chunks of one register (`even_chunk`, which reads
    one element past the last one kept: the array's last row goes to the scalar loop)."""
    TW = tile_width(dst.dtype)
    if n < TW or src + _u(2 * n) >= _u(xf.size):
        for i in range(_u(n)):
            dst[at + i] = xf[src + _u(2) * i]
        return
    c = 0
    while c < n:
        o = _u(min(c, n - TW))
        even_chunk(dst, at + o, xf, src + _u(2) * o)
        c += TW


@njit(inline="always")
def deinterleave2(xs, even, odd, xf, at, n):
    """xs[even + j] = xf[at + 2j], xs[odd + j] = xf[at + 2j + 1]: a row of n elements into
    its two stride phases, both loads in one loop (`interleave2`'s inverse)."""
    two = _u(2)
    half = _u(n // 2)
    for j in range(half):
        xs[even + j] = xf[at + two * j]
        xs[odd + j] = xf[at + two * j + _u(1)]
    if n % 2:
        xs[even + half] = xf[at + two * half]


@njit(inline="always")
def interleave2(out, at, xs, even, odd, n):
    """out[at + 2j] = xs[even + j], out[at + 2j + 1] = xs[odd + j]: n elements of a row
    from its two stride phases, both stores in one loop with literal steps (a whole
    interleaved group, which LLVM vectorises with shuffles; a loop per phase stores one
    lane in two, scalar). All offsets unsigned: a signed step makes the indices signed
    and the loop scalar again."""
    two = _u(2)
    half = _u(n // 2)
    for j in range(half):
        out[at + two * j] = xs[even + j]
        out[at + two * j + _u(1)] = xs[odd + j]
    if n % 2:
        out[at + two * half] = xs[even + half]


@njit(inline="always")
def strided_run(dst, at, xf, src, n, sw):
    """dst[at:at+n] = xf[src::sw][:n] (n >= 0) in register chunks; a run shorter than a
    register (a 14-wide row) is one chunk that writes up to SLACK past at+n: the caller's
    scratch has that room, and writes those elements afterwards (scalar copies of such
    rows, repeated for each task that reads them, made ResNet's 3x3 s2 n1 128->256
    slower than one padded copy of the input)."""
    TW = tile_width(dst.dtype)
    if n >= TW:
        if sw == 1:
            copy_run(dst, at, xf, src, n)
            return
        if sw == 2:
            gather2(dst, at, xf, src, n)
            return
    elif n > 0 and sw <= 2 and src + _u(sw * TW) <= _u(xf.size):
        if sw == 2:
            even_chunk(dst, at, xf, src)
        else:
            buf = tile_buffer(dst.dtype)        # loads, then stores (see copy_run)
            for i in range(TW):
                buf[i] = xf[src + _u(i)]
            for i in range(TW):
                dst[at + _u(i)] = buf[i]
        return
    for j in range(_u(n)):
        dst[at + j] = xf[src + j * _u(sw)]


@njit(inline="always")
def padded_window(xf, dst, at, src, W, lo, sw, span):
    """dst[at:at + sw*span] = the row xf[src:src+W] from column lo (may be < 0) as `sw`
    phases of `span` (phase p, index j: column lo + j*sw + p; conv_pad's phased row), zero
    outside the row; may write up to SLACK past the end (`strided_run`)."""
    if sw == 1:     # no divisions: they were a large part of the copy's time on narrow rows
        j0 = min(span, max(0, -lo))
        j1 = max(j0, min(span, W - lo))
        fill(dst, at, j0, 0.0)
        strided_run(dst, at + _u(j0), xf, src + _u(lo + j0), j1 - j0, 1)
        fill(dst, at + _u(j1), span - j1, 0.0)
        return
    if sw == 2:
        _two_phases(xf, dst, at, src, W, lo, span)
        return
    for p in range(sw):
        to = at + _u(p * span)
        j0 = min(span, max(0, -((lo + p) // sw)))
        j1 = max(j0, min(span, -((lo + p - W) // sw)))
        fill(dst, to, j0, 0.0)
        strided_run(dst, to + _u(j0), xf, src + _u(lo + j0 * sw + p), j1 - j0, sw)
        fill(dst, to + _u(j1), span - j1, 0.0)


@njit(inline="always")
def _two_phases(xf, dst, at, src, W, lo, span):
    """`padded_window` at stride 2: both phases of a chunk from one load (`phases_chunk`)
    where both columns lo + 2j and lo + 2j + 1 lie in the row (j in [a, b)), element by
    element in the rest of the row, zeros outside it."""
    TW = tile_width(dst.dtype)
    a = min(span, max(0, (1 - lo) // 2))        # the first j whose two columns are >= 0
    b = max(a, min(span, (W - lo) // 2))        # the first j whose odd column is >= W
    if b - a < TW:          # a row narrower than two registers: element by element
        b = a
    for p in range(2):
        to = at + _u(p * span)
        j0 = min(span, max(0, (1 - lo - p) // 2))     # columns lo + 2j + p in [0, W)
        j1 = max(j0, min(span, (W - lo - p + 1) // 2))
        fill(dst, to, j0, 0.0)
        for j in range(j0, min(a, j1)):
            dst[to + _u(j)] = xf[src + _u(lo + 2 * j + p)]
        for j in range(max(b, j0), j1):
            dst[to + _u(j)] = xf[src + _u(lo + 2 * j + p)]
        fill(dst, to + _u(j1), span - j1, 0.0)
    c = a
    while c < b:
        j = _u(min(c, b - TW))
        phases_chunk(dst, at + j, at + _u(span) + j, xf, src + _u(lo) + _u(2) * j)
        c += TW


@njit(inline="always")
def padded_row(xf, dst, at, plane, id_, ih, D, H, W, pw, sw, span):
    """dst[at:at + sw*span] = row (id_, ih) of `plane` (n*C + c) of an (N*C, D, H, W) input,
    zero-padded by pw before it, as `sw` phases of `span`; zeros when the row lies in the
    padding. May write up to SLACK past the end (`strided_run`)."""
    if id_ < 0 or id_ >= D or ih < 0 or ih >= H:
        fill(dst, at, sw * span, 0.0)
    else:
        padded_window(xf, dst, at, _u(((plane * D + id_) * H + ih) * W), W, -pw, sw, span)
