"""Hostile memory layouts of an array (same values, other memory) and the check that a
call left its arguments alone."""
import numpy as np

import fastnn


def fortran(a):
    return np.asfortranarray(a)


def strided(a):
    """The same values as `a` in a view with gaps between elements in every dim."""
    if a.ndim == 0:
        return a.copy()
    big = np.zeros(tuple(2 * n for n in a.shape), a.dtype)
    view = big[tuple(slice(None, None, 2) for _ in a.shape)]
    view[...] = a
    return view


def read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def byte_swapped(a):
    return a.astype(a.dtype.newbyteorder("S"))


def tensor(a):
    return fastnn.from_numpy(a.copy())


LAYOUTS = {"fortran": fortran, "strided": strided, "read_only": read_only,
           "byte_swapped": byte_swapped, "tensor": tensor}


def snapshot(arrays):
    return [None if a is None else (np.array(a, copy=True), a.dtype, a.strides,
                                    a.flags.writeable) for a in arrays]


def assert_unchanged(arrays, before, written=False):
    """`arrays` hold what `snapshot` saw; with `written` (an in-place op) the first one is
    the op's output and is not compared."""
    for i, (a, saved) in enumerate(zip(arrays, before)):
        if a is None or (written and i == 0):
            continue
        values, dtype, strides, writeable = saved
        np.testing.assert_array_equal(np.asarray(a), values, strict=True)
        assert (a.dtype, a.strides, a.flags.writeable) == (dtype, strides, writeable)
