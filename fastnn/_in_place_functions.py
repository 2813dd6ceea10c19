"""torch's top-level in-place functions: ``fastnn.sin_(x)`` is ``x.sin_()`` (and so on for
each in-place element-wise method of Tensor), ``fastnn.clamp_min_(x, 0)``,
``fastnn.fill_(x, 2)``, ``fastnn.zero_(x)``, ``fastnn.dropout_(x, p, train)``. Each calls
the Tensor method, which writes through the door's ``copy_`` (or its own in-place op)."""
from ._args import bool_arg
from ._functional_aliases import dropout_probability
from ._functions import _tensor, _top_level_in_place
from ._in_place_methods import UNARY_IN_PLACE
from .nn import functional as F

__all__ = [f"{name}_" for name in UNARY_IN_PLACE] + [
    "round_", "nan_to_num_", "clamp_min_", "clamp_max_", "clip_", "neg_", "negative_",
    "logit_", "xlogy_", "zero_", "fill_", "detach_", "dropout_"]


globals().update({f"{name}_": _top_level_in_place(f"{name}_") for name in UNARY_IN_PLACE})


def round_(input, *, decimals=0):
    """``input.round_(decimals=decimals)``."""
    return _tensor(input, "round_").round_(decimals)


def nan_to_num_(input, nan=0.0, posinf=None, neginf=None):
    """``input.nan_to_num_(nan, posinf, neginf)``."""
    return _tensor(input, "nan_to_num_").nan_to_num_(nan, posinf, neginf)


def clamp_min_(input, min):
    """``input.clamp_min_(min)``."""
    return _tensor(input, "clamp_min_").clamp_min_(min)


def clamp_max_(input, max):
    """``input.clamp_max_(max)``."""
    return _tensor(input, "clamp_max_").clamp_max_(max)


def clip_(input, min=None, max=None):
    """``input.clip_(min, max)``."""
    return _tensor(input, "clip_").clip_(min, max)


def neg_(input):
    """``input.neg_()``."""
    return _tensor(input, "neg_").neg_()


def negative_(input):
    """``input.negative_()``."""
    return _tensor(input, "negative_").negative_()


def logit_(input, eps=None):
    """``input.logit_(eps)``."""
    return _tensor(input, "logit_").logit_(eps)


def xlogy_(input, other):
    """``input.xlogy_(other)``."""
    return _tensor(input, "xlogy_").xlogy_(other)


def zero_(input):
    """``input.zero_()``."""
    return _tensor(input, "zero_").zero_()


def fill_(input, value):
    """``input.fill_(value)``."""
    return _tensor(input, "fill_").fill_(value)


def detach_(input):
    """``input.detach_()``."""
    return _tensor(input, "detach_").detach_()


def dropout_(input, p, train):
    """Dropout of `input` in place (torch's top-level ``dropout_(input, p, train)``: no
    defaults)."""
    p = dropout_probability(p, "dropout_")
    return F.dropout(input, p, bool_arg(train, "dropout_", "train", 3), inplace=True)
