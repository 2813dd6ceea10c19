"""Registry entry of ``searchsorted``: where values would be inserted into sorted
boundaries (the last dim of `sorted_sequence`, one row per leading index of the values), as
int64 (int32 on request). Not differentiable. ``fastnn.searchsorted`` and
``fastnn.bucketize`` (`fastnn._value_functions`) reach it through the door.
"""
import numpy as np

from . import _registry
from ._registry import Attrs, register_backward


def _plain(x):
    return np.ndarray.view(x, np.ndarray)


def _searchsorted_normalize(sorted_sequence, input, out_int32=False, right=False, side=None):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    if sorted_sequence.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    if sorted_sequence.ndim > 1 and sorted_sequence.shape[:-1] != input.shape[:-1]:
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(sorted_sequence.shape)} and input value tensor "
            f"{list(input.shape)}")
    return (sorted_sequence, input), Attrs(side="right" if right else "left",
                                           dtype=np.int32 if out_int32 else np.int64)


def _searchsorted_meta(inputs, attrs):
    return inputs[1].shape, attrs.dtype


def _searchsorted_run(inputs, attrs, out):
    boundaries, values = _plain(inputs[0]), _plain(inputs[1])
    if boundaries.ndim == 1:
        out[...] = np.searchsorted(boundaries, values, side=attrs.side)
        return
    rows = boundaries.reshape(-1, boundaries.shape[-1])
    wanted = values.reshape(len(rows), -1)
    found = out.reshape(len(rows), -1)
    for row, values_row, found_row in zip(rows, wanted, found):
        found_row[...] = np.searchsorted(row, values_row, side=attrs.side)


def _searchsorted_arrays(sorted_sequence, input, *args, **kwargs):
    return (sorted_sequence, input)


_registry.register_single("searchsorted", _searchsorted_normalize, _searchsorted_meta,
                          _searchsorted_run, arrays=_searchsorted_arrays)
register_backward("searchsorted", None)
