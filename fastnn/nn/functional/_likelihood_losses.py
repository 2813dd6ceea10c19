"""The likelihood losses, as ``torch.nn.functional``: poisson_nll_loss, gaussian_nll_loss.

Compositions of door ops written as torch writes them (its ATen composite for the Poisson
loss, its Python function for the Gaussian one), so autograd comes from the ops, the
target's gradient included where torch gives one.
"""
import math

import numpy as np

from ..._creation import ones_like
from ..._grad import no_grad
from ._loss_args import legacy_reduction
from ._margin_losses import reduced, tensor, where

__all__ = ["poisson_nll_loss", "gaussian_nll_loss"]


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    r"""Negative log-likelihood of a Poisson target: :math:`e^x - y x` of a log-rate
    (``log_input``), else :math:`x - y \log(x + \text{eps})`; `full` adds Stirling's
    approximation :math:`y \log y - y + \frac{1}{2} \log(2 \pi y)` where :math:`y > 1`."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, 3)
    if reduction != "none" and reduction != "mean" and reduction != "sum":
        raise ValueError(reduction + " is not a valid value for reduction")
    x, y = tensor(input), tensor(target)
    if log_input:
        loss = x.exp() - y * x
    else:
        loss = x - y * (x + eps).log()
    if full:
        stirling = y * y.log() - y + 0.5 * (2 * math.pi * y).log()
        loss = loss + where(y <= 1, np.zeros((), stirling.dtype), stirling)
    return reduced(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    r"""Negative log-likelihood of a Gaussian target:
    :math:`\frac{1}{2} (\log \max(v, \text{eps}) + (x - y)^2 / \max(v, \text{eps}))`
    (`full` adds :math:`\frac{1}{2} \log 2\pi`). `var` has the input's shape, or one
    dimension fewer (the last), or a single mismatching dimension of size 1, or is a
    float; the clamp at `eps` is invisible to autograd, as in torch."""
    x, y = tensor(input), tensor(target)
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(x)
    elif isinstance(var, int):          # torch.any(var < 0) of a Python bool
        raise TypeError(
            "any() received an invalid combination of arguments - got (bool), but expected "
            "one of:\n * (Tensor input, *, Tensor out = None)\n * (Tensor input, tuple of "
            "ints dim = None, bool keepdim = False, *, Tensor out = None)\n * (Tensor input, "
            "int dim, bool keepdim = False, *, Tensor out = None)\n")
    else:
        var = tensor(var)
        if bool((np.asarray(var) < 0).any()):
            raise ValueError("var has negative entry/entries")
    if var.shape != x.shape:
        if x.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif x.ndim == var.ndim and sum(
                b for a, b in zip(x.shape, var.shape) if a != b) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction != "none" and reduction != "mean" and reduction != "sum":
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (x - y) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduced(loss, reduction)
