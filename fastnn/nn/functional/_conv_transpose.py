"""F.conv_transpose1d / conv_transpose2d / conv_transpose3d: torch's checks and words.

The ops "conv_transpose1d", "conv_transpose2d" and "conv_transpose3d" pass the door
(`fastnn._dispatch`) with two variants: 'phased' (the default: one ordinary convolution
per output phase, on fastnn's convolution kernels; `_conv_transpose_run` explains it) and
'naive' (every phase on the exact `conv3d_bounds`, which skips padding taps). 1-D and 2-D
run as 3-D with singleton dimensions. The argument parsing and the checks torch shares
with convolution (`_conv`) are reused from there.
"""
import math

from ... import _registry
from ..._args import torch_type_name
from ..._dispatch import dispatch
from ..._registry import Attrs
from .._utils import check_alloc, check_float, ntuple
from . import _conv
from . import _conv_transpose_run as _run

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]

_AXES = {1: ("height", "width"), 2: ("height", "width"), 3: ("depth", "height", "width")}


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    r"""1-D transposed convolution ("deconvolution"), the input gradient of conv1d.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``
        weight: ``(C_in, C_out / groups, kL)``
        bias: optional ``(C_out,)``. Default: ``None``
        stride, padding, output_padding, dilation: an int or a one-element tuple;
            `padding` removes ``padding`` positions from each end of the output,
            `output_padding` (< stride or < dilation) adds positions at its end
        groups (int): split of the input channels into groups. Default: 1

    Shape:
        ``L_out = (L - 1) * stride - 2 * padding + dilation * (kL - 1) + output_padding + 1``

    Examples::

        >>> F.conv_transpose1d(fastnn.randn(20, 16, 50), fastnn.randn(16, 33, 5)).shape
        (20, 33, 54)
    """
    return dispatch("conv_transpose1d", input, weight, bias, stride, padding,
                    output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    r"""2-D transposed convolution ("deconvolution"), the input gradient of conv2d.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``
        weight: ``(C_in, C_out / groups, kH, kW)``
        bias: optional ``(C_out,)``. Default: ``None``
        stride, padding, output_padding, dilation: an int or a ``(h, w)`` tuple
        groups (int): split of the input channels into groups. Default: 1

    Shape:
        ``H_out = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kH - 1)
        + output_padding[0] + 1``, ``W_out`` likewise with index 1.

    Examples::

        >>> F.conv_transpose2d(fastnn.randn(1, 8, 14, 14), fastnn.randn(8, 4, 2, 2),
        ...                    stride=2).shape
        (1, 4, 28, 28)
    """
    return dispatch("conv_transpose2d", input, weight, bias, stride, padding,
                    output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    r"""3-D transposed convolution ("deconvolution"), the input gradient of conv3d.

    Args:
        input: ``(N, C_in, D, H, W)`` or unbatched ``(C_in, D, H, W)``
        weight: ``(C_in, C_out / groups, kD, kH, kW)``
        bias: optional ``(C_out,)``, of the input's dtype. Default: ``None``
        stride, padding, output_padding, dilation: an int or a ``(d, h, w)`` tuple
        groups (int): split of the input channels into groups. Default: 1

    Shape:
        ``D_out = (D - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kD - 1)
        + output_padding[0] + 1``, ``H_out``, ``W_out`` likewise.

    Examples::

        >>> F.conv_transpose3d(fastnn.randn(1, 4, 3, 5, 5), fastnn.randn(4, 2, 3, 3, 3),
        ...                    stride=2, padding=1, output_padding=1).shape
        (1, 2, 6, 10, 10)
    """
    return dispatch("conv_transpose3d", input, weight, bias, stride, padding,
                    output_padding, groups, dilation)


def _arrays(input, weight, bias=None, *args, **kwargs):
    return _conv._arrays(input, weight, bias)


def _normalize(nd, input, weight, bias=None, stride=1, padding=0, output_padding=0,
               groups=1, dilation=1):
    """All of torch's checks, in torch's order: ((x, w, b), Attrs(stride, padding,
    output_padding, dilation, groups)), every attribute an `nd`-tuple but groups."""
    x, w, b = inputs = _arrays(input, weight, bias)
    check_float(x, "input")
    check_float(w, "weight")
    if b is not None and b.dtype.kind not in "biuf":
        check_float(b, "bias")
    stride = ntuple(stride, nd, "stride")
    x = _conv.batched_input(x, w, nd, f"conv_transpose{nd}d", stride,
                            weight_rank_checked=False)
    padding = ntuple(padding, nd, "padding")
    output_padding = ntuple(output_padding, nd, "output_padding")
    dilation = ntuple(dilation, nd, "dilation")
    groups = _conv._groups(groups)
    _check_shape_forward(x, w, b, stride, padding, output_padding, dilation, groups)
    if w.dtype.newbyteorder("=") != x.dtype.newbyteorder("="):
        raise RuntimeError(f"expected scalar type {torch_type_name(x.dtype)} but found "
                           f"{torch_type_name(w.dtype)}")
    attrs = Attrs(stride=stride, padding=padding, output_padding=output_padding,
                  dilation=dilation, groups=groups)
    sizes = _output_sizes(x, w, attrs)
    if x.shape[0]:
        _check_kernel_args(nd, x, w, attrs, sizes)
        if nd == 3 and b is not None and b.dtype.newbyteorder("=") != x.dtype.newbyteorder("="):
            raise RuntimeError(f"expected scalar type {torch_type_name(x.dtype)} but found "
                               f"{torch_type_name(b.dtype)}")
    else:
        _check_empty_batch(x, w, groups, sizes)
    shape, dtype = _meta(nd, inputs, attrs)
    check_alloc(shape, dtype)
    return inputs, attrs


def _check_shape_forward(x, w, b, stride, padding, output_padding, dilation, groups):
    """The checks torch's convolution entry point makes (ATen's check_shape_forward)."""
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if w.ndim != x.ndim:
        raise RuntimeError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional "
                           f"weight {list(w.shape)}, but got {x.ndim}-dimensional input of "
                           f"size {list(x.shape)} instead")
    if w.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} "
                           f"at dimension 0, but got weight of size {list(w.shape)} instead")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(w.shape)}] instead")
    if x.shape[1] != w.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected "
                           f"input{list(x.shape)} to have {w.shape[0]} channels, but got "
                           f"{x.shape[1]} channels instead")
    out_channels = w.shape[1] * groups
    if b is not None and (b.ndim != 1 or b.shape[0] != out_channels):
        raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected bias "
                           f"to be 1-dimensional with {out_channels} elements, but got bias "
                           f"of size {list(b.shape)} instead")


