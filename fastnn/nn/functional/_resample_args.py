"""F.interpolate's argument handling, as torch 2.13 does it: first the Python of
torch.nn.functional.interpolate (in its order and words), then the checks of the C++ op it
calls (the output size from the scale factors, sizes > 0, a non-empty input).

`parse` returns an `Interp`: which torch op the call reaches and its canonical arguments.
"""
import math
import operator
from typing import NamedTuple

import numpy as np

from .._utils import as_array, channels_last_contiguous, check_float
from ._pool_args import _sizes

_NO_ALIGN = ("nearest", "area", "nearest-exact")
_ANTIALIAS = ("bilinear", "bicubic", "lanczos")
_OPS = {
    ("nearest", 3): "upsample_nearest1d", ("nearest", 4): "upsample_nearest2d",
    ("nearest", 5): "upsample_nearest3d",
    ("nearest-exact", 3): "_upsample_nearest_exact1d",
    ("nearest-exact", 4): "_upsample_nearest_exact2d",
    ("nearest-exact", 5): "_upsample_nearest_exact3d",
    ("area", 3): "adaptive_avg_pool1d", ("area", 4): "adaptive_avg_pool2d",
    ("area", 5): "adaptive_avg_pool3d",
    ("linear", 3): "upsample_linear1d", ("bilinear", 4): "upsample_bilinear2d",
    ("trilinear", 5): "upsample_trilinear3d", ("bicubic", 4): "upsample_bicubic2d",
}
_WRONG_RANK = {("bilinear", 3): 4, ("trilinear", 3): 5, ("linear", 4): 3,
               ("trilinear", 4): 5, ("linear", 5): 3, ("bilinear", 5): 4}
_LETTERS = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}
_INT64_LIMIT = 2.0 ** 63


class Interp(NamedTuple):
    op: str                 # the torch op the call reaches (upsample_bilinear2d, ...)
    kind: str               # nearest, nearest-exact, linear, cubic, lanczos, area
    nd: int                 # spatial dimensions
    output_size: tuple
    scales: tuple           # per dimension: the scale factor the kernel uses, or None
    align_corners: bool
    antialias: bool
    vectorized: bool = False   # torch runs its channels-last kernel (nearest: a float
                               # scale and the 1x / 2x shortcuts), see `_vectorized`


def _is_integer(x):
    return isinstance(x, (int, np.integer))


def _is_real(x):
    return isinstance(x, (int, float, np.integer, np.floating))


def _invalid_combination(op, args):
    got = ", ".join("Tensor" if i == 0 else type(a).__name__ for i, a in enumerate(args))
    return TypeError(f"{op}() received an invalid combination of arguments - got ({got}), "
                     "but expected one of:")


