"""The op catalogue (tests/op_catalogue) covers every op that passes the door: each op in
`fastnn.ops.registered()` and each op a Python operator on a Tensor reaches has an entry,
and each entry's samples reach the op it names."""
import operator

import numpy as np
import pytest

import fastnn
from fastnn import _dispatch, _registry, ops
from op_catalogue import SWEEPS, entries

# Python operators on a float Tensor (the in-place ones reach the same ufuncs)
OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
             operator.mod, operator.pow, operator.gt, operator.ge, operator.lt, operator.le,
             operator.eq, operator.ne]
UNARY = [operator.neg, operator.pos, abs]


def catalogued():
    return {entry.op for entry in entries()}


def uncatalogued():
    # ufunc ops register on first use, so what earlier tests called shows up here too:
    # only those a Tensor operator reaches must have entries (next test)
    ufuncs = set(_dispatch._ufunc_ops.values())
    return sorted(set(ops.registered()) - ufuncs - catalogued())


def test_every_registered_op_has_an_entry():
    missing = uncatalogued()
    assert not missing, f"add an OpInfo entry to tests/op_catalogue for {missing}"


def test_a_new_op_without_an_entry_is_reported(monkeypatch):
    monkeypatch.setitem(_registry.OPS, "frobnicate", _registry.OPS["relu"])
    assert uncatalogued() == ["frobnicate"]


def test_every_op_a_tensor_operator_reaches_has_an_entry():
    x = fastnn.from_numpy(np.ones((3, 3), np.float32))
    reached = set()
    with ops.record() as calls:
        for function in OPERATORS:
            function(x, x)
            function(x, 2.0)
            function(2.0, x)
        x @ x
        for function in UNARY:
            function(x)
    reached = {call.op for call in calls}
    assert {"add", "matmul", "negative"} <= reached      # the recorder sees them
    missing = sorted(reached - catalogued())
    assert not missing, f"add an OpInfo entry to tests/op_catalogue for {missing}"


@pytest.mark.parametrize("entry", entries(), ids=str)
def test_each_sample_reaches_the_op_it_names(entry):
    rng = np.random.default_rng(0)
    for sample in entry.samples:
        with ops.record() as calls:
            entry.call(sample.arrays(entry.dtypes[0], rng), **sample.kwargs)
        assert entry.op in [call.op for call in calls], (sample, [c.op for c in calls])


def test_entries_are_unique_and_skip_only_with_a_reason():
    names = [entry.name for entry in entries()]
    assert len(names) == len(set(names))
    for entry in entries():
        assert entry.samples
        assert set(entry.skips) <= set(SWEEPS)
        assert all(isinstance(why, str) and len(why) > 10 for why in entry.skips.values())
