"""Layer, group and instance normalisation, as ``torch.nn.functional``.

All three normalise rows of the input by their own mean and biased variance (layer norm:
the trailing `normalized_shape` elements of each sample; group norm: a sample's channels
of one group; instance norm: one channel of one sample), with statistics in float64
(`_norm_rows`). Instance norm can instead use, and in training updates, running
statistics, as torch's ``instance_norm`` does through batch norm over (1, N*C, *).
"""
import math
import operator

import numpy as np

from ... import _registry
from ..._args import bool_arg, float_arg, int_arg, torch_typename
from ..._dispatch import dispatch
from ..._registry import Attrs
from ..._runtime import get_num_threads, launch
from ...kernels import normalization as _k
from .._utils import FLOAT_DTYPES, as_array, kernel_array
from ._activation import float_array
from ._norm_rows import (check_param_dtypes, inverse_std, normalize_groups, piece_length,
                         scale_shift_rows, tensor_args)
from ._normalization import _blend, refuse_statistics_grad

__all__ = ["layer_norm", "group_norm", "instance_norm"]


def _arrays_of(*values):
    return tuple(None if v is None else as_array(v) for v in values)


def _output_meta(inputs, attrs):
    arr = inputs[0]
    return arr.shape, arr.dtype.newbyteorder("=")


# ------------------------------------------------------------------ layer norm

def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    r"""Layer normalisation over the trailing `normalized_shape` dims of `input`.

    :math:`y = (x - \mathrm{E}[x]) / \sqrt{\mathrm{Var}[x] + \epsilon} \cdot w + b`, the
    mean and biased variance taken over the last ``len(normalized_shape)`` dims.

    Args:
        input: :math:`(*, \text{normalized\_shape})`.
        normalized_shape (tuple or list of ints): the trailing shape normalised (an int is
            refused here, as in torch; ``nn.LayerNorm`` takes one).
        weight, bias: optional tensors of shape `normalized_shape`.
        eps (float): added to the variance. Default: 1e-5

    Shape: the output has the input's shape.

    Example::
        >>> y = F.layer_norm(fastnn.randn(8, 197, 768), (768,))
    """
    return dispatch("layer_norm", input, normalized_shape, weight, bias, eps)


def _layer_norm_arrays(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    return _arrays_of(input, weight, bias)


def _shape_arg(value):
    """torch's `tuple of ints` parse of normalized_shape (a list, tuple or Size)."""
    if not isinstance(value, (tuple, list)):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be "
                        f"tuple of ints, not {torch_typename(value)}")
    shape = []
    for pos, item in enumerate(value):
        if isinstance(item, (bool, np.bool_)) or not hasattr(item, "__index__"):
            raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be "
                            f"tuple of ints, but found element of type "
                            f"{torch_typename(item)} at pos {pos}")
        shape.append(operator.index(item))
    return tuple(shape)


def _layer_norm_normalize(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    arr = as_array(input)
    shape = _shape_arg(normalized_shape)
    tensor_args("layer_norm", ("weight", weight, 3), ("bias", bias, 4))
    eps = float_arg(eps, "layer_norm", "eps", 5)
    inputs = _arrays_of(arr, weight, bias)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []")
    for name, param in (("weight", inputs[1]), ("bias", inputs[2])):
        if param is not None and param.shape != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(param.shape)} and "
                               f"normalized_shape = {list(shape)}")
    if arr.ndim < len(shape) or arr.shape[arr.ndim - len(shape):] != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(arr.shape)}")
    float_array(arr)
    check_param_dtypes(arr.dtype, inputs[1], inputs[2])
    return inputs, Attrs(normalized_shape=shape, eps=eps)


def _flat_affine(weight, bias, length, dtype):
    """weight and bias as flat kernel arrays, ones and zeros where absent."""
    return (np.ones(length, dtype) if weight is None else kernel_array(weight).reshape(-1),
            np.zeros(length, dtype) if bias is None else kernel_array(bias).reshape(-1))


