"""cross_entropy and nll_loss, as ``torch.nn.functional``.

Inputs are (C,), (N, C) or (N, C, d1, ...); the kernels see them as (N, C, inner). As in
torch, cross entropy is nll_loss of log_softmax over the class dimension; a target of the
input's shape holds class probabilities. torch's rules, followed exactly:

* 'mean' over class indices divides by the sum of the picked classes' weights (the count
  of targets that are not `ignore_index` when unweighted): NaN when every target is ignored;
* label smoothing adds ``label_smoothing / C`` times the (weighted) sum of ``-log p`` over
  the classes, reduced by the same rule, to ``(1 - label_smoothing)`` times the nll loss;
* with probabilities, 'mean' divides by N * d1 * ... whatever the weights.

The backward is `_loss_grad`'s.
"""
import math

import numpy as np

from ... import _registry
from ..._args import float_arg, int_arg
from ..._dispatch import dispatch
from ..._registry import Attrs
from ...kernels import loss as kernels
from ._loss_args import (check_reduction, common_dtype, dtype_of, is_float, loss_array,
                         native_name, reduction_arg, refuse_grad, run_kernel, type_name)
from ._loss_grad import BACKWARDS

__all__ = ["cross_entropy", "nll_loss"]


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    r"""Cross entropy between the logits `input` and `target` (class indices, or class
    probabilities of the input's shape).

    Args:
        weight: a rescaling weight per class, of size C.
        ignore_index: a target value that contributes nothing (class indices only).
        reduction: 'none' | 'mean' | 'sum'.
        label_smoothing: in [0, 1]; mixes the target with the uniform distribution.

    Shape: input (C), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...) of int64
    or uint8 class indices, or the input's shape; 'none' returns (N, d1, ...).
    """
    return dispatch("cross_entropy", input, target, weight, size_average, ignore_index,
                    reduce, reduction, label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    r"""Negative log-likelihood of log-probabilities `input` at the classes `target`:
    :math:`-w_{t} x_{t}`, reduced as cross_entropy reduces."""
    return dispatch("nll_loss", input, target, weight, size_average, ignore_index, reduce,
                    reduction)


# ---------------------------------------------------------------- checks

def _float_input(x, kernel_name):
    if not is_float(x):
        raise (NotImplementedError if x.dtype.kind in "iub" else TypeError)(
            f'"{kernel_name}" not implemented for \'{type_name(x)}\'')


def _nll_checks(x, t, w):
    """torch's nll_loss_nd checks in its order (after the reduction's)."""
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if x.ndim != 1 and t.ndim and x.shape[0] != t.shape[0] or x.ndim > 1 and not t.ndim:
        got = t.shape[0] if t.ndim else 0
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target "
                         f"batch_size ({got}).")
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if x.ndim <= 2:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    elif x.ndim == 4:
        if t.ndim != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but "
                               f"got targets of dimension: {t.ndim}")
    elif t.shape[1:] != x.shape[2:]:
        raise RuntimeError(f"Expected target size {[x.shape[0]] + list(x.shape[2:])}, got "
                           f"{list(t.shape)}")
    if (t.dtype.kind, t.dtype.itemsize) not in (("i", 8), ("u", 1)):      # int64, uint8
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {type_name(t)}")
    if x.ndim == 1 and t.ndim == 1 and t.shape[0] != 1:
        raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                         f"{t.shape[0]}")
    if w is not None:
        if x.ndim <= 2:
            if w.ndim != 1 or w.size != classes:
                raise RuntimeError(f"weight tensor should be defined either for all {classes} "
                                   "classes or no classes but got weight tensor of shape: "
                                   f"{list(w.shape)}")
        elif w.size != classes:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
    if x.ndim == 4 and (t.shape[0] != x.shape[0] or t.shape[1:] != x.shape[2:]):
        raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: "
                           f"{list(t.shape)}")
    if w is not None and w.dtype.newbyteorder("=") != x.dtype.newbyteorder("="):
        raise RuntimeError(f"expected scalar type {type_name(x)} but found {type_name(w)}")
    return classes


