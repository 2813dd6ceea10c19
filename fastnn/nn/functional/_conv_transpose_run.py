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
already tuned ('pointwise', 'blocked', 'direct', ... by `_conv._rule`). Each phase's
dense result is then placed in the output at its stride (kernels/conv_transpose.py), a
copy of the output's size; with stride 1 everywhere there is one phase, written straight
into the output. Where every phase is one 1x1 convolution over the whole input (kernel
<= stride without dilation, e.g. k=2 s=2 upsampling), the phases' weights are stacked
and run as one 1x1 convolution with phases x C_out channels: one GEMM, not s^dims small
ones.

NaN and inf: the phase convolutions multiply their zero padding by the weights, which
gives what torch gives (torch only ever multiplies real inputs) unless a weight is not
finite (0 * inf = NaN). Then every phase runs on 'naive' (`conv3d_bounds`), which skips
padding taps, as torch does.
"""
import math
from typing import NamedTuple

import numpy as np

from ... import _registry
from ..._runtime import launch
from ...kernels import conv_transpose as _kernels
from .._frozen import frozen_forms
from .._utils import thread_scratch
from . import _conv


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
    merged: bool        # every live phase a 1x1 convolution over the whole input


def plan(x_shape, w_shape, out_shape, stride, padding, dilation, groups):
    """The phases of a transposed convolution on 5-D shapes, 3-tuple arguments."""
    axes = [axis_phases(x_shape[2 + i], out_shape[2 + i], w_shape[2 + i], stride[i],
                        padding[i], dilation[i]) for i in range(3)]
    phases = [(a, b, c) for a in axes[0] for b in axes[1] for c in axes[2]]
    live = tuple(p for p in phases if all(a.taps for a in p))
    empty = tuple(p for p in phases if not all(a.taps for a in p))
    merged = len(live) > 1 and groups == 1 and all(
        len(a.taps) == 1 and a.before == a.after == a.lo == 0 and a.hi == size
        for phase in live for a, size in zip(phase, x_shape[2:]))
    return Plan(live, empty, tuple(stride), groups, merged)


def transposed_weight(w, groups):
    """(C_in, C_out/groups, *k) -> the convolution layout (C_out, C_in/groups, *k)."""
    c_in, c_out_g = w.shape[:2]
    kernel = w.shape[2:]
    g = w.reshape((groups, c_in // groups, c_out_g) + kernel)
    return g.swapaxes(1, 2).reshape((groups * c_out_g, c_in // groups) + kernel)


def _sub_weight(wt, phase):
    d, h, w = (np.array(a.taps, dtype=np.intp) for a in phase)
    return np.ascontiguousarray(wt[:, :, d[:, None, None], h[None, :, None], w[None, None, :]])


def _window(x, phase):
    window = x[:, :, phase[0].lo:phase[0].hi, phase[1].lo:phase[1].hi,
               phase[2].lo:phase[2].hi]
    return _conv._ready(window)


def _convolve(x, w, b, out, phase, groups, exact):
    args = (x, w, b, out, (1, 1, 1), tuple(a.before for a in phase),
            tuple(a.after for a in phase), tuple(a.dilation for a in phase), groups)
    name = "naive" if exact else _conv._rule(*args)
    _registry.OPS["conv3d"].variants[name].run(*args)


def _place(src, c0, out, phase, stride):
    counts = tuple(a.count for a in phase)
    launch(_kernels.place_phase, src, c0, out, *(a.offset for a in phase), *stride,
           work=out.shape[0] * out.shape[1] * math.prod(counts))


def run(x, w, b, out, plan, exact=False):
    """Write the transposed convolution of x (N, C_in, D, H, W) by w (C_in, C_out/g, k...)
    into out (N, C_out, ...). `exact`: every phase on 'naive' (see the module docstring);
    otherwise exactly when a weight is not finite."""
    finite, weights = _phase_weights(w, plan)
    exact = exact or not finite
    n, k = out.shape[:2]
    if plan.empty:
        bias = b if b is not None else np.zeros(k, out.dtype)
        for phase in plan.empty:
            launch(_kernels.fill_phase, out, bias, *(a.offset for a in phase),
                   *plan.stride, *(a.count for a in phase),
                   work=n * k * math.prod(a.count for a in phase))
    if plan.merged:
        _run_merged(x, weights[0], b, out, plan, exact)
        return
    for phase, weight in zip(plan.live, weights):
        counts = tuple(a.count for a in phase)
        whole = counts == out.shape[2:]
        dense = out if whole else thread_scratch(
            "conv_transpose phase", n * k * math.prod(counts), out.dtype).reshape(
                (n, k) + counts)
        _convolve(_window(x, phase), weight, b, dense, phase, plan.groups, exact)
        if not whole:
            _place(dense, 0, out, phase, plan.stride)


def _phase_weights(w, plan):
    """(whether every weight is finite, the phases' convolution weights: one stacked
    weight when merged). Kept with a frozen weight (`fastnn.optimize_for_inference`),
    else made per call (a weight-sized copy)."""
    forms = frozen_forms(w)
    key = ("conv_transpose", plan)
    if forms is not None and key in forms:
        return forms[key]
    wt = transposed_weight(w, plan.groups)
    weights = [_sub_weight(wt, phase) for phase in plan.live]
    if plan.merged:
        weights = [np.concatenate(weights)]
    made = bool(np.isfinite(w).all()), weights
    if forms is not None:
        forms[key] = made
    return made


def _run_merged(x, stacked, b, out, plan, exact):
    n, k = out.shape[:2]
    live = plan.live
    bias = None if b is None else np.tile(b, len(live))
    dense = thread_scratch("conv_transpose phase", n * stacked.shape[0] * x[0, 0].size,
                           out.dtype).reshape((n, stacked.shape[0]) + x.shape[2:])
    _convolve(_conv._ready(x), stacked, bias, dense, live[0], 1, exact)
    for i, phase in enumerate(live):
        _place(dense, i * k, out, phase, plan.stride)
