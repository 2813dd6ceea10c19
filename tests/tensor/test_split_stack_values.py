"""The splitting, stacking and value functions that are compositions (fastnn._split_methods,
_value_methods, _split_stack_functions, _value_functions: tensor_split, hsplit, vsplit,
dsplit, unflatten, take_along_dim, rot90, diff, hstack, vstack, row_stack, dstack,
column_stack, atleast_1d/2d/3d, var_mean, std_mean, isclose, nan_to_num, count_nonzero,
frac, isposinf, isneginf) against torch: values, dtypes, views, errors and gradients over
sweeps of their arguments; and torch-free, against numpy."""
import itertools

import numpy as np
import pytest

import fastnn
from torch_compare import same_call

RNG = np.random.default_rng(13)
X = RNG.standard_normal((3, 4, 5))
DTYPES = [np.float32, np.float64, np.int64, np.bool_]


def _x(dtype, a=X):
    return (a > 0) if dtype == np.bool_ else (a * 3).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_tensor_split_matches_torch(torch, dtype):
    a = _x(dtype)
    for dim, spec in itertools.product(range(-3, 3), [1, 2, 3, 4, 7, [1, 3], [0], [-2, 10],
                                                      (2, 1), [], 0, -1]):
        same_call(lambda lib, x: x.tensor_split(spec, dim), a)
        same_call(lambda lib, x: lib.tensor_split(x, spec, dim=dim), a)
    same_call(lambda lib, x: lib.tensor_split(x, lib.tensor([1, 3]), 1), a)
    same_call(lambda lib, x: lib.tensor_split(x, lib.tensor(2), 1), a)
    same_call(lambda lib, x: lib.tensor_split(x, lib.tensor([1.0]), 1), a)
    same_call(lambda lib, x: lib.tensor_split(x, 2), a[0, 0, 0])
    for name, spec in itertools.product(("hsplit", "vsplit", "dsplit"), [1, 2, 3, 5, [1, 2]]):
        for part in (a, a[0], a[0, 0], a[0, 0, 0]):
            same_call(lambda lib, x: getattr(lib, name)(x, spec), part)
            same_call(lambda lib, x: getattr(x, name)(spec), part)


def test_splits_are_views_and_differentiable(torch):
    x = fastnn.tensor(X.copy())
    assert all(np.shares_memory(np.asarray(p), np.asarray(x)) for p in x.tensor_split(2, 1))

    def grad(lib, x):
        x = x.detach().requires_grad_()
        first, second = x.tensor_split([2], 2)
        (first.sum() * 2 + (second ** 2).sum() + lib.hsplit(x, 2)[1].sum()).backward()
        return x.grad
    same_call(grad, X)


