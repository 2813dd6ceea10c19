"""Batch normalisation, as ``torch.nn.functional.batch_norm``.

Training statistics of an input with planes come from one pass of sums of the
deviations from each channel's first element (kernels/normalization.py
`batch_norm_train`: a large mean does not cancel the variance, and the backward recomputes
them the same way), with a channel's output written while its rows are in cache; with
fewer channels than threads, or a 2-D input, they take two passes accumulated in float64
(mean, then the sum of squared deviations) spread over samples and channels.
Normalisation is one pass ``x * scale[c] + shift[c]`` in the input's dtype, as torch's CPU
kernel.
"""
import math

import numpy as np

from ..._runtime import get_num_threads, launch
from ...kernels import elementwise as _k
from ...kernels import normalization as _norm_kernels
from ... import _registry
from ..._dispatch import dispatch
from ..._grad import is_grad_enabled
from ..._registry import Attrs
from .._utils import as_array, kernel_array
from ..._args import bool_arg, float_arg
from ._activation import float_array

__all__ = ["batch_norm"]


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    r"""Batch normalisation over the channel dim (dim 1) of `input`.

    :math:`y = (x - \mathrm{E}[x]) / \sqrt{\mathrm{Var}[x] + \epsilon} \cdot w + b`, with
    the batch statistics (biased variance) when `training` -- which also updates the given
    `running_mean`/`running_var` in place: ``(1 - momentum) * running + momentum * batch``
    with the unbiased batch variance -- and with the running statistics otherwise.

    Args:
        input: :math:`(N, C)` or :math:`(N, C, *)`.
        running_mean, running_var: :math:`(C,)` arrays or None (then training must use the
            batch statistics).
        weight, bias: optional :math:`(C,)` affine parameters.
        training (bool): use (and record) the batch statistics. Default: False
        momentum (float): running-average factor. Default: 0.1
        eps (float): added to the variance. Default: 1e-5

    Shape: the output has the input's shape.

    Example::
        >>> x = fastnn.randn(8, 3, 4, 4)
        >>> y = F.batch_norm(x, fastnn.zeros(3), fastnn.ones(3), training=True)
    """
    return dispatch("batch_norm", input, running_mean, running_var, weight, bias, training,
                    momentum, eps)


def _arrays(input, running_mean, running_var, weight=None, bias=None, *args, **kwargs):
    refuse_statistics_grad(running_mean, running_var)
    return (as_array(input), _optional_array(running_mean, "running_mean"),
            _optional_array(running_var, "running_var"), _optional_array(weight, "weight"),
            _optional_array(bias, "bias"))


def _optional_array(value, name):
    return None if value is None else as_array(value, name)


