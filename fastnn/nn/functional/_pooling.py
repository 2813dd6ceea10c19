"""F.max_pool*, F.avg_pool*, F.adaptive_*_pool*: validate with torch's words, allocate, run.

Every op runs through a 3-D kernel on a (planes, D, H, W) view, planes = N * C. The checks
follow torch 2.13's C++ in its order and wording, quirks included (e.g. max_pool1d checks
differently with and without return_indices; adaptive_avg_pool2d to (1, 1) is a plain
mean over the last two dimensions, for any rank).
"""
import operator

import numpy as np

from ..._runtime import launch
from ...kernels import pool_avg as _avg_kernels
from ...kernels import pooling as _max_kernels
from .._utils import as_array, check_float, kernel_array, wrap
from ._padding import checked_empty

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
]

_WORD = {2: "two", 3: "three"}
_INT32 = 1 << 31
_INT64 = 1 << 63


# ---------------------------------------------------------------- argument parsing (torch's)

def _type_name(value):
    cls = type(value)
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


def _is_int(value):
    return not isinstance(value, (bool, np.bool_, np.ndarray)) and hasattr(value, "__index__")


def _unpack_int(value):
    value = operator.index(value)
    if not -_INT64 <= value < _INT64:
        raise ValueError("Overflow when unpacking long long")
    return value


def _parse(op, specs):
    """torch's argument parser for (name, value, position, kind) specs, kind being an int
    (the list length a plain int is repeated to), "bool" or "int".

    Like torch, it first type-checks every argument in order (a list only by its first
    element), then unpacks the lists last to first (the order in which the compiled
    binding evaluates them), so the error names the argument torch's would.
    """
    for name, value, position, kind in specs:
        if kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "int":
            ok = value is None or _is_int(value)
        elif isinstance(value, (list, tuple)):
            if value and not _is_int(value[0]):
                raise TypeError(
                    f"{op}(): argument '{name}' (position {position}) must be tuple of ints, "
                    f"but found element of type {_type_name(value[0])} at pos 0")
            ok = True
        else:
            ok = _is_int(value)
        if not ok:
            wanted = {"bool": "bool", "int": "int"}.get(kind, "tuple of ints")
            raise TypeError(f"{op}(): argument '{name}' (position {position}) must be "
                            f"{wanted}, not {_type_name(value)}")
    parsed = [None] * len(specs)
    for i in reversed(range(len(specs))):
        name, value, _, kind = specs[i]
        if kind == "bool" or value is None:
            parsed[i] = value
        elif kind == "int":
            parsed[i] = _unpack_int(value)
        elif isinstance(value, (list, tuple)):
            for pos, item in enumerate(value):
                if not _is_int(item):
                    raise TypeError(
                        f"{op}(): argument '{name}' failed to unpack the object at pos "
                        f"{pos + 1} with error \"type must be tuple of ints,but got "
                        f"{_type_name(item)}\"")
            parsed[i] = tuple(_unpack_int(item) for item in value)
        else:
            parsed[i] = (_unpack_int(value),) * kind
    return parsed


def _pool_args(op, nd, kernel_size, stride, padding, dilation=None, ceil_mode=False,
               count_include_pad=None, divisor_override=None):
    """Parse a max/avg pooling op's arguments (positions as in torch's signatures)."""
    specs = [("kernel_size", kernel_size, 2, nd),
             ("stride", () if stride is None else stride, 3, nd),
             ("padding", padding, 4, nd)]
    if dilation is not None:
        specs += [("dilation", dilation, 5, nd), ("ceil_mode", ceil_mode, 6, "bool")]
    else:
        specs += [("ceil_mode", ceil_mode, 5, "bool"),
                  ("count_include_pad", count_include_pad, 6, "bool"),
                  ("divisor_override", divisor_override, 7, "int")]
    return _parse(op, specs)


def _expand(values, nd, message, allow_empty=False):
    """torch's `size() == 1 || size() == nd` check, then the single value repeated."""
    if len(values) == nd or len(values) == 1 or (allow_empty and not values):
        return values * nd if len(values) == 1 else values
    raise RuntimeError(message)


def _to_int32(values):
    # torch narrows the 2-D/3-D window arguments to C int
    if any(not -_INT32 <= v < _INT32 for v in values):
        raise RuntimeError("value cannot be converted to type int without overflow")
    return values


