"""Tensor factories and the top-level tensor functions, with torch's dtype rules.

Dtypes are numpy dtypes. As in torch, Python floats become the default dtype (float32
unless ``set_default_dtype`` changed it), Python ints int64 and bools bool; numpy arrays
and numpy scalars keep their own dtype. Mixed inputs promote by category
(bool < integer < floating < complex) and, inside the winning category, by width.
"""
import math
import operator

import numpy as np

from .nn._utils import as_array, check_alloc, wrap
from ._args import _is_int, int_arg, int_tuple_arg, wrap_dim
from ._torch_types import check_device
from .tensor import Tensor, _torch_flatten

__all__ = [
    "get_default_dtype", "set_default_dtype", "tensor", "as_tensor", "from_numpy", "zeros",
    "ones", "empty", "full", "rand", "randn", "arange", "zeros_like", "ones_like",
    "empty_like", "full_like", "rand_like", "randn_like", "flatten", "cat", "concat",
    "concatenate", "stack", "unsqueeze", "squeeze", "numel", "is_tensor",
    "is_floating_point"]

DTYPE_ALIASES = {
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
    "float16": np.float16, "half": np.float16, "int64": np.int64, "long": np.int64,
    "int32": np.int32, "int": np.int32, "int16": np.int16, "short": np.int16,
    "int8": np.int8, "uint8": np.uint8, "bool": np.bool_, "complex64": np.complex64,
    "cfloat": np.complex64, "complex128": np.complex128, "cdouble": np.complex128}
DTYPE_ALIASES = {name: np.dtype(t) for name, t in DTYPE_ALIASES.items()}
_SUPPORTED = frozenset(DTYPE_ALIASES.values()) | {
    np.dtype(t) for t in (np.uint16, np.uint32, np.uint64)}
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_PYTHON_NUMBERS = (bool, int, float, complex)
_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))

_default_dtype = np.dtype(np.float32)


def get_default_dtype():
    """The dtype Python floats and the float factories use (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(d):
    """Set the default floating dtype (float16, float32 or float64), as torch does."""
    global _default_dtype
    d = as_dtype(d, "set_default_dtype")
    if d not in _FLOAT_DTYPES:
        raise TypeError("only floating-point types are supported as the default type")
    _default_dtype = d


def as_dtype(dtype, fn):
    """`dtype` as a numpy dtype fastnn can hold (None stays None)."""
    if dtype is None:
        return None
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result not in _SUPPORTED:
        raise TypeError(f"{fn}(): argument 'dtype' must be a fastnn dtype (fastnn.float32, "
                        f"fastnn.int64, ...), not {dtype!r}")
    return result


def _complex_default():
    return np.dtype(np.complex128 if _default_dtype == np.float64 else np.complex64)


def _scalar_dtype(value):
    """The dtype torch gives a Python or numpy scalar."""
    if isinstance(value, np.generic):
        return value.dtype
    if isinstance(value, bool):
        return np.dtype(np.bool_)
    if isinstance(value, int):
        return np.dtype(np.int64)
    if isinstance(value, float):
        return _default_dtype
    if isinstance(value, complex):
        return _complex_default()
    if isinstance(value, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(value).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(value).__name__}")


def promote(dtypes):
    """torch's result dtype: the highest category wins, then numpy's width rule."""
    dtypes = list(dtypes)
    top = max(_CATEGORY.get(d.kind, 0) for d in dtypes)
    return np.result_type(*[d for d in dtypes if _CATEGORY.get(d.kind, 0) == top])


def _data_shape(data):
    """The shape torch infers from nested sequences: down the first elements."""
    shape = []
    node = data
    while isinstance(node, (list, tuple)):
        shape.append(len(node))
        if not node:
            return shape
        node = node[0]
    if isinstance(node, np.ndarray) or hasattr(node, "__array__"):
        shape.extend(np.shape(node))
    return shape


def _collect_dtypes(node, depth, shape, dtypes):
    """Check that nested data is rectangular (torch's errors) and gather leaf dtypes."""
    if isinstance(node, (list, tuple)):
        if depth == len(shape):
            raise TypeError(f"'{type(node).__name__}' object cannot be interpreted as an "
                            f"integer")
        if len(node) != shape[depth]:
            raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} "
                             f"(got {len(node)})")
        if depth == len(shape) - 1:
            leaf_types = set(map(type, node))
            if all(t in _PYTHON_NUMBERS or issubclass(t, np.generic) for t in leaf_types):
                dtypes.update(_scalar_dtype(_first_of_type(t, node)) for t in leaf_types)
                return
        for item in node:
            _collect_dtypes(item, depth + 1, shape, dtypes)
    elif isinstance(node, np.ndarray) or hasattr(node, "__array__"):
        arr = np.asarray(node)
        if arr.shape != tuple(shape[depth:]):
            got = arr.shape[0] if arr.ndim else "a scalar"
            raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} "
                             f"(got {got})")
        dtypes.add(arr.dtype)
    else:
        if depth != len(shape):
            raise TypeError("not a sequence")
        dtypes.add(_scalar_dtype(node))


