"""Gradients of every op in the catalogue (tests/op_catalogue) against torch's: each float
array argument is a leaf requiring grad, the outputs get the same random gradient, and
every leaf's ``.grad`` must match (float64 within 1e-10, float32 within the entry's
tolerance, at least 1e-4). A torch-free float64 check against central differences runs on
each entry's first sample.

An in-place entry runs on a copy of its first argument (``x * 1``): torch refuses an
in-place write to a leaf that requires grad.
"""
import numpy as np
import pytest

import fastnn
from fastnn._registry import BACKWARDS, MISSING_BACKWARD
from gradcheck import compare_with_torch, numerical_check
from op_catalogue import cases


def _call(entry, kwargs):
    def call(lib, *leaves):
        if entry.inplace and leaves and leaves[0] is not None:
            leaves = (leaves[0] * 1,) + leaves[1:]
        if entry.random:
            lib.manual_seed(0)
        fn = entry.fn if lib is fastnn else entry.torch_fn(lib)
        return fn(*leaves, **kwargs)
    return call


def _backward_written(entry, sample):
    """Skip (visibly) an op whose backward is not written yet."""
    if entry.op not in fastnn.ops.registered():
        entry.variants       # a ufunc op registers on first use
    if BACKWARDS.get(entry.op, MISSING_BACKWARD) is MISSING_BACKWARD:
        pytest.skip(f"{entry.op}: no backward yet (issue #16)")


def _grad_mask(entry, arrays):
    """Which array arguments require grad: all but the entry's `no_grad` ones."""
    return [i not in entry.no_grad for i in range(len(arrays))]


def _first_only(params):
    seen, kept = set(), []
    for param in params:
        if param.values[0].name not in seen:
            seen.add(param.values[0].name)
            kept.append(param)
    return kept


@pytest.mark.parametrize("entry, sample", cases("grad"))
def test_gradients_match_torch_float64(entry, sample, torch):
    _backward_written(entry, sample)
    arrays = sample.arrays(np.float64, np.random.default_rng(0))
    compare_with_torch(_call(entry, sample.kwargs), arrays, torch, _grad_mask(entry, arrays))


@pytest.mark.parametrize("entry, sample", _first_only(cases("grad")))
def test_gradients_match_torch_float32(entry, sample, torch):
    _backward_written(entry, sample)
    if np.float32 not in entry.dtypes:
        pytest.skip(f"{entry.name} runs in float64 only")
    arrays = sample.arrays(np.float32, np.random.default_rng(0))
    compare_with_torch(_call(entry, sample.kwargs), arrays, torch, _grad_mask(entry, arrays),
                       rtol=max(entry.rtol32, 1e-4))


@pytest.mark.parametrize("entry, sample", _first_only(cases("grad")))
def test_gradients_match_central_differences(entry, sample):
    _backward_written(entry, sample)
    if entry.random:
        pytest.skip("a random op draws a new mask per call: no finite differences")
    arrays = sample.arrays(np.float64, np.random.default_rng(0))
    numerical_check(_call(entry, sample.kwargs), arrays, _grad_mask(entry, arrays))
