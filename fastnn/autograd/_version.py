"""Version counters: how backward notices that an in-place op changed a tensor it saved.

torch keeps one counter per storage, shared by a tensor and its views; an in-place op bumps
it, and a node compares the version of each saved tensor with the one it saw when saving.
Here the storage is the array at the end of an array's ``base`` chain (its views, Tensor or
plain, all lead there), and a counter exists only once that storage has been written in
place (until then its version is 0).
"""
import weakref

import numpy as np

__all__ = ["version", "bump"]

_counters = {}          # id(storage array) -> [weakref to it, version]


def storage(array):
    """The array owning `array`'s memory (or the last array before a non-array owner)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def version(array):
    """The number of in-place writes to `array`'s storage so far."""
    root = storage(array)
    entry = _counters.get(id(root))
    return 0 if entry is None or entry[0]() is not root else entry[1]


def bump(array):
    """Record one in-place write to `array`'s storage."""
    root = storage(array)
    key = id(root)
    entry = _counters.get(key)
    if entry is None or entry[0]() is not root:
        _counters[key] = [weakref.ref(root, lambda _, key=key: _counters.pop(key, None)), 1]
    else:
        entry[1] += 1
