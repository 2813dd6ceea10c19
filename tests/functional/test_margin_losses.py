"""The margin, embedding and likelihood losses (F and nn forms) against torch: seeded
sweeps over their arguments and reductions, gradients, torch's errors and warnings,
module reprs; and a torch-free check against numpy formulas."""
import itertools
import math
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from torch_compare import raises_like

RTOL = {np.float32: 1e-5, np.float64: 1e-12}
REDUCTIONS = ("none", "mean", "sum")


def _cases(rng, dtype):
    """(name, positional arrays, keyword arguments, indices of the arrays that take a
    gradient in torch); arrays are numpy, the kwargs may hold arrays too."""
    def f(*shape):
        return np.asarray(rng.standard_normal(shape), dtype)

    def sign(*shape):
        return np.asarray(np.sign(rng.standard_normal(shape)), dtype)

    def pos(*shape):
        return np.asarray(rng.random(shape) + 0.1, dtype)

    cases = []
    for margin, shapes in itertools.product((0.0, 0.5), (((6, 4),) * 3, ((5,),) * 3,
                                                         ((3, 4), (1, 4), (3, 1)), ((),) * 3)):
        cases.append(("margin_ranking_loss", [f(*shapes[0]), f(*shapes[1]), sign(*shapes[2])],
                      dict(margin=margin), (0, 1, 2)))
    for margin, shape in itertools.product((1.0, 0.3), ((6, 4), (7,), ())):
        y = sign(*shape)
        if y.ndim:
            y.reshape(-1)[::3] = 0.5                       # neither 1 nor -1: both terms
        cases.append(("hinge_embedding_loss", [f(*shape), y], dict(margin=margin), (0,)))
    for margin in (0.0, 0.4, -0.2):
        cases.append(("cosine_embedding_loss", [f(6, 5), f(6, 5), sign(6)],
                      dict(margin=margin), (0, 1)))
        cases.append(("cosine_embedding_loss", [f(5), f(5), sign()], dict(margin=margin),
                      (0, 1)))
    for p, swap, shapes in itertools.product(
            (1, 2, 3, 1.5, math.inf), (False, True), (((6, 5),) * 3, ((5,),) * 3,
                                                      ((2, 3, 4),) * 3, ((4, 5), (1, 5),
                                                                         (4, 5)))):
        cases.append(("triplet_margin_loss", [f(*s) for s in shapes],
                      dict(p=p, swap=swap, margin=0.7, eps=1e-3), (0, 1, 2)))
    for swap, shape in itertools.product((False, True), ((6, 5), (5,))):
        cases.append(("triplet_margin_with_distance_loss", [f(*shape), f(*shape), f(*shape)],
                      dict(swap=swap, margin=2.0), (0, 1, 2)))
    for shape, tshape in (((6, 4), (6, 4)), ((6, 4), (4,)), ((5,), (5,)), ((), ())):
        cases.append(("soft_margin_loss", [f(*shape) * 3, sign(*tshape)], {}, (0,)))
    for weight, shape in itertools.product((False, True), ((6, 4), (4,))):
        kw = dict(weight=pos(4)) if weight else {}
        cases.append(("multilabel_soft_margin_loss",
                      [f(*shape), (rng.random(shape) > 0.5).astype(dtype)], kw, (0, 1)))
    rows = np.array([[0, 2, -1, 1, 3], [3, -1, 0, 0, 4], [-1, 1, 2, 3, 0], [1, 2, 3, 0, 4],
                     [2, 2, -1, 0, 0], [4, 3, 2, 1, 0]])
    cases.append(("multilabel_margin_loss", [f(6, 5), rows], {}, (0,)))
    cases.append(("multilabel_margin_loss", [f(5), rows[0]], {}, (0,)))
    cases.append(("multilabel_margin_loss", [f(0, 5), rows[:0]], {}, (0,)))
    cases.append(("multilabel_margin_loss", [f(), np.array([0])], {}, (0,)))
    cases.append(("multilabel_margin_loss", [f(), np.array(-1)], {}, (0,)))
    target = np.array([0, 3, 1, 2, 4, 4])
    for p, margin, weight in itertools.product((1, 2), (1.0, 0.3), (False, True)):
        kw = dict(p=p, margin=margin, **(dict(weight=pos(5)) if weight else {}))
        cases.append(("multi_margin_loss", [f(6, 5), target], kw, (0,)))
        cases.append(("multi_margin_loss", [f(5), target[1:2]], kw, (0,)))
        cases.append(("multi_margin_loss", [f(5), target[1]], kw, (0,)))
    cases.append(("multi_margin_loss", [f(), np.array(0)], {}, (0,)))
    counts = rng.poisson(2.0, (6, 4)).astype(dtype)
    for log_input, full in itertools.product((True, False), repeat=2):
        x = f(6, 4) if log_input else pos(6, 4) * 3
        cases.append(("poisson_nll_loss", [x, counts],
                      dict(log_input=log_input, full=full, eps=1e-6), (0, 1)))
    cases.append(("poisson_nll_loss", [f(5), pos(5) * 4], dict(full=True), (0, 1)))
    for var_shape, full in itertools.product(((6, 4), (6,), (6, 1), (1, 4)), (False, True)):
        var = pos(*var_shape)
        var.reshape(-1)[::3] = 1e-8                        # clamped at eps
        cases.append(("gaussian_nll_loss", [f(6, 4), f(6, 4), var],
                      dict(full=full, eps=1e-3), (0, 1, 2)))
    cases.append(("gaussian_nll_loss", [f(5), f(5), 0.7], {}, (0, 1)))
    cases.append(("gaussian_nll_loss", [f(3, 2, 4), f(3, 2, 4), pos(3, 1, 4)], {},
                  (0, 1, 2)))
    return cases


