"""Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_) on `p.grad`,
and its two halves: get_total_norm and clip_grads_with_norm_.

torch's CPU path is the per-tensor one: a norm per gradient, the norm of those norms, then
each gradient scaled in place by min(max_norm / (total + 1e-6), 1) in the norm's dtype.
"""
import types
import warnings

import numpy as np

from ..._array import as_array, wrap
from ..._dtypes import get_default_dtype

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _vector_norm(x, norm_type):
    """torch.linalg.vector_norm of a flat array, in the array's dtype."""
    x = x.reshape(-1)
    if x.size == 0:
        return x.dtype.type(0) if norm_type >= 0 else x.dtype.type(np.inf)
    if norm_type == np.inf:
        return np.max(np.abs(x))
    if norm_type == -np.inf:
        return np.min(np.abs(x))
    if norm_type == 0:
        return x.dtype.type(np.count_nonzero(x))
    if norm_type == 1:
        return np.sum(np.abs(x))
    if norm_type == 2:
        return np.sqrt(np.dot(x, x))
    return x.dtype.type(np.sum(np.abs(x) ** norm_type) ** (1.0 / norm_type))


def _grads(parameters):
    if isinstance(parameters, np.ndarray):
        parameters = [parameters]
    return [as_array(p.grad, "grad") for p in parameters if getattr(p, "grad", None) is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of the norms of `tensors` (a Tensor or an iterable of them): the norm of
    all their elements as one vector, as a 0-d tensor in their (promoted) dtype.

    Args:
        tensors (Tensor or iterable of Tensors): the tensors whose norm is taken.
        norm_type (float): the p of the p-norm; ``inf`` for the largest absolute value.
        error_if_nonfinite (bool): raise when the total norm is NaN or infinite.
        foreach: accepted for torch compatibility; one path serves every value.
    """
    tensors = [tensors] if isinstance(tensors, np.ndarray) else list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return wrap(np.array(0.0, dtype=get_default_dtype()))
    arrays = [as_array(t, "tensors") for t in tensors]
    norms = [_vector_norm(a, norm_type) for a in arrays]
    stacked = np.array(norms, dtype=np.result_type(*[a.dtype for a in arrays]))
    total_norm = np.asarray(_vector_norm(stacked, norm_type), dtype=stacked.dtype)
    if error_if_nonfinite and not np.isfinite(total_norm):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return wrap(total_norm)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of `parameters` in place by min(max_norm / (total_norm + 1e-6),
    1), `total_norm` given (e.g. from :func:`get_total_norm`); returns None."""
    grads = _grads(parameters)
    if len(grads) == 0:
        return
    total_norm = np.asarray(as_array(total_norm, "total_norm"))
    dtype = total_norm.dtype.type
    clip_coef = dtype(float(max_norm)) / (total_norm + dtype(1e-6))
    clip_coef = np.minimum(clip_coef, dtype(1.0)) if not np.isnan(clip_coef) else clip_coef
    with np.errstate(invalid="ignore"):        # inf * 0 is NaN silently, as in torch
        for g in grads:
            np.multiply(g, clip_coef.astype(np.result_type(g.dtype, clip_coef.dtype)), out=g,
                        casting="unsafe")


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of `parameters` in place so that their total norm is at most
    `max_norm`; returns the total norm (before clipping) as a 0-d tensor.

    Args:
        parameters (Tensor or iterable of Tensors): parameters whose ``.grad`` is clipped.
        max_norm (float): the largest total norm kept.
        norm_type (float): the p of the p-norm; ``inf`` for the largest absolute value.
        error_if_nonfinite (bool): raise when the total norm is NaN or infinite.
        foreach: accepted for torch compatibility; one path serves every value.
    """
    if not isinstance(parameters, np.ndarray):
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will "
                          "occur.", stacklevel=2)
    total_norm = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                   foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_` (warns as torch does)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp the gradients of `parameters` in place to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    grads = _grads(parameters)
    for g in grads:
        low, high = g.dtype.type(-clip_value), g.dtype.type(clip_value)
        # torch's clamp_: NaN stays NaN, min applied before max
        np.copyto(g, np.where(np.isnan(g), g, np.minimum(np.maximum(g, low), high)))
