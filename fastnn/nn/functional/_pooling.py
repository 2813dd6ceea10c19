"""F.max_pool*, F.avg_pool*, F.adaptive_*_pool*: validate with torch's words, allocate, run.

Every op runs through a 3-D kernel on a (planes, D, H, W) view, planes = N * C. The checks
follow torch 2.13's C++ in its order and wording, quirks included (e.g. max_pool1d checks
differently with and without return_indices; adaptive_avg_pool2d to (1, 1) is a plain
mean over the last two dimensions, for any rank).
"""
import math

import numpy as np

from ... import backends
from ..._runtime import launch
from ...kernels import pool_avg as _avg_kernels
from ...kernels import pooling as _max_kernels
from ...kernels import registry
from .._plans import Plans, args_key
from .._utils import (allocate, as_array, check_alloc, check_float, checked_empty, kernel_array,
                      wrap)
from ._pool_args import (
    _WORD, _adaptive_size, _check_one, _check_rank_range, _check_window_2d,
    _check_window_3d, _expand, _max_pool1d_args, _max_pool_checked, _output_size, _parse,
    _pool_args, _size_at, _sizes, _to_int32)

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
]

# ---------------------------------------------------------------- running the kernels

def _planes_shape(shape, nd):
    """`shape` as (planes, D, H, W): leading dims flattened, singletons added."""
    spatial = tuple(shape[len(shape) - nd:])
    return (math.prod(shape[:len(shape) - nd]),) + (1,) * (3 - nd) + spatial


def _as_3d(arr, nd):
    """The contiguous input as (planes, D, H, W): leading dims flattened, singletons added."""
    return arr.reshape(_planes_shape(arr.shape, nd))


def _run(arr, nd, out_spatial, kernel_call, with_indices):
    """Allocate the outputs, run `kernel_call(x3d, out3d[, idx3d])`, reshape back."""
    check_float(arr)
    x = kernel_array(arr)
    out_shape = arr.shape[:arr.ndim - nd] + tuple(out_spatial)
    out = checked_empty(out_shape, x.dtype)
    indices = checked_empty(out_shape, np.int64) if with_indices else None
    if out.size:
        x3 = _as_3d(x, nd)
        o3 = _as_3d(out, nd)
        if with_indices:
            kernel_call(x3, o3, _as_3d(indices, nd))
        else:
            kernel_call(x3, o3)
    if with_indices:
        return wrap(out), wrap(indices)
    return wrap(out)


def _pad3(values, nd, fill):
    return (fill,) * (3 - nd) + tuple(values)


def _separable_fits(width, out_width, k, s, p, d):
    # the row buffer of the separable kernels spans every padded position a window
    # touches; absurd padding/dilation (legal in max_pool1d) takes the per-output kernel
    return max(p + width, (out_width - 1) * s + (k - 1) * d + 1) <= 4 * width + 4096


def _max_pool_with_indices(nd, arr, k, s, p, d, out):
    args = _pad3(k, nd, 1) + _pad3(s, nd, 1) + _pad3(p, nd, 0) + _pad3(d, nd, 1)
    return _run(arr, nd, out, lambda x, o, i: launch(
        _max_kernels.max_pool3d_with_indices, x, o, i, True, *args, work=x.size), True)


def _max_pool_nd(nd, input, kernel_size, stride, padding, dilation, ceil_mode, with_indices):
    """max_pool2d/3d: values only through the registry, with indices on torch's loop."""
    if not with_indices:
        return backends.run(f"max_pool{nd}d", input, kernel_size, stride, padding, dilation,
                            ceil_mode)
    return _max_pool_with_indices(nd, *_max_pool_checked(
        nd, input, kernel_size, stride, padding, dilation, ceil_mode, True))


def _max_pool1d_checked(input, kernel_size, stride, padding, dilation, ceil_mode):
    """torch.max_pool1d (no indices): its own checks and wording, then the registry."""
    return backends.run("max_pool1d", input, kernel_size, stride, padding, dilation,
                        ceil_mode)


