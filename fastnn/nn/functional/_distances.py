"""F.cosine_similarity, F.pairwise_distance and F.pdist, as torch 2.13 computes them, each a
composition of ops at the door (broadcast, subtraction, `fastnn.norm`, division, sum,
index_select), so autograd differentiates them as torch's own compositions.

* cosine_similarity: each vector divided by max(its 2-norm, eps) before the dot product,
  the clamp (like torch's, done under no_grad on a clone of the norm) invisible to the
  gradient: the norm's gradient is the unclamped one (zero at a zero vector).
* pairwise_distance: the p-norm of x1 - x2 + eps over the last dim of the broadcast shape.
* pdist: the p-norm of the differences of every pair of rows i < j, row-major.
"""
import numpy as np

import fastnn

from ... import _grad
from ..._args import (bool_arg, broadcast_shape, float_arg, int_arg, torch_type_name,
                      torch_typename)
from ..._dtypes import get_default_dtype
from ...tensor import Tensor

__all__ = ["cosine_similarity", "pairwise_distance", "pdist"]


def _tensor_arg(fn, name, position, value):
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "__array__") and not isinstance(value, np.generic):
        return np.asarray(value).view(Tensor)
    raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not "
                    f"{torch_typename(value)}")


def _is_float(arr):
    return arr.dtype.kind == "f"


def _common_float(a, b, fn):
    """a and b cast to a common floating dtype as torch's promotion gives it (ints and
    bools take the float operand's dtype, the default dtype when neither is float)."""
    floats = [x.dtype for x in (a, b) if _is_float(x)]
    if not floats:
        return None
    common = np.result_type(*floats)
    return tuple(x if _is_float(x) else x.to(common) for x in (a, b))


def _expanded(a, b):
    shape = broadcast_shape(a.shape, b.shape)
    return (a if a.shape == shape else a.expand(shape),
            b if b.shape == shape else b.expand(shape))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    r"""The cosine similarity of `x1` and `x2` (broadcast) along `dim`:
    :math:`\sum \frac{x_1}{\max(\lVert x_1 \rVert_2, \epsilon)} \cdot
    \frac{x_2}{\max(\lVert x_2 \rVert_2, \epsilon)}`.

    Args:
        x1, x2: tensors broadcastable to a common shape; a float dtype among them.
        dim (int): the dim the vectors lie along. Default: 1
        eps (float): the smallest norm divided by. Default: 1e-8

    Shape: the broadcast shape without `dim`.

    Example::
        >>> F.cosine_similarity(fastnn.randn(8, 128), fastnn.randn(8, 128)).shape
        (8,)
    """
    fn = "cosine_similarity"
    a, b = _tensor_arg(fn, "x1", 1, x1), _tensor_arg(fn, "x2", 2, x2)
    dim = int_arg(dim, fn, "dim", None)
    eps = float_arg(eps, fn, "eps", None)
    pair = _common_float(a, b, fn)
    if pair is None:
        common = np.result_type(a.dtype, b.dtype)
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{torch_type_name(common)}")
    a, b = _expanded(*pair)
    n1 = fastnn.norm(a, 2, dim, True).clone()
    n2 = fastnn.norm(b, 2, dim, True).clone()
    with _grad.no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((a / n1) * (b / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    r"""The p-norm distance of `x1` and `x2` (broadcast) along their last dim:
    :math:`\lVert x_1 - x_2 + \epsilon \rVert_p`.

    Args:
        x1, x2: tensors broadcastable to a common shape.
        p (float): the norm's order. Default: 2
        eps (float): added to the difference. Default: 1e-6
        keepdim (bool): keep the reduced dim. Default: False

    Example::
        >>> F.pairwise_distance(fastnn.randn(8, 128), fastnn.randn(8, 128)).shape
        (8,)
    """
    fn = "pairwise_distance"
    a, b = _tensor_arg(fn, "x1", 1, x1), _tensor_arg(fn, "x2", 2, x2)
    p = float_arg(p, fn, "p", None)
    eps = float_arg(eps, fn, "eps", None)
    keepdim = bool_arg(keepdim, fn, "keepdim", None)
    pair = _common_float(a, b, fn)
    if pair is None:
        # torch: an integer difference plus the float eps is of the default dtype
        default = get_default_dtype()
        pair = a.to(default), b.to(default)
    a, b = pair
    diff = a - b + np.asarray(eps, np.result_type(a.dtype, b.dtype))
    return fastnn.norm(diff, p, max(a.ndim, b.ndim) - 1, keepdim)


def pdist(input, p=2):
    r"""The p-norm distances of every pair of rows ``i < j`` of the (N, M) `input`, in
    row-major order of the pairs: :math:`(N (N - 1) / 2,)`.

    Example::
        >>> F.pdist(fastnn.randn(5, 3)).shape
        (10,)
    """
    x = _tensor_arg("pdist", "input", 1, input)
    p = float_arg(p, "pdist", "p", None)
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if not _is_float(x):
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    first, second = np.triu_indices(x.shape[0], 1)
    diff = x.index_select(0, fastnn.tensor(first)) - x.index_select(0, fastnn.tensor(second))
    return fastnn.norm(diff, p, 1)