def _trunc_div(a, b):
    """C++ integer division (rounds toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _sizes(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _output_size(size, kernel, pad, stride, dilation, ceil_mode):
    """torch's pooling_output_shape, with its three checks."""
    if stride == 0:
        raise RuntimeError("stride should not be zero")
    if pad < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {pad}")
    if pad > _trunc_div((kernel - 1) * dilation + 1, 2):
        raise RuntimeError(
            f"pad should be at most half of effective kernel size, but got pad={pad}, "
            f"kernel_size={kernel} and dilation={dilation}")
    out = (size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
           ) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1        # the last window must start inside the input or the left padding
    return out


def _check_rank_range(arr, op, low, high):
    if not low <= arr.ndim <= high:
        raise RuntimeError(
            f"Expected {low} to {high} dimensions, but got {arr.ndim}-dimensional tensor for "
            f"argument #1 'self' (while checking arguments for {op})")


def _check_one(op, name, values):
    if len(values) != 1:
        raise RuntimeError(f"{op}() argument '{name}' should contain one int (got {len(values)})")


def _size_at(shape, dim):
    """shape[dim] for a negative dim, with torch's IndexError when out of range."""
    if not shape:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if -dim > len(shape):
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-len(shape)}, {len(shape) - 1}], but got {dim})")
    return shape[dim]


def _check_window_2d(shape, k, s, p, d, out):
    """torch's pool2d_shape_check (kernel, stride, dilation, dims, pad, output size)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = k, s, p, d
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dh} "
                           f"dilationW: {dw}")
    if not (len(shape) in (3, 4) and all(shape[-3:])):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{_sizes(shape)}")
    if kw // 2 < pw or kh // 2 < ph:
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but "
                           f"got padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    if out[0] < 1 or out[1] < 1:
        c, h, w = shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")


def _check_window_3d(shape, k, s, p, d, out, fn_name, check_input_size=False):
    """torch's pool3d_shape_check."""
    (kt, kh, kw), (st, sh, sw), (pt, ph, pw), (dt, dh, dw) = k, s, p, d
    if kt <= 0 or kh <= 0 or kw <= 0:
        raise RuntimeError("kernel size should be greater than zero, but got "
                           f"kT: {kt} kH: {kh} kW: {kw}")
    if st <= 0 or sh <= 0 or sw <= 0:
        raise RuntimeError("stride should be greater than zero, but got "
                           f"dT: {st} dH: {sh} dW: {sw}")
    if dt <= 0 or dh <= 0 or dw <= 0:
        raise RuntimeError("dilation should be greater than zero, but got "
                           f"dilationT: {dt} dilationH: {dh} dilationW: {dw}")
    for i, size in enumerate(shape):
        if size <= 0 and not (len(shape) == 5 and i == 0):
            raise RuntimeError(
                f"{fn_name}: Expected input's non-batch dimensions to have positive length, "
                f"but input has a shape of {_sizes(shape)} and non-batch dimension {size} "
                "has length zero!")
    t, h, w = shape[-3:]
    if check_input_size and (t < kt or h < kh or w < kw):
        raise RuntimeError(f"input image (T: {t} H: {h} W: {w}) smaller than kernel size "
                           f"(kT: {kt} kH: {kh} kW: {kw})")
    if kt // 2 < pt or kw // 2 < pw or kh // 2 < ph:
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but "
                           f"got kT: {kt} kW: {kw} kH: {kh} padT: {pt} padW: {pw} padH: {ph}")
    if min(out) < 1:
        c = shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{t}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")


# ---------------------------------------------------------------- running the kernels

def _as_3d(arr, nd):
    """The contiguous input as (planes, D, H, W): leading dims flattened, singletons added."""
    spatial = arr.shape[arr.ndim - nd:]
    planes = int(np.prod(arr.shape[:arr.ndim - nd], dtype=np.int64))
    return arr.reshape((planes,) + (1,) * (3 - nd) + spatial)


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


def _max_pool(arr, nd, k, s, p, d, out, with_indices):
    k3, s3, p3, d3 = _pad3(k, nd, 1), _pad3(s, nd, 1), _pad3(p, nd, 0), _pad3(d, nd, 1)
    args = k3 + s3 + p3 + d3
    if with_indices:
        return _run(arr, nd, out, lambda x, o, i: launch(
            _max_kernels.max_pool3d_with_indices, x, o, i, *args), True)
    if _separable_fits(arr.shape[-1], out[-1], k3[2], s3[2], p3[2], d3[2]):
        return _run(arr, nd, out, lambda x, o: launch(_max_kernels.max_pool3d, x, o, *args),
                    False)
    return _run(arr, nd, out, lambda x, o: launch(
        _max_kernels.max_pool3d_with_indices, x, o, np.empty(o.shape, np.int64), *args),
        False)