def _empty_batch(name, arrays):
    return name.startswith("multi") and arrays[0].ndim == 2 and arrays[0].shape[0] == 0


def _to(lib, value, grad=False):
    if isinstance(value, (np.ndarray, np.generic)):
        value = np.asarray(value)
        if lib.__name__ == "torch":
            return lib.tensor(value, requires_grad=grad)
        return fastnn.tensor(value, requires_grad=grad)
    return value


def _call(lib, name, arrays, kwargs, reduction, grads=()):
    args = [_to(lib, a, i in grads) for i, a in enumerate(arrays)]
    kw = {k: _to(lib, v) for k, v in kwargs.items()}
    fn = getattr(lib.nn.functional, name)
    return fn(*args, **kw, reduction=reduction), args


def _compare(got, want, rtol, label=""):
    assert isinstance(got, fastnn.Tensor), type(got)
    want = want.detach().numpy()
    got = np.asarray(got.detach())
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape,
                                                                 got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, equal_nan=True,
                               err_msg=label)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_sweep(torch, dtype):
    for name, arrays, kwargs, _ in _cases(np.random.default_rng(1), dtype):
        for reduction in REDUCTIONS:
            if reduction != "none" and _empty_batch(name, arrays):
                # torch's kernel returns uninitialised memory here; fastnn gives 0
                assert float(_call(fastnn, name, arrays, kwargs, reduction)[0]) == 0
                continue
            want, _ = _call(torch, name, arrays, kwargs, reduction)
            got, _ = _call(fastnn, name, arrays, kwargs, reduction)
            _compare(got, want, RTOL[dtype], f"{name} {kwargs} {reduction}")


def test_gradients(torch):
    rng = np.random.default_rng(2)
    for name, arrays, kwargs, grads in _cases(rng, np.float64):
        for reduction in REDUCTIONS:
            if reduction != "none" and _empty_batch(name, arrays):
                continue
            want, targs = _call(torch, name, arrays, kwargs, reduction, grads)
            got, fargs = _call(fastnn, name, arrays, kwargs, reduction, grads)
            seed = rng.standard_normal(want.shape)
            want.backward(torch.from_numpy(seed))
            got.backward(fastnn.tensor(seed))
            for i in grads:
                if targs[i].grad is None:       # torch's output did not reach it
                    continue
                assert fargs[i].grad is not None, (name, i)
                np.testing.assert_allclose(np.asarray(fargs[i].grad), targs[i].grad.numpy(),
                                           rtol=1e-10, atol=1e-10, equal_nan=True,
                                           err_msg=f"{name} {kwargs} input {i}")


