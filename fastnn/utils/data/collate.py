"""torch's default collation: samples -> a batch of fastnn Tensors.

Arrays and Tensors are stacked along a new first dimension; Python floats become a float64
Tensor, ints an int64 one, bools a bool one; strings stay a list; mappings, namedtuples and
sequences are collated field by field (a tuple sample gives a list, as in torch).
"""
import collections.abc
import numbers

import numpy as np

from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
          "lists; found {}")


def _tensor(arr):
    return np.ndarray.view(np.asarray(arr), Tensor)


def _stack(batch):
    arrays = [np.asarray(b) for b in batch]
    for i, item in enumerate(arrays):
        if item.shape != arrays[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(arrays[0].shape)} at entry 0 and {list(item.shape)} "
                               f"at entry {i}")
    return _tensor(np.stack(arrays))


def default_collate(batch):
    """Collate a list of samples into a batch, as ``torch.utils.data.default_collate``."""
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, np.ndarray) and not (elem.dtype.kind in "USO" and elem.ndim):
        if elem.dtype.kind in "USO":
            raise TypeError(_ERROR.format(elem.dtype))
        return _stack(batch)
    if isinstance(elem, np.generic):
        return _tensor(np.asarray(batch))
    if isinstance(elem, bool):
        return _tensor(np.array(batch, np.bool_))
    if isinstance(elem, float):
        return _tensor(np.array(batch, np.float64))
    if isinstance(elem, numbers.Integral):
        return _tensor(np.array(batch, np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return elem_type(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):       # namedtuple
        return elem_type(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [list(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]
        try:
            return elem_type([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    if hasattr(elem, "__array__"):                   # e.g. a torch tensor
        return _stack(batch)
    raise TypeError(_ERROR.format(elem_type))


def default_convert(data):
    """Without automatic batching: arrays become Tensors, containers are converted
    element by element, anything else is returned as it is."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "USO":
        return _tensor(data)
    if isinstance(data, np.generic):
        return _tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