def _max_pool_nd(nd, input, kernel_size, stride, padding, dilation, ceil_mode, with_indices):
    """max_pool2d/3d as torch's max_pool{2,3}d_with_indices checks them."""
    op = f"max_pool{nd}d" + ("_with_indices" if with_indices else "")
    arr = as_array(input)
    k, s, p, d, _ = _pool_args(op, nd, kernel_size, stride, padding, dilation, ceil_mode)
    name, word = f"max_pool{nd}d", _WORD[nd]
    k = _to_int32(_expand(k, nd, f"{name}: kernel_size must either be a single int, or a "
                                 f"tuple of {word} ints"))
    s = _to_int32(_expand(s, nd, f"{name}: stride must either be omitted, a single int, or a "
                                 f"tuple of {word} ints", allow_empty=True) or k)
    p = _to_int32(_expand(p, nd, f"{name}: padding must either be a single int, or a tuple "
                                 f"of {word} ints"))
    d = _to_int32(_expand(d, nd, f"{name}: dilation must be either a single int, or a tuple "
                                 f"of {word} ints"))
    if arr.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected "
                           "for input")
    shape = arr.shape
    out = [_output_size(shape[arr.ndim - nd + i], k[i], p[i], s[i], d[i], ceil_mode)
           for i in range(nd)]
    if nd == 2:
        _check_window_2d(shape, k, s, p, d, out)
    else:
        _check_window_3d(shape, k, s, p, d, out, "max_pool3d_with_indices_out_cpu_template()")
    return _max_pool(arr, nd, k, s, p, d, out, with_indices)


def _max_pool1d_checked(input, kernel_size, stride, padding, dilation, ceil_mode):
    """torch.max_pool1d (no indices): its own checks and wording."""
    op = "max_pool1d"
    arr = as_array(input)
    k, s, p, d, _ = _pool_args(op, 1, kernel_size, stride, padding, dilation, ceil_mode)
    shape = arr.shape
    if not ((arr.ndim == 2 and shape[0] and shape[1])
            or (arr.ndim == 3 and shape[1] and shape[2])):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{_sizes(shape)}")
    for name, values, allowed in (
            ("kernel_size must be an int, list of ints or tuple of ints", k, (1,)),
            ("stride must be None, an int, list of ints, or tuple of ints", s, (0, 1)),
            ("padding must be an int, list of ints, or tuple of ints", p, (1,)),
            ("dilation must be an int, list of ints or tuple of ints", d, (1,))):
        if len(values) not in allowed:
            raise RuntimeError(f"max_pool1d() {name} of size 1 but got size {len(values)}")
    (k,), (p,), (d,) = k, p, d
    s = s[0] if s else k
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError("max_pool1d() padding should be at most half of kernel size, but "
                           f"got padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = _output_size(shape[-1], k, p, s, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    return _max_pool(arr, 1, (k,), (s,), (p,), (d,), (out,), False)


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
    return _run(arr, nd, out, lambda x, o: launch(_avg_kernels.avg_pool3d, x, o, *args),
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

def _with_defaults(output_size, shape):
    """torch.nn.functional's _list_with_default: None entries keep the input's size."""
    if isinstance(output_size, int):
        return output_size
    if len(shape) <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    tail = shape[len(shape) - len(output_size):]
    return [d if v is None else v for v, d in zip(output_size, tail)]


def _adaptive_size(op, nd, input, output_size):
    """The input array and output_size of a 2-D/3-D adaptive op, `None`s filled in."""
    arr = as_array(input)
    size, = _parse(op, [("output_size", _with_defaults(output_size, arr.shape), 2, nd)])
    return arr, size


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
            _avg_kernels.mean_rows, x.reshape(x.shape[0], -1), o.reshape(-1)), False)
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
    return _run(arr, nd, size, lambda x, o: launch(_avg_kernels.adaptive_avg_pool3d, x, o),
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
        _max_kernels.adaptive_max_pool3d, x, o, i), True)
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