def _normalize(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """torch's checks in its order: ((input, running_mean, running_var, weight, bias),
    Attrs(training, momentum, eps))."""
    arr = as_array(input)
    for position, (name, value) in enumerate(
            (("weight", weight), ("bias", bias), ("running_mean", running_mean),
             ("running_var", running_var)), 2):
        # torch's parser (positions of its C++ batch_norm) refuses non-tensors first
        if value is not None and not hasattr(value, "__array__"):
            raise TypeError(f"batch_norm(): argument '{name}' (position {position}) must be "
                            f"Tensor, not {type(value).__name__}")
    if training:
        _verify_batch_size(arr.shape)
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    # torch's Python checks above take any truthy `training`; its parser then wants types
    training = bool_arg(training, "batch_norm", "training", 6)
    momentum = float_arg(momentum, "batch_norm", "momentum", 7)
    eps = float_arg(eps, "batch_norm", "eps", 8)
    float_array(arr)
    inputs = _arrays(arr, running_mean, running_var, weight, bias)
    attrs = Attrs(training=training, momentum=momentum, eps=eps)
    if arr.size == 0:
        _check_empty_params(weight, bias)
        return inputs, attrs
    channels = arr.shape[1] if arr.ndim >= 2 else 0
    params = _checked_params(arr.dtype, channels, training, running_mean=running_mean,
                             running_var=running_var, weight=weight, bias=bias)
    if (params["running_mean"] is None) != (params["running_var"] is None):
        raise ValueError(
            "running_mean and running_var must either both be None or neither be None")
    refuse_statistics_grad(running_mean, running_var)
    return inputs, attrs


def refuse_statistics_grad(running_mean, running_var):
    """torch's autograd refuses running statistics that require grad (in grad mode)."""
    if not is_grad_enabled():
        return
    for name, value in (("running_mean", running_mean), ("running_var", running_var)):
        if getattr(value, "requires_grad", False) is True:
            raise RuntimeError(f"The function 'native_batch_norm' is not differentiable with "
                               f"respect to argument '{name}'. This input cannot have "
                               "requires_grad True.")


def _meta(inputs, attrs):
    arr = inputs[0]
    return arr.shape, arr.dtype.newbyteorder("=")


_NONE = np.zeros(0)       # batch_norm_affine's weight or bias when there is none


def _run(inputs, attrs, out):
    arr, running_mean, running_var, weight, bias = inputs
    if arr.size == 0:
        out[...] = arr
        return
    channels = arr.shape[1] if arr.ndim >= 2 else 0
    src = kernel_array(arr)
    x3 = src.reshape(src.shape[0], channels, -1)
    training = attrs["training"]
    # native-order contiguous copies of the parameters only where they are not already
    weight, bias = (_NONE if p is None else kernel_array(p.reshape(-1)) for p in (weight, bias))
    if training and x3.shape[2] != 1 and channels >= get_num_threads():
        mean, var = np.empty(channels), np.empty(channels)
        launch(_norm_kernels.batch_norm_train, x3, weight, bias, attrs["eps"],
               out.reshape(x3.shape), mean, var, work=2 * x3.size)
        _update_running(running_mean, running_var, mean, var, x3.shape, attrs["momentum"])
        return
    if training:
        mean, var = _batch_statistics(x3)
        _update_running(running_mean, running_var, mean, var, x3.shape, attrs["momentum"])
    else:
        mean, var = running_mean, running_var
    params = [kernel_array(p.reshape(-1)) for p in (mean, var)] + [weight, bias]
    if x3.shape[2] != 1 and not training:
        launch(_k.channel_normalize, x3, *params, attrs["eps"], out.reshape(x3.shape),
               work=x3.size)
        return
    scale = np.empty(channels, src.dtype)
    shift = np.empty(channels, src.dtype)
    _k.batch_norm_affine(*params, attrs["eps"], scale, shift)
    if x3.shape[2] == 1:
        launch(_k.row_scale_shift, x3.reshape(x3.shape[:2]), scale, shift,
               out.reshape(x3.shape[:2]), work=x3.size)
    else:
        launch(_k.channel_scale_shift, x3, scale, shift, out.reshape(x3.shape), work=x3.size)


def _check_empty_params(weight, bias):
    """torch returns ``input.clone() * weight[0] + bias[0]`` for an empty input before any
    other check, so only an empty (or 0-d) weight or bias is an error: torch's IndexError."""
    for value in (weight, bias):
        if value is None:
            continue
        shape = as_array(value).shape
        if not shape:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        if shape[0] == 0:
            raise IndexError(f"select(): index 0 out of range for tensor of size "
                             f"{list(shape)} at dimension 0")


def _verify_batch_size(shape):
    values_per_channel = shape[0] * math.prod(shape[2:])
    if values_per_channel == 1:
        raise ValueError("Expected more than 1 value per channel when training, "
                         f"got input size torch.Size({list(shape)})")


def _checked_params(input_dtype, channels, training, **named):
    """Arrays of the optional per-channel tensors, checked as torch checks them: element
    counts first (in torch's order), then dtypes. Torch's CPU kernel words a dtype mismatch
    differently depending on which tensor differs; fastnn keeps its two main messages."""
    arrays = {}
    for name, value in named.items():
        if value is None:
            if name.startswith("running") and not training:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
            arrays[name] = None
            continue
        arrays[name] = arr = as_array(value, name)
        if arr.size != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {arr.size}")
    native = input_dtype.newbyteorder("=")
    for arr in arrays.values():
        if arr is not None and arr.dtype.newbyteorder("=") != native:
            if native == np.float32:
                raise RuntimeError(
                    "mixed dtype (CPU): expect parameter to have scalar type of Float")
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    return arrays


def _batch_statistics(x3):
    """Per-channel mean and biased variance of (N, C, L) input, in float64."""
    batch, channels, length = x3.shape
    partial = np.empty((channels, batch), dtype=np.float64)
    launch(_k.channel_sums, x3, partial, work=x3.size)
    mean = partial.sum(axis=1) / (batch * length)
    launch(_k.channel_squared_deviations, x3, mean, partial, work=x3.size)
    return mean, partial.sum(axis=1) / (batch * length)


def _update_running(running_mean, running_var, mean, var, shape, momentum):
    """Blend the batch's mean and unbiased variance into the running statistics (if any)."""
    if running_mean is not None:
        count = shape[0] * shape[2]
        _blend(running_mean, mean, momentum)
        _blend(running_var, var * (count / (count - 1)), momentum)


def _blend(running, batch_value, momentum):
    """running = (1 - momentum) * running + momentum * batch_value, in place (a huge or NaN
    momentum gives inf/NaN statistics silently, as in torch)."""
    with np.errstate(over="ignore", invalid="ignore"):
        updated = ((1.0 - momentum) * running.reshape(-1).astype(np.float64)
                   + momentum * batch_value)
        np.copyto(running, updated.reshape(running.shape), casting="unsafe")


_registry.register_single("batch_norm", _normalize, _meta, _run, arrays=_arrays)
