"""torch's meaning of the Tensor names numpy's ndarray also defines (a mixin of Tensor, in the
tensor layer): the transposes ``T``, ``mT``, ``H``, ``mH``, ``adjoint()`` and ``swapaxes``,
``cumsum``/``cumprod``, ``diagonal``, ``trace``, ``dot``, ``ravel``, ``take``, ``argsort``
and ``round`` (numpy's returned a plain array for ``decimals``, and floats for integers);
and ``matmul``, ``mm`` and ``where``, which ndarray lacks. Each runs ops
through the door, so it is recorded and differentiable (numpy's inherited ``x.T`` was
neither: ``x @ w.T`` lost the gradient of ``w``), with torch's checks in torch's words.

numpy's own functions call some of these methods with numpy's keywords (``np.cumsum(x)``
calls ``x.cumsum(axis=..., dtype=..., out=...)``, ``np.argsort`` passes ``kind`` and
``order``, ``np.take`` ``axis`` and ``mode``, ``np.round`` ``out``): those calls keep numpy's
meaning, as
``sum(axis=)`` does (docs/OPS.md).
"""
import warnings

import numpy as np

from ._args import (_is_int, int_arg, invalid_combination, tensor_arg, torch_type_name,
                    torch_typename)

__all__ = ["NumpyNameMethods", "dot_operand"]

_NUMPY_CUMULATIVE_KEYWORDS = frozenset({"axis", "out"})
_NUMPY_TAKE_KEYWORDS = frozenset({"axis", "out", "mode"})
_NUMPY_ARGSORT_KEYWORDS = frozenset({"axis", "kind", "order"})
_NUMPY_DIAGONAL_KEYWORDS = frozenset({"axis1", "axis2"})


def _deprecated_on_scalars(x, name, advice):
    if x.ndim == 0:
        warnings.warn(f"Tensor.{name} is deprecated on 0-D tensors. {advice}", UserWarning,
                      stacklevel=3)
        return True
    return False


def _batch_transpose(x, name):
    """The last two dims swapped (mT, mH, adjoint): matrices or batches of them."""
    if _deprecated_on_scalars(x, name.rstrip("()"), "This function is the identity in these "
                              "cases." if name == "mT" else "Consider using x.conj()."):
        return x.view(x.shape)
    if x.ndim < 2:
        raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of "
                           f"matrices. Got {x.ndim}-D tensor.")
    return x.transpose(-2, -1)


