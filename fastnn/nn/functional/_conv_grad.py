"""Backward of conv1d/2d/3d and conv_transpose1d/2d/3d (issue #16).

A convolution and its transpose are each other's input gradient, so both run on the
forward machinery: the input gradient of a convolution is a transposed convolution of the
output gradient by the same weight (`_conv_transpose_run`: one ordinary convolution per
output phase), and the input gradient of a transposed convolution is an ordinary
convolution (`_conv`'s variants, chosen by its rule). The weight gradient of both is one
reduction over batch and output positions (`weight_grad`): for dense stride-1
convolutions on planes large enough, one GEMM per tap on the packed input shifted by the
tap (kernels/conv_weight_grad.py, `_shifted_pays`); for dense ones with few input
channels (stems), each tap's input values broadcast from the padded input
(kernels/conv_weight_grad_gather.py, `_gather_pays`); otherwise an im2col of several
samples at a time, laid position-major for the 'pointwise' tiles where the reduction is
short (`_positions_pay`: small planes), else for Numba's GEMM for long reductions
(kernels/gemm.py `gemm_nt_long`) per group where the groups have channels enough, else
the direct kernel (kernels/conv_grad.py: depthwise convolutions and groups with few
channels), which also takes the shifted and im2col GEMMs' place for weights of few channel
pairs (`_direct_pays`). The bias gradient sums the output gradient over batch and
positions.

Everything runs on 5-D NCDHW arrays and 3-tuples (1-D and 2-D with singleton leading
spatial dimensions), as the forward does; ctx.needs says which gradients to compute.
"""
import math

import numpy as np

from ..._alloc import checked_empty
from ..._array import blocked_copy, thread_scratch
from ..._registry import register_backward
from ..._runtime import get_num_threads, launch
from ...kernels import conv_grad as _grad_kernels
from ...kernels import conv_weight_grad as _shifted
from ...kernels import conv_weight_grad_gather as _gather
from ...kernels import elementwise as _elementwise_kernels
from ...kernels import gemm as _gemm
from ...kernels import im2col as _im2col_kernels
from . import _conv
from . import _conv_transpose_run as _transpose_run

# Elements of the im2col buffer of the GEMM path, at most (unless one sample needs more):
# several samples' positions make the GEMM's reduction long enough to pay for its tiles
# (a 14x14 plane alone is 196 positions), without a buffer the size of the batch.
COLS_MAX = 1 << 22
# A stride-1 unpadded 1x1 kernel's weight gradient reads the input in place, a sample
# per GEMM, on planes of this many positions or more; on smaller ones (14x14, 7x7, 4x4)
# such short reductions spent more in horizontal sums than copying the input to run every
# sample in one GEMM costs (`python benchmarks/rules.py plain`: MobileNetV2's 14x14
# layers at batch 8 ran faster copied, its 28x28 ones in place; docs/PERF.md).
PLAIN_MIN_POSITIONS = 256
# The gathered weight gradient's shortest output rows: on LeNet-sized planes (10 wide) its
# per-row tiles ran slower than the im2col path, on 14-wide ones faster
# (`python benchmarks/rules.py gather`).
GATHER_MIN_ROW = 12
# The GEMM path needs this many output channels and (input channels x taps) per group;
# below, the direct kernel's dot products per tap are faster than tiles mostly edge.
GEMM_MIN_CHANNELS = 16
# (output, input) channel pairs per group up to which the direct kernel computes the weight
# gradient of a kernel with several taps in place of the shifted GEMMs, of the im2col GEMM
# (`_direct_pays`)
DIRECT_MAX_PAIRS = 2048
DIRECT_MAX_PAIRS_IM2COL = 8192


def _five(shape, nd):
    return tuple(shape[:2]) + (1,) * (3 - nd) + tuple(shape[2:])


def _triple(values, one):
    return (one,) * (3 - len(values)) + tuple(values)