def test_unflatten_matches_torch(torch):
    a = _x(np.float32)
    for dim, sizes in [(1, (2, 2)), (-1, (5, 1)), (0, (-1,)), (1, (-1, 2)), (2, (2, 2)),
                       (5, (4,)), (1, ())]:
        same_call(lambda lib, x: x.unflatten(dim, sizes), a)
        same_call(lambda lib, x: lib.unflatten(x, dim, sizes), a)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_take_along_dim_matches_torch(torch, dtype):
    a = _x(dtype)
    index = RNG.integers(0, 4, (3, 2, 5))
    for dim in (1, -2):
        same_call(lambda lib, x, i: x.take_along_dim(i, dim), a, index)
        same_call(lambda lib, x, i: lib.take_along_dim(x, i[:1], dim=dim), a, index)  # broadcast
    same_call(lambda lib, x, i: lib.take_along_dim(x, i), a, index.reshape(-1)[:7] * 3)
    same_call(lambda lib, x, i: lib.take_along_dim(x, i, 1), a, index.astype(np.float32))
    for dtype in (np.float32, np.int32, np.int16):      # flattened: gather's dtype check
        same_call(lambda lib, x, i: lib.take_along_dim(x, i), a, index.astype(dtype))
    same_call(lambda lib, x, i: lib.take_along_dim(x, i[0], 1), a, index)
    same_call(lambda lib, x, i: lib.take_along_dim(x, i, 5), a, index)

    def grad(lib, x, i):
        x = x.detach().requires_grad_()
        (lib.take_along_dim(x, i, 1) * 2).sum().backward()
        return x.grad
    if dtype == np.float64:
        same_call(grad, a, index)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_rot90_matches_torch(torch, dtype):
    a = _x(dtype)
    for k, dims in itertools.product(range(-5, 6), [(0, 1), (1, 0), (2, -3), (-1, 1)]):
        same_call(lambda lib, x: lib.rot90(x, k, dims), a)
        same_call(lambda lib, x: x.rot90(k, list(dims)), a)
    for dims in [(0, 0), (0, 1, 2), (0,), (0, 3)]:
        same_call(lambda lib, x: lib.rot90(x, 1, dims), a)
    same_call(lambda lib, x: lib.rot90(x), a[0, 0])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_diff_matches_torch(torch, dtype):
    a = _x(dtype)
    for n, dim in itertools.product(range(0, 6), range(-3, 3)):
        same_call(lambda lib, x: lib.diff(x, n, dim), a)
        same_call(lambda lib, x: x.diff(n, dim=dim, prepend=x[:1, :1, :1].expand(
            *[1 if d == dim % 3 else s for d, s in enumerate(x.shape)])), a)
    same_call(lambda lib, x: lib.diff(x, append=x, prepend=x[:, :, :2]), a)
    same_call(lambda lib, x: lib.diff(x, -1), a)
    same_call(lambda lib, x: lib.diff(x), a[0, 0, 0])
    same_call(lambda lib, x: lib.diff(x, prepend=x[:, :2]), a)


def test_stacks_match_torch(torch):
    a, b = X[0].astype(np.float32), X[1]
    for name in ("hstack", "vstack", "row_stack", "dstack", "column_stack"):
        for parts in [(a, a), (a[0], a[1]), (a[0, 0], a[1, 1]), (a, b), (a[0], a[1, :3])]:
            same_call(lambda lib, *t: getattr(lib, name)(list(t)), *parts)
            same_call(lambda lib, *t: getattr(lib, name)(t), *parts)
        same_call(lambda lib: getattr(lib, name)([]))
        same_call(lambda lib, x: getattr(lib, name)(x), a)
        shape = tuple(getattr(torch, name)([torch.from_numpy(a)] * 2).shape)
        same_call(lambda lib, x: getattr(lib, name)([x, x], out=lib.empty(shape)), a)
    same_call(lambda lib, x, y: lib.column_stack([x, y[0:1].T]), a, b)


