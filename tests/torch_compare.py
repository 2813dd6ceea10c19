"""Assertions shared by the tests that compare fastnn with torch."""
import re

import numpy as np
import pytest

import fastnn
from fastnn import Tensor


def assert_same(result, expected):
    """`result` (fastnn) equals `expected` (torch tensor): type, shape, dtype, values."""
    assert isinstance(result, Tensor), type(result)
    ref = expected.detach().numpy()
    assert result.shape == ref.shape
    assert result.dtype == ref.dtype, (result.dtype, ref.dtype)
    np.testing.assert_array_equal(np.asarray(result), ref)


def raises_like(torch_call, fast_call, message=None):
    """`fast_call` raises the exception class and message that `torch_call` raises."""
    with pytest.raises(Exception) as expected:
        torch_call()
    # the whole message when none is given, else `message` anywhere in it
    pattern = re.escape(message) if message else f"^{re.escape(str(expected.value))}$"
    with pytest.raises(type(expected.value), match=pattern) as got:
        fast_call()
    assert type(got.value) is type(expected.value)


def error_of(fn):
    """The exception `fn()` raises (fails the test when it raises none)."""
    try:
        fn()
    except Exception as e:          # noqa: BLE001 - the exception is what we compare
        return e
    raise AssertionError("no exception raised")

def assert_like_torch(ours, theirs, **tol):
    """`ours()` raises what `theirs()` raises (class and whole message) or returns a fastnn
    Tensor with its shape, dtype and values (exactly, unless `tol` is given)."""
    try:
        want = theirs()
    except Exception as error:
        with pytest.raises(type(error), match=f"^{re.escape(str(error))}$"):
            ours()
        return
    got = ours()
    assert isinstance(got, fastnn.Tensor)
    got, want = np.asarray(got), want.numpy()
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, equal_nan=True, **(tol or dict(rtol=0, atol=0)))


def same_call(call, *arrays, **tol):
    """``call(lib, *tensors)`` with lib = torch and lib = fastnn on copies of `arrays`: the
    same exception (class and whole message), or the same result (Tensors: shape, dtype,
    values, exactly unless `tol`; tuples of them item by item; other values equal).
    Returns (fastnn's result, torch's) when both answer, else None."""
    import torch
    ours = [np.array(a, copy=True).view(Tensor) for a in arrays]
    theirs = [torch.from_numpy(np.array(a, copy=True)) for a in arrays]
    try:
        want = call(torch, *theirs)
    except Exception as error:      # noqa: BLE001 - the exception is what we compare
        with pytest.raises(type(error), match=f"^{re.escape(str(error))}$") as got:
            call(fastnn, *ours)
        assert type(got.value) is type(error)
        return None
    got = call(fastnn, *ours)
    _same_value(got, want, tol)
    return got, want


def _same_value(got, want, tol):
    import torch
    if isinstance(want, torch.Tensor):
        assert isinstance(got, Tensor), type(got)
        ref = want.numpy()
        assert got.shape == ref.shape and got.dtype == ref.dtype, (got.shape, got.dtype,
                                                                   ref.shape, ref.dtype)
        np.testing.assert_allclose(np.asarray(got), ref, equal_nan=True,
                                   **(tol or dict(rtol=0, atol=0)))
    elif isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _same_value(g, w, tol)
    else:
        assert type(got) is type(want) and got == want, (got, want)
