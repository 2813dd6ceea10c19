"""Assertions shared by the tests that compare fastnn with torch."""
import re

import numpy as np
import pytest

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
    text = message or str(expected.value)
    with pytest.raises(type(expected.value), match=re.escape(text)):
        fast_call()


def error_of(fn):
    """The exception `fn()` raises (fails the test when it raises none)."""
    try:
        fn()
    except Exception as e:          # noqa: BLE001 - the exception is what we compare
        return e
    raise AssertionError("no exception raised")
