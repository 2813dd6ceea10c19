"""Tensor functions of issue 17 (item 2), splitting and selecting: split, chunk, topk,
gather, scatter/scatter_add (and in place), index_select, roll, argmin/argmax's tie and NaN
rules. Each against torch, as a method and at the top level (``import fastnn as torch``),
over seeded random sweeps of dims (negative too), keepdim, dtypes and empty tensors, and
every error torch raises (class and whole message). The math ones are in
test_tensor_functions_math.py."""
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import ops
from torch_compare import same_call

RNG = np.random.default_rng(17)
SHAPES = [(5,), (3, 4), (2, 3, 4), (0, 3), (3, 0, 2)]
DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8]


def data(shape, dtype=np.float32, rng=RNG):
    a = rng.standard_normal(shape) * 4
    return a.astype(dtype) if np.dtype(dtype).kind == "f" else np.abs(a).astype(dtype)


def tensor(lib, values, dtype=None):
    return lib.tensor(values, dtype=dtype)


# ------------------------------------------------------------------ split, chunk

def test_split_and_chunk_sweep_as_torch_and_give_views(torch):
    for shape in SHAPES:
        x = data(shape)
        for dim in range(-len(shape), len(shape)):
            n = shape[dim]
            for size in sorted({0, 1, 2, 3, n, n + 2}):
                same_call(lambda lib, t: t.split(size, dim), x)
                same_call(lambda lib, t: lib.split(t, size, dim=dim), x)
            for chunks in (1, 2, 3, 5):
                same_call(lambda lib, t: t.chunk(chunks, dim), x)
                same_call(lambda lib, t: lib.chunk(t, chunks=chunks, dim=dim), x)
            sections = [n // 2, n - n // 2]
            same_call(lambda lib, t: t.split(sections, dim), x)
            same_call(lambda lib, t: lib.split(t, tuple(sections), dim), x)
    x = fastnn.randn(4, 6)
    for part in x.split(4, 1) + x.chunk(3) + x.split([1, 5], 1):
        assert isinstance(part, fastnn.Tensor) and np.shares_memory(part, x)


SPLIT_ERRORS = [
    lambda lib, t: t.split(0, 1), lambda lib, t: t.split(-1, 1),
    lambda lib, t: t.split([1, 2], 1), lambda lib, t: t.split([5, -1], 1),
    lambda lib, t: t.split(1.5, 1), lambda lib, t: t.split([1.0, 3], 1),
    lambda lib, t: t.split(1, 5), lambda lib, t: t.split(True),
    lambda lib, t: t.chunk(0), lambda lib, t: t.chunk(-1), lambda lib, t: t.chunk(2.0),
    lambda lib, t: t.chunk(2, -3), lambda lib, t: t[0, 0].split(1),
    lambda lib, t: t[0, 0].chunk(1),
]


@pytest.mark.parametrize("call", SPLIT_ERRORS)
def test_split_and_chunk_errors_as_torch(torch, call):
    same_call(call, data((3, 4)))


# ------------------------------------------------------------------ topk

def _topk_check(lib_result, torch_result, x, dim):
    """Values exactly as torch's; indices pointing at those values (ties may differ)."""
    values, indices = lib_result
    ref = torch_result.values.numpy()
    assert values.dtype == ref.dtype and indices.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(values), ref)
    if x.ndim:
        np.testing.assert_array_equal(np.take_along_axis(x, np.asarray(indices), dim), ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int8])
