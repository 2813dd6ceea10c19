"""Memory over the op catalogue (tests/op_catalogue): a call leaves its arguments alone,
returns fresh memory (unless the op is a view or an identity, as in torch), and what it
returns has the shape and dtype its schema's `meta` announced before allocating.
What a call allocates beyond its output is measured in test_memory.py."""
import numpy as np
import pytest

from fastnn import _registry
from op_catalogue import as_tuple, cases
from op_catalogue.layouts import assert_unchanged, snapshot


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("entry, sample", cases("memory"))
def test_inputs_untouched_output_fresh_and_as_announced(entry, sample, dtype):
    arrays = sample.arrays(dtype, np.random.default_rng(4))
    before = snapshot(arrays)
    got = as_tuple(entry.call(arrays, **sample.kwargs))
    assert_unchanged(arrays, before)
    if not entry.view:
        for g in got:
            assert not any(np.shares_memory(g, a) for a in arrays if a is not None)
    schema = _registry.OPS[entry.op]
    meta = schema.meta(*schema.normalize(*arrays, **sample.kwargs))
    if meta is None:        # nothing allocated by the door: the variant returns its result
        assert entry.view or entry.op == "matmul"      # a view, or numpy's gufunc
        return
    announced = meta if isinstance(meta, list) else [meta]
    assert [(g.shape, g.dtype) for g in got] == [(tuple(s), np.dtype(d)) for s, d in announced]
