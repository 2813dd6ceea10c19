"""Tensor factories and the top-level tensor functions, with torch's dtype rules.

Dtypes are numpy dtypes. As in torch, Python floats become the default dtype (float32
unless ``set_default_dtype`` changed it), Python ints int64 and bools bool; numpy arrays
and numpy scalars keep their own dtype. Mixed inputs promote by category
(bool < integer < floating < complex) and, inside the winning category, by width.
"""
import functools
import math

import numpy as np

from ._alloc import check_alloc, factory_shape
from ._array import as_array, wrap
from ._data import array_from_data, is_array_like
from ._dtypes import (DTYPE_ALIASES, as_dtype, check_array_dtype,  # noqa: F401
                      default_complex_dtype, get_default_dtype, promote, set_default_dtype)
from ._torch_types import check_device
from .tensor import Tensor
from ._view_ops import flatten as _flatten
from ._dispatch import dispatch
from ._copy_ops import sample_normal, sample_uniform   # (registers cat and stack too)

__all__ = [
    "get_default_dtype", "set_default_dtype", "tensor", "as_tensor", "from_numpy", "zeros",
    "ones", "empty", "full", "rand", "randn", "arange", "zeros_like", "ones_like",
    "empty_like", "full_like", "rand_like", "randn_like", "flatten", "cat", "concat",
    "concatenate", "stack", "unsqueeze", "squeeze", "permute", "transpose", "swapaxes",
    "swapdims", "reshape", "clone", "numel", "is_tensor", "is_floating_point", "is_complex"]


def _requires_grad_option(factory):
    """`factory` whose ``requires_grad=True`` makes its result a leaf requiring grad."""
    @functools.wraps(factory)
    def make(*args, requires_grad=False, **kwargs):
        result = factory(*args, **kwargs)
        if requires_grad:
            result.requires_grad_(True)
        return result
    return make


@_requires_grad_option
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new Tensor holding a copy of `data` (nested lists, numbers, arrays, tensors).

    Args:
        data: the values; Python floats become the default dtype, ints int64, bools bool;
            arrays and tensors keep their dtype.
        dtype (optional): the result's dtype.
        device (optional): None or 'cpu'.
        requires_grad (bool): whether autograd records operations on the result.

    Examples::

        >>> fastnn.tensor([[1.5, 2.0], [3.0, 4.0]]).dtype
        dtype('float32')
    """
    check_device(device)
    return wrap(array_from_data(data, as_dtype(dtype, "tensor")))


def as_tensor(data, dtype=None, device=None):
    """`data` as a Tensor, sharing memory when it already is an array of that dtype."""
    check_device(device)
    dtype = as_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor) and dtype in (None, data.dtype):
        return data
    if is_array_like(data):
        arr = np.asarray(data)
        check_array_dtype(arr.dtype)
        return wrap(arr if dtype is None else arr.astype(dtype, copy=False))
    return tensor(data, dtype=dtype)


def from_numpy(ndarray):
    """A Tensor sharing memory with the numpy array `ndarray` (same dtype)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    check_array_dtype(ndarray.dtype)
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")
    return wrap(ndarray)


# ---------------------------------------------------------------- sized factories

def _sized(fn, size, dtype, device, default=None):
    """Normalised (shape, dtype) of a factory call, checked as torch checks them."""
    check_device(device)
    dtype = as_dtype(dtype, fn) or default or get_default_dtype()
    return factory_shape(fn, size, dtype), dtype


def _size_arg(fn, size, size_keyword):
    if size_keyword is not None:
        if size:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        return (size_keyword,)
    if not size:
        raise TypeError(f"{fn}() missing 1 required positional arguments: \"size\"")
    return size


@_requires_grad_option
def zeros(*size, dtype=None, device=None, requires_grad=False, **kwargs):
    """A tensor of zeros of `size` (ints, or one tuple/list).

    Args:
        *size: the shape, as varargs or one sequence (or ``size=``).
        dtype (optional): defaults to ``get_default_dtype()``.
        device (optional): None or 'cpu'.
        requires_grad (bool): whether autograd records operations on the result.

    Examples::

        >>> fastnn.zeros(2, 3).shape
        (2, 3)
    """
    shape, dtype = _sized("zeros", _size_arg("zeros", size, kwargs.pop("size", None)),
                          dtype, device)
    return wrap(np.zeros(shape, dtype))


@_requires_grad_option
def ones(*size, dtype=None, device=None, requires_grad=False, **kwargs):
    """A tensor of ones of `size` (see ``zeros`` for the arguments)."""
    shape, dtype = _sized("ones", _size_arg("ones", size, kwargs.pop("size", None)),
                          dtype, device)
    return wrap(np.ones(shape, dtype))


