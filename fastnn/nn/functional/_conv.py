"""F.conv1d / conv2d / conv3d: validate with torch's words, allocate, run a kernel.

1-D and 2-D convolutions run through the 3-D kernels with singleton dimensions. The ops
"conv1d", "conv2d" and "conv3d" are in the kernel registry (`fastnn.backends`) with the
variants 'direct' (any convolution), 'depthwise' (one input channel per group),
'depthwise_blocked' (1-D/2-D depthwise, 16 channels in the lanes), 'blocked' (dense,
channels in blocks of 16), 'pointwise' (1x1 and 1-D as GEMMs), 'grouped_h3' (2-D/3-D
grouped), 'im2col_gemm' (any; a Numba im2col feeding BLAS) and 'naive' (any; plain loops
that skip padding taps: the exact reference); `_rule` says which runs by default.
"""
import functools
import math
import operator

import numpy as np

from ... import _errstate, _registry
from ..._dispatch import dispatch
from ..._registry import Attrs
from ..._runtime import get_num_threads, launch
from ..._tuning import dims
from ...kernels import _shapes
from ...kernels import block_copy as _block_copy_kernels
from ...kernels import conv as _kernels
from ...kernels import conv_blocked as _blocked_kernels
from ...kernels import conv_depthwise as _depthwise_kernels
from ...kernels import conv_depthwise_blocked as _depthwise_blocked_kernels
from ...kernels import conv_grouped as _grouped_kernels
from ...kernels import conv_pad as _pad_kernels
from ...kernels import conv_pointwise as _pointwise_kernels
from ...kernels import im2col as _im2col_kernels
from ...kernels._target import target
from .._frozen import frozen_forms, kernel_weight, packed_form
from ._fused import check_fused, finish, fused_args, tile_epilogue
from .._utils import (as_array, channels_last_contiguous, check_alloc, check_float,
                      checked_empty, kernel_array, ntuple, thread_scratch)

__all__ = ["conv1d", "conv2d", "conv3d"]