def _first_of_type(leaf_type, node):
    return next(value for value in node if type(value) is leaf_type)


def _check_array_dtype(dtype):
    if dtype.newbyteorder("=") not in _SUPPORTED:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{dtype.type.__name__}. The only "
            f"supported types are: float64, float32, float16, complex64, complex128, int64, "
            f"int32, int16, int8, uint64, uint32, uint16, uint8, and bool.")


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new Tensor holding a copy of `data` (nested lists, numbers, arrays, tensors).

    Args:
        data: the values; Python floats become the default dtype, ints int64, bools bool;
            arrays and tensors keep their dtype.
        dtype (optional): the result's dtype.
        device (optional): None or 'cpu'.
        requires_grad (bool): accepted and ignored (fastnn has no autograd).

    Examples::

        >>> fastnn.tensor([[1.5, 2.0], [3.0, 4.0]]).dtype
        dtype('float32')
    """
    check_device(device)
    dtype = as_dtype(dtype, "tensor")
    if isinstance(data, np.ndarray) or (hasattr(data, "__array__")
                                        and not isinstance(data, np.generic)):
        arr = np.array(data, copy=True)
        _check_array_dtype(arr.dtype)
        return wrap(arr if dtype is None else arr.astype(dtype, copy=False))
    shape = _data_shape(data)
    dtypes = set()
    _collect_dtypes(data, 0, shape, dtypes)
    inferred = promote(dtypes) if dtypes else _default_dtype
    arr = np.array(data, dtype=dtype or inferred)
    check_alloc(arr.shape, arr.dtype)
    return wrap(arr)


def as_tensor(data, dtype=None, device=None):
    """`data` as a Tensor, sharing memory when it already is an array of that dtype."""
    check_device(device)
    dtype = as_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor) and dtype in (None, data.dtype):
        return data
    if isinstance(data, np.ndarray) or (hasattr(data, "__array__")
                                        and not isinstance(data, np.generic)):
        arr = np.asarray(data)
        _check_array_dtype(arr.dtype)
        return wrap(arr if dtype is None else arr.astype(dtype, copy=False))
    return tensor(data, dtype=dtype)


def from_numpy(ndarray):
    """A Tensor sharing memory with the numpy array `ndarray` (same dtype)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _check_array_dtype(ndarray.dtype)
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")
    return wrap(ndarray)


# ---------------------------------------------------------------- sized factories

def _sized(fn, size, dtype, device, default=None):
    """Normalised (shape, dtype) of a factory call, checked as torch checks them."""
    check_device(device)
    shape = int_tuple_arg(size, fn)
    for n in shape:
        if n < 0:
            if fn == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                               f"{list(shape)}")
    dtype = as_dtype(dtype, fn) or default or _default_dtype
    check_alloc(shape, dtype)
    return shape, dtype