@_requires_grad_option
def empty(*size, dtype=None, device=None, requires_grad=False, **kwargs):
    """An uninitialised tensor of `size` (see ``zeros`` for the arguments)."""
    shape, dtype = _sized("empty", _size_arg("empty", size, kwargs.pop("size", None)),
                          dtype, device)
    return wrap(np.empty(shape, dtype))


@_requires_grad_option
def rand(*size, dtype=None, device=None, requires_grad=False, generator=None, **kwargs):
    """Samples of U[0, 1): torch's values after the same ``manual_seed`` (or from the
    ``fastnn.Generator`` given as `generator`)."""
    shape, dtype = _sized("rand", _size_arg("rand", size, kwargs.pop("size", None)),
                          dtype, device)
    return sample_uniform(wrap(np.empty(shape, dtype)), generator)


@_requires_grad_option
def randn(*size, dtype=None, device=None, requires_grad=False, generator=None, **kwargs):
    """Samples of N(0, 1): torch's values after the same ``manual_seed`` (or from the
    ``fastnn.Generator`` given as `generator`)."""
    shape, dtype = _sized("randn", _size_arg("randn", size, kwargs.pop("size", None)),
                          dtype, device)
    return sample_normal(wrap(np.empty(shape, dtype)), generator)


def _fill_value_dtype(fill_value, fn):
    """The dtype torch gives a Number argument: numpy scalars count as Python numbers."""
    if isinstance(fill_value, np.ndarray) and fill_value.ndim == 0:
        return fill_value.dtype
    if not isinstance(fill_value, (bool, int, float, complex, np.bool_, np.number)):
        raise TypeError(f"{fn}(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")
    kind = np.asarray(fill_value).dtype.kind
    if kind == "b":
        return np.dtype(np.bool_)
    if kind in "iu":
        return np.dtype(np.int64)
    return default_complex_dtype() if kind == "c" else get_default_dtype()


@_requires_grad_option
def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of `size` filled with `fill_value`; the dtype follows `fill_value`
    (bool, int64, or the default float dtype) unless given."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    default = _fill_value_dtype(fill_value, "full")
    shape, dtype = _sized("full", (size,), dtype, device, default)
    return wrap(np.full(shape, fill_value, dtype))


@_requires_grad_option
def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from `start` to `end` (excluded) by `step`.

    The dtype is int64 when start, end and step are all integers, else the default float
    dtype. Values are ``start + i * step`` computed in float64, as torch does on the CPU.

    Shape:
        ``(ceil((end - start) / step),)``
    """
    check_device(device)
    if end is None:
        start, end = 0, start
    bounds = [np.asarray(v)[()] if isinstance(v, np.ndarray) else v
              for v in (start, end, step)]
    kinds = [_fill_value_dtype(v, "arange").kind for v in bounds]
    integral = all(k in "biu" for k in kinds)
    dtype = as_dtype(dtype, "arange") or (np.dtype(np.int64) if integral
                                          else get_default_dtype())
    if not all(math.isfinite(v) for v in bounds[:2]):
        raise RuntimeError(f"unsupported range: {bounds[0]} -> {bounds[1]}")
    if not integral and dtype.kind in "biu":
        # torch truncates float bounds to the integer dtype first
        integral = True
        if int(bounds[2]) == 0 and bounds[2] != 0:
            raise ValueError("step must be nonzero")
    start, end, step = (int(v) if integral else float(v) for v in bounds)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    count = -((start - end) // step) if integral else math.ceil((end - start) / step)
    check_alloc((count,), dtype)
    if integral:
        values = start + step * np.arange(count, dtype=np.int64)
    else:
        values = start + step * np.arange(count, dtype=np.float64)
    return wrap(values.astype(dtype, copy=False))


# ---------------------------------------------------------------- *_like factories

def _input(x, fn):
    try:
        return as_array(x)
    except TypeError:
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}") from None


def _tensor_input(x, fn):
    """`x` itself when it is a Tensor (its autograd history kept), else wrapped."""
    return x if isinstance(x, Tensor) else wrap(_input(x, fn))


@_requires_grad_option
def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Zeros with `input`'s shape (and dtype unless given)."""
    arr = _input(input, "zeros_like")
    return zeros(arr.shape, dtype=dtype or arr.dtype, device=device)