def _nll_normalize(x, t, w, ignore_index, reduction, smoothing, log_softmax):
    _nll_checks(x, t, w)            # the targets' bounds: the kernel counts them (`_run`)
    if not log_softmax:
        _float_input(x, "nll_loss_out_frame")
    out_shape = t.shape if x.ndim > 1 else ()
    attrs = Attrs(mode="indices", reduction=reduction, ignore_index=ignore_index,
                  smoothing=smoothing, log_softmax=log_softmax, out_shape=tuple(out_shape),
                  dtype=native_name(x.dtype))
    return (x, t, w), attrs


def _legacy(size_average, reduce, reduction, stacklevel=7):
    """The reduction, warning as torch does (`stacklevel`: to the caller of F.<loss> from
    `_cross_entropy` or `_nll`)."""
    return check_reduction(reduction_arg(size_average, reduce, reduction, stacklevel),
                           stacklevel)


def _nll(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
         reduction="mean"):
    reduction = _legacy(size_average, reduce, reduction)
    ignore_index = int_arg(ignore_index, "nll_loss_nd", "ignore_index", 5)
    x, t = loss_array(input), loss_array(target)
    w = None if weight is None else loss_array(weight)
    inputs, attrs = _nll_normalize(x, t, w, ignore_index, reduction, 0.0, False)
    refuse_grad("nll_loss_forward", "weight", weight)
    return inputs, attrs


def _cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                   reduce=None, reduction="mean", label_smoothing=0.0):
    reduction = _legacy(size_average, reduce, reduction)
    ignore_index = int_arg(ignore_index, "cross_entropy_loss", "ignore_index", 5)
    label_smoothing = float_arg(label_smoothing, "cross_entropy_loss", "label_smoothing", 6)
    x, t = loss_array(input), loss_array(target)
    w = None if weight is None else loss_array(weight)
    if x.shape == t.shape:
        return _soft_normalize(x, t, w, ignore_index, reduction, label_smoothing)
    if label_smoothing > 0.0 and label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing:g}")
    _float_input(x, "log_softmax_lastdim_kernel_impl")
    inputs, attrs = _nll_normalize(x, t, w, ignore_index, reduction,
                                   max(label_smoothing, 0.0), True)
    refuse_grad("nll_loss_forward", "weight", weight)
    return inputs, attrs


def _soft_normalize(x, t, w, ignore_index, reduction, smoothing):
    if not is_float(t):
        raise RuntimeError("Expected floating point type for target with class "
                           f"probabilities, got {type_name(t)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {smoothing:g}")
    _float_input(x, "log_softmax_lastdim_kernel_impl")
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if w is not None and (w.ndim != 1 or w.size != classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                           f"{classes} classes or no classes but got weight tensor of shape: "
                           f"{list(w.shape)}")
    arrays = [a for a in (x, t, w) if a is not None]
    dtype = common_dtype(arrays)
    out_shape = (x.shape[:1] + x.shape[2:]) if x.ndim > 1 else ()
    attrs = Attrs(mode="probabilities", reduction=reduction, ignore_index=ignore_index,
                  smoothing=max(smoothing, 0.0), log_softmax=True,
                  out_shape=tuple(out_shape), dtype=native_name(dtype))
    return (x, t, w), attrs


# ---------------------------------------------------------------- running

def _meta(inputs, attrs):
    shape = attrs["out_shape"] if attrs["reduction"] == "none" else ()
    return shape, dtype_of(attrs["dtype"])


def _shape3(arr):
    """The (N, C, inner) view of an (N, C, d1, ...) or (C,) array."""
    if arr.ndim == 1:
        return arr.reshape(1, -1, 1)
    return arr.reshape(arr.shape[0], arr.shape[1], -1 if arr.size else math.prod(arr.shape[2:]))


