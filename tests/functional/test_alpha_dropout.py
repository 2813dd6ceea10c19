"""F.alpha_dropout, F.feature_alpha_dropout, nn.AlphaDropout, nn.FeatureAlphaDropout and
F.gumbel_softmax against torch. The dropout masks are torch's: after the same seed the
results are equal; gumbel_softmax's noise is fixed to compare its formula and gradients."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F

RNG = np.random.default_rng(0)
ALPHA = 1.7580993408473766


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("fn", ["alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("shape, dtype", [((4, 5, 3), np.float32), ((3, 6), np.float64),
                                          ((2, 3, 4, 4), np.float32)])
def test_equals_torch_after_the_same_seed(fn, p, shape, dtype):
    x = rand(*shape, dtype=dtype)
    fastnn.manual_seed(3)
    ours = getattr(F, fn)(fastnn.tensor(x), p, True)
    torch.manual_seed(3)
    theirs = getattr(TF, fn)(torch.tensor(x), p, True)
    assert ours.dtype == x.dtype
    np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())


def test_formula_and_feature_masks():
    p = 0.4
    a = ((1 - p) * (1 + p * ALPHA ** 2)) ** -0.5
    b = a * ALPHA * p
    x = rand(6, 5, 4)
    fastnn.manual_seed(0)
    y = np.asarray(F.alpha_dropout(fastnn.tensor(x), p, True))
    kept = np.isclose(y, a * x + b, rtol=1e-5, atol=1e-6)
    dropped = np.isclose(y, b - a * ALPHA, rtol=1e-5)
    assert np.all(kept | dropped) and kept.any() and dropped.any()
    fastnn.manual_seed(0)
    y = np.asarray(F.feature_alpha_dropout(fastnn.tensor(x), p, True))
    kept = np.isclose(y, a * x + b, rtol=1e-5, atol=1e-6).all(axis=2)
    dropped = np.isclose(y, b - a * ALPHA, rtol=1e-5).all(axis=2)
    assert np.all(kept | dropped) and kept.any() and dropped.any()


def test_keeps_selu_statistics():
    fastnn.manual_seed(0)
    x = fastnn.randn(200000)
    y = np.asarray(F.alpha_dropout(x, 0.3, True))
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


def test_identity_cases_return_the_input_and_p_one_zeroes():
    x = fastnn.tensor(rand(3, 4))
    for fn in (F.alpha_dropout, F.feature_alpha_dropout):
        assert fn(x) is x                        # training defaults to False
        assert fn(x, 0.5, False) is x
        assert fn(x, 0.0, True) is x
        np.testing.assert_array_equal(np.asarray(fn(x, 1.0, True)), np.zeros((3, 4)))
    t = torch.tensor(rand(3, 4))
    assert TF.alpha_dropout(t) is t
    np.testing.assert_array_equal(TF.alpha_dropout(t, 1.0, True).numpy(), np.zeros((3, 4)))


def test_inplace_and_gradient():
    x = rand(4, 6)
    fastnn.manual_seed(5)
    xf = fastnn.tensor(x)
    out = F.alpha_dropout(xf, 0.3, True, inplace=True)
    torch.manual_seed(5)
    xt = torch.tensor(x)
    TF.alpha_dropout(xt, 0.3, True, inplace=True)
    assert out is xf
    np.testing.assert_array_equal(np.asarray(xf), xt.numpy())

    xf = fastnn.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    g = rand(4, 6)
    fastnn.manual_seed(5)
    F.feature_alpha_dropout(xf, 0.3, True).backward(fastnn.tensor(g))
    torch.manual_seed(5)
    TF.feature_alpha_dropout(xt, 0.3, True).backward(torch.tensor(g))
    np.testing.assert_array_equal(np.asarray(xf.grad), xt.grad.numpy())


def test_modules_as_torch():
    x = rand(4, 3, 5)
    for name in ("AlphaDropout", "FeatureAlphaDropout"):
        m, tm = getattr(nn, name)(0.2), getattr(torch.nn, name)(0.2)
        assert repr(m) == repr(tm)
        fastnn.manual_seed(1)
        torch.manual_seed(1)
        np.testing.assert_array_equal(np.asarray(m(fastnn.tensor(x))),
                                      tm(torch.tensor(x)).numpy())
        m.eval()
        xf = fastnn.tensor(x)
        assert m(xf) is xf
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, "
                                             "but got 1.5"):
            getattr(nn, name)(1.5)


def test_errors_as_torch():
    x, t = fastnn.tensor(rand(3, 4)), torch.tensor(rand(3, 4))
    for fn in ("alpha_dropout", "feature_alpha_dropout"):
        for p in (-0.1, 1.5):
            for f, arg in ((getattr(F, fn), x), (getattr(TF, fn), t)):
                with pytest.raises(ValueError, match="dropout probability has to be between 0 "
                                                     f"and 1, but got {p}"):
                    f(arg, p, True)
        for f, arg in ((getattr(F, fn), x), (getattr(TF, fn), t)):
            with pytest.raises(RuntimeError, match="between 0 and 1, but got nan"):
                f(arg, float("nan"), True)
    for f, arg in ((F.feature_alpha_dropout, fastnn.ones(4)),
                   (TF.feature_alpha_dropout, torch.ones(4))):
        with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dim"):
            f(arg, 0.5, True)


def _fixed_exponential(values):
    """A replacement for exponential_ that writes `values` (the noise made fixed)."""
    def exponential_(self, *args, **kwargs):
        self[...] = values if isinstance(self, fastnn.Tensor) else torch.tensor(values)
        return self
    return exponential_


@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim, tau", [(-1, 1.0), (0, 0.5), (1, 2.0)])
def test_gumbel_softmax_matches_torch_with_fixed_noise(monkeypatch, hard, dim, tau):
    logits = rand(4, 5)
    noise = RNG.exponential(size=(4, 5)).astype(np.float32)
    g = rand(4, 5)
    monkeypatch.setattr(fastnn.Tensor, "exponential_", _fixed_exponential(noise))
    monkeypatch.setattr(torch.Tensor, "exponential_", _fixed_exponential(noise))
    xf = fastnn.tensor(logits, requires_grad=True)
    xt = torch.tensor(logits, requires_grad=True)
    yf = F.gumbel_softmax(xf, tau=tau, hard=hard, dim=dim)
    yt = TF.gumbel_softmax(xt, tau=tau, hard=hard, dim=dim)
    np.testing.assert_allclose(np.asarray(yf), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    (yf * fastnn.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(np.asarray(xf.grad), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_gumbel_softmax_samples():
    fastnn.manual_seed(0)
    logits = fastnn.tensor(rand(6, 7))
    soft = np.asarray(F.gumbel_softmax(logits, tau=0.5))
    assert soft.shape == (6, 7) and np.all(soft >= 0)
    np.testing.assert_allclose(soft.sum(-1), 1, rtol=1e-5)
    hard = np.asarray(F.gumbel_softmax(logits, hard=True, dim=0))
    assert set(np.unique(hard)) <= {0.0, 1.0}
    np.testing.assert_array_equal(hard.sum(0), np.ones(7))
    # a strongly preferred class is sampled (almost) always
    big = fastnn.tensor(np.array([[0.0, 30.0, 0.0]] * 50, np.float32))
    assert np.all(np.asarray(F.gumbel_softmax(big, hard=True)).argmax(-1) == 1)
    # Gumbel(0, 1) noise: mean is Euler's constant
    fastnn.manual_seed(1)
    e = fastnn.empty(100000).exponential_()
    assert abs(float(-np.log(np.asarray(e)).mean()) - 0.5772) < 0.02


def test_gumbel_softmax_warnings_and_errors():
    for f, x in ((F.gumbel_softmax, fastnn.randn(2, 3)), (TF.gumbel_softmax, torch.randn(2, 3))):
        with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
            f(x, eps=1e-3)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            f(x)
        with pytest.raises(IndexError, match="Dimension out of range"):
            f(x, dim=2)
