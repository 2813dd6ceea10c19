"""The element-wise losses, as ``torch.nn.functional``: mse_loss, l1_loss, smooth_l1_loss,
huber_loss, binary_cross_entropy, binary_cross_entropy_with_logits, kl_div.

One Numba kernel (`fastnn.kernels.loss.pointwise_loss`) computes each of them fused with
its reduction. As in torch, input and target broadcast (with torch's warning when their
sizes differ), mixed float dtypes promote, the legacy `size_average`/`reduce` pair maps to
a reduction with torch's deprecation warning, and a mean over no element is NaN. The
backward is `_loss_grad`'s.
"""
import warnings

import numpy as np

from ... import _registry
from ..._args import broadcast_shape
from ..._registry import Attrs
from ..._dispatch import dispatch
from ...kernels import loss as kernels
from ._loss_args import (WARNING_LEVEL, check_output_broadcast,
                         check_reduction, common_dtype, dtype_of, flat, invalid_mode, is_float,
                         loss_array, native_name, promoted_float, reduction_arg, refuse_grad,
                         run_kernel, size_text, type_name, warn_size_mismatch)
from ._loss_grad import BACKWARDS

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div"]


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean squared error :math:`(x - y)^2`, optionally times `weight` (then 'mean'
    divides by ``weight.sum()``). Shape: input and target broadcast (a size mismatch
    warns, as in torch); 'none' returns the broadcast shape, the others a scalar."""
    return dispatch("mse_loss", input, target, size_average, reduce, reduction, weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean absolute error :math:`|x - y|`, optionally times `weight` (then 'mean'
    divides by ``weight.sum()``)."""
    return dispatch("l1_loss", input, target, size_average, reduce, reduction, weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",
                   beta=1.0):
    r""":math:`0.5 z^2 / \beta` where :math:`z = |x - y| < \beta`, else
    :math:`z - 0.5 \beta`; ``beta=0`` is l1_loss."""
    return dispatch("smooth_l1_loss", input, target, size_average, reduce, reduction, beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    r""":math:`0.5 z^2` where :math:`z = |x - y| < \delta`, else
    :math:`\delta (z - 0.5 \delta)`; optionally times `weight` ('mean' over elements)."""
    return dispatch("huber_loss", input, target, reduction, delta, weight)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    r""":math:`-w (y \log x + (1 - y) \log(1 - x))` with each log clamped at -100, as
    torch does; input and target in [0, 1] and of the same size."""
    return dispatch("binary_cross_entropy", input, target, weight, size_average, reduce,
                    reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    r"""Binary cross entropy of :math:`\sigma(x)`, computed stably from the logits;
    `pos_weight` weighs the positive term and broadcasts along the last dimensions."""
    return dispatch("binary_cross_entropy_with_logits", input, target, weight, size_average,
                    reduce, reduction, pos_weight)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean",
           log_target=False):
    r"""Kullback-Leibler divergence with `input` as log-probabilities:
    :math:`y (\log y - x)` (``log_target``: :math:`e^y (y - x)`). 'batchmean' divides the
    sum by the batch size; 'mean' (by every element) warns as in torch."""
    return dispatch("kl_div", input, target, size_average, reduce, reduction, log_target)


# ---------------------------------------------------------------- checks

def _attrs(kind, reduction, shape, dtype, param=0.0, divide="numel", batch=1):
    """`divide`: what a 'mean' divides the sum by: 'numel', 'weight' (the weight's sum),
    'batch' (kl_div's batchmean, by `batch`) or None (a sum)."""
    if reduction == "sum":
        divide = None
    return Attrs(kind=kind, reduction=reduction, shape=tuple(shape), dtype=native_name(dtype),
                 param=float(param), divide=divide, batch=batch)


def _pair(input, target):
    return loss_array(input), loss_array(target)


def _regression(name, kind, kernel_name, input, target, size_average, reduce, reduction,
                weight, param=0.0, legacy=True):
    """mse_loss, l1_loss, huber_loss: torch's Python steps in its order."""
    x, y = _pair(input, target)
    warn_size_mismatch(x, y, WARNING_LEVEL + 1)
    if legacy:
        reduction = reduction_arg(size_average, reduce, reduction, WARNING_LEVEL + 1)
    shape = broadcast_shape(x.shape, y.shape)
    w = None
    if weight is not None:
        w = loss_array(weight)
        if w.shape != x.shape:
            raise ValueError("Weights and input must have the same size.")
        shape = broadcast_shape(shape, w.shape)
        if reduction not in ("none", "mean", "sum"):
            raise invalid_mode(reduction)
    else:
        reduction = check_reduction(reduction, WARNING_LEVEL + 1)
    arrays = (x, y) if w is None else (x, y, w)
    if name == "l1_loss" and all(a.dtype.kind in "iub" for a in arrays):
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                           "a floating point or complex dtype. Got: " + type_name(x))
    dtype = promoted_float(kernel_name, *arrays)
    divide = "numel" if w is None or name == "huber_loss" else "weight"
    return (x, y, w, None), _attrs(kind, reduction, shape, dtype, param, divide)