def _size_arg(fn, size, size_keyword):
    if size_keyword is not None:
        if size:
            raise TypeError(f"{fn}() got multiple values for argument 'size'")
        return (size_keyword,)
    if not size:
        raise TypeError(f"{fn}() missing 1 required positional arguments: \"size\"")
    return size


def zeros(*size, dtype=None, device=None, requires_grad=False, **kwargs):
    """A tensor of zeros of `size` (ints, or one tuple/list).

    Args:
        *size: the shape, as varargs or one sequence (or ``size=``).
        dtype (optional): defaults to ``get_default_dtype()``.
        device (optional): None or 'cpu'.
        requires_grad (bool): accepted and ignored.

    Examples::

        >>> fastnn.zeros(2, 3).shape
        (2, 3)
    """
    shape, dtype = _sized("zeros", _size_arg("zeros", size, kwargs.pop("size", None)),
                          dtype, device)
    return wrap(np.zeros(shape, dtype))


def ones(*size, dtype=None, device=None, requires_grad=False, **kwargs):
    """A tensor of ones of `size` (see ``zeros`` for the arguments)."""
    shape, dtype = _sized("ones", _size_arg("ones", size, kwargs.pop("size", None)),
                          dtype, device)
    return wrap(np.ones(shape, dtype))


def empty(*size, dtype=None, device=None, requires_grad=False, **kwargs):
    """An uninitialised tensor of `size` (see ``zeros`` for the arguments)."""
    shape, dtype = _sized("empty", _size_arg("empty", size, kwargs.pop("size", None)),
                          dtype, device)
    return wrap(np.empty(shape, dtype))


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None, **kwargs):
    """Samples of U[0, 1): torch's values after the same ``manual_seed`` (or from the
    ``fastnn.Generator`` given as `generator`)."""
    shape, dtype = _sized("rand", _size_arg("rand", size, kwargs.pop("size", None)),
                          dtype, device)
    return wrap(np.empty(shape, dtype)).uniform_(generator=generator)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None, **kwargs):
    """Samples of N(0, 1): torch's values after the same ``manual_seed`` (or from the
    ``fastnn.Generator`` given as `generator`)."""
    shape, dtype = _sized("randn", _size_arg("randn", size, kwargs.pop("size", None)),
                          dtype, device)
    return wrap(np.empty(shape, dtype)).normal_(generator=generator)


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
    return _complex_default() if kind == "c" else _default_dtype


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of `size` filled with `fill_value`; the dtype follows `fill_value`
    (bool, int64, or the default float dtype) unless given."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    default = _fill_value_dtype(fill_value, "full")
    shape, dtype = _sized("full", (size,), dtype, device, default)
    return wrap(np.full(shape, fill_value, dtype))


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
    dtype = as_dtype(dtype, "arange") or (np.dtype(np.int64) if integral else _default_dtype)
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


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Zeros with `input`'s shape (and dtype unless given)."""
    arr = _input(input, "zeros_like")
    return zeros(arr.shape, dtype=dtype or arr.dtype, device=device)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """Ones with `input`'s shape (and dtype unless given)."""
    arr = _input(input, "ones_like")
    return ones(arr.shape, dtype=dtype or arr.dtype, device=device)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """An uninitialised tensor with `input`'s shape (and dtype unless given)."""
    arr = _input(input, "empty_like")
    return empty(arr.shape, dtype=dtype or arr.dtype, device=device)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    """`fill_value` with `input`'s shape (and dtype unless given)."""
    arr = _input(input, "full_like")
    _fill_value_dtype(fill_value, "full_like")
    return full(arr.shape, fill_value, dtype=dtype or arr.dtype, device=device)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """U[0, 1) samples with `input`'s shape (and dtype unless given), laid out like
    `input` (as torch's preserve_format), so the values land where torch puts them."""
    arr = _input(input, "rand_like")
    shape, dtype = _sized("rand_like", (arr.shape,), dtype or arr.dtype, device)
    return wrap(np.empty_like(arr, dtype=dtype)).uniform_()


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """N(0, 1) samples with `input`'s shape (and dtype unless given), laid out like
    `input` (as torch's preserve_format), so the values land where torch puts them."""
    arr = _input(input, "randn_like")
    shape, dtype = _sized("randn_like", (arr.shape,), dtype or arr.dtype, device)
    return wrap(np.empty_like(arr, dtype=dtype)).normal_()


