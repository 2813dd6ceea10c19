"""The weight gradient of a convolution, computed directly: for depthwise and grouped
convolutions and dense ones with few channels, where an im2col GEMM or shifted GEMMs
(fastnn/nn/functional/_conv_grad.py) have too few channel pairs to pay; and the input
gradient of a strided depthwise convolution, on the same scratch (`input_grad_direct`).

x (N, C, D, H, W), g (N, K, OD, OH, OW) (the gradient of the output) and gw
(K, C/groups, KD, KH, KW): C-contiguous, one float dtype.

    gw[k, c, kd, kh, kw] = sum over n, od, oh, ow of g[n, k, od, oh, ow]
                           * x[n, group(k)*C/groups + c, od*sd - pd + kd*dd, ...]

One task owns a part of a group's input channels and a part of its output channels, so no
two tasks write the same element. Per sample, the task copies each of its output-gradient
planes into a grid with the scratch's row pitch, zeros between rows, then each of its
input planes in turn into a zero-padded scratch split into stride phases (phase (rd, rh,
rw) holds the padded positions congruent to it). Then each tap's sum over all output
positions is ONE dot product of a grid with the scratch from the tap's offset: long
unit-stride runs (no per-row remainders or bounds), four grids by three taps per pass so
each scratch load serves four output channels and each grid load three taps. Padding is
multiplied here (by grid values, and grid gaps by
inputs): a task whose result is not finite (a NaN or inf met a zero: 0 * inf) is computed
again with the padding skipped, as torch does (`_weight_grad_exact`: per row and tap, over
the positions whose tap lands inside the input).
"""
import numpy as np
from numba import prange

from ._stack import tile_width
from ._target import njit
from .conv_pad import _u
from .rows import copy_run, deinterleave2, interleave2

# No nnan/ninf: NaN and inf propagate as in torch. reassoc lets the dot products along a
# row vectorise; it changes only the summation order (rounding).
_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}
# `input_grad_direct`'s and `weight_grad_direct`'s tasks are split into this many chunks,
# each with one scratch
IG_CHUNKS = 64
WG_CHUNKS = 64


@njit(inline="always")
def _dot3(gs, g0, xs, b0, b1, b2, n):
    """The sums of gs[g0 + i] * xs[b + i] for b in (b0, b1, b2), i < n: one loop, so each
    gs load serves three taps (LLVM vectorises the three reductions under reassoc)."""
    s0 = gs.dtype.type(0)
    s1 = gs.dtype.type(0)
    s2 = gs.dtype.type(0)
    for i in range(_u(n)):
        q = gs[g0 + i]
        s0 += q * xs[b0 + i]
        s1 += q * xs[b1 + i]
        s2 += q * xs[b2 + i]
    return s0, s1, s2


@njit(inline="always")
def _dot4x3(gs, g0, g1, g2, g3, xs, b0, b1, b2, n):
    """_dot3 for the four grids at g0..g3 at once: twelve sums, (grid, tap) row-major.
    Each xs load serves four output channels and each gs load three taps (seven loads to
    twelve products, where _dot3 has four to three): a grouped convolution's outputs of a
    group share the input plane."""
    z = gs.dtype.type(0)
    a0, a1, a2, b_0, b_1, b_2, c0, c1, c2, d0, d1, d2 = z, z, z, z, z, z, z, z, z, z, z, z
    for i in range(_u(n)):
        x0 = xs[b0 + i]
        x1 = xs[b1 + i]
        x2 = xs[b2 + i]
        q = gs[g0 + i]
        a0 += q * x0
        a1 += q * x1
        a2 += q * x2
        q = gs[g1 + i]
        b_0 += q * x0
        b_1 += q * x1
        b_2 += q * x2
        q = gs[g2 + i]
        c0 += q * x0
        c1 += q * x1
        c2 += q * x2
        q = gs[g3 + i]
        d0 += q * x0
        d1 += q * x1
        d2 += q * x2
    return a0, a1, a2, b_0, b_1, b_2, c0, c1, c2, d0, d1, d2


