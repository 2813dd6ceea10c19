"""add, sub, mul, div (rounding modes), neg, clamp_min/max and the in-place forms, as
functions and Tensor methods, against torch: values, dtypes and errors over a seeded sweep
of dtypes, operand kinds and alphas; their gradients; a torch-free check of the rounding."""
import itertools

import numpy as np
import pytest

import fastnn

DTYPES = ["bool", "int32", "int64", "float32", "float64"]
ALPHAS = [1, 2, -1, 0.5, True, False]


def _tensor(lib, dtype, seed):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        values = rng.random(6) < 0.5
    elif dtype.startswith("int"):
        values = rng.integers(-9, 10, 6).astype(dtype)
        values[values == 0] = 3                         # divisors: no zero here
    else:
        values = rng.standard_normal(6).astype(dtype) * 4
    return lib.tensor(values)


def _others(lib, dtype, seed):
    yield _tensor(lib, dtype, seed + 1)
    yield from (3, -2, 2.5, True)


def _answer(call):
    try:
        result = call()
    except Exception as error:               # the error is the answer compared
        return type(error).__name__, str(error).split("\n")[0]
    return str(result.dtype).split(".")[-1], np.asarray(result).tolist()


def _both(torch, make):
    return _answer(lambda: make(torch)), _answer(lambda: make(fastnn))


def _same(ours, theirs):
    if ours[0] != theirs[0] or isinstance(ours[1], str):
        assert ours == theirs
        return
    np.testing.assert_allclose(np.asarray(ours[1], complex),
                               np.asarray(theirs[1], complex), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype,other_dtype", itertools.product(DTYPES, ["int64",
                                                                         "float32"]))