def _max_pool1d_via_2d(input, kernel_size, stride, padding, dilation, ceil_mode):
    """torch.max_pool1d_with_indices: checks, then max_pool2d on (.., 1, L)."""
    op = "max_pool1d_with_indices"
    arr = as_array(input)
    k, s, p, d, _ = _pool_args(op, 1, kernel_size, stride, padding, dilation, ceil_mode)
    s = s or k
    _check_rank_range(arr, "max_pool1d", 2, 3)
    for name, values in (("kernel_size", k), ("stride", s), ("padding", p), ("dilation", d)):
        _check_one("max_pool1d", name, values)
    values, indices = _max_pool_nd(2, arr[..., None, :], (1,) + k, (1,) + s, (0,) + p,
                                   (1,) + d, ceil_mode, True)
    return values[..., 0, :], indices[..., 0, :]


# ---------------------------------------------------------------- max pooling

def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool1d` that always returns ``(values, indices)``."""
    return _max_pool1d_via_2d(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool2d` that always returns ``(values, indices)``."""
    return _max_pool_nd(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """:func:`max_pool3d` that always returns ``(values, indices)``."""
    return _max_pool_nd(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    r"""1-D max pooling over an input of several planes.

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``
        kernel_size: window size (an int or a one-element tuple)
        stride: window step. Default (``None``): `kernel_size`
        padding: implicit -inf padding on both sides, at most ``kernel_size // 2``
        dilation: step between the elements of a window. Default: 1
        ceil_mode: round the output size up (the last window must start inside the
            input or the left padding). Default: ``False``
        return_indices: also return the argmax, a flat int64 index into each plane

    Shape:
        ``L_out = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)``

    Examples::

        >>> F.max_pool1d(fastnn.randn(20, 16, 50), 3, stride=2).shape
        (20, 16, 24)
    """
    if return_indices:
        return _max_pool1d_via_2d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool1d_checked(input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    r"""2-D max pooling over an input of several planes. NaN in a window wins, as in torch.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``
        kernel_size: window size, an int or ``(kH, kW)``
        stride: window step. Default (``None`` or ``()``): `kernel_size`
        padding: implicit -inf padding, at most half the effective kernel size
        dilation: step between the elements of a window. Default: 1
        ceil_mode: round the output size up. Default: ``False``
        return_indices: also return the argmax as flat int64 indices into ``H * W``

    Shape:
        ``H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0] + 1)``,
        ``W_out`` likewise.

    Examples::

        >>> F.max_pool2d(fastnn.randn(1, 64, 112, 112), 3, 2, 1).shape
        (1, 64, 56, 56)
    """
    return _max_pool_nd(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                        bool(return_indices))


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    r"""3-D max pooling over an input of several planes.

    Args:
        input: ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)``
        kernel_size, stride, padding, dilation: an int or a ``(d, h, w)`` tuple, as in
            :func:`max_pool2d`
        ceil_mode: round the output size up. Default: ``False``
        return_indices: also return the argmax as flat int64 indices into ``D * H * W``

    Shape:
        ``D_out = floor((D + 2 * padding[0] - dilation[0] * (kD - 1) - 1) / stride[0] + 1)``,
        ``H_out``, ``W_out`` likewise.

    Examples::

        >>> F.max_pool3d(fastnn.randn(2, 8, 16, 32, 32), 2).shape
        (2, 8, 8, 16, 16)
    """
    return _max_pool_nd(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                        bool(return_indices))


# ---------------------------------------------------------------- max pooling variants

_max_plans = Plans()


def _prepare_max_pool(nd, input, kernel_size, stride=None, padding=0, dilation=1,
                      ceil_mode=False):
    """Validate and allocate for the registry: (key, kernel arguments or None, result),
    kernel arguments being (x (planes, D, H, W), out, kD, kH, kW, sD, ..., dW)."""
    arr = as_array(input)
    arguments = args_key(kernel_size, stride, padding, dilation, ceil_mode)
    plan_key = None if arguments is None else (nd, arr.shape, arr.dtype, arguments)
    out_shape, window, planes_shape, key = _max_plans.plan(
        plan_key, _max_pool_plan, nd, arr, kernel_size, stride, padding, dilation, ceil_mode)
    x = kernel_array(arr)
    result = allocate(out_shape, x.dtype)
    if key is None:                   # an empty output: nothing to run
        return None, None, wrap(result)
    return (key, (x.reshape(planes_shape[0]), result.reshape(planes_shape[1])) + window,
            wrap(result))


def _max_pool_plan(nd, arr, kernel_size, stride, padding, dilation, ceil_mode):
    """All of torch's checks, then (output shape, window, the (planes, D, H, W) shapes of
    input and output, the registry key or None for an empty output)."""
    if nd == 1:
        arr, k, s, p, d, out = _max_pool1d_args(arr, kernel_size, stride, padding,
                                                dilation, ceil_mode)
    else:
        arr, k, s, p, d, out = _max_pool_checked(nd, arr, kernel_size, stride, padding,
                                                 dilation, ceil_mode, False)
    check_float(arr)
    out_shape = arr.shape[:arr.ndim - nd] + tuple(out)
    check_alloc(out_shape, arr.dtype)
    window = _pad3(k, nd, 1) + _pad3(s, nd, 1) + _pad3(p, nd, 0) + _pad3(d, nd, 1)
    if not math.prod(out_shape):
        return out_shape, window, None, None
    planes_shape = (_planes_shape(arr.shape, nd), _planes_shape(out_shape, nd))
    return out_shape, window, planes_shape, (arr.shape, arr.dtype.newbyteorder("="), window)


def _run_separable(x, out, *window):
    launch(_max_kernels.max_pool3d, x, out, *window, work=x.size)


_NO_INDICES = np.zeros((1, 1, 1, 1), np.int64)


def _run_window_loop(x, out, *window):
    # values only: no indices array (it was twice the float32 output per call)
    launch(_max_kernels.max_pool3d_with_indices, x, out, _NO_INDICES, False, *window,
           work=x.size)


def _separable_applies(x, out, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    if _separable_fits(x.shape[-1], out.shape[-1], kw, sw, pw, dw):
        return None
    return "its row buffer would be far longer than the input row (padding or dilation)"


def _max_pool_rule(*kernel_args):
    """'separable' (5x torch's speed on k3 s2 and k2 s2, PERF.md) wherever its row buffer
    stays small; otherwise the window loop 'direct'."""
    return "direct" if _separable_applies(*kernel_args) else "separable"


for _nd in (1, 2, 3):
    _op = f"max_pool{_nd}d"
    registry.register_op(_op, lambda *a, _nd=_nd, **k: _prepare_max_pool(_nd, *a, **k),
                         _max_pool_rule)
    registry.register_variant(_op, "separable", _run_separable, _separable_applies)
    registry.register_variant(_op, "direct", _run_window_loop)


# ---------------------------------------------------------------- average pooling

def _avg_pool_nd(nd, op, arr, k, s, p, ceil_mode, count_include_pad, divisor_override):
    """avg_pool2d/3d: torch's checks in its order, then the kernel."""
    name, word = op, _WORD[nd]
    if nd == 2:
        k = _to_int32(_expand(k, 2, f"{name}: kernel_size must either be a single int, or a "
                                    "tuple of two ints"))
        s = _to_int32(_expand(s, 2, f"{name}: stride must either be omitted, a single int, "
                                    "or a tuple of two ints", allow_empty=True) or k)
        p = _to_int32(_expand(p, 2, f"{name}: padding must either be a single int, or a "
                                    "tuple of two ints"))
    else:
        k = _to_int32(_expand(k, 3, f"{name}: kernel_size must be a single int, or a tuple "
                                    f"of {word} ints"))
        s = _to_int32(_expand(s, 3, f"{name}: stride must be omitted, a single int, or a "
                                    f"tuple of {word} ints", allow_empty=True) or k)
        p = _to_int32(_expand(p, 3, f"{name}: padding must be a single int, or a tuple of "
                                    f"{word} ints"))
        if arr.ndim not in (4, 5):
            raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    shape = arr.shape
    for dim in range(-nd - 1, 0):
        _size_at(shape, dim)
    d = (1,) * nd
    out = [_output_size(shape[arr.ndim - nd + i], k[i], p[i], s[i], 1, ceil_mode)
           for i in range(nd)]
    if nd == 2:
        _check_window_2d(shape, k, s, p, d, out)
    else:
        _check_window_3d(shape, k, s, p, d, out, "avg_pool3d()", check_input_size=True)
    k3, s3, p3 = _pad3(k, nd, 1), _pad3(s, nd, 1), _pad3(p, nd, 0)
    args = k3 + s3 + p3 + (bool(count_include_pad), divisor_override or 0)
    return _run(arr, nd, out, lambda x, o: launch(_avg_kernels.avg_pool3d, x, o, *args,
                                                      work=x.size),
                False)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    r"""1-D average pooling over an input of several planes.

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``
        kernel_size: window size (an int or a one-element tuple)
        stride: window step. Default (``None``): `kernel_size`
        padding: implicit zero padding on both sides, at most ``kernel_size // 2``
        ceil_mode: round the output size up. Default: ``False``
        count_include_pad: count the zero padding in the divisor. Default: ``True``

    Shape:
        ``L_out = floor((L + 2 * padding - kernel_size) / stride + 1)``

    Examples::

        >>> F.avg_pool1d(fastnn.tensor([[[1., 2, 3, 4, 5, 6, 7]]]), 3, stride=2)
        Tensor([[[2., 4., 6.]]])
    """
    arr = as_array(input)
    k, s, p, *_ = _pool_args("avg_pool1d", 1, kernel_size, stride, padding,
                             ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    s = s or k
    _check_rank_range(arr, "avg_pool1d", 2, 3)
    for name, values in (("kernel_size", k), ("stride", s), ("padding", p)):
        _check_one("avg_pool1d", name, values)
    out = _avg_pool_nd(2, "avg_pool2d", arr[..., None, :], (1,) + k, (1,) + s, (0,) + p,
                       ceil_mode, count_include_pad, None)
    return out[..., 0, :]


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    r"""2-D average pooling over an input of several planes.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``
        kernel_size: window size, an int or ``(kH, kW)``
        stride: window step. Default (``None``): `kernel_size`
        padding: implicit zero padding, at most half the kernel size
        ceil_mode: round the output size up; a last window running past the padded edge
            divides by its part inside the padded input. Default: ``False``
        count_include_pad: count the zero padding in the divisor. Default: ``True``
        divisor_override: a fixed divisor instead of the window size. Default: ``None``

    Shape:
        ``H_out = floor((H + 2 * padding[0] - kH) / stride[0] + 1)``, ``W_out`` likewise.

    Examples::

        >>> F.avg_pool2d(fastnn.randn(1, 16, 32, 32), 2).shape
        (1, 16, 16, 16)
    """
    arr = as_array(input)
    k, s, p, _, _, divisor = _pool_args("avg_pool2d", 2, kernel_size, stride, padding,
                                        None, ceil_mode, count_include_pad, divisor_override)
    return _avg_pool_nd(2, "avg_pool2d", arr, k, s, p, ceil_mode, count_include_pad, divisor)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    r"""3-D average pooling over an input of several planes.

    Args:
        input: ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)``
        kernel_size, stride, padding: an int or a ``(d, h, w)`` tuple, as in
            :func:`avg_pool2d`
        ceil_mode, count_include_pad, divisor_override: as in :func:`avg_pool2d`

    Shape:
        ``D_out = floor((D + 2 * padding[0] - kD) / stride[0] + 1)``, ``H_out``, ``W_out``
        likewise.

    Examples::

        >>> F.avg_pool3d(fastnn.randn(1, 4, 8, 8, 8), 2).shape
        (1, 4, 4, 4, 4)
    """
    arr = as_array(input)
    k, s, p, _, _, divisor = _pool_args("avg_pool3d", 3, kernel_size, stride, padding,
                                        None, ceil_mode, count_include_pad, divisor_override)
    return _avg_pool_nd(3, "avg_pool3d", arr, k, s, p, ceil_mode, count_include_pad, divisor)


# ---------------------------------------------------------------- adaptive pooling

def _adaptive_avg(nd, arr, size):
    """adaptive_avg_pool2d/3d once output_size is parsed (as torch's C++ checks it)."""
    op = f"adaptive_avg_pool{nd}d"
    if len(size) != nd:
        raise RuntimeError(f"{op}: output_size must be {nd}")
    if min(size) < 0:
        received = ", ".join(str(v) for v in size[:2]) + "".join(f",{v}" for v in size[2:])
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to "
                           f"0 but received {{{received}}}")
    if all(v == 1 for v in size):
        # torch computes this case as input.mean(dims -1 .. -nd, keepdim=True), any rank
        rank = max(arr.ndim, 1)
        for dim in range(-1, -nd - 1, -1):
            if dim < -rank:
                raise IndexError(f"Dimension out of range (expected to be in range of "
                                 f"[{-rank}, {rank - 1}], but got {dim})")
        if 0 in arr.shape[arr.ndim - nd:]:
            check_float(arr)
            return wrap(np.full(arr.shape[:arr.ndim - nd] + (1,) * nd, np.nan, arr.dtype))
        return _run(arr, nd, size, lambda x, o: launch(
            _avg_kernels.mean_rows, x.reshape(x.shape[0], -1), o.reshape(-1), work=x.size),
            False)
    else:
        # torch's 2-D check looks at the rank first and then at the last two sizes; the
        # 3-D one at every size but the first, then at the rank
        nonzero_dims = range(arr.ndim - nd, arr.ndim) if nd == 2 else range(1, arr.ndim)
        if nd == 2 and arr.ndim not in (3, 4):
            nonzero_dims = ()
        for dim in nonzero_dims:
            if arr.shape[dim] == 0:
                raise RuntimeError(
                    f"{op}(): Expected input to have non-zero size for non-batch dimensions, "
                    f"but input has sizes {_sizes(arr.shape)} with dimension {dim} being "
                    "empty")
        if arr.ndim not in (nd + 1, nd + 2):
            raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                               f"{_sizes(arr.shape)}")
    return _run(arr, nd, size, lambda x, o: launch(_avg_kernels.adaptive_avg_pool3d, x, o,
                                                      work=x.size),
                False)


