"""F.grid_sample (the op ``grid_sample`` at the door, `fastnn._dispatch`) and F.affine_grid
(a composition of door ops, so its gradient to theta comes from theirs).

grid_sample's checks are torch's, in torch's order: the Python layer's (mode, padding
mode, the align_corners warning), then the C++ layer's (argument types, batch sizes, the
grid's last dimension, empty spatial dimensions, the rank, bicubic on 5-D, dtypes). Its
kernels (`kernels.grid_sample`) compute each coordinate as torch's CPU kernels do,
including what a NaN coordinate becomes (the 2-D and 3-D kernels of torch differ there).
"""
import math
import warnings

import numpy as np

from ... import _registry
from ..._args import bool_arg, torch_typename
from ..._dispatch import dispatch
from ..._registry import Attrs
from ..._runtime import launch
from ...kernels import grid_sample as _kernels
from ...tensor import Tensor
from .._utils import as_array, check_float, kernel_array, wrap
from ._pool_grad import empty_like_input

__all__ = ["grid_sample", "affine_grid"]

_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDINGS = {"zeros": 0, "border": 1, "reflection": 2}
_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False "
            "since 1.3.0. Please specify align_corners=True if the old behavior is desired. "
            "See the documentation of grid_sample for details.")
# torch's scalar-type names in its "not implemented for" and "expected scalar type" errors
_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int32": "Int",
               "int64": "Long", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _check_strings(mode, padding_mode):
    if mode != "bilinear" and mode != "nearest" and mode != "bicubic":
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode != "zeros" and padding_mode != "border" and padding_mode != "reflection":
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    r"""Sample `input` at the points of `grid`, as torch.nn.functional.grid_sample.

    Args:
        input: ``(N, C, H, W)`` or ``(N, C, D, H, W)``, float32 or float64
        grid: ``(N, Ho, Wo, 2)`` or ``(N, Do, Ho, Wo, 3)``, the points as (x, y[, z]) in
            ``[-1, 1]`` (normalised by the input's size), of the input's dtype
        mode: ``'bilinear'`` (trilinear on 5-D), ``'nearest'`` (halves round to even) or
            ``'bicubic'`` (4-D only; cubic convolution with A = -0.75)
        padding_mode: what points outside the input read: ``'zeros'``, ``'border'`` or
            ``'reflection'``
        align_corners: ``-1`` and ``1`` are the corner pixels' centres (True) or their
            outer edges (False). Default: ``False``, with torch's warning when not given

    Shape: the output is ``(N, C, Ho, Wo)`` or ``(N, C, Do, Ho, Wo)``.

    Examples::

        >>> F.grid_sample(fastnn.randn(1, 3, 8, 8), fastnn.zeros(1, 4, 4, 2),
        ...               align_corners=False).shape
        (1, 3, 4, 4)
    """
    _check_strings(mode, padding_mode)
    if align_corners is None:
        warnings.warn(_WARNING, stacklevel=2)
        align_corners = False
    return dispatch("grid_sample", input, grid, mode, padding_mode, align_corners)


def _arrays(input, grid, *args, **kwargs):
    return as_array(input), as_array(grid)


def _sizes(arr):
    return "[" + ", ".join(str(s) for s in arr.shape) + "]"


def _size(arr, dim):
    if arr.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return arr.shape[dim]


def _check_dtypes(x, g, nd):
    xt, gt = x.dtype.newbyteorder("="), g.dtype.newbyteorder("=")
    if xt.kind in "biu":
        kernel = "grid_sampler_2d_cpu_kernel_impl" if nd == 2 else "grid_sampler3d_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_TYPE_NAMES.get(xt.name, xt.name)}'")
    check_float(x)
    if gt != xt:
        raise RuntimeError(f"expected scalar type {_TYPE_NAMES.get(xt.name, xt.name)} but "
                           f"found {_TYPE_NAMES.get(gt.name, gt.name)}")


