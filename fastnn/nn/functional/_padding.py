"""F.pad: constant, reflect, replicate and circular padding, with torch's rules and words."""
import math
import operator

import numpy as np

from ..._runtime import launch
from ...kernels import conv_pad as _pad_kernels
from ... import _registry
from ..._dispatch import dispatch
from ..._registry import Attrs
from .._utils import as_array, check_float, kernel_array

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")
_NOT_SUPPORTED = (
    "Padding size {size} is not supported for {dim}D input tensor.\n"
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _pad_ints(pad):
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, "
                        f"not {type(pad).__name__}")
    out = []
    for i, p in enumerate(pad):
        if isinstance(p, (bool, np.bool_)):
            p = None
        else:
            try:
                p = operator.index(p)
            except TypeError:
                p = None
        if p is None:
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but "
                            f"found element of type {type(pad[i]).__name__} at pos {i}")
        out.append(p)
    return out


def pad(input, pad, mode="constant", value=None):
    r"""Pads the last ``len(pad) // 2`` dimensions of `input`, like ``torch.nn.functional.pad``.

    Args:
        input (Tensor): N-dimensional tensor (float32 or float64).
        pad (tuple): ``(left, right)`` for the last dimension, then ``(top, bottom)``,
            ``(front, back)``; negative values crop.
        mode: ``'constant'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
            Non-constant modes pad the last 1, 2 or 3 dimensions of a (batched or
            unbatched) 2-D/3-D, 3-D/4-D or 4-D/5-D input.
        value: fill value for ``'constant'`` padding. Default: ``0``

    Shape:
        Each padded dimension grows to ``size + left + right``.

    Examples::

        >>> x = fastnn.zeros(3, 3, 4, 2)
        >>> F.pad(x, (1, 1, 2, 2)).shape
        (3, 3, 8, 4)
    """
    return dispatch("pad", input, pad, mode, value)


def _normalize(input, pad, mode="constant", value=None):
    """torch's checks in its order: ((input,), Attrs(pad, mode, value)), `pad` a tuple of
    ints, `value` a float (None: 0 for 'constant')."""
    x = as_array(input)
    pads = _pad_ints(pad)
    if not isinstance(mode, str):
        raise TypeError(
            f"pad(): argument 'mode' (position 3) must be str, not {type(mode).__name__}")
    if value is not None:
        if isinstance(value, (str, bytes)) or not np.isscalar(value):
            raise TypeError(f"pad(): argument 'value' (position 4) must be float, "
                            f"not {type(value).__name__}")
        value = float(value)
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    check_float(x)
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pads) > 2 * x.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pads)} and input of dimension {x.ndim}")
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        npad = len(pads) // 2
        if not (1 <= npad <= 3 and x.ndim in (npad + 1, npad + 2)):
            raise NotImplementedError(_NOT_SUPPORTED.format(size=len(pads), dim=x.ndim))
    attrs = Attrs(pad=tuple(pads), mode=mode, value=value)
    _meta((x,), attrs)
    return (x,), attrs


def _meta(inputs, attrs):
    x, = inputs
    if attrs.mode == "constant":
        shape = _constant_geometry(x, attrs.pad)[0]
    else:
        shape = _gather_geometry(x, attrs.pad, attrs.mode)[0]
    return tuple(shape), x.dtype.newbyteorder("=")


def _run(inputs, attrs, out):
    x, = inputs
    if attrs.mode == "constant":
        _, src, dst = _constant_geometry(x, attrs.pad)
        out.fill(0.0 if attrs.value is None else attrs.value)
        out[dst] = x[src]
    else:
        _pad_gather(x, attrs.pad, attrs.mode, out)


def _constant_geometry(x, pads):
    """torch's constant_pad_nd: crop by the negative pads first, then fill around.
    (output shape, source slices, destination slices)."""
    npad = len(pads) // 2
    shape = list(x.shape)
    src = [slice(None)] * x.ndim
    dst = [slice(None)] * x.ndim
    for j in range(npad):
        dim = x.ndim - 1 - j
        left, right = pads[2 * j], pads[2 * j + 1]
        size = x.shape[dim]
        crop_l, crop_r = max(-left, 0), max(-right, 0)
        if size - crop_l < 0 or size - crop_l - crop_r < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        shape[dim] = size + left + right
        src[dim] = slice(crop_l, size - crop_r)
        dst[dim] = slice(max(left, 0), max(left, 0) + size - crop_l - crop_r)
    return shape, tuple(src), tuple(dst)


