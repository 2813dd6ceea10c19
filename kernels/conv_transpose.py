"""The output side of a transposed convolution split into output phases
(fastnn/nn/functional/_conv_transpose_run.py says why): each phase is computed by an
ordinary convolution kernel into one buffer, then `place_phases` places every phase in
the output in one launch (one pass over the output instead of one per phase).
`gather_taps` instead sums every tap's products (one 1x1 convolution's output) into the
output, for phases of unequal taps (`_run_gathered` there).

Arrays are 5-D NCDHW and C-contiguous. A phase is the output positions
(od + sd*i, oh + sh*j, ow + sw*k) for i < QD, j < QH, k < QW.
"""
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from ._stack import register_lanes, tile_buffer, tile_width
from ._target import njit
from .conv_pad import _u
from .rows import interleave2


@njit(inline="always")
def _even_phase(offset_w, sw):
    """The W phase whose outputs are 0, 2, 4.. when there are two at stride 2, else -1."""
    if offset_w.shape[0] == 2 and sw == 2:
        return 0 if offset_w[0] == 0 else 1
    return -1


@njit(inline="always")
def _plane(t, K, OD):
    """(n, c, od) of task t, one per output plane of an (N, K, OD, ...) output."""
    return t // (K * OD), (t // OD) % K, t % OD


@njit(parallel=True, cache=True)
def place_phases(dense, bias, out, phase_d, q_d, phase_h, q_h, offset_w, count_w,
                 row_length, plane_rows, base, sample, channel, sw):
    """Every phase at once: out[n, c, od, oh, offset_w[j] + sw*q] = the phase's dense
    result at (n, c, q_d[od], q_h[oh], q), the phase being (phase_d[od], phase_h[oh], j);
    a phase no input reaches (base -1) gets bias[c]. A phase's results start at
    dense[base + n*sample + c*channel] (indexed by the phase), rows row_length[j] long,
    planes plane_rows[phase_h] rows (a phase's results may be a window of larger planes).
    One task per output plane (n, c, od), each output row written whole before the next."""
    N, K, OD, OH, OW = out.shape
    JW = offset_w.shape[0]
    pair = _even_phase(offset_w, sw)
    of = out.reshape(out.size)
    df = dense.reshape(dense.size)
    for t in prange(N * K * OD):
        n, c, od = _plane(t, K, OD)
        a = phase_d[od]
        qd = q_d[od]
        value = bias[c]
        for oh in range(OH):
            b = phase_h[oh]
            qh = q_h[oh]
            o0 = (t * OH + oh) * OW
            if pair >= 0 and base[a, b, 0] >= 0 and base[a, b, 1] >= 0:
                # two phases along W, outputs 0, 2, 4.. and 1, 3, 5.. (the row's whole
                # width between them): one loop of pairs of stores (`interleave2`)
                e, f = pair, 1 - pair
                s0 = _u(base[a, b, e] + n * sample[a, b, e] + c * channel[a, b, e]
                        + (qd * plane_rows[b] + qh) * row_length[e])
                s1 = _u(base[a, b, f] + n * sample[a, b, f] + c * channel[a, b, f]
                        + (qd * plane_rows[b] + qh) * row_length[f])
                interleave2(of, _u(o0), df, s0, s1, count_w[e] + count_w[f])
                continue
            for j in range(JW):
                ow0 = o0 + offset_w[j]
                cw = count_w[j]
                at = base[a, b, j]
                if at < 0:
                    for q in range(cw):
                        of[ow0 + q * sw] = value
                else:
                    s0 = at + n * sample[a, b, j] + c * channel[a, b, j] + (
                        qd * plane_rows[b] + qh) * row_length[j]
                    for q in range(cw):
                        of[ow0 + q * sw] = df[s0 + q]


