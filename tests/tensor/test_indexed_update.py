"""torch's indexed updates (fastnn._indexed_update_ops: index_add, index_copy, index_fill,
scatter_reduce and their in-place forms) against torch: values, dtypes and errors over
seeded sweeps of every argument (dims, 0-d and empty inputs, empty and repeated indices,
dtypes, alpha, include_self, every reduce), gradients in float64; and torch-free, against
numpy loops written out here.

index_copy is compared with unique indices only: where an index repeats, torch leaves
unspecified which write wins."""
import itertools

import numpy as np
import pytest

import fastnn
from torch_compare import same_call

RNG = np.random.default_rng(29)
DTYPES = [np.float32, np.float64, np.int64, np.bool_]
SHAPES = [(3, 4, 5), (5,), ()]
REDUCES = ["sum", "prod", "mean", "amax", "amin"]
F32 = dict(rtol=1e-6, atol=1e-6)


def _data(shape, dtype):
    a = RNG.standard_normal(shape) * 3
    if dtype == np.bool_:
        return a > 0
    return a.astype(dtype)


F64 = dict(rtol=1e-12, atol=1e-12)     # torch may fuse alpha * source + self


def _tol(dtype):
    return F32 if dtype == np.float32 else F64 if dtype == np.float64 else {}


def _index_along(n, size, unique=False):
    """A 1-d int64 index of `size` positions < n (repeated unless `unique`)."""
    if unique:
        return RNG.permutation(n)[:size].astype(np.int64)
    return RNG.integers(0, n, size).astype(np.int64)


def _updates(shape, dims):
    """(dim, index, source shape) triples for shapes of index_add and index_copy."""
    for dim in dims:
        for size in (0, 1, 3, 7):
            if not shape and size > 1:
                continue
            src = list(shape)
            if src:
                src[dim] = size
            yield dim, size, tuple(src)


def _dims(shape):
    return range(-max(len(shape), 1), max(len(shape), 1))


# ------------------------------------------------------------------ index_add

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_index_add_matches_torch(torch, dtype, shape):
    a = _data(shape, dtype)
    alphas = [1, True] if dtype == np.bool_ else [1, 2, -3] if dtype == np.int64 else \
        [1, 2.5, -0.75]
    for (dim, size, src_shape), alpha in itertools.product(_updates(shape, _dims(shape)),
                                                           alphas):
        n = shape[dim] if shape else 1
        index = _index_along(n, size)
        s = _data(src_shape, dtype)
        tol = _tol(dtype)
        same_call(lambda lib, x, i, s: x.index_add(dim, i, s, alpha=alpha), a, index, s, **tol)
        same_call(lambda lib, x, i, s: lib.index_add(x, dim, i.int(), s, alpha=alpha), a,
                  index, s, **tol)
        same_call(lambda lib, x, i, s: (x.index_add_(dim, i, s, alpha=alpha), x)[1], a, index,
                  s, **tol)
        if size == 1 and len(shape) <= 1:       # a 0-d index
            same_call(lambda lib, x, i, s: x.index_add(dim, i[0], s, alpha=alpha), a, index, s,
                      **tol)


def test_index_add_accumulates_repeats_in_order(torch):
    a = RNG.standard_normal((4, 50)).astype(np.float32)
    s = (RNG.standard_normal((4, 3000)) * 100).astype(np.float32)
    index = RNG.integers(0, 50, 3000)
    same_call(lambda lib, x, i, s: x.index_add(1, i, s, alpha=0.3), a, index, s, **F32)
    same_call(lambda lib, x, i, s: x.index_add(0, i[:9] % 4, s[0, :9 * 50].reshape(9, 50)),
              a, index, s, **F32)


