"""The Tensor names numpy's ndarray also defines, with torch's meaning (fastnn._numpy_name_methods:
T, mT, H, mH, adjoint, swapaxes, cumsum, cumprod, diagonal, trace, dot, ravel, take, argsort;
and matmul, mm, where) against torch: values, dtypes, views, warnings, errors and gradients
over sweeps of their arguments; numpy's meaning where numpy's functions call them; and an
audit that no other torch name is left to numpy."""
import itertools
import warnings

import numpy as np
import pytest

import fastnn
from torch_compare import same_call

RNG = np.random.default_rng(11)
X = RNG.standard_normal((2, 3, 4))
DTYPES = [np.float32, np.float64, np.int64, np.bool_]

# ndarray names torch.Tensor shares that keep numpy's answer, each for the reason given
KEPT = {"dtype": "metadata", "shape": "metadata", "ndim": "metadata", "itemsize": "metadata",
        "nbytes": "metadata", "tolist": "leaves the tensor world (docs/OPS.md)",
        "real": "the tensor itself for real dtypes", "imag": "zeros for real dtypes",
        "conj": "the tensor itself for real dtypes",
        "resize": "numpy's in-place resize; torch's resize is deprecated",
        "put": "numpy's in-place put; torch's out-of-place put is not provided"}


def _x(dtype, shape=(2, 3, 4)):
    a = X.reshape(-1)[:int(np.prod(shape))].reshape(shape)
    return np.asarray(a > 0) if dtype == np.bool_ else np.asarray(a * 3).astype(dtype)


def test_no_other_torch_name_is_left_to_numpy(torch):
    inherited = {name for name in dir(np.ndarray) if not name.startswith("_")
                 and hasattr(torch.Tensor, name)
                 and next(c for c in fastnn.Tensor.__mro__ if name in vars(c)) is np.ndarray}
    assert inherited == set(KEPT)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4)])
@pytest.mark.parametrize("name", ["T", "mT", "H", "mH", "adjoint"])
def test_transposes_match_torch(torch, name, shape):
    a = _x(np.float32, shape)
    torch.set_warn_always(True)         # torch warns once per process otherwise
    for lib in (torch, fastnn):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                got = getattr(lib.from_numpy(a.copy()), name)
                got = got() if name == "adjoint" else got
            except RuntimeError as error:
                got = error
        messages = [str(w.message).split(" (Triggered internally")[0] for w in seen]
        if lib is torch:
            torch.set_warn_always(False)
            want, want_messages = got, messages
    assert messages == want_messages
    if isinstance(want, Exception):
        assert type(got) is type(want) and str(got) == str(want)
    else:
        np.testing.assert_array_equal(np.asarray(got), want.numpy())


