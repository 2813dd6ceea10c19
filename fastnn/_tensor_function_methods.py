"""More torch methods of fastnn.Tensor (a mixin of Tensor, in the tensor layer): element-wise
math and tests (log, sqrt, rsqrt, erf, isnan, isinf, isfinite), splitting and selecting (split,
chunk, topk, gather, scatter and scatter_add with their in-place forms, index_select,
roll, flip), reductions (amax, amin, norm), comparisons (allclose, equal) and bmm. Each runs its
op through the door (``self._door``); the entries are in ``fastnn._select_ops``,
``_scatter_ops``, ``_norm_ops``, ``_compare_ops`` and ``_linalg_ops``, and the top-level
functions of the same names in ``fastnn._tensor_functions``. No name here is numpy's.
"""
import numpy as np

from ._args import number_arg, tensor_arg
from ._reductions import _return_type

__all__ = ["FunctionMethods", "return_types_topk"]

return_types_topk = _return_type("topk")


class FunctionMethods:
    """log, sqrt, rsqrt, erf, isnan, isinf, isfinite, split, chunk, topk, gather, scatter,
    scatter_, scatter_add, scatter_add_, index_select, roll, flip, fliplr, flipud, amax,
    amin, norm, allclose, equal, bmm."""

    # -- element-wise: numpy's ufuncs through the ufunc door, torch's result dtypes
    def log(self):
        """Natural logarithm (integers and bools give the default float dtype)."""
        return np.log(self)

    def sqrt(self):
        """Square root (integers and bools give the default float dtype)."""
        return np.sqrt(self)

    def rsqrt(self):
        """1 / sqrt(x): inf at 0, NaN below (integers give the default float dtype)."""
        return self._door("rsqrt", self)

    def erf(self):
        """The error function (integers and bools give the default float dtype)."""
        return self._door("erf", self)

    def isnan(self):
        """A bool tensor: True where the element is NaN."""
        return np.isnan(self)

    def isinf(self):
        """A bool tensor: True where the element is +inf or -inf."""
        return np.isinf(self)

    def isfinite(self):
        """A bool tensor: True where the element is neither inf nor NaN."""
        return np.isfinite(self)

    # -- splitting and selecting
    def split(self, split_size, dim=0):
        """Views of consecutive parts along `dim`: of `split_size` elements each (the
        last may be smaller), or of the sizes in a list."""
        return self._door("split", self, split_size, dim)

    def chunk(self, chunks, dim=0):
        """At most `chunks` views along `dim`, of ceil(size / chunks) elements each."""
        return self._door("chunk", self, chunks, dim)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The `k` largest (smallest) elements along `dim` -> ``(values, indices)``; NaN
        counts as the largest value, as in torch."""
        return return_types_topk(*self._door("topk", self, k, dim, largest, sorted))

    def gather(self, dim, index, *, sparse_grad=False):
        """``out[i][j] = self[i][index[i][j]]`` for dim 1 (any dim alike)."""
        return self._door("gather", self, dim, index, sparse_grad=sparse_grad)

    def scatter(self, dim, index, src=None, **kwargs):
        """``scatter(dim, index, src, *, reduce=)`` or ``scatter(dim, index, value=)``: a
        copy with `src` (a tensor or a number) written at `index` along `dim`;
        ``reduce='add'`` / ``'multiply'`` combines with what is there."""
        return self._door("scatter", self, dim, index, src, **kwargs)

    def scatter_(self, dim, index, src=None, **kwargs):
        """In-place :meth:`scatter`; returns the tensor."""
        return self._door("scatter_", self, dim, index, src, **kwargs)

    def scatter_add(self, dim, index, src):
        """A copy with `src` added at `index` along `dim` (repeated indices accumulate)."""
        return self._door("scatter_add", self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        """In-place :meth:`scatter_add`; returns the tensor."""
        return self._door("scatter_add_", self, dim, index, src)

    def index_select(self, dim, index):
        """The entries at the 1-d `index` along `dim` (a copy)."""
        return self._door("index_select", self, dim, index)

    def flip(self, *dims):
        """A copy with the order of the elements along `dims` (ints, or one sequence)
        reversed."""
        if not dims:
            raise TypeError('flip() missing 1 required positional arguments: "dims"')
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = dims[0]
        return self._door("flip", self, tuple(dims))

    def fliplr(self):
        """``flip(1)`` of a tensor of two or more dims."""
        return _flip_at_least(self, 2, "fliplr")

    def flipud(self):
        """``flip(0)`` of a tensor of one or more dims."""
        return _flip_at_least(self, 1, "flipud")

    def roll(self, shifts, dims=None):
        """Elements shifted circularly along `dims` (the flattened tensor when None)."""
        return self._door("roll", self, shifts, dims)

    # -- reductions and comparisons
    def amax(self, dim=(), keepdim=False):
        """Maximum over `dim` (an int or a tuple; every dim when empty); NaN propagates."""
        return self._door("amax", self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        """Minimum over `dim` (an int or a tuple; every dim when empty); NaN propagates."""
        return self._door("amin", self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """``torch.norm``: the order-`p` vector norm over `dim` (all when None; 'fro' is
        2), or 'nuc' / 'fro' matrix norms over two dims."""
        return self._door("norm", self, p, dim, keepdim, dtype)

    def dist(self, other, p=2):
        """The order-`p` norm of ``self - other`` (broadcast)."""
        other = tensor_arg(other, self, "dist", "other", 1)
        return (self - other).norm(number_arg(p, "dist", "p", 2))

    def allclose(self, other, *args, **kwargs):
        """``allclose(other, rtol=1e-05, atol=1e-08, equal_nan=False)``: True when
        ``|self - other| <= atol + rtol * |other|`` everywhere (a bool)."""
        return self._door("allclose", self, other, *args, method=True, **kwargs)

    def equal(self, other):
        """True when both have the same shape and elements (a bool)."""
        return self._door("tensor_equal", self, other)

    def bmm(self, mat2):
        """Batched matrix product of two 3-d tensors of one dtype."""
        return self._door("bmm", self, mat2)


# Python >= 3.10 names a method by its qualified name in its own argument errors
# ("FunctionMethods.topk() got an unexpected keyword argument"); torch's say "topk()"
for _name, _method in list(vars(FunctionMethods).items()):
    if callable(_method):
        _method.__qualname__ = _name


def _flip_at_least(x, ndim, name):
    if x.ndim < ndim:
        raise RuntimeError(f"Input must be >= {ndim}-d.")
    return x._door("flip", x, (ndim - 1,))
