"""F.unfold (im2col: the sliding blocks of a batched (N, C, H, W) or unbatched (C, H, W)
input as columns) and F.fold (col2im: those columns summed back into an image), each an op
at the door (`fastnn._dispatch`) with torch's checks and messages.

unfold runs the convolutions' `im2col3d` (kernels/im2col.py) one sample at a time, whose
columns for one sample are unfold's (C * KH * KW, L) output; fold runs `col2im2d`
(kernels/fold.py). Each is the other's gradient (`_fold_grad` below).
"""
import math

import numpy as np

from ... import _registry
from ..._args import torch_type_name, torch_typename
from ..._array import check_float
from ..._dispatch import dispatch
from ..._registry import Attrs
from ..._runtime import launch
from ...kernels import fold as _fold_kernels
from ...kernels import im2col as _im2col_kernels
from .._utils import FLOAT_DTYPES, as_array, kernel_array
from ._pool_grad import empty_like_input
from ._pool_ops import _arrays, _native

__all__ = ["unfold", "fold"]


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    r"""The sliding ``kernel_size`` blocks of `input` as columns (im2col).

    Args:
        input: :math:`(N, C, H, W)` or unbatched :math:`(C, H, W)`.
        kernel_size, dilation, padding, stride (int or pair of ints): as a convolution's.

    Shape: :math:`(N, C \times \prod(\text{kernel\_size}), L)` (no N when unbatched), L the
    number of blocks, :math:`\prod_d \lfloor (S_d + 2 p_d - d_d (k_d - 1) - 1) / s_d
    \rfloor + 1`.

    Example::
        >>> F.unfold(fastnn.randn(2, 3, 5, 5), 2).shape
        (2, 12, 16)
    """
    return dispatch("unfold", input, _pair(kernel_size), _pair(dilation), _pair(padding),
                    _pair(stride))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    r"""Sum columns of sliding blocks back into an image (col2im): the adjoint of
    :func:`unfold`; where blocks overlap their values add up.

    Args:
        input: :math:`(N, C \times \prod(\text{kernel\_size}), L)` or unbatched
            :math:`(C \times \prod(\text{kernel\_size}), L)`.
        output_size (int or pair of ints): the image's spatial shape (H, W).
        kernel_size, dilation, padding, stride (int or pair of ints): as :func:`unfold`'s.

    Shape: :math:`(N, C, H, W)` (no N when unbatched).

    Example::
        >>> F.fold(fastnn.randn(2, 12, 16), (5, 5), 2).shape
        (2, 3, 5, 5)
    """
    return dispatch("fold", input, _pair(output_size), _pair(kernel_size), _pair(dilation),
                    _pair(padding), _pair(stride))


def _pair(value):
    """torch's `_pair`: an iterable as a tuple, anything else twice."""
    try:
        return tuple(value)
    except TypeError:
        return (value, value)


# ------------------------------------------------------------------ argument checks

def _input_arg(fn, value):
    if hasattr(value, "__array__") and not isinstance(value, np.generic):
        return as_array(value)
    raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                    f"{torch_typename(value)}")


def _ints(fn, name, position, values):
    """torch's parse of a `tuple of ints` argument."""
    for pos, item in enumerate(values):
        if isinstance(item, (bool, np.bool_)) or not hasattr(item, "__index__"):
            raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be tuple of "
                            f"ints, but found element of type {torch_typename(item)} at pos "
                            f"{pos}")
    return tuple(int(item) for item in values)


def _parse(fn, input, named):
    """The input array and each (name, values) of `named` as ints, checked as torch's
    parser and then its size-2 checks do."""
    arr = _input_arg(fn, input)
    parsed = {name: _ints(fn, name, position, values)
              for position, (name, values) in enumerate(named, 2)}
    for name, values in parsed.items():
        if len(values) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(values)}")
    return arr, parsed


