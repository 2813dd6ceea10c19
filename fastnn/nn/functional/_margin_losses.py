"""The margin and embedding losses, as ``torch.nn.functional``: margin_ranking_loss,
hinge_embedding_loss, cosine_embedding_loss, triplet_margin_loss,
triplet_margin_with_distance_loss, soft_margin_loss, multilabel_soft_margin_loss,
multilabel_margin_loss, multi_margin_loss.

Each is a composition of door ops written as torch writes it (its Python function, or its
ATen composite for the C++ ones), so autograd comes from the ops. The two class-index
losses (multilabel_margin_loss, multi_margin_loss) read their integer targets in numpy
(they take no gradient) and run as masked element-wise ops, with torch's kernel
conventions: a hinge term counts where it is strictly positive. The checks are torch's,
in its order and words.
"""
import numpy as np

from ..._args import broadcast_shape
from ..._array import as_array, wrap
from ..._creation import zeros_like
from ..._dispatch import dispatch
from ...tensor import Tensor
from ._activation_more import logsigmoid
from ._loss_args import check_reduction, legacy_reduction, refuse_grad, size_text, type_name

__all__ = ["margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss", "soft_margin_loss",
           "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss"]

# torch's EPSILON in cosine_embedding_loss (aten/src/ATen/native/Loss.cpp)
_COSINE_EPS = 1e-12