def test_atleast_match_torch(torch):
    for name in ("atleast_1d", "atleast_2d", "atleast_3d"):
        for part in (X, X[0], X[0, 0], X[0, 0, 0]):
            same_call(lambda lib, x: getattr(lib, name)(x), part)
            same_call(lambda lib, x: getattr(lib, name)(x, x[..., :1] if x.ndim else x), part)
            same_call(lambda lib, x: getattr(lib, name)([x]), part)


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
def test_var_std_mean_match_torch(torch, name):
    a = X.astype(np.float32)
    for args, kwargs in [((), {}), ((1,), {}), ((1, True), {}), ((1, False, True), {}),
                         ((), dict(dim=(0, 2), correction=0, keepdim=True)),
                         ((False,), {}), ((), dict(dim=None, keepdim=True)),
                         ((), dict(dim=[2], unbiased=False))]:
        same_call(lambda lib, x: getattr(lib, name)(x, *args, **kwargs), a, rtol=1e-5,
                  atol=1e-6)
    same_call(lambda lib, x: getattr(lib, name)(x.long(), 1), a)

    def grad(lib, x):
        x = x.detach().requires_grad_()
        spread, mean = getattr(lib, name)(x, 1)
        (spread.sum() + 3 * mean.sum()).backward()
        return x.grad
    same_call(grad, X, rtol=1e-10)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_value_functions_match_torch(torch, dtype):
    special = np.array([0.0, -0.0, 1.5, -2.25, np.nan, np.inf, -np.inf, 1e-9, 3e38])
    if np.dtype(dtype).kind == "i":           # integers: the finite values, in range
        special = np.where(np.isfinite(special), special, 7.0).clip(-1e6, 1e6)
    a = special.astype(dtype) if dtype != np.bool_ else special > 0
    b = (special * (1 + 1e-6)).astype(dtype) if dtype != np.bool_ else special < 0
    for rtol, atol, equal_nan in itertools.product((1e-5, 0, 0.1), (1e-8, 0, 1.0),
                                                   (False, True)):
        same_call(lambda lib, x, y: lib.isclose(x, y, rtol, atol, equal_nan), a, b)
        same_call(lambda lib, x, y: x.isclose(y.flip(0), rtol=rtol, atol=atol), a, b)
    same_call(lambda lib, x: lib.isclose(x, x, rtol=-1), a)
    same_call(lambda lib, x: lib.isclose(x, x, atol=-0.5), a)
    same_call(lambda lib, x: lib.isclose(x, 2), a)
    same_call(lambda lib, x: lib.isclose(x, x.double() if x.dtype != lib.float64 else x.float()),
              a)
    for args in [(), (1.5,), (0.0, 7.0, -7.0), (2, None, -1e40), (0.0, 1e40)]:
        same_call(lambda lib, x: lib.nan_to_num(x, *args), a)
        same_call(lambda lib, x: x.nan_to_num(*args), a)
    m = _x(dtype)
    for dim in [None, 0, -1, (0, 2), (1, 1), 5]:
        same_call(lambda lib, x: lib.count_nonzero(x, dim), m)
        same_call(lambda lib, x: x.count_nonzero(dim), m)
    for name in ("frac", "isposinf", "isneginf"):
        same_call(lambda lib, x: getattr(lib, name)(x), a)
        same_call(lambda lib, x: getattr(x, name)(), a)


def test_value_functions_gradients_match_torch(torch):
    a = np.array([0.5, -1.75, np.nan, np.inf, 2.25, -np.inf])

    def grad(lib, x):
        x = x.detach().requires_grad_()
        (lib.nan_to_num(x, 1.0, 2.0, -2.0) * 3 + x.frac() * 2).sum().backward()
        return x.grad
    same_call(grad, a)


def test_an_out_of_another_shape_is_refused():
    """torch resizes such an `out` (silently when it is empty); fastnn cannot resize an
    array other arrays may view, and refuses it as the op door does (docs/OPS.md)."""
    x = fastnn.tensor(X)
    for call in (lambda out: fastnn.hstack([x, x], out=out),
                 lambda out: fastnn.nan_to_num(x, out=out),
                 lambda out: fastnn.take_along_dim(x, fastnn.tensor([[[0]]]), 2, out=out)):
        with pytest.raises(RuntimeError, match="fastnn cannot resize it"):
            call(fastnn.empty(0, dtype=fastnn.float64))