def test_transposes_are_views_and_differentiable(torch):
    w = fastnn.tensor(X[0], requires_grad=True)
    assert np.shares_memory(np.asarray(w.T), np.asarray(w))
    grads = []
    for lib in (fastnn, torch):
        v = lib.tensor(X[0], requires_grad=True)
        x = lib.tensor(X[1])
        ((x @ v.T).sum() + (v @ v.mT * 2).sum() + v.swapaxes(0, 1).sum()).backward()
        grads.append(v.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumulative_match_torch(torch, name, dtype):
    a = _x(dtype)
    for dim in range(-4, 4):
        same_call(lambda lib, x: getattr(x, name)(dim), a, rtol=1e-6)
        same_call(lambda lib, x: getattr(lib, name)(x, dim), a, rtol=1e-6)
    for out_dtype in ("float64", "int32"):
        same_call(lambda lib, x: getattr(x, name)(1, dtype=getattr(lib, out_dtype)), a,
                  rtol=1e-6)
    same_call(lambda lib, x: getattr(x, name)(0), a[0, 0, 0], rtol=1e-6)      # 0-d
    same_call(lambda lib, x: getattr(x, name)(1), a[:, :0], rtol=1e-6)        # empty


def test_cumprod_gradient_with_zeros_matches_torch(torch):
    a = RNG.standard_normal((3, 4, 5))
    a[0, 1, 2] = a[1, 2, 0] = a[1, 2, 3] = a[2, 0, 4] = 0.0
    weights = RNG.standard_normal(a.shape)
    for dim in range(-3, 3):
        def grad(lib, x):
            x = x.detach().requires_grad_()
            (x.cumprod(dim) * lib.from_numpy(weights.copy())).sum().backward()
            return x.grad
        same_call(grad, a, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_diagonal_and_trace_match_torch(torch, dtype):
    a = _x(dtype)
    for offset, dim1, dim2 in itertools.product(range(-5, 6), range(-4, 4), range(-3, 3)):
        same_call(lambda lib, x: x.diagonal(offset, dim1, dim2), a)
    same_call(lambda lib, x: lib.diagonal(x, dim1=1, dim2=0, offset=1), a[0])
    same_call(lambda lib, x: x.diagonal(1.5), a)
    for shape in [(3,), (2, 3), (4, 3), (0, 2), (2, 3, 4)]:
        same_call(lambda lib, x: x.trace(), _x(dtype, shape), rtol=1e-6)
        same_call(lambda lib, x: lib.trace(x), _x(dtype, shape), rtol=1e-6)


def test_diagonal_is_a_writable_view_and_differentiable(torch):
    a = fastnn.tensor(X.copy())
    a.diagonal(1, 1, 2).fill_(7.0)
    t = torch.from_numpy(X.copy())
    t.diagonal(1, 1, 2).fill_(7.0)
    np.testing.assert_array_equal(np.asarray(a), t.numpy())
    weights = RNG.standard_normal((2, 3))

    def grad(lib, x):
        x = x.detach().requires_grad_()
        (x.diagonal(-1, 2, 1) * lib.from_numpy(weights.copy())).sum().backward()
        (x[0].trace() * 3).backward()
        return x.grad
    same_call(grad, X)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_dot_matches_torch(torch, dtype):
    a = _x(dtype)
    same_call(lambda lib, x, y: x.dot(y), a[0, 0], a[1, 1], rtol=1e-6)
    same_call(lambda lib, x, y: lib.dot(x, y), a[0, 0], a[1, 1], rtol=1e-6)
    same_call(lambda lib, x, y: x.dot(y), a[0], a[1, 1])                 # 2-D
    same_call(lambda lib, x, y: x.dot(y), a[0, 0], a[1, 1, :3])           # sizes
    same_call(lambda lib, x, y: x.dot(y.double()), a[0, 0], a[1, 1], rtol=1e-12)  # dtypes
    same_call(lambda lib, x, y: x.dot(y), a[0, 0, :0], a[1, 1, :0])       # empty
    same_call(lambda lib, x: x.dot(2), a[0, 0])


def test_dot_gradients_and_out_match_torch(torch):
    def grads(lib, x, y):
        x, y = x.detach().requires_grad_(), y.detach().requires_grad_()
        (x.dot(y) * 3 + lib.dot(x, x)).backward()
        return x.grad, y.grad
    same_call(grads, X[0, 0], X[1, 1], rtol=1e-12)
    same_call(lambda lib, x, y: lib.dot(x, y, out=lib.empty((), dtype=lib.float64)), X[0, 0],
              X[1, 1], rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_ravel_and_take_match_torch(torch, dtype):
    a = _x(dtype)
    same_call(lambda lib, x: x.ravel(), a)
    same_call(lambda lib, x: lib.ravel(x.transpose(0, 2)), a)
    for index in [[0, 5, -1], [[1, 2], [-24, 23]], [], [24], [-25], 3]:
        same_call(lambda lib, x: x.take(lib.tensor(index)), a)
        same_call(lambda lib, x: lib.take(x, lib.tensor(index)), a)
    same_call(lambda lib, x: x.take(lib.tensor([1.0])), a)
    same_call(lambda lib, x: x.take(lib.tensor([0])), a[:0])
    same_call(lambda lib, x: x.take(lib.tensor([], dtype=lib.int64)), a[:0])
    same_call(lambda lib, x: x.take([0]), a)


def test_ravel_is_a_view_and_take_differentiable(torch):
    a = fastnn.tensor(X.copy())
    assert np.shares_memory(np.asarray(a.ravel()), np.asarray(a))

    def grad(lib, x):
        x = x.detach().requires_grad_()
        (x.take(lib.tensor([[0, 5], [5, -1]])) * 2).sum().backward()
        (x.ravel()[3] * 4).backward()
        return x.grad
    same_call(grad, X)


def test_argsort_matches_torch(torch):
    a = RNG.permutation(24).reshape(2, 3, 4).astype(np.float32)
    for dim, descending in itertools.product(range(-3, 3), (False, True)):
        same_call(lambda lib, x: x.argsort(dim, descending), a)
        same_call(lambda lib, x: x.argsort(dim=dim, descending=descending, stable=True), a)
    same_call(lambda lib, x: x.argsort(), a)


def test_matmul_mm_where_methods_match_torch(torch):
    a, b = X[0], X[1].T.copy()
    same_call(lambda lib, x, y: x.matmul(y), a, b, rtol=1e-12)
    same_call(lambda lib, x, y: x.matmul(y), X, b, rtol=1e-12)
    same_call(lambda lib, x, y: x.mm(y), a, b, rtol=1e-12)
    same_call(lambda lib, x, y: x.mm(y), X, b)
    same_call(lambda lib, x, y: x.mm(y), a, b[0])
    same_call(lambda lib, x, y: x.where(x > 0, y), a, X[1])
    same_call(lambda lib, x: x.where(x > 0, 0.5), a)
    same_call(lambda lib, x: x.where(x > 0, x.float()), a)

    def grads(lib, x, y):
        x, y = x.detach().requires_grad_(), y.detach().requires_grad_()
        (x.mm(y).sum() + x.matmul(x.T).sum() + x.where(x > 0, y.T).sum()).backward()
        return x.grad, y.grad
    same_call(grads, a, b, rtol=1e-12)


def test_numpy_functions_keep_numpy_meaning():
    """Torch-free: numpy's functions that call these methods with numpy's keywords get
    numpy's answers."""
    a = np.arange(24.0).reshape(2, 3, 4)
    x = fastnn.tensor(a)
    for function, args in [(np.cumsum, ()), (np.cumsum, (1,)), (np.cumprod, (2,)),
                           (np.argsort, (1,)), (np.take, ([0, 2], 1)), (np.ravel, ()),
                           (np.diagonal, (0, 1, 2)), (np.trace, ()), (np.swapaxes, (0, 2)),
                           (np.transpose, ())]:
        np.testing.assert_array_equal(np.asarray(function(x, *args)), function(a, *args))
    with pytest.warns(UserWarning, match="dimension other than 2"):
        np.testing.assert_array_equal(np.asarray(x.T), a.T)


def test_values_against_numpy():
    """Torch-free: the torch forms' values, by numpy."""
    a = np.arange(1.0, 25.0).reshape(2, 3, 4)
    x = fastnn.tensor(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(np.asarray(x.T), a.transpose(2, 1, 0))
    np.testing.assert_array_equal(np.asarray(x.mT), a.swapaxes(-1, -2))
    np.testing.assert_array_equal(np.asarray(x.cumprod(1)), np.cumprod(a, 1))
    np.testing.assert_array_equal(np.asarray(x.diagonal(1, 1, 2)), np.diagonal(a, 1, 1, 2))
    assert float(x[0].trace()) == np.trace(a[0])
    assert float(x[0, 0].dot(x[1, 1])) == a[0, 0] @ a[1, 1]
    np.testing.assert_array_equal(np.asarray(x.take(fastnn.tensor([0, -1]))), [1.0, 24.0])
    np.testing.assert_array_equal(np.asarray(x.argsort(2, True)), np.argsort(-a, 2))


def test_a_missing_dim_is_worded_as_torch(torch):
    a = X.astype(np.float32)
    for call in (lambda lib, x: x.cumsum(), lambda lib, x: x.cumprod(),
                 lambda lib, x: lib.cumsum(x), lambda lib, x: lib.cumprod(x),
                 lambda lib, x: lib.logsumexp(x), lambda lib, x: x.logsumexp()):
        same_call(call, a)
