"""The torch methods fastnn.Tensor gained (t, abs, exp, pow, clamp, masked_fill, type, relu,
sigmoid, softmax) and the top-level functions (fastnn.relu, fastnn.where, fastnn.matmul ...),
against torch, with torch's errors."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import Tensor
from torch_compare import assert_like_torch, assert_same, raises_like


def pair(torch, arr):
    arr = np.asarray(arr)
    return arr.copy().view(Tensor), torch.from_numpy(arr.copy())


FLOATS = np.array([[-1.5, 0.0, 2.25], [3.0, -0.5, np.nan]], np.float32)
INTS = np.array([[-2, 0, 3], [1, 5, -1]], np.int64)


def test_t(torch):
    for shape in [(), (3,), (2, 3)]:
        x, t = pair(torch, np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape))
        assert_same(x.t(), t.t())
        assert_same(fastnn.t(x), torch.t(t))
    x, t = pair(torch, np.ones((2, 3, 4)))
    raises_like(lambda: t.t(), lambda: x.t())
    y = fastnn.ones(2, 3)
    y.t()[0, 1] = 5.0
    assert y[1, 0] == 5.0                                            # a view


@pytest.mark.parametrize("values", [FLOATS, INTS, INTS.astype(np.uint8), INTS > 0])
def test_abs_exp_pow(torch, values):
    x, t = pair(torch, values)
    with np.errstate(all="ignore"):
        for ours, theirs in [(x.abs, t.abs), (x.exp, t.exp), (lambda: x.pow(2), lambda: t.pow(2)),
                             (lambda: x.pow(0.5), lambda: t.pow(0.5)),
                             (lambda: fastnn.abs(x), lambda: torch.abs(t)),
                             (lambda: fastnn.exp(x), lambda: torch.exp(t)),
                             (lambda: fastnn.pow(x, 3), lambda: torch.pow(t, 3)),
                             (lambda: fastnn.pow(2, x), lambda: torch.pow(2, t)),
                             (lambda: x ** 2.0, lambda: t ** 2.0),
                             (lambda: x ** 2, lambda: t ** 2)]:
            assert_like_torch(ours, theirs, rtol=1e-6, atol=1e-6)


def test_clamp(torch):
    for values in (FLOATS, INTS, INTS > 0):
        x, t = pair(torch, values)
        for args, kwargs in [((0,), {}), ((None, 1), {}), ((), {"min": -1, "max": 1}),
                             ((0.5,), {}), ((), {"max": 2.5}), ((2, 1), {}),
                             ((float("nan"),), {})]:
            assert_like_torch(lambda: x.clamp(*args, **kwargs),
                              lambda: t.clamp(*args, **kwargs))
            assert_like_torch(lambda: fastnn.clamp(x, *args, **kwargs),
                              lambda: torch.clamp(t, *args, **kwargs))
        low, tlow = pair(torch, np.zeros(3, values.dtype))
        assert_like_torch(lambda: x.clamp(low), lambda: t.clamp(tlow))
        assert_like_torch(lambda: x.clamp(max=low), lambda: t.clamp(max=tlow))
    x, t = pair(torch, FLOATS)
    raises_like(lambda: t.clamp(), lambda: x.clamp())
    raises_like(lambda: t.clamp("a"), lambda: x.clamp("a"), "must be Number")
    np.testing.assert_array_equal(x.clip(0, 1), np.clip(np.asarray(x), 0, 1))  # numpy's


def test_masked_fill(torch):
    x, t = pair(torch, FLOATS)
    mask, tmask = pair(torch, FLOATS > 0)
    for value in (0.0, -1, True, fastnn.tensor(2.5)):
        tvalue = torch.tensor(2.5) if isinstance(value, Tensor) else value
        assert_same(x.masked_fill(mask, value), t.masked_fill(tmask, tvalue))
    row, trow = pair(torch, np.array([True, False, True]))
    assert_same(x.masked_fill(row, 9.0), t.masked_fill(trow, 9.0))
    ints, tints = pair(torch, INTS)
    assert_same(ints.masked_fill(ints > 0, 2.5), tints.masked_fill(tints > 0, 2.5))
    wide, twide = pair(torch, np.ones((3, 2), bool))
    small, tsmall = pair(torch, np.ones(2, np.float32))
    assert_same(small.masked_fill(wide, 1.0), tsmall.masked_fill(twide, 1.0))
    raises_like(lambda: tsmall.masked_fill_(twide, 1.0), lambda: small.masked_fill_(wide, 1.0))
    raises_like(lambda: t.masked_fill(tmask.to(torch.uint8), 1.0),
                lambda: x.masked_fill(mask.astype(np.uint8), 1.0))
    raises_like(lambda: t.masked_fill(tmask, torch.ones(2)),
                lambda: x.masked_fill(mask, fastnn.ones(2)))
    raises_like(lambda: t.masked_fill(tmask, "a"), lambda: x.masked_fill(mask, "a"),
                "masked_fill() received an invalid combination of arguments - got (Tensor, str)")
    before = x.copy()
    x.masked_fill(mask, 0.0)
    np.testing.assert_array_equal(x, before)                        # input left alone
    assert x.masked_fill_(mask, 0.0) is x
    t.masked_fill_(tmask, 0.0)
    np.testing.assert_array_equal(x, t.numpy())


def test_type(torch):
    x, t = pair(torch, FLOATS)
    assert x.type() == t.type().replace("torch", "fastnn") == "fastnn.FloatTensor"
    for dtype, tdtype in ((fastnn.float64, torch.float64), (fastnn.int64, torch.int64)):
        assert_same(x.type(dtype), t.type(tdtype)) if dtype.kind == "f" else None
        assert x.type(dtype).dtype == np.dtype(dtype)
    assert x.type("torch.DoubleTensor").dtype == np.float64
    assert x.type("fastnn.LongTensor").dtype == np.int64 and x.type(fastnn.float32) is x
    raises_like(lambda: t.type("torch.Foo"), lambda: x.type("torch.Foo"))
    assert fastnn.tensor([1, 2]).type() == "fastnn.LongTensor"


def test_activation_methods_share_the_functional_ops(torch):
    x, t = pair(torch, FLOATS)
    assert_like_torch(x.relu, t.relu)
    assert_like_torch(x.sigmoid, t.sigmoid, rtol=1e-6, atol=1e-7)
    assert_like_torch(x.tanh, t.tanh, rtol=1e-6, atol=1e-7)
    for dim in (0, 1, -1):
        assert_like_torch(lambda: x.softmax(dim), lambda: t.softmax(dim), rtol=1e-6, atol=1e-7)
        assert_like_torch(lambda: fastnn.softmax(x, dim), lambda: torch.softmax(t, dim),
                          rtol=1e-6, atol=1e-7)
        assert_like_torch(lambda: x.log_softmax(dim), lambda: t.log_softmax(dim), rtol=1e-6,
                          atol=1e-6)
    raises_like(lambda: t.softmax(), lambda: x.softmax(), "missing 1 required positional")
    ints, tints = pair(torch, INTS)
    assert_like_torch(ints.relu, tints.relu)
    assert_like_torch(ints.sigmoid, tints.sigmoid, rtol=1e-6, atol=1e-7)
    assert_like_torch(lambda: fastnn.relu(ints), lambda: torch.relu(tints))
    assert_like_torch(lambda: fastnn.sigmoid(x), lambda: torch.sigmoid(t), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(x.relu(), F.relu(x))
    y = fastnn.tensor([-1.0, 2.0])
    assert y.relu_() is y and y.tolist() == [0.0, 2.0]


def test_where(torch):
    x, t = pair(torch, FLOATS)
    cond, tcond = pair(torch, FLOATS > 0)
    ints, tints = pair(torch, INTS)
    for a, b, ta, tb in [(x, 0.0, t, 0.0), (ints, 2.5, tints, 2.5), (ints, x, tints, t),
                         (1, 0, 1, 0), (x, ints, t, tints)]:
        assert_like_torch(lambda: fastnn.where(cond, a, b), lambda: torch.where(tcond, ta, tb))
    raises_like(lambda: torch.where(tints, tints, 2.5), lambda: fastnn.where(ints, ints, 2.5))


def test_top_level_functions_accept_arrays_and_refuse_others(torch):
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    for name in ("sum", "mean", "max", "argmax", "exp", "relu", "sigmoid"):
        assert type(getattr(fastnn, name)(arr)) is Tensor
    raises_like(lambda: torch.sum("a"), lambda: fastnn.sum("a"),
                "argument 'input' (position 1) must be Tensor")
    assert_same(fastnn.mm(fastnn.ones(2, 3), fastnn.ones(3, 1)),
                torch.mm(torch.ones(2, 3), torch.ones(3, 1)))
    assert_same(fastnn.maximum(fastnn.tensor([1, 5]), fastnn.tensor([3.0, 2.0])),
                torch.maximum(torch.tensor([1, 5]), torch.tensor([3.0, 2.0])))
    assert fastnn.sum(fastnn.ones(2, 3), 1, True).shape == (2, 1)
    namespace = {}
    exec("from fastnn import *", namespace)
    assert not {"sum", "max", "min", "abs", "pow", "any", "all"} & set(namespace)


@pytest.mark.filterwarnings("ignore::UserWarning")      # torch: a list key is deprecated
@pytest.mark.parametrize("shape, key", [
    ((3, 4, 5), (0, 0, 0, 0)), ((3, 4, 5), (..., 7)), ((3, 4, 5), (..., -6)),
    ((3, 4, 5), (None, 3)), ((3, 4, 5), 2.5), ((3, 4, 5), (0, 2.5)),
    ((3, 4, 5), np.float32(1)), ((3, 4, 5), "2"), ((3, 4, 5), (1, "a")), ((3, 4, 5), {1: 2}),
    ((3, 4, 5), (True, 5)), ((3, 4, 5), (..., 0, 7)), ((3, 4, 5), (slice(None), None, 9)),
    ((3, 4, 5), (None, None, 0, 9)), ((3, 4, 5), (slice(None), ..., None, 9)),
    ((3, 4, 5), (slice(1, None), -1)), ((3, 4, 5), (None, ..., None)), ((3, 4, 5), [7]),
    ((), 0), ((), slice(None)), ((), (0, 0)), ((), None), ((), ...),
])
def test_indexing_answers_and_refuses_as_torch(shape, key, torch):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    assert_like_torch(lambda: fastnn.from_numpy(x)[key], lambda: torch.from_numpy(x)[key])
