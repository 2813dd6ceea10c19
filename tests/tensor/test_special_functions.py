"""torch's special math functions (fastnn._special_ops / _special_methods /
_special_functions): erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0, sinc, heaviside,
gcd, lcm, ldexp, frexp, nextafter and logspace, as methods, in-place methods and top-level
functions with ``out=``, against torch over dtypes, shapes (0-d, empty) and special values;
errors with torch's whole message; gradients in float64; and torch-free against the math
module and identities."""
import math

import numpy as np
import pytest

import fastnn
from torch_compare import raises_like, same_call

TOL = {np.dtype(np.float32): dict(rtol=2e-6, atol=1e-6),
       np.dtype(np.float64): dict(rtol=1e-12, atol=1e-13)}
SPECIAL = [0.0, -0.0, 1.0, 2.0, -1.0, -2.0, -2.5, 0.5, -0.5, 10.0, 1e-30, 1e30, -1e30, 100.0,
           -37.25, math.inf, -math.inf, math.nan]
UNARY = ["erfc", "erfinv", "lgamma", "digamma", "i0", "sinc"]
DTYPES = [np.float32, np.float64, np.int64, np.bool_]


def _values(dtype, shape=(4, 5), seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.dtype(dtype).kind == "i":
        return rng.integers(-6, 7, shape).astype(dtype)
    return (rng.standard_normal(shape) * 4).astype(dtype)


def _tol(dtype):
    return TOL[np.dtype(np.float64 if dtype == np.float64 else np.float32)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", UNARY)
def test_unary_sweep_matches_torch(torch, name, dtype):
    a = _values(dtype)
    if name == "erfinv" and a.dtype.kind == "f":
        a = np.tanh(a).astype(dtype)
    tol = _tol(dtype)
    same_call(lambda lib, x: getattr(lib, name)(x), a, **tol)
    same_call(lambda lib, x: getattr(x, name)(), a, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", UNARY)
def test_unary_special_values_match_torch(torch, name, dtype):
    a = np.array(SPECIAL + [0.9, -0.99, 0.3, 1.5, -1.0001], dtype)
    same_call(lambda lib, x: getattr(lib, name)(x), a, **_tol(dtype))


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (1,)], ids=str)
def test_unary_shapes_match_torch(torch, name, shape):
    a = np.full(shape, 0.25, np.float32)
    same_call(lambda lib, x: getattr(lib, name)(x), a, **TOL[np.dtype(np.float32)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_polygamma_matches_torch(torch, n, dtype):
    a = np.concatenate([_values(dtype).ravel(),
                        np.array(SPECIAL if dtype != np.int64 else [0, -1, 3], dtype)])
    tol = dict(rtol=1e-5, atol=1e-6) if dtype != np.float64 else dict(rtol=1e-11, atol=1e-12)
    same_call(lambda lib, x: lib.polygamma(n, x), a, **tol)
    same_call(lambda lib, x: x.polygamma(n), a, **tol)


@pytest.mark.parametrize("p", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64],
                         ids=lambda d: np.dtype(d).name)
def test_mvlgamma_matches_torch(torch, p, dtype):
    a = np.abs(_values(dtype)) + 2
    a = np.concatenate([a.ravel(), np.array([0.2, math.inf, math.nan]
                                            if dtype != np.int64 else [1], dtype)])
    same_call(lambda lib, x: lib.mvlgamma(x, p), a, **_tol(dtype))
    same_call(lambda lib, x: x.mvlgamma(p=p), a, **_tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_],
                         ids=lambda d: np.dtype(d).name)
def test_heaviside_matches_torch(torch, dtype):
    a = _values(dtype)
    if a.dtype.kind == "f":
        a[0, :4] = [0.0, -0.0, math.nan, -math.inf]
    v = _values(dtype, (5,), seed=1)
    same_call(lambda lib, x, y: lib.heaviside(x, y), a, v)
    same_call(lambda lib, x, y: x.heaviside(y), a, v)
    same_call(lambda lib, x, y: x.clone().heaviside_(y), a, v)


@pytest.mark.parametrize("name", ["gcd", "lcm"])
@pytest.mark.parametrize("dtypes", [(np.int64, np.int64), (np.int32, np.int8),
                                    (np.uint8, np.int16)], ids=str)
def test_gcd_lcm_match_torch(torch, name, dtypes):
    a = _values(dtypes[0]) if np.dtype(dtypes[0]).kind == "i" else \
        np.random.default_rng(0).integers(0, 20, (4, 5)).astype(dtypes[0])
    b = np.random.default_rng(1).integers(-9, 10, (5,)).astype(dtypes[1])
    if np.dtype(dtypes[0]).kind == "u":
        b = np.abs(b)
    same_call(lambda lib, x, y: getattr(lib, name)(x, y), a, b)
    same_call(lambda lib, x, y: getattr(x, name)(y), a, b)
    same_call(lambda lib, x, y: getattr(x.clone(), name + "_")(y), a, b)
    same_call(lambda lib, x, y: getattr(lib, name + "_")(x.clone(), y), a, b)


@pytest.mark.parametrize("dtypes", [(np.float32, np.float32), (np.float64, np.float64),
                                    (np.float32, np.float64)], ids=str)
def test_nextafter_matches_torch(torch, dtypes):
    a = np.array(SPECIAL + [5e-324 if dtypes[0] == np.float64 else 1e-45], dtypes[0])
    b = np.array([1.0, -1.0, 0.0, math.inf, -math.inf, math.nan][::-1] * 4, dtypes[1])[:a.size]
    same_call(lambda lib, x, y: lib.nextafter(x, y), a, b)
    same_call(lambda lib, x, y: x.nextafter(y), a, b)
    same_call(lambda lib, x, y: lib.nextafter(x, y[0]), a, b)


@pytest.mark.parametrize("dtypes", [(np.float32, np.int64), (np.float64, np.int32),
                                    (np.int64, np.int64), (np.float32, np.float64),
                                    (np.float64, np.float32)], ids=str)
def test_ldexp_matches_torch(torch, dtypes):
    a = _values(dtypes[0])
    b = np.random.default_rng(2).integers(-140, 140, (4, 5)).astype(dtypes[1])
    tol = _tol(np.float64 if np.float64 in dtypes else np.float32)
    same_call(lambda lib, x, y: lib.ldexp(x, y), a, b, **tol)
    same_call(lambda lib, x, y: x.ldexp(y), a, b, **tol)
    if np.dtype(dtypes[0]).kind == "f":
        same_call(lambda lib, x, y: x.clone().ldexp_(y), a, b, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_frexp_matches_torch(torch, dtype):
    a = np.concatenate([_values(dtype).ravel(), np.array(SPECIAL + [1e-40], dtype)])
    same_call(lambda lib, x: tuple(lib.frexp(x)), a)
    same_call(lambda lib, x: tuple(x.frexp()), a)
    got = fastnn.frexp(fastnn.tensor(a))
    assert got.mantissa is got[0] and got.exponent is got[1]
    assert type(got).__name__ == "frexp"


def test_out_is_written(torch):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    for name in UNARY:
        out = fastnn.empty((3, 4))
        result = getattr(fastnn, name)(fastnn.tensor(a), out=out)
        assert result is out
        np.testing.assert_allclose(out, getattr(torch, name)(torch.from_numpy(a)).numpy(),
                                   rtol=2e-6, atol=1e-6, equal_nan=True)
    out = fastnn.empty((3, 4))
    fastnn.polygamma(1, fastnn.tensor(a), out=out)
    np.testing.assert_allclose(out, torch.polygamma(1, torch.from_numpy(a)).numpy(),
                               rtol=2e-6)
    mantissa, exponent = fastnn.empty((3, 4)), fastnn.empty((3, 4), dtype=fastnn.int32)
    result = fastnn.frexp(fastnn.tensor(a), out=(mantissa, exponent))
    assert result.mantissa is mantissa and result.exponent is exponent
    want = torch.frexp(torch.from_numpy(a))
    np.testing.assert_array_equal(exponent, want.exponent.numpy())
    ints = fastnn.tensor([4, 6, 9])
    out = fastnn.empty(3, dtype=fastnn.int64)
    assert fastnn.gcd(ints, fastnn.tensor([6]), out=out) is out
    assert out.tolist() == [2, 6, 3]
    out = fastnn.empty(2)
    fastnn.heaviside(fastnn.tensor([0.0, -1.0]), fastnn.tensor([0.5]), out=out)
    assert out.tolist() == [0.5, 0.0]


@pytest.mark.parametrize("name", ["erfc_", "erfinv_", "lgamma_", "digamma_", "i0_", "sinc_"])
def test_in_place_methods_match_torch(torch, name):
    a = np.tanh(_values(np.float64))
    same_call(lambda lib, x: getattr(x, name)(), a, **TOL[np.dtype(np.float64)])
    same_call(lambda lib, x: x.polygamma_(2), a, **TOL[np.dtype(np.float64)])
    same_call(lambda lib, x: x.mvlgamma_(1), np.abs(a) + 1, **TOL[np.dtype(np.float64)])
    x = fastnn.tensor(a)
    assert getattr(x, name)() is x
    if hasattr(torch, name):
        same_call(lambda lib, x: getattr(lib, name)(x), a, **TOL[np.dtype(np.float64)])


@pytest.mark.parametrize("args, kwargs", [
    ((0, 2, 3), {}), ((0, 2, 1), {}), ((0, 2, 0), {}), ((-1, 1.5, 7), {}),
    ((0, 2, 3), {"base": 2}), ((0, 2, 3), {"base": -2}), ((0, 2.5, 4), {"dtype": "int64"}),
    ((0, 1, 5), {"base": 2, "dtype": "int32"}), ((0, 3, 4), {"dtype": "float64"}),
    ((1, -1, 6), {"base": 0.5}), ((0, 2, -1), {}), ((0, 2, 3), {"dtype": "bool"}),
    ((0, 2, 3.0), {}), ((0, 40, 5), {"base": 10}),
], ids=str)
def test_logspace_matches_torch(torch, args, kwargs):
    def call(lib):
        kw = {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}
        return lib.logspace(*args, **kw)
    same_call(call, rtol=2e-6, atol=0)


def test_logspace_takes_zero_dim_tensors_and_out(torch):
    same_call(lambda lib: lib.logspace(lib.tensor(0.0), lib.tensor(2.0), 3), rtol=1e-6)
    out = fastnn.empty(3)
    assert fastnn.logspace(0, 2, 3, out=out) is out
    assert out.tolist() == [1.0, 10.0, 100.0]
    assert fastnn.logspace(0, 1, 2, requires_grad=True).requires_grad


# ------------------------------------------------------------------ errors

ERRORS = [
    lambda lib: lib.polygamma(-1, lib.tensor([1.0])),
    lambda lib: lib.polygamma(1.5, lib.tensor([1.0])),
    lambda lib: lib.polygamma(1, 2.0),
    lambda lib: lib.tensor([1.0]).polygamma(1.5),
    lambda lib: lib.tensor([1.0]).polygamma(-2),
    lambda lib: lib.tensor([1.0]).polygamma_(1.5),
    lambda lib: lib.mvlgamma(lib.tensor([3.0]), 0),
    lambda lib: lib.tensor([3.0]).mvlgamma(1.5),
    lambda lib: lib.mvlgamma(lib.tensor([True]), 1),
    lambda lib: lib.erfc(2.0),
    lambda lib: lib.tensor([1, 2]).erfc_(),
    lambda lib: lib.tensor([1, 2]).lgamma_(),
    lambda lib: lib.tensor([True]).i0_(),
    lambda lib: lib.erfinv(lib.tensor([1 + 1j])),
    lambda lib: lib.lgamma(lib.tensor([1 + 1j])),
    lambda lib: lib.digamma(lib.tensor([1 + 1j])),
    lambda lib: lib.i0(lib.tensor([1 + 1j])),
    lambda lib: lib.erfc(lib.tensor([1 + 1j])),
    lambda lib: lib.heaviside(lib.tensor([1.0]), lib.tensor([1])),
    lambda lib: lib.heaviside(lib.tensor([1.0]), 0.5),
    lambda lib: lib.tensor([1.0]).heaviside(0.5),
    lambda lib: lib.heaviside(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0, 3.0])),
    lambda lib: lib.gcd(lib.tensor([1.0]), lib.tensor([1.0])),
    lambda lib: lib.gcd(lib.tensor([True]), lib.tensor([True])),
    lambda lib: lib.lcm(lib.tensor([4.0]), lib.tensor([6])),
    lambda lib: lib.gcd(lib.tensor([4]), 2),
    lambda lib: lib.tensor([4]).gcd(2),
    lambda lib: lib.tensor([4]).lcm_(lib.tensor([2.0])),
    lambda lib: lib.nextafter(lib.tensor([4]), lib.tensor([1])),
    lambda lib: lib.nextafter(lib.tensor([4.0]), 1.0),
    lambda lib: lib.tensor([4.0]).nextafter(1.0),
    lambda lib: lib.ldexp(lib.tensor([4.0]), 2),
    lambda lib: lib.tensor([4.0]).ldexp(2),
    lambda lib: lib.tensor([4]).ldexp_(lib.tensor([1])),
    lambda lib: lib.frexp(lib.tensor([4])),
    lambda lib: lib.tensor([True]).frexp(),
    lambda lib: lib.logspace(0, 2, -1),
]


