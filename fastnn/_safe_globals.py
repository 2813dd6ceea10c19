"""The user's additions to the allowlist of fastnn.load's restricted unpickler, as in
``torch.serialization.add_safe_globals``.

A checkpoint names a global as ``module.qualname`` (its pickle's GLOBAL opcode); an entry
is a class or function, found under ``f"{obj.__module__}.{obj.__qualname__}"``, or a
``(obj, "full.name")`` tuple when the checkpoint names it otherwise. As in torch, entries
are checked when a load looks them up, not when they are added.
"""
import threading

_entries = []               # in the order they were added, without repeats
_lock = threading.Lock()


def add_safe_globals(safe_globals):
    """Allow these globals in ``fastnn.load(weights_only=True)``: a class added here can be
    instantiated and have its state set, a function can be called, while unpickling.

    Args:
        safe_globals (list): classes or functions, or ``(obj, "module.qualname")`` tuples
            where the checkpoint names the object by another path.

    Example::

        >>> fastnn.serialization.add_safe_globals([MyConfig])
        >>> fastnn.load("checkpoint.pt")      # may now rebuild MyConfig objects
    """
    with _lock:
        for entry in safe_globals:
            if entry not in _entries:
                _entries.append(entry)


def get_safe_globals():
    """The globals added with `add_safe_globals` (a new list)."""
    with _lock:
        return list(_entries)


def clear_safe_globals():
    """Forget every global added with `add_safe_globals`."""
    with _lock:
        _entries.clear()


class safe_globals:
    """Context manager: the given globals are allowed inside the block only.

    Example::

        >>> with fastnn.serialization.safe_globals([MyConfig]):
        ...     state = fastnn.load("checkpoint.pt")
    """

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._before = get_safe_globals()
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc_info):
        with _lock:
            _entries[:] = self._before


def allowed():
    """{"module.qualname": obj} for the added globals (torch's errors for malformed ones)."""
    found = {}
    for entry in get_safe_globals():
        if isinstance(entry, tuple):
            if len(entry) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(entry)}")
            if type(entry[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full "
                                f"path, but got: {type(entry[1])}")
            found[entry[1]] = entry[0]
        else:
            found[f"{entry.__module__}.{entry.__qualname__}"] = entry
    return found
