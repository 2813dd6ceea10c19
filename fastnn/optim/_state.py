"""Per-parameter optimizer state keyed by the parameter object itself.

torch keys ``optimizer.state`` by tensor (tensors hash by identity); fastnn's tensors are
numpy arrays, which do not hash, so this mapping keys arrays by ``id`` and keeps the array
alive beside its state. Missing parameters get an empty dict, as torch's defaultdict(dict).
"""
from collections.abc import MutableMapping

import numpy as np


def _slot(key):
    return ("array", id(key)) if isinstance(key, np.ndarray) else ("key", key)


class ParamState(MutableMapping):
    """``state[param] -> dict``: a defaultdict(dict) keyed by parameter identity."""

    def __init__(self, items=()):
        self._entries = {}
        for key, value in dict(items).items() if isinstance(items, dict) else items:
            self[key] = value

    def __getitem__(self, key):
        slot = _slot(key)
        entry = self._entries.get(slot)
        if entry is None:
            entry = self._entries[slot] = (key, {})
        return entry[1]

    def __setitem__(self, key, value):
        self._entries[_slot(key)] = (key, value)

    def __delitem__(self, key):
        del self._entries[_slot(key)]

    def __contains__(self, key):
        return _slot(key) in self._entries

    def get(self, key, default=None):
        entry = self._entries.get(_slot(key))
        return default if entry is None else entry[1]

    def __iter__(self):
        return (key for key, _ in self._entries.values())

    def items(self):
        return list(self._entries.values())

    def __len__(self):
        return len(self._entries)

    def __repr__(self):
        return "ParamState(" + repr({id(k) if isinstance(k, np.ndarray) else k: v
                                      for k, v in self.items()}) + ")"