@pytest.mark.parametrize("call", ERRORS, ids=range(len(ERRORS)))
def test_errors_match_torch(torch, call):
    raises_like(lambda: call(torch), lambda: call(fastnn))


# ------------------------------------------------------------------ gradients

GRADS = [
    ("erfc", lambda lib, x: lib.erfc(x), False),
    ("erfinv", lambda lib, x: lib.erfinv(x), True),
    ("lgamma", lambda lib, x: lib.lgamma(x), False),
    ("digamma", lambda lib, x: lib.digamma(x), False),
    ("polygamma1", lambda lib, x: lib.polygamma(1, x), False),
    ("polygamma3", lambda lib, x: x.polygamma(3), False),
    ("mvlgamma", lambda lib, x: lib.mvlgamma(x.abs() + 2, 3), False),
    ("i0", lambda lib, x: lib.i0(x), False),
    ("sinc", lambda lib, x: lib.sinc(x), False),
    ("ldexp", lambda lib, x: lib.ldexp(x, lib.tensor([1, -2, 3, 0, 5])), False),
    ("ldexp_other", lambda lib, x: lib.ldexp(lib.tensor([1.5, -2.0, 3.0, 0.0, 5.0]), x), False),
    ("frexp", lambda lib, x: lib.frexp(x)[0], False),
    ("erfc_", lambda lib, x: (x * 1).erfc_(), False),
]