def _adaptive_max(nd, arr, size, with_indices):
    op = f"adaptive_max_pool{nd}d"
    if arr.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{_sizes(arr.shape)}")
    for dim in range(1, arr.ndim):
        if arr.shape[dim] == 0:
            raise RuntimeError(
                f"{op}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {_sizes(arr.shape)} with dimension {dim} being empty")
    if len(size) != nd:
        raise RuntimeError(f"{op}(): internal error: output_size.size() must be {nd}")
    out_shape = arr.shape[:arr.ndim - nd] + tuple(size)
    for v in size:
        if v < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {v}: {_sizes(out_shape)}")
    values, indices = _run(arr, nd, size, lambda x, o, i: launch(
        _max_kernels.adaptive_max_pool3d, x, o, i, work=x.size), True)
    return (values, indices) if with_indices else values


def _adaptive_1d(op, input, output_size):
    arr = as_array(input)
    size, = _parse(op, [("output_size", output_size, 2, 1)])
    _check_rank_range(arr, op, 2, 3)
    _check_one(op, "output_size", size)
    return arr, size


def adaptive_avg_pool1d(input, output_size):
    r"""1-D adaptive average pooling: window i covers ``[floor(i*L/out), ceil((i+1)*L/out))``.

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``
        output_size: the output length ``L_out``

    Examples::

        >>> F.adaptive_avg_pool1d(fastnn.randn(1, 64, 8), 5).shape
        (1, 64, 5)
    """
    arr, size = _adaptive_1d("adaptive_avg_pool1d", input, output_size)
    return _adaptive_avg(2, arr[..., None, :], (1,) + size)[..., 0, :]


