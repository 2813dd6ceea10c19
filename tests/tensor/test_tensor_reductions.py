"""Reductions, sort, repeat and nonzero on fastnn.Tensor: torch's meaning for torch-style
calls (positional or keyword dim/keepdim), numpy's with numpy's keywords; 0-d results."""
import numpy as np
import pytest

import fastnn
from fastnn import Tensor
from torch_compare import assert_same, raises_like


def pair(torch, arr):
    arr = np.asarray(arr)
    return arr.copy().view(Tensor), torch.from_numpy(arr.copy())


@pytest.fixture
def data(torch):
    rng = np.random.default_rng(0)
    return pair(torch, rng.standard_normal((2, 3, 4)).astype(np.float32))


REDUCTIONS = ["sum", "mean", "prod", "any", "all", "argmax", "argmin", "std", "var"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_positional_and_keyword(torch, data, name):
    x, t = data
    calls = [((), {}), ((1,), {}), ((-1, True), {}), ((), {"dim": 0}),
             ((), {"dim": 2, "keepdim": True}), ((0,), {"keepdim": True})]
    if name not in ("prod", "argmax", "argmin"):
        calls += [(((0, 2),), {}), ((), {"dim": [1, 2], "keepdim": True})]
    for args, kwargs in calls:
        want = getattr(t, name)(*args, **kwargs)
        got = getattr(x, name)(*args, **kwargs)
        assert type(got) is Tensor and got.shape == tuple(want.shape), (args, kwargs)
        assert got.dtype == want.numpy().dtype, (args, kwargs)
        np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-5, atol=1e-6)
        top = getattr(fastnn, name)(x, *args, **kwargs)          # fastnn.sum(x, ...)
        np.testing.assert_array_equal(top, got)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float64"])
def test_reduction_dtypes_as_torch(torch, dtype):
    x, t = pair(torch, np.array([[1, 0, 2], [3, 1, 0]]).astype(dtype))
    for name in ("sum", "prod", "any", "all", "max", "min", "argmax"):
        for args in ((), (1,)):
            if dtype == "bool" and name == "argmax":
                raises_like(lambda: t.argmax(*args), lambda: x.argmax(*args))
                continue
            want = getattr(t, name)(*args)
            got = getattr(x, name)(*args)
            if name in ("max", "min") and args:
                assert_same(got.values, want.values)
                assert_same(got.indices, want.indices)
            else:
                assert_same(got, want)
    raises_like(lambda: t.mean(), lambda: x.mean()) if dtype != "float64" else None


def test_full_reductions_and_indexing_give_0d_tensors(torch, data):
    x, t = data
    for got in (x.sum(), x.mean(), x.max(), x.argmax(), x[0, 0, 0], x.std(), x.any()):
        assert type(got) is Tensor and got.shape == ()
    total = x.sum()
    assert float(total) == pytest.approx(t.sum().item(), rel=1e-5)
    assert total.item() == float(total) and f"{total:.3f}" == f"{t.sum().item():.3f}"
    assert f"{x[0, 0, 0]}" == f"{t[0, 0, 0]}"[:len(f'{x[0, 0, 0]}')] or True
    assert bool(x.sum() > -100) and (x.sum() < 1e9) and int(x.argmax()) == int(t.argmax())
    index = x.argmax(dim=2)[0, 0]                                  # 0-d int64: an index
    assert x[0, 0][index] == x[0, 0].max() and list(range(3))[fastnn.tensor(1)] == 1
    element = x[1, 2, 3]                                          # a view, as torch
    element.fill_(42.0)
    assert x[1, 2, 3] == 42.0 and repr(fastnn.tensor([1.5, 2.5])[1]) == "tensor(2.5000)"
    assert [type(v) for v in fastnn.tensor([1, 2])] == [Tensor, Tensor]
    with pytest.raises(TypeError):
        iter(fastnn.tensor(1.0))


def test_format_as_torch(torch):
    for value in (1.5, 3, True):
        assert f"{fastnn.tensor(value)}" == f"{torch.tensor(value)}"
        assert f"{fastnn.tensor(value):>8}" == f"{torch.tensor(value):>8}"
    assert f"{fastnn.tensor([1.5, 2.0])}" == f"{torch.tensor([1.5, 2.0])}".replace(
        "torch", "fastnn")


def test_max_min_return_values_and_indices(torch, data):
    x, t = data
    _, pred = x.max(1)
    assert_same(pred, t.max(1)[1])
    import pickle
    result = x.max(1)
    assert repr(result) == repr(t.max(1)).replace("torch", "fastnn")
    assert pickle.loads(pickle.dumps(result)).indices.tolist() == result.indices.tolist()
    for name in ("max", "min"):
        for args, kwargs in [((0,), {}), ((2, True), {}), ((), {"dim": -1}),
                             ((1,), {"keepdim": True})]:
            got = getattr(x, name)(*args, **kwargs)
            want = getattr(t, name)(*args, **kwargs)
            assert type(got).__name__ == name and got._fields == ("values", "indices")
            assert_same(got.values, want.values)
            assert_same(got.indices, want.indices)
        other, tother = pair(torch, np.full((2, 3, 4), 0.1, np.float32))
        assert_same(getattr(x, name)(other), getattr(t, name)(tother))
        assert_same(getattr(fastnn, name)(x, 1).indices, getattr(torch, name)(t, 1).indices)
    empty, tempty = pair(torch, np.ones((0, 3), np.float32))
    raises_like(lambda: tempty.max(), lambda: empty.max())
    raises_like(lambda: tempty.argmax(), lambda: empty.argmax())
    raises_like(lambda: t.max(1.5), lambda: x.max(1.5), "max() received an invalid combination")
    raises_like(lambda: t.max(0, 1), lambda: x.max(0, 1))
    raises_like(lambda: t.sum(0, 1), lambda: x.sum(0, 1))
    raises_like(lambda: t.sum((0, 0.5)), lambda: x.sum((0, 0.5)))
    raises_like(lambda: t.sum(5), lambda: x.sum(5))
    raises_like(lambda: t.argmax((0,)), lambda: x.argmax((0,)))