@pytest.mark.parametrize("name, call, bounded", GRADS, ids=[g[0] for g in GRADS])
def test_gradients_match_torch_float64(torch, name, call, bounded):
    a = _values(np.float64)
    a[0, :3] = [0.0, -3.0, 0.5]
    if bounded:
        a = np.tanh(a)
    g = np.random.default_rng(5).standard_normal((4, 5))
    results = []
    for lib in (torch, fastnn):
        x = lib.tensor(a, requires_grad=True)
        y = call(lib, x)
        y.backward(lib.tensor(g))
        results.append(np.asarray(x.grad))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-10, atol=1e-12, equal_nan=True)


def test_heaviside_has_no_derivative_as_in_torch(torch):
    def call(lib):
        x = lib.tensor([1.0, 0.0], requires_grad=True)
        lib.heaviside(x, lib.tensor([0.5])).sum().backward()
    raises_like(lambda: call(torch), lambda: call(fastnn))


# ------------------------------------------------------------------ torch-free

def test_against_the_math_module():
    xs = [0.1, 0.5, 1.0, 2.5, 7.0, 30.0, -0.3, -2.5, 1e-5]
    for dtype in (np.float64, np.float32):
        x = fastnn.tensor(np.array(xs, dtype))
        rtol = 1e-12 if dtype == np.float64 else 1e-6
        assert x.erfc().dtype == x.dtype
        np.testing.assert_allclose(x.erfc(), [math.erfc(v) for v in x.tolist()], rtol=rtol)
        np.testing.assert_allclose(x.lgamma(), [math.lgamma(v) for v in x.tolist()],
                                   rtol=rtol, atol=rtol)
        np.testing.assert_allclose(x.sinc(), [math.sin(math.pi * v) / (math.pi * v)
                                              for v in x.tolist()], rtol=rtol * 10, atol=1e-7)
    # integers and bools give the default float dtype
    assert fastnn.erfc(fastnn.tensor([1, 2])).dtype == fastnn.float32
    assert fastnn.lgamma(fastnn.tensor([True])).dtype == fastnn.float32