# the largest (rows x targets x classes) block multilabel_margin_loss builds at once
_BLOCK = 1 << 22


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    r""":math:`\max(0, -y (x_1 - x_2) + \text{margin})`; the three tensors have the same
    number of dimensions and broadcast."""
    reduction = reduction_of(size_average, reduce, reduction)
    x1, x2, y = tensor(input1), tensor(input2), tensor(target)
    if not x1.ndim == x2.ndim == y.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got "
            f"sizes: input1: {size_text(x1.shape)}, input2: {size_text(x2.shape)}, "
            f"target: {size_text(y.shape)} ")
    return reduced((-y * (x1 - x2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    r""":math:`x` where :math:`y = 1`, :math:`\max(0, \text{margin} - x)` where
    :math:`y = -1` (other target values add both terms, as in torch)."""
    reduction = reduction_of(size_average, reduce, reduction)
    x, y = tensor(input), tensor(target)
    broadcast_shape(y.shape, x.shape)
    zeros = zeros_like(x)
    margin_clamp = (margin - x).clamp_min(0)
    output = where(y != 1, margin_clamp, zeros) + where(y != -1, x, zeros)
    return reduced(output, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    r""":math:`1 - \cos(x_1, x_2)` where :math:`y = 1`,
    :math:`\max(0, \cos(x_1, x_2) - \text{margin})` where :math:`y = -1`. Shape: (N, D)
    inputs with an (N) target, or (D) inputs with a 0-d target."""
    reduction = reduction_of(size_average, reduce, reduction)
    x1, x2, y = tensor(input1), tensor(input2), tensor(target)
    dim = y.ndim
    if dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if x1.ndim != dim + 1 or x2.ndim != dim + 1:
        raise RuntimeError(
            f"{dim}D target tensor expects {dim + 1}D input tensors, but found inputs with "
            f"sizes {list(x1.shape)} and {list(x2.shape)}.")
    prod_sum = (x1 * x2).sum(dim)
    mag_square1 = (x1 * x1).sum(dim) + _COSINE_EPS
    mag_square2 = (x2 * x2).sum(dim) + _COSINE_EPS
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zeros = zeros_like(cos)
    output = (where(y == 1, 1 - cos, zeros)
              + where(y == -1, (cos - margin).clamp_min(0), zeros))
    return reduced(output, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    r""":math:`\max(0, d(a, p) - d(a, n) + \text{margin})` with :math:`d` the p-norm
    distance along the last dimension (of the difference plus `eps`, as torch's
    pairwise_distance); `swap` uses :math:`\min(d(a, n), d(p, n))`."""
    reduction = reduction_of(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pos, neg = tensor(anchor), tensor(positive), tensor(negative)
    _check_triplet_dims(a, pos, neg)
    dist_pos = pairwise_distance(a, pos, p, eps)
    dist_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        dist_neg = minimum(dist_neg, pairwise_distance(pos, neg, p, eps))
    return reduced((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    r"""triplet_margin_loss with any `distance_function(x1, x2)` (None: the Euclidean
    pairwise distance, eps 1e-6)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pos, neg = tensor(anchor), tensor(positive), tensor(negative)
    _check_triplet_dims(a, pos, neg)
    if distance_function is None:
        distance_function = pairwise_distance
    dist_pos = distance_function(a, pos)
    dist_neg = distance_function(a, neg)
    if swap:
        dist_neg = minimum(dist_neg, distance_function(pos, neg))
    return reduced((margin + dist_pos - dist_neg).clamp_min(0), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    r""":math:`\log(1 + e^{-y x})`; the target broadcasts to the input's shape and the
    result has the input's dtype (torch computes it in place)."""
    reduction = reduction_of(size_average, reduce, reduction)
    x, y = tensor(input), tensor(target)
    refuse_grad("soft_margin_loss", "target", y)
    z = -x * y
    if z.shape != x.shape:
        raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast "
                           f"shape {list(z.shape)}")
    if z.dtype != x.dtype:
        if x.dtype.kind != "f":
            raise RuntimeError(f"result type {type_name(z)} can't be cast to the desired "
                               f"output type {type_name(x)}")
        z = z.to(x.dtype)
    return reduced(z.exp().log1p(), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    r"""The mean over classes of the binary cross entropy of :math:`\sigma(x)`, optionally
    times a per-class `weight`; 'none' gives one value per sample."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, 3)
    x, y = tensor(input), tensor(target)
    loss = -(y * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    if weight is not None:
        loss = loss * tensor(weight)
    class_dim = x.ndim - 1
    loss = loss.sum(dim=class_dim) / x.size(class_dim)
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    r"""For each sample, :math:`\sum_{j, i} \max(0, 1 - (x_{y_j} - x_i)) / C` over its
    target classes :math:`y_j` (the target row up to its first -1) and the classes
    :math:`i` that are not targets. Shape: (C) or (N, C) input, a target of its shape."""
    reduction = reduction_of(size_average, reduce, reduction)
    x, t = tensor(input), as_array(target)
    _check_nonempty(x)
    rows, dim = (1, 1 if x.ndim == 0 else x.shape[0]) if x.ndim <= 1 else x.shape
    if (t.ndim > 1 or t.size != dim) if x.ndim <= 1 else t.shape != (rows, dim):
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(x.shape)}")
    _check_long(t)
    if t.size and (t.min() < -1 or t.max() >= dim):
        raise RuntimeError("argument #2 'target' is out of range")
    _check_float(x, "multilabel_margin_loss_forward_out_frame")
    t = t.reshape(rows, dim)
    count = np.where((t == -1).any(1), (t == -1).argmax(1), dim)
    width = int(count.max()) if rows else 0
    valid = np.arange(width) < count[:, None]                       # (N, K)
    index = np.where(valid, t[:, :width], 0)
    is_target = np.zeros((rows, dim), bool)
    is_target[np.nonzero(valid)[0], index[valid]] = True
    x2 = x.reshape(rows, dim)
    # zeros that keep the graph (torch's output takes a gradient even without targets)
    per_row = where(wrap(np.zeros((rows, 1), bool)), x2, zeros_like(x2)).sum(1)
    step = max(1, _BLOCK // max(1, rows * dim))
    for k0 in range(0, width, step):
        k1 = min(width, k0 + step)
        picked = x2.gather(1, wrap(np.ascontiguousarray(index[:, k0:k1])))
        z = 1 - (picked.unsqueeze(2) - x2.unsqueeze(1))              # (N, k, C)
        counted = valid[:, k0:k1, None] & ~is_target[:, None, :]
        counted = wrap(counted) & (z > 0)
        per_row = per_row + where(counted, z, zeros_like(z)).sum((1, 2))
    per_row = per_row / dim
    return _frame_reduction(per_row, reduction, rows, batched=x.ndim == 2)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    r"""For each sample, :math:`\sum_{i \ne y} w_y \max(0, \text{margin} - x_y + x_i)^p / C`
    with p 1 or 2. Shape: (C) or (N, C) input, (N) class indices (long)."""
    reduction = reduction_of(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    w = None
    if weight is not None:
        w = tensor(weight)
        if w.ndim != 1:
            raise ValueError("weight must be one-dimensional")
    x, t = tensor(input), as_array(target)
    _check_nonempty(x)
    rows = 1 if x.ndim <= 1 else x.shape[0]
    dim = 1 if x.ndim == 0 else x.shape[-1]
    if t.ndim > 1 or t.size != rows:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{rows}], but got "
            f"{list(t.shape)}. Input has shape {list(x.shape)}.")
    if w is not None and w.size != dim:
        raise RuntimeError(f"inconsistent weight size, expected {dim} but got "
                           f"{list(w.shape)}")
    _check_long(t)
    _check_float(x, "multi_margin_loss_cpu_kernel")
    if w is not None:
        if w.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {type_name(x)} but found "
                               f"{type_name(w)}")
        refuse_grad("multi_margin_loss", "weight", w)
    batched, t = t.ndim > 0, t.reshape(rows)
    if rows and (t.min() < 0 or t.max() >= dim):
        raise RuntimeError("target out of range")
    x2 = x.reshape(rows, dim)
    z = margin - x2.gather(1, wrap(t[:, None].astype(np.int64))) + x2
    counted = wrap(np.arange(dim) != t[:, None]) & (z > 0)
    h = z if p == 1 else z * z
    if w is not None:
        h = h * wrap(np.asarray(w)[t][:, None])
    per_row = where(counted, h, zeros_like(h)).sum(1) / dim
    return _frame_reduction(per_row, reduction, rows, batched=batched)


# ---------------------------------------------------------------- helpers

def tensor(value):
    """An argument as a fastnn Tensor (Tensors as they are, keeping their graph)."""
    return value if isinstance(value, Tensor) else wrap(as_array(value))


def reduction_of(size_average, reduce, reduction):
    """torch's `legacy_get_enum` / `get_enum` as a string; warnings point at the caller
    of the F function."""
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce, 4)
    return check_reduction(reduction, 4)


def reduced(loss, reduction):
    """torch's apply_loss_reduction."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def where(condition, input, other):
    """fastnn.where's door op (that function sits a layer above nn)."""
    return dispatch("where", tensor(condition), input, other)


def minimum(input, other):
    return np.minimum(input, other)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6):
    """torch's pairwise_distance: the p-norm of ``x1 - x2 + eps`` along the last dimension
    of the broadcast (private here; `F.pairwise_distance` is its public form)."""
    dim = max(x1.ndim, x2.ndim) - 1
    return (x1 - x2 + eps).norm(p=p, dim=dim if dim >= 0 else -1)


def _check_triplet_dims(a, p, n):
    if not a.ndim == p.ndim == n.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a.ndim}D, positive {p.ndim}D, and negative "
            f"{n.ndim}D inputs")


def _check_nonempty(x):
    if not ((x.ndim == 2 and x.shape[1] != 0) or (x.ndim == 1 and x.shape[0] != 0)
            or x.ndim == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(x.shape)}")


def _check_long(t):
    if t.dtype.newbyteorder("=") != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {type_name(t)}")


def _check_float(x, kernel):
    if not (x.dtype.kind == "f" and x.dtype.itemsize in (4, 8)):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(x)}\'')


def _frame_reduction(per_row, reduction, rows, batched):
    """The class-index kernels' reduction: 'none' keeps (N) for a batched target, else a
    scalar; 'mean' over no sample is 0 (torch's kernels divide a zero sum by N)."""
    if reduction == "none":
        return per_row if batched else per_row.reshape(())
    if reduction == "sum" or rows == 0:
        return per_row.sum()
    return per_row.mean()