class NumpyNameMethods:
    """T, mT, H, mH, adjoint, swapaxes, cumsum, cumprod, diagonal, trace, dot, ravel, take,
    argsort, round, matmul, mm, where."""

    @property
    def T(self):
        """The dims reversed: the transpose of a matrix (torch warns that other ranks are
        deprecated)."""
        if _deprecated_on_scalars(self, "T", "This function is the identity in these cases."):
            return self.view(self.shape)
        if self.ndim != 2:
            warnings.warn(
                "The use of `x.T` on tensors of dimension other than 2 to reverse their shape "
                "is deprecated and it will throw an error in a future release. Consider `x.mT` "
                "to transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, "
                "-1))` to reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self):
        """The last two dims swapped (matrices or batches of them)."""
        return _batch_transpose(self, "mT")

    @property
    def H(self):
        """The conjugate transpose of a matrix (the transpose, for real tensors)."""
        if _deprecated_on_scalars(self, "H", "Consider using x.conj()."):
            return self.view(self.shape)
        if self.ndim != 2:
            hint = (" For batches of matrices, consider using tensor.mH" if self.ndim > 2
                    else "")
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                               f"{self.ndim}-D tensor.{hint}")
        return self.transpose(0, 1)

    @property
    def mH(self):
        """The last two dims swapped and conjugated (swapped, for real tensors)."""
        return _batch_transpose(self, "mH")

    def adjoint(self):
        """``mH`` as a method."""
        if self.ndim == 0:
            warnings.warn("adjoint() is deprecated on 0-D tensors. Consider using x.conj().",
                          UserWarning, stacklevel=2)
            return self.view(self.shape)
        return _batch_transpose(self, "adjoint()")

    def swapaxes(self, axis0, axis1):
        """``transpose(axis0, axis1)``."""
        return self.transpose(int_arg(axis0, "swapaxes", "axis0", 1),
                              int_arg(axis1, "swapaxes", "axis1", 2))

    def cumsum(self, *args, **kwargs):
        """``cumsum(dim, *, dtype=None)``: running sums along `dim` (integers as int64)."""
        if _NUMPY_CUMULATIVE_KEYWORDS.intersection(kwargs):
            return super().cumsum(*args, **kwargs)
        return self._door("cumsum", self, *args, **kwargs)

    def cumprod(self, *args, **kwargs):
        """``cumprod(dim, *, dtype=None)``: running products along `dim` (integers as
        int64)."""
        if _NUMPY_CUMULATIVE_KEYWORDS.intersection(kwargs):
            return super().cumprod(*args, **kwargs)
        return self._door("cumprod", self, *args, **kwargs)

    def diagonal(self, *args, **kwargs):
        """``diagonal(offset=0, dim1=0, dim2=1)``: a view of the diagonal of the planes of
        `dim1` and `dim2`, its dim last."""
        if _NUMPY_DIAGONAL_KEYWORDS.intersection(kwargs):
            return super().diagonal(*args, **kwargs)
        return self._door("diagonal", self, *args, **kwargs)

    def trace(self, *args, **kwargs):
        """The sum of a matrix's diagonal (integers sum to int64). With arguments, numpy's
        ``trace(offset, axis1, axis2, dtype, out)``."""
        if args or kwargs:
            return super().trace(*args, **kwargs)
        if self.dtype == np.bool_:
            raise NotImplementedError("\"trace\" not implemented for 'Bool'")
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        return self.diagonal().sum()

    def dot(self, other, *args, **kwargs):
        """The inner product of two 1-D tensors of one dtype. With ``out``, numpy's."""
        if args or kwargs:
            return super().dot(other, *args, **kwargs)
        return np.matmul(self, dot_operand(self, other))

    def ravel(self, *args, **kwargs):
        """The elements in one dim (a view when the layout allows). With ``order``, numpy's."""
        if args or kwargs:
            return super().ravel(*args, **kwargs)
        return self.reshape(-1)

    def take(self, *args, **kwargs):
        """``take(index)``: the elements at the int64 `index` of the flattened tensor, in
        `index`'s shape. With numpy's ``axis``, ``out`` or ``mode``, numpy's."""
        if len(args) != 1 or kwargs:
            if _NUMPY_TAKE_KEYWORDS.intersection(kwargs) or len(args) > 1:
                return super().take(*args, **kwargs)
            if not args and "index" not in kwargs:
                raise TypeError("take() missing 1 required positional arguments: \"index\"")
        index = tensor_arg(args[0] if args else kwargs["index"], self, "take", "index", 1)
        if index.dtype != np.int64:
            raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                               f"{torch_type_name(index.dtype)}")
        if index.size:
            if self.size == 0:
                raise IndexError("take(): tried to take from an empty tensor")
            values = np.asarray(index)
            for bound in (int(values.min()), int(values.max())):
                if not -self.size <= bound < self.size:
                    raise IndexError(f"out of range: tried to access index {bound} on a "
                                     f"tensor of {self.size} elements.")
        return self.reshape(-1)[index]

    def argsort(self, *args, **kwargs):
        """``argsort(dim=-1, descending=False, *, stable=False)``: the indices of ``sort``.
        With numpy's ``axis``, ``kind`` or ``order``, numpy's."""
        if _NUMPY_ARGSORT_KEYWORDS.intersection(kwargs):
            return super().argsort(*args, **kwargs)
        return _argsort(self, *args, **kwargs)

    def round(self, decimals=0, out=None):
        """``round(*, decimals=0)``: half to even, at `decimals` places after the point
        (before it when negative), as torch's ``rint(x * 10**d) / 10**d``; integers are
        copied (``decimals`` other than 0 is not implemented for them). With numpy's
        ``out``, numpy's."""
        if out is not None:
            return super().round(decimals, out)
        decimals = int_arg(decimals, "round", "decimals", None)
        if self.dtype == np.bool_:
            raise NotImplementedError("\"round_vml_cpu\" not implemented for 'Bool'")
        if self.dtype.kind in "iu":
            if decimals:
                raise NotImplementedError(f"\"round_cpu\" not implemented for "
                                          f"'{torch_type_name(self.dtype)}'")
            return self.clone()
        if decimals == 0:
            return np.rint(self)
        scale = 10.0 ** abs(decimals)
        if decimals > 0:
            return np.rint(self * scale) / scale
        return np.rint(self / scale) * scale

    def matmul(self, other):
        """The matrix product with torch's broadcasting (``fastnn.matmul``)."""
        return np.matmul(self, tensor_arg(other, self, "matmul", "other", 1))

    def mm(self, mat2):
        """The product of two matrices."""
        mat2 = tensor_arg(mat2, self, "mm", "mat2", 1)
        for name, m in (("self", self), ("mat2", mat2)):
            if m.ndim != 2:
                raise RuntimeError(f"{name} must be a matrix")
        return np.matmul(self, mat2)

    def where(self, condition, other):
        """This tensor where the bool `condition` holds, else `other` (``fastnn.where``)."""
        condition = tensor_arg(condition, self, "where", "condition", 1)
        return self._door("where", condition, self, other)


def dot_operand(x, other):
    """`other` as a Tensor after torch's checks of ``x.dot(other)``."""
    other = tensor_arg(other, x, "dot", "tensor", 1)
    if x.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {x.ndim}D and {other.ndim}D tensors")
    if x.shape[0] != other.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src "
            f"[{other.shape[0]}] to have the same number of elements, but got "
            f"{x.shape[0]} and {other.shape[0]} elements respectively")
    if x.dtype != other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{torch_type_name(x.dtype)} and {torch_type_name(other.dtype)}")
    if x.dtype == np.bool_:
        raise NotImplementedError("\"dot\" not implemented for 'Bool'")
    return other


def _argsort(x, dim=-1, descending=False, *, stable=False):
    if not _is_int(dim):
        raise invalid_combination("argsort", [torch_typename(dim)], [
            "(*, bool stable, int dim = -1, bool descending = False)",
            "(int dim = -1, bool descending = False)"])
    return x.sort(dim, descending=descending, stable=stable)[1]
