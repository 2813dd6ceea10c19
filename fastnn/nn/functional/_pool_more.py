"""F.lp_pool1d/2d/3d and F.max_unpool1d/2d/3d, through the door (`fastnn._dispatch`).

Both follow torch 2.13's Python functions step by step, since their errors and numbers
come from those steps: lp pooling is ``avg_pool(x ** p)`` rescaled, with its
``sign(out) * relu(|out|)`` and a max pool of ``|x|`` for ``p = inf``; unpooling computes
the default output size (or checks the given one) in Python, then scatters (for 1-D, as
a 2-D unpooling of a trailing singleton dim).
"""
import collections.abc
import math

import numpy as np

from ... import _registry
from ..._args import torch_type_name, torch_typename
from ..._dispatch import dispatch
from ..._registry import Attrs
from ..._runtime import launch
from ...kernels import pool_avg as _avg_kernels
from ...kernels import unpool as _unpool_kernels
from .._utils import as_array, check_float, kernel_array
from ._pool_args import _parse, _sizes
from ._pool_ops import (_as_3d, _avg_normalize, _max_normalize, _pad3, _run_window_loop,
                        _window, _window_meta)

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d",
           "max_unpool1d", "max_unpool2d", "max_unpool3d"]


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""1-D power-average pooling: :math:`(\sum_{window} x^p)^{1/p}`.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``
        norm_type: the power `p`; ``inf`` is a max pool of :math:`|x|` (``-inf`` a min)
        kernel_size: window size (an int; torch fails after pooling for a tuple)
        stride: window step. Default (``None``): `kernel_size`
        ceil_mode: round the output size up. Default: ``False``

    As torch computes it (``avg_pool1d(x ** p) * kernel_size``, then ``** (1 / p)``), a
    window whose sum of powers is negative gives NaN for fractional ``1 / p``.

    Examples::

        >>> F.lp_pool1d(fastnn.randn(2, 3, 8), 2, 3).shape
        (2, 3, 2)
    """
    return dispatch("lp_pool1d", input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""2-D power-average pooling over ``(N, C, H, W)`` or ``(C, H, W)``; arguments as
    :func:`lp_pool1d`, `kernel_size` an int or a pair.

    Examples::

        >>> F.lp_pool2d(fastnn.randn(1, 3, 6, 6), 2, 2).shape
        (1, 3, 3, 3)
    """
    return dispatch("lp_pool2d", input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""3-D power-average pooling over ``(N, C, D, H, W)`` or ``(C, D, H, W)``; arguments
    as :func:`lp_pool1d`, `kernel_size` an int or a triple."""
    return dispatch("lp_pool3d", input, norm_type, kernel_size, stride, ceil_mode)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""Partial inverse of :func:`max_pool1d`: each value goes to the position its index
    names (flat in ``L_out``), every other position is zero.

    Args:
        input, indices: the values and int64 indices of ``max_pool1d(...,
            return_indices=True)``: ``(N, C, L)`` or ``(C, L)``
        kernel_size, stride, padding: the pooling's (stride defaults to `kernel_size`)
        output_size: ``(L_out,)`` (or with N, C in front) within a stride of the default

    Shape: ``L_out = (L - 1) * stride - 2 * padding + kernel_size``.

    Examples::

        >>> v, i = F.max_pool1d(fastnn.randn(1, 2, 8), 2, return_indices=True)
        >>> F.max_unpool1d(v, i, 2).shape
        (1, 2, 8)
    """
    return dispatch("max_unpool1d", input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""Partial inverse of :func:`max_pool2d` (indices flat in ``H_out * W_out``);
    arguments as :func:`max_unpool1d`, sizes per spatial dim."""
    return dispatch("max_unpool2d", input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""Partial inverse of :func:`max_pool3d` (indices flat in ``D_out * H_out *
    W_out``); arguments as :func:`max_unpool1d`, sizes per spatial dim."""
    return dispatch("max_unpool3d", input, indices, kernel_size, stride, padding, output_size)


# ---------------------------------------------------------------- torch's Python helpers

def _ntuple(value, n):
    """torch.nn.modules.utils._ntuple: an iterable as a tuple, else `value` n times."""
    if isinstance(value, collections.abc.Iterable):
        return tuple(value)
    return (value,) * n


def _pow_exponent(value):
    """`Tensor.pow`'s exponent: a Number (or a 0-d array's element), with its TypeError."""
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        arr = np.asarray(value)
        if arr.ndim == 0:
            value = arr[()]
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    got = torch_typename(value)
    if isinstance(value, (list, tuple)) and value:
        got = f"{type(value).__name__} of [{torch_typename(value[0])}]"
    raise TypeError(
        f"pow() received an invalid combination of arguments - got ({torch_typename(value)}),"
        " but expected one of:\n * (Tensor exponent)\n      didn't match because some of the"
        f" arguments have invalid types: (!{got}!)\n * (Number exponent)\n      didn't match"
        f" because some of the arguments have invalid types: (!{got}!)\n")


# ---------------------------------------------------------------- lp pooling

def _lp_normalize(nd, input, norm_type, kernel_size, stride=None, ceil_mode=False):
    arr = as_array(input)
    sizes = (kernel_size,)
    if nd > 1:
        sizes = _ntuple(kernel_size, nd)
        if len(sizes) != nd:      # torch unpacks `kw, kh = _pair(kernel_size)`
            wanted = f"expected {nd}" + ("" if len(sizes) > nd else f", got {len(sizes)}")
            raise ValueError(f"{'too many' if len(sizes) > nd else 'not enough'} values to "
                             f"unpack ({wanted})")
    if isinstance(norm_type, (int, float)) and abs(norm_type) == math.inf:
        (arr,), attrs = _max_normalize(nd, False, arr, kernel_size, stride, 0, 1, ceil_mode)
        return (arr,), Attrs(mode="max" if norm_type > 0 else "min", **attrs)
    power = _pow_exponent(norm_type)
    try:
        (arr,), pool = _avg_normalize(nd, arr, kernel_size, stride, 0, ceil_mode)
    except TypeError as error:
        # without a stride torch passes ceil_mode by keyword: its parser names no position
        message = str(error).replace("'ceil_mode' (position 5)", "'ceil_mode'")
        if stride is not None or message == str(error):
            raise
        raise TypeError(message) from None
    if nd == 1 and not isinstance(kernel_size, (int, np.integer)):
        raise TypeError("mul(): argument 'other' (position 1) must be Tensor, not "
                        f"{torch_typename(kernel_size)}")
    if power == 0 and type(norm_type) not in (int, float, bool):
        # 1.0 / 0 raises for a Python number only: a numpy scalar or tensor gives inf
        root = math.copysign(math.inf, power)
    else:
        root = 1.0 / power
    return (arr,), Attrs(mode="power", power=power, root=root, count=math.prod(sizes),
                         kernel_size=pool.kernel_size, stride=pool.stride,
                         padding=pool.padding, dilation=(1,) * nd, ceil_mode=pool.ceil_mode)


def _torch_pow(base, exponent):
    """base ** exponent in base's dtype (numpy's power, whose fast paths for 2, 0.5, 1 and
    -1 are exact as torch's are)."""
    with np.errstate(all="ignore"):
        return base ** exponent


def _run_lp(nd, inputs, attrs, out):
    arr = inputs[0]
    if not out.size:
        return
    if attrs.mode != "power":
        src = np.abs(kernel_array(arr))
        if attrs.mode == "min":
            np.negative(src, out=src)
        _run_window_loop(_as_3d(src, nd), _as_3d(out, nd), *_window(nd, attrs))
        if attrs.mode == "min":
            np.negative(out, out=out)
        return
    powered = np.ascontiguousarray(_torch_pow(kernel_array(arr), attrs.power))
    x = _as_3d(powered, nd)
    launch(_avg_kernels.avg_pool3d, x, _as_3d(out, nd), *_pad3(attrs.kernel_size, nd, 1),
           *_pad3(attrs.stride, nd, 1), *_pad3(attrs.padding, nd, 0), True, 0, work=x.size)
    # torch: (sign(out) * relu(|out|)).mul(count).pow(1 / p), sign(NaN) = sign(+-0) = +0
    sign = (out > 0).astype(out.dtype) - (out < 0)
    with np.errstate(all="ignore"):
        scaled = sign * np.abs(out) * attrs.count
    out[...] = _torch_pow(scaled, attrs.root)


# ---------------------------------------------------------------- max unpooling

def _unpool_output_size(shape, kernel_size, stride, padding, output_size):
    """torch.nn.functional._unpool_output_size, step by step (so that odd arguments fail
    with the same Python errors)."""
    default_size = []
    for d in range(len(kernel_size)):
        default_size.append((shape[-len(kernel_size) + d] - 1) * stride[d] + kernel_size[d]
                            - 2 * padding[d])
    if output_size is None:
        ret = default_size
    else:
        if len(output_size) == len(kernel_size) + 2:
            output_size = output_size[2:]
        if len(output_size) != len(kernel_size):
            raise ValueError(
                "output_size should be a sequence containing "
                f"{len(kernel_size)} or {len(kernel_size) + 2} elements, but it has a "
                f"length of '{len(output_size)}'")
        for d in range(len(kernel_size)):
            min_size = default_size[d] - stride[d]
            max_size = default_size[d] + stride[d]
            if not (min_size < output_size[d] < max_size):
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be '
                                 f'between {min_size} and {max_size})')
        ret = output_size
    for d in range(len(kernel_size)):
        if ret[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={ret[d]}")
    return ret


def _unpool_arrays(input, indices, *args, **kwargs):
    return as_array(input), as_array(indices)


def _unpool_normalize(nd, input, indices, kernel_size, stride=None, padding=0,
                      output_size=None):
    op = f"max_unpool{max(nd, 2)}d"
    if not (isinstance(indices, np.ndarray) or hasattr(indices, "__array__")):
        raise TypeError(f"{op}(): argument 'indices' (position 2) must be Tensor, not "
                        f"{torch_typename(indices)}")
    x, idx = _unpool_arrays(input, indices)
    kernel_size = _ntuple(kernel_size, nd)
    stride = _ntuple(stride, nd) if stride is not None else kernel_size
    padding = _ntuple(padding, nd)
    size = _unpool_output_size(x.shape, kernel_size, stride, padding, output_size)
    checked = x, idx
    if nd == 1:     # torch: max_unpool2d of both with a trailing singleton dim
        size = size + [1] if isinstance(size, list) else size + (1,)
        checked = x[..., None], idx[..., None]
    if nd == 3:
        size, stride, padding = _parse(op, [("output_size", size, 3, 3),
                                            ("stride", stride, 4, 3),
                                            ("padding", padding, 5, 3)])
    else:
        size, = _parse(op, [("output_size", size, 3, 2)])
    _unpool_checks(max(nd, 2), *checked, size, stride)
    return (x, idx), Attrs(output_size=tuple(size))


def _unpool_checks(nd, x, idx, size, stride):
    """torch's max_unpooling{2,3}d shape checks, in its order."""
    if idx.dtype.newbyteorder("=") != np.int64:
        detail = f" but got: {torch_type_name(idx.dtype)}" if nd == 2 else ""
        raise RuntimeError(f"elements in indices should be type int64{detail}")
    count = {2: "two elements (height, width)", 3: "three elements (depth, height, width)"}
    if nd == 2 and len(size) != 2:
        raise RuntimeError(f"There should be exactly {count[2]} in output_size, but got "
                           f"{len(size)} elements.")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d "
                           f"Tensor, but got a tensor with {x.ndim} dimensions.")
    if nd == 3 and len(size) != 3:
        raise RuntimeError(f"There should be exactly {count[3]} in output_size, but got "
                           f"{len(size)} elements.")
    if x.shape != idx.shape:
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor "
            f"({_sizes(x.shape)}) but got indices tensor with shape: {_sizes(idx.shape)}")
    for dim in range(1, x.ndim):
        if x.shape[dim] == 0:
            raise RuntimeError(
                f"max_unpooling{nd}d_forward_out_cpu(): Expected input to have non-zero size "
                f"for non-batch dimensions, but got {_sizes(x.shape)} with dimension {dim} "
                "being empty.")
    if nd == 3 and min(stride) <= 0:
        raise RuntimeError(f"strides should be greater than zero, but got stride: "
                           f"{_sizes(stride)}")
    check_float(x)