_TORCH_TYPE = {np.dtype(np.float32): ("Float", "float"),
               np.dtype(np.float64): ("Double", "double")}


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""1-D convolution (cross-correlation) over an input of several planes.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``
        weight: ``(C_out, C_in / groups, kL)``
        bias: optional ``(C_out,)``. Default: ``None``
        stride, padding, dilation: an int or a one-element tuple; `padding` may also be
            ``'valid'`` (no padding) or ``'same'`` (output as long as the input; stride 1)
        groups (int): split of the input channels into groups. Default: 1

    Shape:
        ``L_out = floor((L + 2 * padding - dilation * (kL - 1) - 1) / stride + 1)``

    Examples::

        >>> F.conv1d(fastnn.randn(20, 16, 50), fastnn.randn(33, 16, 3)).shape
        (20, 33, 48)
    """
    return dispatch("conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""2-D convolution (cross-correlation) over an input of several planes.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``
        weight: ``(C_out, C_in / groups, kH, kW)``
        bias: optional ``(C_out,)``. Default: ``None``
        stride, padding, dilation: an int or a ``(h, w)`` tuple; `padding` may also be
            ``'valid'`` or ``'same'`` (stride 1; an odd total puts the extra row/column
            at the bottom/right, as torch does)
        groups (int): split of the input channels into groups. Default: 1

    Shape:
        ``H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0] + 1)``,
        ``W_out`` likewise with index 1.

    Examples::

        >>> F.conv2d(fastnn.randn(1, 4, 5, 5), fastnn.randn(8, 4, 3, 3), padding=1).shape
        (1, 8, 5, 5)
    """
    return dispatch("conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""3-D convolution (cross-correlation) over an input of several planes.

    Args:
        input: ``(N, C_in, D, H, W)`` or unbatched ``(C_in, D, H, W)``
        weight: ``(C_out, C_in / groups, kD, kH, kW)``
        bias: optional ``(C_out,)``. Default: ``None``
        stride, padding, dilation: an int or a ``(d, h, w)`` tuple; `padding` may also be
            ``'valid'`` or ``'same'``
        groups (int): split of the input channels into groups. Default: 1

    Shape:
        ``D_out = floor((D + 2 * padding[0] - dilation[0] * (kD - 1) - 1) / stride[0] + 1)``,
        ``H_out``, ``W_out`` likewise.

    Examples::

        >>> F.conv3d(fastnn.randn(2, 4, 5, 6, 7), fastnn.randn(8, 4, 3, 3, 3)).shape
        (2, 8, 3, 4, 5)
    """
    return dispatch("conv3d", input, weight, bias, stride, padding, dilation, groups)


def _arrays(input, weight, bias=None, *args, residual=None, **kwargs):
    """The inputs (x, w, b) as plain arrays, a frozen weight as its kernel array; (x, w, b,
    residual) for a fused call with a residual (`_fused`)."""
    x = as_array(input, "input")
    w = kernel_weight(weight)
    if w is None:
        w = as_array(weight, "weight")
    b = None if bias is None else as_array(bias, "bias")
    if residual is not None:
        return x, w, b, as_array(residual, "residual")
    return x, w, b


def _normalize(nd, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
               activation=None, residual=None):
    """All of torch's checks: ((x, w, b), Attrs(stride, padding, padding_end, dilation,
    groups)), every attribute an `nd`-tuple of ints but groups; padding_end differs from
    padding only for an asymmetric 'same'. The inference compiler's fused keywords
    (`_fused`) add ``activation`` to the attributes and the residual to the inputs."""
    x, w, b = inputs = _arrays(input, weight, bias)
    name = f"conv{nd}d"
    _check_dtypes(x, w, b)
    stride = ntuple(stride, nd, "stride")
    x = batched_input(x, w, nd, name, stride)
    dilation = ntuple(dilation, nd, "dilation")
    groups = _groups(groups)
    pad_before, pad_after = _padding(padding, nd, stride, dilation, w.shape[2:])
    _check_geometry(nd, x, w, b, stride, pad_before, dilation, groups)

    padded = [x.shape[2 + i] + pad_before[i] + pad_after[i] for i in range(nd)]
    reach = [dilation[i] * (w.shape[2 + i] - 1) + 1 for i in range(nd)]
    if any(p < r for p, r in zip(padded, reach)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, reach))}). Kernel size can't be greater "
            f"than actual input size")
    attrs = Attrs(stride=stride, padding=tuple(pad_before), padding_end=tuple(pad_after),
                  dilation=dilation, groups=groups)
    shape, dtype = _meta(nd, inputs, attrs)
    check_alloc(shape, dtype)
    if activation is not None or residual is not None:
        r = check_fused(name, activation, residual, shape, dtype)
        attrs = Attrs(**dict(attrs.items()), activation=activation)
        if r is not None:
            inputs = (x, w, b, r)
    return inputs, attrs


def _meta(nd, inputs, attrs):
    """(output shape, dtype) of a checked convolution."""
    x, w = inputs[0], inputs[1]
    batched = x.ndim == nd + 2
    spatial = x.shape[-nd:]
    out_spatial = tuple(
        (spatial[i] + attrs.padding[i] + attrs.padding_end[i]
         - attrs.dilation[i] * (w.shape[2 + i] - 1) - 1) // attrs.stride[i] + 1
        for i in range(nd))
    channels = x.shape[-nd - 1]
    # torch quirk: an input with zero channels gives an output with zero channels
    out_channels = w.shape[0] if channels else 0
    lead = (x.shape[0],) if batched else ()
    return lead + (out_channels,) + out_spatial, x.dtype.newbyteorder("=")


def _plan(nd, inputs, attrs, meta):
    """The 5-D shapes of input, weight and output and the kernel arguments after the
    arrays; None for an empty output (nothing runs)."""
    x, w = inputs[0], inputs[1]
    out_shape = meta[0]
    if not math.prod(out_shape):
        return None
    if x.ndim == nd + 1:
        x_shape, out_shape = (1,) + x.shape, (1,) + tuple(out_shape)
    else:
        x_shape = x.shape
    shapes5 = tuple(_as_3d_shape(shape, nd) for shape in (x_shape, w.shape, out_shape))
    # along a dimension with one output position the stride is never taken; the kernels
    # size their row copies from it (stride=10**12 asked for a 4 TB scratch)
    stride = tuple(1 if o == 1 else s
                   for o, s in zip(shapes5[2][2:], (1,) * (3 - nd) + attrs.stride))
    lead = (1,) * (3 - nd)
    tail = (stride, (0,) * (3 - nd) + attrs.padding,
            (0,) * (3 - nd) + attrs.padding_end, lead + attrs.dilation, attrs.groups)
    return shapes5, tail


def _kernel_args(nd, inputs, attrs, out, plan):
    if plan is None:
        return None
    x, w, b = inputs[:3]
    shapes5, tail = plan
    x = x[:, :, None] if nd == 2 and _channels_last(x) else _ready(x).reshape(shapes5[0])
    args = (x, _ready(w).reshape(shapes5[1]),
            None if b is None else _ready(b), out.reshape(shapes5[2])) + tail
    if len(inputs) == 4 or "activation" in attrs:
        args += (fused_args(attrs, inputs[3] if len(inputs) == 4 else None, shapes5[2]),)
    return args


def _check_dtypes(x, w, b):
    """The native dtype shared by all three, or torch's error."""
    check_float(x, "input")
    check_float(w, "weight")
    if b is not None:
        check_float(b, "bias")
    xd, wd = x.dtype.newbyteorder("="), w.dtype.newbyteorder("=")
    if wd != xd:
        raise RuntimeError(f"expected scalar type {_TORCH_TYPE[xd][0]} but found "
                           f"{_TORCH_TYPE[wd][0]}")
    if b is not None and b.dtype.newbyteorder("=") != xd:
        raise RuntimeError(f"Input type ({_TORCH_TYPE[xd][1]}) and bias type "
                           f"({_TORCH_TYPE[b.dtype.newbyteorder('=')][1]}) should be the same")
    return xd


def batched_input(x, w, nd, name, stride, weight_rank_checked=True):
    """`x` with its batch dimension, after torch's rank checks of the weight and the input
    of an `nd`-D convolution `name` (a transposed one passes weight_rank_checked=False in
    1-D: torch stretches a 1-D stride to any weight and its shape check says it instead)."""
    if w.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    if w.ndim != nd + 2 and (weight_rank_checked or nd > 1):
        raise RuntimeError(
            f"expected stride to be a single integer value or a list of {w.ndim - 2} values "
            f"to match the convolution dimensions, but got stride={list(stride)}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {list(x.shape)}")
    return x[None] if x.ndim == nd + 1 else x


