"""F.interpolate (and the deprecated F.upsample, F.upsample_nearest, F.upsample_bilinear):
the op ``interpolate`` at the door (`fastnn._dispatch`).

Its checks are `_resample_args.parse`; the source indices and weights of each dimension
(`_resample_index`) are the call's plan, computed once per remembered call. Nearest modes
gather (`kernels.resample.nearest3d`); weighted modes run one pass per spatial dimension,
last first: the last dimension by `_last_pass`, the others by `weighted_middle`.
mode='area' is torch's: an adaptive average pooling, which F.interpolate calls directly.
"""
import math
import warnings

import numpy as np

from ... import _registry
from ..._registry import Attrs
from ..._dispatch import dispatch
from ..._runtime import launch
from ...kernels import resample as _kernels
from .._utils import channels_last_contiguous, kernel_array, thread_scratch
from . import _resample_index as _index
from ._pool_ops import _arrays, _native, _pad3
from ._pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
from ._resample_args import parse

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_AREA = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    r"""Resample `input` to `size` or by `scale_factor`, as torch.nn.functional.interpolate.

    Args:
        input: ``(N, C, W)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``
        size: the output's spatial size (an int or one per dimension)
        scale_factor: multiplier of the spatial size (a float or one per dimension); the
            output size is ``floor(in * scale_factor)``
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D), ``'bilinear'``,
            ``'bicubic'`` and ``'lanczos'`` (4-D; lanczos with antialias only),
            ``'trilinear'`` (5-D) or ``'area'`` (adaptive average pooling).
            Default: ``'nearest'``
        align_corners: for the interpolating modes, map the corner pixels' centres onto
            each other. Default: ``False``
        recompute_scale_factor: compute the output size, then interpolate with the scale
            it implies rather than the given `scale_factor`
        antialias: widen the bilinear / bicubic / lanczos filter when downsampling (4-D
            input)

    Examples::

        >>> F.interpolate(fastnn.randn(1, 3, 8, 8), scale_factor=2, mode='bilinear').shape
        (1, 3, 16, 16)
    """
    if mode == "area":
        arr, interp = parse(input, size, scale_factor, mode, align_corners,
                            recompute_scale_factor, antialias)
        return _AREA[interp.nd](input, interp.output_size)
    if (isinstance(input, np.ndarray) and not input.flags.c_contiguous
            and channels_last_contiguous(input)):
        # torch picks its kernel by the layout too: a remembered call is keyed by shape and
        # C-contiguity only, so a channels-last input says so in its key
        return dispatch("interpolate", input, size, scale_factor, mode, align_corners,
                        recompute_scale_factor, antialias, channels_last=True)
    return dispatch("interpolate", input, size, scale_factor, mode, align_corners,
                    recompute_scale_factor, antialias)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (warns, as torch does)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: :func:`interpolate` with mode='nearest' (warns, as torch does)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: :func:`interpolate` with mode='bilinear', align_corners=True."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------- the op

def _normalize(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
               recompute_scale_factor=None, antialias=False, channels_last=False):
    arr, interp = parse(input, size, scale_factor, mode, align_corners,
                        recompute_scale_factor, antialias)
    if interp.kind == "area":          # reached only through the door itself
        raise NotImplementedError("mode='area' runs as adaptive_avg_pool: call "
                                  "F.interpolate")
    return (arr,), Attrs(**interp._asdict())


def _meta(inputs, interp):
    arr, = inputs
    return arr.shape[:2] + interp.output_size, _native(arr)


def _table(interp, dtype, in_size, out_size, scale):
    if interp.antialias:
        return _index.antialiased(dtype, in_size, out_size, interp.align_corners, scale,
                                  interp.kind)
    table = _index.cubic if interp.kind == "cubic" else _index.linear
    return table(dtype, in_size, out_size, interp.align_corners, scale)