def test_index_add_out_and_alpha_conversions(torch):
    a, s, i = np.zeros((3, 4), np.float32), np.ones((3, 2), np.float32), np.array([0, 2])
    out = np.full((3, 4), 7, np.float32)
    got = fastnn.index_add(a, 1, fastnn.tensor(i), s, out=out)
    assert got is out
    np.testing.assert_array_equal(out, torch.index_add(
        torch.from_numpy(a), 1, torch.from_numpy(i), torch.from_numpy(s)).numpy())
    for dtype, alpha in [(np.int64, 2.7), (np.int64, -2.7), (np.int32, -2**31),
                         (np.uint8, -1), (np.bool_, 0.5), (np.bool_, 0), (np.float32, 1e300),
                         (np.float32, float("inf")), (np.int64, float("nan")),
                         (np.int32, 2**40), (np.uint8, 256), (np.float32, 1j),
                         (np.float32, 2 + 0j), (np.float32, fastnn.tensor(2.0))]:
        for shape, idx in (((3, 4), 1), ((4,), 0)):
            x = np.zeros(shape, dtype)
            src = np.ones((3, 2) if len(shape) == 2 else (2,), dtype) * 3
            t_alpha = torch.tensor(2.0) if isinstance(alpha, fastnn.Tensor) else alpha
            same_call(lambda lib, x, i, s: x.index_add(
                idx, i, s, alpha=t_alpha if lib is torch else alpha), x, i, src)


# ------------------------------------------------------------------ index_copy

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_index_copy_matches_torch(torch, dtype, shape):
    a = _data(shape, dtype)
    for dim, size, src_shape in _updates(shape, _dims(shape)):
        n = shape[dim] if shape else 1
        if size > n:
            continue
        index = _index_along(n, size, unique=True)
        s = _data(src_shape, dtype)
        same_call(lambda lib, x, i, s: x.index_copy(dim, i, s), a, index, s)
        same_call(lambda lib, x, i, s: lib.index_copy(x, dim, i, s), a, index, s)
        same_call(lambda lib, x, i, s: (x.index_copy_(dim, i, s), x)[1], a, index, s)
    if len(shape) <= 1:                 # a 0-d source and a 0-d index
        same_call(lambda lib, x, s: x.index_copy(0, lib.tensor(0), s), a, _data((), dtype))
        same_call(lambda lib, x, s: x.index_copy(0, lib.tensor([0]), s), a, _data((), dtype))


# ------------------------------------------------------------------ index_fill

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_index_fill_matches_torch(torch, dtype, shape):
    a = _data(shape, dtype)
    values = [1.5, -2, True, float("nan"), float("-inf")] if dtype in (np.float32, np.float64) \
        else [1.5, -2, True, 0]
    for dim, value, size in itertools.product(_dims(shape), values, (0, 1, 4)):
        n = shape[dim] if shape else 1
        index = RNG.integers(-n, n, size)
        same_call(lambda lib, x, i: x.index_fill(dim, i, value), a, index)
        same_call(lambda lib, x, i: lib.index_fill(x, dim, i, value), a, index)
        same_call(lambda lib, x, i, v: (x.index_fill_(dim, i, v), x)[1], a, index,
                  np.array(value, np.float64))
        same_call(lambda lib, x, i: x.index_fill(dim, i[0] if size else i, value), a, index)


# ------------------------------------------------------------------ scatter_reduce

def _scatter_index(shape, dim, src_shape, rng=RNG):
    """A scatter index no larger than `shape` (apart from `dim`) and `src_shape`."""
    if not shape:
        return rng.integers(0, 1, ())
    sizes = [rng.integers(0, min(n, m) + 1) if d != dim else rng.integers(0, m + 1)
             for d, (n, m) in enumerate(zip(shape, src_shape))]
    return rng.integers(0, shape[dim], sizes) if shape[dim] else np.zeros(sizes, np.int64)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_scatter_reduce_matches_torch(torch, dtype, shape):
    a = _data(shape, dtype)
    for dim, reduce, include_self in itertools.product(_dims(shape), REDUCES, (True, False)):
        src_shape = tuple(n + 2 for n in shape)
        for _ in range(3):
            s = _data(src_shape, dtype)
            index = _scatter_index(shape, dim % max(len(shape), 1), src_shape)
            tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else _tol(dtype)
            same_call(lambda lib, x, i, s: x.scatter_reduce(dim, i, s, reduce,
                                                            include_self=include_self),
                      a, index, s, **tol)
            same_call(lambda lib, x, i, s: lib.scatter_reduce(x, dim, i.int(), s,
                                                              reduce=reduce,
                                                              include_self=include_self),
                      a, index, s, **tol)
            same_call(lambda lib, x, i, s: (x.scatter_reduce_(dim, i, s, reduce,
                                                              include_self=include_self), x)[1],
                      a, index, s, **tol)