def adaptive_avg_pool2d(input, output_size):
    r"""2-D adaptive average pooling to ``output_size`` (an int, or ``(H, W)`` where
    ``None`` keeps the input's size), with torch's windows.

    Examples::

        >>> F.adaptive_avg_pool2d(fastnn.randn(1, 64, 10, 9), (5, None)).shape
        (1, 64, 5, 9)
    """
    arr, size = _adaptive_size("adaptive_avg_pool2d", 2, input, output_size)
    return _adaptive_avg(2, arr, size)


def adaptive_avg_pool3d(input, output_size):
    r"""3-D adaptive average pooling to ``output_size`` (an int or ``(D, H, W)``, ``None``
    keeping the input's size).

    Examples::

        >>> F.adaptive_avg_pool3d(fastnn.randn(1, 64, 8, 9, 10), (5, 7, 9)).shape
        (1, 64, 5, 7, 9)
    """
    arr, size = _adaptive_size("adaptive_avg_pool3d", 3, input, output_size)
    return _adaptive_avg(3, arr, size)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool1d` that always returns ``(values, indices)``."""
    arr, size = _adaptive_1d("adaptive_max_pool1d", input, output_size)
    for dim in range(1, arr.ndim):
        if arr.shape[dim] == 0:
            raise RuntimeError(
                "adaptive_max_pool1d(): Expected input to have non-zero size for non-batch "
                f"dimensions, but input has sizes {_sizes(arr.shape)} with dimension {dim} "
                "being empty")
    values, indices = _adaptive_max(2, arr[..., None, :], (1,) + size, True)
    return values[..., 0, :], indices[..., 0, :]


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool2d` that always returns ``(values, indices)``."""
    arr, size = _adaptive_size("adaptive_max_pool2d", 2, input, output_size)
    return _adaptive_max(2, arr, size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """:func:`adaptive_max_pool3d` that always returns ``(values, indices)``."""
    arr, size = _adaptive_size("adaptive_max_pool3d", 3, input, output_size)
    return _adaptive_max(3, arr, size, True)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    r"""1-D adaptive max pooling with torch's windows; NaN wins.

    Args:
        input: ``(N, C, L)`` or unbatched ``(C, L)``
        output_size: the output length ``L_out``
        return_indices: also return the argmax (int64, flat index into ``L``)

    Examples::

        >>> F.adaptive_max_pool1d(fastnn.randn(1, 64, 8), 5).shape
        (1, 64, 5)
    """
    result = adaptive_max_pool1d_with_indices(input, output_size)
    return result if return_indices else result[0]


def adaptive_max_pool2d(input, output_size, return_indices=False):
    r"""2-D adaptive max pooling to ``output_size`` (int or ``(H, W)``, ``None`` keeping the
    input's size); `return_indices` adds flat int64 indices into ``H * W``.

    Examples::

        >>> F.adaptive_max_pool2d(fastnn.randn(1, 64, 10, 9), (5, 7)).shape
        (1, 64, 5, 7)
    """
    result = adaptive_max_pool2d_with_indices(input, output_size)
    return result if return_indices else result[0]


def adaptive_max_pool3d(input, output_size, return_indices=False):
    r"""3-D adaptive max pooling to ``output_size`` (int or ``(D, H, W)``, ``None`` keeping
    the input's size); `return_indices` adds flat int64 indices into ``D * H * W``.

    Examples::

        >>> F.adaptive_max_pool3d(fastnn.randn(1, 64, 8, 9, 10), (5, 7, 9)).shape
        (1, 64, 5, 7, 9)
    """
    result = adaptive_max_pool3d_with_indices(input, output_size)
    return result if return_indices else result[0]
