"""The losses (forward) against torch: seeded sweeps over their arguments, torch's
warnings and every error path."""
import itertools
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from torch_compare import raises_like

RTOL = {np.float32: 1e-5, np.float64: 1e-10}
REDUCTIONS = ("none", "mean", "sum")


def _torch_args(torch, values):
    return [torch.from_numpy(np.array(v)) if isinstance(v, (np.ndarray, np.generic)) else v
            for v in values]


def check(torch, name, args, kwargs, dtype):
    """F.<name>(*args, **kwargs) equals torch's (value, shape, dtype)."""
    targs = _torch_args(torch, args)
    tkwargs = dict(zip(kwargs, _torch_args(torch, kwargs.values())))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(torch.nn.functional, name)(*targs, **tkwargs).numpy()
        got = getattr(F, name)(*args, **kwargs)
    assert isinstance(got, fastnn.Tensor)
    got = np.asarray(got)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape)
    rtol = RTOL[dtype]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, equal_nan=True)


def _classes(rng, shape, classes, ignore=None):
    t = rng.integers(0, classes, shape)
    if ignore is not None and t.size:
        t.reshape(-1)[::3] = ignore
    return t


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_class_indices(torch, dtype):
    rng = np.random.default_rng(0)
    shapes = [((5,), ()), ((6, 4), (6,)), ((3, 4, 5), (3, 5)), ((2, 3, 2, 3), (2, 2, 3)),
              ((2, 3, 2, 1, 2), (2, 2, 1, 2))]
    for (xs, ts), weighted, ignore, smoothing, reduction in itertools.product(
            shapes, (False, True), (-100, 1), (0.0, 0.25), REDUCTIONS):
        classes = xs[0] if len(xs) == 1 else xs[1]
        x = (rng.standard_normal(xs) * 3).astype(dtype)
        t = np.array(_classes(rng, ts, classes, ignore if ts else None))
        kwargs = dict(ignore_index=ignore, label_smoothing=smoothing, reduction=reduction)
        if weighted:
            kwargs["weight"] = rng.random(classes).astype(dtype) + 0.1
        check(torch, "cross_entropy", (x, t), kwargs, dtype)
        log_p = np.asarray(torch.log_softmax(torch.from_numpy(x), 0 if x.ndim == 1 else 1))
        if not smoothing:
            check(torch, "nll_loss", (log_p, t), {k: v for k, v in kwargs.items()
                                                  if k != "label_smoothing"}, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_probabilities(torch, dtype):
    rng = np.random.default_rng(1)
    for shape, weighted, smoothing, reduction in itertools.product(
            [(4,), (5, 3), (2, 3, 4)], (False, True), (0.0, 0.3), REDUCTIONS):
        classes = shape[0] if len(shape) == 1 else shape[1]
        x = rng.standard_normal(shape).astype(dtype)
        p = rng.random(shape).astype(dtype)
        kwargs = dict(label_smoothing=smoothing, reduction=reduction)
        if weighted:
            kwargs["weight"] = rng.random(classes).astype(dtype)
        check(torch, "cross_entropy", (x, p), kwargs, dtype)


def test_cross_entropy_edge_cases(torch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    everything_ignored = np.full(3, -100)
    for smoothing in (0.0, 0.1):                 # 0 / 0: NaN, as torch
        check(torch, "cross_entropy", (x, everything_ignored),
              dict(label_smoothing=smoothing), np.float32)
    check(torch, "cross_entropy", (x, np.array([0, 9, 1])), dict(ignore_index=9), np.float32)
    check(torch, "cross_entropy", (x, np.array([0, 3, 1], np.uint8)), {}, np.float32)
    check(torch, "cross_entropy", (x, np.array([0, 3, 1])), dict(label_smoothing=-0.5),
          np.float32)
    check(torch, "cross_entropy", (np.zeros((0, 4), np.float32), np.zeros(0, np.int64)), {},
          np.float32)
    big = x.copy()
    big[0, 1], big[1, 2], big[2, 0] = np.inf, np.nan, -np.inf
    for reduction in REDUCTIONS:
        check(torch, "cross_entropy", (big, np.array([1, 0, 0])), dict(reduction=reduction),
              np.float32)
    # mixed dtypes with probabilities promote
    check(torch, "cross_entropy", (x, rng.random((3, 4))), {}, np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pointwise_losses(torch, dtype):
    rng = np.random.default_rng(3)
    for (xs, ys), reduction in itertools.product(
            [((4, 5), (4, 5)), ((3, 1, 4), (3, 4)), ((), ()), ((0, 3), (0, 3))], REDUCTIONS):
        x = (rng.standard_normal(xs) * 2).astype(dtype)
        y = (rng.standard_normal(ys) * 2).astype(dtype)
        r = dict(reduction=reduction)
        check(torch, "mse_loss", (x, y), r, dtype)
        check(torch, "l1_loss", (x, y), r, dtype)
        for beta in (0.0, 0.5, 1.0, 3.0):
            check(torch, "smooth_l1_loss", (x, y), dict(r, beta=beta), dtype)
        for delta in (0.5, 1.0, 2.5):
            check(torch, "huber_loss", (x, y), dict(r, delta=delta), dtype)
        for log_target in (False, True):
            target = np.abs(y) if not log_target else y
            check(torch, "kl_div", (x, target), dict(r, log_target=log_target), dtype)
        if xs == ys:
            w = rng.random(xs).astype(dtype)
            check(torch, "mse_loss", (x, y), dict(r, weight=w), dtype)
            check(torch, "l1_loss", (x, y), dict(r, weight=w), dtype)
            check(torch, "huber_loss", (x, y), dict(r, weight=w, delta=0.7), dtype)
            p = rng.random(xs).astype(dtype)
            prob = rng.random(xs).astype(dtype)
            check(torch, "binary_cross_entropy", (p, prob), r, dtype)
            check(torch, "binary_cross_entropy", (p, prob), dict(r, weight=w), dtype)
            check(torch, "binary_cross_entropy_with_logits", (x, prob), r, dtype)
            check(torch, "binary_cross_entropy_with_logits", (x, prob), dict(r, weight=w),
                  dtype)
            if xs:
                pos = rng.random(xs[-1:]).astype(dtype) * 3
                check(torch, "binary_cross_entropy_with_logits", (x, prob),
                      dict(r, pos_weight=pos, weight=w[..., :1]), dtype)
    x = rng.standard_normal((4, 3)).astype(dtype)
    check(torch, "kl_div", (x, rng.random((4, 3)).astype(dtype)), dict(reduction="batchmean"),
          dtype)


def test_pointwise_edge_values(torch):
    # bce clamps each log at -100; kl_div's xlogy is 0 at 0 and NaN for negatives
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5], np.float32)
    for reduction in REDUCTIONS:
        check(torch, "binary_cross_entropy", (p, y), dict(reduction=reduction), np.float32)
    x = np.array([-1.0, 2.0, 0.5, np.nan, 1.0], np.float32)
    t = np.array([0.0, -1.0, np.inf, 0.5, np.nan], np.float32)
    check(torch, "kl_div", (x, t), dict(reduction="none"), np.float32)
    logits = np.array([-200.0, 200.0, 0.0, np.inf, -np.inf], np.float64)
    check(torch, "binary_cross_entropy_with_logits", (logits, np.array([1.0, 0, 0.5, 1, 0])),
          dict(reduction="none"), np.float64)
    check(torch, "binary_cross_entropy_with_logits", (logits, np.array([np.inf, 0, 1, 1, 0])),
          dict(reduction="none"), np.float64)
    check(torch, "kl_div", (np.ones((0, 3), np.float32), np.ones((0, 3), np.float32)),
          dict(reduction="batchmean"), np.float32)
    check(torch, "kl_div", (np.float32(0.3) + np.zeros((), np.float32),
                            np.full((), 0.2, np.float32)), dict(reduction="batchmean"),
          np.float32)
    check(torch, "mse_loss", (np.ones(3, np.float32), np.ones(3)), {}, np.float32)
    check(torch, "mse_loss", (np.ones(3, np.float32), np.arange(3)), {}, np.float32)


def test_large_reduction_matches(torch):
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((2, 70000)).astype(np.float32)     # several chunks
    check(torch, "mse_loss", (x, y), {}, np.float32)
    check(torch, "smooth_l1_loss", (x, y), dict(reduction="sum"), np.float32)


def test_legacy_arguments_and_warnings(torch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    t = np.array([0, 2, 1, 1])
    y = rng.standard_normal((4, 3)).astype(np.float32)
    for size_average, reduce in itertools.product((None, True, False), repeat=2):
        if size_average is None and reduce is None:
            continue
        legacy = dict(size_average=size_average, reduce=reduce)
        with pytest.warns(UserWarning, match="size_average and reduce args will be "
                                             "deprecated") as caught:
            F.cross_entropy(x, t, **legacy)
        assert caught[0].filename == __file__
        for name, args in (("cross_entropy", (x, t)), ("nll_loss", (x, t)),
                           ("mse_loss", (x, y)), ("l1_loss", (x, y)),
                           ("smooth_l1_loss", (x, y)), ("kl_div", (x, y)),
                           ("binary_cross_entropy_with_logits", (x, np.abs(y) / 3))):
            check(torch, name, args, legacy, np.float32)
    with pytest.warns(UserWarning, match="Using a target size") as caught:
        F.mse_loss(np.ones((3, 1)), np.ones(3))
    assert caught[0].filename == __file__
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(x, y)
    with pytest.warns(UserWarning, match="elementwise_mean"):
        F.mse_loss(x, y, reduction="elementwise_mean")


def test_modules(torch):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    t = np.array([0, 2, 1, 1])
    y = rng.random((4, 3)).astype(np.float32)
    w = rng.random(3).astype(np.float32)
    T = torch.from_numpy
    cases = [
        (nn.CrossEntropyLoss(weight=w, ignore_index=2, label_smoothing=0.1),
         torch.nn.CrossEntropyLoss(weight=T(w), ignore_index=2, label_smoothing=0.1), x, t),
        (nn.NLLLoss(reduction="sum"), torch.nn.NLLLoss(reduction="sum"), x, t),
        (nn.MSELoss(), torch.nn.MSELoss(), x, y),
        (nn.L1Loss(reduction="none"), torch.nn.L1Loss(reduction="none"), x, y),
        (nn.SmoothL1Loss(beta=0.3), torch.nn.SmoothL1Loss(beta=0.3), x, y),
        (nn.HuberLoss(delta=0.4), torch.nn.HuberLoss(delta=0.4), x, y),
        (nn.BCELoss(weight=w), torch.nn.BCELoss(weight=T(w)), y, y[::-1].copy()),
        (nn.BCEWithLogitsLoss(pos_weight=w), torch.nn.BCEWithLogitsLoss(pos_weight=T(w)),
         x, y),
        (nn.KLDivLoss(reduction="batchmean", log_target=True),
         torch.nn.KLDivLoss(reduction="batchmean", log_target=True), x, y),
    ]
    for ours, theirs, a, b in cases:
        got, want = ours(a, b), theirs(T(a), T(b))
        np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-5, atol=1e-6)
        assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
        assert repr(ours) == repr(theirs)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        legacy = nn.CrossEntropyLoss(size_average=False)
    assert legacy.reduction == "sum"


def _errors(torch):
    """(label, call(F-like module, array maker)) pairs that raise in torch and fastnn."""
    x = np.random.default_rng(7).standard_normal((3, 5)).astype(np.float32)
    t = np.array([1, 0, 4])
    f32 = np.float32
    return {
        "target out of range": lambda F, A: F.cross_entropy(A(x), A(np.array([1, 0, 5]))),
        "negative target": lambda F, A: F.nll_loss(A(x), A(np.array([1, -1, 0]))),
        "target out of range 3d": lambda F, A: F.cross_entropy(
            A(np.ones((2, 3, 4), f32)), A(np.array([[1, 0, 5, 0]] * 2))),
        "target out of range smoothing": lambda F, A: F.cross_entropy(
            A(x), A(np.array([1, 0, 7])), label_smoothing=0.2),
        "float class target": lambda F, A: F.cross_entropy(A(x), A(t.astype(f32))),
        "int32 class target": lambda F, A: F.cross_entropy(A(x), A(t.astype(np.int32))),
        "integer probabilities": lambda F, A: F.cross_entropy(A(x), A(np.zeros((3, 5), int))),
        "ignore_index with probabilities": lambda F, A: F.cross_entropy(
            A(x), A(np.ones((3, 5), f32)), ignore_index=1),
        "label_smoothing > 1": lambda F, A: F.cross_entropy(A(x), A(t), label_smoothing=1.5),
        "label_smoothing > 1 probabilities": lambda F, A: F.cross_entropy(
            A(x), A(np.ones((3, 5), f32)), label_smoothing=1.5),
        "batch mismatch": lambda F, A: F.cross_entropy(A(x), A(np.array([1, 0]))),
        "0-d target for a batch": lambda F, A: F.cross_entropy(A(x), A(np.array(1))),
        "0-d input": lambda F, A: F.nll_loss(A(np.ones((), f32)), A(np.zeros((), int))),
        "spatial target size": lambda F, A: F.cross_entropy(
            A(np.ones((2, 3, 4), f32)), A(np.zeros((2, 5), int))),
        "4d target rank": lambda F, A: F.cross_entropy(
            A(np.ones((2, 3, 4, 5), f32)), A(np.zeros((2, 4), int))),
        "4d size mismatch": lambda F, A: F.nll_loss(
            A(np.ones((2, 3, 4, 5), f32)), A(np.zeros((2, 4, 6), int))),
        "multi-target": lambda F, A: F.cross_entropy(A(x), A(np.zeros((3, 1), int))),
        "1d input 1d target": lambda F, A: F.nll_loss(A(np.ones(5, f32)), A(np.array([1, 2]))),
        "weight size": lambda F, A: F.cross_entropy(A(x), A(t), weight=A(np.ones(4, f32))),
        "weight size 3d": lambda F, A: F.nll_loss(
            A(np.ones((2, 3, 4), f32)), A(np.zeros((2, 4), int)), weight=A(np.ones(2, f32))),
        "weight size probabilities": lambda F, A: F.cross_entropy(
            A(x), A(np.ones((3, 5), f32)), weight=A(np.ones(2, f32))),
        "weight dtype": lambda F, A: F.cross_entropy(A(x), A(t), weight=A(np.ones(5))),
        "integer logits": lambda F, A: F.cross_entropy(A(np.ones((3, 5), int)), A(t)),
        "bad reduction": lambda F, A: F.cross_entropy(A(x), A(t), reduction="foo"),
        "bad reduction mse": lambda F, A: F.mse_loss(A(x), A(x), reduction="foo"),
        "bad reduction weighted": lambda F, A: F.mse_loss(A(x), A(x), weight=A(x),
                                                          reduction="foo"),
        "bad reduction kl_div": lambda F, A: F.kl_div(A(x), A(x), reduction="foo"),
        "ignore_index float": lambda F, A: F.nll_loss(A(x), A(t), ignore_index=1.5),
        "label_smoothing str": lambda F, A: F.cross_entropy(A(x), A(t), label_smoothing="a"),
        "broadcast": lambda F, A: F.mse_loss(A(np.ones((3, 2), f32)), A(np.ones(4, f32))),
        "integer mse": lambda F, A: F.mse_loss(A(np.ones(3, int)), A(np.ones(3, int))),
        "integer l1": lambda F, A: F.l1_loss(A(np.ones(3, int)), A(np.ones(3, int))),
        "integer smooth_l1": lambda F, A: F.smooth_l1_loss(A(np.ones(3, int)),
                                                           A(np.ones(3, int))),
        "integer huber": lambda F, A: F.huber_loss(A(np.ones(3, int)), A(np.ones(3, int))),
        "weight size mse": lambda F, A: F.mse_loss(A(x), A(x), weight=A(np.ones(2, f32))),
        "negative beta": lambda F, A: F.smooth_l1_loss(A(x), A(x), beta=-1.0),
        "zero delta": lambda F, A: F.huber_loss(A(x), A(x), delta=0.0),
        "bce input range": lambda F, A: F.binary_cross_entropy(A(x), A(np.abs(x) / 9)),
        "bce nan input": lambda F, A: F.binary_cross_entropy(
            A(np.array([np.nan], f32)), A(np.ones(1, f32))),
        "bce target range": lambda F, A: F.binary_cross_entropy(
            A(np.full(3, 0.5, f32)), A(np.full(3, 2.0, f32))),
        "bce size": lambda F, A: F.binary_cross_entropy(A(np.full(3, .5, f32)),
                                                        A(np.full((3, 1), .5, f32))),
        "bce weight enlarges": lambda F, A: F.binary_cross_entropy(
            A(np.full(3, .5, f32)), A(np.full(3, .5, f32)), weight=A(np.ones((2, 3), f32))),
        "bce weight size": lambda F, A: F.binary_cross_entropy(
            A(np.full(3, .5, f32)), A(np.full(3, .5, f32)), weight=A(np.ones(2, f32))),
        "bce target dtype": lambda F, A: F.binary_cross_entropy(
            A(np.full(3, .5, f32)), A(np.ones(3, int))),
        "bce mixed dtype": lambda F, A: F.binary_cross_entropy(
            A(np.full(3, .5, f32)), A(np.full(3, .5))),
        "bce logits size": lambda F, A: F.binary_cross_entropy_with_logits(
            A(np.ones(3, f32)), A(np.ones((3, 1), f32))),
        "pos_weight size": lambda F, A: F.binary_cross_entropy_with_logits(
            A(np.ones((3, 2), f32)), A(np.ones((3, 2), f32)), pos_weight=A(np.ones(3, f32))),
        "pos_weight enlarges": lambda F, A: F.binary_cross_entropy_with_logits(
            A(np.ones((3, 2), f32)), A(np.ones((3, 2), f32)),
            pos_weight=A(np.ones((4, 3, 2), f32))),
        "bce logits integer target": lambda F, A: F.binary_cross_entropy_with_logits(
            A(np.ones(3, f32)), A(np.ones(3, int))),
        "kl_div integer": lambda F, A: F.kl_div(A(np.ones(3, f32)), A(np.ones(3, int))),
        "kl_div log_target int": lambda F, A: F.kl_div(A(x), A(x), reduction="sum",
                                                       log_target=1),
        "huber integer input": lambda F, A: F.huber_loss(A(np.ones(3, int)), A(x[0, :3])),
    }


@pytest.mark.parametrize("label", sorted(_errors(None)))
def test_errors_match_torch(torch, label):
    call = _errors(torch)[label]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_like(lambda: call(torch.nn.functional, lambda a: torch.from_numpy(np.array(a))),
                    lambda: call(F, lambda a: a))


def test_inputs_are_not_modified():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    t = np.array([0, 2, 1, 1])
    kept = x.copy(), t.copy()
    F.cross_entropy(x, t, label_smoothing=0.2)
    F.mse_loss(x, x[::-1])
    np.testing.assert_array_equal(x, kept[0])
    np.testing.assert_array_equal(t, kept[1])
