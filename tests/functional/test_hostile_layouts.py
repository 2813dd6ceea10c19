"""Every op of the catalogue (tests/op_catalogue) on hostile memory layouts: Fortran-order,
non-contiguous, read-only, byte-swapped, Tensor and torch-tensor arguments give the
C-contiguous answer, and no argument is ever modified; the catalogue's answers are torch's."""
import numpy as np
import pytest

import fastnn
from op_catalogue import as_tuple, cases, compare
from op_catalogue.layouts import LAYOUTS, assert_unchanged, snapshot


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("entry, sample", cases("layouts"))
def test_layouts_give_the_contiguous_answer_and_leave_inputs_alone(entry, sample, layout,
                                                                   dtype):
    if entry.random and entry.torch_stream and layout in ("fortran", "strided"):
        pytest.skip("torch draws in the input's memory order, and a non-contiguous input "
                    "gets other numbers (test_random_ops_follow_torch_on_other_layouts)")
    arrays = sample.arrays(dtype, np.random.default_rng(0))
    want = as_tuple(entry.call(arrays, **sample.kwargs))
    hostile = [None if a is None else LAYOUTS[layout](a) for a in arrays]
    before = snapshot(hostile)
    if entry.inplace and layout == "read_only":
        with pytest.raises(ValueError, match="read-only"):
            entry.call(hostile, **sample.kwargs)
        assert_unchanged(hostile, before)
        return
    got = as_tuple(entry.call(hostile, **sample.kwargs))
    assert_unchanged(hostile, before, written=entry.inplace)
    if entry.inplace:       # the result is the first argument, written in its own layout
        assert np.shares_memory(np.asarray(got[0]), np.asarray(hostile[0]))
        np.testing.assert_array_equal(np.asarray(hostile[0]), np.asarray(want[0]))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, fastnn.Tensor)
        # identities (dropout in eval) return the input itself, as torch does
        assert g.dtype.newbyteorder("=") == w.dtype
        if entry.sums:
            rtol = entry.rtol(dtype)
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=rtol, atol=rtol)
        else:
            np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


@pytest.mark.parametrize("layout", ["fortran", "strided"])
@pytest.mark.parametrize("entry, sample",
                         cases("layouts", lambda entry: entry.random and entry.torch_stream))
def test_random_ops_follow_torch_on_other_layouts(entry, sample, layout, torch):
    arrays = [LAYOUTS[layout](a) for a in sample.arrays(np.float32, np.random.default_rng(3))]
    # torch tensors over copies laid out the same way (torch_call would compact them)
    tensors = [torch.from_numpy(LAYOUTS[layout](np.array(a))) for a in arrays]
    torch.manual_seed(0)
    want = as_tuple(entry.torch_fn(torch)(*tensors, **sample.kwargs))
    got = as_tuple(entry.call(arrays, **sample.kwargs))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.asarray(g), w.numpy())


@pytest.mark.parametrize("entry, sample", cases("torch_inputs"))
def test_torch_tensors_are_accepted_and_left_alone(entry, sample, torch):
    arrays = sample.arrays(np.float32, np.random.default_rng(1))
    want = as_tuple(entry.call(arrays, **sample.kwargs))
    tensors = [None if a is None else torch.from_numpy(a.copy()) for a in arrays]
    got = as_tuple(entry.call(tensors, **sample.kwargs))
    for t, a in zip(tensors, arrays):
        if t is not None:
            np.testing.assert_array_equal(t.numpy(), a)
    for g, w in zip(got, want):
        assert isinstance(g, fastnn.Tensor)
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("entry, sample", cases("layouts", lambda entry: not entry.random))
def test_catalogue_matches_torch(entry, sample, dtype, torch):
    # the reference answers the layout test compares against are torch's
    arrays = sample.arrays(dtype, np.random.default_rng(2))
    got = entry.call(arrays, **sample.kwargs)
    compare(got, entry.torch_call(torch, arrays, **sample.kwargs), entry.rtol(dtype))
