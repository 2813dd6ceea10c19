"""fastnn.histc, cov and corrcoef (and their Tensor methods) against torch: seeded sweeps,
dtypes, gradients of cov/corrcoef, histc's absent gradient and every error path."""
import warnings

import numpy as np
import pytest
import torch

import fastnn

TOL = {np.float32: 1e-5, np.float64: 1e-10}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_histc_sweep(dtype):
    rng = np.random.default_rng(1)
    for trial in range(60):
        shape = [(), (0,), (7,), (3, 5), (2, 3, 4)][trial % 5]
        x = np.asarray((rng.standard_normal(shape) * 3).round(int(rng.integers(0, 3))), dtype)
        bins = int(rng.integers(1, 12))
        kwargs = {}
        if trial % 3:
            low = float(rng.uniform(-4, 1))
            kwargs = dict(min=low, max=low + float(rng.choice([0.0, 0.5, 3.0])))
        if trial % 7 == 0:
            kwargs = dict(min=int(rng.integers(-3, 0)), max=int(rng.integers(0, 3)))
        expected = torch.histc(torch.from_numpy(x), bins, **kwargs)
        got = fastnn.histc(fastnn.tensor(x), bins, **kwargs)
        method = fastnn.tensor(x).histc(bins, **kwargs)
        assert got.dtype == np.dtype(dtype) and got.shape == (bins,)
        np.testing.assert_array_equal(np.asarray(got), expected.numpy(), err_msg=str(kwargs))
        np.testing.assert_array_equal(np.asarray(method), expected.numpy())


def test_histc_edges_constant_empty_and_out():
    for values, args in [([0.0, 1, 2, 3, 4], (4, 0, 4)), ([0.1, 0.2, 0.3, 0.7], (3, 0.1, 0.7)),
                         ([1.0, 1.0], (4,)), ([], (4,)), ([1.0, 2, 1, 4, 2.5], (4, 1, 1)),
                         ([1.0, float("nan")], (4, 0, 3)), ([1.0, float("inf")], (4, 0, 3)),
                         ([-5.0, 0.5, 9], (2, 0, 1))]:
        x = np.array(values, np.float32)
        expected = torch.histc(torch.from_numpy(x), *args)
        np.testing.assert_array_equal(np.asarray(fastnn.histc(fastnn.tensor(x), *args)),
                                      expected.numpy())
    out = fastnn.zeros(3)
    result = fastnn.histc(fastnn.tensor([0.0, 1.0, 2.0]), 3, out=out)
    assert result is out and np.asarray(out).tolist() == [1.0, 1.0, 1.0]


def test_histc_is_not_differentiable():
    x = fastnn.randn(5, requires_grad=True)
    t = torch.randn(5, requires_grad=True)
    got, expected = fastnn.histc(x, 4), torch.histc(t, 4)
    assert got.requires_grad is expected.requires_grad is False
    with pytest.raises(RuntimeError) as theirs:
        expected.sum().backward()
    with pytest.raises(RuntimeError) as ours:
        got.sum().backward()
    assert str(ours.value) == str(theirs.value)


def _raises_alike(call):
    with pytest.raises(Exception) as expected:
        call(torch, torch.tensor)
    with pytest.raises(Exception) as got:
        call(fastnn, fastnn.tensor)
    assert type(got.value) is type(expected.value)
    assert str(got.value) == str(expected.value)


X = [1.0, 2.0, 1.0, 4.0, 2.5]