def test_scatter_reduce_takes_max_and_min_forward_only(torch):
    """torch's forward takes "max" and "min" for amax and amin; its backward refuses them."""
    a, s = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    index = RNG.integers(0, 4, (3, 4))
    for reduce, include_self in itertools.product(("max", "min"), (True, False)):
        same_call(lambda lib, x, i, s: x.scatter_reduce(1, i, s, reduce,
                                                        include_self=include_self), a, index, s)
        same_call(lambda lib, x, i, s: _grad_of(lib, lambda lib, x, s: x.scatter_reduce(
            1, i, s, reduce, include_self=include_self), x, s), a, index, s)


def test_scatter_reduce_sum_of_repeats_is_deterministic(torch):
    a = RNG.standard_normal((4, 30)).astype(np.float32)
    s = (RNG.standard_normal((4, 2000)) * 100).astype(np.float32)
    index = RNG.integers(0, 30, (4, 2000))
    for reduce in ("sum", "mean"):
        same_call(lambda lib, x, i, s: x.scatter_reduce(1, i, s, reduce), a, index, s, **F32)


def test_scatter_reduce_nan_and_integer_means(torch):
    nan = float("nan")
    a = np.array([1.0, nan, 3.0, 4.0])
    i = np.array([0, 1, 2, 2, 3, 3])
    s = np.array([nan, 5.0, nan, 1.0, 7.0, -1.0])
    for reduce, include_self in itertools.product(REDUCES, (True, False)):
        same_call(lambda lib, x, i, s: x.scatter_reduce(0, i, s, reduce,
                                                        include_self=include_self), a, i, s)
    for dtype in (np.int64, np.int32, np.uint8):
        x = np.array([-1, 5, 7], dtype) if dtype != np.uint8 else np.array([1, 5, 7], dtype)
        v = np.array([3, 6, 4, 9] if dtype == np.uint8 else [-3, -6, 4, 9], dtype)
        for include_self in (True, False):
            same_call(lambda lib, x, i, s: x.scatter_reduce(0, i, s, "mean",
                                                            include_self=include_self),
                      x, np.array([0, 0, 2, 2]), v)
    out = fastnn.empty(4, dtype=fastnn.float64)
    got = fastnn.scatter_reduce(fastnn.tensor(a), 0, fastnn.tensor(i), fastnn.tensor(s), "amax",
                                out=out)
    assert got is out


# ------------------------------------------------------------------ errors