def _positive(label, values, suffix):
    h, w = values
    if h <= 0 or w <= 0:
        raise RuntimeError(f"{label} should be greater than zero, but got {suffix}_height: {h} "
                           f"{suffix}_width: {w}")


def _window_checks(attrs, order):
    checks = {
        "kernel_size": lambda v: _positive("kernel size", v, "kernel"),
        "dilation": lambda v: _positive("dilation", v, "dilation"),
        "stride": lambda v: _positive("stride", v, "stride"),
        "padding": _non_negative,
    }
    for name in order:
        checks[name](attrs[name])


def _non_negative(values):
    h, w = values
    if h < 0 or w < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {h} "
                           f"pad_width: {w}")


def _blocks(size, k, d, p, s):
    """Blocks along one dim (torch's div_rtn: floor division)."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _pairs(*values):
    return ", ".join(f"{name}=({a}, {b})" for name, (a, b) in values)


def _check_dtype(arr, kernel):
    if arr.dtype.newbyteorder("=") in FLOAT_DTYPES:
        return
    if arr.dtype.kind in "iu":
        raise NotImplementedError(f'"{kernel}_out_cpu" not implemented for '
                                  f"'{torch_type_name(arr.dtype)}'")
    check_float(arr)


def _dim_size(arr, dim):
    """torch's input.size(dim), with its IndexError for a missing dim."""
    if arr.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if dim >= arr.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-arr.ndim}, "
                         f"{arr.ndim - 1}], but got {dim})")
    return arr.shape[dim]


def _unfold_normalize(input, kernel_size, dilation, padding, stride):
    arr, a = _parse("im2col", input, (("kernel_size", kernel_size), ("dilation", dilation),
                                      ("padding", padding), ("stride", stride)))
    _window_checks(a, ("kernel_size", "dilation", "padding", "stride"))
    valid = _dim_size(arr, 1) != 0 and _dim_size(arr, 2) != 0
    if arr.ndim == 3:
        valid = valid and arr.shape[0] != 0
    elif arr.ndim == 4:
        valid = valid and arr.shape[3] != 0
    if arr.ndim not in (3, 4) or not valid:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           "and other non-zero dimensions for input, but got: "
                           f"{list(arr.shape)}")
    size = arr.shape[-2:]
    blocks = tuple(_blocks(*v) for v in zip(size, a["kernel_size"], a["dilation"],
                                            a["padding"], a["stride"]))
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size ({size[0]}, {size[1]}), "
            + _pairs(*((n, a[n]) for n in ("kernel_size", "dilation", "padding")))
            + f", calculated shape of the array of sliding blocks as ({blocks[0]}, "
            f"{blocks[1]}), but its components must be at least one.")
    _check_dtype(arr, "im2col")
    return (arr,), Attrs(blocks=blocks, **a)


def _fold_normalize(input, output_size, kernel_size, dilation, padding, stride):
    arr, a = _parse("col2im", input, (
        ("output_size", output_size), ("kernel_size", kernel_size), ("dilation", dilation),
        ("padding", padding), ("stride", stride)))
    _window_checks(a, ("kernel_size", "stride", "dilation", "padding"))
    ndim = arr.ndim
    if not ((ndim == 2 and arr.shape[0] != 0 and arr.shape[1] != 0)
            or (ndim == 3 and arr.shape[1] != 0 and arr.shape[2] != 0)):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{list(arr.shape)}")
    kh, kw = a["kernel_size"]
    planes, length = arr.shape[-2:]
    if planes % (kh * kw):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={planes} and "
                           f"kernel_size=({kh}, {kw}).")
    blocks = tuple(_blocks(*v) for v in zip(a["output_size"], a["kernel_size"], a["dilation"],
                                            a["padding"], a["stride"]))
    names = ("output_size", "kernel_size", "dilation", "padding", "stride")
    given = "Given " + _pairs(*((n, a[n]) for n in names))
    if length != blocks[0] * blocks[1]:
        raise RuntimeError(f"{given}, expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]}, but got input.size(2)={length}.")
    if min(blocks) < 1:
        raise RuntimeError(f"{given}, calculated shape of the array of sliding blocks as "
                           f"({blocks[0]}, {blocks[1]}), which is too small (non-positive)")
    oh, ow = a["output_size"]
    if oh < 1 or ow < 1:
        raise RuntimeError("Expected output spatial size to be positive, but got: "
                           f"output_size=({oh}, {ow})")
    _check_dtype(arr, "col2im")
    return (arr,), Attrs(blocks=blocks, **a)