def test_identities():
    x = fastnn.tensor(np.linspace(-0.999, 0.999, 101))
    np.testing.assert_allclose(fastnn.erf(x.erfinv()), x, rtol=1e-13, atol=1e-15)
    y = fastnn.tensor(np.linspace(0.1, 40, 200))
    # digamma(x + 1) = digamma(x) + 1 / x; trigamma(x + 1) = trigamma(x) - 1 / x^2
    np.testing.assert_allclose((y + 1).digamma(), y.digamma() + 1 / y, rtol=1e-12, atol=1e-13)
    # (trigamma and polygamma(n >= 2) are torch's series: good to about 1e-9 in float64)
    np.testing.assert_allclose((y + 1).polygamma(1), y.polygamma(1) - 1 / y ** 2, rtol=1e-8)
    np.testing.assert_allclose((y + 1).polygamma(2), y.polygamma(2) + 2 / y ** 3, rtol=1e-8)
    assert abs(float(fastnn.tensor([1.0], dtype=fastnn.float64).digamma()[0])
               + 0.57721566490153286) < 1e-15
    assert abs(float(fastnn.tensor([1.0], dtype=fastnn.float64).polygamma(1)[0])
               - math.pi ** 2 / 6) < 1e-9
    # I0 by its series, mvlgamma(x, 1) = lgamma(x)
    for v in (0.0, 0.7, 3.0, 12.0, 45.0):
        term, series = 1.0, 1.0
        for k in range(1, 300):
            term *= (v / 2) ** 2 / (k * k)
            series += term
        got = float(fastnn.tensor([v], dtype=fastnn.float64).i0()[0])
        assert abs(got - series) <= 1e-13 * series
    np.testing.assert_array_equal(y.mvlgamma(1), y.lgamma())
    m, e = fastnn.frexp(y)
    np.testing.assert_array_equal(fastnn.ldexp(m, e.long()), y)
    assert fastnn.gcd(fastnn.tensor([12, -18, 0]), fastnn.tensor([8])).tolist() == [4, 2, 8]
    assert fastnn.lcm(fastnn.tensor([4, -6, 0]), fastnn.tensor([6])).tolist() == [12, 6, 0]
    assert fastnn.logspace(0, 3, 4).tolist() == [1.0, 10.0, 100.0, 1000.0]


def test_poles_and_edges():
    v = fastnn.tensor([0.0, -0.0, -1.0, -2.0, math.inf, -math.inf, math.nan],
                      dtype=fastnn.float64)
    digamma = v.digamma().tolist()
    assert digamma[:2] == [-math.inf, math.inf]
    assert all(math.isnan(d) for d in digamma[2:4] + digamma[5:])
    assert digamma[4] == math.inf
    assert v.lgamma().tolist()[:6] == [math.inf] * 6
    assert v.erfinv().tolist()[:2] == [0.0, -0.0]
    ends = fastnn.tensor([1.0, -1.0, 1.5]).erfinv().tolist()
    assert ends[:2] == [math.inf, -math.inf] and math.isnan(ends[2])


def test_nextafter_gradient_matches_torch(torch):
    """torch passes the gradient to `input` unchanged and none to `other` (broadcast)."""
    def gradients(lib, x, other):
        x, other = x.detach().requires_grad_(), other.detach().requires_grad_()
        (lib.nextafter(x, other) * 3).sum().backward()
        return x.grad, other.grad
    same_call(gradients, np.array([[1.0, 2.0]]), np.array([[3.0], [0.0]]), rtol=0)
