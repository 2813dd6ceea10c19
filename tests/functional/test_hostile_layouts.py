"""Every op of the catalogue (tests/op_catalogue) on hostile memory layouts: Fortran-order,
non-contiguous, read-only, byte-swapped, Tensor and torch-tensor arguments give the
C-contiguous answer, and no argument is ever modified; the catalogue's answers are torch's."""
import numpy as np
import pytest

import fastnn
from op_catalogue import as_tuple, cases, compare
from op_catalogue.layouts import LAYOUTS, assert_unchanged, fortran, snapshot


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("entry, sample", cases("layouts"))
def test_layouts_give_the_contiguous_answer_and_leave_inputs_alone(entry, sample, layout,
                                                                   dtype):
    if entry.random and layout == "fortran":
        pytest.skip("torch fills dropout's noise in the input's memory order: a Fortran "
                    "input gets another mask (test_random_ops_follow_torch_on_fortran_input)")
    arrays = sample.arrays(dtype, np.random.default_rng(0))
    want = as_tuple(entry.call(arrays, **sample.kwargs))
    hostile = [None if a is None else LAYOUTS[layout](a) for a in arrays]
    before = snapshot(hostile)
    got = as_tuple(entry.call(hostile, **sample.kwargs))
    assert_unchanged(hostile, before)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, fastnn.Tensor)
        # identities (dropout in eval) return the input itself, as torch does
        assert g.dtype.newbyteorder("=") == w.dtype
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


@pytest.mark.parametrize("entry, sample", cases("layouts", lambda entry: entry.random))
def test_random_ops_follow_torch_on_fortran_input(entry, sample, torch):
    arrays = [fortran(a) for a in sample.arrays(np.float32, np.random.default_rng(3))]
    got = as_tuple(entry.call(arrays, **sample.kwargs))
    want = as_tuple(entry.torch_call(torch, arrays, **sample.kwargs))
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
