"""movedim/moveaxis, narrow, unbind, tril/triu, broadcast_to, meshgrid and argsort
(fastnn._compose_methods and _compose_functions) against torch: values, shapes, dtypes,
views, errors and gradients over sweeps of their arguments; and torch-free, against numpy."""
import itertools
import re
import warnings

import numpy as np
import pytest

import fastnn
from torch_compare import same_call

X = np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float32)
DTYPES = [np.float32, np.float64, np.int64, np.bool_]


def _x(dtype=np.float32):
    return (X > 0) if dtype == np.bool_ else (X * 4).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_movedim_matches_torch(torch, dtype):
    dims = list(range(-3, 4))
    for s, d in itertools.product(dims, repeat=2):
        same_call(lambda lib, x: lib.movedim(x, s, d), _x(dtype))
        same_call(lambda lib, x: x.moveaxis(s, d), _x(dtype))
    for s, d in [((0, 1), (1, 0)), ((0, 2), (2, 0)), ((-1, 0), (0, 1)), ((0, 1), (1,)),
                 ((0, 0), (1, 2)), ((0, 1), (2, 2)), ([2], [0]), ((), ())]:
        same_call(lambda lib, x: lib.movedim(x, s, d), _x(dtype))


def test_narrow_matches_torch(torch):
    for dim, start, length in itertools.product(range(-4, 4), range(-5, 6), range(-1, 5)):
        same_call(lambda lib, x: lib.narrow(x, dim, start, length), X)
    same_call(lambda lib, x: x.narrow(2, 1, 2), X)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_unbind_matches_torch(torch, dtype):
    for dim in range(-4, 4):
        same_call(lambda lib, x: lib.unbind(x, dim), _x(dtype))
    same_call(lambda lib, x: x.unbind(), _x(dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_tril_triu_match_torch(torch, dtype):
    a = _x(dtype)
    for name, diagonal in itertools.product(("tril", "triu"), range(-4, 6)):
        same_call(lambda lib, x: getattr(lib, name)(x, diagonal), a)
        same_call(lambda lib, x: getattr(x, name)(diagonal), a[0])
        same_call(lambda lib, x: getattr(lib, name)(x, diagonal), a[:, :, :0])
    same_call(lambda lib, x: lib.tril(x), a[0, 0])           # 1-D: torch's error
    same_call(lambda lib, x: x.triu(), a[0, 0])


def test_tril_triu_zero_nan_and_write_out(torch):
    a = np.full((3, 3), np.nan, np.float32)
    got = fastnn.triu(a, 1)
    np.testing.assert_array_equal(np.isnan(got), torch.triu(torch.from_numpy(a), 1).isnan().numpy())
    out = fastnn.empty((3, 3))
    assert fastnn.tril(a, out=out) is out
    np.testing.assert_array_equal(np.isnan(out), np.tri(3, dtype=bool))


def test_broadcast_to_matches_torch(torch):
    for size in [(2, 3, 4), (5, 2, 3, 4), (2, -1, 4), (1, 2, 3, 4)]:
        same_call(lambda lib, x: lib.broadcast_to(x, size), X)
        same_call(lambda lib, x: x.broadcast_to(size), X[:, :1])
    for size in [(3, 4), (2, 5, 4)]:      # expand's errors; fastnn's types are fastnn.*Tensor
        with pytest.raises(RuntimeError) as want:
            torch.broadcast_to(torch.from_numpy(X), size)
        wanted = re.sub(r"\btorch\.(\w+Tensor)\b", r"fastnn.\1", str(want.value))
        with pytest.raises(RuntimeError, match=f"^{re.escape(wanted)}$"):
            fastnn.broadcast_to(X, size)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_torch(torch, indexing):
    a, b, c = (np.arange(n, dtype=np.float32) for n in (3, 2, 4))
    for args in [(a,), (a, b), (a, b, c), (np.float32(2.0), b)]:
        same_call(lambda lib, *t: lib.meshgrid(*t, indexing=indexing), *args)
        same_call(lambda lib, *t: lib.meshgrid(list(t), indexing=indexing), *args)
    same_call(lambda lib, x, y: lib.meshgrid(x, y, indexing=indexing), a,
              b.astype(np.float64))


def test_meshgrid_default_warning_and_errors(torch):
    a, b = np.arange(3.0), np.arange(2.0)
    for lib, x, y in ((torch, torch.from_numpy(a), torch.from_numpy(b)), (fastnn, a, b)):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            grids = lib.meshgrid(x, y)
        assert [tuple(g.shape) for g in grids] == [(3, 2), (3, 2)]
        assert "required to pass the indexing argument" in str(seen[0].message)
    same_call(lambda lib, x: lib.meshgrid(x, indexing="zz"), a)
    same_call(lambda lib: lib.meshgrid(indexing="ij"))
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor"):
        fastnn.meshgrid(np.ones((2, 2)), indexing="ij")


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_argsort_matches_torch(torch, dtype):
    a = np.random.default_rng(4).permutation(24).reshape(2, 3, 4).astype(dtype)
    for dim, descending in itertools.product(range(-3, 3), (False, True)):
        same_call(lambda lib, x: lib.argsort(x, dim, descending=descending), a)
        same_call(lambda lib, x: lib.argsort(x, dim=dim, descending=descending, stable=True),
                  a)


def test_gradients_match_torch(torch):
    """Each composition's backward is its ops': the chain below against torch's."""
    x = fastnn.tensor(X.astype(np.float64), requires_grad=True)
    t = torch.from_numpy(X.astype(np.float64)).requires_grad_()
    w = np.arange(24.0).reshape(4, 3, 2)

    def chain(lib, v):
        v = lib.movedim(v, 0, -1).narrow(1, 1, 3)          # (3, 3, 2)
        first, second = lib.unbind(v, -1)
        v = lib.tril(first, 0) + lib.triu(second, 1) * 2
        return lib.broadcast_to(v, (4, 3, 3))

    (chain(fastnn, x) * fastnn.tensor(w[:, :, :1].repeat(3, 2))).sum().backward()
    (chain(torch, t) * torch.from_numpy(w[:, :, :1].repeat(3, 2))).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_against_numpy_reference():
    """Torch-free: the same as numpy's moveaxis, slicing, tril/triu, broadcast_to, meshgrid
    and argsort."""
    a = X
    np.testing.assert_array_equal(fastnn.movedim(a, 0, 2), np.moveaxis(a, 0, 2))
    np.testing.assert_array_equal(fastnn.narrow(a, 2, -3, 2), a[:, :, 1:3])
    for got, want in zip(fastnn.unbind(a, 1), np.moveaxis(a, 1, 0)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(fastnn.tril(a, 1), np.tril(a, 1))
    np.testing.assert_array_equal(fastnn.triu(a, -1), np.triu(a, -1))
    np.testing.assert_array_equal(fastnn.broadcast_to(a[:1], (3, 3, 4)),
                                  np.broadcast_to(a[:1], (3, 3, 4)))
    for indexing in ("ij", "xy"):
        for got, want in zip(fastnn.meshgrid(np.arange(3), np.arange(2), indexing=indexing),
                             np.meshgrid(np.arange(3), np.arange(2), indexing=indexing)):
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(fastnn.argsort(a, 1), np.argsort(a, 1, kind="stable"))
    assert np.shares_memory(fastnn.narrow(a, 0, 0, 1), a)
    assert np.shares_memory(fastnn.movedim(a, 0, 1), a)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_tile_and_repeat_interleave_match_torch(torch, dtype):
    a = _x(dtype)
    for dims in [(2,), (1, 2), (2, 1, 3), (2, 2, 2, 2), (), (0, 1)]:
        same_call(lambda lib, x: lib.tile(x, dims), a)
        same_call(lambda lib, x: x.tile(dims), a[0])
    for repeats, dim in [(2, None), (0, 1), (3, -1), ([1, 0, 2], 1), ([2, 1], 0)]:
        same_call(lambda lib, x: lib.repeat_interleave(
            x, repeats if np.ndim(repeats) == 0 else lib.tensor(repeats), dim), a)
        same_call(lambda lib, x: x.repeat_interleave(
            repeats if np.ndim(repeats) == 0 else lib.tensor(repeats), dim=dim), a)
    for repeats, dim in [(-1, None), ([1, 2], 1), ([1, -1, 1], 1), ([[1, 1, 1]], 1), (2, 3)]:
        same_call(lambda lib, x: lib.repeat_interleave(
            x, repeats if np.ndim(repeats) == 0 else lib.tensor(repeats), dim), a)
    same_call(lambda lib, x: lib.repeat_interleave(x), np.array([1, 0, 3]))
    for size in (4, 5, 3):        # the output size given: checked against the counts
        same_call(lambda lib, x: lib.repeat_interleave(x, output_size=size), np.array([1, 0, 3]))
        same_call(lambda lib, x: x.repeat_interleave(lib.tensor([2, 1, 1]), 1,
                                                     output_size=size), a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64], ids=lambda d:
                         np.dtype(d).name)
def test_outer_and_logsumexp_match_torch(torch, dtype):
    a = _x(dtype)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype != np.float64 else dict(rtol=1e-12, atol=1e-12)
    same_call(lambda lib, x: lib.outer(x[0, 0], x[1, 1, :3]), a, **tol)
    same_call(lambda lib, x: x[0, 0].outer(x[1, 1]), a, **tol)
    same_call(lambda lib, x: lib.outer(x[0], x[0, 0]), a)           # 2-D: torch's error
    same_call(lambda lib, x: lib.outer(x[0, 0], x[0]), a)
    for dim, keepdim in itertools.product([0, 1, -1, (0, 2), (0, 1, 2)], (False, True)):
        same_call(lambda lib, x: lib.logsumexp(x, dim, keepdim), a, **tol)
        same_call(lambda lib, x: x.logsumexp(dim, keepdim=keepdim), a, **tol)
    same_call(lambda lib, x: lib.logsumexp(x[0, 0, 0], 0), a, **tol)


def test_logsumexp_non_finite_and_gradient_as_torch(torch):
    inf, nan = np.inf, np.nan
    a = np.array([[1.0, 2.0, 3.0], [-inf, -inf, -inf], [inf, 1.0, 2.0], [nan, 1.0, 2.0],
                  [-inf, 0.5, 1e30]], np.float64)
    same_call(lambda lib, x: lib.logsumexp(x, 1), a, rtol=1e-12, atol=0)
    x = fastnn.tensor(X.astype(np.float64), requires_grad=True)
    (fastnn.logsumexp(x, (0, 2)) * fastnn.tensor([1.0, 2.0, 3.0])).sum().backward()
    t = torch.from_numpy(X.astype(np.float64)).requires_grad_()
    (torch.logsumexp(t, (0, 2)) * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
     ).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)
    y = fastnn.tensor(X.astype(np.float64), requires_grad=True)
    w = np.arange(48.0).reshape(2, 3, 8)
    (fastnn.repeat_interleave(fastnn.tile(y, (1, 1)), 2, dim=2) * fastnn.tensor(w)
     ).sum().backward()
    u = torch.from_numpy(X.astype(np.float64)).requires_grad_()
    (torch.repeat_interleave(torch.tile(u, (1, 1)), 2, dim=2) * torch.from_numpy(w)
     ).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), u.grad.numpy())