def _gather_geometry(x, pads, mode):
    """reflect / replicate / circular: torch's checks, then (output shape, padded dims,
    their (left, right) pads)."""
    npad = len(pads) // 2
    batched = x.ndim == npad + 2
    if mode != "circular" and 0 in x.shape[1 if batched else 0:]:
        raise RuntimeError(
            f"Expected {npad + 1}D or {npad + 2}D (batch mode) tensor with possibly 0 batch "
            f"size and other non-zero dimensions for input, but got: {list(x.shape)}")
    shape = list(x.shape)
    dims = list(range(x.ndim - npad, x.ndim))           # padded dims, first to last
    sides = {d: (pads[2 * (x.ndim - 1 - d)], pads[2 * (x.ndim - 1 - d) + 1]) for d in dims}
    for d in dims:
        shape[d] = x.shape[d] + sum(sides[d])
    if mode == "reflect":
        for j, d in enumerate(reversed(dims)):          # torch reports the last dim first
            left, right = sides[d]
            if left >= x.shape[d] or right >= x.shape[d]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * j}: Padding size should be less than the "
                    f"corresponding input dimension, but got: padding ({left}, {right}) at "
                    f"dimension {d} of input {list(x.shape)}")
    if mode == "circular":
        for d in dims:
            if max(sides[d]) > x.shape[d]:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if shape[d] < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        if math.prod(shape):
            # torch checks no wrap-around only when it copies something (circular
            # (1, -1) over a dimension of 1 in an empty tensor is fine)
            for d in dims:
                _source_index(x.shape[d], *sides[d], mode)
    else:
        _check_output_size(x.shape, shape, dims, mode)
    return shape, dims, sides


def _pad_gather(x, pads, mode, out):
    """One parallel gather through per-dimension source indices (numpy's fancy indexing
    was far slower than torch)."""
    npad = len(pads) // 2
    shape, dims, sides = _gather_geometry(x, pads, mode)
    if out.size:
        idx = [_source_index(x.shape[d], *sides[d], mode) for d in dims]
        # as (planes, D, H, W) with singleton leading padded dims, for one parallel gather
        lead = (1,) * (3 - npad)
        planes = math.prod(x.shape[:x.ndim - npad])
        idx = [np.zeros(1, np.int64)] * (3 - npad) + [i.astype(np.int64) for i in idx]
        launch(_pad_kernels.pad_gather3d,
               kernel_array(x).reshape((planes,) + lead + x.shape[x.ndim - npad:]),
               out.reshape((planes,) + lead + tuple(shape[x.ndim - npad:])), *idx,
               *_copy_span(idx[2]), work=out.size)


def _check_output_size(in_shape, out_shape, dims, mode):
    """torch's refusals of outputs emptied by negative pads, in its (uneven) words."""
    sizes = [in_shape[d] for d in dims]
    outs = [out_shape[d] for d in dims]
    if all(o < 1 for o in outs):
        if len(dims) == 1:
            raise RuntimeError(f"input (W: {sizes[0]}) is too small. Calculated output W: "
                               f"{outs[0]}")
        if len(dims) == 2:
            gap = "" if mode == "reflect" else " "
            raise RuntimeError(f"input (H: {sizes[0]}, W: {sizes[1]}{gap}) is too small. "
                               f"Calculated output H: {outs[0]} W: {outs[1]}")
        raise RuntimeError(f"input (D: {sizes[0]} H: {sizes[1]}, W: {sizes[2]}) is too small. "
                           f"Calculated output D: {outs[0]} H: {outs[1]} W: {outs[2]}")
    negative = [o for o in out_shape if o < 0]
    if negative:
        if mode == "reflect" and len(dims) == 2:
            raise RuntimeError("numel: integer multiplication overflow")
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: "
                           f"{list(out_shape)}")


def _copy_span(src):
    """The widest [k0, k1) over which src[k] = src[k0] + (k - k0) (a plain copy)."""
    if src.size == 0:
        return 0, 0
    breaks = np.flatnonzero(np.diff(src) != 1) + 1
    edges = np.concatenate(([0], breaks, [src.size]))
    widest = int(np.argmax(np.diff(edges)))
    return int(edges[widest]), int(edges[widest + 1])


def _source_index(size, left, right, mode):
    """Input index read by each output position along one padded dimension."""
    pos = np.arange(size + left + right, dtype=np.intp) - left
    if mode == "reflect":
        pos = np.abs(pos)
        return np.where(pos >= size, 2 * (size - 1) - pos, pos)
    if mode == "replicate":
        return np.clip(pos, 0, size - 1)
    # circular, as torch does it: crop by negative pads, then wrap the cropped span
    start = max(-left, 0)
    span = size - start - max(-right, 0)
    if max(left, 0) > span or max(right, 0) > span:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    if span == 0:
        return np.zeros(0, dtype=np.intp)
    return start + (np.arange(size + left + right, dtype=np.intp) - max(left, 0)) % span


_registry.register_single("pad", _normalize, _meta, _run,
                          arrays=lambda input, *args, **kwargs: (as_array(input),))