def _normalize(input, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    _check_strings(mode, padding_mode)
    for name, position, value in (("input", 1, input), ("grid", 2, grid)):
        if not (isinstance(value, np.ndarray) or hasattr(value, "__array__")):
            raise TypeError(f"grid_sampler(): argument '{name}' (position {position}) must "
                            f"be Tensor, not {torch_typename(value)}")
    align_corners = bool_arg(align_corners, "grid_sampler", "align_corners", 5)
    x, g = as_array(input), as_array(grid)
    if _size(g, 0) != _size(x, 0):
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {_sizes(x)} and grid with sizes "
                           f"{_sizes(g)}")
    if g.shape[-1] != x.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {x.ndim - 2} in last "
                           f"dimension, but got grid with sizes {_sizes(g)}")
    for i in range(2, x.ndim):
        if x.shape[i] <= 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {_sizes(x)} with dimension "
                               f"{i} being empty")
    nd = 2 if x.ndim == 4 else 3
    if x.ndim != nd + 2 or g.ndim != x.ndim:
        raise RuntimeError(f"grid_sampler(): expected {nd + 2}D input and grid with same "
                           f"number of dimensions, but got input with sizes {_sizes(x)} and "
                           f"grid with sizes {_sizes(g)}")
    if nd == 3 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    _check_dtypes(x, g, nd)
    return (x, g), Attrs(mode=_MODES[mode], padding=_PADDINGS[padding_mode],
                         align_corners=align_corners, nd=nd)


def _meta(inputs, attrs):
    x, g = inputs
    return x.shape[:2] + g.shape[1:-1], x.dtype.newbyteorder("=")


def _plan(inputs, attrs, meta):
    """Per spatial axis (x, y, z) the constants of `kernels.grid_sample`, in the dtype."""
    x, _ = inputs
    dtype = meta[1].type
    sizes = x.shape[:1:-1] + (1,) * (5 - x.ndim)       # W, H, D
    rows = []
    for size in sizes:
        s = dtype(size)
        scale = dtype(size - 1) / dtype(2) if attrs.align_corners else s / dtype(2)
        low, high = (0, 2 * (size - 1)) if attrs.align_corners else (-1, 2 * size - 1)
        rows.append([s, dtype(size - 1), scale, low, high, 0, 1, 2, 0.5])
    return np.array(rows, dtype)


def _five(arr, nd):
    """A 4-D array (or grid) seen as 5-D: a depth of 1 after the two leading axes
    (after the first of a grid's)."""
    if nd == 3:
        return arr
    return arr.reshape(arr.shape[:1] + (1,) + arr.shape[1:])


def _input5(arr, nd):
    return arr if nd == 3 else arr.reshape(arr.shape[:2] + (1,) + arr.shape[2:])


def _kernel_args(inputs, attrs, out, plan):
    if not out.size:
        return None
    x, g = inputs
    return (_input5(kernel_array(x), attrs.nd), _five(kernel_array(g), attrs.nd),
            _input5(out, attrs.nd), plan, attrs)


def _run(x, g, out, plan, attrs):
    launch(_kernels.grid_sample_forward, x, g, out, plan, attrs.mode, attrs.padding,
           attrs.align_corners, attrs.nd == 3, work=out.size * 4)


def _backward(ctx, grad):
    x, g = ctx.inputs
    attrs = ctx.attrs
    nd = attrs.nd
    gx = empty_like_input(ctx, 0) if ctx.needs[0] else None
    gg = empty_like_input(ctx, 1) if ctx.needs[1] else None
    if not grad.size:
        for result in (gx, gg):
            if result is not None:
                result[...] = 0
        return gx, gg
    grad5 = _input5(kernel_array(grad), nd)
    grid5 = _five(kernel_array(g), nd)
    args = (ctx.plan, attrs.mode, attrs.padding, attrs.align_corners, nd == 3)
    if gx is not None:
        launch(_kernels.grid_sample_input_grad, grad5, grid5, _input5(gx, nd), *args,
               work=grad.size * 4 + gx.size)
    if gg is not None:
        launch(_kernels.grid_sample_grid_grad, grad5, _input5(kernel_array(x), nd), grid5,
               _five(gg, nd), *args, work=grad.size * 8)
    return gx, gg