def _layer_norm_run(inputs, attrs, out):
    arr, weight, bias = inputs
    if arr.size == 0:
        return
    length = math.prod(attrs.normalized_shape)
    rows = arr.size // length
    whole_rows = rows >= 4 * get_num_threads() or piece_length(rows, length) == length
    columns = _channels_first(arr, len(attrs.normalized_shape)) if whole_rows else None
    if columns is not None:
        dtype = columns.dtype
        weight, bias = _flat_affine(weight, bias, length, dtype)
        launch(_k.layer_norm_columns, columns, weight, bias, attrs.eps, np.empty(rows, dtype),
               np.empty(rows, dtype), out.reshape(columns.shape[0], -1, length),
               work=2 * arr.size)
        return
    src = kernel_array(arr).reshape(rows, length)
    dtype = src.dtype
    out2 = out.reshape(rows, length)
    if whole_rows:
        weight, bias = _flat_affine(weight, bias, length, dtype)
        launch(_k.layer_norm_rows, src, weight, bias, attrs.eps, np.empty(rows, dtype),
               np.empty(rows, dtype), out2, work=2 * src.size)
        return
    chunk = piece_length(rows, length)
    pieces = -(-length // chunk)
    if weight is None and bias is None:
        weight = bias = np.empty(0, dtype)
    else:
        weight, bias = _flat_affine(weight, bias, length, dtype)
    launch(_k.layer_norm_pieces, src, chunk, weight, bias, attrs.eps,
           np.empty((rows, pieces)), np.empty((rows, pieces)), np.empty(rows, dtype),
           np.empty(rows, dtype), out2, work=2 * src.size)


def _channels_first(arr, normalized_dims):
    """arr's memory as (N, D, P) where arr (N, ..., D), normalised over its last axis D
    alone, is a view of C-contiguous native float memory laid out (N, D, ...): a
    channels-last view of an NCHW tensor (`_k.layer_norm_columns` reads it as it is).
    Else None."""
    if (normalized_dims != 1 or arr.ndim < 3 or arr.flags.c_contiguous
            or arr.dtype not in FLOAT_DTYPES):
        return None
    memory = arr.transpose((0, arr.ndim - 1) + tuple(range(1, arr.ndim - 1)))
    if not memory.flags.c_contiguous:
        return None
    return memory.reshape(arr.shape[0], arr.shape[-1], -1)


# ------------------------------------------------------------------ group norm

def _check_has_channels(arr):
    """torch's C++ reads input.size(0) and size(1): its IndexError for fewer dims."""
    if arr.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if arr.ndim == 1:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but "
                         "got 1)")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    r"""Group normalisation: the channels (dim 1) of each sample are split into
    `num_groups` groups, each normalised by its own mean and biased variance, then the
    per-channel affine ``w[c] * y + b[c]``.

    Args:
        input: :math:`(N, C, *)`, C divisible by `num_groups`.
        num_groups (int): the number of groups.
        weight, bias: optional :math:`(C,)` tensors.
        eps (float): added to the variance. Default: 1e-5

    Shape: the output has the input's shape.

    Example::
        >>> y = F.group_norm(fastnn.randn(2, 32, 8, 8), 8)
    """
    return dispatch("group_norm", input, num_groups, weight, bias, eps)


def _group_norm_arrays(input, num_groups, weight=None, bias=None, eps=1e-5, *,
                       python_checks=True):
    return _arrays_of(input, weight, bias)


def _group_norm_normalize(input, num_groups, weight=None, bias=None, eps=1e-5, *,
                          python_checks=True):
    """`python_checks` False: torch.group_norm, without F.group_norm's Python checks."""
    arr = as_array(input)
    if python_checks:
        if arr.ndim < 2:
            raise RuntimeError(
                f"Expected at least 2 dimensions for input tensor but received {arr.ndim}")
        # torch's Python wrapper checks this shape (with Python's // ) before its parser
        size = [arr.shape[0] * arr.shape[1] // num_groups, num_groups] + list(arr.shape[2:])
        if size[0] * math.prod(size[2:]) == 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {size}")
    num_groups = int_arg(num_groups, "group_norm", "num_groups", 2)
    tensor_args("group_norm", ("weight", weight, 3), ("bias", bias, 4))
    eps = float_arg(eps, "group_norm", "eps", 5)
    inputs = _arrays_of(arr, weight, bias)
    _check_has_channels(arr)
    channels = arr.shape[1]
    if num_groups <= 0:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    if channels % num_groups:
        raise RuntimeError("Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(arr.shape)} and "
                           f"num_groups={num_groups}")
    weight_shape = [0] if inputs[1] is None else list(inputs[1].shape)
    for name, param in (("weight", inputs[1]), ("bias", inputs[2])):
        if param is not None and (param.ndim != 1 or param.size != channels):
            # torch's message for a bad bias shows the weight's shape
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number "
                               f"of channels in input, but got {name} of shape "
                               f"{weight_shape} and input of shape {list(arr.shape)}")
    float_array(arr)
    check_param_dtypes(arr.dtype, inputs[1], inputs[2])
    return inputs, Attrs(num_groups=num_groups, eps=eps)


def _group_norm_run(inputs, attrs, out):
    arr, weight, bias = inputs
    if arr.size == 0:
        return
    batch, channels = arr.shape[:2]
    groups = attrs.num_groups
    rows = batch * groups
    normalize_groups(kernel_array(arr).reshape(rows, -1), channels // groups, channels, weight,
                     bias, attrs.eps, out.reshape(rows, -1))


# ------------------------------------------------------------------ instance norm

