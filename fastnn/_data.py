"""Python data (nested sequences, numbers, arrays) to a numpy array, with torch's dtype
inference and errors: what ``fastnn.tensor(data)`` and ``Tensor(data)`` share (a leaf)."""
import numpy as np

from ._alloc import check_alloc
from ._dtypes import check_array_dtype, get_default_dtype, promote, scalar_dtype

__all__ = ["array_from_data", "is_array_like"]

_PYTHON_NUMBERS = (bool, int, float, complex)


def is_array_like(data):
    """An ndarray, or an object with ``__array__`` that is not a numpy scalar."""
    return isinstance(data, np.ndarray) or (hasattr(data, "__array__")
                                            and not isinstance(data, np.generic))


def array_from_data(data, dtype=None):
    """A new array holding a copy of `data`, of `dtype` or of the dtype torch infers."""
    if is_array_like(data):
        arr = np.array(data, copy=True)
        check_array_dtype(arr.dtype)
        return arr if dtype is None else arr.astype(dtype, copy=False)
    shape = _data_shape(data)
    dtypes = set()
    _collect_dtypes(data, 0, shape, dtypes)
    inferred = promote(dtypes) if dtypes else get_default_dtype()
    arr = np.array(data, dtype=dtype or inferred)
    check_alloc(arr.shape, arr.dtype)
    return arr


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
                dtypes.update(scalar_dtype(_first_of_type(t, node)) for t in leaf_types)
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
        dtypes.add(scalar_dtype(node))


def _first_of_type(leaf_type, node):
    return next(value for value in node if type(value) is leaf_type)
