"""fastnn.load's restricted unpickler (weights_only=True) and its allowlist, extended with
fastnn.serialization.add_safe_globals / safe_globals as in torch; weights_only=False is
the explicit opt-in to the full unpickler. Checkpoints are written by torch.save."""
import io
import pickle
import re
import sys

import numpy as np
import pytest

import fastnn
from fastnn import serialization
from fastnn.tensor import Tensor

checkpoint_classes = pytest.importorskip("checkpoint_classes")
Point, make_point, Recorded = (checkpoint_classes.Point, checkpoint_classes.make_point,
                               checkpoint_classes.Recorded)


@pytest.fixture(autouse=True)
def no_safe_globals():
    serialization.clear_safe_globals()
    checkpoint_classes.calls.clear()
    yield
    serialization.clear_safe_globals()


def _saved(torch, obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _with_point(torch):
    return _saved(torch, {"w": torch.arange(4.0), "p": Point(1, torch.full((3,), 2.0))})


def _check_point_state(state, torch_state):
    assert isinstance(state["w"], Tensor)
    np.testing.assert_array_equal(state["w"], torch_state["w"].numpy())
    p = state["p"]
    assert type(p) is Point and p.x == 1
    assert isinstance(p.y, Tensor)
    np.testing.assert_array_equal(p.y, torch_state["p"].y.numpy())


def test_a_custom_class_is_refused_by_default_as_torch_refuses_it(torch):
    data = _with_point(torch)
    with pytest.raises(pickle.UnpicklingError, match="Unsupported global: GLOBAL "
                       "checkpoint_classes.Point was not an allowed global by default"):
        torch.load(io.BytesIO(data))
    with pytest.raises(pickle.UnpicklingError) as caught:
        fastnn.load(io.BytesIO(data))
    message = str(caught.value)
    assert message.startswith("Weights only load failed")
    assert ("Unsupported global: GLOBAL checkpoint_classes.Point was not an allowed global "
            "by default") in message
    assert "fastnn.serialization.add_safe_globals([checkpoint_classes.Point])" in message
    assert "fastnn.serialization.safe_globals([checkpoint_classes.Point])" in message
    assert "weights_only=False" in message and "arbitrary code" in message


def test_add_safe_globals_lets_a_class_load(torch):
    data = _with_point(torch)
    with torch.serialization.safe_globals([Point]):
        expected = torch.load(io.BytesIO(data))
    serialization.add_safe_globals([Point])
    assert serialization.get_safe_globals() == [Point]
    _check_point_state(fastnn.load(io.BytesIO(data)), expected)


def test_the_safe_globals_context_manager_allows_inside_the_block_only(torch):
    data = _with_point(torch)
    serialization.add_safe_globals([make_point])
    with serialization.safe_globals([Point]):
        assert serialization.get_safe_globals() == [make_point, Point]
        state = fastnn.load(io.BytesIO(data))
    assert type(state["p"]) is Point
    assert serialization.get_safe_globals() == [make_point]
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL checkpoint_classes.Point"):
        fastnn.load(io.BytesIO(data))


def test_a_tuple_names_the_global_by_its_path_in_the_file(torch):
    data = _with_point(torch)
    serialization.add_safe_globals([(Point, "checkpoint_classes.Point")])
    assert type(fastnn.load(io.BytesIO(data))["p"]) is Point
    serialization.clear_safe_globals()
    serialization.add_safe_globals([(Point, "elsewhere.Point")])
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL checkpoint_classes.Point"):
        fastnn.load(io.BytesIO(data))


@pytest.mark.parametrize("entry, error, message", [
    ((Point,), ValueError, "Expected tuple of length 2 (global, str of callable full "
                           "path), but got tuple of length: 1"),
    ((Point, 3), TypeError, "Expected second item in tuple to be str of callable full "
                            "path, but got: <class 'int'>"),
])
def test_malformed_entries_get_torchs_errors_at_load(torch, entry, error, message):
    data = _with_point(torch)
    for module in (torch.serialization, serialization):
        module.add_safe_globals([entry])      # accepted here, refused when a load looks
        try:                                  # the allowlist up
            load = torch.load if module is torch.serialization else fastnn.load
            with pytest.raises(error, match=re.escape(message)):
                load(io.BytesIO(data))
        finally:
            module.clear_safe_globals()


def test_an_allowed_function_is_called_and_nothing_else_runs(torch):
    data = _saved(torch, [Recorded(5)])
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL checkpoint_classes.make_point"):
        fastnn.load(io.BytesIO(data))
    assert checkpoint_classes.calls == []
    serialization.add_safe_globals([make_point, Point])
    [point] = fastnn.load(io.BytesIO(data))
    assert type(point) is Point and point.x == 5
    assert checkpoint_classes.calls == [("make_point", 5)]


def test_weights_only_false_runs_the_full_unpickler(torch):
    data = _saved(torch, {"p": Point(2, torch.ones(2)), "r": Recorded(7),
                          "state": torch.nn.Linear(2, 3).state_dict()})
    state = fastnn.load(io.BytesIO(data), weights_only=False)    # nothing allowlisted
    assert checkpoint_classes.calls == [("make_point", 7)]       # the file's code ran
    assert type(state["p"]) is Point and isinstance(state["p"].y, Tensor)
    assert type(state["r"]) is Point and state["r"].x == 7
    assert isinstance(state["state"]["weight"], Tensor)
    assert state["state"]["weight"].shape == (3, 2)
    checkpoint_classes.calls.clear()
    fastnn.load(io.BytesIO(data), weights_only=0)                # falsy, as in torch
    assert checkpoint_classes.calls == [("make_point", 7)]


def test_weights_only_false_reports_what_pickle_reports(torch, tmp_path, monkeypatch):
    (tmp_path / "vanishing_module.py").write_text("class Gone:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import vanishing_module
    data = _saved(torch, {"g": vanishing_module.Gone()})
    monkeypatch.delitem(sys.modules, "vanishing_module")
    (tmp_path / "vanishing_module.py").unlink()
    with pytest.raises(ModuleNotFoundError, match="vanishing_module"):
        fastnn.load(io.BytesIO(data), weights_only=False)


def test_clear_and_repeated_adds():
    serialization.add_safe_globals([Point, Point, make_point])
    serialization.add_safe_globals([Point])
    assert serialization.get_safe_globals() == [Point, make_point]
    listing = serialization.get_safe_globals()
    listing.clear()                                             # a copy
    assert serialization.get_safe_globals() == [Point, make_point]
    serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []


def test_newobj_is_still_refused_without_user_globals(torch):
    data = _with_point(torch)
    with pytest.raises(pickle.UnpicklingError, match="Point"):
        fastnn.load(io.BytesIO(data))
