"""Gradients of every loss against torch's: each argument that torch differentiates
(input, target, weight where torch has its gradient), every reduction, broadcasting, the
kinks (x == y, |x - y| == beta or delta, bce at 0 and 1), ignored targets, label
smoothing, class probabilities and K-dimensional inputs; float64 within 1e-10, float32
within 1e-4. The arguments torch refuses to differentiate get its error.
"""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from gradcheck import compare_with_torch, numerical_check
from torch_compare import raises_like

REDUCTIONS = ["none", "mean", "sum"]


def _functional(lib):
    return F if lib is fastnn else lib.nn.functional


def _tensor(lib, array):
    return fastnn.tensor(array) if lib is fastnn else lib.from_numpy(array)


def _pair(dtype, seed=0, shape=(3, 4)):
    """x, y with ties and |x - y| exactly 0.5 and 1 (the kinks of l1, smooth_l1, huber)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    y = rng.standard_normal(shape)
    y.reshape(-1)[:4] = x.reshape(-1)[:4] + np.array([0.0, 0.5, -1.0, 1.0])
    return x.astype(dtype), y.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, kwargs", [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", dict(beta=1.0)),
    ("smooth_l1_loss", dict(beta=0.5)), ("smooth_l1_loss", dict(beta=0.0)),
    ("huber_loss", dict(delta=1.0)), ("huber_loss", dict(delta=0.5))])
def test_regression_losses_match_torch(name, kwargs, reduction, dtype, torch):
    def call(lib, x, y):
        return getattr(_functional(lib), name)(x, y, reduction=reduction, **kwargs)
    assert compare_with_torch(call, list(_pair(dtype)), torch) == 2


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses_differentiate_the_weight(name, reduction, torch):
    x, y = _pair(np.float64, 1)
    weight = np.abs(np.random.default_rng(2).standard_normal((3, 4))) + 0.1

    def call(lib, a, b, w):
        return getattr(_functional(lib), name)(a, b, reduction=reduction, weight=w)
    assert compare_with_torch(call, [x, y, weight], torch) == 3


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "kl_div"])
def test_broadcast_target_gradient_is_summed_back(name, torch):
    x, y = _pair(np.float64, 3)

    def call(lib, a, b):
        with pytest.warns(UserWarning) if name != "kl_div" else _nothing():
            return getattr(_functional(lib), name)(a, b, reduction="sum")
    assert compare_with_torch(call, [x, y[:1]], torch) == 2


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(reduction, dtype, torch):
    rng = np.random.default_rng(4)
    x = rng.uniform(0.05, 0.95, (3, 4)).astype(dtype)
    y = rng.uniform(0, 1, (3, 4)).astype(dtype)
    x[0, 0] = 0.5
    weight = (rng.uniform(0.5, 2, 4)).astype(dtype)

    def call(lib, a, b, w):
        return _functional(lib).binary_cross_entropy(a, b, w, reduction=reduction)
    assert compare_with_torch(call, [x, y, weight], torch, grad_mask=[True, True, False]) == 2


def test_binary_cross_entropy_at_zero_and_one(torch):
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.3])

    def call(lib, a, b):
        return _functional(lib).binary_cross_entropy(a, b, reduction="sum")
    assert compare_with_torch(call, [x, y], torch, atol=1e-12) == 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_with_logits_matches_torch(weighted, reduction, dtype, torch):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((3, 4)) * 3).astype(dtype)
    y = rng.uniform(0, 1, (3, 4)).astype(dtype)
    weight = rng.uniform(0.5, 2, 4).astype(dtype) if weighted else None
    pos_weight = rng.uniform(0.5, 2, 4).astype(dtype) if weighted else None

    def call(lib, a, b, w, pw):
        return _functional(lib).binary_cross_entropy_with_logits(
            a, b, w, reduction=reduction, pos_weight=pw)
    assert compare_with_torch(call, [x, y, weight, pos_weight], torch,
                              grad_mask=[True, True, False, False]) == 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(log_target, reduction, dtype, torch):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4)).astype(dtype)
    y = (rng.standard_normal((3, 4)) if log_target else rng.uniform(0.05, 1, (3, 4)))
    y = y.astype(dtype)

    def call(lib, a, b):
        return _functional(lib).kl_div(a, b, reduction=reduction, log_target=log_target)
    with pytest.warns(UserWarning) if reduction == "mean" else _nothing():
        assert compare_with_torch(call, [x, y], torch) == 2


def test_kl_div_target_gradient_at_zero_is_nan_as_torch(torch):
    x, y = np.array([-1.0, -2.0, -0.5]), np.array([0.0, 0.5, 0.2])

    def call(lib, a, b):
        return _functional(lib).kl_div(a, b, reduction="sum")
    assert compare_with_torch(call, [x, y], torch) == 2


@pytest.mark.parametrize("call, message_function", [
    (lambda lib, x, t, w: _functional(lib).binary_cross_entropy(
        lib.sigmoid(x), lib.sigmoid(t), w), "binary_cross_entropy"),
    (lambda lib, x, t, w: _functional(lib).binary_cross_entropy_with_logits(x, t, w), None),
    (lambda lib, x, t, w: _functional(lib).binary_cross_entropy_with_logits(
        x, t, pos_weight=w), None),
    (lambda lib, x, t, w: _functional(lib).nll_loss(x, _classes(lib), w), None),
    (lambda lib, x, t, w: _functional(lib).cross_entropy(x, _classes(lib), w,
                                                         label_smoothing=0.1), None)])
def test_weights_torch_does_not_differentiate_are_refused(call, message_function, torch):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4)), rng.uniform(0, 1, 4)]

    def run(lib, x_grad):
        x, t, w = (_tensor(lib, a.copy()) for a in arrays)
        x.requires_grad_(x_grad)
        w.requires_grad_()
        return call(lib, x, t, w)
    for x_grad in (True, False):
        raises_like(lambda: run(torch, x_grad), lambda: run(fastnn, x_grad))
    with torch.no_grad():
        want = run(torch, False)
    with fastnn.no_grad():
        np.testing.assert_allclose(run(fastnn, False), want.numpy(), rtol=1e-12)


def _classes(lib):
    return _tensor(lib, np.array([0, 3, 2]))


# ---------------------------------------------------------------- cross entropy, nll

def _class_targets(shape, rng, ignore=True):
    """Class indices for logits of `shape`, the first one ignored (-100)."""
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = rng.integers(0, shape[0] if len(shape) == 1 else shape[1], tshape)
    if ignore and t.ndim:
        t.reshape(-1)[0] = -100
    return t


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 5, 3, 2)])
def test_cross_entropy_with_class_indices_matches_torch(shape, reduction, dtype, torch):
    rng = np.random.default_rng(8)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    t = _class_targets(shape, rng)
    weight = rng.uniform(0.5, 2, 5).astype(dtype)
    for smoothing in (0.0, 0.2):
        for w in (None, weight):
            def call(lib, a, smoothing=smoothing, w=w):
                wt = None if w is None else _tensor(lib, w)
                return _functional(lib).cross_entropy(a, _tensor(lib, t), wt,
                                                      reduction=reduction,
                                                      label_smoothing=smoothing)
            assert compare_with_torch(call, [x], torch) == 1


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 5, 3)])
def test_nll_loss_matches_torch(shape, reduction, torch):
    rng = np.random.default_rng(9)
    x = rng.standard_normal(shape)
    t = _class_targets(shape, rng)
    for w in (None, rng.uniform(0.5, 2, 5)):
        def call(lib, a, w=w):
            wt = None if w is None else _tensor(lib, w)
            return _functional(lib).nll_loss(a, _tensor(lib, t), wt, reduction=reduction)
        assert compare_with_torch(call, [x], torch) == 1


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_every_target_ignored(reduction, torch):
    x = np.random.default_rng(10).standard_normal((3, 4))
    t = np.array([2, 2, 2])

    def call(lib, a):
        return _functional(lib).cross_entropy(a, _tensor(lib, t), ignore_index=2,
                                              reduction=reduction, label_smoothing=0.1)
    compare_with_torch(call, [x], torch)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 5, 3)])
def test_cross_entropy_with_probabilities_differentiates_target_and_weight(
        shape, reduction, dtype, torch):
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    p = rng.uniform(0, 1, shape).astype(dtype)
    weight = rng.uniform(0.5, 2, 5).astype(dtype)
    for smoothing in (0.0, 0.3):
        def call(lib, a, b, w, smoothing=smoothing):
            return _functional(lib).cross_entropy(a, b, w, reduction=reduction,
                                                  label_smoothing=smoothing)
        assert compare_with_torch(call, [x, p, weight], torch) == 3


# ---------------------------------------------------------------- torch-free

@pytest.mark.parametrize("name, call", [
    ("mse_loss", lambda lib, x, y: F.mse_loss(x, y)),
    ("huber_loss", lambda lib, x, y: F.huber_loss(x, y, reduction="sum", delta=5.0)),
    ("bce_with_logits", lambda lib, x, y: F.binary_cross_entropy_with_logits(x, F.sigmoid(y))),
    ("kl_div", lambda lib, x, y: F.kl_div(x, y, reduction="batchmean", log_target=True)),
    ("cross_entropy", lambda lib, x, y: F.cross_entropy(x, F.softmax(y, 1),
                                                        label_smoothing=0.1))],
    ids=lambda v: v if isinstance(v, str) else "")
def test_loss_gradients_match_central_differences(name, call):
    rng = np.random.default_rng(12)
    assert numerical_check(call, [rng.standard_normal((3, 4)),
                                  rng.standard_normal((3, 4)) * 0.3]) == 2
