"""NaN, +inf and -inf behave as in torch in every op of the catalogue (tests/op_catalogue):
the same NaN positions and the same infinities at the same places (no fast-math flag that
assumes finite values)."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from op_catalogue import as_tuple, cases

SPECIALS = np.array([np.nan, np.inf, -np.inf])


def deterministic(entry):
    return not entry.random


def sprinkle(a, rng, fraction):
    """`a` with a random `fraction` of its elements replaced by NaN, inf or -inf."""
    a = a.copy()
    hit = rng.random(a.shape) < fraction
    a[hit] = rng.choice(SPECIALS, size=int(hit.sum()))
    return a


def touches_padding(entry, sample, arrays):
    """Output positions of a convolution whose window reaches into the zero padding.

    torch quirk: whether a padded zero times an infinite weight gives NaN (0 * inf) there
    depends on the algorithm torch picks for the sizes (im2col materialises the zeros;
    mkldnn skips them), so either answer is torch's at those positions.
    """
    ones = [None if a is None else np.ones_like(a) for a in arrays[:2]] + [None]
    taps = np.asarray(entry.call(ones, **sample.kwargs))
    return taps < arrays[1][0].size


def _compare(entry, sample, arrays, torch, dtype, ambiguous=None):
    with np.errstate(all="ignore"):
        got = as_tuple(entry.call(arrays, **sample.kwargs))
    want = as_tuple(entry.torch_call(torch, arrays, **sample.kwargs))
    rtol = entry.rtol(dtype)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), w.numpy()
        assert g.shape == w.shape
        if ambiguous is not None:
            either = ambiguous & (np.isnan(g) != np.isnan(w))
            g, w = np.where(either, 0, g), np.where(either, 0, w)
        if g.dtype.kind == "f":
            np.testing.assert_array_equal(np.isnan(g), np.isnan(w), err_msg="NaN positions")
            np.testing.assert_array_equal(np.isposinf(g), np.isposinf(w), err_msg="+inf")
            np.testing.assert_array_equal(np.isneginf(g), np.isneginf(w), err_msg="-inf")
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol, equal_nan=True)


def _where(param):
    entry, sample = param.values
    places = ["input"] + ["parameters"] * any(s is not None for s in sample.shapes[1:])
    return [pytest.param(entry, sample, where, id=f"{param.id}-{where}", marks=param.marks)
            for where in places]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("entry, sample, where", [
    case for param in cases("nonfinite", deterministic) for case in _where(param)])
def test_nonfinite_values_match_torch(entry, sample, where, dtype, torch):
    arrays = sample.arrays(dtype, np.random.default_rng(0))
    rng = np.random.default_rng(1)
    for fraction in (0.05, 0.3):
        changed = [a if a is None or (i == 0) != (where == "input") else
                   sprinkle(a, rng, fraction) for i, a in enumerate(arrays)]
        ambiguous = None
        if entry.op.startswith("conv") and where == "parameters":
            ambiguous = touches_padding(entry, sample, arrays)
        _compare(entry, sample, changed, torch, dtype, ambiguous)


@pytest.mark.parametrize("entry, sample", cases("nonfinite", deterministic))
def test_all_nonfinite_inputs_match_torch(entry, sample, torch):
    arrays = sample.arrays(np.float32, np.random.default_rng(0))
    for special in SPECIALS:
        _compare(entry, sample, [np.full_like(arrays[0], special)] + arrays[1:], torch,
                 np.float32)


@pytest.mark.parametrize("entry, sample", cases("nan_torch_free", deterministic))
def test_nan_propagates_torch_free(entry, sample):
    # without torch: a NaN input never turns into a finite non-zero number out of nowhere,
    # and a finite input gives finite outputs
    arrays = sample.arrays(np.float64, np.random.default_rng(0))
    finite = as_tuple(entry.call(arrays, **sample.kwargs))
    assert all(np.isfinite(np.asarray(r)).all() for r in finite)
    with np.errstate(all="ignore"):
        nan = as_tuple(entry.call([np.full_like(arrays[0], np.nan)] + arrays[1:],
                                  **sample.kwargs))
    out = np.asarray(nan[0])
    if entry.nan_fills:
        assert np.isnan(out).all()
    assert np.isnan(out).any()


@pytest.mark.parametrize("function, kwargs", [
    ("dropout", {}), ("dropout1d", {}), ("dropout2d", {}), ("dropout3d", {}),
])
@pytest.mark.parametrize("p", [0.3, 1.0])
def test_dropout_of_nonfinite_is_torch_mask_times_input(function, kwargs, p):
    # torch multiplies by the mask: a dropped NaN or inf becomes NaN, never 0
    shape = {"dropout": (4, 50), "dropout1d": (4, 6, 9), "dropout2d": (4, 6, 3, 3),
             "dropout3d": (4, 6, 2, 2, 2)}[function]
    rng = np.random.default_rng(0)
    x = sprinkle(rng.standard_normal(shape), rng, 0.5)
    fastnn.manual_seed(0)
    with np.errstate(all="ignore"):
        out = np.asarray(getattr(F, function)(x, p=p, **kwargs))
    kept = out != 0
    dropped_or_nan = ~kept | np.isnan(out)
    assert np.isnan(out[np.isnan(x)]).all()
    special = ~np.isfinite(x)
    # a non-finite element is either kept (scaled: same value) or dropped (NaN)
    scaled = x * (1 / (1 - p)) if p < 1 else np.full_like(x, np.nan)
    kept_special = special & ~np.isnan(out)
    np.testing.assert_array_equal(out[kept_special], scaled[kept_special])
    assert not (special & (out == 0)).any(), "a dropped inf/NaN became 0; torch gives NaN"
    assert dropped_or_nan.any()


def test_one_input_channel_without_groups_is_a_dense_convolution(torch):
    # groups=1 with one input channel is not torch's depthwise path: its dense kernel
    # multiplies the zero padding, so an infinite weight gives NaN at the border
    x = np.ones((1, 1, 4, 4), np.float32)
    w = np.ones((2, 1, 3, 3), np.float32)
    w[0, 0, 0, 0] = np.inf
    got = np.asarray(F.conv2d(x, w, padding=1))
    want = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                      padding=1).numpy()
    np.testing.assert_array_equal(got, want)
    assert np.isnan(got[0, 0, 0]).all() and np.isfinite(got[0, 1]).all()
