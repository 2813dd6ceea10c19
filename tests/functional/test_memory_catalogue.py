"""Memory over the op catalogue (tests/op_catalogue): a call leaves its arguments alone (an
in-place op writes its first one and returns it), returns fresh memory (unless the op is a
view or an identity, as in torch), and what it returns has the shape and dtype its schema's
`meta` announces for the door call's own inputs and attributes.
What a call allocates beyond its output is measured in test_memory.py."""
import numpy as np
import pytest

from fastnn import _dispatch, _registry, ops
from op_catalogue import as_tuple, cases
from op_catalogue.layouts import assert_unchanged, snapshot


def _door_calls(monkeypatch):
    """(op, inputs, attrs) of every call passing the door while recording: the arguments
    as the op's schema normalised them, whatever wrapper the entry calls."""
    seen = []
    record = _dispatch._record

    def keep(name, attrs, inputs):
        seen.append((name, inputs, attrs))
        record(name, attrs, inputs)
    monkeypatch.setattr(_dispatch, "_record", keep)
    return seen


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("entry, sample", cases("memory"))
def test_inputs_untouched_output_fresh_and_as_announced(entry, sample, dtype, monkeypatch):
    arrays = sample.arrays(dtype, np.random.default_rng(4))
    before = snapshot(arrays)
    seen = _door_calls(monkeypatch)
    with ops.record():
        got = as_tuple(entry.call(arrays, **sample.kwargs))
    assert_unchanged(arrays, before, written=entry.inplace)
    if entry.inplace:
        assert np.shares_memory(np.asarray(got[0]), arrays[0])
    elif not entry.view:
        for g in got:
            assert not any(np.shares_memory(g, a) for a in arrays if a is not None)
    inputs, attrs = [(i, a) for name, i, a in seen if name == entry.op][-1]
    meta = _registry.OPS[entry.op].meta(inputs, attrs)
    if meta is None:        # nothing allocated by the door: the variant returns its result
        # (ops whose result size depends on the values, and matmul, allocate their own)
        allocating = ("matmul", "nonzero", "unique", "bincount")
        assert entry.view or entry.inplace or entry.op in allocating
        return
    announced = meta if isinstance(meta, list) else [meta]
    assert [(g.shape, g.dtype) for g in got] == [(tuple(s), np.dtype(d)) for s, d in announced]