@intrinsic
def _store_interleaved(typingctx, dst, at, even, odd):
    """dst[at:at + 2*TW] = even[0], odd[0], even[1], odd[1], .. (TW lanes each): two vector
    loads, two shuffles and one wide store (the same loop in Python was left scalar)."""
    elt = dst.dtype
    width = register_lanes(elt.bitwidth)

    def codegen(context, builder, signature, args):
        lty = context.get_value_type(elt)
        narrow, wide = ir.VectorType(lty, width), ir.VectorType(lty, 2 * width)

        def vector(typ, value):
            data = context.make_array(typ)(context, builder, value).data
            return builder.load(builder.bitcast(data, narrow.as_pointer()), align=1)

        mask = ir.Constant(ir.VectorType(ir.IntType(32), 2 * width),
                           [i // 2 + (width if i % 2 else 0) for i in range(2 * width)])
        both = builder.shuffle_vector(vector(signature.args[2], args[2]),
                                      vector(signature.args[3], args[3]), mask)
        out = context.make_array(signature.args[0])(context, builder, args[0])
        pointer = builder.bitcast(builder.gep(out.data, [args[1]]), wide.as_pointer())
        builder.store(both, pointer, align=1)
        return context.get_dummy_value()

    return types.none(dst, at, even, odd), codegen


@njit(inline="always")
def _add_tap(buf, zf, src, c, lo, hi, TW):
    """buf[i] += zf[src + c + i] for the chunk's positions c + i inside [lo, hi) (a tap's
    inputs). One vector add, the lanes outside kept by a select (the loads around a row
    read its neighbours, which are discarded); element by element only at the ends of z.
    Edge chunks taken element by element took most of the pass on k3 s2 rows."""
    if lo <= c and c + TW <= hi:
        at = _u(src + c)
        for i in range(TW):
            buf[i] += zf[at + _u(i)]
    elif src + c >= 0 and src + c + TW <= zf.size:
        at = _u(src + c)
        for i in range(TW):
            added = buf[i] + zf[at + _u(i)]
            buf[i] = added if lo <= c + i and c + i < hi else buf[i]
    else:
        for i in range(TW):
            if lo <= c + i and c + i < hi:
                buf[i] += zf[src + c + i]


@njit(inline="always")
def _reaching_rows(rows, taps_d, index_d, taps_h, index_h, od, oh, first_channel, kh, kw,
                   H, W, plane):
    """rows[:count] = where in z the rows of the (D, H) taps reaching output row (od, oh)
    start (their W tap 0); returns count."""
    count = 0
    a = 0
    while a < taps_d.shape[1] and taps_d[od, a] >= 0:
        b = 0
        while b < taps_h.shape[1] and taps_h[oh, b] >= 0:
            rows[count] = ((first_channel + (taps_d[od, a] * kh + taps_h[oh, b]) * kw) * plane
                           + (index_d[od, a] * H + index_h[oh, b]) * W)
            count += 1
            b += 1
        a += 1
    return count


@njit(inline="always")
def _phase_chunk(buf, zf, value, rows, count, taps_w, shift_w, lo_w, hi_w, j, c, plane, TW):
    """buf = outputs c..c+TW of W phase j on an output row: `value` (the bias) plus the
    products of every tap reaching them (rows: `_reaching_rows`)."""
    for i in range(TW):
        buf[i] = value
    for r in range(count):
        e = 0
        while e < taps_w.shape[1] and taps_w[j, e] >= 0:
            _add_tap(buf, zf, rows[r] + taps_w[j, e] * plane + shift_w[j, e], c,
                     lo_w[j, e], hi_w[j, e], TW)
            e += 1


@njit(parallel=True, cache=True)
def gather_taps(z, bias, out, taps_d, index_d, taps_h, index_h, offset_w, count_w, taps_w,
                shift_w, lo_w, hi_w, kh, kw, sw):
    """out[n, c, od, oh, offset_w[j] + sw*q] = bias[c] + the sum of the products of the
    taps that reach that output, read from z (N, K*T, D, H, W), T = KD*kh*kw: the product
    of input (id, ih, iw) and tap (td, th, tw) of output channel c is at
    z[n, c*T + (td*kh + th)*kw + tw, id, ih, iw]. taps_d[od] and index_d[od] list the D
    taps reaching od and their input planes, -1 after the last (taps_h likewise); W phase
    j's taps are taps_w[j] (-1 after the last), tap e reading iw = q + shift_w[j, e] for
    lo_w[j, e] <= q < hi_w[j, e]. One task per output plane (n, c, od); each output row is
    summed a register of one phase at a time (rows are a few registers long: a loop over
    the row per tap ran mostly in LLVM's scalar remainder) and written whole."""
    N, K, OD, OH, OW = out.shape
    H, W = z.shape[3], z.shape[4]
    plane = z.shape[2] * H * W
    T = z.shape[1] // K
    JW = offset_w.shape[0]
    TW = tile_width(out.dtype)
    pair = _even_phase(offset_w, sw)
    of = out.reshape(out.size)
    zf = z.reshape(z.size)
    for t in prange(N * K * OD):
        n, c, od = _plane(t, K, OD)
        value = bias[c]
        first_channel = (n * K + c) * T
        even = tile_buffer(out.dtype)
        odd = tile_buffer(out.dtype)
        rows = np.empty(taps_d.shape[1] * taps_h.shape[1], np.intp)
        for oh in range(OH):
            count = _reaching_rows(rows, taps_d, index_d, taps_h, index_h, od, oh,
                                   first_channel, kh, kw, H, W, plane)
            o0 = (t * OH + oh) * OW
            if pair >= 0:
                e, f = pair, 1 - pair
                for q in range(0, count_w[e], TW):
                    _phase_chunk(even, zf, value, rows, count, taps_w, shift_w, lo_w, hi_w,
                                 e, q, plane, TW)
                    _phase_chunk(odd, zf, value, rows, count, taps_w, shift_w, lo_w, hi_w,
                                 f, q, plane, TW)
                    at = _u(o0 + 2 * q)
                    if 2 * (q + TW) <= OW:
                        _store_interleaved(of, at, even, odd)
                    else:
                        for i in range(TW):
                            if 2 * (q + i) < OW:
                                of[at + _u(2 * i)] = even[i]
                            if 2 * (q + i) + 1 < OW:
                                of[at + _u(2 * i + 1)] = odd[i]
                continue
            for j in range(JW):
                for q in range(0, count_w[j], TW):
                    _phase_chunk(even, zf, value, rows, count, taps_w, shift_w, lo_w, hi_w,
                                 j, q, plane, TW)
                    for i in range(min(TW, count_w[j] - q)):
                        of[o0 + offset_w[j] + (q + i) * sw] = even[i]