def _groups(groups):
    if isinstance(groups, (bool, np.bool_)):
        raise TypeError("groups must be an int, not bool")
    try:
        groups = operator.index(groups)
    except TypeError:
        raise TypeError(f"groups must be an int, not {type(groups).__name__}") from None
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    return groups


def _padding(padding, nd, stride, dilation, kernel):
    """Padding before and after each spatial dimension ('same' may be asymmetric)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * nd, (0,) * nd
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: {padding!r}")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        before = tuple(t // 2 for t in total)
        return before, tuple(t - b for t, b in zip(total, before))
    padding = ntuple(padding, nd, "padding")
    return padding, padding


def _check_geometry(nd, x, w, b, stride, pad_before, dilation, groups):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in pad_before):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        # torch runs 1-D convolutions as 2-D ones and reports the 2-D values
        shown = [1, *dilation] if nd == 1 else list(dilation)
        raise RuntimeError(f"dilation should be greater than zero, but got {shown}")
    kernel = w.shape[2:]
    if any(k <= 0 for k in kernel):
        if nd == 3:
            raise RuntimeError(f"kernel size should be greater than zero, but got: "
                               f"{kernel[0]} x {kernel[1]} x {kernel[2]} (TxHxW)")
        kh, kw = (1, kernel[0]) if nd == 1 else kernel
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{kh} kernel_width: {kw}")
    out_channels, group_channels = w.shape[0], w.shape[1]
    if out_channels == 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least 1 at "
                           f"dimension 0, but got weight of size {list(w.shape)} instead")
    if out_channels % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(w.shape)}] instead")
    if x.shape[1] != group_channels * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected "
                           f"input{list(x.shape)} to have {group_channels * groups} channels, "
                           f"but got {x.shape[1]} channels instead")
    if b is not None and (b.ndim != 1 or b.shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be "
                           f"1-dimensional with {out_channels} elements, but got bias of size "
                           f"{list(b.shape)} instead")


def _as_3d_shape(shape, nd):
    """(A, B, *spatial) -> (A, B, D, H, W) with singleton leading spatial dimensions."""
    return tuple(shape[:2]) + (1,) * (3 - nd) + tuple(shape[2:])


def _channels_last(x):
    """Whether a batched 2-D input is in torch's channels-last memory format and not also
    C-contiguous, native and writeable: the form 'depthwise_blocked' reads as it is, which
    every other variant gets copied to C order (`_c_order`)."""
    return (x.ndim == 4 and not x.flags.c_contiguous and x.dtype.isnative
            and x.flags.writeable and channels_last_contiguous(x))


def _output_layout(inputs, attrs):
    """The memory order of a 2-D convolution's fresh output: channels last (torch's memory
    format) for a depthwise one of a channels-last input, whose kernel writes it as it
    is; C order otherwise. (torch makes the output of any convolution of a channels-last
    input channels-last: for the dense ones fastnn keeps C order, a difference of strides
    only, which spares their kernels' C-order output a transposing copy.)"""
    x, w = inputs[0], inputs[1]
    if (len(inputs) == 3 and "activation" not in attrs and attrs.groups == x.shape[1] > 1
            and w.shape[:2] == (x.shape[1], 1) and _channels_last(x)):
        return (0, 2, 3, 1)
    return None


def _c_order(run):
    """`run` on C-contiguous arrays: a channels-last input (`_channels_last`) is copied, a
    channels-last output (`_output_layout`) written through a C-order one."""
    def run_c_order(x, w, b, out, *args, **kwargs):
        if not x.flags.c_contiguous:
            x = _ready(x)
        if out.flags.c_contiguous:
            return run(x, w, b, out, *args, **kwargs)
        written = np.empty(out.shape, out.dtype)
        run(x, w, b, written, *args, **kwargs)
        out[...] = written
    return run_c_order


def _ready(arr):
    flags = arr.flags
    if flags.c_contiguous and flags.writeable and arr.dtype.isnative:
        return arr
    # a read-only array would make Numba compile another specialisation of each kernel
    arr = kernel_array(arr)
    return arr if arr.flags.writeable else arr.copy()


# ---------------------------------------------------------------------------------------
# variants: each runs on (x5, w5, bias or None, out5, stride, pad_before, pad_after,
# dilation, groups), with 5-D arrays and 3-tuples (1-D and 2-D have singleton dims)
# ---------------------------------------------------------------------------------------

def _work(w, out):
    """`launch`'s work of a convolution: half its multiply-adds."""
    return out.size * (w.size // w.shape[0]) // 2


def _bias_args(b, dtype):
    """(bias, has_bias) as every convolution kernel takes them: has_bias an int (1: one
    value per output channel), as linear's 'pointwise' passes it to the same tiles (2: one
    per position), so both share one compilation."""
    return (b, 1) if b is not None else (np.zeros(1, dtype=dtype), 0)


def _padded_phased(x, w, out, stride, pad_before, pad_after, dilation):
    """How `conv3d_direct` and `conv3d_grouped_h3` read the input: each task copies the
    rows it reads into its own zero-padded, phased scratch (kernels/conv_pad.py), which
    removes every bounds check and makes strided taps contiguous; a stride-1 input that
    needs no padding is read as it is. Returns (span of a phase, whether in place, the tap
    offsets along W)."""
    kw, sw, dw = w.shape[4], stride[2], dilation[2]
    wd = x.shape[4]
    span = _pad_kernels.phase_span(out.shape[4], kw, dw, sw, wd + pad_before[2] + pad_after[2])
    in_place = not (any(pad_before) or any(pad_after) or sw > 1 or span > wd)
    if in_place:
        span = wd
    return span, in_place, _pad_kernels.tap_offsets(kw, dw, sw, span)


def _run_direct(x, w, b, out, stride, pad_before, pad_after, dilation, groups, fused=None):
    span, in_place, taps = _padded_phased(x, w, out, stride, pad_before, pad_after, dilation)
    launch(_kernels.conv3d_direct, x, w, *_bias_args(b, x.dtype), out, taps, span, stride[0],
           stride[1], *pad_before, stride[2], dilation[0], dilation[1], groups, in_place,
           tile_epilogue(fused), work=_work(w, out))
    finish(out, fused, True)


def _run_grouped_h3(x, w, b, out, stride, pad_before, pad_after, dilation, groups,
                    fused=None):
    span, in_place, taps = _padded_phased(x, w, out, stride, pad_before, pad_after, dilation)
    launch(_grouped_kernels.conv3d_grouped_h3, x, w, *_bias_args(b, x.dtype), out, taps, span,
           stride[0], stride[1], *pad_before, stride[2], dilation[0], groups, in_place,
           tile_epilogue(fused), work=_work(w, out))
    finish(out, fused, True)


def _padded_rows(rows):
    """rows (N, C, P) copied into a per-thread scratch of rows one cache line longer (N, C,
    P + line), by the threads (`kernels.block_copy`): rows whose length aliases in L1
    (`conv_pointwise.rows_alias`)."""
    n, c, p = rows.shape
    length = p + 64 // rows.dtype.itemsize
    padded = thread_scratch("pointwise rows", n * c * length, rows.dtype).reshape(
        n * c, length)
    launch(_block_copy_kernels.copy_columns, rows.reshape(n * c, p), padded, 0,
           work=rows.size)
    return padded.reshape(n, c, length)


def _run_pointwise(x, w, b, out, stride, pad_before, pad_after, dilation, groups,
                   fused=None):
    """A 1x1 or 1-D convolution as register-tiled GEMMs over NCDHW rows
    (kernels/conv_pointwise.py): a stride-1 1x1 kernel and an unpadded stride-1 1-D one
    read the input as it is (a 1x1 kernel's rows that alias in L1 copied into longer
    rows first: `conv_pointwise.rows_alias`); otherwise each task copies its positions of
    the rows (a strided 1x1 kernel: the positions it reads; a 1-D one: padded, phased)
    into its own scratch, one shifted GEMM per tap; weights are read as they are."""
    n, c, _, h, wd = x.shape
    k = w.shape[0]
    kw, sw, dw = w.shape[4], stride[2], dilation[2]
    oh, ow = out.shape[3:]
    pack, span = _pointwise_kernels.IN_PLACE, 0
    rows = x.reshape(n, c, -1)
    if w.shape[2:] == (1, 1, 1):
        taps = np.zeros(1, np.uint64)
        if stride != (1, 1, 1):
            pack = _pointwise_kernels.PACK_STRIDED
            span = _pointwise_kernels.strided_span(x.dtype.itemsize)
        elif _pointwise_kernels.rows_alias(c, rows.shape[2], x.dtype.itemsize):
            rows = _padded_rows(rows)
    else:
        span, in_place, taps = _padded_phased(x, w, out, stride, pad_before, pad_after,
                                              dilation)
        if not in_place:
            pack, span = _pointwise_kernels.PACK_1D, _pointwise_kernels.chunk_span(kw, dw, sw)
            taps = _pad_kernels.tap_offsets(kw, dw, sw, span)
    launch(_pointwise_kernels.conv_rows, rows, w.reshape(k, c, -1),
           *_bias_args(b, x.dtype), out.reshape(n, k, -1), taps, pack, span, stride[0],
           stride[1], sw, pad_before[2], h, wd, oh, ow,
           _pointwise_kernels.channel_parts(n, get_num_threads()), tile_epilogue(fused),
           work=_work(w, out))
    finish(out, fused, True)


def _run_blocked(x, w, b, out, stride, pad_before, pad_after, dilation, groups, fused=None,
                 packed=None):
    """Dense convolution with weights packed in blocks of 16 channels; each task packs the
    input rows its band of output rows reads into a per-thread scratch kept between calls
    and runs a part of the output channels over them (kernels/conv_blocked.py; PERF.md's
    probe layout). A weight given as it is (not frozen) is packed group by group inside
    the kernel where each thread runs each of its groups once (one plane in one band, its
    output channels split over the threads: batch 1, or one pass of all its bands:
    `planes_per_pass`, weights larger than L2 on small planes), else packed whole before
    it (`python benchmarks/rules.py weightpack` and `planes` time both). Given `packed`
    (`pack_weight`'s form, made by the caller), only the shape of `w` is read."""
    threads = get_num_threads()
    parts = _blocked_kernels.channel_parts(x.shape, w.shape, out.shape, x.dtype.itemsize,
                                           threads)
    bands = _blocked_kernels.band_count(x.shape, w.shape, out.shape, stride, dilation,
                                        x.dtype.itemsize, threads // parts)
    planes = _blocked_kernels.planes_per_pass(x.shape, w.shape, out.shape, stride, dilation,
                                              bands, parts, x.dtype.itemsize, threads)
    size = _blocked_kernels.scratch_size(w.shape, out.shape, stride, dilation, bands) * planes
    scratch = thread_scratch("blocked rows", threads * size, x.dtype).reshape(threads, size)
    stage = _NO_STAGE[x.dtype.itemsize]
    if _blocked_kernels.stage_pays(out.shape, x.dtype.itemsize):
        size = _blocked_kernels.stage_size(out.shape, bands, x.dtype.itemsize)
        stage = thread_scratch("blocked stage", threads * size, x.dtype).reshape(threads, size)
    if packed is not None:
        group_weights = _NO_GROUP_WEIGHTS[x.dtype.itemsize]
    elif frozen_forms(w) is None and (
            # each chunk runs each group once: in one pass of all its bands, or over its
            # one band (batch 1, the output channels split over the threads)
            planes > 1 and planes == -(-x.shape[0] * out.shape[2] * bands // threads)
            or parts == threads > 1 and bands == 1 and x.shape[0] * out.shape[2] == 1):
        packed = _NO_PACKED[x.dtype.itemsize]
        per_group = _blocked_kernels.group_weights_size(w.shape, x.dtype.itemsize)
        group_weights = thread_scratch("blocked group weights", threads * per_group,
                                       x.dtype).reshape(threads, per_group)
    else:
        packed = _blocked_weight(w)
        group_weights = _NO_GROUP_WEIGHTS[x.dtype.itemsize]
    launch(_blocked_kernels.conv3d_blocked, x, w, *_bias_args(b, x.dtype), out, *stride,
           *pad_before, *dilation, bands, parts, planes, scratch, stage, packed, group_weights,
           tile_epilogue(fused), work=_work(w, out))
    finish(out, fused, True)


# what conv3d_blocked gets for the form of the weight it does not read
_NO_PACKED = {size: np.zeros((0,) * 7, f"f{size}") for size in (4, 8)}
_NO_GROUP_WEIGHTS = {size: np.zeros((0, 0), f"f{size}") for size in (4, 8)}
_NO_STAGE = _NO_GROUP_WEIGHTS


# the per-thread buffer a weight is packed into for 'blocked' (also by the input gradient's
# flipped pack, `_conv_transpose_run._run_packed`)
BLOCKED_WEIGHT_SCRATCH = "blocked weight"


def _blocked_weight(w):
    """`w` packed for 'blocked' (`packed_form`: once per frozen weight, else on every call
    into a per-thread buffer). numpy's pack (zeros, then a transposed copy) allocated two
    weight-sized temporaries per call, whose page faults cost ResNet's 3x3 s2 layers more
    than packing into a kept buffer (`python -m fastnn bench --memory` shows what a call
    allocates)."""
    def pack(w, wb):
        launch(_blocked_kernels.pack_weight, w, wb, work=wb.size)
    return packed_form(w, ("blocked", w.shape), _blocked_kernels.packed_weight_shape(w.shape),
                       pack, BLOCKED_WEIGHT_SCRATCH)


def _run_depthwise(x, w, b, out, stride, pad_before, pad_after, dilation, groups,
                   fused=None):
    kw, sw, dw = w.shape[4], stride[2], dilation[2]
    span = _pad_kernels.phase_span(out.shape[4], kw, dw, sw,
                                   x.shape[4] + pad_before[2] + pad_after[2])
    taps = _pad_kernels.tap_offsets(kw, dw, sw, span)
    launch(_depthwise_kernels.conv3d_depthwise, x, w, *_bias_args(b, x.dtype), out, taps, span,
           stride[0], stride[1], *pad_before, sw, dilation[0], dilation[1], groups,
           tile_epilogue(fused), work=_work(w, out))
    finish(out, fused, True)


def _run_depthwise_blocked(x, w, b, out, stride, pad_before, pad_after, dilation, groups,
                           fused=None):
    """A 2-D depthwise convolution with 16 channels in each vector's lanes
    (kernels/conv_depthwise_blocked.py): each task packs its 16 input planes, padded, into
    a per-thread scratch kept between calls. A channels-last input is read as it is."""
    threads = get_num_threads()
    x_last, out_last = not x.flags.c_contiguous, not out.flags.c_contiguous
    x_given = x.transpose(0, 2, 3, 4, 1) if x_last else x
    out_given = out.transpose(0, 2, 3, 4, 1) if out_last else out
    size = _depthwise_blocked_kernels.scratch_size(w.shape, out.shape, stride, dilation)
    scratch = thread_scratch("depthwise blocked", threads * size, x.dtype)
    scratch = scratch.reshape(threads, size)
    launch(_depthwise_blocked_kernels.conv2d_depthwise_blocked, x_given, w,
           *_bias_args(b, x.dtype), out_given, stride[1], stride[2], pad_before[1],
           pad_before[2], dilation[1], dilation[2], x_last, out_last, scratch,
           tile_epilogue(fused), work=_work(w, out))
    finish(out, fused, True)


def _run_naive(x, w, b, out, stride, pad_before, pad_after, dilation, groups, fused=None):
    launch(_kernels.conv3d_bounds, x, w, *_bias_args(b, x.dtype), out, *stride,
           *pad_before, *dilation, groups, work=_work(w, out))
    finish(out, fused, False)


def _run_im2col_gemm(x, w, b, out, stride, pad_before, pad_after, dilation, groups,
                     fused=None):
    """Per sample: im2col into one reused buffer, then one batched BLAS matmul over the
    groups, written straight into `out`. A 1x1, stride-1, unpadded convolution needs no
    im2col: the input plane already is the column matrix."""
    n, c, *spatial = x.shape
    k, cg, *kernel = w.shape
    out_spatial = out.shape[2:]
    positions = out_spatial[0] * out_spatial[1] * out_spatial[2]
    taps = kernel[0] * kernel[1] * kernel[2]
    plain = (taps == 1 and stride == (1, 1, 1) and not any(pad_before)
             and tuple(spatial) == tuple(out_spatial))
    if plain and groups == 1:
        _plain_matmuls(x.reshape(n, c, positions), w.reshape(k, c), b,
                       out.reshape(n, k, positions))
        finish(out, fused, False)
        return
    weights = w.reshape(groups, k // groups, cg * taps)
    cols = None if plain else checked_empty((c * taps, positions), x.dtype)
    with np.errstate(invalid="ignore", over="ignore"):   # NaN/inf propagate as in torch
        for i in range(n):
            if plain:
                source = x[i].reshape(groups, cg, positions)
            else:
                launch(_im2col_kernels.im2col3d, x, i, cols, *kernel, *out_spatial, *stride,
                       *pad_before, *dilation, work=cols.size)
                source = cols.reshape(groups, cg * taps, positions)
            target = out[i].reshape(groups, k // groups, positions)
            np.matmul(weights, source, out=target)
            if b is not None:
                np.add(target, b.reshape(groups, k // groups, 1), out=target)
    finish(out, fused, False)


def _plain_matmuls(x, w, b, out):
    """out[i] = w @ x[i] (+ b per row) for an ungrouped, unpadded, stride-1 1x1 kernel:
    2-D matmuls on the planes as they are (a squeeze-and-excitation block's layers, on one
    position, are small enough that the batched form's and np.errstate's entry costs
    showed beside torch: `python benchmarks/op_overhead.py`)."""
    token = _errstate.ignore()          # NaN/inf propagate as in torch, silently
    try:
        for i in range(x.shape[0]):
            np.matmul(w, x[i], out=out[i])
            if b is not None:
                np.add(out[i], b[:, None], out=out[i])
    finally:
        _errstate.restore(token)


def _depthwise_only(x, w, *rest):
    return None if w.shape[1] == 1 else "it needs one input channel per group"


def _depthwise_2d_only(x, w, b, out, stride, pad_before, pad_after, dilation, groups,
                       fused=None):
    if w.shape[1] != 1 or w.shape[0] != x.shape[1]:
        return "it needs one input and one output channel per group"
    if x.shape[2] != 1 or w.shape[2] != 1:
        return "it needs a 1-D or 2-D convolution"
    return None


def _dense_only(x, w, b, out, stride, pad_before, pad_after, dilation, groups, fused=None):
    return None if groups == 1 else "it needs groups=1"


def _pointwise_only(x, w, b, out, stride, pad_before, pad_after, dilation, groups,
                    fused=None):
    if groups != 1:
        return "it needs groups=1"
    if w.shape[2:] == (1, 1, 1):
        if any(pad_before) or any(pad_after):
            return "it needs an unpadded 1x1 kernel or a 1-D convolution"
    elif w.shape[2:4] != (1, 1) or x.shape[2:4] != (1, 1) or out.shape[2:4] != (1, 1):
        return "it needs an unpadded 1x1 kernel or a 1-D convolution"
    if out.shape[2] * out.shape[3] * out.shape[4] < _pointwise_kernels.MIN_POSITIONS:
        return f"it needs {_pointwise_kernels.MIN_POSITIONS} output positions per plane"
    return None


def _grouped_h3_only(x, w, b, out, stride, pad_before, pad_after, dilation, groups,
                     fused=None):
    return grouped_h3_refuses(w.shape, out.shape, stride, dilation, groups)


def grouped_h3_refuses(w_shape, out_shape, stride, dilation, groups):
    """Why 'grouped_h3' cannot run a convolution of these 5-D shapes, or None."""
    if w_shape[3] != 3 or stride[1] > 2 or dilation[1] != 1:
        return "it needs 3 kernel rows, stride 1 or 2 and dilation 1 along H"
    if (w_shape[0] // groups) % 4 or out_shape[3] < 4:
        return "it needs a multiple of 4 output channels per group and 4 output rows"
    return None


# output positions per plane up to which a strided depthwise convolution goes to
# 'depthwise_blocked', and up to which any does; the kernel taps from which one of stride
# and dilation 1 along W does at any size (`_depthwise_blocked_pays`)
DEPTHWISE_BLOCKED_MAX_POSITIONS = 14 * 14
DEPTHWISE_BLOCKED_ANY_STRIDE_POSITIONS = 7 * 7
DEPTHWISE_BLOCKED_MIN_TAPS = 5 * 5


def _depthwise_blocked_pays(x, w, out, stride, dilation, groups):
    """Whether 'depthwise_blocked' (16 channels in the lanes) is the default for a depthwise
    convolution: 1-D or 2-D, one output channel per group, and a channels-last input,
    which it reads as it is (where 'depthwise' needs it copied to NCHW), or at most
    DEPTHWISE_BLOCKED_ANY_STRIDE_POSITIONS output positions per plane, or stride 2 or
    more along W and at most DEPTHWISE_BLOCKED_MAX_POSITIONS, or stride and dilation 1
    along W and at least DEPTHWISE_BLOCKED_MIN_TAPS kernel taps (its tiles then slide
    along the row: one load per tap). There it ran faster than 'depthwise' (MobileNet's,
    EfficientNet's and ConvNeXt's layers onto 7x7 planes, their strided layers onto 14x14
    ones, where 'depthwise''s rows fill few lanes, and their 5x5 and 7x7 layers); 3x3
    layers at stride 1 onto larger planes, and strided ones onto larger planes, were
    faster on 'depthwise' on NCHW inputs (`python benchmarks/rules.py depthwise` times
    both on either layout)."""
    if _depthwise_2d_only(x, w, None, out, stride, None, None, None, groups) is not None:
        return False
    positions = out.shape[3] * out.shape[4]
    return (not x.flags.c_contiguous or positions <= DEPTHWISE_BLOCKED_ANY_STRIDE_POSITIONS
            or stride[2] >= 2 and positions <= DEPTHWISE_BLOCKED_MAX_POSITIONS
            or stride[2] == dilation[2] == 1
            and w.shape[3] * w.shape[4] >= DEPTHWISE_BLOCKED_MIN_TAPS)


def _blocked_pays(w, out, groups):
    """Whether 'blocked' is the default for a dense convolution. It needs >= 16 input and
    >= 32 output channels (fewer pad badly to its blocks of 16: a 3-channel stem computes
    16, and 16 output channels compute one block twice) and 2-D or 3-D planes (on 1-D rows
    its packing is a third of the work). Then it goes at any size, though weights as given
    are packed on every call: with 32 vector registers (AVX-512) it was faster than
    'direct', or within 10%, on every layer of `python benchmarks/rules.py positions` but
    a 64-channel 14x14 one (two groups of output blocks for two threads), down to 2x2
    planes. On AVX2 (16 registers), against 'direct''s tiles of 6 channels
    (`kernels._shapes.direct_shape`), it was faster or level on ResNet-18's 3x3 layers at
    batch 1. `python benchmarks/rules.py resnet` and `python benchmarks/rules.py variants`
    time every variant against this choice; docs/PERF.md keeps their output with the CPU
    it came from."""
    return (groups == 1 and w.shape[1] >= 16 and w.shape[0] >= 32
            and out.shape[2] * out.shape[3] > 1)


# Per-sample multiply-adds up to which a 1x1 convolution goes to BLAS (see _rule).
GEMM_1X1_MAX_MACS = 1 << 24


def _is_plain_1x1(w, stride, pad_before, pad_after, groups):
    return (w.shape[2:] == (1, 1, 1) and stride == (1, 1, 1) and not any(pad_before)
            and not any(pad_after) and groups == 1)


# input channels per group up to which 'grouped_h3' is the default where its tile holds as
# many accumulators as 'direct''s; where it holds fewer, only stride-1 convolutions of up
# to GROUPED_H3_FEWER_MAX_CHANNELS per group and GROUPED_H3_FEWER_MAX_BATCH samples
# (`_grouped_h3_pays`)
GROUPED_H3_MAX_CHANNELS = 64
GROUPED_H3_FEWER_MAX_CHANNELS = 8
GROUPED_H3_FEWER_MAX_BATCH = 2


def _rule(x, w, b, out, stride, pad_before, pad_after, dilation, groups, fused=None):
    """Default choice:
    - one input channel per group, groups > 1 -> 'depthwise', or 'depthwise_blocked'
      where `_depthwise_blocked_pays` (a channels-last input, small planes, 5x5 and
      larger kernels), or 'naive' when a weight is not finite (torch's
      depthwise kernel skips padding taps, so an inf weight gives 0 there, where
      multiplying the zero padding gives NaN; with groups=1 and one input channel torch
      runs its dense kernel, which multiplies them, and so does 'direct');
    - an ungrouped, unpadded 1x1 convolution (any stride) or a 1-D convolution with at
      least 16 output positions per plane -> 'pointwise' (GEMMs on the rows as they are:
      no packing, no copy);
    - a smaller plain 1x1 one of at most GEMM_1X1_MAX_MACS multiply-adds per sample ->
      'im2col_gemm' (one BLAS GEMM on the input as it is: there the Numba kernels' launch
      and tile edges cost more than BLAS's call). Above that OpenBLAS splits the GEMM over
      both threads with a static barrier, which on a loaded 2-core machine waits whole
      scheduler slices, so larger ones stay with the Numba kernels;
    - a grouped convolution that 'grouped_h3' takes where `_grouped_h3_pays` ->
      'grouped_h3';
    - a dense 2-D or 3-D one where `_blocked_pays` -> 'blocked';
    - otherwise 'direct'.
    `python -m fastnn bench --variants` and `python benchmarks/rules.py variants` time
    every applicable variant against this choice (docs/PERF.md has their output).
    """
    if w.shape[1] == 1 and groups > 1:
        if not np.isfinite(w).all():
            return "naive"
        if _depthwise_blocked_pays(x, w, out, stride, dilation, groups):
            return "depthwise_blocked"
        return "depthwise"
    if _pointwise_only(x, w, b, out, stride, pad_before, pad_after, dilation, groups) is None:
        return "pointwise"
    if (_is_plain_1x1(w, stride, pad_before, pad_after, groups)
            and w.shape[1] * out[0].size <= GEMM_1X1_MAX_MACS):
        return "im2col_gemm"
    if (groups > 1 and _grouped_h3_pays(x, w, stride)
            and _grouped_h3_only(x, w, b, out, stride, pad_before, pad_after, dilation,
                                 groups) is None):
        return "grouped_h3"
    if _blocked_pays(w, out, groups):
        return "blocked"
    return "direct"


def _grouped_h3_pays(x, w, stride):
    """Whether a grouped convolution of 2 or more input channels per group runs on
    'grouped_h3' rather than 'direct'. Where the grouped tile holds as many accumulators
    as the direct one (AVX-512: 4x4 against 8x2, `kernels._shapes`), up to
    GROUPED_H3_MAX_CHANNELS per group: faster there, level at 128-256. Where it holds
    fewer (AVX2: 2x4 against 6x2), 'direct' ran level with it on stride-1 convolutions
    of one or two samples and up to 8 channels per group, which stay on it, and faster
    on the rest: batches of four or eight, 16-64 channels per group, stride 2
    (`python benchmarks/rules.py grouped`)."""
    if _grouped_tile_as_wide(target().vector_bits, x.dtype.itemsize):
        return 2 <= w.shape[1] <= GROUPED_H3_MAX_CHANNELS
    return (2 <= w.shape[1] <= GROUPED_H3_FEWER_MAX_CHANNELS and stride == (1, 1, 1)
            and x.shape[0] <= GROUPED_H3_FEWER_MAX_BATCH)


@functools.lru_cache(maxsize=None)
def _grouped_tile_as_wide(bits, itemsize):
    """Whether 'grouped_h3''s tile holds as many accumulators as 'direct''s."""
    return (math.prod(_shapes.grouped_shape(bits, itemsize))
            >= math.prod(_shapes.direct_shape(bits, itemsize)))


def _tune_class(inputs, attrs):
    """The shape class of a measured variant decision (`fastnn._tuning`): batch and
    spatial sizes bucketed; channels, kernel, bias and every argument exact."""
    x, w, b = inputs[:3]
    shape = x.shape if x.ndim == w.ndim else (1,) + x.shape
    padding = _sizes(attrs.padding)
    if attrs.padding_end != attrs.padding:
        padding += "/" + _sizes(attrs.padding_end)
    return (f"{x.dtype.name} x={dims(shape, exact=(1,))} w={list(w.shape)} "
            f"{'bias' if b is not None else 'no bias'} stride={_sizes(attrs.stride)} "
            f"padding={padding} dilation={_sizes(attrs.dilation)} groups={attrs.groups}")


def _sizes(values):
    return "x".join(map(str, values))


# every variant's run, which takes the 5-D kernel arguments of any of the three ops
# (`_kernel_args`), and its refusal; 'naive' is never autotuned (exact but slow: one output
# element at a time, the reference)
_VARIANTS = {"direct": (_c_order(_run_direct), None),
             "depthwise": (_c_order(_run_depthwise), _depthwise_only),
             "depthwise_blocked": (_run_depthwise_blocked, _depthwise_2d_only),
             "im2col_gemm": (_c_order(_run_im2col_gemm), None),
             "naive": (_c_order(_run_naive), None),
             "blocked": (_c_order(_run_blocked), _dense_only),
             "pointwise": (_c_order(_run_pointwise), _pointwise_only),
             "grouped_h3": (_c_order(_run_grouped_h3), _grouped_h3_only)}
# the variants an op does not offer: 'depthwise_blocked' has no depth, 'grouped_h3' no rows
_NOT_FOR = {1: ("grouped_h3",), 2: (), 3: ("depthwise_blocked",)}


def run_convolution(*args, variant=None):
    """Run a convolution given as 5-D kernel arguments (`_kernel_args`: x, w, b, out,
    stride, padding, padding_end, dilation, groups) on `variant`, or on the default rule's
    pick: the convolutions that transposed convolutions and gradients run inside."""
    _VARIANTS[variant or _rule(*args)][0](*args)


for _nd in (1, 2, 3):
    _op = f"conv{_nd}d"
    _registry.register_op(
        _op, lambda *a, _nd=_nd, **k: _normalize(_nd, *a, **k),
        lambda inputs, attrs, _nd=_nd: _meta(_nd, inputs, attrs), arrays=_arrays,
        plan=lambda inputs, attrs, meta, _nd=_nd: _plan(_nd, inputs, attrs, meta),
        kernel_args=lambda inputs, attrs, out, plan, _nd=_nd: _kernel_args(
            _nd, inputs, attrs, out, plan),
        rule=_rule, tune_class=_tune_class, layout=_output_layout if _nd == 2 else None)
    for _name, (_run, _refusal) in _VARIANTS.items():
        if _name not in _NOT_FOR[_nd]:
            _registry.register_variant(_op, _name, _run, _refusal, auto=_name != "naive")