def _plan(inputs, interp, meta):
    """(input as (planes, D, H, W), output likewise, per-dimension tables), or None when
    the output is empty. A weighted table of None: that dimension is left as it is (an
    antialiased dimension whose size does not change, which torch skips)."""
    arr, = inputs
    shape = meta[0]
    if not math.prod(shape):
        return None
    planes = shape[0] * shape[1]
    x_shape = (planes,) + _pad3(arr.shape[2:], interp.nd, 1)
    out_shape = (planes,) + _pad3(shape[2:], interp.nd, 1)
    in_sizes, out_sizes = arr.shape[2:], shape[2:]
    if interp.kind in ("nearest", "nearest-exact"):
        exact = interp.kind == "nearest-exact"
        if interp.vectorized:
            tables = [_index.nearest_float(i, o, s, exact)
                      for i, o, s in zip(in_sizes, out_sizes, interp.scales)]
        else:
            tables = [_index.nearest(meta[1], i, o, s, exact)
                      for i, o, s in zip(in_sizes, out_sizes, interp.scales)]
        zeros = [np.zeros(1, np.int64)] * (3 - interp.nd)
        return x_shape, out_shape, tuple(zeros + tables)
    dtype = meta[1]
    tables = []
    for i, o, s in zip(in_sizes, out_sizes, interp.scales):
        skip = interp.antialias and i == o
        tables.append(None if skip else _table(interp, dtype, i, o, s))
    return x_shape, out_shape, tuple(tables)


# per row of a block: its input and output rows, 64 rows of float64 at most, kept to 8 MB
_BLOCK_BYTES = 64 * 8
_BLOCK_LIMIT = 8 << 20


def _last_pass(x, out, table, work):
    """The last dimension's pass: on blocks of rows (`weighted_last_blocked`), or output
    by output when the rows are too long for the blocks' scratch."""
    index, weights, counts = table
    if (x.shape[1] + out.shape[1]) * _BLOCK_BYTES <= _BLOCK_LIMIT:
        launch(_kernels.weighted_last_blocked, x, out, index, weights, counts, work=work)
    else:
        launch(_kernels.weighted_last, x, out, index, weights, counts, work=work)


def _kernel_args(inputs, interp, out, plan):
    if plan is None:
        return None
    return kernel_array(inputs[0]), interp, out, plan


def _run(x, interp, out, plan):
    x_shape, out_shape, tables = plan
    x = x.reshape(x_shape)
    target = out.reshape(out_shape)
    if interp.kind in ("nearest", "nearest-exact"):
        launch(_kernels.nearest3d, x, target, *tables, work=target.size)
        return
    # one pass per dimension, last first; a pass reshapes to (outer, size, inner)
    passes = [(axis, table) for axis, table in zip(range(4 - interp.nd, 4), tables)
              if table is not None]
    if not passes:
        target[...] = x
        return
    current = x
    for n, (axis, table) in reversed(list(enumerate(passes))):
        shape = list(current.shape)
        shape[axis] = out_shape[axis]
        # two scratch buffers alternate between the passes (trilinear has three)
        result = target if n == 0 else thread_scratch(
            f"interpolate{n % 2}", math.prod(shape), x.dtype)[:math.prod(shape)].reshape(
                shape)
        index, weights, counts = table
        work = result.size * index.shape[1]
        if axis == 3:
            rows = current.reshape(-1, current.shape[3])
            _last_pass(rows, result.reshape(-1, shape[3]), table, work)
        else:
            outer = math.prod(shape[:axis])
            inner = math.prod(shape[axis + 1:])
            launch(_kernels.weighted_middle,
                   current.reshape(outer, current.shape[axis], inner),
                   result.reshape(outer, shape[axis], inner), index, weights, counts,
                   work=work)
        current = result
    if interp.antialias and out_shape[3] == 1 and tables[0] is not None:
        # torch 2.13's antialiased vertical pass into a width-1 output writes every row
        # of a plane as its first row (a torch bug, followed as the project's rule asks)
        target[...] = target[:, :, :1]


_registry.register_single("interpolate", _normalize, _meta, _run, arrays=_arrays,
                          plan=_plan, kernel_args=_kernel_args)