def _error_calls(lib):
    """Calls torch refuses, each with lib's tensors."""
    x = lib.zeros(3, 4)
    i, s = lib.tensor([0, 2]), lib.ones(3, 2)
    long = lib.zeros(4).long()
    empty = lib.tensor([], dtype=lib.int64)
    grid = lib.tensor([[0, 2], [1, 1], [3, 3]])
    return [
        lambda: x.index_add(2, i, s), lambda: x.index_add(-3, i, s),
        lambda: x.index_add(1, i.float(), s), lambda: x.index_add(1, i.to(lib.int16), s),
        lambda: x.index_add(1, lib.tensor([0, 4]), s),
        lambda: x.index_add(1, lib.tensor([0, -1]), s),
        lambda: x.index_add(1, lib.tensor([[0, 1]]), s),
        lambda: x.index_add(1, lib.tensor([[0, 1]]).float(), s),
        lambda: x.index_add(1, i, lib.ones(3, 3)), lambda: x.index_add(1, i, lib.ones(2, 2)),
        lambda: x.index_add(1, i, lib.ones(3, 2, 1)), lambda: x.index_add(1, i, lib.ones(6)),
        lambda: x.index_add(1, i, s.double()), lambda: x.index_add(1, i, s.long()),
        lambda: x.index_add(1, i, 1.0), lambda: x.index_add(1.0, i, s),
        lambda: x.index_add(1, [0, 2], s), lambda: x.index_add(1, i, s, alpha="a"),
        lambda: x.index_add(1, i, s, alpha=None), lambda: x.index_add(1, i, lib.ones(2, 3)),
        lambda: x.index_add(1, empty, lib.ones(3, 2)),
        lambda: x.index_add(1, empty, lib.ones(5, 0)),
        lambda: lib.tensor(1.).index_add(0, lib.tensor([0, 0]), lib.tensor([2., 3])),
        lambda: lib.tensor(1.).index_add(0, lib.tensor([0, 0]), lib.tensor(2.)),
        lambda: lib.tensor(1.).index_add(0, lib.tensor([1]), lib.tensor(2.)),
        lambda: lib.tensor(1.).index_add(1, lib.tensor([0]), lib.tensor(2.)),
        lambda: lib.tensor(1.).index_add(0, lib.tensor([0]), lib.tensor([2.])),
        lambda: lib.zeros(4).index_add(0, lib.tensor([0, 9]), lib.ones(2)),
        lambda: lib.zeros(0).index_add(0, lib.tensor([0]), lib.ones(1)),
        lambda: lib.zeros(2, 3, 4).index_add(2, lib.tensor([0]), lib.tensor(1.)),
        lambda: lib.zeros(2, 4).index_add(0, lib.tensor([0, -9, 5]), lib.ones(3, 4)),
        lambda: lib.zeros(2, 0).index_add(0, lib.tensor([5]), lib.ones(1, 0)),
        lambda: x.index_copy(2, i, s), lambda: x.index_copy(1, i.float(), s),
        lambda: x.index_copy(1, i.int(), s), lambda: x.index_copy(1, lib.tensor([0, 4]), s),
        lambda: x.index_copy(1, lib.tensor([0, -1]), s),
        lambda: x.index_copy(1, lib.tensor([[0, 1]]), s),
        lambda: x.index_copy(1, i, lib.ones(3, 3)), lambda: x.index_copy(1, i, lib.ones(2, 2)),
        lambda: x.index_copy(1, i, lib.ones(3, 2, 1)), lambda: x.index_copy(1, i, lib.ones(6)),
        lambda: x.index_copy(1, i, s.double()), lambda: x.index_copy(1, i, 1.0),
        lambda: x.index_copy(1, empty, lib.ones(3, 2)),
        lambda: lib.zeros(4).index_copy(0, lib.tensor([0, 1]), lib.tensor(1.)),
        lambda: lib.zeros(2, 4).index_copy(0, lib.tensor([0]), lib.tensor(1.)),
        lambda: lib.zeros(2, 3, 4).index_copy(1, lib.tensor([0]), lib.ones(3, 1, 5)),
        lambda: lib.tensor(1.).index_copy(0, lib.tensor([1]), lib.tensor(2.)),
        lambda: lib.tensor(1.).index_copy(0, lib.tensor([0]), lib.tensor([[2.]])),
        lambda: lib.zeros(0, 4).index_copy(0, lib.tensor([0]), lib.ones(1, 4)),
        lambda: lib.zeros(0, 4).index_copy(1, lib.tensor([9]), lib.ones(0, 1)),
        lambda: lib.zeros(2, 4).index_copy(0, lib.tensor([0, 5, -9]), lib.ones(3, 4)),
        lambda: x.index_fill(1, i, 1j), lambda: x.index_fill(1, i, lib.tensor([2.5])),
        lambda: x.index_fill(1, i, "a"), lambda: x.index_fill(1, i, None),
        lambda: x.index_fill(1, i, [1.0]), lambda: x.index_fill(2, i, 1.0),
        lambda: x.index_fill(1, i.int(), 1.0), lambda: x.index_fill(1, i.float(), 1.0),
        lambda: x.index_fill(1, lib.tensor([[0, 1]]), 1.0),
        lambda: x.index_fill(1, lib.tensor([0, 4]), 1.0),
        lambda: x.index_fill(1, lib.tensor([0, -5]), 1.0),
        lambda: x.index_fill(1, i, 1e39), lambda: long.index_fill(0, i, float("inf")),
        lambda: long.index_fill(0, i, 2**63), lambda: x.index_fill(1, empty, 1e39),
        lambda: lib.zeros(4).index_fill(5, lib.tensor([0.]), lib.tensor([1.])),
        lambda: lib.zeros(4).index_fill(5, lib.tensor([0.]), 1j),
        lambda: lib.zeros(4).index_fill(5, lib.tensor([[0]]), 1.),
        lambda: lib.zeros(4).index_fill(0, lib.tensor([0]), lib.tensor(1j)),
        lambda: lib.tensor(1.).index_fill(1, lib.tensor([0]), 5.),
        lambda: lib.tensor(1.).index_fill(0, lib.tensor([1]), 5.),
        lambda: lib.zeros(0, 3).index_fill(0, lib.tensor([0]), 5.),
        lambda: lib.zeros(2, 0, 3).double().index_fill(1, lib.tensor([0, 1]), 1.),
        lambda: lib.zeros(0).index_fill(0, lib.tensor([0]), 1.),
        lambda: x.scatter_reduce(1, grid, s, "multiply"),
        lambda: x.scatter_reduce(1, grid, s, "add"),
        lambda: x.scatter_reduce(1, grid, s, None), lambda: x.scatter_reduce(1, grid, s, 1),
        lambda: x.scatter_reduce(1, grid, s), lambda: lib.scatter_reduce(x, 1, grid, s),
        lambda: x.scatter_reduce(1, grid, s.double(), "sum"),
        lambda: x.scatter_reduce(1, grid.float(), s, "sum"),
        lambda: x.scatter_reduce(1, grid + 4, s, "sum"),
        lambda: x.scatter_reduce(1, grid - 1, s, "sum"),
        lambda: x.scatter_reduce(1, grid, 2.0, "sum"),
        lambda: x.scatter_reduce(1, lib.zeros(3, 5, dtype=lib.int64), s, "sum"),
        lambda: x.scatter_reduce(2, grid, s, "sum"),
        lambda: x.scatter_reduce(1, grid, s, "sum", include_self=None),
        lambda: x.scatter_reduce(1, grid, s, "sum", include_self=1),
        lambda: x.scatter_reduce(1, empty, s, "bad"), lambda: x.scatter_reduce(1, grid, s, "bad"),
        lambda: x.scatter_reduce(1, grid.float(), s, "bad"),
        lambda: x.scatter_reduce(1, grid[0], s, "sum"),
        lambda: x.bool().scatter_reduce(1, grid, s.bool(), "mean"),
        lambda: lib.tensor(1.).scatter_reduce(0, lib.tensor([1]), lib.tensor([5., 6]), "prod"),
    ]