def test_add_sub_with_alpha_match_torch(torch, dtype, other_dtype):
    for index, alpha in enumerate(ALPHAS):
        for name in ("add", "sub"):
            for other_index in range(5):
                def make(lib):
                    x = _tensor(lib, dtype, index)
                    other = list(_others(lib, other_dtype, index))[other_index]
                    return getattr(lib, name)(x, other, alpha=alpha)
                theirs, ours = _both(torch, make)
                _same(ours, theirs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rounding_mode", [None, "trunc", "floor"])
def test_mul_div_match_torch(torch, dtype, rounding_mode):
    for other_dtype in DTYPES:
        for other_index in range(5):
            def make_div(lib):
                other = list(_others(lib, other_dtype, 7))[other_index]
                return lib.div(_tensor(lib, dtype, 5), other, rounding_mode=rounding_mode)

            def make_mul(lib):
                other = list(_others(lib, other_dtype, 7))[other_index]
                return lib.mul(_tensor(lib, dtype, 5), other)
            for make in (make_div, make_mul):
                theirs, ours = _both(torch, make)
                _same(ours, theirs)


@pytest.mark.parametrize("method,args,kwargs", [
    ("add_", (2.5,), {}), ("add_", (2,), {"alpha": 3}), ("sub_", (1,), {"alpha": 2}),
    ("mul_", (3,), {}), ("mul_", (0.5,), {}), ("div_", (2,), {}),
    ("div_", (-2,), {"rounding_mode": "trunc"}), ("div_", (2,), {"rounding_mode": "floor"}),
    ("neg_", (), {}), ("clamp_", (-1, 2), {}), ("clamp_min_", (0,), {}),
    ("clamp_max_", (1,), {}), ("clip_", (None, 1), {}), ("subtract_", (1,), {}),
    ("multiply_", (2,), {}), ("divide_", (4,), {}), ("true_divide_", (4,), {}),
    ("negative_", (), {}),
])
@pytest.mark.parametrize("dtype", ["bool", "int64", "float32"])
def test_in_place_methods_match_torch_and_return_self(torch, method, args, kwargs, dtype):
    results = {}
    for lib in (torch, fastnn):
        x = _tensor(lib, dtype, 11)
        results[lib] = _answer(lambda: getattr(x, method)(*args, **kwargs))
        if not isinstance(results[lib][1], str):
            assert getattr(x, method)(*args, **kwargs) is x if lib is fastnn else True
    _same(results[fastnn], results[torch])


@pytest.mark.parametrize("name,args,kwargs", [
    ("add", (2,), {}), ("sub", (2.5,), {"alpha": 2}), ("mul", (3,), {}), ("div", (2,), {}),
    ("div", (2,), {"rounding_mode": "trunc"}), ("neg", (), {}), ("clamp_min", (0,), {}),
    ("clamp_max", (0,), {}), ("subtract", (1,), {}), ("multiply", (2,), {}),
    ("divide", (2,), {}), ("true_divide", (2,), {}), ("negative", (), {}),
])
def test_functions_and_methods_agree_with_torch(torch, name, args, kwargs):
    for dtype in DTYPES:
        theirs, ours = _both(torch, lambda lib: getattr(lib, name)(
            _tensor(lib, dtype, 3), *args, **kwargs))
        _same(ours, theirs)
        theirs, ours = _both(torch, lambda lib: getattr(_tensor(lib, dtype, 3), name)(
            *args, **kwargs))
        _same(ours, theirs)


@pytest.mark.parametrize("make", [
    lambda lib, x: lib.add(2, x), lambda lib, x: lib.sub(2, x, alpha=3),
    lambda lib, x: lib.div(3, x, rounding_mode="floor"), lambda lib, x: lib.mul(2.5, x),
    lambda lib, x: lib.add(x, 1j), lambda lib, x: lib.add(x, x, alpha=1j),
    lambda lib, x: lib.add(x, x, out=lib.empty(6, dtype=lib.int64)),
    lambda lib, x: lib.div(x, 2, rounding_mode="bad"),
    lambda lib, x: lib.div(x, 0, rounding_mode="trunc"),
    lambda lib, x: lib.add("a", x),
])
def test_numbers_outputs_and_errors_match_torch(torch, make):
    theirs, ours = _both(torch, lambda lib: make(lib, _tensor(lib, "int64", 2)))
    _same(ours, theirs)


def test_rounding_mode_of_another_type_is_a_type_error():
    with pytest.raises(TypeError, match="rounding_mode"):
        fastnn.div(fastnn.tensor([1.0]), 2, rounding_mode=3)


def test_rounding_without_torch():
    x = fastnn.tensor([-7, 7, -6, 6])
    assert fastnn.div(x, 2, rounding_mode="trunc").tolist() == [-3, 3, -3, 3]
    assert fastnn.div(x, -2, rounding_mode="trunc").tolist() == [3, -3, 3, -3]
    assert fastnn.div(x, 2, rounding_mode="floor").tolist() == [-4, 3, -3, 3]
    assert fastnn.div(x.float(), 2, rounding_mode="trunc").tolist() == [-3, 3, -3, 3]
    assert fastnn.add(x, x, alpha=2).tolist() == [-21, 21, -18, 18]


def test_gradients_match_torch(torch):
    def run(lib):
        x = lib.tensor([[1.5, -2.0], [0.5, 3.0]], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([[0.5, 1.0], [-1.0, 2.0]], dtype=lib.float64, requires_grad=True)
        y = lib.add(x, w, alpha=2).mul(w).sub(x, alpha=0.5).div(w.add(3))
        z = y * 1
        z.mul_(w).add_(x, alpha=-1.5).div_(2).clamp_(-2, 2).neg_()
        z.sum().backward()
        return (np.asarray(z.detach()), np.asarray(x.grad), np.asarray(w.grad))
    for ours, theirs in zip(run(fastnn), run(torch)):
        np.testing.assert_allclose(ours, theirs.numpy() if hasattr(theirs, "numpy")
                                   else theirs, rtol=1e-12, atol=1e-12)