# ------------------------------------------------------------------ shapes and kernels

def _unfold_meta(inputs, attrs):
    arr, = inputs
    kh, kw = attrs.kernel_size
    rows = arr.shape[-3] * kh * kw
    return arr.shape[:-3] + (rows, math.prod(attrs.blocks)), _native(arr)


def _fold_meta(inputs, attrs):
    arr, = inputs
    kh, kw = attrs.kernel_size
    return arr.shape[:-2] + (arr.shape[-2] // (kh * kw),) + attrs.output_size, _native(arr)


def run_unfold(x, attrs, out):
    """Write unfold(x) into `out`: x (N, C, H, W) or (C, H, W), `out` its unfold shape."""
    x4 = kernel_array(x)
    x5 = x4.reshape((-1,) + x4.shape[-3:])[:, :, None]
    cols = out.reshape((x5.shape[0],) + out.shape[-2:])
    (kh, kw), (dh, dw) = attrs.kernel_size, attrs.dilation
    (ph, pw), (sh, sw), (oh, ow) = attrs.padding, attrs.stride, attrs.blocks
    for n in range(x5.shape[0]):
        launch(_im2col_kernels.im2col3d, x5, n, cols[n], 1, kh, kw, 1, oh, ow, 1, sh, sw,
               0, ph, pw, 1, dh, dw, work=cols[n].size)


def run_fold(cols, attrs, out):
    """Write fold(cols) into `out`: cols (N, C * K, L) or (C * K, L), `out` (N, C, H, W)
    or (C, H, W)."""
    c3 = kernel_array(cols)
    c3 = c3.reshape((-1,) + c3.shape[-2:])
    out4 = out.reshape((c3.shape[0],) + out.shape[-3:])
    (kh, kw), (dh, dw) = attrs.kernel_size, attrs.dilation
    (ph, pw), (sh, sw), (oh, ow) = attrs.padding, attrs.stride, attrs.blocks
    launch(_fold_kernels.col2im2d, c3, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, out4,
           work=c3.size + out4.size)


def _run_unfold(inputs, attrs, out):
    if out.size:
        run_unfold(inputs[0], attrs, out)


def _run_fold(inputs, attrs, out):
    if out.size:
        run_fold(inputs[0], attrs, out)


# ------------------------------------------------------------------ gradients

def _unfold_backward(ctx, grad):
    """The gradient of unfold is the fold of its output's gradient."""
    if not ctx.needs[0]:
        return (None,)
    gx = empty_like_input(ctx)
    if gx.size:
        run_fold(np.asarray(grad, gx.dtype), ctx.attrs, gx)
    return (gx,)


def _fold_backward(ctx, grad):
    """The gradient of fold is the unfold of its output's gradient."""
    if not ctx.needs[0]:
        return (None,)
    gx = empty_like_input(ctx)
    if gx.size:
        run_unfold(np.asarray(grad, gx.dtype), ctx.attrs, gx)
    return (gx,)


_registry.register_single("unfold", _unfold_normalize, _unfold_meta, _run_unfold,
                          arrays=_arrays)
_registry.register_single("fold", _fold_normalize, _fold_meta, _run_fold, arrays=_arrays)
_registry.register_backward("unfold", _unfold_backward, saves=())
_registry.register_backward("fold", _fold_backward, saves=())