def test_errors_match_torch(torch):
    for k in range(len(_error_calls(torch))):
        same_call(lambda lib: _error_calls(lib)[k]())


# ------------------------------------------------------------------ gradients

def _grad_of(lib, call, x, s, value=None):
    x = x.detach().requires_grad_()
    s = s.detach().requires_grad_()
    w = lib.from_numpy(np.linspace(-1, 2, x.numel()).reshape(tuple(x.shape)))
    (call(lib, x, s) * w).sum().backward()
    return x.grad, s.grad


def test_gradients_match_torch(torch):
    tol = dict(rtol=1e-10, atol=1e-10)
    x = RNG.standard_normal((3, 4, 5))
    for dim, alpha in itertools.product((0, 1, -1), (1, 2.5)):
        n = x.shape[dim]
        index = RNG.integers(0, n, 6)
        s = np.moveaxis(RNG.standard_normal((6,) + tuple(np.delete(x.shape, dim % 3))),
                        0, dim % 3)
        same_call(lambda lib, x, s, i: _grad_of(
            lib, lambda lib, x, s: x.index_add(dim, i, s, alpha=alpha), x, s), x, s, index,
            **tol)
        same_call(lambda lib, x, s, i: _grad_of(
            lib, lambda lib, x, s: x.clone().index_add_(dim, i, s, alpha=alpha), x, s),
            x, s, index, **tol)
        unique = _index_along(n, 3, unique=True)
        sc = np.take(s, range(3), axis=dim % 3)
        same_call(lambda lib, x, s, i: _grad_of(
            lib, lambda lib, x, s: x.index_copy(dim, i, s), x, s), x, sc, unique, **tol)
        same_call(lambda lib, x, s, i: _grad_of(
            lib, lambda lib, x, s: x.clone().index_copy_(dim, i, s), x, s), x, sc, unique, **tol)
        same_call(lambda lib, x, v, i: _grad_of(
            lib, lambda lib, x, v: x.index_fill(dim, i, v), x, v), x, np.array(1.5), index,
            **tol)
        same_call(lambda lib, x, v, i: _grad_of(
            lib, lambda lib, x, v: x.clone().index_fill_(dim, i - n, v), x, v), x,
            np.array(1.5), index, **tol)


