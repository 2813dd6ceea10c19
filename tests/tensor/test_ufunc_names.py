"""torch's element-wise methods and functions under torch's names (``x.sin()``,
``fastnn.floor(x)``, ``x.eq(y)``, ``fastnn.logical_and(a, b)``, ...: fastnn._ufunc_methods
and _ufunc_functions) against torch over float, integer and bool inputs: values, result
dtypes, errors, ``out=`` and gradients; and torch-free, against numpy's ufuncs."""
import numpy as np
import pytest

import fastnn
from fastnn._ufunc_methods import BINARY, UNARY
from torch_compare import same_call

# float32 transcendental functions may differ from torch's vectorised ones in the last bit
TOL = {np.dtype(np.float32): dict(rtol=2e-6, atol=1e-7),
       np.dtype(np.float64): dict(rtol=1e-12, atol=1e-15)}


def _inputs(dtype):
    rng = np.random.default_rng(7)
    if dtype == np.bool_:
        return rng.random((3, 5)) > 0.5, rng.random((3, 5)) > 0.5
    if np.dtype(dtype).kind == "i":
        return (rng.integers(-4, 5, (3, 5)).astype(dtype),
                rng.integers(1, 5, (3, 5)).astype(dtype))
    a = (rng.standard_normal((3, 5)) * 2).astype(dtype)
    a[0, :4] = [0.0, -0.0, 0.5, -0.5]
    return a, (rng.random((3, 5)) + 0.25).astype(dtype)


DTYPES = [np.float32, np.float64, np.int64, np.int32, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch(torch, name, dtype):
    a, _ = _inputs(dtype)
    tol = TOL[np.dtype(np.float64 if dtype == np.float64 else np.float32)]
    same_call(lambda lib, x: getattr(lib, name)(x), a, **tol)
    same_call(lambda lib, x: getattr(x, name)(), a, **tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_torch(torch, name, dtype):
    a, b = _inputs(dtype)
    tol = TOL[np.dtype(np.float64 if dtype == np.float64 else np.float32)]
    same_call(lambda lib, x, y: getattr(lib, name)(x, y), a, b, **tol)
    same_call(lambda lib, x, y: getattr(x, name)(y), a, b, **tol)
    same_call(lambda lib, x, y: getattr(x, name)(y[:1]), a, b, **tol)   # broadcasting
    same_call(lambda lib, x: getattr(lib, name)(x, 1), a, **tol)        # a number
    same_call(lambda lib, x: getattr(x, name)(1.5), a, **tol)


@pytest.mark.parametrize("name", ["sin", "floor", "reciprocal", "eq", "logical_and"])
def test_out_is_written(torch, name):
    a, b = _inputs(np.float32)
    args = (a,) if name in UNARY else (a, b)
    expected = getattr(torch, name)(*(torch.from_numpy(v) for v in args))
    out = fastnn.empty(expected.shape, dtype=expected.numpy().dtype)
    got = getattr(fastnn, name)(*args, out=out)
    assert got is out
    np.testing.assert_allclose(np.asarray(out), expected.numpy(), rtol=2e-6, atol=1e-7)


# functions with a bool or integer result: nothing to differentiate
NOT_DIFFERENTIABLE = ("logical_not", "signbit", "bitwise_not")
BITWISE = ("bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
           "bitwise_right_shift")


@pytest.mark.parametrize("name", sorted(n for n in UNARY if n not in NOT_DIFFERENTIABLE))
def test_gradients_match_torch(torch, name):
    """Smooth functions' gradients as torch's; floor, ceil, trunc and sign give zeros."""
    a = np.array([0.3, -0.7, 0.45, 1.6, -2.2], np.float64)
    if name in ("acosh", "arccosh"):
        a = np.abs(a) + 1.1
    if name in ("asin", "acos", "arcsin", "arccos", "atanh", "arctanh"):
        a = a / 3
    if name in ("log1p", "log2", "log10"):
        a = np.abs(a) + 0.1
    x = fastnn.tensor(a, requires_grad=True)
    (getattr(fastnn, name)(x) * fastnn.tensor(np.arange(1.0, 6.0))).sum().backward()
    t = torch.from_numpy(a.copy()).requires_grad_()
    (getattr(torch, name)(t) * torch.arange(1.0, 6.0, dtype=torch.float64)).sum().backward()
    # + 0: sgn's gradient is one of torch's ZeroTensors, which refuse .numpy()
    np.testing.assert_allclose(x.grad.numpy(), (t.grad + 0).numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(n for n in BINARY if n not in BITWISE))
def test_binary_gradients_match_torch(torch, name):
    """Gradients of both operands as torch's (floor_divide and the comparisons: torch's
    errors, compared by same_call's rule for raised errors)."""
    a = np.array([0.3, -0.7, 0.45, 1.6, -2.2], np.float64)
    b = np.array([1.3, 0.4, -0.9, 0.7, 2.5], np.float64)

    def grads(lib, x, y):
        x, y = x.detach().requires_grad_(), y.detach().requires_grad_()
        (getattr(lib, name)(x, y) * lib.arange(1.0, 6.0, dtype=lib.float64)).sum().backward()
        return x.grad, y.grad
    same_call(grads, a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(UNARY) + sorted(BINARY))
def test_against_numpy_reference(name):
    """Torch-free: the same values as numpy's ufunc on float64 (int64 for the bitwise
    functions), for method and function."""
    a, b = _inputs(np.int64 if name in BITWISE else np.float64)
    ufunc = UNARY.get(name) or BINARY[name]
    args = (a,) if name in UNARY else (a, b)
    with np.errstate(all="ignore"):
        expected = ufunc(*args)
    got = getattr(fastnn, name)(*args)
    method = getattr(fastnn.tensor(a), name)(*args[1:])
    assert isinstance(got, fastnn.Tensor) and isinstance(method, fastnn.Tensor)
    np.testing.assert_array_equal(np.asarray(got), expected)
    np.testing.assert_array_equal(np.asarray(method), expected)


def test_a_non_tensor_input_is_refused_as_torch(torch):
    from torch_compare import raises_like
    raises_like(lambda: torch.sin("x"), lambda: fastnn.sin("x"))
