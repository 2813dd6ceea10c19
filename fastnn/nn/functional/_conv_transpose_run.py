"""How a transposed convolution runs: split by output phase, each phase an ordinary
convolution run by fastnn's convolution kernels.

A transposed convolution is the input gradient of a convolution: input position i sends
``x[i] * w[k]`` to output ``o = i*s - p + k*d``. Read from the output side, output o
receives the taps k with ``k*d = o + p (mod s)``: all outputs with the same residue
``r = (o + p) mod s`` (one *phase*) use the same taps, and for them
``y[o] = sum_k x[q - m_k] * w[k]`` with ``q = (o + p - r) / s`` and ``m_k = (k*d - r) / s``.
That is an ordinary stride-1 correlation of the input with a sub-kernel of the flipped
weight (the taps of that residue, last first, dilation ``d / gcd(d, s)``) and some
padding. So each of the s^dims phases is a gather: no atomic scatter, no zero-inserted
input, no multiplications by inserted zeros (a stride-2 2-D layer does a quarter of the
work a zero-inserted input would), and it runs on the convolution kernels that are
already tuned ('pointwise', 'blocked', 'direct', ... by `_conv._rule`). The phases'
dense results go side by side into one buffer, which one launch places in the output
(kernels/conv_transpose.py `place_phases`: one pass over the output, each row written
whole, outputs no input reaches given the bias); with stride 1 everywhere there is one
phase, written straight into the output. Where every live phase has as many taps along
each axis and reads the whole input (kernel <= stride, e.g. k=2 s=2 upsampling: 1x1
phases; k=4 s=2 p=1: 2x2 phases on planes, 2 on rows), the phases' weights are stacked
and run as one convolution with phases x C_out channels, one launch instead of s^dims
small ones: each phase's outputs are shifted so that all read the same input window
(`_stacked_axis`), which computes at most a few positions per axis no phase places. A
stacked plan without padding (the 1x1 case) multiplies no padding, so its weights need
not be finite. Where each phase reads one tap, phase i the weight's tap i (k=2 s=2), the
stack's channels run (channel, phase) instead: its weight is then the weight read as
(C_in, C_out * taps) transposed, one blocked copy (`interleaved`). Phases of unequal
taps (k3 s2: 2x2, 2x1, 1x2 and 1x1 taps) cannot be stacked; on planes and volumes with
few products, or for one sample of many input channels, they run *gathered* instead
(`_run_gathered`, `_gather_pays`): one GEMM (a 1x1 convolution, or for one sample
linear's product on packed operands) gives every tap's product of every input, and one
pass sums into each output the products that reach it, as torch's col2im does; it too
multiplies only real inputs.

NaN and inf: the phase convolutions multiply their zero padding by the weights, which
gives what torch gives (torch only ever multiplies real inputs) unless a weight a phase
reads is not finite (0 * inf = NaN). Then every phase runs on 'naive' (`conv3d_bounds`),
which skips padding taps, as torch does.
"""
import functools
import math
from typing import NamedTuple

import numpy as np

from ..._runtime import launch
from ...kernels import conv_blocked as _blocked_kernels
from ...kernels import conv_pointwise as _pointwise_kernels
from ...kernels import conv_transpose as _kernels
from ...kernels import gemm_packed as _packed_kernels
from ...kernels import phase_weight as _phase_kernels
from ..._array import transpose_into
from .._frozen import frozen_forms, packed_form
from .._utils import thread_scratch
from . import _conv, _linear


class Axis(NamedTuple):
    """One phase along one spatial axis: outputs ``offset + stride*q`` for q < count.
    When some input reaches them: the kernel taps (last first), the phase convolution's
    dilation and padding, and the input window [lo, hi) it reads."""
    offset: int
    count: int
    taps: tuple = ()
    dilation: int = 1
    before: int = 0
    after: int = 0
    lo: int = 0
    hi: int = 0