def test_custom_distance_and_module_forms(torch):
    rng = np.random.default_rng(3)
    a, p, n = (rng.standard_normal((5, 4)) for _ in range(3))
    T, A = torch.from_numpy, fastnn.tensor

    def l1(lib):
        return lambda x, y: (x - y).abs().sum(-1)

    want = torch.nn.functional.triplet_margin_with_distance_loss(
        T(a), T(p), T(n), distance_function=l1(torch), swap=True, reduction="none")
    got = F.triplet_margin_with_distance_loss(A(a), A(p), A(n), distance_function=l1(fastnn),
                                              swap=True, reduction="none")
    _compare(got, want, 1e-12)
    w = rng.random(4)
    t = np.array([0, 3, 1, 2, 2])
    rows = np.array([[0, 2, -1, 1], [3, -1, 0, 0], [-1, 1, 2, 3], [1, 2, 3, 0], [2, -1, 0, 0]])
    s = np.sign(rng.standard_normal(5))
    pairs = [
        ("MarginRankingLoss", dict(margin=0.2), (a[:, 0], p[:, 0], s)),
        ("HingeEmbeddingLoss", dict(margin=0.5, reduction="sum"), (a, np.sign(p))),
        ("CosineEmbeddingLoss", dict(margin=0.1), (a, p, s)),
        ("TripletMarginLoss", dict(margin=0.5, p=1.0, eps=1e-4, swap=True), (a, p, n)),
        ("TripletMarginWithDistanceLoss", dict(margin=0.5, swap=True), (a, p, n)),
        ("SoftMarginLoss", dict(reduction="none"), (a, np.sign(p))),
        ("MultiLabelSoftMarginLoss", dict(weight=w), (a, (p > 0) * 1.0)),
        ("MultiLabelMarginLoss", {}, (a, rows)),
        ("MultiMarginLoss", dict(p=2, margin=0.5, weight=w), (a, t)),
        ("PoissonNLLLoss", dict(log_input=False, full=True), (np.abs(a), np.abs(p) * 3)),
        ("GaussianNLLLoss", dict(full=True, eps=1e-2), (a, p, np.abs(n[:, 0]))),
    ]
    for cls, kwargs, args in pairs:
        theirs = getattr(torch.nn, cls)(**{k: T(v) if isinstance(v, np.ndarray) else v
                                           for k, v in kwargs.items()})
        ours = getattr(nn, cls)(**{k: A(v) if isinstance(v, np.ndarray) else v
                                   for k, v in kwargs.items()})
        assert repr(ours) == repr(theirs)
        assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
        _compare(ours(*map(A, args)), theirs(*map(T, args)), 1e-12)


def test_legacy_arguments(torch):
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((2, 4, 3))
    s = np.sign(y)
    t = np.array([0, 2, 1, 1])
    calls = [("margin_ranking_loss", (x, y, s)), ("hinge_embedding_loss", (x, s)),
             ("cosine_embedding_loss", (x, y, s[:, 0])), ("triplet_margin_loss", (x, y, s)),
             ("soft_margin_loss", (x, s)), ("multilabel_soft_margin_loss", (x, (s > 0) * 1.0)),
             ("multilabel_margin_loss", (x, np.tile(t[:3], (4, 1)))),
             ("multi_margin_loss", (x, t)), ("poisson_nll_loss", (x, np.abs(y)))]
    for size_average, reduce in itertools.product((None, True, False), repeat=2):
        if size_average is None and reduce is None:
            continue
        for name, args in calls:
            with pytest.warns(UserWarning, match="size_average and reduce args will be "
                                                 "deprecated") as caught:
                got = getattr(F, name)(*args, size_average=size_average, reduce=reduce)
            assert caught[0].filename == __file__, name
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = getattr(torch.nn.functional, name)(
                    *map(torch.from_numpy, map(np.asarray, args)), size_average=size_average,
                    reduce=reduce)
            _compare(got, want, 1e-12)
    with pytest.warns(UserWarning, match="elementwise_mean") as caught:
        F.soft_margin_loss(x, s, reduction="elementwise_mean")
    assert caught[0].filename == __file__
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MultiMarginLoss(size_average=False).reduction == "sum"