def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    r"""Instance normalisation: each channel of each sample normalised by its own mean and
    biased variance (`use_input_stats`), or by the given running statistics.

    With `use_input_stats` and running statistics given, these are updated in place:
    ``(1 - momentum) * running + momentum * batch``, the batch value being the mean over
    the samples of each instance's mean and unbiased variance (torch's rule).

    Args:
        input: :math:`(N, C, *)`.
        running_mean, running_var: optional :math:`(C,)` tensors (both or neither).
        weight, bias: optional :math:`(C,)` affine parameters.
        use_input_stats (bool): normalise by each instance's statistics. Default: True
        momentum (float): running-average factor. Default: 0.1
        eps (float): added to the variance. Default: 1e-5

    Shape: the output has the input's shape.

    Example::
        >>> y = F.instance_norm(fastnn.randn(2, 3, 16, 16))
    """
    return dispatch("instance_norm", input, running_mean, running_var, weight, bias,
                    use_input_stats, momentum, eps)


def _instance_norm_arrays(input, running_mean=None, running_var=None, weight=None,
                          bias=None, *args, **kwargs):
    refuse_statistics_grad(running_mean, running_var)
    return _arrays_of(input, running_mean, running_var, weight, bias)


def _instance_norm_normalize(input, running_mean=None, running_var=None, weight=None,
                             bias=None, use_input_stats=True, momentum=0.1, eps=1e-5, *,
                             python_checks=True):
    """`python_checks` False: torch.instance_norm, without F.instance_norm's check."""
    arr = as_array(input)
    if python_checks and use_input_stats and math.prod(arr.shape[2:]) == 1:
        raise ValueError("Expected more than 1 spatial element when training, got input "
                         f"size torch.Size({list(arr.shape)})")
    # the positions of torch.instance_norm(input, weight, bias, running_mean, ...)
    tensor_args("instance_norm", ("weight", weight, 2), ("bias", bias, 3),
                ("running_mean", running_mean, 4), ("running_var", running_var, 5))
    use_input_stats = bool_arg(use_input_stats, "instance_norm", "use_input_stats", 6)
    momentum = float_arg(momentum, "instance_norm", "momentum", 7)
    eps = float_arg(eps, "instance_norm", "eps", 8)
    inputs = _arrays_of(arr, running_mean, running_var, weight, bias)
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    _check_has_channels(arr)
    batch, channels = arr.shape[:2]
    named = dict(zip(("running_mean", "running_var", "weight", "bias"), inputs[1:]))
    for name in ("weight", "bias", "running_mean", "running_var"):
        if named[name] is not None and named[name].ndim > 1:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
    if (named["running_mean"] is None) != (named["running_var"] is None):
        raise ValueError(
            "running_mean and running_var must either both be None or neither be None")
    # torch repeats each per-channel tensor N times and checks it against N * C
    for name in ("running_mean", "running_var", "weight", "bias"):
        param = named[name]
        if param is not None and param.size * batch != batch * channels:
            raise RuntimeError(f"{name} should contain {batch * channels} elements not "
                               f"{param.size * batch}")
    float_array(arr)
    check_param_dtypes(arr.dtype, named["weight"], named["bias"])
    for name in ("running_mean", "running_var"):
        if named[name] is not None:
            _check_float_stat(named[name], name)
    refuse_statistics_grad(running_mean, running_var)
    return inputs, Attrs(use_input_stats=use_input_stats, momentum=momentum, eps=eps)


def _check_float_stat(arr, name):
    if arr.dtype.newbyteorder("=") not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64, got {arr.dtype}")


def _instance_norm_run(inputs, attrs, out):
    arr, running_mean, running_var, weight, bias = inputs
    batch, channels = arr.shape[:2]
    if batch == 0 and attrs.use_input_stats and running_mean is not None:
        # torch averages the updated copies over zero samples: NaN statistics
        running_mean[...] = np.nan
        running_var[...] = np.nan
    if arr.size == 0:
        return
    rows = batch * channels
    src = kernel_array(arr).reshape(rows, -1)
    if attrs.use_input_stats:
        mean, var = normalize_groups(src, 1, channels, weight, bias, attrs.eps,
                                     out.reshape(rows, -1))
        if running_mean is not None:
            length = src.shape[1]
            _blend(running_mean, mean.reshape(batch, channels).mean(axis=0), attrs.momentum)
            with np.errstate(divide="ignore", invalid="ignore"):
                unbiased = var * (length / (length - 1))
            _blend(running_var, unbiased.reshape(batch, channels).mean(axis=0),
                   attrs.momentum)
        return
    mean = np.tile(running_mean.reshape(-1).astype(np.float64), batch)
    var = np.tile(running_var.reshape(-1).astype(np.float64), batch)
    scale_shift_rows(src, mean, inverse_std(var, attrs.eps), weight, bias, channels,
                     out.reshape(rows, -1))


_registry.register_single("layer_norm", _layer_norm_normalize, _output_meta, _layer_norm_run,
                          arrays=_layer_norm_arrays)
_registry.register_single("group_norm", _group_norm_normalize, _output_meta, _group_norm_run,
                          arrays=_group_norm_arrays)
_registry.register_single("instance_norm", _instance_norm_normalize, _output_meta,
                          _instance_norm_run, arrays=_instance_norm_arrays)