def _mse(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    return _regression("mse_loss", kernels.MSE, "mse_cpu", input, target, size_average,
                       reduce, reduction, weight)


def _l1(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    return _regression("l1_loss", kernels.L1, "abs_cpu", input, target, size_average,
                       reduce, reduction, weight)


def _regression_arrays(input, target, size_average=None, reduce=None, reduction="mean",
                       weight=None):
    """mse_loss' and l1_loss' inputs when their checks are remembered (they read shapes,
    dtypes and arguments), after torch's warnings, which fire on every call (from here, two
    frames fewer than from `_regression`)."""
    x, y = _pair(input, target)
    warn_size_mismatch(x, y, WARNING_LEVEL - 1)
    if size_average is not None or reduce is not None:
        reduction_arg(size_average, reduce, reduction, WARNING_LEVEL - 1)
    elif weight is None:
        check_reduction(reduction, WARNING_LEVEL - 1)
    return x, y, None if weight is None else loss_array(weight), None


def _smooth_l1(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    x, y = _pair(input, target)
    warn_size_mismatch(x, y)
    reduction = check_reduction(reduction_arg(size_average, reduce, reduction))
    shape = broadcast_shape(x.shape, y.shape)
    if beta == 0.0:
        dtype = promoted_float("abs_cpu", x, y)
        return (x, y, None, None), _attrs(kernels.L1, reduction, shape, dtype)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    dtype = promoted_float("smooth_l1_cpu", x, y)
    return (x, y, None, None), _attrs(kernels.SMOOTH_L1, reduction, shape, dtype, beta)


def _huber(input, target, reduction="mean", delta=1.0, weight=None):
    if weight is None and delta <= 0:
        x, y = _pair(input, target)
        warn_size_mismatch(x, y)
        check_reduction(reduction)
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    inputs, attrs = _regression("huber_loss", kernels.HUBER, "huber_cpu", input, target,
                                None, None, reduction, weight, delta, legacy=False)
    if inputs[0].dtype.kind in "iub":       # torch's huber writes into the input's dtype
        raise RuntimeError(f"result type {type_name(np.empty(0, attrs.dtype))} can't be cast "
                           f"to the desired output type {type_name(inputs[0])}")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return inputs, attrs


def _bce(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    x, y = _pair(input, target)
    reduction = check_reduction(reduction_arg(size_average, reduce, reduction))
    if y.shape != x.shape:
        raise ValueError(f"Using a target size ({size_text(y.shape)}) that is different to "
                         f"the input size ({size_text(x.shape)}) is deprecated. Please "
                         "ensure they have the same size.")
    w = None
    if weight is not None:
        w = loss_array(weight)
        _check_expandable(w.shape, y.shape)
        check_output_broadcast(x.shape, broadcast_shape(y.shape, w.shape))
    if not is_float(x):
        raise NotImplementedError(f'"binary_cross_entropy" not implemented for '
                                  f"'{type_name(x)}'")
    for other in (y, w):
        if other is not None and other.dtype.newbyteorder("=") != x.dtype.newbyteorder("="):
            raise RuntimeError(f"Found dtype {type_name(other)} but expected {type_name(x)}")
    xs = np.asarray(x, np.float64)
    with np.errstate(invalid="ignore"):
        if not ((xs >= 0) & (xs <= 1)).all():
            raise RuntimeError("all elements of input should be between 0 and 1")
        ys = np.asarray(y, np.float64)
        if not ((ys >= 0) & (ys <= 1)).all():
            raise RuntimeError("all elements of target should be between 0 and 1")
    refuse_grad("binary_cross_entropy", "weight", weight)
    dtype = x.dtype.newbyteorder("=")
    return (x, y, w, None), _attrs(kernels.BCE, reduction, x.shape, dtype)


def _check_expandable(shape, to):
    """torch's Tensor.expand(to) of a tensor of `shape` (weight.expand in F.bce)."""
    if len(shape) > len(to):
        return              # bce's own broadcast check reports it
    for i in range(1, len(shape) + 1):
        if shape[-i] != 1 and shape[-i] != to[-i]:
            raise RuntimeError(
                f"Attempting to broadcast a dimension of length {shape[-i]} at {-i}! "
                f"Mismatching argument at index 1 had torch.Size({list(shape)}); but expected "
                f"shape should be broadcastable to {list(to)}")


def _bce_logits(input, target, weight=None, size_average=None, reduce=None,
                reduction="mean", pos_weight=None):
    x, y = _pair(input, target)
    reduction = check_reduction(reduction_arg(size_average, reduce, reduction))
    if y.shape != x.shape:
        raise ValueError(f"Target size ({size_text(y.shape)}) must be the same as input size "
                         f"({size_text(x.shape)})")
    w = None if weight is None else loss_array(weight)
    pw = None if pos_weight is None else loss_array(pos_weight)
    if not is_float(x):
        raise NotImplementedError(f'"log_sigmoid_cpu" not implemented for '
                                  f"'{type_name(x)}'")
    if pw is not None:
        check_output_broadcast(x.shape, broadcast_shape(pw.shape, y.shape))
    if w is not None:
        check_output_broadcast(x.shape, broadcast_shape(x.shape, w.shape))
    arrays = [a for a in (x, y, w, pw) if a is not None]
    dtype = common_dtype(arrays)
    if y.dtype.kind in "iub" or dtype.kind != "f":
        raise RuntimeError(f"result type {type_name(np.empty(0, dtype))} can't be cast to the "
                           f"desired output type {type_name(y)}")
    refuse_grad("binary_cross_entropy_with_logits", "weight", weight)
    refuse_grad("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    return (x, y, w, pw), _attrs(kernels.BCE_LOGITS, reduction, x.shape, dtype)


def _kl_div(input, target, size_average=None, reduce=None, reduction="mean",
            log_target=False):
    x, y = _pair(input, target)
    if size_average is not None or reduce is not None:
        reduction = check_reduction(reduction_arg(size_average, reduce, reduction))
        divide = "numel"
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the "
                "support size.'batchmean' divides only by the batch size, and aligns with the "
                "KL div math definition.'mean' will be changed to behave the same as "
                "'batchmean' in the next major release.", stacklevel=WARNING_LEVEL - 1)
        if reduction == "batchmean":
            divide = "batch" if x.ndim else None
            reduction = "mean" if x.ndim else "sum"
        else:
            reduction = check_reduction(reduction)
            divide = "numel"
    if not isinstance(log_target, bool):
        raise TypeError("kl_div(): argument 'log_target' must be bool, not "
                        f"{type(log_target).__name__}")
    shape = broadcast_shape(x.shape, y.shape)
    if x.dtype.kind in "iub" or y.dtype.kind in "iub":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    dtype = promoted_float("kl_div", x, y)
    kind = kernels.KL_DIV_LOG if log_target else kernels.KL_DIV
    batch = x.shape[0] if x.ndim else 1
    return (x, y, None, None), _attrs(kind, reduction, shape, dtype, divide=divide,
                                      batch=batch)


# ---------------------------------------------------------------- running

def _meta(inputs, attrs):
    shape = attrs["shape"] if attrs["reduction"] == "none" else ()
    return shape, dtype_of(attrs["dtype"])


def _run(inputs, attrs, out):
    # the arrays in the result's dtype (no copy when they already are): float32 and
    # float64 are the kernel's two specializations; it computes in float64 either way
    x, y, w, pw = inputs
    shape, dtype = attrs["shape"], out.dtype
    xf, yf = flat(x, shape, dtype), flat(y, shape, dtype)
    empty = np.empty(0, dtype)
    wf = empty if w is None else flat(w, shape, dtype)
    # pos_weight broadcasts against the target's last dimensions, as torch's does
    pwf = empty if pw is None else flat(pw, shape, dtype)
    n = xf.size
    if attrs["reduction"] == "none":
        run_kernel(kernels.pointwise_loss, attrs["kind"], xf, yf, wf, pwf, attrs["param"],
                   out.reshape(-1), _NO_PARTIAL, work=n)
        return out
    partial = np.zeros(kernels.loss_chunks(n))
    run_kernel(kernels.pointwise_loss, attrs["kind"], xf, yf, wf, pwf, attrs["param"], empty,
               partial, work=n)
    total = partial.sum() if partial.size > 1 else partial[0]
    divide = attrs["divide"]
    if divide is not None:
        if divide == "numel":
            count = np.float64(n)
        elif divide == "weight":
            count = np.sum(w, dtype=np.float64)
        else:
            count = np.float64(attrs["batch"])
        if n and divide == "numel":
            total = total / count
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                total = total / count
    out[()] = total
    return out


_NO_PARTIAL = np.empty(0)


for _name, _normalize in (("mse_loss", _mse), ("l1_loss", _l1),
                          ("smooth_l1_loss", _smooth_l1), ("huber_loss", _huber),
                          ("binary_cross_entropy", _bce),
                          ("binary_cross_entropy_with_logits", _bce_logits),
                          ("kl_div", _kl_div)):
    # the size warnings fire on every call, as torch's: only mse and l1 are remembered,
    # their warnings rerun by `_regression_arrays`
    _registry.register_single(_name, _normalize, _meta, _run,
                              arrays=(_regression_arrays if _name in ("mse_loss", "l1_loss")
                                      else None))
    _registry.register_backward(_name, *BACKWARDS[_name])