def _errors():
    """(label, call(lib, tensor maker)) pairs that raise in torch and in fastnn."""
    x = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    t3, rows = np.array([0, 1, 2]), np.array([[0, 1, -1, 3]] * 3)
    return [
        ("reduction", lambda L, T: L.nn.functional.hinge_embedding_loss(T(x), T(x), reduction="x")),
        ("mrl dims", lambda L, T: L.nn.functional.margin_ranking_loss(T(x), T(x[0]), T(x))),
        ("mrl broadcast", lambda L, T: L.nn.functional.margin_ranking_loss(
            T(x), T(x[:, :3]), T(x))),
        ("hinge broadcast", lambda L, T: L.nn.functional.hinge_embedding_loss(
            T(x), T(np.ones(5, np.float32)))),
        ("cos target 2d", lambda L, T: L.nn.functional.cosine_embedding_loss(
            T(x), T(x), T(np.ones((3, 1), np.float32)))),
        ("cos 1d target", lambda L, T: L.nn.functional.cosine_embedding_loss(
            T(x), T(x[0]), T(np.ones(3, np.float32)))),
        ("cos 0d target", lambda L, T: L.nn.functional.cosine_embedding_loss(
            T(x), T(x), T(np.ones((), np.float32)))),
        ("triplet dims", lambda L, T: L.nn.functional.triplet_margin_loss(T(x), T(x), T(x[0]))),
        ("triplet margin", lambda L, T: L.nn.functional.triplet_margin_loss(
            T(x), T(x), T(x), margin=0)),
        ("triplet reduction", lambda L, T: L.nn.functional.triplet_margin_loss(
            T(x), T(x), T(x), margin=0, reduction="x")),
        ("tmwd dims", lambda L, T: L.nn.functional.triplet_margin_with_distance_loss(
            T(x), T(x), T(x[0]))),
        ("tmwd margin", lambda L, T: L.nn.functional.triplet_margin_with_distance_loss(
            T(x), T(x), T(x), margin=-1.0)),
        ("tmwd reduction", lambda L, T: L.nn.functional.triplet_margin_with_distance_loss(
            T(x), T(x), T(x), reduction="elementwise_mean")),
        ("soft output", lambda L, T: L.nn.functional.soft_margin_loss(
            T(x), T(np.ones((2, 3, 4), np.float32)))),
        ("soft broadcast", lambda L, T: L.nn.functional.soft_margin_loss(
            T(x), T(np.ones(5, np.float32)))),
        ("soft long", lambda L, T: L.nn.functional.soft_margin_loss(
            T(x.astype(np.int64)), T(np.ones(4, np.float32)))),
        ("mlsm reduction", lambda L, T: L.nn.functional.multilabel_soft_margin_loss(
            T(x), T(x), reduction="bad")),
        ("mlm range", lambda L, T: L.nn.functional.multilabel_margin_loss(
            T(x), T(np.array([[0, 1, -1, 5]] * 3)))),
        ("mlm range low", lambda L, T: L.nn.functional.multilabel_margin_loss(
            T(x), T(np.array([[0, -2, -1, 3]] * 3)))),
        ("mlm int", lambda L, T: L.nn.functional.multilabel_margin_loss(
            T(x), T(rows.astype(np.int32)))),
        ("mlm float target", lambda L, T: L.nn.functional.multilabel_margin_loss(
            T(x), T(rows.astype(np.float32)))),
        ("mlm long input", lambda L, T: L.nn.functional.multilabel_margin_loss(
            T(x.astype(np.int64)), T(rows))),
        ("mlm size", lambda L, T: L.nn.functional.multilabel_margin_loss(T(x), T(rows[:1]))),
        ("mlm size 1d", lambda L, T: L.nn.functional.multilabel_margin_loss(
            T(x[0]), T(rows[0, :3]))),
        ("mlm 3d", lambda L, T: L.nn.functional.multilabel_margin_loss(
            T(x[None]), T(rows))),
        ("mlm empty", lambda L, T: L.nn.functional.multilabel_margin_loss(
            T(x[:, :0]), T(rows[:, :0]))),
        ("mm range", lambda L, T: L.nn.functional.multi_margin_loss(T(x), T(np.array([0, 1, 4])))),
        ("mm negative", lambda L, T: L.nn.functional.multi_margin_loss(
            T(x), T(np.array([0, 1, -1])))),
        ("mm int", lambda L, T: L.nn.functional.multi_margin_loss(T(x), T(t3.astype(np.int32)))),
        ("mm double target", lambda L, T: L.nn.functional.multi_margin_loss(
            T(x), T(t3.astype(np.float64)))),
        ("mm target size", lambda L, T: L.nn.functional.multi_margin_loss(T(x), T(t3[:2]))),
        ("mm target 2d", lambda L, T: L.nn.functional.multi_margin_loss(T(x), T(t3[None]))),
        ("mm p", lambda L, T: L.nn.functional.multi_margin_loss(T(x), T(t3), p=3)),
        ("mm weight dim", lambda L, T: L.nn.functional.multi_margin_loss(
            T(x), T(t3), weight=T(np.ones((1, 4), np.float32)))),
        ("mm weight size", lambda L, T: L.nn.functional.multi_margin_loss(
            T(x), T(t3), weight=T(np.ones(3, np.float32)))),
        ("mm weight dtype", lambda L, T: L.nn.functional.multi_margin_loss(
            T(x), T(t3), weight=T(np.ones(4)))),
        ("mm long input", lambda L, T: L.nn.functional.multi_margin_loss(
            T(x.astype(np.int64)), T(t3))),
        ("mm 3d", lambda L, T: L.nn.functional.multi_margin_loss(
            T(np.zeros((2, 3, 4), np.float32)), T(t3[:2]))),
        ("poisson reduction", lambda L, T: L.nn.functional.poisson_nll_loss(
            T(x), T(x), reduction="bad")),
        ("gauss size", lambda L, T: L.nn.functional.gaussian_nll_loss(
            T(x), T(x), T(np.ones((3, 2), np.float32)))),
        ("gauss size 2", lambda L, T: L.nn.functional.gaussian_nll_loss(
            T(x), T(x), T(np.ones((1, 1), np.float32)))),
        ("gauss negative float", lambda L, T: L.nn.functional.gaussian_nll_loss(
            T(x), T(x), -1.0)),
        ("gauss negative", lambda L, T: L.nn.functional.gaussian_nll_loss(
            T(x), T(x), T(-np.ones(3, np.float32)))),
        ("gauss int var", lambda L, T: L.nn.functional.gaussian_nll_loss(T(x), T(x), 1)),
        ("gauss reduction", lambda L, T: L.nn.functional.gaussian_nll_loss(
            T(x), T(x), T(np.ones(3, np.float32)), reduction="bad")),
        ("TripletMarginLoss margin", lambda L, T: L.nn.TripletMarginLoss(margin=0.0)),
        ("TMWDL margin", lambda L, T: L.nn.TripletMarginWithDistanceLoss(margin=0)),
        ("MultiMarginLoss p", lambda L, T: L.nn.MultiMarginLoss(p=3)),
        ("MultiMarginLoss weight", lambda L, T: L.nn.MultiMarginLoss(
            weight=T(np.ones((2, 2), np.float32)))),
    ]


