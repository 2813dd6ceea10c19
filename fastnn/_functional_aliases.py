"""The top-level forms torch has of `fastnn.nn.functional`'s ops, with torch's top-level
signatures (which differ from F's in places: ``dropout(input, p, train)`` has no defaults,
``batch_norm`` takes weight and bias first and a `cudnn_enabled` flag, ``embedding`` takes
the weight first, the losses take `reduction` as torch's enum int (0 none, 1 mean, 2 sum),
the pools take ``stride=()`` for "the kernel size" and return no indices, while
``adaptive_max_pool1d`` returns (output, indices)). Each delegates to F."""
from ._args import bool_arg, float_arg, int_arg
from .nn import functional as F

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d",
           "adaptive_avg_pool1d", "adaptive_max_pool1d", "batch_norm", "dropout", "embedding",
           "binary_cross_entropy_with_logits", "kl_div", "cosine_similarity",
           "pairwise_distance", "hardshrink", "rrelu", "rrelu_"]

# torch's at::Reduction enum
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``F.conv1d``."""
    return F.conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``F.conv2d``."""
    return F.conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``F.conv3d``."""
    return F.conv3d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """``F.conv_transpose1d``."""
    return F.conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """``F.conv_transpose2d``."""
    return F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """``F.conv_transpose3d``."""
    return F.conv_transpose3d(input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def _stride(stride):
    """torch's top-level pools take an empty stride for "the kernel size"."""
    return None if isinstance(stride, (tuple, list)) and len(stride) == 0 else stride


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``F.max_pool1d`` without indices."""
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``F.max_pool2d`` without indices."""
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``F.max_pool3d`` without indices."""
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False,
               count_include_pad=True):
    """``F.avg_pool1d``."""
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode,
                        count_include_pad)


def adaptive_avg_pool1d(input, output_size):
    """``F.adaptive_avg_pool1d``."""
    return F.adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """``F.adaptive_max_pool1d(..., return_indices=True)``: (output, indices)."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    """``F.batch_norm`` in torch's top-level argument order."""
    training = bool_arg(training, "batch_norm", "training", 6)
    bool_arg(cudnn_enabled, "batch_norm", "cudnn_enabled", 9)
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                        eps)


def dropout_probability(p, fn):
    """torch's top-level check of a dropout `p` (a RuntimeError, where F's is a
    ValueError)."""
    p = float_arg(p, fn, "p", 2)
    if not 0 <= p <= 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


def dropout(input, p, train):
    """``F.dropout(input, p, train)``."""
    p = dropout_probability(p, "dropout")
    return F.dropout(input, p, bool_arg(train, "dropout", "train", 3))


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``F.embedding(indices, weight)``; a negative `padding_idx` means none (the rows of a
    non-negative one get no gradient)."""
    padding_idx = int_arg(padding_idx, "embedding", "padding_idx", 3)
    return F.embedding(indices, weight, None if padding_idx < 0 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def _reduction(value, fn, position):
    return _REDUCTIONS[int_arg(value, fn, "reduction", position)]


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
                                     reduction=1):
    """``F.binary_cross_entropy_with_logits`` with torch's enum `reduction`."""
    return F.binary_cross_entropy_with_logits(
        input, target, weight, reduction=_reduction(reduction, "binary_cross_entropy_with_logits",
                                                    5), pos_weight=pos_weight)


def kl_div(input, target, reduction=1, *, log_target=False):
    """``F.kl_div`` with torch's enum `reduction` (1: the mean over all elements)."""
    return F.kl_div(input, target, reduction=_reduction(reduction, "kl_div", 3),
                    log_target=log_target)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``F.cosine_similarity``."""
    return F.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``F.pairwise_distance``."""
    return F.pairwise_distance(x1, x2, p, eps, keepdim)


def hardshrink(input, lambd=0.5):
    """``F.hardshrink``."""
    return F.hardshrink(input, lambd)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """``F.rrelu`` (the slope of the middle of [lower, upper] unless `training`)."""
    return F.rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """``F.rrelu_``."""
    return F.rrelu_(input, lower, upper, training)