@pytest.mark.parametrize("call", [
    lambda lib, t: lib.histc(t(X, dtype=lib.int32), 4),
    lambda lib, t: lib.histc(t(X, dtype=lib.int64), 4),
    lambda lib, t: lib.histc(t(X, dtype=lib.bool), 4),
    lambda lib, t: lib.histc(t(X), 0),
    lambda lib, t: lib.histc(t(X), -1),
    lambda lib, t: lib.histc(t(X), 4, 3, 1),
    lambda lib, t: lib.histc(t([1.0, float("nan")]), 4),
    lambda lib, t: lib.histc(t([1.0, float("inf")]), 4),
    lambda lib, t: lib.histc(t(X), 4, 0, float("inf")),
    lambda lib, t: lib.histc(t(X), 4, float("nan"), 1),
    lambda lib, t: lib.histc(t(X), 4.5),
    lambda lib, t: lib.histc(t(X), 4, "0"),
    lambda lib, t: lib.histc(t(X), 4, 0, "1"),
    lambda lib, t: lib.histc([1.0, 2.0], 4),
    lambda lib, t: t(X).histc(4.5),
], ids=lambda c: "")
def test_histc_errors(call):
    _raises_alike(call)


def _weights(rng, n, dtype):
    fw = rng.integers(0, 4, size=n)
    fw[0] = max(fw[0], 1)
    aw = rng.uniform(0.1, 2.0, size=n).astype(dtype)
    return fw, aw


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cov_and_corrcoef_sweep_with_gradients(dtype):
    rng = np.random.default_rng(2)
    tol = TOL[dtype]
    for trial in range(30):
        shape = [(4,), (3, 6), (1, 5), (5, 2)][trial % 4]
        x = rng.standard_normal(shape).astype(dtype)
        n = shape[-1]
        fw, aw = _weights(rng, n, dtype)
        kwargs = {}
        if trial % 2:
            kwargs["correction"] = int(rng.integers(0, 3))
        if trial % 3 == 1:
            kwargs["fweights"] = fw
        if trial % 3 == 2 or trial % 5 == 0:
            kwargs["aweights"] = aw
        theirs = torch.from_numpy(x).requires_grad_()
        ours = fastnn.tensor(x, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = torch.cov(theirs, **{k: torch.from_numpy(np.asarray(v))
                                            if k != "correction" else v
                                            for k, v in kwargs.items()})
            got = fastnn.cov(ours, **{k: fastnn.tensor(v) if k != "correction" else v
                                      for k, v in kwargs.items()})
        assert got.dtype == np.dtype(dtype) and got.shape == tuple(expected.shape)
        np.testing.assert_allclose(np.asarray(got), expected.detach().numpy(), rtol=tol,
                                   atol=tol, err_msg=str(kwargs))
        g = rng.standard_normal(tuple(expected.shape)).astype(dtype)
        expected.backward(torch.from_numpy(g))
        got.backward(fastnn.tensor(g))
        np.testing.assert_allclose(np.asarray(ours.grad), theirs.grad.numpy(), rtol=tol,
                                   atol=tol)
        # corrcoef, function and method
        theirs = torch.from_numpy(x).requires_grad_()
        ours = fastnn.tensor(x, requires_grad=True)
        expected, got = torch.corrcoef(theirs), fastnn.corrcoef(ours)
        np.testing.assert_allclose(np.asarray(got), expected.detach().numpy(), rtol=tol,
                                   atol=tol)
        np.testing.assert_allclose(np.asarray(fastnn.tensor(x).corrcoef()),
                                   expected.detach().numpy(), rtol=tol, atol=tol)
        if expected.ndim:
            expected.sum().backward()
            got.sum().backward()
            np.testing.assert_allclose(np.asarray(ours.grad), theirs.grad.numpy(),
                                       rtol=10 * tol, atol=10 * tol)


def test_cov_dtypes_and_degenerate_cases():
    ints = np.array([[1, 2, 3, 4, 6], [0, 0, 1, 1, 1], [2, 2, 2, 2, 2]])
    for x, kwargs in [(ints, {}), (ints, dict(aweights=np.array([1.0, 2, 3, 1, 1], np.float32))),
                      (ints, dict(fweights=np.array([1, 2, 3, 1, 1]))),
                      (np.random.default_rng(4).standard_normal((3, 1)), {}),
                      (np.zeros((3, 0), np.float32), {}), (np.zeros((0, 3), np.float32), {}),
                      (np.float32(2.0), {}), (ints.astype(np.float32), dict(correction=6)),
                      (ints.astype(np.float32),
                       dict(fweights=np.array([1, 2, 3, 1, 1], np.int32)))]:
        with warnings.catch_warnings(record=True) as theirs_warned:
            warnings.simplefilter("always")
            expected = torch.cov(torch.tensor(x), **{k: torch.tensor(v)
                                                     for k, v in kwargs.items()
                                                     if k != "correction"},
                                 **{k: v for k, v in kwargs.items() if k == "correction"})
        with warnings.catch_warnings(record=True) as ours_warned:
            warnings.simplefilter("always")
            got = fastnn.cov(fastnn.tensor(x), **{k: fastnn.tensor(v)
                                                  for k, v in kwargs.items()
                                                  if k != "correction"},
                             **{k: v for k, v in kwargs.items() if k == "correction"})
        # torch's message goes on with where in its C++ it was raised
        assert len(ours_warned) == len(theirs_warned)
        assert all(str(t.message).startswith(str(o.message))
                   for o, t in zip(ours_warned, theirs_warned))
        assert got.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
        np.testing.assert_allclose(np.asarray(got), expected.numpy(), rtol=1e-6, atol=1e-6)
    for x in [ints, np.ones((2, 3), np.float32), np.zeros((3, 1), np.float32)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = torch.corrcoef(torch.tensor(x))
            got = fastnn.corrcoef(fastnn.tensor(x))
        assert got.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
        np.testing.assert_allclose(np.asarray(got), expected.numpy(), rtol=1e-6, atol=1e-6)


Y = np.random.default_rng(5).standard_normal((3, 5)).astype(np.float32)


@pytest.mark.parametrize("call", [
    lambda lib, t: lib.cov(t(np.zeros((2, 2, 2), np.float32))),
    lambda lib, t: lib.cov(t(Y > 0)),
    lambda lib, t: lib.cov(t(Y), correction=1.5),
    lambda lib, t: lib.cov(t(Y), correction=True),
    lambda lib, t: lib.cov(t(Y), correction="a"),
    lambda lib, t: lib.cov(t(Y), fweights=t([1.0, 2, 3, 1, 1])),
    lambda lib, t: lib.cov(t(Y), fweights=t([1, -2, 3, 1, 1])),
    lambda lib, t: lib.cov(t(Y), fweights=t([1, 2, 3, 1])),
    lambda lib, t: lib.cov(t(Y), fweights=t([[1, 2, 3, 1, 1]])),
    lambda lib, t: lib.cov(t(Y), fweights=[1, 2, 3, 1, 1]),
    lambda lib, t: lib.cov(t(Y), fweights=t([0, 0, 0, 0, 0])),
    lambda lib, t: lib.cov(t(Y), aweights=t([1, 2, 3, 1, 1])),
    lambda lib, t: lib.cov(t(Y), aweights=t([1.0, -2, 3, 1, 1])),
    lambda lib, t: lib.cov(t(Y), aweights=t([1.0, 2, 3, 1])),
    lambda lib, t: lib.cov(t(Y), aweights=t([[1.0, 2, 3, 1, 1]])),
    lambda lib, t: lib.cov(t(Y), aweights=[1.0, 2, 3, 1, 1]),
    lambda lib, t: lib.cov([1.0, 2.0]),
    lambda lib, t: t(Y).cov(correction=0.5),
    lambda lib, t: lib.corrcoef(t(np.zeros((2, 2, 2), np.float32))),
    lambda lib, t: lib.corrcoef(t(Y > 0)),
    lambda lib, t: lib.corrcoef([1.0, 2.0]),
], ids=lambda c: "")
def test_cov_corrcoef_errors(call):
    _raises_alike(call)