def test_topk_sweep_as_torch(torch, dtype):
    rng = np.random.default_rng(1)
    for shape in [(6,), (3, 5), (2, 3, 4), (0, 4)]:
        x = rng.integers(-3, 4, shape).astype(dtype)       # ties on purpose
        for dim in range(-len(shape), len(shape)):
            for k in sorted({0, min(1, shape[dim]), shape[dim] // 2, shape[dim]}):
                for largest in (True, False):
                    ours = fastnn.topk(fastnn.from_numpy(x), k, dim, largest)
                    theirs = torch.topk(torch.from_numpy(x), k, dim, largest)
                    _topk_check(ours, theirs, x, dim)
                    method = fastnn.from_numpy(x).topk(k, dim=dim, largest=largest,
                                                       sorted=False)
                    got = np.sort(np.asarray(method.values), axis=dim)
                    np.testing.assert_array_equal(got, np.sort(theirs.values.numpy(), dim))
    result = fastnn.randn(3, 4).topk(2)
    assert result.values is result[0] and result.indices is result[1]
    assert repr(result).startswith("fastnn.return_types.topk(")


def test_topk_nan_is_the_largest_and_0d_and_out(torch):
    x = np.array([1.0, np.nan, 3.0, -np.inf, np.nan], np.float32)
    for k in range(6):
        for largest in (True, False):
            _topk_check(fastnn.from_numpy(x).topk(k, largest=largest),
                        torch.from_numpy(x).topk(k, largest=largest), x, 0)
    for k in (0, 1):
        same_call(lambda lib, t: t[0].topk(k), data((3,)))
    values, indices = np.empty((3, 2), np.float32), np.empty((3, 2), np.int64)
    x = fastnn.randn(3, 4)
    result = fastnn.topk(x, 2, out=(values, indices))
    assert result.values is values and result.indices is indices
    np.testing.assert_array_equal(values, x.topk(2).values)


TOPK_ERRORS = [
    lambda lib, t: t.topk(5), lambda lib, t: t.topk(-1), lambda lib, t: t.topk(1.0),
    lambda lib, t: t.topk(1, 3), lambda lib, t: t[0, 0].topk(2),
    lambda lib, t: (t > 0).topk(1),
]


@pytest.mark.parametrize("call", TOPK_ERRORS)
def test_topk_errors_as_torch(torch, call):
    same_call(call, data((3, 4)))


# ------------------------------------------------------------------ gather, index_select

@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_and_index_select_sweep_as_torch(torch, dtype):
    rng = np.random.default_rng(2)
    for shape in [(5,), (3, 4), (2, 3, 4), (3, 0, 2)]:
        x = data(shape, dtype, rng)
        for dim in range(-len(shape), len(shape)):
            n = shape[dim]
            small = tuple(max(s - 1, 0) if d != dim % len(shape) else s + 2
                          for d, s in enumerate(shape))
            index = rng.integers(0, max(n, 1), small) if n else np.zeros(small, np.int64)
            if n or not np.prod(small):
                same_call(lambda lib, t, i: t.gather(dim, i), x, index)
                same_call(lambda lib, t, i: lib.gather(t, dim, i.int()), x, index)
            picks = rng.integers(0, n, 4) if n else np.zeros(0, np.int64)
            same_call(lambda lib, t, i: t.index_select(dim, i), x, picks)
            same_call(lambda lib, t, i: lib.index_select(t, dim, i.int()), x, picks)


def test_gather_index_select_0d_empty_and_out(torch):
    scalar = np.array(2.5, np.float32)
    same_call(lambda lib, t: t.gather(0, lib.tensor(0)), scalar)
    same_call(lambda lib, t: t.gather(0, lib.tensor([0, 0])), scalar)
    same_call(lambda lib, t: t.index_select(0, lib.tensor([0])), scalar)
    same_call(lambda lib, t: t.gather(0, lib.tensor(1)), data((3,)))
    same_call(lambda lib, t: t.index_select(0, lib.tensor(1)), data((3, 4)))
    same_call(lambda lib, t: t.gather(1, lib.zeros(0, 9, dtype=lib.int64)), data((3, 4)))
    same_call(lambda lib, t: t.gather(1, lib.zeros(0, dtype=lib.int64)), data((3, 4)))
    x = fastnn.randn(3, 4)
    out = np.empty((3, 2), np.float32)
    assert fastnn.gather(x, 1, np.array([[0, 1]] * 3), out=out) is out
    np.testing.assert_array_equal(out, x[:, :2])
    out = np.empty((2, 4), np.float32)
    assert fastnn.index_select(x, 0, np.array([2, 0]), out=out) is out
    np.testing.assert_array_equal(out, x.numpy()[[2, 0]])


INDEX = [[0, 1], [2, 0]]
GATHER_ERRORS = [
    lambda lib, t: t.gather(1, lib.tensor([[7]])), lambda lib, t: t.gather(1, lib.tensor([[-1]])),
    lambda lib, t: t.gather(1, lib.tensor([1])),
    lambda lib, t: t.gather(1, lib.zeros(4, 2, dtype=lib.int64)),
    lambda lib, t: t.gather(1, lib.zeros(2, 2)), lambda lib, t: t.gather(2, lib.tensor(INDEX)),
    lambda lib, t: t.gather(5, lib.tensor([9.0])),
    lambda lib, t: t.gather(1, lib.tensor(INDEX, dtype=lib.int16)),
    lambda lib, t: t.gather(1, lib.tensor([[5]], dtype=lib.int32)),
    lambda lib, t: t.gather(1.0, lib.tensor(INDEX)),
    lambda lib, t: t[0].gather(0, lib.tensor(INDEX)),
    lambda lib, t: t.index_select(1, lib.tensor([[0]])),
    lambda lib, t: t.index_select(1, lib.tensor([4])),
    lambda lib, t: t.index_select(1, lib.tensor([0, -1])),
    lambda lib, t: t.index_select(1, lib.tensor([0.0])),
    lambda lib, t: t.index_select(5, lib.tensor([[9.0]])),
    lambda lib, t: t.index_select(1, lib.tensor([[9.0]])),
]


@pytest.mark.parametrize("call", GATHER_ERRORS)
def test_gather_and_index_select_errors_as_torch(torch, call):
    same_call(call, data((3, 4)))


# ------------------------------------------------------------------ scatter, scatter_add

def _unique_index(rng, index_shape, self_shape, dim):
    """An index without repeats along `dim` (torch leaves repeated writes unspecified)."""
    index = np.empty(index_shape, np.int64)
    moved = np.moveaxis(index, dim, -1)
    for position in np.ndindex(moved.shape[:-1]):
        moved[position] = rng.permutation(self_shape[dim])[:index_shape[dim]]
    return index


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_scatter_sweep_as_torch(torch, dtype):
    rng = np.random.default_rng(3)
    warnings.simplefilter("ignore", UserWarning)        # torch's deprecation of reduce=
    for shape in [(5,), (3, 4), (2, 3, 4)]:
        x = data(shape, dtype, rng)
        for dim in range(-len(shape), len(shape)):
            d = dim % len(shape)
            small = tuple(max(s - 1, 1) for s in shape)
            unique = _unique_index(rng, small, shape, d)
            repeated = rng.integers(0, shape[d], small)
            src = data(tuple(s + 1 for s in shape), dtype, rng)
            same_call(lambda lib, t, i, s: t.scatter(dim, i, s), x, unique, src)
            same_call(lambda lib, t, i, s: lib.scatter(t, dim, i, s), x, unique, src)
            same_call(lambda lib, t, i: t.scatter(dim, i, 2.5), x, unique)
            same_call(lambda lib, t, i: lib.scatter(t, dim, i, value=-3), x, unique)
            tol = dict(rtol=1e-6, atol=1e-6)
            for reduce in ("add", "multiply"):
                same_call(lambda lib, t, i, s: t.scatter(dim, i, s, reduce=reduce),
                          x, repeated, src, **tol)
                same_call(lambda lib, t, i: t.scatter(dim, i, 1.5, reduce=reduce),
                          x, repeated, **tol)
            same_call(lambda lib, t, i, s: t.scatter_add(dim, i, s), x, repeated, src, **tol)
            same_call(lambda lib, t, i, s: lib.scatter_add(t, dim, i.int(), s), x, repeated,
                      src, **tol)
            same_call(lambda lib, t, i, s: (t.scatter_add_(dim, i, s), t)[1], x, repeated,
                      src, **tol)
            same_call(lambda lib, t, i, s: (t.scatter_(dim, i, s, reduce="add"), t)[1], x,
                      repeated, src, **tol)
            same_call(lambda lib, t, i: (t.scatter_(dim, i, 7), t)[1], x, unique)


def test_scatter_in_place_returns_the_tensor_and_out_of_place_leaves_it():
    x = fastnn.zeros(3, 4)
    index = np.array([[0, 1], [2, 0]])
    y = x.scatter(1, index, 1.0)
    assert not x.any() and y.sum() == 4
    assert x.scatter_(1, index, 2.0) is x and x.sum() == 8
    assert x.scatter_add_(1, index, fastnn.ones(2, 2)) is x and x.sum() == 12
    out = np.empty((3, 4), np.float32)
    assert fastnn.scatter(fastnn.zeros(3, 4), 1, index, 1.0, out=out) is out
    assert out.sum() == 4


def test_scatter_edge_cases_as_torch(torch):
    same_call(lambda lib, t: t.scatter(0, lib.tensor(0), lib.tensor(5.0)), np.float32(1))
    same_call(lambda lib, t: t.scatter(0, lib.tensor([0]), lib.tensor([5.0])), np.float32(1))
    same_call(lambda lib, t: t.scatter(0, lib.tensor(1), lib.tensor(5.0)), data((3,)))
    same_call(lambda lib, t: t.scatter(0, lib.tensor(1), 5.0), data((3,)))
    same_call(lambda lib, t: t.scatter(1, lib.zeros(0, 2, dtype=lib.int64), t), data((3, 4)))
    same_call(lambda lib, t: t.scatter(1, lib.zeros(0, dtype=lib.int64), lib.ones(4)),
              data((3, 4)))
    same_call(lambda lib, t: t.scatter(0, lib.tensor([1, 1]), 5.0, reduce="multiply"),
              np.ones(3, np.float32))
    same_call(lambda lib, t: t.scatter(0, lib.tensor([1, 1]), True, reduce="add"),
              np.zeros(3, bool))
    same_call(lambda lib, t: t.scatter(1, lib.tensor(INDEX), 3.7), np.zeros((3, 4), np.int64))


def test_in_place_scatter_into_a_non_contiguous_tensor_as_torch(torch):
    rng = np.random.default_rng(8)
    base = data((4, 6))
    index = rng.integers(0, 6, (3, 4))
    src = data((3, 4))
    for call in (lambda t, i, s: t.scatter_add_(0, i, s),
                 lambda t, i, s: t.scatter_(0, i[:1], s, reduce="multiply"),
                 lambda t, i, s: t.scatter_(0, i[:1], 2.0)):
        ours = fastnn.from_numpy(base.copy()).t()           # (6, 4), not contiguous
        theirs = torch.from_numpy(base.copy()).t()
        assert call(ours, fastnn.from_numpy(index), fastnn.from_numpy(src)) is ours
        call(theirs, torch.from_numpy(index), torch.from_numpy(src))
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6, atol=1e-6)
    swapped = base.astype(">f4").view(fastnn.Tensor)         # byte-swapped, in place
    swapped.scatter_add_(1, fastnn.from_numpy(index), fastnn.from_numpy(src))
    want = torch.from_numpy(base.copy()).scatter_add_(1, torch.from_numpy(index),
                                                      torch.from_numpy(src))
    np.testing.assert_allclose(swapped, want.numpy(), rtol=1e-6, atol=1e-6)


def test_topk_of_long_rows_as_torch(torch):
    rng = np.random.default_rng(9)
    x = rng.integers(-20, 20, (4, 300)).astype(np.float32)
    x[0, ::7] = np.nan
    for k, largest, dim in [(5, True, 1), (17, False, -1), (3, True, 0), (299, False, 1)]:
        _topk_check(fastnn.from_numpy(x).topk(k, dim, largest),
                    torch.from_numpy(x).topk(k, dim, largest), x, dim)


def test_scatter_with_tensor_src_and_reduce_warns_as_torch():
    with pytest.warns(UserWarning, match="reduce argument of torch.scatter with Tensor src"):
        fastnn.zeros(3).scatter(0, np.array([0]), fastnn.ones(1), reduce="add")


SCATTER_ERRORS = [
    lambda lib, t: t.scatter(1, lib.tensor(INDEX), t, reduce="sum"),
    lambda lib, t: t.scatter(1, lib.tensor(INDEX), 2.0, reduce="mean"),
    lambda lib, t: t.scatter(1, lib.tensor(INDEX).float(), t),
    lambda lib, t: t.scatter(1, lib.tensor(INDEX, dtype=lib.int16), t),
    lambda lib, t: t.scatter(1, lib.tensor(INDEX), t.double()),
    lambda lib, t: t.scatter(1, lib.tensor(INDEX).float(), t.double()),
    lambda lib, t: t.scatter(1, lib.tensor(INDEX), lib.ones(1, 1)),
    lambda lib, t: t.scatter(1, lib.tensor([[4]]), 1.0),
    lambda lib, t: t.scatter(1, lib.tensor([[-1]]), 1.0),
    lambda lib, t: t.scatter(1, lib.zeros(4, 1, dtype=lib.int64), 1.0),
    lambda lib, t: t.scatter(1, lib.zeros(4, 1, dtype=lib.int64), lib.ones(5, 5)),
    lambda lib, t: t.scatter(1, lib.zeros(2, 1, dtype=lib.int64), lib.ones(1, 5)),
    lambda lib, t: t.scatter(1, lib.tensor([0]), t),
    lambda lib, t: t.scatter(0, lib.tensor(INDEX), lib.ones(4)),
    lambda lib, t: t.scatter(1, lib.tensor(INDEX), lib.ones(4)),
    lambda lib, t: t.scatter(1, lib.tensor(INDEX), lib.ones(3, 4, 5)),
    lambda lib, t: t.scatter(1, lib.tensor([[0]]), lib.tensor(3.0)),
    lambda lib, t: t.scatter(1, lib.tensor(INDEX), lib.tensor(3.0)),
    lambda lib, t: t[0].scatter(0, lib.tensor(INDEX), lib.ones(4, 4)),
    lambda lib, t: t.scatter(3, lib.tensor(INDEX), t),
    lambda lib, t: t.scatter_add(1, lib.tensor(INDEX), 1.0),
    lambda lib, t: t.scatter_add(1, lib.tensor(INDEX).float(), t),
    lambda lib, t: t.scatter_add(1, lib.tensor(INDEX), t.double()),
    lambda lib, t: t.scatter_add(1, lib.tensor(INDEX), lib.ones(1, 1)),
    lambda lib, t: t.scatter_add(1, lib.tensor(INDEX), lib.ones(4)),
    lambda lib, t: t.scatter_add_(1, lib.tensor(INDEX), t, reduce="add"),
    lambda lib, t: t.scatter_(1, lib.tensor(INDEX).float(), t),
]


@pytest.mark.parametrize("call", SCATTER_ERRORS)
def test_scatter_errors_as_torch_and_leave_the_input_alone(torch, call):
    x = data((3, 4))
    t = fastnn.from_numpy(x.copy())
    same_call(call, x)
    with pytest.raises(Exception):
        call(fastnn, t)
    np.testing.assert_array_equal(t, x)


# ------------------------------------------------------------------ roll

def test_roll_sweep_as_torch(torch):
    rng = np.random.default_rng(4)
    for shape in [(5,), (3, 4), (2, 3, 4), (0, 3), ()]:
        x = data(shape, np.float32, rng)
        for shift in (0, 1, -2, 7):
            same_call(lambda lib, t: t.roll(shift), x)
            same_call(lambda lib, t: lib.roll(t, (shift,)), x)
            for dim in range(-len(shape), len(shape)):
                same_call(lambda lib, t: t.roll(shift, dim), x)
                same_call(lambda lib, t: lib.roll(t, [shift, 1], [dim, 0]), x)
    x = fastnn.from_numpy(data((3, 4, 5))).permute(2, 0, 1)     # not contiguous
    t = torch.from_numpy(x.numpy().copy())
    np.testing.assert_array_equal(x.roll((1, -2), (0, 2)), t.roll((1, -2), (0, 2)).numpy())
    np.testing.assert_array_equal(x.roll(3), t.roll(3).numpy())


ROLL_ERRORS = [
    lambda lib, t: t.roll((1, 2), (0,)), lambda lib, t: t.roll((1, 2)),
    lambda lib, t: t.roll(()), lambda lib, t: t.roll(1, 3), lambda lib, t: t.roll(1.5),
    lambda lib, t: t[0, 0].roll(1, 0),
]


@pytest.mark.parametrize("call", ROLL_ERRORS)
def test_roll_errors_as_torch(torch, call):
    same_call(call, data((3, 4)))


# ------------------------------------------------------------------ argmin, argmax

def test_argmin_argmax_take_the_first_tie_and_nan_as_torch(torch):
    rows = np.array([[1, 0, 0, 2], [3, 3, 1, 1], [np.nan, 0, np.nan, 5], [2, 2, 2, 2]],
                    np.float32)
    for name in ("argmin", "argmax"):
        for args in ((), (1,), (0,), (-1, True)):
            same_call(lambda lib, t: getattr(t, name)(*args), rows)
            same_call(lambda lib, t: getattr(lib, name)(t, *args), rows)


# ------------------------------------------------------------------ the door

def test_each_function_records_its_op():
    x = fastnn.randn(3, 4)
    index = np.array([[0, 1], [2, 0]])
    calls = [(lambda: x.split(2, 1), "split"), (lambda: fastnn.chunk(x, 2), "chunk"),
             (lambda: x.topk(2), "topk"), (lambda: fastnn.gather(x, 1, index), "gather"),
             (lambda: x.scatter(1, index, 1.0), "scatter"),
             (lambda: x.clone().scatter_(1, index, 1.0), "scatter_"),
             (lambda: fastnn.scatter_add(x, 1, index, x), "scatter_add"),
             (lambda: x.clone().scatter_add_(1, index, x), "scatter_add_"),
             (lambda: x.index_select(0, np.array([1])), "index_select"),
             (lambda: fastnn.roll(x, 1), "roll")]
    for call, op in calls:
        with ops.record() as recorded:
            call()
        assert op in [c.op for c in recorded], op