def _unpool_meta(nd, inputs, attrs):
    x = inputs[0]
    size = attrs.output_size[:nd] if nd == 1 else attrs.output_size
    return x.shape[:x.ndim - nd] + tuple(size), x.dtype.newbyteorder("=")


def _run_unpool(nd, inputs, attrs, out):
    x, idx = inputs
    if not out.size:
        return
    spatial = x.shape[x.ndim - nd:]
    planes = x.size // math.prod(spatial)
    src = kernel_array(x).reshape(planes, -1)
    where = kernel_array(idx).reshape(planes, -1)
    flat = out.reshape(planes, -1)
    bad = np.empty(planes, np.int64)
    launch(_unpool_kernels.max_unpool, src, where, flat, bad, work=src.size + flat.size)
    failed = np.flatnonzero(bad >= 0)
    if failed.size:
        p = failed[-1]
        volume = "x".join(str(s) for s in attrs.output_size)
        raise RuntimeError(f"Found an invalid max index: {where[p, bad[p]]} (output volumes "
                           f"are of size {volume})")


# ---------------------------------------------------------------- registration

def _bind(fn, nd):
    return lambda *a, **k: fn(nd, *a, **k)


def _lp_arrays(input, *args, **kwargs):
    return (as_array(input),)


for _nd in (1, 2, 3):
    _registry.register_single(
        f"lp_pool{_nd}d", _bind(_lp_normalize, _nd), _bind(_window_meta, _nd),
        _bind(_run_lp, _nd), arrays=_lp_arrays)
    _registry.register_single(
        f"max_unpool{_nd}d", _bind(_unpool_normalize, _nd), _bind(_unpool_meta, _nd),
        _bind(_run_unpool, _nd), arrays=_unpool_arrays)