# ---------------------------------------------------------------- shape functions

def flatten(input, start_dim=0, end_dim=-1):
    """`input` with dims start_dim..end_dim merged into one (a view when possible).

    Shape:
        ``(*input.shape[:start_dim], prod(input.shape[start_dim:end_dim + 1]),
        *input.shape[end_dim + 1:])``; a 0-d input gives shape ``(1,)``.
    """
    return _torch_flatten(wrap(_input(input, "flatten")), start_dim, end_dim)


def unsqueeze(input, dim):
    """A view of `input` with a size-1 dim inserted at `dim`."""
    return wrap(_input(input, "unsqueeze")).unsqueeze(dim)


def squeeze(input, dim=None):
    """A view of `input` without size-1 dims (only `dim`, when given and of size 1)."""
    return wrap(_input(input, "squeeze")).squeeze(dim)


def numel(input):
    """Number of elements of `input`."""
    return _input(input, "numel").size


def is_tensor(obj):
    """True when `obj` is a fastnn Tensor (or Parameter)."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """True when `input` has a floating dtype."""
    return _input(input, "is_floating_point").dtype.kind == "f"


def _tensor_list(tensors, fn):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    arrays = []
    for i, t in enumerate(tensors):
        if not (isinstance(t, np.ndarray) or hasattr(t, "__array__")):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
        arrays.append(as_array(t))
    return arrays


def cat(tensors, dim=0):
    """Concatenate tensors along an existing dim (torch's dtype promotion).

    As in torch, 1-d empty tensors are skipped (a legacy rule).

    Shape:
        the inputs' shape, with ``sum(t.shape[dim] for t in tensors)`` at `dim`.
    """
    arrays = _tensor_list(tensors, "cat")
    if not arrays:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    if not _is_int(dim):
        raise TypeError(f"cat(): argument 'dim' must be int, not {type(dim).__name__}")
    dim = operator.index(dim)
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               f"concatenated")
    dtype = promote(a.dtype for a in arrays)
    used = [(i, a) for i, a in enumerate(arrays) if a.shape != (0,)]
    if not used:
        return wrap(np.empty((0,), dtype))
    first_index, first = used[0]
    axis = wrap_dim(dim, first.ndim)
    for i, a in used[1:]:
        if a.ndim != first.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got "
                               f"{first.ndim} and {a.ndim}")
        for d in range(a.ndim):
            if d != axis and a.shape[d] != first.shape[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size "
                    f"{first.shape[d]} but got size {a.shape[d]} for tensor number {i} in the "
                    f"list.")
    return wrap(np.concatenate([a for _, a in used], axis=axis, dtype=dtype,
                               casting="unsafe"))


concat = concatenate = cat


def stack(tensors, dim=0):
    """Stack equal-shaped tensors along a new dim `dim` (in [-ndim-1, ndim]).

    Shape:
        the inputs' shape with ``len(tensors)`` inserted at `dim`.
    """
    arrays = _tensor_list(tensors, "stack")
    if not arrays:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, a in enumerate(arrays[1:], 1):
        if a.shape != arrays[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(arrays[0].shape)} "
                f"at entry 0 and {list(a.shape)} at entry {i}")
    axis = wrap_dim(int_arg(dim, "stack", "dim", 2), arrays[0].ndim + 1)
    dtype = promote(a.dtype for a in arrays)
    return wrap(np.stack(arrays, axis=axis, dtype=dtype, casting="unsafe"))