def test_against_numpy():
    """Torch-free: values by numpy."""
    x = fastnn.tensor(X)
    assert [p.shape for p in x.tensor_split(3, 2)] == [(3, 4, 2), (3, 4, 2), (3, 4, 1)]
    np.testing.assert_array_equal(np.asarray(fastnn.hstack([x[0], x[1]])), np.hstack([X[0], X[1]]))
    np.testing.assert_array_equal(np.asarray(fastnn.vstack([x[0, 0], x[1, 1]])),
                                  np.vstack([X[0, 0], X[1, 1]]))
    np.testing.assert_array_equal(np.asarray(fastnn.dstack([x[0], x[1]])), np.dstack([X[0], X[1]]))
    np.testing.assert_array_equal(np.asarray(fastnn.column_stack([x[0, 0], x[1, 1]])),
                                  np.column_stack([X[0, 0], X[1, 1]]))
    np.testing.assert_array_equal(np.asarray(x.rot90(1, (1, 2))), np.rot90(X, 1, (1, 2)))
    np.testing.assert_array_equal(np.asarray(x.diff(2, 1)), np.diff(X, 2, 1))
    np.testing.assert_array_equal(np.asarray(x.take_along_dim(fastnn.tensor([[[1]]]), 2)),
                                  np.take_along_axis(X, np.array([[[1]]]), 2))
    special = np.array([np.nan, np.inf, -np.inf, 1.5])
    np.testing.assert_array_equal(np.asarray(fastnn.nan_to_num(fastnn.tensor(special))),
                                  np.nan_to_num(special))
    np.testing.assert_array_equal(np.asarray(fastnn.isclose(fastnn.tensor(special),
                                                            fastnn.tensor(special))),
                                  np.isclose(special, special))
    assert int(fastnn.count_nonzero(x > 0)) == np.count_nonzero(X > 0)
    np.testing.assert_allclose(np.asarray(fastnn.var_mean(x, 1)[0]), X.var(1, ddof=1))
    np.testing.assert_array_equal(np.asarray(x.frac()), X - np.trunc(X))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_diag_and_diag_embed_match_torch(torch, dtype):
    a = _x(dtype)
    for k in range(-6, 7):
        same_call(lambda lib, x: lib.diag(x, k), a[0])
        same_call(lambda lib, x: x.diag(k), a[0, 0])
        for dims in [(-2, -1), (0, 2), (2, 0), (-1, 1), (1, 1), (0, 4)]:
            same_call(lambda lib, x: lib.diag_embed(x, k, *dims), a[0])
    same_call(lambda lib, x: x.diag_embed(), a)
    same_call(lambda lib, x: lib.diag(x), a)
    same_call(lambda lib, x: lib.diag(x), a[0, 0, 0])
    same_call(lambda lib, x: lib.diag(x, 1, out=lib.empty(4, 4, dtype=x.dtype)), a[0, 0, :3])
    inf = np.array([np.inf, -1.0, np.nan])
    same_call(lambda lib, x: lib.diag_embed(x, -1), inf)      # zeros off the diagonal

    def grad(lib, x):
        x = x.detach().requires_grad_()
        w = lib.arange(1.0, 17.0, dtype=lib.float64).reshape(4, 4)
        ((lib.diag(x[0], 1) * w).sum() + lib.diag(x[:, :4]).sum() * 3
         + (lib.diag_embed(x[:2, :3], -1, 0, 2) ** 2).sum()).backward()
        return x.grad
    if dtype == np.float64:
        same_call(grad, a[0])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_masked_select_matches_torch(torch, dtype):
    a = _x(dtype)
    mask = X > 0.3
    same_call(lambda lib, x, m: lib.masked_select(x, m), a, mask)
    same_call(lambda lib, x, m: x.masked_select(m[0, :1]), a, mask)          # broadcast
    same_call(lambda lib, x, m: x[0, :1].masked_select(m), a, mask)
    same_call(lambda lib, x, m: lib.masked_select(x, m.long()), a, mask)
    same_call(lambda lib, x, m: lib.masked_select(x, m[:, :2]), a, mask)

    def grad(lib, x, m):
        x = x.detach().requires_grad_()
        (x.masked_select(m) * 2).sum().backward()
        return x.grad
    if dtype == np.float64:
        same_call(grad, a, mask)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_unique_matches_torch(torch, dtype):
    a = _x(dtype, np.round(X * 2) / 2)
    for inverse, counts in itertools.product((False, True), repeat=2):
        same_call(lambda lib, x: lib.unique(x, return_inverse=inverse, return_counts=counts), a)
        for dim in (0, 1, -1):
            same_call(lambda lib, x: x.unique(True, inverse, counts, dim), a)
    same_call(lambda lib, x: lib.unique(x, return_inverse=1), a)
    same_call(lambda lib, x: lib.unique(x, dim=3), a)
    same_call(lambda lib, x: lib.unique(x), a[:0])
    if dtype == np.float32:
        same_call(lambda lib, x: lib.unique(x), np.array([np.nan, 1.0, np.nan], np.float32))


