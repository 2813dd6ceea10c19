"""alpha_dropout, feature_alpha_dropout and gumbel_softmax, as ``torch.nn.functional``:
compositions of door ops, so autograd differentiates them.

Alpha dropout keeps SELU's mean and variance: with :math:`\\alpha' = -1.7580993408473766`,
:math:`a = ((1 - p)(1 + p \\alpha'^2))^{-1/2}` and :math:`b = -a \\alpha' p`, a kept element
becomes :math:`a x + b` and a dropped one :math:`a \\alpha' + b`. The keep mask is
``F.dropout``'s (drawn from the default generator as torch's ``bernoulli_(1 - p)``), so after
the same seed the same elements are kept as in torch; the arithmetic is torch's, step for
step, in the input's dtype.
"""
import math
import warnings

import numpy as np

from ... import _creation
from ..._args import bool_arg, float_arg
from ...tensor import Tensor
from .._utils import as_array, wrap
from ._dropout import _check_probability, dropout

__all__ = ["alpha_dropout", "feature_alpha_dropout", "gumbel_softmax"]

_SELU_ALPHA = 1.7580993408473766


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    r"""alpha_dropout(input, p=0.5, training=False, inplace=False) -> Tensor

    Dropout for SELU networks: dropped elements are set to SELU's negative saturation
    value and the result is scaled and shifted to keep zero mean and unit variance. The
    identity when ``training`` is False (the default, unlike :func:`dropout`).
    """
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    r"""feature_alpha_dropout(input, p=0.5, training=False, inplace=False) -> Tensor

    :func:`alpha_dropout` of whole channels: one draw per ``(sample, channel)`` (dims 0
    and 1), broadcast over the remaining dimensions.
    """
    return _alpha_dropout(input, p, training, inplace, True)


def _alpha_dropout(input, p, training, inplace, feature):
    _check_probability(p)
    name = ("feature_alpha_dropout" if feature else "alpha_dropout") + ("_" if inplace else "")
    p = float_arg(p, name, "p", 2)
    training = bool_arg(training, name, "train", 3)
    if math.isnan(p):
        raise RuntimeError("dropout probability has to be between 0 and 1, but got nan")
    x = input if isinstance(input, Tensor) else wrap(as_array(input))
    if p == 0 or not training or x.size == 0:
        return input
    if p == 1:
        return x.mul_(0) if inplace else x * 0
    if feature:
        if x.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        ones = _creation.ones(x.shape[:2] + (1,) * (x.ndim - 2), dtype=x.dtype)
    else:
        ones = _creation.ones_like(x)
    noise = (dropout(ones, p, True) != 0).to(x.dtype)
    a = 1.0 / math.sqrt((_SELU_ALPHA * _SELU_ALPHA * p + 1) * (1 - p))
    b = (noise - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    noise = noise * a
    if inplace:
        return x.mul_(noise).add_(b)
    return x * noise + b


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    r"""gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1) -> Tensor

    Samples from the Gumbel-Softmax distribution: ``softmax((logits + g) / tau, dim)``
    with ``g = -log(E)``, ``E`` drawn from Exponential(1). With ``hard=True`` the result
    is the one-hot of the sample's argmax in the forward and the soft sample's gradient in
    the backward (``y_hard - y_soft.detach() + y_soft``). `eps` is deprecated and unused.
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    x = logits if isinstance(logits, Tensor) else wrap(np.asarray(logits))
    gumbels = -_creation.empty_like(x).exponential_().log()
    gumbels = (x + gumbels) / tau
    y_soft = gumbels.softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = _creation.zeros_like(x).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
