"""Argument normalisation shared by the functional layer (the one place it is written)."""
import operator

import numpy as np

from ..tensor import Tensor

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def ntuple(value, n, name):
    """`value` as a tuple of `n` ints: an int is repeated, a sequence must have length n.

    Ints are taken through ``operator.index`` so numpy integers pass and floats and bools
    are refused, as torch refuses them.
    """
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values "
                f"to match the convolution dimensions, but got {name}={list(value)}")
        return tuple(_as_int(v, name) for v in value)
    return (_as_int(value, name),) * n


def _as_int(v, name):
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int or a tuple of ints, not bool")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(
            f"{name} must be an int or a tuple of ints, not {type(v).__name__}") from None


def as_array(x, name="input"):
    """A plain ndarray view of a Tensor, ndarray or anything with ``__array__`` (no copy)."""
    if isinstance(x, np.ndarray):
        return x.view(np.ndarray) if type(x) is not np.ndarray else x
    if hasattr(x, "__array__"):
        return np.asarray(x)
    raise TypeError(f"{name} must be a Tensor or array, not {type(x).__name__}")


def check_float(arr, name="input"):
    """Refuse dtypes the kernels do not implement, naming the dtype."""
    if arr.dtype.newbyteorder("=") not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {arr.dtype}")


def kernel_array(arr, dtype=None):
    """C-contiguous, native-byte-order copy of `arr` only when it is not one already."""
    dtype = np.dtype(dtype or arr.dtype).newbyteorder("=")
    return np.ascontiguousarray(arr, dtype=dtype)


def wrap(arr):
    """Return `arr` as a fastnn Tensor without copying."""
    return arr.view(Tensor)
