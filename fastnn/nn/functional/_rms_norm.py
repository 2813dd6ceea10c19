"""F.rms_norm, as torch's: the trailing `normalized_shape` elements of each sample divided
by the root of their mean square plus eps (eps None: the dtype's machine epsilon), times an
optional weight. An op at the door, as layer norm is; its kernel is kernels/rms_norm.py, its
backward (below) numpy in float64.
"""
import math
import operator

import numpy as np

from ... import _registry
from ..._args import float_arg, torch_type_name, torch_typename
from ..._array import check_float
from ..._dispatch import dispatch
from ..._registry import Attrs
from ..._runtime import launch
from ...kernels import rms_norm as _k
from .._utils import as_array, kernel_array
from ._norm_rows import tensor_args

__all__ = ["rms_norm"]


def rms_norm(input, normalized_shape, weight=None, eps=None):
    r"""Root mean square normalisation over the trailing `normalized_shape` dims:
    :math:`y = x / \sqrt{\mathrm{E}[x^2] + \epsilon} \cdot w`.

    Args:
        input: :math:`(*, \text{normalized\_shape})`.
        normalized_shape (tuple or list of ints): the trailing shape normalised.
        weight: optional tensor of shape `normalized_shape`.
        eps (float or None): added to the mean square; None: ``torch.finfo(input.dtype).eps``.

    Example::
        >>> y = F.rms_norm(fastnn.randn(8, 197, 768), (768,))
    """
    return dispatch("rms_norm", input, normalized_shape, weight, eps)


def _arrays(input, normalized_shape, weight=None, eps=None):
    return as_array(input), None if weight is None else as_array(weight)


def _shape_arg(value):
    if not isinstance(value, (tuple, list)):
        raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not {torch_typename(value)}")
    for pos, item in enumerate(value):
        if isinstance(item, (bool, np.bool_)) or not hasattr(item, "__index__"):
            raise TypeError("rms_norm(): argument 'normalized_shape' (position 2) must be "
                            f"tuple of ints, but found element of type {torch_typename(item)} "
                            f"at pos {pos}")
    return tuple(operator.index(item) for item in value)


def _normalize(input, normalized_shape, weight=None, eps=None):
    if not hasattr(input, "__array__") or isinstance(input, np.generic):
        raise TypeError("rms_norm(): argument 'input' (position 1) must be Tensor, not "
                        f"{torch_typename(input)}")
    arr = as_array(input)
    shape = _shape_arg(normalized_shape)
    tensor_args("rms_norm", ("weight", weight, 3))
    if eps is not None:
        eps = float_arg(eps, "rms_norm", "eps", 4)
    w = None if weight is None else as_array(weight)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    if w is not None and w.shape != shape:
        raise RuntimeError("Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(w.shape)} and normalized_shape = "
                           f"{list(shape)}")
    if arr.ndim < len(shape):
        raise ValueError(f"Input tensor must have at least {len(shape)} dimensions, but got "
                         f"{arr.ndim}")
    if arr.shape[arr.ndim - len(shape):] != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size"
                           f"{list(arr.shape)}")
    if arr.dtype.kind in "iub":
        raise NotImplementedError(f'"rms_norm" not implemented for '
                                  f"'{torch_type_name(arr.dtype)}'")
    check_float(arr)
    if eps is None:
        eps = float(np.finfo(arr.dtype).eps)
    return (arr, w), Attrs(normalized_shape=shape, eps=eps)


def _meta(inputs, attrs):
    arr = inputs[0]
    return arr.shape, arr.dtype.newbyteorder("=")


def _rows(arr, attrs):
    length = math.prod(attrs.normalized_shape)
    return kernel_array(arr).reshape(-1, length)


def _weight(weight, length, dtype):
    if weight is None:
        return np.ones(length, dtype)
    return kernel_array(weight, dtype).reshape(-1)


def _run(inputs, attrs, out):
    arr, weight = inputs
    if arr.size == 0:
        return
    x2 = _rows(arr, attrs)
    launch(_k.rms_norm_rows, x2, _weight(weight, x2.shape[1], x2.dtype), attrs.eps,
           out.reshape(x2.shape), work=2 * x2.size)


def _backward(ctx, grad):
    """d/dx = rstd * g w - x rstd^3 mean(g w x); d/dw = sum over rows of g x rstd."""
    x, weight = ctx.inputs
    need_x, need_w = ctx.needs
    dtype = np.dtype(ctx.dtypes[0]).newbyteorder("=")
    length = math.prod(ctx.attrs.normalized_shape)
    x2 = np.asarray(x, np.float64).reshape(-1, length)
    g2 = np.asarray(grad, np.float64).reshape(x2.shape)
    rstd = 1.0 / np.sqrt(np.mean(x2 * x2, axis=1, keepdims=True) + ctx.attrs.eps)
    gx = gw = None
    if need_x:
        gw_x = g2 if weight is None else g2 * np.asarray(weight, np.float64).reshape(-1)
        gx = rstd * gw_x - x2 * rstd ** 3 * np.mean(gw_x * x2, axis=1, keepdims=True)
        gx = gx.astype(dtype).reshape(ctx.shapes[0])
    if need_w:
        wdtype = np.dtype(ctx.dtypes[1]).newbyteorder("=")
        gw = (g2 * x2 * rstd).sum(axis=0).astype(wdtype).reshape(ctx.shapes[1])
    return gx, gw


_registry.register_single("rms_norm", _normalize, _meta, _run, arrays=_arrays)
_registry.register_backward("rms_norm", _backward, saves=(0, 1))