def test_bincount_matches_torch(torch):
    counts = np.array([0, 3, 3, 1, 7, 0], np.int64)
    for minlength in (0, 3, 10):
        same_call(lambda lib, x: lib.bincount(x, minlength=minlength), counts)
        for weights in (np.linspace(0, 1, 6).astype(np.float32), np.arange(6.0),
                        np.arange(6)):
            same_call(lambda lib, x, w: x.bincount(w, minlength), counts, weights, rtol=1e-6)
    for bad in (counts - 1, counts.reshape(2, 3), counts.astype(np.float32)):
        same_call(lambda lib, x: lib.bincount(x), bad)
    same_call(lambda lib, x: lib.bincount(x, minlength=-1), counts)
    same_call(lambda lib, x, w: lib.bincount(x, w[:2]), counts, np.arange(6.0))
    same_call(lambda lib, x: lib.bincount(x), counts[:0])
    same_call(lambda lib, x: lib.bincount(x), counts.astype(np.uint8))
    # the values are checked on every call, not remembered with the shapes
    fastnn.bincount(fastnn.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="non-negative"):
        fastnn.bincount(fastnn.tensor([1, -2]))


def test_counts_diag_and_masks_against_numpy():
    """Torch-free: values by numpy."""
    x = fastnn.tensor(np.round(X * 2) / 2)
    np.testing.assert_array_equal(np.asarray(fastnn.unique(x)), np.unique(np.round(X * 2) / 2))
    np.testing.assert_array_equal(np.asarray(fastnn.bincount(fastnn.tensor([0, 3, 3]))),
                                  np.bincount([0, 3, 3]))
    np.testing.assert_array_equal(np.asarray(fastnn.diag(fastnn.tensor(X[0]), 1)),
                                  np.diag(X[0], 1))
    np.testing.assert_array_equal(np.asarray(fastnn.diag(fastnn.tensor(X[0, 0]), -2)),
                                  np.diag(X[0, 0], -2))
    np.testing.assert_array_equal(np.asarray(fastnn.masked_select(fastnn.tensor(X), x > 0)),
                                  X[np.asarray(x) > 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64],
                         ids=lambda d: np.dtype(d).name)
def test_searchsorted_and_bucketize_match_torch(torch, dtype):
    boundaries = np.sort(RNG.integers(-6, 6, 7)).astype(dtype)
    rows = np.sort(RNG.integers(-6, 6, (3, 4, 6)), axis=-1).astype(dtype)
    values = RNG.integers(-8, 8, (3, 4, 5)).astype(dtype)
    for right, out_int32 in itertools.product((False, True), repeat=2):
        same_call(lambda lib, b, v: lib.searchsorted(b, v, right=right, out_int32=out_int32),
                  boundaries, values)
        same_call(lambda lib, b, v: lib.searchsorted(b, v, right=right), rows, values)
        same_call(lambda lib, b, v: lib.bucketize(v, b, right=right, out_int32=out_int32),
                  boundaries, values)
    same_call(lambda lib, b: lib.searchsorted(b, 2), boundaries)
    same_call(lambda lib, b: lib.bucketize(3, b, right=True), boundaries)
    for side, right in [("right", False), ("left", False), ("left", True), ("middle", False)]:
        same_call(lambda lib, b, v: lib.searchsorted(b, v, side=side, right=right),
                  boundaries, values)
    same_call(lambda lib, b, v: lib.searchsorted(b, v), rows, values[:, :2])
    same_call(lambda lib, b, v: lib.searchsorted(b[0, 0, 0], v), rows, values)
    same_call(lambda lib, b, v: lib.bucketize(v, b), rows, values)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_],
                         ids=lambda d: np.dtype(d).name)