def _output_sizes(x, w, attrs):
    return tuple((x.shape[2 + i] - 1) * attrs.stride[i] - 2 * attrs.padding[i]
                 + attrs.dilation[i] * (w.shape[2 + i] - 1) + attrs.output_padding[i] + 1
                 for i in range(w.ndim - 2))


def _check_kernel_args(nd, x, w, attrs, sizes):
    """The checks of torch's CPU kernels (slow_conv_transpose2d/3d shape checks), which
    only run on a non-empty batch. 1-D runs as 2-D there: its messages show height 1."""
    lift = (lambda values, one: (one,) + tuple(values)) if nd == 1 else (
        lambda values, one: tuple(values))
    axes = _AXES[nd]
    shape = list(x.shape[:2]) + ([1] if nd == 1 else []) + list(x.shape[2:])
    if any(not s for s in x.shape[2:]):
        raise RuntimeError(f"Only zero batch or zero channel inputs are supported, but got "
                           f"input shape: {shape}")
    w_shape = list(w.shape[:2]) + ([1] if nd == 1 else []) + list(w.shape[2:])
    if nd < 3:
        kernel = lift(w.shape[2:], 1)
        if any(k <= 0 for k in kernel):
            raise RuntimeError(f"kernel size should be greater than zero, but got "
                               f"kernel_height: {kernel[0]} kernel_width: {kernel[1]}")
    dilation = lift(attrs.dilation, 1)
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero, but got " + ", ".join(
            f"dilation_{a}: {d}" for a, d in zip(axes, dilation)))
    stride, output_padding = lift(attrs.stride, 1), lift(attrs.output_padding, 0)
    if any(p >= s and p >= d for p, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got " + " ".join(
                [f"output_padding_{a}: {p}" for a, p in zip(axes, output_padding)]
                + [f"stride_{a}: {s}" for a, s in zip(axes, stride)]
                + [f"dilation_{a}: {d}" for a, d in zip(axes, dilation)]))
    if not w.size:
        raise RuntimeError(
            f"non-empty 2D or 4D weight tensor expected, but got: {w_shape}" if nd < 3 else
            "non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x "
            f"kernel_width) tensor expected for weight, but got: {w_shape}")
    if any(s < 1 for s in sizes):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, lift(x.shape[2:], 1)))}). "
            f"Calculated output size per channel: ({' x '.join(map(str, lift(sizes, 1)))}). "
            f"Output size is too small")