@pytest.mark.parametrize("label", [label for label, _ in _errors()])
def test_errors_match_torch(torch, label):
    call = dict(_errors())[label]
    raises_like(lambda: call(torch, lambda a: torch.from_numpy(np.array(a))),
                lambda: call(fastnn, lambda a: fastnn.tensor(np.array(a))))


def test_weight_requiring_grad_is_refused(torch):
    x = np.ones((3, 4))
    raises_like(lambda: torch.nn.functional.multi_margin_loss(
                    torch.tensor(x), torch.tensor([0, 1, 2]),
                    weight=torch.ones(4, dtype=torch.float64, requires_grad=True)),
                lambda: F.multi_margin_loss(fastnn.tensor(x), fastnn.tensor([0, 1, 2]),
                                            weight=fastnn.ones(4, dtype=fastnn.float64,
                                                               requires_grad=True)))


def test_against_numpy_formulas():
    """Torch-free: each loss on a small batch against its textbook formula."""
    rng = np.random.default_rng(6)
    x1, x2, x3 = rng.standard_normal((3, 4, 5))
    y = np.array([1.0, -1.0, 1.0, -1.0])

    def close(got, want):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)

    close(F.margin_ranking_loss(x1[:, 0], x2[:, 0], y, margin=0.1, reduction="none"),
          np.maximum(0, -y * (x1[:, 0] - x2[:, 0]) + 0.1))
    close(F.hinge_embedding_loss(x1[:, 0], y, margin=0.5, reduction="none"),
          np.where(y == 1, x1[:, 0], np.maximum(0, 0.5 - x1[:, 0])))
    cos = (x1 * x2).sum(1) / np.sqrt(((x1 ** 2).sum(1) + 1e-12) * ((x2 ** 2).sum(1) + 1e-12))
    close(F.cosine_embedding_loss(x1, x2, y, margin=0.2, reduction="none"),
          np.where(y == 1, 1 - cos, np.maximum(0, cos - 0.2)))
    d_ap = np.linalg.norm(x1 - x2 + 1e-6, axis=1)
    d_an = np.linalg.norm(x1 - x3 + 1e-6, axis=1)
    d_pn = np.linalg.norm(x2 - x3 + 1e-6, axis=1)
    close(F.triplet_margin_loss(x1, x2, x3, swap=True, reduction="none"),
          np.maximum(0, 1 + d_ap - np.minimum(d_an, d_pn)))
    close(F.triplet_margin_with_distance_loss(x1, x2, x3, reduction="sum"),
          np.maximum(0, 1 + d_ap - d_an).sum())
    close(F.soft_margin_loss(x1, np.sign(x2), reduction="none"),
          np.log1p(np.exp(-x1 * np.sign(x2))))
    t = (x2 > 0) * 1.0
    sig = 1 / (1 + np.exp(-x1))
    close(F.multilabel_soft_margin_loss(x1, t, reduction="none"),
          -(t * np.log(sig) + (1 - t) * np.log(1 - sig)).mean(1))
    target = np.array([3, 0, 4, 1])
    want = []
    for row, c in zip(x1, target):
        z = np.maximum(0, 1 - row[c] + row) ** 2 * 0.5
        want.append((z.sum() - z[c]) / 5)
    close(F.multi_margin_loss(x1, target, p=2, weight=np.full(5, 0.5), reduction="none"),
          np.array(want))
    rows = np.array([[3, 0, -1, 2, 2], [1, -1, 0, 0, 0], [-1, 0, 0, 0, 0], [0, 1, 2, 3, 4]])
    want = []
    for row, labels in zip(x1, rows):
        labels = list(labels[:list(labels).index(-1)] if -1 in labels else labels)
        others = [i for i in range(5) if i not in labels]
        want.append(sum(max(0, 1 - row[j] + row[i]) for j in labels for i in others) / 5)
    close(F.multilabel_margin_loss(x1, rows, reduction="none"), np.array(want))
    counts = np.array([0.0, 1.0, 2.0, 5.0])[:, None] * np.ones(5)
    stirling = np.where(counts > 1, counts * np.log(np.maximum(counts, 1)) - counts
                        + 0.5 * np.log(2 * np.pi * np.maximum(counts, 1)), 0)
    close(F.poisson_nll_loss(x1, counts, full=True, reduction="none"),
          np.exp(x1) - counts * x1 + stirling)
    var = np.abs(x3[:, :1])
    close(F.gaussian_nll_loss(x1, x2, var[:, 0], reduction="none"),
          0.5 * (np.log(np.maximum(var, 1e-6)) + (x1 - x2) ** 2 / np.maximum(var, 1e-6)))


def test_gradients_at_ties(torch):
    """Where a hinge is exactly at its kink: clamp_min passes the gradient (torch's
    autograd), the class-index kernels count only strictly positive terms."""
    cases = [
        ("margin_ranking_loss", [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, -1.0, 1.0]], {}),
        ("hinge_embedding_loss", [[1.0, 2.0, 3.0], [-1.0, 1.0, -1.0]], dict(margin=2.0)),
        ("multi_margin_loss", [[[1.0, 2.0, 1.0]], np.array([0])], dict(margin=0.0)),
        ("multilabel_margin_loss", [[[1.0, 0.0, 1.0]], np.array([[0, -1, 0]])], {}),
    ]
    for name, values, kwargs in cases:
        grads = []
        for lib in (torch, fastnn):
            args = [lib.tensor(v) if isinstance(v, np.ndarray)
                    else lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in values]
            getattr(lib.nn.functional, name)(*args, **kwargs, reduction="sum").backward()
            grads.append([np.asarray(a.grad) for a in args if a.requires_grad])
        for got, want in zip(grads[1], grads[0]):
            np.testing.assert_array_equal(got, want, err_msg=name)
