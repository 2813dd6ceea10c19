"""Dropout, as ``torch.nn.functional``: dropout and channel-wise dropout1d/2d/3d.

The masks are torch's: as torch's CPU dropout does, a noise tensor (the input's shape, or
one element per sample and channel for the channel-wise kinds) is filled by
``bernoulli_(1 - p)`` from the default generator (one 53-bit uniform per element, in memory
order), divided by ``1 - p`` and multiplied in; after the same seed the same calls drop the
same elements and give the same values.

As torch does, the identity cases (``training=False``, ``p=0``, empty input) return the
input itself, not a copy; ``p=1`` multiplies by zero (NaN and inf become NaN); otherwise
kept elements are multiplied by ``1 / (1 - p)`` computed in the input's dtype.

Arguments are checked in torch's order: `p` outside [0, 1] is a ValueError (torch's Python
check, which NaN passes), then the rank (dropout1d), then `p` must be a float and
`training` a real bool (torch's argument parser: not 1, None or numpy.bool), then a NaN `p`
is a RuntimeError (torch's C++ check).
"""
import math
import warnings

import numpy as np

from ..._random import default_generator
from ..._sampling import bernoulli, fill_in_memory_order
from ...tensor import Tensor
from .._utils import as_array, wrap
from ..._args import bool_arg, float_arg
from ._activation import float_array

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d"]

def dropout(input, p=0.5, training=True, inplace=False):
    r"""dropout(input, p=0.5, training=True, inplace=False) -> Tensor

    During training, zeroes each element independently with probability `p` and scales
    the others by :math:`1/(1-p)`; the identity when ``training`` is False.

    Args:
        p: probability of an element to be zeroed. Default: 0.5
        training: apply dropout if ``True`` (note: the default is ``True``, as in torch).
        inplace: write the result into `input`.

    Shape: any; the output has the input's shape.

    Example::
        >>> F.dropout(fastnn.ones(4), p=0.5)    # e.g. tensor([2., 0., 2., 2.])
    """
    _check_probability(p)
    return _dropout("dropout", input, p, training, inplace, channelwise=False)


def dropout1d(input, p=0.5, training=True, inplace=False):
    r"""dropout1d(input, p=0.5, training=True, inplace=False) -> Tensor

    Zeroes whole channels (1-D feature maps) with probability `p`.

    Shape: :math:`(N, C, L)` or :math:`(C, L)`; the output has the input's shape.
    """
    _check_probability(p)
    ndim = as_array(input).ndim
    if ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. "
            "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
            "spatial dimension, a channel dimension, and an optional batch dimension "
            "(i.e. 2D or 3D inputs).")
    return _dropout("feature_dropout", input, p, training, inplace, channelwise=True,
                    batched=ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    r"""dropout2d(input, p=0.5, training=True, inplace=False) -> Tensor

    Zeroes whole channels (2-D feature maps) with probability `p`. As in torch, a 3-D
    input is read as :math:`(N, C, L)` (with a warning), not as an unbatched image.

    Shape: :math:`(N, C, H, W)`; the output has the input's shape.
    """
    _check_probability(p)
    ndim = as_array(input).ndim
    if ndim not in (3, 4):
        warnings.warn(_deprecated_rank_message(2, ndim), stacklevel=2)
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _dropout("feature_dropout", input, p, training, inplace, channelwise=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    r"""dropout3d(input, p=0.5, training=True, inplace=False) -> Tensor

    Zeroes whole channels (3-D feature maps) with probability `p`.

    Shape: :math:`(N, C, D, H, W)` or :math:`(C, D, H, W)`; the output has the input's shape.
    """
    _check_probability(p)
    ndim = as_array(input).ndim
    if ndim not in (4, 5):
        warnings.warn(_deprecated_rank_message(3, ndim), stacklevel=2)
    return _dropout("feature_dropout", input, p, training, inplace, channelwise=True,
                    batched=ndim == 5)


def _check_probability(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _deprecated_rank_message(spatial, ndim):
    return (
        f"dropout{spatial}d: Received a {ndim}-D input to dropout{spatial}d, which is "
        "deprecated and will result in an error in a future release. To retain the behavior "
        "and silence this warning, please use dropout instead. Note that "
        f"dropout{spatial}d exists to provide channel-wise dropout on inputs with "
        f"{spatial} spatial dimensions, a channel dimension, and an optional batch dimension "
        f"(i.e. {spatial + 1}D or {spatial + 2}D inputs).")


def _dropout(fn, input, p, training, inplace, channelwise, batched=True):
    fn += "_" if inplace else ""            # torch names the in-place op in its errors
    p = float_arg(p, fn, "p", 2)
    training = bool_arg(training, fn, "train", 3)
    if math.isnan(p):
        raise RuntimeError("dropout probability has to be between 0 and 1, but got nan")
    arr = as_array(input)
    if not training or p == 0 or arr.size == 0:
        return input if isinstance(input, Tensor) else wrap(arr)
    float_array(arr)
    if p == 1:
        with np.errstate(invalid="ignore"):        # inf * 0 = NaN, silently as in torch
            if not inplace:
                out = np.empty(arr.shape, dtype=arr.dtype.newbyteorder("="))
                np.multiply(arr, arr.dtype.type(0), out=out)    # a 0-d result stays an array
                return wrap(out)
            arr *= arr.dtype.type(0)
        return input if isinstance(input, Tensor) else wrap(arr)
    if channelwise and arr.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    dtype = arr.dtype.newbyteorder("=")
    keep = 1 - p
    if channelwise:
        # torch's make_feature_noise: one draw per (sample, channel), a batch of one
        # standing in for an unbatched input
        shape = arr.shape if batched else (1,) + arr.shape
        noise = np.empty(shape[:2] + (1,) * (len(shape) - 2), dtype)
    else:
        noise = np.empty_like(arr, dtype=dtype)    # keeps the input's memory order
    fill_in_memory_order(noise, bernoulli(default_generator, noise.size, keep))
    noise /= dtype.type(keep)
    noise = noise.reshape(noise.shape[1:] if channelwise and not batched else noise.shape)
    if inplace:
        if not arr.flags.writeable:
            raise ValueError("assignment destination is read-only")
        with np.errstate(invalid="ignore"):       # inf * 0 = NaN, silently as in torch
            np.multiply(arr, noise, out=arr)
        return input if isinstance(input, Tensor) else wrap(arr)
    out = np.empty(arr.shape, dtype)
    with np.errstate(invalid="ignore"):
        np.multiply(arr, noise, out=out)
    return wrap(out)