@njit(inline="always")
def _add3(total, at, t, taps, s0, s1, s2):
    """total[at + t + i] += (s0, s1, s2)[i] for the taps t + i that exist (the last triple
    of taps repeats its first where fewer than three remain)."""
    total[at + t] += s0
    if t + 1 < taps:
        total[at + t + 1] += s1
    if t + 2 < taps:
        total[at + t + 2] += s2


@njit(inline="always")
def _inside(KW, dw, pw, sw, W, OW):
    """lo, hi: the output positions whose tap kw lands inside [0, W) are lo[kw] <= ow <
    hi[kw] (those of the padding are skipped)."""
    lo = np.empty(KW, np.intp)
    hi = np.empty(KW, np.intp)
    for kw in range(KW):
        start = kw * dw - pw
        lo[kw] = 0 if start >= 0 else min(OW, (-start + sw - 1) // sw)
        hi[kw] = max(lo[kw], 0 if W <= start else min(OW, (W - start + sw - 1) // sw))
    return lo, hi


@njit(inline="always")
def _span(size, pad, out, k, s, d):
    """Elements of one phase (of s) of the input padded by `pad` before, as far as any
    window reaches."""
    return (max(size + pad, (out - 1) * s + (k - 1) * d + 1) + s - 1) // s


@njit(inline="always")
def _phased(D, H, W, OD, OH, OW, KD, KH, KW, sd, sh, sw, pd, ph, pw, dd, dh, dw, TW):
    """The phased scratch of an input plane and the grid of its output positions (module
    docstring): (block: elements of one phase, span_h, span_w: a phase's rows and row
    pitch, chunks: the grid's length in vectors of TW, base: where each tap's run starts
    in the scratch, row_at: where each input row's phases start, first, count, phase_at:
    each W phase's first column, columns and offset from its row's start)."""
    span_d = _span(D, pd, OD, KD, sd, dd)
    span_h = _span(H, ph, OH, KH, sh, dh)
    span_w = _span(W, pw, OW, KW, sw, dw)
    block = span_d * span_h * span_w
    # the grid of output positions, rows span_w apart: the end of its last row
    length = ((OD - 1) * span_h + OH - 1) * span_w + OW
    chunks = (length + TW - 1) // TW      # the last one past `length`: zeros of the grid
    # where each tap's run starts in the phased scratch: (phase block, first position)
    base = np.empty(KD * KH * KW, np.intp)
    for kd in range(KD):
        for kh in range(KH):
            for kw in range(KW):
                rd, ad = (kd * dd) % sd, (kd * dd) // sd
                rh, ah = (kh * dh) % sh, (kh * dh) // sh
                rw, aw = (kw * dw) % sw, (kw * dw) // sw
                base[(kd * KH + kh) * KW + kw] = (((rd * sh + rh) * sw + rw) * block
                                                  + (ad * span_h + ah) * span_w + aw)
    # where each input row's phases start in the scratch (no divisions per row)
    row_at = np.empty(D * H, np.intp)
    for id_ in range(D):
        for ih in range(H):
            rd, qd = (id_ + pd) % sd, (id_ + pd) // sd
            rh, qh = (ih + ph) % sh, (ih + ph) // sh
            row_at[id_ * H + ih] = ((rd * sh + rh) * sw * block
                                    + (qd * span_h + qh) * span_w)
    # phase rw of a row: its first column, elements, offset from the row's start
    first = np.empty(sw, np.intp)
    count = np.empty(sw, np.intp)
    phase_at = np.empty(sw, np.intp)
    for rw in range(sw):
        first[rw] = (rw - pw) % sw
        count[rw] = (W - first[rw] + sw - 1) // sw
        phase_at[rw] = rw * block + (first[rw] + pw) // sw
    return block, span_h, span_w, chunks, base, row_at, first, count, phase_at


@njit(inline="always")
def _grid_sum(gs, at, n):
    """The sum of gs[at:at + n] in gs's dtype (reassociated: vectorised)."""
    s = gs.dtype.type(0)
    for i in range(_u(n)):
        s += gs[at + i]
    return s


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def weight_grad_direct(x, g, gw, gb, cparts, kparts, sd, sh, sw, pd, ph, pw, dd, dh, dw,
                       groups):
    """gw = the weight gradient (module docstring); gw is overwritten. One task per group,
    part of its input channels (`cparts` parts) and part of its output channels (`kparts`
    parts): per sample it copies its output channels' gradient planes into grids once,
    then each input plane in turn into the scratch, and sums four output channels by
    three taps at a time (`_dot4x3`). Where gb (K,) is not empty it is overwritten with
    the bias gradient, g summed over batch and positions: the tasks of each group's first
    input channels sum the grids they copy anyway (their gaps are zeros), one sum per
    sample in g's dtype, the samples' sums in float64."""
    N, C, D, H, W = x.shape
    K, OD, OH, OW = g.shape[1], g.shape[2], g.shape[3], g.shape[4]
    CG, KD, KH, KW = gw.shape[1], gw.shape[2], gw.shape[3], gw.shape[4]
    KG = K // groups
    taps = KD * KH * KW
    TW = tile_width(x.dtype)
    block, span_h, span_w, chunks, base, row_at, first, count, phase_at = _phased(
        D, H, W, OD, OH, OW, KD, KH, KW, sd, sh, sw, pd, ph, pw, dd, dh, dw, TW)
    even = 0 if sw == 1 or first[0] == 0 else 1     # the W phase of the even columns
    xf = x.reshape(x.size)
    gf = g.reshape(g.size)
    tasks = groups * cparts * kparts
    most_c = -(-CG // cparts)            # input channels of a task, at most
    most_k = -(-KG // kparts)            # output channels of a task, at most
    grid = chunks * TW                   # elements of one output channel's grid
    # a constant count of chunks of tasks, each allocating its scratch once (small
    # planes have many tasks of little work each)
    parts = min(tasks, WG_CHUNKS)
    for chunk in prange(parts):
        # zero padding and grid gaps, written once: each sample of each task overwrites
        # only the rest (the same positions); span_w + TW of slack, read by the grid's
        # last row past OW and the last chunk (times zeros of gs)
        xs = np.zeros(sd * sh * sw * block + span_w + TW, x.dtype)
        gs = np.zeros(most_k * grid, x.dtype)
        total = np.empty(most_c * most_k * taps, gw.dtype)
        bias_total = np.empty(most_k if gb.size > 0 else 0)
        for task in range(chunk * tasks // parts, (chunk + 1) * tasks // parts):
            grp = task // (cparts * kparts)
            cpart = task // kparts % cparts
            kpart = task % kparts
            c0 = grp * CG + cpart * CG // cparts
            nc = grp * CG + (cpart + 1) * CG // cparts - c0
            k0 = grp * KG + kpart * KG // kparts
            nk = grp * KG + (kpart + 1) * KG // kparts - k0
            total[:nc * nk * taps] = 0.0
            sums_bias = gb.size > 0 and cpart == 0
            if sums_bias:
                bias_total[:nk] = 0.0
            for n in range(N):
                for j in range(nk):
                    for od in range(OD):
                        for oh in range(OH):
                            copy_run(gs, _u(j * grid + (od * span_h + oh) * span_w), gf,
                                     _u((((n * K + k0 + j) * OD + od) * OH + oh) * OW), OW)
                    if sums_bias:
                        bias_total[j] += np.float64(_grid_sum(gs, _u(j * grid), grid))
                for i in range(nc):
                    for r in range(D * H):
                        src = _u(((n * C + c0 + i) * D * H + r) * W)
                        if sw == 1:
                            copy_run(xs, _u(row_at[r] + pw), xf, src, W)
                        elif sw == 2:
                            deinterleave2(xs, _u(row_at[r] + phase_at[even]),
                                          _u(row_at[r] + phase_at[1 - even]), xf, src, W)
                        else:
                            for rw in range(sw):
                                dst = _u(row_at[r] + phase_at[rw])
                                at = src + _u(first[rw])
                                for j in range(_u(count[rw])):
                                    xs[dst + j] = xf[at + j * _u(sw)]
                    _task_sums(gs, xs, total, i * nk * taps, nk, grid, base, taps)
            for i in range(nc):
                for j in range(nk):
                    out = gw[k0 + j, c0 + i - grp * CG].reshape(taps)
                    sums = total[(i * nk + j) * taps:(i * nk + j + 1) * taps]
                    finite = True
                    for t in range(taps):
                        finite &= sums[t] - sums[t] == 0
                    if finite:
                        out[:] = sums
                    else:
                        # a NaN or inf met the padding (0 * inf): again without it, as torch
                        _weight_grad_exact(xf, gf, out, N, C, D, H, W, K, OD, OH, OW, KD,
                                           KH, KW, k0 + j, c0 + i, sd, sh, sw, pd, ph, pw,
                                           dd, dh, dw)
            if sums_bias:
                gb[k0:k0 + nk] = bias_total[:nk]


@njit(inline="always")
def _task_sums(gs, xs, total, at, nk, grid, base, taps):
    """total[at + j * taps + t] += the dot product of grid j of gs (nk grids, `grid`
    apart) with the scratch xs from tap t's start: four grids by three taps at a time,
    then the grids left one at a time."""
    blocked = nk - nk % 4
    for j in range(0, blocked, 4):
        for t in range(0, taps, 3):
            t1, t2 = min(t + 1, taps - 1), min(t + 2, taps - 1)
            sums = _dot4x3(gs, _u(j * grid), _u((j + 1) * grid), _u((j + 2) * grid),
                           _u((j + 3) * grid), xs, _u(base[t]), _u(base[t1]), _u(base[t2]),
                           grid)
            for q in range(4):
                _add3(total, at + (j + q) * taps, t, taps, sums[3 * q], sums[3 * q + 1],
                      sums[3 * q + 2])
    for j in range(blocked, nk):
        for t in range(0, taps, 3):
            t1, t2 = min(t + 1, taps - 1), min(t + 2, taps - 1)
            s0, s1, s2 = _dot3(gs, _u(j * grid), xs, _u(base[t]), _u(base[t1]),
                               _u(base[t2]), grid)
            _add3(total, at + j * taps, t, taps, s0, s1, s2)


@njit(inline="always")
def _weight_grad_exact(xf, gf, out, N, C, D, H, W, K, OD, OH, OW, KD, KH, KW, k, c, sd,
                       sh, sw, pd, ph, pw, dd, dh, dw):
    """out[tap] = the weight gradient of (k, c) from the input positions each tap reads,
    padding skipped: each row of g times the input rows its taps read, into one
    accumulator row per tap, summed once at the end."""
    taps = KD * KH * KW
    acc = np.zeros(taps * OW, out.dtype)
    lo, hi = _inside(KW, dw, pw, sw, W, OW)
    for n in range(N):
        for od in range(OD):
            for oh in range(OH):
                grow = _u(((((n * K + k) * OD) + od) * OH + oh) * OW)
                for kd in range(KD):
                    id_ = od * sd - pd + kd * dd
                    if id_ < 0 or id_ >= D:
                        continue
                    for kh in range(KH):
                        ih = oh * sh - ph + kh * dh
                        if ih < 0 or ih >= H:
                            continue
                        xrow = ((((n * C + c) * D) + id_) * H + ih) * W
                        for kw in range(KW):
                            at = _u(((kd * KH + kh) * KW + kw) * OW + lo[kw])
                            src = _u(xrow + kw * dw - pw + lo[kw] * sw)
                            gat = grow + _u(lo[kw])
                            count = _u(hi[kw] - lo[kw])
                            step = _u(sw)
                            for i in range(count):
                                acc[at + i] += gf[gat + i] * xf[src + i * step]
    for t in range(taps):
        total = acc.dtype.type(0)
        for ow in range(OW):
            total += acc[t * OW + ow]
        out[t] = total


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def input_grad_direct(g, w, gx, cparts, sd, sh, sw, pd, ph, pw, dd, dh, dw, groups):
    """gx = the input gradient of the convolution by w (K, C/groups, KD, KH, KW) whose
    output gradient is g; gx (N, C, D, H, W) is overwritten: for strided depthwise and
    grouped convolutions with few channels per group, where the transposed convolution's
    phases are many small convolutions. One task owns a sample's group, or a part of its
    input channels (`cparts` parts): the group's output-gradient planes are copied into
    grids once, then each input plane (n, c) is made in turn in the weight gradient's
    phased scratch (module docstring), zeroed: each tap adds four grids times their
    weights at a time into the scratch from the tap's offset, one long unit-stride run
    (the grid's gaps are zeros, whose products add nothing; products landing in the
    padding are never read); the plane is then read out of the scratch's phases. A plane
    whose weights are not all finite adds only the products that land inside it instead
    (`_input_grad_exact`): a gap's zero times inf would be NaN."""
    N, C, D, H, W = gx.shape
    K, OD, OH, OW = g.shape[1], g.shape[2], g.shape[3], g.shape[4]
    CG, KD, KH, KW = w.shape[1], w.shape[2], w.shape[3], w.shape[4]
    KG = K // groups
    taps = KD * KH * KW
    TW = tile_width(gx.dtype)
    block, span_h, span_w, chunks, base, row_at, first, count, phase_at = _phased(
        D, H, W, OD, OH, OW, KD, KH, KW, sd, sh, sw, pd, ph, pw, dd, dh, dw, TW)
    even = 0 if sw == 1 or first[0] == 0 else 1     # the W phase of the even columns
    gf = g.reshape(g.size)
    wf = w.reshape(w.size)
    gxf = gx.reshape(gx.size)
    plane_size = D * H * W
    grid = chunks * TW                   # elements of one output channel's grid
    tasks = N * groups * cparts
    # a constant count of chunks, each with one scratch (not one per plane, nor per
    # thread: numba.get_num_threads() in a kernel stops Numba from caching it); the
    # arrays are read through flat views, as slices of shared arrays per task would
    # count references on the threads' common memory
    parts = min(tasks, IG_CHUNKS)
    for part in prange(parts):
        xs = np.empty(sd * sh * sw * block + span_w + TW, gx.dtype)
        gs = np.zeros(KG * grid, gx.dtype)
        for task in range(part * tasks // parts, (part + 1) * tasks // parts):
            n = task // (groups * cparts)
            grp = task // cparts % groups
            cpart = task % cparts
            copied = False
            for cc in range(cpart * CG // cparts, (cpart + 1) * CG // cparts):
                at_plane = _u(((n * C + grp * CG + cc) * plane_size))
                finite = True
                for k in range(grp * KG, (grp + 1) * KG):
                    at_w = _u((k * CG + cc) * taps)
                    for t in range(taps):
                        v = wf[at_w + t]
                        finite &= v - v == 0
                if not finite:
                    _input_grad_exact(gf, wf, gxf, at_plane, n, grp, cc, CG, KG, D, H, W, K,
                                      OD, OH, OW, KD, KH, KW, sd, sh, sw, pd, ph, pw, dd, dh,
                                      dw)
                    continue
                if not copied:           # the group's grids, once for its input channels
                    for j in range(KG):
                        for od in range(OD):
                            for oh in range(OH):
                                copy_run(gs, _u(j * grid + (od * span_h + oh) * span_w), gf,
                                         _u((((n * K + grp * KG + j) * OD + od) * OH + oh)
                                            * OW), OW)
                    copied = True
                xs[:] = 0.0
                # four output channels' grids a pass, then those left one at a time
                at_w = _u((grp * KG * CG + cc) * taps)
                step = _u(CG * taps)             # from one output channel's weights to the next
                blocked = KG - KG % 4
                for j in range(0, blocked, 4):
                    for t in range(taps):
                        at = at_w + _u(j) * step + _u(t)
                        _add_scaled4(xs, _u(base[t]), wf[at], wf[at + step],
                                     wf[at + 2 * step], wf[at + 3 * step], gs, _u(j * grid),
                                     grid)
                for j in range(blocked, KG):
                    for t in range(taps):
                        _add_scaled(xs, _u(base[t]), wf[at_w + _u(j) * step + _u(t)], gs,
                                    _u(j * grid), grid)
                for r in range(D * H):
                    dst = at_plane + _u(r * W)
                    if sw == 1:
                        copy_run(gxf, dst, xs, _u(row_at[r] + pw), W)
                    elif sw == 2:
                        interleave2(gxf, dst, xs, _u(row_at[r] + phase_at[even]),
                                    _u(row_at[r] + phase_at[1 - even]), W)
                    else:
                        for rw in range(sw):
                            at = _u(row_at[r] + phase_at[rw])
                            to = dst + _u(first[rw])
                            for j in range(_u(count[rw])):
                                gxf[to + j * _u(sw)] = xs[at + j]


@njit(inline="always")
def _add_scaled(xs, at, weight, gs, g0, n):
    """xs[at + i] += weight * gs[g0 + i] for i < n."""
    for i in range(_u(n)):
        xs[at + i] += weight * gs[g0 + i]


@njit(inline="always")
def _add_scaled4(xs, at, w0, w1, w2, w3, gs, g0, n):
    """xs[at + i] += the four grids from gs[g0] (n apart) times w0..w3, for i < n: one
    read and write of xs for four products."""
    g1 = g0 + _u(n)
    g2 = g1 + _u(n)
    g3 = g2 + _u(n)
    for i in range(_u(n)):
        xs[at + i] += (w0 * gs[g0 + i] + w1 * gs[g1 + i]) + (w2 * gs[g2 + i] + w3 * gs[g3 + i])


@njit(inline="always")
def _input_grad_exact(gf, wf, gxf, at_plane, n, grp, cc, CG, KG, D, H, W, K, OD, OH, OW, KD,
                      KH, KW, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    """gxf[at_plane:] (input plane (n, c), flat) = its input gradient from the products
    that land inside it: every output row of c's group times each tap's weight, added at
    the stride, positions in the padding skipped (a weight that is not finite multiplies
    only real output gradients, as torch's)."""
    gxf[at_plane:at_plane + _u(D * H * W)] = 0.0
    lo, hi = _inside(KW, dw, pw, sw, W, OW)
    for k in range(grp * KG, (grp + 1) * KG):
        at_w = _u((k * CG + cc) * KD * KH * KW)
        for od in range(OD):
            for oh in range(OH):
                grow = _u(((((n * K + k) * OD) + od) * OH + oh) * OW)
                for kd in range(KD):
                    id_ = od * sd - pd + kd * dd
                    if id_ < 0 or id_ >= D:
                        continue
                    for kh in range(KH):
                        ih = oh * sh - ph + kh * dh
                        if ih < 0 or ih >= H:
                            continue
                        row = at_plane + _u((id_ * H + ih) * W)
                        for kw in range(KW):
                            weight = wf[at_w + _u((kd * KH + kh) * KW + kw)]
                            dst = row + _u(kw * dw - pw + lo[kw] * sw)
                            gat = grow + _u(lo[kw])
                            step = _u(sw)
                            for i in range(_u(hi[kw] - lo[kw])):
                                gxf[dst + i * step] += weight * gf[gat + i]
