"""The torch methods of fastnn.Tensor that compute: reductions, sorting and searching
(``ReductionMethods``), element-wise math and masks (``MathMethods``), new tensors like
this one (``FactoryMethods``). Mixins of Tensor, in the tensor layer: a torch-style call
runs its op through the door (``self._door``, see ``fastnn.tensor``; the entries are in
``fastnn._reduction_ops``, ``_copy_ops`` and ``_math_ops``). numpy's meaning stays
reachable with numpy's keywords. The ``new_*`` factories create tensors, as
``fastnn.zeros`` does, outside the door.
"""
import numpy as np

from . import _reductions
from ._alloc import factory_shape
from ._args import number_arg
from ._data import array_from_data
from ._dtypes import as_dtype
from ._torch_types import check_device

__all__ = ["ReductionMethods", "MathMethods", "FactoryMethods"]

_ndarray_view = np.ndarray.view


_NUMPY_STD_KEYWORDS = frozenset({"axis", "dtype", "out", "ddof", "keepdims", "where", "mean"})
_NUMPY_REDUCE_KEYWORDS = frozenset({"axis", "out", "keepdims", "initial", "where"})
_NUMPY_SORT_KEYWORDS = frozenset({"axis", "kind", "order"})
_RESULT_TYPES = {"max": _reductions.return_types_max, "min": _reductions.return_types_min}


class ReductionMethods:
    """sum, mean, prod, any, all, max, min, argmax, argmin, std, var, sort, nonzero, repeat."""

    def sum(self, *args, **kwargs):
        """``sum(dim=None, keepdim=False, *, dtype=None)``; integers sum to int64."""
        return self._reduce("sum", args, kwargs)

    def mean(self, *args, **kwargs):
        """``mean(dim=None, keepdim=False, *, dtype=None)``; float or complex input only."""
        return self._reduce("mean", args, kwargs)

    def prod(self, *args, **kwargs):
        """``prod(dim=None, keepdim=False, *, dtype=None)`` (one int dim)."""
        return self._reduce("prod", args, kwargs)

    def any(self, *args, **kwargs):
        """``any(dim=None, keepdim=False)``: bool (uint8 for uint8 input, as torch)."""
        return self._reduce("any", args, kwargs)

    def all(self, *args, **kwargs):
        """``all(dim=None, keepdim=False)``: bool (uint8 for uint8 input, as torch)."""
        return self._reduce("all", args, kwargs)

    def _reduce(self, name, args, kwargs):
        if _NUMPY_REDUCE_KEYWORDS.intersection(kwargs):
            return getattr(super(), name)(*args, **kwargs)
        return self._door(name, self, *args, **kwargs)

    def max(self, *args, **kwargs):
        """``max()``; ``max(dim, keepdim=False)`` -> ``(values, indices)``; ``max(other)``
        is ``maximum``. numpy's with ``axis=`` / ``out=`` / ``keepdims=``."""
        return self._min_max("max", args, kwargs)

    def min(self, *args, **kwargs):
        """``min()``; ``min(dim, keepdim=False)`` -> ``(values, indices)``; ``min(other)``
        is ``minimum``. numpy's with ``axis=`` / ``out=`` / ``keepdims=``."""
        return self._min_max("min", args, kwargs)

    def _min_max(self, name, args, kwargs):
        if _NUMPY_REDUCE_KEYWORDS.intersection(kwargs):
            return getattr(super(), name)(*args, **kwargs)
        if len(args) == 1 and not kwargs and isinstance(args[0], np.ndarray):
            return (np.maximum if name == "max" else np.minimum)(self, args[0])
        result = self._door(name, self, *args, **kwargs)
        if type(result) is tuple:
            return _RESULT_TYPES[name](*result)
        return result

    def argmax(self, *args, **kwargs):
        """``argmax(dim=None, keepdim=False)`` -> int64; numpy's with ``axis=`` / ``out=``."""
        return self._arg_reduce("argmax", args, kwargs)

    def argmin(self, *args, **kwargs):
        """``argmin(dim=None, keepdim=False)`` -> int64; numpy's with ``axis=`` / ``out=``."""
        return self._arg_reduce("argmin", args, kwargs)

    def _arg_reduce(self, name, args, kwargs):
        if _NUMPY_REDUCE_KEYWORDS.intersection(kwargs):
            return self._result(getattr(super(), name)(*args, **kwargs))
        return self._door(name, self, *args, **kwargs)

    def std(self, *args, **kwargs):
        """``std(dim=None, unbiased=True, keepdim=False, *, correction=None)`` (torch);
        numpy's keywords (``axis=``, ``ddof=``...) select numpy's (biased by default)."""
        if _NUMPY_STD_KEYWORDS.intersection(kwargs):
            return super().std(*args, **kwargs)
        return self._door("std", self, *args, **kwargs)

    def var(self, *args, **kwargs):
        """``var(dim=None, unbiased=True, keepdim=False, *, correction=None)`` (torch);
        numpy's keywords (``axis=``, ``ddof=``...) select numpy's (biased by default)."""
        if _NUMPY_STD_KEYWORDS.intersection(kwargs):
            return super().var(*args, **kwargs)
        return self._door("var", self, *args, **kwargs)

    def sort(self, *args, **kwargs):
        """``sort(dim=-1, descending=False, *, stable=False)`` -> ``(values, indices)``,
        the tensor left alone; ``sort(axis=, kind=, order=)`` is numpy's in-place sort."""
        if _NUMPY_SORT_KEYWORDS.intersection(kwargs):
            return super().sort(*args, **kwargs)
        return _reductions.return_types_sort(*self._door("sort", self, *args, **kwargs))

    def nonzero(self, *args, as_tuple=False):
        """Indices of the non-zero elements: an (N, ndim) int64 tensor, or with
        ``as_tuple=True`` one int64 tensor per dim (numpy's form)."""
        return self._door("nonzero", self, *args, as_tuple=as_tuple)

    def repeat(self, *sizes, **kwargs):
        """``repeat(*sizes)`` tiles the tensor (torch); ``repeat(n, axis=)`` is numpy's."""
        if "axis" in kwargs:
            return super().repeat(*sizes, **kwargs)
        if kwargs:
            raise TypeError(f"repeat() got an unexpected keyword argument "
                            f"'{next(iter(kwargs))}'")
        return self._door("repeat", self, *sizes)


