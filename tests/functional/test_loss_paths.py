"""The losses' fast paths against torch (issue #16): the float32 exps summed in chunks
(more classes than a chunk), the vectorised row maximum and log with non-finite logits,
binary_cross_entropy_with_logits' float32 log1p, mse/l1's fused sum, the serial twins of
small work, and cross_entropy/nll_loss's remembered checks (warnings and refusals rerun)."""
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F


def _ce_pair(torch, x, t, **kwargs):
    got = np.asarray(F.cross_entropy(x, t, **kwargs))
    want = torch.nn.functional.cross_entropy(torch.from_numpy(x), torch.from_numpy(t),
                                             **kwargs).numpy()
    return got, want


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 700), (3, 300, 7), (2, 21, 300), (64, 10)])
def test_cross_entropy_many_classes_and_nonfinite_logits(torch, dtype, shape):
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    t = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    t.reshape(-1)[::4] = -100
    spoiled = [x.copy() for _ in range(4)]
    spoiled[0].reshape(-1)[::7] = np.nan
    spoiled[1].reshape(-1)[::5] = np.inf
    spoiled[2].reshape(-1)[::2] = -np.inf
    spoiled[3][0] = -np.inf                         # every class of the first sample
    for logits in [x, x * 1e4] + spoiled:
        for reduction in ("none", "mean", "sum"):
            for smoothing in (0.0, 0.2):
                got, want = _ce_pair(torch, logits, t, reduction=reduction,
                                     label_smoothing=smoothing)
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, equal_nan=True)


def test_bce_with_logits_float32_is_within_ulps_of_the_float64_formula(torch):
    rng = np.random.default_rng(12)
    x = (rng.standard_normal(20000) * 6).astype(np.float32)
    x[:10] = [0.0, -0.0, 1e-30, 88.0, -88.0, 30.0, -30.0, 1e-6, 100.0, -17.0]
    y = rng.random(20000).astype(np.float32)
    y[::7], y[::11] = 1.0, 0.0
    pos_weight = (rng.random(20000) * 3).astype(np.float32)
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    log_sigmoid = np.minimum(xd, 0.0) - np.log1p(np.exp(-np.abs(xd)))
    for kwargs, factor in (({}, 1.0), ({"pos_weight": pos_weight},
                                       (pos_weight.astype(np.float64) - 1.0) * yd + 1.0)):
        want = (1.0 - yd) * xd - log_sigmoid * factor
        got = np.asarray(F.binary_cross_entropy_with_logits(x, y, reduction="none", **kwargs))
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
        mean = F.binary_cross_entropy_with_logits(x, y, **kwargs)
        np.testing.assert_allclose(float(mean), want.mean(), rtol=1e-6)
    edges = np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)
    half = np.full(4, 0.5, np.float32)
    got = np.asarray(F.binary_cross_entropy_with_logits(edges, half, reduction="none"))
    want = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(edges), torch.from_numpy(half), reduction="none").numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("size", [7, 5000, 20000])       # twin, parallel, several chunks
def test_fused_difference_sums(torch, name, size):
    rng = np.random.default_rng(13)
    x = rng.standard_normal(size).astype(np.float32)
    y = rng.standard_normal(size).astype(np.float32)
    x[3] = np.nan if size > 7 else x[3]
    for reduction in ("mean", "sum"):
        got = getattr(F, name)(x, y, reduction=reduction)
        want = getattr(torch.nn.functional, name)(torch.from_numpy(x), torch.from_numpy(y),
                                                  reduction=reduction)
        np.testing.assert_allclose(float(got), float(want), rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_remembered_checks_warn_and_refuse_on_every_call(fn):
    x = np.random.default_rng(14).random((4, 3)).astype(np.float32)
    t = np.array([0, 2, 1, 0])
    for kwargs in ({"size_average": False}, {"reduce": False},
                   {"reduction": "elementwise_mean"}):
        for _ in range(3):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fn(x, t, **kwargs)
            assert len(caught) == 1 and caught[0].filename == __file__
    weight = fastnn.tensor(np.ones(3, np.float32), requires_grad=True)
    for _ in range(3):
        with pytest.raises(RuntimeError, match="is not differentiable with respect to"):
            fn(x, t, weight=weight)
    fn(x, t)
    with pytest.raises(IndexError, match="Target 5 is out of bounds"):
        fn(x, np.array([0, 5, 1, 0]))


def test_probabilities_take_a_weight_that_requires_grad_on_every_call():
    x = np.random.default_rng(15).random((4, 3)).astype(np.float32)
    p = np.full((4, 3), 1 / 3, np.float32)
    weight = fastnn.tensor(np.ones(3, np.float32), requires_grad=True)
    for _ in range(3):
        assert F.cross_entropy(x, p, weight=weight).requires_grad


@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss])
def test_remembered_regression_checks_warn_on_every_call(fn):
    rng = np.random.default_rng(16)
    x, y = rng.random((4, 3)).astype(np.float32), rng.random((4, 3)).astype(np.float32)
    row = rng.random(3).astype(np.float32)
    for args, kwargs, warned in (((x, row), {}, 1), ((x, y), {"size_average": False}, 1),
                                 ((x, y), {"reduction": "elementwise_mean"}, 1),
                                 ((x, row), {"reduce": False}, 2), ((x, y), {}, 0)):
        for _ in range(3):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fn(*args, **kwargs)
            assert len(caught) == warned
            assert all(w.filename == __file__ for w in caught)