@pytest.mark.parametrize("reduce", REDUCES)
def test_scatter_reduce_gradients_match_torch(torch, reduce):
    tol = dict(rtol=1e-10, atol=1e-10)
    # few distinct values: ties for amax/amin, zeros (lone and repeated) for prod
    x = RNG.integers(-2, 3, (3, 4, 5)).astype(np.float64)
    for dim, include_self, k in itertools.product((0, 1, -1), (True, False), range(3)):
        index = _scatter_index(x.shape, dim % 3, x.shape, np.random.default_rng(k))
        s = RNG.integers(-2, 3, index.shape).astype(np.float64)

        def out_of_place(x, s, i):
            return x.scatter_reduce(dim, i, s, reduce, include_self=include_self)

        def in_place(x, s, i):
            return x.clone().scatter_reduce_(dim, i, s, reduce, include_self=include_self)

        for call in (out_of_place, in_place):
            same_call(lambda lib, x, s, i: _grad_of(lib, lambda lib, x, s: call(x, s, i), x, s),
                      x, s, index, **tol)


def test_in_place_refusals_and_results(torch):
    for lib in (fastnn, torch):
        leaf = lib.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            leaf.index_add_(0, lib.tensor([0]), lib.ones(1))
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            leaf.scatter_reduce_(0, lib.tensor([0]), lib.ones(1), "amax")
    x = fastnn.zeros(3)
    for call in (lambda t: t.index_add_(0, fastnn.tensor([0]), fastnn.ones(1)),
                 lambda t: t.index_copy_(0, fastnn.tensor([0]), fastnn.ones(1)),
                 lambda t: t.index_fill_(0, fastnn.tensor([0]), 2.0),
                 lambda t: t.scatter_reduce_(0, fastnn.tensor([0]), fastnn.ones(1), "prod")):
        assert call(x) is x
    # a non-contiguous tensor written in place
    y = fastnn.zeros(4, 6)[:, ::2]
    y.index_add_(1, fastnn.tensor([0, 0, 2]), fastnn.ones(4, 3))
    assert np.asarray(y).tolist() == [[2.0, 0.0, 1.0]] * 4


# ------------------------------------------------------------------ torch-free

def _loop_index_add(x, dim, index, s, alpha):
    out = np.array(x)
    for k, j in enumerate(index):
        np.moveaxis(out, dim, 0)[j] += alpha * np.moveaxis(s, dim, 0)[k]
    return out


def _loop_scatter_reduce(x, dim, index, s, reduce, include_self):
    out = np.array(x, dtype=np.float64)
    groups = {}
    for pos in np.ndindex(*index.shape):
        target = pos[:dim] + (index[pos],) + pos[dim + 1:]
        groups.setdefault(target, []).append(s[pos])
    for target, values in groups.items():
        values = ([x[target]] if include_self else []) + values
        out[target] = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max,
                       "amin": np.min}[reduce](values)
    return out


def test_against_numpy_loops():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4, 5))
    for dim in range(3):
        index = rng.integers(0, x.shape[dim], 6)
        shape = list(x.shape)
        shape[dim] = 6
        s = rng.standard_normal(shape)
        got = fastnn.tensor(x).index_add(dim, fastnn.tensor(index), fastnn.tensor(s), alpha=-2)
        np.testing.assert_allclose(got, _loop_index_add(x, dim, index, s, -2), rtol=1e-12)
        unique = rng.permutation(x.shape[dim])[:2]
        part = np.take(s, [0, 1], axis=dim)
        want = np.array(x)
        np.moveaxis(want, dim, 0)[unique] = np.moveaxis(part, dim, 0)
        np.testing.assert_array_equal(fastnn.tensor(x).index_copy(
            dim, fastnn.tensor(unique), fastnn.tensor(part)), want)
        want = np.array(x)
        np.moveaxis(want, dim, 0)[index - x.shape[dim]] = 7.0
        np.testing.assert_array_equal(fastnn.index_fill(
            x, dim, fastnn.tensor(index - x.shape[dim]), 7.0), want)
        for reduce, include_self in itertools.product(REDUCES, (True, False)):
            sindex = rng.integers(0, x.shape[dim], (2, 3, 4))
            src = rng.standard_normal((3, 4, 5))
            got = fastnn.scatter_reduce(x, dim, fastnn.tensor(sindex), fastnn.tensor(src),
                                        reduce, include_self=include_self)
            np.testing.assert_allclose(got, _loop_scatter_reduce(x, dim, sindex, src, reduce,
                                                                 include_self), rtol=1e-12)
    ints = np.array([-1, 5, 7])
    got = fastnn.tensor(ints).scatter_reduce(0, fastnn.tensor([0, 0, 2]),
                                             fastnn.tensor([-3, -6, 4]), "mean")
    assert np.asarray(got).tolist() == [-4, 5, 5]       # floor of -10/3 and 11/2
