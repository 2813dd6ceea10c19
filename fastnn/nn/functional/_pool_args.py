"""Pooling argument parsing and shape checks, as torch 2.13's C++ does them (order and
wording, quirks included), shared by the pooling ops in `_pooling.py`."""
import operator

import numpy as np

from .._utils import as_array

__all__ = []

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
                # torch unpacks a bool after the first element as an int (2, True) = (2, 1)
                if not (_is_int(item) or (pos and isinstance(item, bool))):
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


# ---------------------------------------------------------------- max pooling

def _max_pool_checked(nd, input, kernel_size, stride, padding, dilation, ceil_mode,
                      with_indices):
    """max_pool2d/3d as torch's max_pool{2,3}d_with_indices checks them:
    (array, kernel, stride, padding, dilation, output size)."""
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
    return arr, k, s, p, d, out


def _max_pool1d_args(input, kernel_size, stride, padding, dilation, ceil_mode):
    """torch.max_pool1d's checks: (array, kernel, stride, padding, dilation, output size)."""
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
    return arr, (k,), (s,), (p,), (d,), (out,)


# ---------------------------------------------------------------- adaptive output sizes

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