def _front(arr, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias):
    """torch.nn.functional.interpolate's Python: (op, output_size, scale_factors, align)."""
    if mode in _NO_ALIGN:
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = arr.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(arr.shape[2:])} and output "
                    f"size of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                    "format and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    "Tuple[int, int, int], but got size with types "
                    f"{[type(x) for x in size]}")
            output_size = size
        else:
            output_size = [size for _ in range(dim)]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions,"
                    f" but got input with spatial dimensions of {list(arr.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    "format.")
            scale_factors = scale_factor
        else:
            scale_factors = [scale_factor for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor is not None and recompute_scale_factor:
        output_size = [int(arr.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in _ANTIALIAS and arr.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    try:
        op = _OPS.get((mode, arr.ndim))
    except TypeError:                       # an unhashable mode
        op = None
    if mode == "lanczos" and arr.ndim == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
        return "_upsample_lanczos2d_aa", output_size, scale_factors, align_corners
    if op is None:
        try:
            wanted = _WRONG_RANK.get((mode, arr.ndim))
        except TypeError:
            wanted = None
        if wanted is not None:
            raise NotImplementedError(f"Got {arr.ndim}D input, but {mode} mode needs "
                                      f"{wanted}D input")
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {arr.ndim}D) for "
            "the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode})")
    if antialias:
        op = f"_{op}_aa"
    return op, output_size, scale_factors, align_corners


def _cpp_arguments(op, output_size, scale_factors, align_corners):
    """The C++ argument parser's type checks: int sizes, float scales, bool align."""
    aligned = any(word in op for word in ("linear", "cubic", "lanczos"))
    args = [None, output_size] + ([align_corners] if aligned else [])
    args.append(scale_factors)
    if output_size is not None and not all(_is_integer(v) and not isinstance(v, bool)
                                           for v in output_size):
        raise _invalid_combination(op, args)
    if scale_factors is not None:
        for pos, v in enumerate(scale_factors):
            if not _is_real(v):
                if v is None:
                    raise TypeError(f"{op}(): argument 'scale_factors' must be tuple of "
                                    f"floats, but found element of type NoneType at pos "
                                    f"{pos + 1}")
                raise _invalid_combination(op, args)
    if len(args) == 4 and not isinstance(align_corners, (bool, np.bool_)):
        raise _invalid_combination(op, args)


def _checked_output_size(arr, nd, output_size, scale_factors):
    """upsample's compute_output_size: in * scale truncated, refused when not an int64."""
    if output_size is not None:
        return tuple(operator.index(v) for v in output_size)
    sizes = []
    for i in range(nd):
        value = arr.shape[i + 2] * float(scale_factors[i])
        if math.isnan(value) or not -_INT64_LIMIT <= value < _INT64_LIMIT:
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        sizes.append(int(value))
    return tuple(sizes)


def _common_checks(arr, nd, out):
    spatial = arr.shape[2:]
    if min(spatial) <= 0 or min(out) <= 0:
        letters = _LETTERS[nd]
        given = ", ".join(f"{c}: {v}" for c, v in zip(letters, spatial))
        wanted = ", ".join(f"{c}: {v}" for c, v in zip(letters, out))
        joint = " and" if nd == 1 else ""     # torch's 1-D wording
        raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                           f"({given}){joint} output ({wanted})")
    if arr.size == 0 and math.prod(arr.shape[1:]) == 0:
        raise RuntimeError(f"Non-empty {arr.ndim}D data tensor expected but got a tensor "
                           f"with sizes {_sizes(arr.shape)}")


def _kind(op):
    if op.startswith("adaptive"):
        return "area"
    if "nearest_exact" in op:
        return "nearest-exact"
    if "nearest" in op:
        return "nearest"
    if "lanczos" in op:
        return "lanczos"
    return "cubic" if "bicubic" in op else "linear"


def parse(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
          recompute_scale_factor=None, antialias=False, channels_last=False):
    """The `Interp` of an F.interpolate call, every check made in torch's order."""
    arr = as_array(input)
    op, output_size, scale_factors, align = _front(arr, size, scale_factor, mode,
                                                   align_corners, recompute_scale_factor,
                                                   antialias)
    nd = arr.ndim - 2
    kind = _kind(op)
    if kind == "area":
        return arr, Interp(op, kind, nd, tuple(output_size), (None,) * nd, False, False, False)
    _cpp_arguments(op, output_size, scale_factors, align)
    out = _checked_output_size(arr, nd, output_size, scale_factors)
    _common_checks(arr, nd, out)
    check_float(arr)
    scales = ((None,) * nd if scale_factors is None
              else tuple(float(s) for s in scale_factors))
    vectorized = nd > 1 and _vectorized(arr, out)
    return arr, Interp(op, kind, nd, out, scales, bool(align), bool(antialias), vectorized)


def _vectorized(arr, out):
    """torch 2.13's _use_vectorized_kernel_cond_2d/3d: the channels-last kernel for an
    input laid out channels-last with more than 3 channels, or (2-D) for a small output
    (its height plus width at most 128); the generic N-d kernel otherwise."""
    if channels_last_contiguous(arr) and arr.shape[1] > 3:
        return True
    return len(out) == 2 and out[0] + out[1] <= 128
