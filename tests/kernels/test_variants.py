"""Every kernel variant of every op in the catalogue (tests/op_catalogue) agrees with torch
and with the torch-free reference, on the entry's samples and its seeded reference inputs,
wherever the variant applies; every variant applies to at least one of them."""
import functools

import numpy as np
import pytest

import fastnn
from fastnn import backends
from op_catalogue import as_tuple, entries

def _variant_params():
    return [pytest.param(entry, variant, id=f"{entry.name}-{variant}")
            for entry in entries() if "variants" not in entry.skips
            and len(entry.variants) > 1 for variant in entry.variants]


@functools.lru_cache(maxsize=None)
def _cases(entry_name):
    """(arrays, kwargs) of the entry's samples in both dtypes, then its reference inputs
    (built once: every variant runs on the same ones)."""
    entry = {e.name: e for e in entries()}[entry_name]
    rng = np.random.default_rng(5)
    made = [(sample.arrays(dtype, rng), sample.kwargs)
            for sample in entry.samples for dtype in entry.dtypes]
    if entry.reference_inputs is not None:
        made += list(entry.reference_inputs())
    return made


def _inputs(entry):
    return _cases(entry.name)


@functools.lru_cache(maxsize=None)
def _torch_answer(entry_name, index, torch):
    """torch's results for case `index` of the entry, or the RuntimeError it raised."""
    entry = {e.name: e for e in entries()}[entry_name]
    arrays, kwargs = _cases(entry_name)[index]
    try:
        return as_tuple(entry.torch_call(torch, arrays, **kwargs))
    except RuntimeError as error:
        return error


def _tol(entry, arrays):
    return entry.variant_tol[arrays[0].dtype != np.float32]


def _applies(entry, variant, arrays, kwargs):
    try:
        return variant in backends.applicable(entry.op, *arrays, **kwargs)
    except RuntimeError:            # refused: the refusal is compared with torch's below
        return True


@pytest.fixture(autouse=True)
def no_forced_variant():
    yield
    for op in backends.ops():
        backends.set_default(op, None)


@pytest.mark.parametrize("entry, variant", _variant_params())
def test_every_variant_agrees_with_torch(entry, variant, torch):
    ran = 0
    for index, (arrays, kwargs) in enumerate(_inputs(entry)):
        if not _applies(entry, variant, arrays, kwargs):
            continue
        want = _torch_answer(entry.name, index, torch)
        if isinstance(want, RuntimeError):     # torch refuses (output too small): so must we
            with pytest.raises(RuntimeError):
                with backends.use(entry.op, variant):
                    entry.call(arrays, **kwargs)
            continue
        with backends.use(entry.op, variant):
            got = as_tuple(entry.call(arrays, **kwargs))
        tol = _tol(entry, arrays)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert isinstance(g, fastnn.Tensor) and g.dtype == w.numpy().dtype
            np.testing.assert_allclose(np.asarray(g), w.numpy(), rtol=tol, atol=tol,
                                       err_msg=f"{variant} {kwargs}")
        ran += 1
    assert ran, f"no sample of {entry.name} is one that {variant!r} applies to: add one"


@pytest.mark.parametrize("entry, variant", [
    p for p in _variant_params() if p.values[0].numpy_ref is not None])
def test_every_variant_agrees_with_the_torch_free_reference(entry, variant):
    ran = 0
    # the reference is slow: the samples and about 24 of the reference inputs
    samples = len(entry.samples) * len(entry.dtypes)
    every = max(1, (len(_inputs(entry)) - samples) // 24)
    for index, (arrays, kwargs) in enumerate(_inputs(entry)):
        if index >= samples and (index - samples) % every:
            continue
        if not _applies(entry, variant, arrays, kwargs):
            continue
        try:
            entry.call(arrays, **kwargs)
        except RuntimeError:       # the argument checks refuse it (torch's refusal: above)
            with pytest.raises(RuntimeError), backends.use(entry.op, variant):
                entry.call(arrays, **kwargs)
            continue
        want = entry.numpy_ref(*arrays, **kwargs)
        with backends.use(entry.op, variant):
            got = entry.call(arrays, **kwargs)
        tol = _tol(entry, arrays)
        np.testing.assert_allclose(np.asarray(got), want, rtol=tol, atol=tol,
                                   err_msg=f"{variant} {kwargs}")
        ran += 1
    assert ran