def input_grad(g, w, x_shape, stride, pad_before, dilation, groups):
    """The input gradient of a convolution (5-D): the transposed convolution of the output
    gradient `g` by its weight `w`, cropped or extended to the input's shape `x_shape`
    (asymmetric 'same' padding, or input positions no output reads). A strided depthwise
    or grouped one with few channels per group adds each tap's products into a phased
    scratch of the input plane as one long run (kernels/conv_grad.py
    `input_grad_direct`, `_direct_input_pays`): its phases would be many small
    convolutions."""
    gx = checked_empty(x_shape, g.dtype)
    if not gx.size:
        return gx
    if not g.size or not w.size:
        gx.fill(0)
        return gx
    if _direct_input_pays(w.shape, stride, groups):
        cparts = direct_parts(g.shape[0] * groups, w.shape[1], 1)[0]
        launch(_grad_kernels.input_grad_direct, np.ascontiguousarray(g), w, gx, cparts,
               *stride, *pad_before, *dilation, groups,
               work=g.size * w.shape[1] * math.prod(w.shape[2:]) // 2)
        return gx
    plan = _transpose_run.plan(g.shape, w.shape, x_shape, stride, pad_before, dilation,
                               groups)
    _transpose_run.run(g, w, None, gx, plan)
    return gx


# output-gradient channels per group up to which a strided grouped input gradient runs on
# the direct kernel (`_direct_input_pays`)
DIRECT_INPUT_MAX_CHANNELS = 8


def _direct_input_pays(w_shape, stride, groups):
    """Whether a strided input gradient runs on `input_grad_direct` rather than as the
    transposed convolution's phases: depthwise ones, and grouped ones with at most
    DIRECT_INPUT_MAX_CHANNELS output channels per group (four output channels' products
    a pass over the scratch). The phases (k3 s2: 2x2, 2x1, 1x2 and 1x1 taps) are
    convolutions too small for the grouped kernels' tiles; from 16 channels per group
    they ran level or faster, and at stride 1 the one phase on the grouped or depthwise
    convolution kernels (`python benchmarks/rules.py directinput`)."""
    return (groups > 1 and stride != (1, 1, 1)
            and (w_shape[1] == 1 or w_shape[0] // groups <= DIRECT_INPUT_MAX_CHANNELS))


def convolution(x, w, out_shape, stride, padding, dilation, groups):
    """The convolution (5-D) of `x` by `w` with symmetric `padding` whose output has the
    shape `out_shape`: the input gradient of a transposed convolution, whose
    output_padding may leave trailing positions that no output reads (dropped here) or
    that the convolution pads."""
    out = checked_empty(out_shape, x.dtype)
    if not out.size:
        return out
    if not x.size or not w.size:
        out.fill(0)
        return out
    pad_after = []
    for i in range(3):
        reach = dilation[i] * (w.shape[2 + i] - 1) + 1
        needed = (out_shape[2 + i] - 1) * stride[i] + reach - x.shape[2 + i] - padding[i]
        if needed < 0:
            x = x[(slice(None),) * (2 + i) + (slice(0, x.shape[2 + i] + needed),)]
        pad_after.append(max(needed, 0))
    # along a dimension with one output position the stride is never taken (`_conv._plan`)
    stride = tuple(1 if o == 1 else s for o, s in zip(out_shape[2:], stride))
    args = (_conv._ready(x), w, None, out, stride, tuple(padding), tuple(pad_after),
            tuple(dilation), groups)
    _conv.run_convolution(*args)
    return out


def weight_grad(x, g, w_shape, stride, pad_before, dilation, groups):
    """The weight gradient (5-D, shape `w_shape`) of the convolution of `x` whose output
    gradient is `g`, by `stride`, `pad_before`, `dilation` (3-tuples) and `groups`."""
    return weight_and_bias_grad(x, g, w_shape, stride, pad_before, dilation, groups)[0]


def weight_and_bias_grad(x, g, w_shape, stride, pad_before, dilation, groups,
                         bias_shape=None, bias_dtype=None):
    """(weight gradient, bias gradient of `bias_shape` and `bias_dtype`, or None when
    `bias_shape` is None). The direct path sums the bias gradient in the same kernel, from
    the output gradient it copies anyway (`python benchmarks/rules.py biasgrad`); the
    others leave it to `bias_grad`."""
    gw = checked_empty(w_shape, x.dtype)
    path = weight_grad_path(x.shape, g.shape, w_shape, stride, pad_before, dilation, groups,
                            x.dtype.itemsize)
    fused = (bias_shape is not None and path == "direct" and tuple(bias_shape) == (g.shape[1],)
             and min(gw.size, g.size, x.size) > 0)
    gb = None
    if bias_shape is not None and not fused:
        gb = bias_grad(g, bias_shape, bias_dtype)
    if not gw.size:
        return gw, gb
    if not g.size or not x.size:
        gw.fill(0)
        return gw, gb
    if path == "shifted":
        if _weight_grad_shifted(x, g, gw, pad_before, dilation):
            return gw, gb
        path = "gemm"         # NaN or inf: the route the shifted one's channels leave
    if path == "positions":
        _weight_grad_positions(x, g, gw, stride, pad_before, dilation)
    elif path == "gather":
        _weight_grad_gather(x, g, gw, stride, pad_before, dilation)
    elif path == "gemm":
        _weight_grad_gemm(x, g, gw, stride, pad_before, dilation, groups)
    else:
        k, cg = w_shape[:2]
        sums = np.empty(k if fused else 0, gw.dtype)
        launch(_grad_kernels.weight_grad_direct, x, g, gw, sums,
               *direct_parts(groups, cg, k // groups), *stride, *pad_before, *dilation,
               groups, work=g.size * cg * math.prod(w_shape[2:]) // 2)
        if fused:
            gb = sums.astype(bias_dtype)
    return gw, gb


def direct_parts(groups, in_per_group, out_per_group):
    """(cparts, kparts): the parts `weight_grad_direct` splits each group's input and
    output channels into: one each, unless the groups give the threads fewer than four
    tasks each (then the input channels, then the output channels are split: a network's
    first layer, LeNet's one input channel to six). Each task copies its output channels'
    gradients once per sample, so the fewer parts, the fewer copies. `input_grad_direct`
    splits its tasks (a sample's group) the same way: `groups` is then samples x groups."""
    target = 4 * get_num_threads()
    cparts = min(in_per_group, max(1, -(-target // groups)))
    return cparts, min(out_per_group, max(1, -(-target // (groups * cparts))))


def weight_grad_path(x_shape, g_shape, w_shape, stride, pad_before, dilation, groups,
                     itemsize):
    """How `weight_grad` runs (5-D shapes, 3-tuples): as `tiled_path` picks, unless
    `_direct_pays` gives its im2col GEMM or shifted GEMMs to the direct kernel."""
    path = tiled_path(x_shape, g_shape, w_shape, stride, pad_before, dilation, groups,
                      itemsize)
    return "direct" if _direct_pays(w_shape, groups, path) else path


def _direct_pays(w_shape, groups, tiled):
    """Whether the direct kernel runs a weight gradient for which `tiled_path` picked
    `tiled`: a kernel of more than one tap with at most DIRECT_MAX_PAIRS (output, input)
    channel pairs per group in place of the shifted GEMMs, DIRECT_MAX_PAIRS_IM2COL in
    place of the im2col GEMM. Its products are four output channels by three taps at a
    time from one copy of each plane; the tiled paths' copies (im2col, packing) and tile
    edges weighed more on such weights: LeNet, ResNeXt's groups, 16 to 64 channel layers.
    It lost to them on wider layers (256->256 at 14x14, 128->256), to the position-major
    path on small planes, and on 1x1 kernels, whose one tap fills a third of its products
    (`python benchmarks/rules.py directgrad`)."""
    k, cg = w_shape[:2]
    limit = {"shifted": DIRECT_MAX_PAIRS, "gemm": DIRECT_MAX_PAIRS_IM2COL}.get(tiled, 0)
    return math.prod(w_shape[2:]) > 1 and k // groups * cg <= limit


def tiled_path(x_shape, g_shape, w_shape, stride, pad_before, dilation, groups, itemsize):
    """The weight gradient's path among the tiled ones: 'positions' where `_positions_pay`
    (small planes), else 'shifted' where `_shifted_pays`, 'gather' where `_gather_pays`,
    'gemm' where the groups have channels enough for the tiles, else 'direct'. Small
    planes go to 'positions' first: where both apply (few samples, many channels: n1
    256->256 on 14x14) it ran faster than the shifted GEMMs."""
    k, cg = w_shape[:2]
    tiles = k // groups >= GEMM_MIN_CHANNELS and cg * math.prod(w_shape[2:]) >= GEMM_MIN_CHANNELS
    if tiles and groups == 1 and _positions_pay(x_shape, g_shape, w_shape, stride,
                                                pad_before):
        return "positions"
    if _shifted_pays(x_shape, g_shape, w_shape, stride, pad_before, dilation, groups):
        return "shifted"
    if _gather_pays(w_shape, g_shape, groups, itemsize):
        return "gather"
    return "gemm" if tiles else "direct"


def _shifted_pays(x_shape, g_shape, w_shape, stride, pad_before, dilation, groups):
    """Whether the weight gradient runs as shifted GEMMs (`_weight_grad_shifted`) rather
    than im2col and GEMM: for dense stride-1 convolutions of more than one tap with
    channels enough for the tiles, where the grid's positions without an output (a row
    and a column per plane at 3x3 padding 1), whose products are wasted, cost less than
    the im2col's copy of every tap, which weighs less the more output channels share it:
    a grid at most 1 + 8*taps/K times the output (3x3 padding 1: 14x14 planes up to 384
    channels, 7x7 up to 192, not 7x7 at 512 or 14x14 at 512; 3x3x3 8x28x28 at 32).
    `python benchmarks/rules.py shifted` times both and the position-major path."""
    k, c = w_shape[:2]
    taps = math.prod(w_shape[2:])
    if (groups != 1 or stride != (1, 1, 1) or taps == 1 or k < GEMM_MIN_CHANNELS
            or c < _shifted.MIN_CHANNELS):
        return False
    axes = zip(x_shape[2:], g_shape[2:], pad_before, dilation, w_shape[2:])
    grid = math.prod(_grid_length(*axis) for axis in axes)
    return grid <= math.prod(g_shape[2:]) * (1 + 8 * taps / k)


def _weight_grad_shifted(x, g, gw, pad_before, dilation):
    """gw of a dense stride-1 convolution as one shifted GEMM per tap on the packed input
    (kernels/conv_weight_grad.py), packing at most COLS_MAX elements of input and output
    gradient at a time (whole samples); False, with gw unwritten, when x or g holds NaN
    or inf (its padding and grid gaps would multiply them by zero)."""
    n, c = x.shape[:2]
    k = g.shape[1]
    kernel = gw.shape[2:]
    axes = zip(x.shape[2:], g.shape[2:], pad_before, dilation, kernel)
    grid = [_grid_length(*axis) for axis in axes]
    volume = math.prod(grid)
    out_d, out_h = g.shape[2:4]
    rows = _shifted.chunk_rows(out_h, grid[2], _shifted.chunk_length(k, c))
    length = rows * grid[2]
    per_plane = -(-out_h // rows)
    offsets = np.array([(kd * dilation[0] * grid[1] + kh * dilation[1]) * grid[2]
                        + kw * dilation[2] for kd, kh, kw in np.ndindex(*kernel)], np.int64)
    per_pass = _samples_per_pass(n, c + k, volume)
    workers = max(1, min(get_num_threads(), per_pass * out_d * per_plane))
    size = len(offsets) * k * c
    partial = thread_scratch("conv grad shifted partial", workers * size,
                             x.dtype).reshape(workers, len(offsets), k, c)
    results = thread_scratch("conv grad shifted sums", workers * size,
                             x.dtype).reshape(workers, size)
    for n0 in range(0, n, per_pass):
        samples = min(per_pass, n - n0)
        chunks = samples * out_d * per_plane
        # the last chunk's reach: a whole chunk from its start, plus the last tap's offset
        reach = samples * volume + length + int(offsets[-1])
        xs = thread_scratch("conv grad shifted input", reach * c, x.dtype).reshape(reach, c)
        gs = thread_scratch("conv grad shifted grad", chunks * k * length,
                            x.dtype).reshape(chunks, k, length)
        flags = launch(_shifted.pack_input, x[n0:n0 + samples], xs, *grid, *pad_before,
                       work=xs.size)
        flags += launch(_shifted.pack_grad, g[n0:n0 + samples], gs, grid[2], work=gs.size)
        if flags != 0.0:
            return False
        xs[samples * volume:] = 0
        launch(_shifted.weight_grad_shifted, xs, gs, offsets, partial, results, n0 > 0,
               out_d, out_h, volume, grid[1], grid[2], work=size * chunks * length)
    launch(_shifted.finish, partial, gw.reshape(k, c, -1), work=partial.size)
    return True


def _gather_pays(w_shape, g_shape, groups, itemsize):
    """Whether the weight gradient runs as `_weight_grad_gather`: dense convolutions with
    fewer input channels than the shifted path's lanes (a network's stem, a 1-D front
    end), output channels that fill the target's tile (64 with AVX-512: with LeNet's 16,
    three quarters of its lanes idle, it ran slower than the im2col path: docs/PERF.md) and
    output rows of GATHER_MIN_ROW positions or more (its tasks are runs of one row). Its
    partial sums (taps x output channels per thread) are added to on every row, so wide
    inputs are left to the others. `python benchmarks/rules.py gather` times all three."""
    k, c = w_shape[:2]
    return (groups == 1 and c < _shifted.MIN_CHANNELS and g_shape[-1] >= GATHER_MIN_ROW
            and k >= _gather.padded_channels(1, itemsize))


def _weight_grad_gather(x, g, gw, stride, pad_before, dilation):
    """gw of a dense convolution from its padded input and output gradient
    (kernels/conv_weight_grad_gather.py), padding at most COLS_MAX elements of input at a
    time (whole samples)."""
    n, c = x.shape[:2]
    k = g.shape[1]
    kernel, out_spatial = gw.shape[2:], g.shape[2:]
    itemsize = x.dtype.itemsize
    padded = _gather.padded_shape(out_spatial, kernel, stride, dilation)
    offsets = _gather.tap_offsets(c, kernel, dilation, padded)
    kp = _gather.padded_channels(k, itemsize)
    volume = math.prod(out_spatial)
    segment = _gather.segment_length(kp, itemsize)
    per_pass = _samples_per_pass(n, c, math.prod(padded))
    tasks = per_pass * volume // out_spatial[2] * -(-out_spatial[2] // segment)
    workers = max(1, min(get_num_threads(), tasks))
    partial = thread_scratch("conv grad gather partial", workers * len(offsets) * kp,
                             x.dtype).reshape(workers, len(offsets), kp)
    rows = thread_scratch("conv grad gather rows", workers * segment * kp,
                          x.dtype).reshape(workers, segment * kp)
    for n0 in range(0, n, per_pass):
        samples = min(per_pass, n - n0)
        xp = thread_scratch("conv grad gather input", samples * c * math.prod(padded),
                            x.dtype).reshape((samples, c) + padded)
        launch(_gather.pad_input, x[n0:n0 + samples], xp, *pad_before, work=xp.size)
        launch(_gather.weight_grad_gather, xp, g[n0:n0 + samples], offsets, partial, rows,
               *stride, n0 > 0, work=samples * volume * kp * len(offsets) // 2)
    gw.reshape(k, len(offsets))[...] = partial.sum(axis=0)[:, :k].T


def _grid_length(size_in, size_out, pad, dilation, taps):
    """Grid positions per row (plane, volume) along one axis for the shifted weight
    gradient: the outputs' taps reach size_out + dilation*(taps - 1) positions from -pad;
    a reach past the row's end lands in the next row's first `pad` positions, zero
    padding, so the grid needs only the input's columns after the padding before it (and
    every output)."""
    reach = size_out + dilation * (taps - 1)
    return max(min(pad + size_in, reach), reach - pad, size_out)


def _unit_kernel(x_shape, g_shape, kernel, stride, pad_before):
    """Whether the input is its own im2col: a stride-1, unpadded 1x1 kernel whose output
    has the input's positions."""
    return (tuple(kernel) == (1, 1, 1) and tuple(stride) == (1, 1, 1) and not any(pad_before)
            and tuple(x_shape[2:]) == tuple(g_shape[2:]))


def _samples_per_pass(n, columns, positions):
    """Samples per pass whose packed copies, `columns` rows of `positions` each (an
    im2col's), fit in COLS_MAX elements; one at least."""
    return max(1, min(n, COLS_MAX // (columns * positions)))


def _positions_last(arr, n0, samples):
    """arr[n0:n0 + samples] (samples, channels, ...) as (channels, samples * positions),
    C-contiguous: a GEMM's rows, each channel's positions sample after sample."""
    view = arr[n0:n0 + samples].reshape(samples, arr.shape[1], -1).transpose(1, 0, 2)
    copy = blocked_copy(view)
    return (np.ascontiguousarray(view) if copy is None else copy).reshape(arr.shape[1], -1)


def _weight_grad_gemm(x, g, gw, stride, pad_before, dilation, groups):
    """gw[group] = g[group rows] @ cols[group rows].T summed over chunks of samples, with
    cols the im2col of a chunk (kernels/im2col.py), g's rows the chunk's positions."""
    n, c = x.shape[:2]
    k, cg = gw.shape[:2]
    kernel = gw.shape[2:]
    out_spatial = g.shape[2:]
    positions = math.prod(out_spatial)
    rows = c * math.prod(kernel)
    unit = _unit_kernel(x.shape, g.shape, kernel, stride, pad_before)
    plain = unit and positions >= PLAIN_MIN_POSITIONS
    chunk = 1 if plain else _samples_per_pass(n, rows, positions)
    kg, width = k // groups, gw[0].size
    block_n = _gemm.long_block_n(kg, width, get_num_threads())
    flat = gw.reshape(groups, kg, width)
    partial = None
    for n0 in range(0, n, chunk):
        samples = min(chunk, n - n0)
        if plain:
            cols = x[n0].reshape(c, positions)
            a = g[n0].reshape(k, positions)
        else:
            if unit:
                cols = _positions_last(x, n0, samples)
            else:
                cols = thread_scratch("conv grad cols", rows * samples * positions,
                                      x.dtype).reshape(rows, samples * positions)
                launch(_im2col_kernels.im2col3d, x, n0, cols, *kernel, *out_spatial,
                       *stride, *pad_before, *dilation, work=cols.size)
            a = _positions_last(g, n0, samples)
        for grp in range(groups):
            first = n0 == 0
            if first:
                target = flat[grp]
            else:
                if partial is None:
                    partial = np.empty((kg, width), x.dtype)
                target = partial
            launch(_gemm.gemm_nt_long, a[grp * kg:(grp + 1) * kg],
                   cols[grp * width:(grp + 1) * width], target, block_n,
                   work=kg * width * a.shape[1] // 2)
            if not first:
                np.add(flat[grp], partial, out=flat[grp])


def _positions_pay(x_shape, g_shape, w_shape, stride, pad_before):
    """Whether a dense weight gradient runs on the position-major im2col
    (`_weight_grad_positions`) rather than on `gemm_nt_long`: where its GEMM's reduction
    (the positions of a pass of samples) is at most twice its output channels (small
    planes: ResNet's 7x7 and 4x4 layers), so that `gemm_nt_long`'s horizontal sums weigh
    most, and the input needs an im2col at all (not a stride-1 unpadded 1x1 kernel).
    `python benchmarks/rules.py layout` times both."""
    k, c = w_shape[:2]
    kernel = w_shape[2:]
    positions = math.prod(g_shape[2:])
    if _unit_kernel(x_shape, g_shape, kernel, stride, pad_before):
        return False
    samples = _samples_per_pass(x_shape[0], c * math.prod(kernel), positions)
    return samples * positions <= 2 * k


def _weight_grad_positions(x, g, gw, stride, pad_before, dilation):
    """gw (groups == 1) = g's rows @ xs summed over chunks of samples, xs the chunk's
    im2col laid position-major (kernels/im2col.py `im2col_positions`), on the 'pointwise'
    convolution's tiles: read as a 1x1 convolution, the positions are its input channels
    and the taps its positions, so the reduction over positions runs with output channels
    broadcast against the taps in the lanes, with no horizontal sums (a short reduction,
    a small plane's, spent much of `gemm_nt_long`'s time in them)."""
    n, c = x.shape[:2]
    k = gw.shape[0]
    kernel, out_spatial = gw.shape[2:], g.shape[2:]
    positions = math.prod(out_spatial)
    width = gw[0].size
    chunk = _samples_per_pass(n, width, positions)
    one, none = (1, 1, 1), (0, 0, 0)
    partial = None
    for n0 in range(0, n, chunk):
        samples = min(chunk, n - n0)
        rows = samples * positions
        xs = thread_scratch("conv grad position cols", rows * width,
                            x.dtype).reshape(rows, width)
        launch(_im2col_kernels.im2col_positions, x, n0, xs, *kernel, *out_spatial, *stride,
               *pad_before, *dilation, work=xs.size)
        a = _positions_last(g, n0, samples).reshape(k, rows, 1, 1, 1)
        if n0 == 0:
            target = gw.reshape(1, k, 1, 1, width)
        elif partial is None:
            partial = target = np.empty((1, k, 1, 1, width), x.dtype)
        _conv._run_pointwise(xs.reshape(1, rows, 1, 1, width), a, None, target, one, none,
                             none, one, 1)
        if n0 > 0:
            gw.reshape(target.shape)[...] += target


def bias_grad(g, shape, dtype):
    """The bias gradient: `g` (5-D) summed over batch and positions (zeros when the output
    has no channels: torch's quirk for an input without channels), each plane by one task
    of the threads in float64 (`kernels.elementwise.channel_sums`; numpy's sum over the
    planes ran on one thread, `python benchmarks/rules.py biasgrad`)."""
    n, k = g.shape[:2]
    if k != shape[0]:
        return np.zeros(shape, dtype)
    rows = g.reshape(n, k, math.prod(g.shape[2:]))
    sums = np.empty((k, n), np.float64)
    launch(_elementwise_kernels.channel_sums, rows, sums, work=rows.size)
    return sums.sum(axis=1).astype(dtype)


def _unpack(ctx, grad, nd, name):
    if len(ctx.inputs) > 3 or "activation" in ctx.attrs:
        raise RuntimeError(f"the derivative for '{name}' with a fused epilogue is not "
                           f"implemented.")
    x, w = ctx.inputs[0], ctx.inputs[1]
    batched = len(ctx.shapes[0]) == nd + 2
    if not batched:
        x, grad = x[None], grad[None]
    x5 = _conv._ready(x).reshape(_five(x.shape, nd))
    w5 = _conv._ready(w).reshape(_five(w.shape, nd))
    g5 = _conv._ready(grad).reshape(_five(grad.shape, nd))
    attrs = ctx.attrs
    geometry = (_triple(attrs.stride, 1), _triple(attrs.padding, 0),
                _triple(attrs.dilation, 1), attrs.groups)
    return x5, w5, g5, geometry, batched


def _finish(ctx, gx, gw, gb):
    """Shapes and dtypes of the inputs: the caller's unbatched shape, a 1-D/2-D shape."""
    if gx is not None:
        gx = gx.reshape(ctx.shapes[0]).astype(ctx.dtypes[0], copy=False)
    if gw is not None:
        gw = gw.reshape(ctx.shapes[1]).astype(ctx.dtypes[1], copy=False)
    return gx, gw, gb


def conv_backward(nd, transposed=False):
    """The backward of `conv{nd}d` (or `conv_transpose{nd}d`): (input, weight, bias)
    gradients, None where not needed. A transposed convolution's input gradient is the
    convolution of the output gradient, and its weight gradient is that of the convolution
    from the output gradient to the input (the two gradients' roles swapped)."""
    name = f"conv_transpose{nd}d" if transposed else f"conv{nd}d"

    def backward(ctx, grad):
        x5, w5, g5, (stride, padding, dilation, groups), _ = _unpack(ctx, grad, nd, name)
        need_x, need_w, need_b = ctx.needs[:3]
        gx = gw = gb = None
        if need_x:
            to_input = convolution if transposed else input_grad
            gx = to_input(g5, w5, x5.shape, stride, padding, dilation, groups)
        if need_w and need_b and not transposed:
            gw, gb = weight_and_bias_grad(x5, g5, w5.shape, stride, padding, dilation,
                                          groups, ctx.shapes[2], ctx.dtypes[2])
        elif need_w:
            first, second = (g5, x5) if transposed else (x5, g5)
            gw = weight_grad(first, second, w5.shape, stride, padding, dilation, groups)
        if need_b and gb is None:
            gb = bias_grad(g5, ctx.shapes[2], ctx.dtypes[2])
        return _finish(ctx, gx, gw, gb)

    backward.__name__ = backward.__qualname__ = f"{name}_backward"
    return backward


for _nd in (1, 2, 3):
    register_backward(f"conv{_nd}d", conv_backward(_nd), saves=(0, 1))
    register_backward(f"conv_transpose{_nd}d", conv_backward(_nd, transposed=True),
                      saves=(0, 1))
