"""The pooling ops' registry entries: torch's checks (in its order and words), output
metadata, and the runs into a given `out`.

Every op runs through a 3-D kernel on a (planes, D, H, W) view, planes = N * C. The checks
follow torch 2.13's C++, quirks included (max_pool1d checks differently with and without
indices; adaptive_avg_pool2d to (1, 1) is a plain mean over the last two dimensions, for
any rank). Ops: max_pool{1,2,3}d (variants 'separable' and 'direct'), and with one variant
each max_pool{n}d_with_indices, avg_pool{n}d, adaptive_avg_pool{n}d, adaptive_max_pool{n}d
and adaptive_max_pool{n}d_with_indices.
"""
import math

import numpy as np

from ... import _registry
from ..._registry import Attrs
from ..._runtime import launch
from ..._tuning import bucketed, dims
from ...kernels import pool_argmax as _argmax_kernels
from ...kernels import pool_avg as _avg_kernels
from ...kernels import pooling as _max_kernels
from .._utils import as_array, check_float, kernel_array
from ._pool_args import (
    _WORD, _adaptive_size, _check_one, _check_rank_range, _check_window_2d,
    _check_window_3d, _expand, _max_pool1d_args, _max_pool_checked, _output_size, _parse,
    _pool_args, _size_at, _sizes, _to_int32)


def _planes_shape(shape, nd):
    """`shape` as (planes, D, H, W): leading dims flattened, singletons added."""
    spatial = tuple(shape[len(shape) - nd:])
    return (math.prod(shape[:len(shape) - nd]),) + (1,) * (3 - nd) + spatial


def _as_3d(arr, nd):
    return arr.reshape(_planes_shape(arr.shape, nd))


def _pad3(values, nd, fill):
    return (fill,) * (3 - nd) + tuple(values)


def _arrays(input, *args, **kwargs):
    return (as_array(input),)


def _native(arr):
    return arr.dtype.newbyteorder("=")


def _window_meta(nd, inputs, attrs, dilated=True):
    """(shape, dtype) of a max or average pooling whose attributes are checked."""
    arr, = inputs
    d = attrs.dilation if dilated else (1,) * nd
    out = tuple(_output_size(arr.shape[arr.ndim - nd + i], attrs.kernel_size[i],
                             attrs.padding[i], attrs.stride[i], d[i], attrs.ceil_mode)
                for i in range(nd))
    return arr.shape[:arr.ndim - nd] + out, _native(arr)


# ---------------------------------------------------------------- max pooling

def _max_normalize(nd, with_indices, input, kernel_size, stride=None, padding=0, dilation=1,
                   ceil_mode=False):
    if nd == 1 and with_indices:
        # torch.max_pool1d_with_indices: its checks, then max_pool2d's on (.., 1, L)
        arr = as_array(input)
        k, s, p, d, _ = _pool_args("max_pool1d_with_indices", 1, kernel_size, stride,
                                   padding, dilation, ceil_mode)
        s = s or k
        _check_rank_range(arr, "max_pool1d", 2, 3)
        for name, values in (("kernel_size", k), ("stride", s), ("padding", p),
                             ("dilation", d)):
            _check_one("max_pool1d", name, values)
        _max_pool_checked(2, arr[..., None, :], (1,) + k, (1,) + s, (0,) + p, (1,) + d,
                          ceil_mode, True)
    elif nd == 1:
        arr, k, s, p, d, _ = _max_pool1d_args(input, kernel_size, stride, padding, dilation,
                                              ceil_mode)
    else:
        arr, k, s, p, d, _ = _max_pool_checked(nd, input, kernel_size, stride, padding,
                                               dilation, ceil_mode, with_indices)
    check_float(arr)
    return (arr,), Attrs(kernel_size=tuple(k), stride=tuple(s), padding=tuple(p),
                         dilation=tuple(d), ceil_mode=bool(ceil_mode))


def _window(nd, attrs):
    return (_pad3(attrs.kernel_size, nd, 1) + _pad3(attrs.stride, nd, 1)
            + _pad3(attrs.padding, nd, 0) + _pad3(attrs.dilation, nd, 1))