def test_logit_xlogy_nansum_nanmean_match_torch(torch, dtype):
    p = np.array([0.0, 0.25, 0.5, 1.0, 1.5, -0.5, np.nan, 0.999])
    p = p.astype(dtype) if np.dtype(dtype).kind == "f" else _x(dtype, RNG.standard_normal(8))
    tol = dict(rtol=2e-6, atol=1e-6)
    for eps in (None, 0.0, 0.1, 0.6):
        same_call(lambda lib, x: lib.logit(x, eps), p, **tol)
        same_call(lambda lib, x: x.logit(eps=eps), p, **tol)
    y = np.array([0.0, 2.0, np.nan, 0.5, 3.0, 1.0, 2.0, np.inf])
    y = y.astype(dtype) if np.dtype(dtype).kind == "f" else _x(dtype, RNG.random(8))
    same_call(lambda lib, x, z: lib.xlogy(x, z), p, y, **tol)
    same_call(lambda lib, x, z: x.xlogy(z[:1]), p, y, **tol)
    for number in (2, 0.5, 0, float("nan")):
        same_call(lambda lib, x: lib.xlogy(x, number), p, **tol)
        same_call(lambda lib, z: lib.xlogy(number, z), y, **tol)
    a = _x(dtype)
    if np.dtype(dtype).kind == "f":
        a = a.copy()
        a[0, 1, :2] = np.nan
        a[2, :, 3] = np.nan
    for dim, keepdim in itertools.product([None, 0, -1, (0, 2)], (False, True)):
        same_call(lambda lib, x: lib.nansum(x, dim, keepdim), a, **tol)
        same_call(lambda lib, x: x.nanmean(dim=dim, keepdim=keepdim), a, **tol)
    same_call(lambda lib, x: lib.nansum(x, 1, dtype=lib.float64), a, **tol)


def test_logit_xlogy_nan_gradients_match_torch(torch):
    p = np.array([0.05, 0.25, 0.5, 0.9, 0.97])
    y = np.array([0.5, 2.0, 0.1, 3.0, 1.5])

    def grads(lib, x, z):
        x, z = x.detach().requires_grad_(), z.detach().requires_grad_()
        x0 = x * (x > 0.3)                          # zeros, where xlogy's input is 0
        (lib.logit(x).sum() + lib.logit(x, 0.1).sum() * 2 + lib.xlogy(x0, z).sum()
         + lib.nansum(x * z) + lib.nanmean(x / z)).backward()
        return x.grad, z.grad
    same_call(grads, p, y, rtol=1e-10, atol=1e-12)


def test_searches_and_nan_sums_against_numpy():
    """Torch-free: values by numpy."""
    b, v = np.array([1.0, 2.0, 4.0]), np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(np.asarray(fastnn.searchsorted(fastnn.tensor(b),
                                                                 fastnn.tensor(v))),
                                  np.searchsorted(b, v))
    np.testing.assert_array_equal(np.asarray(fastnn.bucketize(fastnn.tensor(v),
                                                              fastnn.tensor(b), right=True)),
                                  np.searchsorted(b, v, side="right"))
    a = np.array([1.0, np.nan, 2.0])
    assert float(fastnn.nansum(fastnn.tensor(a))) == np.nansum(a)
    assert float(fastnn.nanmean(fastnn.tensor(a))) == np.nanmean(a)
    np.testing.assert_allclose(np.asarray(fastnn.logit(fastnn.tensor([0.25]))), [np.log(1 / 3)])


def test_a_plain_array_out_is_written():
    """Torch-free: `out=` may be a numpy array (written by assignment, not copy_)."""
    x = fastnn.tensor(X[0])
    out = np.empty((4, 10))
    assert fastnn.hstack([x, x], out=out) is out
    np.testing.assert_array_equal(out, np.hstack([X[0], X[0]]))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype double, but got "
                                           "float instead"):
        fastnn.hstack([x, x], out=np.empty((4, 10), np.float32))
