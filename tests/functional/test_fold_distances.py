"""F.unfold/F.fold, F.rms_norm, F.cosine_similarity/F.pairwise_distance/F.pdist and their
modules against torch: values, float64 gradients, errors in torch's words, reprs."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from torch_compare import raises_like


def _grads(torch, ours, theirs, *arrays):
    xs = [fastnn.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    r, t = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(np.asarray(r), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(9).standard_normal(t.shape)
    (r * fastnn.tensor(g)).sum().backward()
    (t * torch.tensor(g)).sum().backward()
    for x, tx in zip(xs, ts):
        np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unfold_fold_sweep(torch, dtype):
    rng = np.random.default_rng(0)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for _ in range(25):
        k, d, p, s = (tuple(int(v) for v in rng.integers(lo, hi, 2))
                      for lo, hi in ((1, 4), (1, 3), (0, 3), (1, 3)))
        shape = (int(rng.integers(0, 3)), int(rng.integers(1, 4)), int(rng.integers(6, 9)),
                 int(rng.integers(6, 9)))
        x = rng.standard_normal(shape[int(rng.integers(0, 2)):]).astype(dtype)
        got = F.unfold(x, k, d, p, s)
        want = torch.nn.functional.unfold(torch.from_numpy(x), k, d, p, s)
        np.testing.assert_allclose(got, want.numpy(), **tol)
        c = rng.standard_normal(tuple(want.shape)).astype(dtype)
        got = nn.Fold(shape[2:], k, d, p, s)(c)
        want = torch.nn.functional.fold(torch.from_numpy(c), shape[2:], k, d, p, s)
        np.testing.assert_allclose(got, want.numpy(), **tol)


def test_unfold_fold_grads(torch):
    rng = np.random.default_rng(1)
    _grads(torch, lambda x: F.unfold(x, 3, 1, 1, 2),
           lambda x: torch.nn.functional.unfold(x, 3, 1, 1, 2), rng.standard_normal((2, 3, 5, 6)))
    _grads(torch, lambda c: F.fold(c, (5, 6), 3, 1, 1, 2),
           lambda c: torch.nn.functional.fold(c, (5, 6), 3, 1, 1, 2),
           rng.standard_normal((2, 27, 9)))


@pytest.mark.parametrize("call", [
    lambda m, t: m.nn.functional.unfold(t(5, 5), 2),
    lambda m, t: m.nn.functional.unfold(t(1, 2, 3, 5, 5), 2),
    lambda m, t: m.nn.functional.unfold(t(2, 3, 5, 5), (2, 2, 2)),
    lambda m, t: m.nn.functional.unfold(t(2, 3, 5, 5), (2, 0)),
    lambda m, t: m.nn.functional.unfold(t(2, 3, 5, 5), 2, stride=0),
    lambda m, t: m.nn.functional.unfold(t(2, 3, 5, 5), 2, dilation=0),
    lambda m, t: m.nn.functional.unfold(t(2, 3, 5, 5), 2, padding=-1),
    lambda m, t: m.nn.functional.unfold(t(2, 3, 5, 5), (1, 6)),
    lambda m, t: m.nn.functional.unfold(t(2, 3, 5, 5), 2.0),
    lambda m, t: m.nn.functional.unfold(t(2, 0, 5, 5), 2),
    lambda m, t: m.nn.functional.fold(t(16), (5, 5), 2),
    lambda m, t: m.nn.functional.fold(t(2, 12, 16), (5, 5), 3),
    lambda m, t: m.nn.functional.fold(t(2, 12, 16), (6, 6), 2),
    lambda m, t: m.nn.functional.fold(t(2, 12, 16), (5, 5, 5), 2),
    lambda m, t: m.nn.functional.fold(t(2, 12, 0), (5, 5), 2),
    lambda m, t: m.nn.functional.rms_norm(t(2, 3, 4), 4),
    lambda m, t: m.nn.functional.rms_norm(t(2, 3, 4), (5,)),
    lambda m, t: m.nn.functional.rms_norm(t(2, 3, 4), (2, 4)),
    lambda m, t: m.nn.functional.rms_norm(t(2, 3, 4), ()),
    lambda m, t: m.nn.functional.rms_norm(t(2, 3, 4), (4,), t(3)),
    lambda m, t: m.nn.functional.rms_norm(t(3, 4), (2, 3, 4)),
    lambda m, t: m.nn.functional.cosine_similarity(t(3, 4), t(3, 5)),
    lambda m, t: m.nn.functional.cosine_similarity(t(3, 4), t(3, 4), dim=2),
    lambda m, t: m.nn.functional.pairwise_distance(t(3, 4), t(3, 5)),
    lambda m, t: m.nn.functional.pdist(t(3)),
    lambda m, t: m.nn.functional.pdist(t(2, 3, 4)),
    lambda m, t: m.nn.functional.pdist(t(3, 4), p=-1),
])
def test_errors(torch, call):
    raises_like(lambda: call(torch, torch.randn), lambda: call(fastnn, fastnn.randn))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rms_norm_sweep(torch, dtype):
    rng = np.random.default_rng(2)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    x = rng.standard_normal((2, 3, 4)).astype(dtype)
    w = rng.standard_normal((3, 4)).astype(dtype)
    for shape, weight, eps in (((4,), None, None), ((3, 4), w, 1e-3), ([3, 4], w, None)):
        got = F.rms_norm(x, shape, weight, eps)
        want = torch.nn.functional.rms_norm(
            torch.from_numpy(x), shape, None if weight is None else torch.from_numpy(weight),
            eps)
        np.testing.assert_allclose(got, want.numpy(), **tol)
    _grads(torch, lambda a, b: F.rms_norm(a, (3, 4), b),
           lambda a, b: torch.nn.functional.rms_norm(a, (3, 4), b),
           x.astype(np.float64), w.astype(np.float64))


def test_distances(torch):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    a[1] = 0
    for eps in (1e-8, 0.5):
        _grads(torch, lambda x, y: F.cosine_similarity(x, y, 1, eps),
               lambda x, y: torch.nn.functional.cosine_similarity(x, y, 1, eps), a, b)
    for p in (2.0, 1.0, 3.0, float("inf")):
        _grads(torch, lambda x, y: F.pairwise_distance(x, y, p, 1e-6, True),
               lambda x, y: torch.nn.functional.pairwise_distance(x, y, p, 1e-6, True), a, b)
    c = rng.standard_normal((5, 3))
    c[2] = c[0]
    for p in (2.0, 1.0, 0.0, 3.0):
        _grads(torch, lambda x: F.pdist(x, p), lambda x: torch.nn.functional.pdist(x, p), c)


def test_module_reprs_and_state(torch):
    pairs = [(nn.Fold((5, 5), 2), torch.nn.Fold((5, 5), 2)),
             (nn.Unfold((2, 3), 2, 1, (1, 2)), torch.nn.Unfold((2, 3), 2, 1, (1, 2))),
             (nn.RMSNorm(4), torch.nn.RMSNorm(4)),
             (nn.RMSNorm([3, 4], 1e-3, False), torch.nn.RMSNorm([3, 4], 1e-3, False)),
             (nn.CosineSimilarity(0, 1e-3), torch.nn.CosineSimilarity(0, 1e-3)),
             (nn.PairwiseDistance(1.0, 1e-3, True), torch.nn.PairwiseDistance(1.0, 1e-3, True))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_unfold_numpy_reference():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    cols = F.unfold(x, 2, stride=2)
    want = np.array([[0, 2, 8, 10], [1, 3, 9, 11], [4, 6, 12, 14], [5, 7, 13, 15]], float)
    np.testing.assert_array_equal(cols[0], want)
    np.testing.assert_array_equal(F.fold(cols, 4, 2, stride=2), x)