def _max_tune_class(nd, inputs, attrs):
    """The shape class of a measured variant decision (`fastnn._tuning`): planes (batch
    times channels) and spatial sizes bucketed, the window exact."""
    arr = inputs[0]
    planes = math.prod(arr.shape[:arr.ndim - nd])
    window = " ".join(f"{name}={'x'.join(map(str, attrs[name]))}"
                      for name in ("kernel_size", "stride", "padding", "dilation"))
    return (f"{arr.dtype.name} {bucketed('planes', planes)} size={dims(arr.shape[-nd:])} "
            f"{window} ceil_mode={attrs.ceil_mode}")


def _max_plan(nd, inputs, attrs, meta):
    shape = meta[0]
    if not math.prod(shape):
        return None
    return _planes_shape(inputs[0].shape, nd), _planes_shape(shape, nd), _window(nd, attrs)


def _max_kernel_args(inputs, attrs, out, plan):
    """(x (planes, D, H, W), out likewise, kD, kH, kW, sD, ..., dW), or None when empty."""
    if plan is None:
        return None
    x_shape, out_shape, window = plan
    return (kernel_array(inputs[0]).reshape(x_shape), out.reshape(out_shape)) + window


def _run_separable(x, out, *window):
    launch(_max_kernels.max_pool3d, x, out, *window, work=x.size)


_NO_INDICES = np.zeros((1, 1, 1, 1), np.int64)


def _run_window_loop(x, out, *window):
    # values only: no indices array (it was twice the float32 output per call)
    launch(_max_kernels.max_pool3d_with_indices, x, out, _NO_INDICES, False, *window,
           work=x.size)


def _separable_fits(width, out_width, k, s, p, d):
    # the row buffer of the separable kernels spans every padded position a window
    # touches; absurd padding/dilation (legal in max_pool1d) takes the per-output kernel
    return max(p + width, (out_width - 1) * s + (k - 1) * d + 1) <= 4 * width + 4096


def _separable_applies(x, out, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw):
    if _separable_fits(x.shape[-1], out.shape[-1], kw, sw, pw, dw):
        return None
    return "its row buffer would be far longer than the input row (padding or dilation)"


def _max_pool_rule(*kernel_args):
    """'separable' wherever its row buffer stays small; otherwise the window loop 'direct'
    (`python -m fastnn bench --variants --only max_pool` times both against torch)."""
    return "direct" if _separable_applies(*kernel_args) else "separable"


def _max_with_indices_meta(nd, inputs, attrs):
    shape, dtype = _window_meta(nd, inputs, attrs)
    return [(shape, dtype), (shape, np.dtype(np.int64))]


def argmax_fits(x_shape, out_shape, window):
    """Whether `pool_argmax`'s separable argmax applies to (planes, D, H, W) `x_shape`
    pooled to `out_shape` with `window` (kd, kh, kw, sd, ..., dw): a short padded row and
    window rows few enough to be ranked exactly in float32."""
    kd, kh, kw = window[:3]
    sw, pw, dw = window[5], window[8], window[11]
    return (_separable_fits(x_shape[-1], out_shape[-1], kw, sw, pw, dw)
            and kd * kh < _argmax_kernels.MAX_WINDOW_ROWS)


# (kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw) of a 2-D 2x2 window at stride 2
_HALVING = (1, 2, 2, 1, 2, 2, 0, 0, 0, 1, 1, 1)


def argmax_into(x, values, indices, window):
    """Each window's max and its flat index over x (planes, D, H, W), as torch's scan picks
    them, where `argmax_fits`: a 2-D 2x2 window at stride 2 on its own kernel (four loads
    and three selects per output), any other (a 3-D pooling's (1, 2, 2) window too) on the
    separable one."""
    if (window == _HALVING and x.shape[1] == 1 and 2 * values.shape[2] <= x.shape[2]
            and 2 * values.shape[3] <= x.shape[3]):
        launch(_argmax_kernels.max_pool2x2_argmax, x, values, indices, work=2 * x.size)
    else:
        launch(_argmax_kernels.max_pool3d_argmax, x, values, indices, *window,
               work=3 * x.size)


