"""Argument normalisation shared by the nn layers (the one place each is written).

The array helpers and checked allocation live in the core layers below nn
(``fastnn._array``, ``fastnn._alloc``); they are re-exported here for the nn code."""
import operator

import numpy as np

from .._alloc import allocate, check_alloc, checked_empty  # noqa: F401
from .._array import (FLOAT_DTYPES, as_array, check_float, kernel_array,  # noqa: F401
                      thread_scratch, wrap)
from .._dtypes import get_default_dtype
from .._torch_types import not_on_cpu


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
        # torch quirk: its parser checks only the first element's type, and unpacks a bool
        # in a later position as an int: stride=(1, True) is (1, 1), stride=(True, 1) fails
        return (_as_int(value[0], name),) + tuple(
            int(v) if isinstance(v, bool) else _as_int(v, name) for v in value[1:])
    return (_as_int(value, name),) * n


def _as_int(v, name):
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int or a tuple of ints, not bool")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(
            f"{name} must be an int or a tuple of ints, not {type(v).__name__}") from None


def factory_dtype(device, dtype):
    """The dtype for a layer's new parameters: `dtype`, or fastnn's default dtype.

    `device` is accepted for torch compatibility; only the CPU exists.
    """
    if device is not None and str(device).split(":")[0] != "cpu":
        raise not_on_cpu(device)
    if dtype is None:
        dtype = get_default_dtype()
    name = str(dtype)
    dtype = np.dtype(name[len("torch."):] if name.startswith("torch.") else dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"fastnn supports float32 and float64 only, got {dtype}")
    return dtype


def channels_last_contiguous(arr):
    """torch's is_contiguous(memory_format=torch.channels_last) for a 4-D array
    (channels_last_3d for a 5-D one): the strides of (N, [D,] H, W, C) storage,
    dimensions of size 1 not counted."""
    if arr.ndim not in (4, 5):
        return False
    expected = arr.itemsize
    for d in (1, 3, 2, 0) if arr.ndim == 4 else (1, 4, 3, 2, 0):
        size = arr.shape[d]
        if size != 1:
            if arr.strides[d] != expected:
                return False
            expected *= size
    return True