def _check_empty_batch(x, w, groups, sizes):
    """torch skips the kernel checks for an empty batch; what still fails there (1-D
    runs as 2-D)."""
    shape = [0, w.shape[1] * groups, *([1] if len(sizes) == 1 else []), *sizes]
    for i, size in enumerate(shape):
        if size < 0:
            raise RuntimeError(f"invalid shape dimension {size} at index {i} of shape {shape}")
    if not w.size and not any(s == 0 for s in x.shape[2:]):
        raise IndexError("select(): index 0 out of range for tensor of size [0] at "
                         "dimension 0")


def _meta(nd, inputs, attrs):
    """(output shape, dtype) of a checked transposed convolution."""
    x, w = inputs[0], inputs[1]
    sizes = _output_sizes(x[None] if x.ndim == nd + 1 else x, w, attrs)
    lead = (x.shape[0],) if x.ndim == nd + 2 else ()
    return lead + (w.shape[1] * attrs.groups,) + sizes, x.dtype.newbyteorder("=")


def _as_3d(values, one):
    return (one,) * (3 - len(values)) + tuple(values)


def _plan(nd, inputs, attrs, meta):
    """5-D shapes of input, weight and output and the phases; None for an empty output."""
    x, w = inputs[0], inputs[1]
    out_shape = meta[0]
    if not math.prod(out_shape):
        return None
    if x.ndim == nd + 1:
        x_shape, out_shape = (1,) + x.shape, (1,) + tuple(out_shape)
    else:
        x_shape = x.shape
    shapes5 = tuple(_conv._as_3d_shape(s, nd) for s in (x_shape, w.shape, out_shape))
    phases = _run.plan(*shapes5, _as_3d(attrs.stride, 1), _as_3d(attrs.padding, 0),
                       _as_3d(attrs.dilation, 1), attrs.groups)
    return shapes5, phases


def _kernel_args(inputs, attrs, out, plan):
    if plan is None:
        return None
    x, w, b = inputs
    shapes5, phases = plan
    if b is not None:
        b = _conv._ready(b.astype(out.dtype, copy=False))
    return (_conv._ready(x).reshape(shapes5[0]), _conv._ready(w).reshape(shapes5[1]), b,
            out.reshape(shapes5[2]), phases)


def _run_phased(x, w, b, out, phases):
    _run.run(x, w, b, out, phases)


def _run_naive(x, w, b, out, phases):
    _run.run(x, w, b, out, phases, exact=True)


def _rule(*kernel_args):
    return "phased"


for _nd in (1, 2, 3):
    _op = f"conv_transpose{_nd}d"
    _registry.register_op(
        _op, lambda *a, _nd=_nd, **k: _normalize(_nd, *a, **k),
        lambda inputs, attrs, _nd=_nd: _meta(_nd, inputs, attrs), arrays=_arrays,
        plan=lambda inputs, attrs, meta, _nd=_nd: _plan(_nd, inputs, attrs, meta),
        kernel_args=_kernel_args, rule=_rule)
    _registry.register_variant(_op, "phased", _run_phased)
    # exact but slow (one output element at a time): the reference, never autotuned
    _registry.register_variant(_op, "naive", _run_naive, auto=False)