def _run_max_with_indices(nd, inputs, attrs, out):
    """The separable argmax (`pool_argmax`: vectorised selects, the same indices) where it
    applies, else torch's loop, which branches on every element (`python -m fastnn bench
    --only pool_backward` times the forward and backward of a recorded max pooling)."""
    values, indices = out
    if values.size:
        x = _as_3d(kernel_array(inputs[0]), nd)
        values, indices = _as_3d(values, nd), _as_3d(indices, nd)
        window = _window(nd, attrs)
        if argmax_fits(x.shape, values.shape, window):
            argmax_into(x, values, indices, window)
        else:
            launch(_max_kernels.max_pool3d_with_indices, x, values, indices, True, *window,
                   work=x.size)


# ---------------------------------------------------------------- average pooling

def _avg_checks(nd, op, arr, k, s, p, ceil_mode, divisor_override):
    """avg_pool2d/3d's checks in torch's order: (kernel, stride, padding)."""
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
    return tuple(k), tuple(s), tuple(p)


def _avg_normalize(nd, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                   count_include_pad=True, divisor_override=None):
    arr = as_array(input)
    op = f"avg_pool{nd}d"
    if nd == 1:
        k, s, p, *_ = _pool_args(op, 1, kernel_size, stride, padding, ceil_mode=ceil_mode,
                                 count_include_pad=count_include_pad)
        s = s or k
        _check_rank_range(arr, op, 2, 3)
        for name, values in (("kernel_size", k), ("stride", s), ("padding", p)):
            _check_one(op, name, values)
        _avg_checks(2, "avg_pool2d", arr[..., None, :], (1,) + k, (1,) + s, (0,) + p,
                    ceil_mode, None)
        divisor = None
    else:
        k, s, p, _, _, divisor = _pool_args(op, nd, kernel_size, stride, padding, None,
                                            ceil_mode, count_include_pad, divisor_override)
        k, s, p = _avg_checks(nd, op, arr, k, s, p, ceil_mode, divisor)
    check_float(arr)
    return (arr,), Attrs(kernel_size=tuple(k), stride=tuple(s), padding=tuple(p),
                         ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                         divisor_override=divisor)


def _run_avg(nd, inputs, attrs, out):
    if out.size:
        x = _as_3d(kernel_array(inputs[0]), nd)
        launch(_avg_kernels.avg_pool3d, x, _as_3d(out, nd), *_pad3(attrs.kernel_size, nd, 1),
               *_pad3(attrs.stride, nd, 1), *_pad3(attrs.padding, nd, 0),
               attrs.count_include_pad, attrs.divisor_override or 0, work=x.size)


# ---------------------------------------------------------------- adaptive pooling

def _adaptive_1d(op, input, output_size):
    arr = as_array(input)
    size, = _parse(op, [("output_size", output_size, 2, 1)])
    _check_rank_range(arr, op, 2, 3)
    _check_one(op, "output_size", size)
    return arr, size


def _adaptive_avg_checks(nd, arr, size):
    """adaptive_avg_pool2d/3d's checks once output_size is parsed."""
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
        check_float(arr)
        return
    # torch's 2-D check looks at the rank first and then at the last two sizes; the 3-D
    # one at every size but the first, then at the rank
    nonzero_dims = range(arr.ndim - nd, arr.ndim) if nd == 2 else range(1, arr.ndim)
    if nd == 2 and arr.ndim not in (3, 4):
        nonzero_dims = ()
    for dim in nonzero_dims:
        if arr.shape[dim] == 0:
            raise RuntimeError(
                f"{op}(): Expected input to have non-zero size for non-batch dimensions, "
                f"but input has sizes {_sizes(arr.shape)} with dimension {dim} being empty")
    if arr.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{_sizes(arr.shape)}")
    check_float(arr)


def _adaptive_avg_normalize(nd, input, output_size):
    if nd == 1:
        arr, size = _adaptive_1d("adaptive_avg_pool1d", input, output_size)
        _adaptive_avg_checks(2, arr[..., None, :], (1,) + size)
    else:
        arr, size = _adaptive_size(f"adaptive_avg_pool{nd}d", nd, input, output_size)
        _adaptive_avg_checks(nd, arr, size)
    return (arr,), Attrs(output_size=tuple(size))


def _adaptive_meta(nd, inputs, attrs):
    arr, = inputs
    return arr.shape[:arr.ndim - nd] + attrs.output_size, _native(arr)