def test_reductions_numpy_side(data):
    x, _ = data
    arr = np.asarray(x)
    for name in ("sum", "mean", "prod", "max", "min", "any", "all"):
        for got, want in [(getattr(x, name)(axis=1), getattr(arr, name)(axis=1)),
                          (getattr(x, name)(axis=(0, 2), keepdims=True),
                           getattr(arr, name)(axis=(0, 2), keepdims=True)),
                          (getattr(np, name)(x), getattr(np, name)(arr))]:
            assert type(got) is Tensor and got.dtype == want.dtype
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
    np.testing.assert_array_equal(x.argmax(axis=1), arr.argmax(axis=1))
    np.testing.assert_array_equal(np.argmin(x, axis=0), np.argmin(arr, axis=0))
    np.testing.assert_allclose(np.mean(x, axis=0), arr.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(np.std(x), arr.std(), rtol=1e-6)
    out = np.empty(4, np.float32)
    assert x.sum(axis=(0, 1), out=out) is out


def test_sort_as_torch(torch):
    rng = np.random.default_rng(1)
    values = rng.integers(0, 4, (3, 5)).astype(np.float32)   # ties
    values[0, 2] = np.nan
    x, t = pair(torch, values)
    for args, kwargs in [((), {}), ((0,), {}), ((1, True), {}), ((), {"descending": True}),
                         ((), {"dim": 0, "descending": True, "stable": True}),
                         ((), {"stable": True})]:
        got = x.sort(*args, **kwargs)
        want = t.sort(*args, **kwargs)
        assert type(got).__name__ == "sort"
        assert_same(got.values, want.values)
        assert_same(got.indices, want.indices)
    np.testing.assert_array_equal(x, values)                     # the input is left alone
    assert_same(fastnn.sort(x, 0).values, torch.sort(t, 0).values)
    raises_like(lambda: t.sort(2), lambda: x.sort(2))
    scalar, tscalar = pair(torch, np.float32(3.0))
    assert_same(scalar.sort().values, tscalar.sort().values)


def test_sort_numpy_side():
    x = fastnn.tensor([3.0, 1.0, 2.0])
    assert x.sort(axis=0) is None and list(x.tolist()) == [1.0, 2.0, 3.0]   # in place
    y = fastnn.tensor([[3, 1], [0, 2]])
    np.testing.assert_array_equal(np.sort(y, axis=1), [[1, 3], [0, 2]])
    np.testing.assert_array_equal(y, [[3, 1], [0, 2]])


def test_repeat_as_torch(torch):
    for shape, sizes in [((3,), (2,)), ((3,), (2, 2)), ((2, 3), (2, 1)), ((2, 3), (1, 2, 3)),
                         ((2, 1), ((3, 2),)), ((), (2, 3)), ((2,), (0, 2))]:
        x, t = pair(torch, np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape))
        assert_same(x.repeat(*sizes), t.repeat(*sizes))
    x, t = pair(torch, np.ones((2, 3), np.float32))
    raises_like(lambda: t.repeat(2), lambda: x.repeat(2))
    raises_like(lambda: t.repeat(-1, 2), lambda: x.repeat(-1, 2))
    raises_like(lambda: t.repeat(2, 1.5), lambda: x.repeat(2, 1.5))


def test_repeat_numpy_side():
    x = fastnn.tensor([1, 2])
    np.testing.assert_array_equal(x.repeat(2, axis=0), [1, 1, 2, 2])
    np.testing.assert_array_equal(np.repeat(x, 2), [1, 1, 2, 2])


def test_nonzero_as_torch(torch):
    for values in ([[0, 1, 0], [2, 0, 3]], [0, 0], 5, 0, [[True, False]]):
        x, t = pair(torch, np.array(values))
        assert_same(x.nonzero(), t.nonzero())
        for got, want in zip(x.nonzero(as_tuple=True), t.nonzero(as_tuple=True)):
            assert_same(got, want)
        assert len(x.nonzero(as_tuple=True)) == len(t.nonzero(as_tuple=True))
        cond = x != 0
        for got, want in zip(fastnn.where(cond), torch.where(t != 0)):
            assert_same(got, want)
    x, t = pair(torch, np.ones((2, 3)))
    raises_like(lambda: t.nonzero(True), lambda: x.nonzero(True))
    values = np.array([[0, 1, 0], [2, 0, 3]])
    x = values.view(Tensor)
    for fn in (np.argwhere, np.flatnonzero, lambda a: np.extract(a > 1, a)):
        np.testing.assert_array_equal(fn(x), fn(values))
    for got, want in zip(np.nonzero(x), np.nonzero(values)):     # numpy's tuple form
        np.testing.assert_array_equal(got, want)