def _rows(arr):
    """An (N, C, d1, ...) or (C,) array as a C-contiguous float64 (N, C, inner)."""
    return np.ascontiguousarray(_shape3(arr), np.float64)


def _weights(w):
    return np.empty(0) if w is None else np.ascontiguousarray(w, np.float64).reshape(-1)


def _run(inputs, attrs, out):
    if attrs["mode"] == "probabilities":
        return _run_probabilities(inputs, attrs, out)
    x, t, w = inputs
    # the input in its dtype (float32 and float64: the kernel's two specializations)
    rows = np.ascontiguousarray(_shape3(x), out.dtype)
    n, classes, inner = rows.shape
    targets = np.ascontiguousarray(t, np.int64).reshape(n, inner)
    weights = _NONE if w is None else np.ascontiguousarray(w, np.float64).reshape(-1)
    smooth = attrs["smoothing"] > 0.0
    each = attrs["reduction"] == "none"
    loss = np.empty((n, inner)) if each else _NONE2
    smooth_loss = np.empty((n, inner)) if each and smooth else _NONE2
    totals = np.empty(4)
    run_kernel(kernels.nll, rows, targets, weights, attrs["ignore_index"], attrs["log_softmax"],
               smooth, loss, smooth_loss, totals, work=rows.size)
    if totals[3]:
        flat = targets.reshape(-1)
        bad = (flat != attrs["ignore_index"]) & ((flat < 0) | (flat >= classes))
        raise IndexError(f"Target {flat[np.argmax(bad)]} is out of bounds.")
    if each:
        if smooth:
            ls = attrs["smoothing"]
            loss = (1.0 - ls) * loss + smooth_loss * (ls / classes)
        out[...] = loss.reshape(out.shape)
        return out
    value, count, smooth_value = totals[0], totals[1], totals[2]
    if smooth:
        ls = attrs["smoothing"]
        value = (1.0 - ls) * value + smooth_value * (ls / classes)
    if attrs["reduction"] == "mean":
        if count:
            value = value / count
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.float64(value) / count
    out[()] = value
    return out


_NONE = np.empty(0)
_NONE2 = np.empty((0, 0))


def _run_probabilities(inputs, attrs, out):
    x, t, w = inputs
    rows = _rows(x)
    n, _, inner = rows.shape
    loss = np.empty((n, inner))
    run_kernel(kernels.soft_cross_entropy_rows, rows, _rows(t), _weights(w), attrs["smoothing"],
               loss, work=rows.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = _reduce(loss, attrs["reduction"], np.float64(n * inner))
    out[...] = np.reshape(value, out.shape)
    return out


def _reduce(loss, reduction, count):
    if reduction == "none":
        return loss
    total = loss.sum()
    return total / count if reduction == "mean" else total


def _remembered(refuse):
    """The door's `arrays` for a call whose checks are remembered (they read shapes, dtypes
    and the other arguments; the targets' bounds are the kernel's): the inputs, after what
    reads more than those, rerun: torch's warnings, the refusal of a weight that requires
    grad (`refuse(x, t)`: where it applies)."""
    def arrays(input, target, weight=None, size_average=None, ignore_index=-100,
               reduce=None, reduction="mean", label_smoothing=0.0):
        if size_average is not None or reduce is not None or reduction == "elementwise_mean":
            _legacy(size_average, reduce, reduction, 6)      # a frame fewer than normalize's
        x, t = loss_array(input), loss_array(target)
        if refuse(x, t):
            refuse_grad("nll_loss_forward", "weight", weight)
        return x, t, None if weight is None else loss_array(weight)
    return arrays


# class probabilities are told apart from indices by shape alone (a weight may require grad
# with them)
_registry.register_single("cross_entropy", _cross_entropy, _meta, _run,
                          arrays=_remembered(lambda x, t: x.shape != t.shape))
_registry.register_single("nll_loss", _nll, _meta, _run,
                          arrays=_remembered(lambda x, t: True))
for _name in ("cross_entropy", "nll_loss"):
    _registry.register_backward(_name, *BACKWARDS[_name])