def _run_adaptive_avg(nd, inputs, attrs, out):
    arr = inputs[0]
    if not out.size:
        return
    if all(v == 1 for v in attrs.output_size):
        if 0 in arr.shape[arr.ndim - nd:]:
            out[...] = np.nan          # torch's mean of nothing
            return
        x = _as_3d(kernel_array(arr), nd)
        launch(_avg_kernels.mean_rows, x.reshape(x.shape[0], -1), out.reshape(-1),
               work=x.size)
        return
    x = _as_3d(kernel_array(arr), nd)
    launch(_avg_kernels.adaptive_avg_pool3d, x, _as_3d(out, nd), work=x.size)


def _adaptive_max_checks(nd, arr, size):
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
    check_float(arr)


def _adaptive_max_normalize(nd, input, output_size, return_indices=False):
    if nd == 1:
        arr, size = _adaptive_1d("adaptive_max_pool1d", input, output_size)
        for dim in range(1, arr.ndim):
            if arr.shape[dim] == 0:
                raise RuntimeError(
                    "adaptive_max_pool1d(): Expected input to have non-zero size for "
                    f"non-batch dimensions, but input has sizes {_sizes(arr.shape)} with "
                    f"dimension {dim} being empty")
        _adaptive_max_checks(2, arr[..., None, :], (1,) + size)
    else:
        arr, size = _adaptive_size(f"adaptive_max_pool{nd}d", nd, input, output_size)
        _adaptive_max_checks(nd, arr, size)
    return (arr,), Attrs(output_size=tuple(size))


def _adaptive_max_indices_meta(nd, inputs, attrs):
    shape, dtype = _adaptive_meta(nd, inputs, attrs)
    return [(shape, dtype), (shape, np.dtype(np.int64))]


def _run_adaptive_max(nd, inputs, attrs, out):
    if isinstance(out, tuple):
        values, indices = out
    else:
        values, indices = out, np.empty(out.shape, np.int64)   # the kernel writes both
    if values.size:
        x = _as_3d(kernel_array(inputs[0]), nd)
        launch(_max_kernels.adaptive_max_pool3d, x, _as_3d(values, nd),
               _as_3d(indices, nd), work=x.size)


# ---------------------------------------------------------------- registration

def _bind(fn, nd, *head):
    return lambda *a, **k: fn(nd, *head, *a, **k)


for _nd in (1, 2, 3):
    _op = f"max_pool{_nd}d"
    _registry.register_op(
        _op, _bind(_max_normalize, _nd, False), _bind(_window_meta, _nd), arrays=_arrays,
        plan=_bind(_max_plan, _nd), kernel_args=_max_kernel_args, rule=_max_pool_rule,
        tune_class=_bind(_max_tune_class, _nd))
    _registry.register_variant(_op, "separable", _run_separable, _separable_applies)
    _registry.register_variant(_op, "direct", _run_window_loop)
    _registry.register_single(
        f"{_op}_with_indices", _bind(_max_normalize, _nd, True),
        _bind(_max_with_indices_meta, _nd), _bind(_run_max_with_indices, _nd),
        arrays=_arrays)
    _registry.register_single(
        f"avg_pool{_nd}d", _bind(_avg_normalize, _nd),
        lambda inputs, attrs, _nd=_nd: _window_meta(_nd, inputs, attrs, dilated=False),
        _bind(_run_avg, _nd), arrays=_arrays)
    _registry.register_single(
        f"adaptive_avg_pool{_nd}d", _bind(_adaptive_avg_normalize, _nd),
        _bind(_adaptive_meta, _nd), _bind(_run_adaptive_avg, _nd), arrays=_arrays)
    _registry.register_single(
        f"adaptive_max_pool{_nd}d", _bind(_adaptive_max_normalize, _nd),
        _bind(_adaptive_meta, _nd), _bind(_run_adaptive_max, _nd), arrays=_arrays)
    _registry.register_single(
        f"adaptive_max_pool{_nd}d_with_indices", _bind(_adaptive_max_normalize, _nd),
        _bind(_adaptive_max_indices_meta, _nd), _bind(_run_adaptive_max, _nd),
        arrays=_arrays)
