"""fastnn._errstate: numpy's floating-point errors ignored around a call, the caller's own
error state put back after it (also when the call raises), in any nesting."""
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import _errstate


@pytest.fixture(autouse=True, params=["context variable", "np.errstate"])
def path(request, monkeypatch):
    """Both ways in: numpy 2's context variable, and np.errstate (numpy 1.x)."""
    if request.param == "np.errstate":
        monkeypatch.setattr(_errstate, "_extobj_contextvar", None)
    return request.param


def _divide_by_zero():
    return np.array([1.0]) / np.array([0.0])


def test_errors_are_ignored_inside_and_the_callers_state_is_back_after():
    with np.errstate(divide="raise"):
        token = _errstate.ignore()
        try:
            assert np.isinf(_divide_by_zero()[0])
        finally:
            _errstate.restore(token)
        with pytest.raises(FloatingPointError):
            _divide_by_zero()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning):
            _divide_by_zero()


def test_the_state_is_restored_when_the_call_raises_and_when_nested():
    with np.errstate(all="raise"):
        outer = _errstate.ignore()
        inner = _errstate.ignore()
        _errstate.restore(inner)
        assert np.isinf(_divide_by_zero()[0])      # still the outer ignore
        _errstate.restore(outer)
        before = np.geterr()
        with pytest.raises(ValueError):
            token = _errstate.ignore()
            try:
                raise ValueError
            finally:
                _errstate.restore(token)
        assert np.geterr() == before == {"divide": "raise", "over": "raise",
                                         "under": "raise", "invalid": "raise"}


def test_tensor_arithmetic_neither_warns_nor_raises_on_inf_and_nan():
    x = fastnn.tensor([1.0, np.inf, 0.0])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        y = x - x
        z = x / fastnn.tensor([0.0, 0.0, 0.0])
    np.testing.assert_array_equal(np.asarray(y), [0.0, np.nan, 0.0])
    np.testing.assert_array_equal(np.asarray(z), [np.inf, np.inf, np.nan])