_registry.register_single("grid_sample", _normalize, _meta, _run, arrays=_arrays,
                          plan=_plan, kernel_args=_kernel_args)
_registry.register_backward("grid_sample", _backward, saves=(0, 1))


# ---------------------------------------------------------------- affine_grid

def _linspace(steps, align_corners, dtype):
    """torch's linspace_from_neg_one: torch.linspace(-1, 1, steps) (its two-sided
    formula), scaled by (steps - 1) / steps without align_corners; [0] for one step."""
    if steps <= 1:
        return np.zeros(1, dtype)
    one = dtype.type(1)
    step = (one + one) / dtype.type(steps - 1)
    i = np.arange(steps)
    half = steps // 2
    r = np.where(i < half, -one + step * i.astype(dtype),
                 one - step * (steps - 1 - i).astype(dtype)).astype(dtype)
    if not align_corners:
        r = (r * dtype.type(steps - 1)) / dtype.type(steps)
    return r


def affine_grid(theta, size, align_corners=None):
    r"""The sampling grid of a batch of affine maps, as torch.nn.functional.affine_grid.

    Args:
        theta: ``(N, 2, 3)`` for a 2-D grid or ``(N, 3, 4)`` for a 3-D one, floating point
        size: the output image's size, ``(N, C, H, W)`` or ``(N, C, D, H, W)``
        align_corners: as in :func:`grid_sample` (use the same). Default: ``False``, with
            torch's warning when not given

    Shape: the grid is ``(N, H, W, 2)`` or ``(N, D, H, W, 3)``.

    Example::

        >>> F.affine_grid(fastnn.tensor([[[1., 0, 0], [0, 1, 0]]]), (1, 3, 4, 5),
        ...               align_corners=False).shape
        (1, 4, 5, 2)
    """
    if align_corners is None:
        warnings.warn(_WARNING, stacklevel=2)
        align_corners = False
    arr = as_array(theta, "theta")
    if arr.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got "
                         f"torch.{arr.dtype.name}")
    shape = "torch.Size(" + _sizes(arr) + ")"
    if len(size) == 4:
        if arr.ndim != 3 or arr.shape[-2] != 2 or arr.shape[-1] != 3:
            raise ValueError("Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if arr.ndim != 3 or arr.shape[-2] != 3 or arr.shape[-1] != 4:
            raise ValueError("Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    align_corners = bool_arg(align_corners, "affine_grid_generator", "align_corners", 3)
    n = size[0]
    if arr.shape[0] != n:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{n}, {arr.shape[2]}] but got: [{arr.shape[0]}, "
                           f"{arr.shape[2]}].")
    check_float(arr, "theta")
    base = _base_grid(tuple(spatial), align_corners, arr.dtype.newbyteorder("="))
    points = math.prod(spatial)
    rows = wrap(np.broadcast_to(base.reshape(1, points, base.shape[-1]),
                                (n, points, base.shape[-1])).copy())
    if not isinstance(theta, Tensor):
        theta = wrap(arr)
    grid = rows @ theta.transpose(1, 2)
    return grid.view(n, *spatial, len(spatial))


def _base_grid(spatial, align_corners, dtype):
    """(*spatial, nd + 1): the points (x, y[, z], 1) of an output of size `spatial`."""
    axes = [_linspace(s, align_corners, dtype) for s in spatial]     # D, H, W or H, W
    nd = len(spatial)
    base = np.ones(tuple(spatial) + (nd + 1,), dtype)
    for k, axis in enumerate(reversed(axes)):                         # x (W) first
        shape = [1] * nd
        shape[nd - 1 - k] = -1
        base[..., k] = axis.reshape(shape)
    return base
