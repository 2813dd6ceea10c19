"""F.pixel_shuffle, F.pixel_unshuffle and F.channel_shuffle (torch also has them at the top
level, with torch.native_channel_shuffle): each an op at the door (`fastnn._dispatch`).

They only move data: one parallel kernel over output planes each (`kernels/shuffle.py`).
Like torch's, they take any dtype and always return a new tensor.
"""
import operator

import numpy as np

from ... import _registry
from ..._dispatch import dispatch
from ..._registry import Attrs
from ..._runtime import launch
from ...kernels import shuffle as _kernels
from .._utils import as_array, kernel_array
from ._pool_args import _sizes
from ._pool_ops import _arrays, _native

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"]


def pixel_shuffle(input, upscale_factor):
    r"""Rearrange ``(*, C * r**2, H, W)`` into ``(*, C, H * r, W * r)``, r = upscale_factor.

    Examples::

        >>> F.pixel_shuffle(fastnn.randn(1, 9, 4, 4), 3).shape
        (1, 1, 12, 12)
    """
    return dispatch("pixel_shuffle", input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    r"""The inverse of :func:`pixel_shuffle`: ``(*, C, H * r, W * r)`` into
    ``(*, C * r**2, H, W)``, r = downscale_factor.

    Examples::

        >>> F.pixel_unshuffle(fastnn.randn(1, 1, 12, 12), 3).shape
        (1, 9, 4, 4)
    """
    return dispatch("pixel_unshuffle", input, downscale_factor)


def channel_shuffle(input, groups):
    r"""Split the ``C`` channels of ``(N, C, *)`` into `groups` groups and interleave them:
    ``(N, g, C / g, *)`` transposed to ``(N, C / g, g, *)``.

    Examples::

        >>> F.channel_shuffle(fastnn.arange(4.).view(1, 4, 1), 2).flatten().tolist()
        [0.0, 2.0, 1.0, 3.0]
    """
    return dispatch("channel_shuffle", input, groups)


def native_channel_shuffle(input, groups):
    """torch.native_channel_shuffle: :func:`channel_shuffle`."""
    return dispatch("channel_shuffle", input, groups)


def _factor(op, name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}(): argument '{name}' (position 2) must be int, not "
                        f"{type(value).__name__}")
    return operator.index(value)


def _pixel_normalize(op, name, input, factor):
    arr = as_array(input)
    factor = _factor(op, name, factor)
    if arr.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input "
                           f"with {arr.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {factor}")
    c, h, w = arr.shape[-3:]
    if op == "pixel_shuffle":
        if c % (factor * factor):
            raise RuntimeError(
                "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
                f"square of upscale_factor, but input.size(-3)={c} is not divisible by "
                f"{factor * factor}")
    else:
        for dim, label, size in ((-2, "height", h), (-1, "width", w)):
            if size % factor:
                raise RuntimeError(
                    f"pixel_unshuffle expects {label} to be divisible by downscale_factor, "
                    f"but input.size({dim})={size} is not divisible by {factor}")
    return (arr,), Attrs(factor=factor)


def _pixel_shuffle_meta(inputs, attrs):
    arr, = inputs
    r = attrs.factor
    c, h, w = arr.shape[-3:]
    return arr.shape[:-3] + (c // (r * r), h * r, w * r), _native(arr)


def _pixel_unshuffle_meta(inputs, attrs):
    arr, = inputs
    if arr.size == 0:
        return arr.shape, _native(arr)     # torch 2.13 returns an empty input's clone
    r = attrs.factor
    c, h, w = arr.shape[-3:]
    return arr.shape[:-3] + (c * r * r, h // r, w // r), _native(arr)


def _planes(arr):
    """`arr` as (batch, C, H, W): the leading dimensions flattened."""
    return arr.reshape((-1,) + arr.shape[-3:])


def _run_pixel_shuffle(inputs, attrs, out):
    arr, = inputs
    if out.size:
        launch(_kernels.pixel_shuffle, _planes(kernel_array(arr)), _planes(out), attrs.factor,
               work=out.size)


def _run_pixel_unshuffle(inputs, attrs, out):
    arr, = inputs
    if arr.size == 0:
        return
    launch(_kernels.pixel_unshuffle, _planes(kernel_array(arr)), _planes(out), attrs.factor,
           work=out.size)


def _channel_normalize(input, groups):
    arr = as_array(input)
    groups = _factor("channel_shuffle", "groups", groups)
    if arr.ndim <= 2:
        raise RuntimeError("channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {_sizes(arr.shape)}")
    if groups <= 0:
        raise RuntimeError("Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    if arr.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got "
                           f"{arr.shape[1]} channels and {groups} groups.")
    return (arr,), Attrs(groups=groups)


def _channel_meta(inputs, attrs):
    arr, = inputs
    return arr.shape, _native(arr)


def _run_channel_shuffle(inputs, attrs, out):
    arr, = inputs
    if out.size:
        n, c = arr.shape[:2]
        launch(_kernels.channel_shuffle, kernel_array(arr).reshape(n, c, -1),
               out.reshape(n, c, -1), attrs.groups, work=out.size)


_registry.register_single(
    "pixel_shuffle", lambda input, upscale_factor: _pixel_normalize(
        "pixel_shuffle", "upscale_factor", input, upscale_factor),
    _pixel_shuffle_meta, _run_pixel_shuffle, arrays=_arrays)
_registry.register_single(
    "pixel_unshuffle", lambda input, downscale_factor: _pixel_normalize(
        "pixel_unshuffle", "downscale_factor", input, downscale_factor),
    _pixel_unshuffle_meta, _run_pixel_unshuffle, arrays=_arrays)
_registry.register_single("channel_shuffle", _channel_normalize, _channel_meta,
                          _run_channel_shuffle, arrays=_arrays)

