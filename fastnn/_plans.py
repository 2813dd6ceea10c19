"""Memoised argument checks: a repeated call with the same shapes and arguments skips them.

An op's checks and output geometry depend only on its inputs' shapes and dtypes and on its
scalar arguments. `call_key` makes a hashable key of a call that tells apart every two
argument values torch's argument parser tells apart (1, 1.0, True and "1" all differ; a
list and a tuple of the same ints parse alike), or None when a value is of any other type,
which then goes through the full checks on every call. The door (`fastnn._dispatch`)
keys every op's normalise and metadata steps this way. Only successful checks
are remembered, so every error is still raised by the checking code, in torch's words.

On a small model the checks cost more than the kernels (`python benchmarks/door_overhead.py`
times LeNet batch 1's forward through the door against another commit).
"""
import numpy as np

MAX_PLANS = 1024


_ndarray = np.ndarray


def value_key(value):
    """A hashable stand-in for one argument, or None when the call must not be remembered.

    Arrays stand for their shape, dtype and C-contiguity (what the checks read); a 0-d
    array may be a scalar argument whose value the checks read, so it is never keyed.
    Scalars are keyed so that values torch's parser tells apart differ (1, 1.0, True, "1").
    """
    kind = type(value)
    if kind is int or kind is str or value is None:
        return value
    if kind is float:
        return (float, value)
    if kind is bool:
        return (bool, value)        # True == 1, but torch refuses a bool for an int
    if isinstance(value, _ndarray):
        shape = value.shape
        return (shape, value.dtype, value.flags.c_contiguous) if shape else None
    if isinstance(value, np.dtype):
        return (np.dtype, value)        # (a dtype equals its name: np.dtype("f4") == "f4")
    if kind is tuple or kind is list:
        for item in value:
            if type(item) is not int:
                break
        else:
            return (tuple, tuple(value))    # torch parses a list as a tuple
        if kind is tuple:
            if all(isinstance(item, np.dtype) for item in value):
                return (np.dtype, value)    # a ufunc loop's signature (Tensor arithmetic)
            return _index_key(value)
    if kind is slice:
        return _index_key((value,))
    return None


def _index_key(parts):
    """An indexing key of ints, None, Ellipsis and slices of ints (x[0, :, 1:]), or None."""
    key = []
    for part in parts:
        kind = type(part)
        if kind is int or part is None or part is Ellipsis:
            key.append(part)
        elif kind is slice and all(type(b) is int or b is None
                                   for b in (part.start, part.stop, part.step)):
            key.append((slice, part.start, part.stop, part.step))
        else:
            return None
    return (slice, tuple(key))


def call_key(name, args, kwargs, layout=True):
    """The key of a call of op `name`, or None when one argument has no `value_key`.
    `layout` False: the checks do not read the arrays' layout, which is then left out of
    the key. (Arrays are keyed inline: this runs on every call of every op.)"""
    key = [name]
    append = key.append
    for value in args:
        if isinstance(value, _ndarray):
            shape = value.shape
            if not shape:
                return None
            # the strides where not C-contiguous: the output of an element-wise op follows
            # its operands' layout (fastnn/_layout.py)
            append((shape, value.dtype, value.flags.c_contiguous or value.strides)
                   if layout else (shape, value.dtype))
        elif value is None:
            append(None)
        else:
            part = value_key(value)
            if part is None:
                return None
            append(part)
    if kwargs:
        for item in kwargs.items():
            part = value_key(item[1])
            if part is None and item[1] is not None:
                return None
            append((item[0], part))
    return tuple(key)


class Plans(dict):
    """Checked geometry by key, emptied when it reaches MAX_PLANS entries."""

    def plan(self, key, check, *args):
        """The plan remembered for `key`, else ``check(*args)`` (remembered unless `key`
        is None; an exception it raises is not)."""
        plan = self.get(key) if key is not None else None
        if plan is None:
            plan = check(*args)
            if key is not None:
                if len(self) >= MAX_PLANS:
                    self.clear()
                self[key] = plan
        return plan