@_requires_grad_option
def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Ones with `input`'s shape (and dtype unless given)."""
    arr = _input(input, "ones_like")
    return ones(arr.shape, dtype=dtype or arr.dtype, device=device)


@_requires_grad_option
def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """An uninitialised tensor with `input`'s shape (and dtype unless given)."""
    arr = _input(input, "empty_like")
    return empty(arr.shape, dtype=dtype or arr.dtype, device=device)


@_requires_grad_option
def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    """`fill_value` with `input`'s shape (and dtype unless given)."""
    arr = _input(input, "full_like")
    _fill_value_dtype(fill_value, "full_like")
    return full(arr.shape, fill_value, dtype=dtype or arr.dtype, device=device)


@_requires_grad_option
def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """U[0, 1) samples with `input`'s shape (and dtype unless given), laid out like
    `input` (as torch's preserve_format), so the values land where torch puts them."""
    arr = _input(input, "rand_like")
    shape, dtype = _sized("rand_like", (arr.shape,), dtype or arr.dtype, device)
    return sample_uniform(wrap(np.empty_like(arr, dtype=dtype)))


@_requires_grad_option
def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """N(0, 1) samples with `input`'s shape (and dtype unless given), laid out like
    `input` (as torch's preserve_format), so the values land where torch puts them."""
    arr = _input(input, "randn_like")
    shape, dtype = _sized("randn_like", (arr.shape,), dtype or arr.dtype, device)
    return sample_normal(wrap(np.empty_like(arr, dtype=dtype)))


# ---------------------------------------------------------------- shape functions

def flatten(input, start_dim=0, end_dim=-1):
    """`input` with dims start_dim..end_dim merged into one (a view when possible).

    Shape:
        ``(*input.shape[:start_dim], prod(input.shape[start_dim:end_dim + 1]),
        *input.shape[end_dim + 1:])``; a 0-d input gives shape ``(1,)``.
    """
    return _flatten(input, start_dim, end_dim)


def unsqueeze(input, dim):
    """A view of `input` with a size-1 dim inserted at `dim`."""
    return _tensor_input(input, "unsqueeze").unsqueeze(dim)


def squeeze(input, *args, **kwargs):
    """``squeeze(input)`` / ``squeeze(input, dim)``: a view of `input` without size-1 dims
    (only `dim`, when given and of size 1)."""
    return _tensor_input(input, "squeeze").squeeze(*args, **kwargs)


def permute(input, dims):
    """A view of `input` with its dims in the order `dims` (``torch.permute``)."""
    return _tensor_input(input, "permute").permute(dims)


def transpose(input, dim0, dim1):
    """A view of `input` with dims `dim0` and `dim1` swapped (``torch.transpose``)."""
    return _tensor_input(input, "transpose").transpose(dim0, dim1)


def swapaxes(input, axis0, axis1):
    """``transpose(input, axis0, axis1)`` (torch's alias, numpy's name)."""
    return _tensor_input(input, "swapaxes").transpose(axis0, axis1)


def swapdims(input, dim0, dim1):
    """``transpose(input, dim0, dim1)`` (torch's alias)."""
    return _tensor_input(input, "swapdims").transpose(dim0, dim1)


def reshape(input, shape):
    """`input` with shape `shape` (one dim may be -1): a view when possible, else a copy
    (``torch.reshape``)."""
    return _tensor_input(input, "reshape").reshape(shape)


def clone(input, *, memory_format=None):
    """A copy of `input` with its own memory and its layout (``torch.clone``, whose default
    memory_format is preserve_format; the argument is accepted as the ``*_like``
    factories accept it)."""
    return _tensor_input(input, "clone").clone()


def numel(input):
    """Number of elements of `input`."""
    return _input(input, "numel").size


def is_tensor(obj):
    """True when `obj` is a fastnn Tensor (or Parameter)."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """True when `input` has a floating dtype."""
    return _input(input, "is_floating_point").dtype.kind == "f"


def is_complex(input):
    """True when `input` has a complex dtype."""
    return _input(input, "is_complex").dtype.kind == "c"


def cat(tensors, dim=0):
    """Concatenate tensors along an existing dim (torch's dtype promotion).

    As in torch, 1-d empty tensors are skipped (a legacy rule).

    Shape:
        the inputs' shape, with ``sum(t.shape[dim] for t in tensors)`` at `dim`.
    """
    return dispatch("cat", tensors, dim)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Stack equal-shaped tensors along a new dim `dim` (in [-ndim-1, ndim]).

    Shape:
        the inputs' shape with ``len(tensors)`` inserted at `dim`.
    """
    return dispatch("stack", tensors, dim)