class MathMethods:
    """t, abs, exp, pow, clamp, masked_fill, masked_fill_."""

    def t(self):
        """Transpose of a tensor of at most 2 dims (a view)."""
        return self._door("t", self)

    def abs(self):
        """Absolute values (torch refuses bool)."""
        return np.absolute(self)

    def exp(self):
        """e ** x element-wise (integers give the default float dtype)."""
        return np.exp(self)

    def pow(self, exponent):
        """``self ** exponent`` with torch's result dtype."""
        return np.power(self, exponent)

    def clamp(self, min=None, max=None):
        """Elements limited to [min, max] (numbers or tensors; NaN propagates; where
        min > max every element is max), with torch's result dtype."""
        return self._door("clamp", self, min, max)

    clip = np.ndarray.clip

    def masked_fill(self, mask, value):
        """A copy with `value` where the bool `mask` (broadcast) is True."""
        return self._door("masked_fill", self, mask, value)

    def masked_fill_(self, mask, value):
        """Writes `value` where the bool `mask` (broadcast to this shape) is True."""
        return self._door("masked_fill_", self, mask, value)


class FactoryMethods:
    """new_zeros, new_ones, new_empty, new_full, new_tensor: this tensor's dtype unless
    given, torch's checks of sizes and arguments."""

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of `size`, with this tensor's dtype unless given."""
        return self._new("zeros", size, dtype, device, np.zeros)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of `size`, with this tensor's dtype unless given."""
        return self._new("ones", size, dtype, device, np.ones)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """Uninitialised tensor of `size`, with this tensor's dtype unless given."""
        return self._new("empty", size, dtype, device, np.empty)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """`fill_value` everywhere, with this tensor's dtype unless given."""
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of "
                            f"ints, not {type(size).__name__}")
        number_arg(fill_value, "new_full", "fill_value", 2)
        full = self._new("new_full", (size,), dtype, device, np.empty)
        full.fill(fill_value)
        return full

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A copy of `data`, with this tensor's dtype unless given."""
        check_device(device)
        return self._result(array_from_data(data, as_dtype(dtype, "new_tensor") or self.dtype))

    def _new(self, fn, size, dtype, device, allocate):
        check_device(device)
        dtype = as_dtype(dtype, fn) or self.dtype
        return self._result(allocate(factory_shape(fn, size, dtype), dtype))