def axis_phases(size_in, size_out, k, s, p, d):
    """The phases of one axis (those with at least one output position)."""
    phases = []
    sub_dilation = d // math.gcd(d, s)
    for r in range(s):
        q0 = -((r - p) // s)                  # ceil((p - r) / s)
        count = (size_out - 1 + p - r) // s - q0 + 1
        if count <= 0:
            continue
        offset = s * q0 + r - p
        taps = [t for t in range(k) if t * d % s == r]
        if not taps:
            phases.append(Axis(offset, count))
            continue
        before = (taps[-1] * d - r) // s - q0
        after = count - size_in - before + sub_dilation * (len(taps) - 1)
        lo, hi = max(0, -before), size_in - max(0, -after)
        if hi <= lo:                          # every tap falls outside the input
            phases.append(Axis(offset, count))
            continue
        phases.append(Axis(offset, count, tuple(reversed(taps)), sub_dilation,
                           max(before, 0), max(after, 0), lo, hi))
    return phases


class Plan(NamedTuple):
    live: tuple         # phases (3 Axis: D, H, W) that some input reaches
    empty: tuple        # phases no input reaches: bias only
    stride: tuple
    groups: int
    merged: bool        # the live phases run as one convolution (`stack`)
    axes: tuple = ()    # the phases of each axis (D, H, W): live and empty are products
    stack: tuple = ()   # merged: that convolution's 3 Axis (count, taps, padding)
    # gathered: every tap's products from one 1x1 convolution (`_run_gathered`); then the
    # (input size, kernel size, padding, dilation) of each axis
    gathered: tuple = ()
    # merged, its channels (output channel, phase): `_one_tap_each`
    interleaved: bool = False


def plan(x_shape, w_shape, out_shape, stride, padding, dilation, groups, gather=None):
    """The phases of a transposed convolution on 5-D shapes, 3-tuple arguments. `gather`
    True or False forces or forbids the gathered form where it can run (benchmarks/
    conv_transpose_plans.py); None: `_gather_pays` decides. A function of the shapes
    alone, kept for each: a training step asks again for every layer's input gradient."""
    return _plan(tuple(x_shape), tuple(w_shape), tuple(out_shape), tuple(stride),
                 tuple(padding), tuple(dilation), groups, gather)


@functools.lru_cache(maxsize=512)
def _plan(x_shape, w_shape, out_shape, stride, padding, dilation, groups, gather):
    axes = [axis_phases(x_shape[2 + i], out_shape[2 + i], w_shape[2 + i], stride[i],
                        padding[i], dilation[i]) for i in range(3)]
    phases = [(a, b, c) for a in axes[0] for b in axes[1] for c in axes[2]]
    live = tuple(p for p in phases if all(a.taps for a in p))
    empty = tuple(p for p in phases if not all(a.taps for a in p))
    stack = ()
    if len(live) > 1 and groups == 1:
        stack = tuple(_stacked_axis([phase[i] for phase in live], x_shape[2 + i])
                      for i in range(3))
        # on 1-D rows a padded stack ran slower than its phases (its padding copied per
        # task, a position more than the phases); it runs unpadded (`_rows_stack`)
        if None in stack or (stack[0].count * stack[1].count == 1 and _margin(stack) >= 0
                             and stack[2].count - _margin(stack) < 1):
            stack = ()
    gathered = ()
    if gather is None:
        gather = _gather_pays(x_shape, w_shape)
    if not stack and len(live) > 1 and groups == 1 and gather:
        gathered = tuple((x_shape[2 + i], w_shape[2 + i], padding[i], dilation[i])
                         for i in range(3))
    interleaved = bool(stack) and _one_tap_each(live, stack, w_shape)
    return Plan(live, empty, tuple(stride), groups, bool(stack),
                tuple(tuple(axis) for axis in axes), stack, gathered, interleaved)


def _one_tap_each(live, stack, w_shape):
    """Whether a stack without padding has every tap of the weight once, phase i reading
    tap i alone (a kernel as long as its stride, k=2 s=2 upsampling): then phase i's weight
    for output channel c is w[:, c, tap i], so with the stack's channels ordered (c, phase)
    its weight is w (C_in, C_out * taps) transposed, made by one blocked copy rather than
    a strided gather per phase."""
    if any(a.before or a.after for a in stack) or any(len(a.taps) != 1 for p in live
                                                      for a in p):
        return False
    taps = [int(np.ravel_multi_index(tuple(a.taps[0] for a in phase), w_shape[2:]))
            for phase in live]
    return taps == list(range(math.prod(w_shape[2:])))


# about a core's L2 of float32 products (`_gather_pays`)
GATHER_MAX_PRODUCTS = 1 << 20
# input channels from which one sample runs gathered with any number of products
GATHER_MIN_CHANNELS = 64


def _gather_pays(x_shape, w_shape):
    """Whether ungrouped phases that cannot be stacked run gathered (`_run_gathered`): on
    planes and volumes, for products (taps x output channels per input position) of at
    most GATHER_MAX_PRODUCTS elements, or for one sample of at least GATHER_MIN_CHANNELS
    input channels. One sample's phases are small convolutions (k3 s2: four of 1-4 taps on
    planes, eight on volumes), slower than the GEMM and the pass together, and so were a
    batch's where the products stay in cache (ResNet's 512->256 input gradient on 4x4 at
    batch 8); with more products the phases ran faster than the two passes over them (9
    per input on planes), a batch's and one sample's of few input channels (whose GEMM
    does little per product the pass moves: 32->16 on a 128x128 plane or a 16^3 volume),
    but not one sample's of 64 or more (64->32 and 128->64 on 64x64 planes); on 1-D rows
    the forms ran level (`python benchmarks/conv_transpose_plans.py` times both)."""
    if x_shape[2] == 1 and x_shape[3] == 1:
        return False
    products = x_shape[0] * math.prod(x_shape[2:]) * math.prod(w_shape[1:])
    return (products <= GATHER_MAX_PRODUCTS
            or x_shape[0] == 1 and x_shape[1] >= GATHER_MIN_CHANNELS)


def _stacked_axis(phases, size_in):
    """One axis of the convolution that computes every live phase at once, their weights
    stacked along the output channels, or None. It needs phases with as many taps at the
    same dilation, each reading the whole input; their windows are aligned by shifting
    each phase's outputs by `shift` (k4 s2 p1: one phase reads inputs q-1, q and the other
    q, q+1), which adds at most a few output positions per axis."""
    first = phases[0]
    if any(len(a.taps) != len(first.taps) or a.dilation != first.dilation or a.lo
           or a.hi != size_in for a in phases):
        return None
    before = max(a.before for a in phases)
    count = max(a.count + shift(a, before) for a in phases)
    after = count + first.dilation * (len(first.taps) - 1) - before - size_in
    return Axis(0, count, first.taps, first.dilation, before, after, 0, size_in)


def shift(phase_axis, stacked_before):
    """Where a phase's first output lies in the stacked convolution's output."""
    return stacked_before - phase_axis.before


def _window(x, phase):
    window = x[:, :, phase[0].lo:phase[0].hi, phase[1].lo:phase[1].hi,
               phase[2].lo:phase[2].hi]
    return _conv._ready(window)


def _convolve(x, w, b, out, phase, groups, exact):
    args = (x, w, b, out, (1, 1, 1), tuple(a.before for a in phase),
            tuple(a.after for a in phase), tuple(a.dilation for a in phase), groups)
    _conv.run_convolution(*args, variant="naive" if exact else None)


def run(x, w, b, out, plan, exact=False):
    """Write the transposed convolution of x (N, C_in, D, H, W) by w (C_in, C_out/g, k...)
    into out (N, C_out, ...). `exact`: every phase on 'naive' (see the module docstring);
    otherwise exactly when a weight is not finite. The phases' results go side by side
    into one buffer, which one launch places in the output (`_place_tables`); a gathered
    plan runs `_run_gathered` unless `exact`."""
    if plan.gathered and not exact:
        _run_gathered(x, w, b, out, plan)
        return
    whole = (len(plan.live) == 1 and not plan.empty
             and tuple(a.count for a in plan.live[0]) == out.shape[2:])
    if whole and not exact and _run_packed(x, w, b, out, plan):
        return
    finite, weights = _phase_weights(w, plan)
    exact = exact or not finite
    n, k = out.shape[:2]
    if whole:
        _convolve(_window(x, plan.live[0]), weights[0], b, out, plan.live[0], plan.groups,
                  exact)
        return
    rows = plan.merged and not exact and _margin(plan.stack) > 0
    if rows:
        dense = _run_rows_stack(x, weights[0], b, out, plan)
    elif plan.merged:
        dense = _run_merged(x, weights[0], b, out, plan, exact)
    else:
        dense = thread_scratch("conv_transpose phases", max(1, n * k * sum(
            math.prod(a.count for a in phase) for phase in plan.live)), out.dtype)
        at = 0
        for phase, weight in zip(plan.live, weights):
            counts = tuple(a.count for a in phase)
            size = n * k * math.prod(counts)
            _convolve(_window(x, phase), weight, b, dense[at:at + size].reshape(
                (n, k) + counts), phase, plan.groups, exact)
            at += size
    bias = b if b is not None else np.zeros(k, out.dtype)
    launch(_kernels.place_phases, dense, bias, out, *_place_tables(plan, n, k, rows),
           plan.stride[2], work=out.size)
    if rows:
        _rows_stack_margins(x, weights[0], bias, out, plan)


def _run_packed(x, w, b, out, plan):
    """A plan of one phase that reads every tap flipped (stride 1, ungrouped) run on
    'blocked' with its weight packed straight from `w` (kernels/conv_blocked.py
    `pack_weight_flipped`): no phase weight is made and packed again. False, with `out`
    unwritten, where 'blocked' is not the rule's pick, the weight is frozen (its phase
    weight is kept) or not finite (the plan then runs exact)."""
    phase = plan.live[0]
    if (plan.groups != 1 or frozen_forms(w) is not None or not w.flags.c_contiguous
            or any(a.taps != tuple(range(k - 1, -1, -1)) for a, k in zip(phase, w.shape[2:]))):
        return False
    # the kernel reads only the shape of the weight it is given with a packed one
    shape_only = w.reshape(_phase_shape(w, phase, 1))
    args = (_window(x, phase), shape_only, b, out, (1, 1, 1), tuple(a.before for a in phase),
            tuple(a.after for a in phase), tuple(a.dilation for a in phase), 1)
    if _conv._rule(*args) != "blocked":
        return False
    # `_conv._blocked_weight`'s buffer: `_run_blocked` given a packed weight packs none
    shape = _blocked_kernels.packed_weight_shape(shape_only.shape)
    packed = thread_scratch(_conv.BLOCKED_WEIGHT_SCRATCH, math.prod(shape),
                            w.dtype).reshape(shape)
    if launch(_blocked_kernels.pack_weight_flipped, w, packed, work=2 * w.size) != 0.0:
        return False
    _conv._run_blocked(*args, packed=packed)
    return True


def _margin(stack):
    """A stack on 1-D rows: its padding (before + after) along W; else -1."""
    if stack[0].count * stack[1].count != 1:
        return -1
    return stack[2].before + stack[2].after


def _run_rows_stack(x, stacked, b, out, plan):
    """A padded stack on 1-D rows, run unpadded: the convolution reads the input as it is
    (no copy of padded rows per task) and gives the stacked positions that read no
    padding; the few that do (`_rows_stack_margins`) are written after the placing pass,
    which reads garbage for them from the buffer's slack. Its positions one fewer than the
    phases' (the padded stack computes one more: a tile more on 256-long rows)."""
    n = out.shape[0]
    axis = plan.stack[2]
    valid = axis.count - _margin(plan.stack)
    bias = None if b is None else np.tile(b, len(plan.live))
    size = n * stacked.shape[0] * valid
    buffer = thread_scratch("conv_transpose phases", size + axis.before + axis.after,
                            out.dtype)
    dense = buffer[axis.before:axis.before + size].reshape((n, stacked.shape[0], 1, 1, valid))
    _convolve(_conv._ready(x), stacked, bias, dense,
              plan.stack[:2] + (axis._replace(count=valid, before=0, after=0),), 1, False)
    return buffer


def _rows_stack_margins(x, stacked, bias, out, plan):
    """The outputs of the stacked positions that read padding (`_run_rows_stack`): the
    bias plus the taps that read an input, per phase."""
    axis = plan.stack[2]
    k = out.shape[1]
    width = x.shape[4]
    taps = len(axis.taps)
    margins = list(range(axis.before)) + list(range(axis.count - axis.after, axis.count))
    for m in margins:
        # the inputs the stacked position reads, zero where it reads padding (the weights
        # are finite here: else the plan runs exact)
        reads = np.zeros((x.shape[0], x.shape[1], taps), x.dtype)
        for t in range(taps):
            at = m - axis.before + t * axis.dilation
            if 0 <= at < width:
                reads[:, :, t] = x[:, :, 0, 0, at]
        for i, phase in enumerate(plan.live):
            q = m - shift(phase[2], axis.before)
            if 0 <= q < phase[2].count:
                weight = stacked[i * k:(i + 1) * k].reshape(k, -1)     # (K, C_in * taps)
                out[:, :, 0, 0, phase[2].offset + plan.stride[2] * q] = (
                    reads.reshape(x.shape[0], -1) @ weight.T + bias)


@functools.lru_cache(maxsize=64)
def _place_tables(plan, n, k, unpadded_rows=False):
    """`place_phases`' tables: per output plane and row its phase along D and H and its
    index in that phase; per phase along W its first output and count; the row length
    and plane rows of the results per phase along W and H; per phase its results' start,
    sample and channel strides in the buffer (-1: no input reaches it)."""
    axes = plan.axes
    tables = []
    for i in range(2):
        size = sum(a.count for a in axes[i])
        phase, index = np.zeros(size, np.intp), np.zeros(size, np.intp)
        for j, a in enumerate(axes[i]):
            positions = a.offset + plan.stride[i] * np.arange(a.count)
            phase[positions], index[positions] = j, np.arange(a.count)
        tables += [phase, index]
    shape = tuple(len(axis) for axis in axes)
    base = np.full(shape, -1, np.intp)
    sample, channel = np.zeros(shape, np.intp), np.zeros(shape, np.intp)
    if plan.merged:
        rows, row = plan.stack[1].count, plan.stack[2].count
        if unpadded_rows:
            row -= _margin(plan.stack)
        row_length, plane_rows = np.full(shape[2], row, np.intp), np.full(shape[1], rows,
                                                                          np.intp)
        plane = plan.stack[0].count * rows * row
    else:
        row_length = np.array([a.count for a in axes[2]], np.intp)
        plane_rows = np.array([a.count for a in axes[1]], np.intp)
    at = 0
    for i, phase in enumerate(plan.live):
        j = tuple(axis.index(a) for axis, a in zip(axes, phase))
        if plan.merged:
            d, h, w = (shift(a, s.before) for a, s in zip(phase, plan.stack))
            # the stack's channels: (phase, channel), or (channel, phase) interleaved
            first, step = (i, len(plan.live)) if plan.interleaved else (i * k, 1)
            base[j] = first * plane + (d * rows + h) * row + w
            sample[j], channel[j] = len(plan.live) * k * plane, step * plane
        else:
            plane = math.prod(a.count for a in phase)
            base[j], sample[j], channel[j] = at, k * plane, plane
            at += n * k * plane
    return (*tables, np.array([a.offset for a in axes[2]], np.intp),
            np.array([a.count for a in axes[2]], np.intp), row_length, plane_rows, base,
            sample, channel)


def _phase_weights(w, plan):
    """(whether every weight a phase reads is finite, the phases' convolution weights: one
    stacked weight when merged). Kept with a frozen weight (`fastnn.optimize_for_inference`),
    else made per call (a weight-sized copy, checked as it is made:
    kernels/phase_weight.py)."""
    forms = frozen_forms(w)
    key = ("conv_transpose", plan)
    if forms is not None and key in forms:
        return forms[key]
    w = np.ascontiguousarray(w)
    check = 0.0
    if plan.merged:
        k = w.shape[1] * plan.groups
        taps = tuple(len(a.taps) for a in plan.stack)
        shape = (len(plan.live) * k, w.shape[0] // plan.groups) + taps
        stacked = np.empty(shape, w.dtype) if forms is not None else thread_scratch(
            "conv_transpose weights", math.prod(shape), w.dtype).reshape(shape)
        if plan.interleaved:
            transpose_into(w.reshape(w.shape[0], -1), stacked.reshape(-1, w.shape[0]),
                           work=2 * stacked.size)
        else:
            for i, phase in enumerate(plan.live):
                check += _phase_weight(w, stacked[i * k:(i + 1) * k], phase, plan.groups)
        weights = [stacked]
    else:
        weights = []
        for phase in plan.live:
            weight = np.empty(_phase_shape(w, phase, plan.groups), w.dtype)
            check += _phase_weight(w, weight, phase, plan.groups)
            weights.append(weight)
    # convolutions without padding multiply no padding: every product is one torch makes
    convolutions = [plan.stack] if plan.merged else plan.live
    unpadded = not any(a.before or a.after for phase in convolutions for a in phase)
    made = unpadded or check == 0.0, weights
    if forms is not None:
        forms[key] = made
    return made


def _phase_shape(w, phase, groups):
    """The shape of a phase's convolution weight: (C_out, C_in/groups, its taps...)."""
    return ((w.shape[1] * groups, w.shape[0] // groups)
            + tuple(len(a.taps) for a in phase))


def _phase_weight(w, out, phase, groups):
    """out (C-contiguous, `_phase_shape`) = the phase's convolution weight: the transposed
    convolution's weight `w` with each group's channels swapped and the phase's taps
    (kernels/phase_weight.py). Returns 0.0, or NaN when a weight it copies is not finite."""
    if groups == 1 and w[0, 0].size == 1:
        # a 1x1 kernel's is the weight transposed, in blocks (checked only where the phase
        # reads padding, which a stride-1 one does not: `_phase_weights`)
        transpose_into(w.reshape(w.shape[:2]), out.reshape(w.shape[1], w.shape[0]),
                       work=2 * out.size)
        if any(a.before or a.after for a in phase) and not np.isfinite(out).all():
            return np.nan
        return 0.0
    taps = np.ravel_multi_index(np.ix_(*(a.taps for a in phase)), w.shape[2:]).ravel()
    return launch(_phase_kernels.phase_weight, w, out, groups, taps.astype(np.int64),
                  work=2 * out.size)


def _run_merged(x, stacked, b, out, plan, exact):
    """The phases' results side by side along the channels of one convolution."""
    n = out.shape[0]
    bias = None if b is None else (np.repeat if plan.interleaved else np.tile)(
        b, len(plan.live))
    counts = tuple(a.count for a in plan.stack)
    dense = thread_scratch("conv_transpose phases", n * stacked.shape[0] * math.prod(counts),
                           out.dtype).reshape((n, stacked.shape[0]) + counts)
    _convolve(_conv._ready(x), stacked, bias, dense, plan.stack, 1, exact)
    return dense


def _run_gathered(x, w, b, out, plan):
    """Every tap's products of every input position from one GEMM, its rows (C_out, tap):
    a 1x1 convolution of the input as it is (no padding, no window), or for one sample
    linear's product on packed operands (`_products_packed`); then one pass sums into
    each output the products of the taps that reach it (kernels/conv_transpose.py
    `gather_taps`), as torch's col2im does. Phases of unequal taps (k3 s2: 2x2, 2x1, 1x2
    and 1x1) would be as many convolutions of a few taps each. Only input values are
    multiplied, as in torch: no weight needs to be finite."""
    n, k = out.shape[:2]
    weight = _tap_weight(w, plan)
    z = thread_scratch("conv_transpose taps", n * weight.shape[0] * math.prod(x.shape[2:]),
                       out.dtype).reshape((n, weight.shape[0]) + x.shape[2:])
    x = _conv._ready(x)
    if _products_packed(x, weight.shape[0]):
        _packed_products(x, weight, z)
    else:
        args = (x, weight, None, z, (1, 1, 1), (0, 0, 0), (0, 0, 0), (1, 1, 1), 1)
        _conv.run_convolution(*args)
    bias = b if b is not None else np.zeros(k, out.dtype)
    launch(_kernels.gather_taps, z, bias, out, *_gather_tables(plan, out.shape[2:]),
           w.shape[3], w.shape[4], plan.stride[2],
           work=z.size // 2 + out.size)


def _products_packed(x, rows):
    """Whether the `rows` (C_out * taps) products of each input position run as
    `_packed_products`: for one sample whose plane's rows, as the 1x1 convolution reads
    them, share a few L1 sets (`conv_pointwise.rows_share_sets`: 16x16 and 32x32 planes),
    where linear's rule gives their GEMM (rows x positions, C_in deep) to 'packed'. There
    it ran faster than the convolution, on 32x32 planes much so; on a 14x14 plane it was
    slower, and a batch's samples, a GEMM each, were level or slower than the
    convolution's one launch (`python benchmarks/conv_transpose_plans.py --products` times
    both)."""
    positions = math.prod(x.shape[2:])
    return (x.shape[0] == 1 and _pointwise_kernels.rows_share_sets(positions, x.itemsize)
            and _linear.default_variant(rows, positions, x.shape[1], x.dtype) == "packed")


def _packed_products(x, weight, z):
    """z[i] (C_out * taps, positions) = weight (C_out * taps, C_in) @ x[i] (C_in,
    positions) per sample on linear's packed operands, x[i]'s positions packed straight
    into its panels (`pack_columns`: no transposed copy)."""
    c_in, positions = x.shape[1], math.prod(x.shape[2:])
    a = weight.reshape(weight.shape[0], c_in)
    width = _packed_kernels.panel_width(x.dtype)
    panels = thread_scratch("conv_transpose panels", -(-positions // width) * c_in * width,
                            x.dtype).reshape(-1, c_in, width)
    for i in range(x.shape[0]):
        launch(_packed_kernels.pack_columns, x[i].reshape(c_in, positions), panels,
               work=2 * panels.size)
        _linear._packed(a, panels, None, z[i].reshape(a.shape[0], positions))


def _tap_weight(w, plan):
    """(C_in, C_out, *k) -> the 1x1 convolution weight (C_out * taps, C_in, 1, 1, 1), its
    output channel c*T + (td*KH + th)*KW + tw: w read as (C_in, C_out * taps) transposed
    in blocks (numpy's copy of the moved axes was the slower: `python
    benchmarks/conv_transpose_plans.py`, docs/PERF.md). `packed_form`: kept with a frozen
    weight, else made per call into a per-thread buffer."""
    def pack(w, weight):
        c_in = w.shape[0]
        transpose_into(np.ascontiguousarray(w).reshape(c_in, -1), weight.reshape(-1, c_in),
                       work=2 * w.size)
    return packed_form(w, ("conv_transpose", plan, "taps"),
                       (w[0].size, w.shape[0], 1, 1, 1), pack, "conv_transpose weights")


@functools.lru_cache(maxsize=64)
def _gather_tables(plan, out_sizes):
    """`gather_taps`' tables: per output position along D and H the taps reaching it and
    their input positions (-1 after the last); per phase along W its first output, count,
    taps and the input shift of each tap."""
    tables = []
    for i in range(2):
        size_in, kernel, pad, dil = plan.gathered[i]
        s = plan.stride[i]
        reach = [[(t, (o + pad - t * dil) // s) for t in range(kernel)
                  if (o + pad - t * dil) % s == 0
                  and 0 <= (o + pad - t * dil) // s < size_in] for o in range(out_sizes[i])]
        tables += _padded_pairs(reach)
    size_in, kernel, pad, dil = plan.gathered[2]
    s = plan.stride[2]
    phases = plan.axes[2]
    taps = [[(t, (a.offset + pad - t * dil) // s) for t in range(kernel)
             if (a.offset + pad - t * dil) % s == 0] for a in phases]
    reads = [[(max(0, -shift), min(a.count, size_in - shift)) for _, shift in pairs]
             for a, pairs in zip(phases, taps)]
    return (*tables, np.array([a.offset for a in phases], np.intp),
            np.array([a.count for a in phases], np.intp), *_padded_pairs(taps),
            *_padded_pairs(reads))


def _padded_pairs(lists):
    """Lists of pairs -> two 2-D arrays of their first and second items, -1 after the end."""
    width = max(1, max(len(pairs) for pairs in lists))
    first = np.full((len(lists), width), -1, np.intp)
    second = np.full((len(lists), width), -1, np.intp)
    for i, pairs in enumerate(lists):
        for j, (a, b) in enumerate(pairs):
            first[i, j], second[i, j] = a, b
    return [first, second]
