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

The noise (the mask divided by ``1 - p``) is the op's second input: allocated by the
checks, drawn into by the run, and read by the backward (``grad * noise``), which saves
nothing else -- what torch's CPU dropout saves too (its ``input * noise`` keeps the noise).
"""
import math
import warnings

import numpy as np

from ... import _registry
from ..._args import bool_arg, float_arg
from ..._dispatch import dispatch
from ..._random import default_generator
from ..._registry import Attrs
from ..._sampling import bernoulli, fill_in_memory_order
from .._utils import as_array
from ._activation import caller_input, float_array

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
    return dispatch("dropout", input, p, training, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    r"""dropout1d(input, p=0.5, training=True, inplace=False) -> Tensor

    Zeroes whole channels (1-D feature maps) with probability `p`.

    Shape: :math:`(N, C, L)` or :math:`(C, L)`; the output has the input's shape.
    """
    return dispatch("dropout1d", input, p, training, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    r"""dropout2d(input, p=0.5, training=True, inplace=False) -> Tensor

    Zeroes whole channels (2-D feature maps) with probability `p`. As in torch, a 3-D
    input is read as :math:`(N, C, L)` (with a warning), not as an unbatched image.

    Shape: :math:`(N, C, H, W)`; the output has the input's shape.
    """
    return dispatch("dropout2d", input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    r"""dropout3d(input, p=0.5, training=True, inplace=False) -> Tensor

    Zeroes whole channels (3-D feature maps) with probability `p`.

    Shape: :math:`(N, C, D, H, W)` or :math:`(C, D, H, W)`; the output has the input's shape.
    """
    return dispatch("dropout3d", input, p, training, inplace)


# warnings point at the caller of F.dropout2d/3d: past this frame, the lambda that binds
# it, checked, dispatch and F
_WARNING_LEVEL = 6


def _normalize(spatial, input, p=0.5, training=True, inplace=False):
    """torch's checks in its order: ((input, noise or None), Attrs(p, training, inplace,
    channelwise, batched)); `batched` says whether a channel-wise input has a batch
    dimension, `noise` is the empty array the run draws the noise into."""
    _check_probability(p)
    batched = True
    if spatial:
        ndim = as_array(input).ndim
        if spatial == 1 and ndim not in (2, 3):
            raise RuntimeError(
                f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. "
                "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
                "spatial dimension, a channel dimension, and an optional batch dimension "
                "(i.e. 2D or 3D inputs).")
        if spatial > 1 and ndim not in (spatial + 1, spatial + 2):
            warnings.warn(_deprecated_rank_message(spatial, ndim), stacklevel=_WARNING_LEVEL)
        if spatial == 2 and ndim == 3:
            warnings.warn(
                "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                "where C is the channel dim. This behavior will change in a future release to "
                "interpret the input as one without a batch dimension, i.e. shape (C, H, W). "
                "To maintain the 1D channel-wise dropout behavior, please switch to using "
                "dropout1d instead.", stacklevel=_WARNING_LEVEL)
        batched = spatial == 2 or ndim == spatial + 2
    fn = ("feature_dropout" if spatial else "dropout") + ("_" if inplace else "")
    p = float_arg(p, fn, "p", 2)       # torch names the in-place op in its errors
    training = bool_arg(training, fn, "train", 3)
    if math.isnan(p):
        raise RuntimeError("dropout probability has to be between 0 and 1, but got nan")
    inputs = caller_input(input)
    arr = as_array(inputs[0])
    attrs = Attrs(p=p, training=training, inplace=bool(inplace), channelwise=bool(spatial),
                  batched=batched)
    if not _identity(arr, attrs):
        float_array(arr)
        if spatial and p != 1 and arr.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return inputs + (_noise(arr, spatial, p, training),), attrs


def _arrays(spatial, input, p=0.5, training=True, inplace=False):
    """The inputs of a call whose checks are remembered: (input, noise or None)."""
    inputs = caller_input(input)
    return inputs + (_noise(as_array(inputs[0]), spatial, p, training),)


def _noise(arr, spatial, p, training):
    """The empty array the noise is drawn into (None when there is none to draw): one
    element per element of the input, in its memory order, or per (sample, channel)."""
    if not training or p == 0 or p == 1 or arr.size == 0:
        return None
    dtype = arr.dtype.newbyteorder("=")
    if not spatial:
        return np.empty_like(arr, dtype=dtype)    # keeps the input's memory order
    # torch's make_feature_noise: one draw per (sample, channel); an unbatched input's
    # channels are dim 0
    batched = spatial == 2 or arr.ndim == spatial + 2
    lead = 2 if batched else 1
    return np.empty(arr.shape[:lead] + (1,) * (arr.ndim - lead), dtype)


def _identity(arr, attrs):
    """torch returns the input itself for these."""
    return not attrs.training or attrs.p == 0 or arr.size == 0


def _meta(inputs, attrs):
    arr = inputs[0]
    if attrs.inplace or _identity(arr, attrs):
        return None
    return arr.shape, arr.dtype.newbyteorder("=")


def _run(inputs, attrs, out):
    arr = as_array(inputs[0])
    if _identity(arr, attrs):
        return inputs[0]
    p = attrs.p
    if p == 1:
        with np.errstate(invalid="ignore"):        # inf * 0 = NaN, silently as in torch
            if out is not None:
                np.multiply(arr, arr.dtype.type(0), out=out)
                return out
            arr *= arr.dtype.type(0)
        return inputs[0]
    noise = inputs[1]
    keep = 1 - p
    # torch's bernoulli_(1 - p) from the default generator, in memory order (an unbatched
    # channel-wise input draws as a batch of one: the same C * 1... draws)
    fill_in_memory_order(noise, bernoulli(default_generator, noise.size, keep))
    noise /= noise.dtype.type(keep)
    with np.errstate(invalid="ignore"):           # inf * 0 = NaN, silently as in torch
        if out is None:                           # in place
            np.multiply(arr, noise, out=arr)
            return inputs[0]
        np.multiply(arr, noise, out=out)
    return out


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


def dropout_backward(ctx, grad):
    """grad * noise; the identity's gradient passes unchanged; p = 1: zeros (times grad,
    so a NaN gradient stays NaN as in torch's ``input * 0``)."""
    if not ctx.needs[0]:
        return None, None
    noise = ctx.inputs[1]
    if noise is not None:
        return grad * noise, None
    if not ctx.attrs.training or ctx.attrs.p == 0:
        return grad, None
    return grad * grad.dtype.type(0), None


# dropout2d/3d warn on every call (as torch does), so they are never memoised
for _spatial, _name in enumerate(("dropout", "dropout1d", "dropout2d", "dropout3d")):
    _registry.register_single(
        _name, lambda *a, _spatial=_spatial, **k: _normalize(_spatial, *a, **k), _meta, _run,
        arrays=(lambda *a, _spatial=_spatial, **k: _arrays(_spatial, *a, **k))
        if _spatial < 2 else None)
    _registry.register_backward(_name, dropout_backward, saves=(1,))
