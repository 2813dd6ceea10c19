"""torch's fused arithmetic (fastnn._fused_arith, _fused_functions: lerp, addcmul, addcdiv,
addmm, addmv, mv, baddbmm, addbmm, as functions, methods and in-place methods) against
torch over sweeps of dtypes, shapes, broadcasting and scalars: values, result dtypes,
errors, ``out=`` and gradients; and torch-free, against numpy."""
import itertools

import numpy as np
import pytest

import fastnn
from torch_compare import same_call

RNG = np.random.default_rng(5)
A = RNG.standard_normal((2, 3))
B = RNG.standard_normal((2, 3))
C = RNG.random((2, 3)) + 0.5
TOL = dict(rtol=2e-6, atol=1e-6)
DTYPES = [np.float32, np.float64, np.int64, np.bool_]


def sum_tol(dtype):
    """TOL for sums of products: in float32 torch's order of summation and fastnn's differ
    (with the vector width of the CPU), and where terms cancel the rounding is float32's
    epsilon times the terms, not times the result."""
    return dict(rtol=2e-6, atol=5e-5) if dtype == np.float32 else TOL


def _as(a, dtype):
    return (a > 0) if dtype == np.bool_ else (a * 3).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_lerp_matches_torch(torch, dtype):
    a, b = _as(A, dtype), _as(B, dtype)
    for weight in (0.0, 0.3, 0.5, 0.7, 1.0, -0.4, 1.8):
        same_call(lambda lib, x, y: lib.lerp(x, y, weight), a, b, **TOL)
        same_call(lambda lib, x, y: x.lerp(y[:1], weight), a, b, **TOL)       # broadcast
        same_call(lambda lib, x, y: y[0].lerp(x, weight), a, b, **TOL)
    w = np.array([[0.2, 0.5, 0.9], [-1.0, 0.49, 2.0]]).astype(dtype)
    same_call(lambda lib, x, y, t: lib.lerp(x, y, t), a, b, w, **TOL)
    same_call(lambda lib, x, y, t: lib.lerp(x, y, t[:, :1]), a, b, w, **TOL)
    same_call(lambda lib, x, y, t: lib.lerp(x, y, t.double()), a, b, w, **TOL)
    same_call(lambda lib, x, y: lib.lerp(x, y.double(), 0.5), a, b, **TOL)
    same_call(lambda lib, x: lib.lerp(x, 2, 0.5), a)
    same_call(lambda lib, x, y: lib.lerp(x, y, "a"), a, b)


@pytest.mark.parametrize("dtypes", list(itertools.product(DTYPES, repeat=2)),
                         ids=lambda d: "-".join(np.dtype(t).name for t in d))
def test_addcmul_addcdiv_match_torch(torch, dtypes):
    a, b, c = _as(A, dtypes[0]), _as(B, dtypes[1]), _as(C, dtypes[1])
    for value in (1, 2, 0.5, -1.5, True):
        for name in ("addcmul", "addcdiv"):
            same_call(lambda lib, x, y, z: getattr(lib, name)(x, y, z, value=value), a, b, c,
                      **TOL)
            same_call(lambda lib, x, y, z: getattr(x, name)(y[:1], z, value=value), a, b, c,
                      **TOL)
    for name in ("addcmul", "addcdiv"):
        same_call(lambda lib, x, y: getattr(lib, name)(x, y, 2), a, b)
        same_call(lambda lib, x, y, z: getattr(lib, name)(x, y[:, :2], z), a, b, c)
        same_call(lambda lib, x, y, z: getattr(lib, name)(x, y, z, value=1j), a, b, c)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_addmm_family_matches_torch(torch, dtype):
    m, k, n, batches = 2, 3, 4, 3
    mat1, mat2 = _as(RNG.standard_normal((m, k)), dtype), _as(RNG.standard_normal((k, n)), dtype)
    b1 = _as(RNG.standard_normal((batches, m, k)), dtype)
    b2 = _as(RNG.standard_normal((batches, k, n)), dtype)
    vec = _as(RNG.standard_normal(k), dtype)
    for shape, beta, alpha in itertools.product([(m, n), (n,), (1, 1), ()], (1, 0, 0.5, 2),
                                                (1, 2, -0.5)):
        inp = _as(RNG.standard_normal(shape), dtype)
        same_call(lambda lib, i, p, q: lib.addmm(i, p, q, beta=beta, alpha=alpha), inp,
                  mat1, mat2, **sum_tol(dtype))
        same_call(lambda lib, i, p, q: lib.addbmm(i, p, q, beta=beta, alpha=alpha), inp,
                  b1, b2, **sum_tol(dtype))
        same_call(lambda lib, i, p, q: lib.baddbmm(i, p, q, beta=beta, alpha=alpha), inp,
                  b1, b2, **sum_tol(dtype))
    for shape in [(m,), (1,), ()]:
        inp = _as(RNG.standard_normal(shape), dtype)
        same_call(lambda lib, i, p, v: lib.addmv(i, p, v, beta=0.5, alpha=2), inp, mat1, vec,
                  **sum_tol(dtype))
    same_call(lambda lib, p, v: lib.mv(p, v), mat1, vec, **sum_tol(dtype))
    same_call(lambda lib, p, v: p.mv(v), mat1, vec, **sum_tol(dtype))


def test_addmm_family_errors_match_torch(torch):
    x = A.astype(np.float32)
    for call in [
            lambda lib, x: lib.addmm(x, x[0], x),                         # mat1 1-D
            lambda lib, x: lib.addmm(lib.ones(2, 2), x, x[0]),            # mat2 1-D
            lambda lib, x: lib.addmm(x, x, x),                            # shapes
            lambda lib, x: lib.addmm(lib.ones(3), x, x.T),                # input's shape
            lambda lib, x: lib.addmm(lib.ones(2, 2), x, x.T.double()),    # dtypes
            lambda lib, x: lib.addmm(lib.ones(2, 2).double(), x.double(), x.T),
            lambda lib, x: lib.mv(x, lib.ones(3, 1)),
            lambda lib, x: lib.mv(x[0], lib.ones(3)),
            lambda lib, x: lib.mv(x, lib.ones(2)),
            lambda lib, x: lib.mv(x, lib.ones(3).double()),
            lambda lib, x: lib.mv(x.double(), lib.ones(3)),
            lambda lib, x: lib.mv(x, 2),
            lambda lib, x: lib.addmv(lib.ones(3), x, lib.ones(3)),
            lambda lib, x: lib.addmv(lib.ones(2).double(), x, lib.ones(3)),
            lambda lib, x: lib.baddbmm(lib.ones(2, 2), x, x.T[None]),
            lambda lib, x: lib.baddbmm(lib.ones(1, 2, 2), x[None], x[None]),
            lambda lib, x: lib.addbmm(lib.ones(3, 2), x[None], x.T[None]),
            lambda lib, x: lib.addmm(lib.ones(2, 2).bool(), x.bool(), x.T.bool())]:
        same_call(call, x)


def test_out_and_in_place_match_torch(torch):
    a, b, c = (v.astype(np.float32) for v in (A, B, C))
    same_call(lambda lib, x, y: lib.lerp(x, y, 0.25, out=lib.empty(2, 3)), a, b, **TOL)
    same_call(lambda lib, x, y, z: lib.addcdiv(x, y, z, out=lib.empty(2, 3)), a, b, c, **TOL)
    same_call(lambda lib, x: lib.addmm(lib.ones(2, 2), x, x.T, out=lib.empty(2, 2)), a, **TOL)
    for call in [lambda lib, x, y, z: x.lerp_(y, 0.75),
                 lambda lib, x, y, z: x.lerp_(y[0], z),
                 lambda lib, x, y, z: x.addcmul_(y[:1], z, value=2),
                 lambda lib, x, y, z: x.addcdiv_(y, z, value=-0.5),
                 lambda lib, x, y, z: x[0].addcmul_(y, z),                # does not fit
                 lambda lib, x, y, z: x[:, :2].addmm_(y, z.T[:, :2]),
                 lambda lib, x, y, z: x[0].addmm_(y, z.T),                # does not fit
                 lambda lib, x, y, z: x[0].addmv_(y.T, z[0], beta=2),
                 lambda lib, x, y, z: x[None].baddbmm_(y[None], z.T[None, :, :3]),
                 lambda lib, x, y, z: x[:, :2].addbmm_(y[None], z.T[None, :, :2]),
                 lambda lib, x, y, z: x.long().lerp_(y.long(), 0.5)]:
        # the returned tensor and the input it was written into, as torch's
        same_call(lambda lib, x, y, z: (call(lib, x, y, z), x), a, b, c, **TOL)


def test_gradients_match_torch(torch):
    def grads(lib, x, y, z, w):
        x, y, z, w = (v.detach().requires_grad_() for v in (x, y, z, w))
        total = (lib.lerp(x, y, 0.3).sum() + lib.lerp(x, y, 0.8).sum() * 2
                 + (lib.lerp(x, y, w) * z).sum() + lib.addcmul(x, y, z, value=3).sum()
                 + lib.addcdiv(x, y, z, value=-2).sum()
                 + (lib.addmm(x[:, :2], y, z.T, beta=0.5, alpha=2) ** 2).sum()
                 + lib.addmv(x[:, 0], y, z[0], alpha=3).sum()
                 + lib.baddbmm(x[None, :, :2], y[None], z.T[None]).sum()
                 + lib.addbmm(x[:, :2], y[None], z.T[None], beta=2).sum())
        total.backward()
        return x.grad, y.grad, z.grad, w.grad
    same_call(grads, A, B, C, RNG.random((2, 3)), rtol=1e-10, atol=1e-12)


def test_in_place_on_a_leaf_that_requires_grad_is_refused(torch):
    same_call(lambda lib, x, y: x.requires_grad_().addcmul_(y, y), A, B)


def test_values_against_numpy():
    """Torch-free: the formulas, by numpy (float64)."""
    x, y, z = (fastnn.tensor(v) for v in (A, B, C))
    np.testing.assert_allclose(np.asarray(fastnn.lerp(x, y, 0.3)), A + 0.3 * (B - A))
    np.testing.assert_allclose(np.asarray(x.lerp(y, 0.8)), B - (B - A) * 0.2)
    np.testing.assert_allclose(np.asarray(fastnn.addcmul(x, y, z, value=2)), A + 2 * B * C)
    np.testing.assert_allclose(np.asarray(fastnn.addcdiv(x, y, z, value=2)), A + 2 * B / C)
    np.testing.assert_allclose(np.asarray(fastnn.addmm(x[:, :2], y, z.T, beta=0.5, alpha=2)),
                               0.5 * A[:, :2] + 2 * B @ C.T)
    np.testing.assert_allclose(np.asarray(fastnn.mv(y, z[0])), B @ C[0])
    np.testing.assert_allclose(np.asarray(fastnn.addbmm(x[:, :2], y[None], z.T[None])),
                               A[:, :2] + B @ C.T)
    nan = fastnn.full((2, 2), float("nan"), dtype=fastnn.float64)
    assert not np.isnan(np.asarray(fastnn.addmm(nan, y, z.T, beta=0))).any()
    w = x.clone()
    assert w.addcdiv_(y, z) is w
    np.testing.assert_allclose(np.asarray(w), A + B / C)


@pytest.mark.parametrize("dtype", DTYPES[:3], ids=lambda d: np.dtype(d).name)
def test_tensordot_matches_torch(torch, dtype):
    a = _as(RNG.standard_normal((2, 3, 4)), dtype)
    b = _as(RNG.standard_normal((4, 3, 5)), dtype)
    for dims in [0, 1, ([1, 2], [1, 0]), ([2], [0]), ((1,), (1,)), ([-1], [0]), 2, -1, 4,
                 ([0], [0]), ([1], [0, 1])]:
        same_call(lambda lib, x, y: lib.tensordot(x, y, dims), a, b, **sum_tol(dtype))
    same_call(lambda lib, x: lib.tensordot(x, x, 3), a, **sum_tol(dtype))
    same_call(lambda lib, x, y: lib.tensordot(x, y.double() if x.dtype != lib.float64 else
                                              y.float(), 1), a, b)
    same_call(lambda lib, x, y: lib.tensordot(x, y, dims=lib.tensor(1)), a, b, **sum_tol(dtype))
    # an empty contraction sums nothing: zeros; and empty free dims: an empty result
    same_call(lambda lib, x, y: lib.tensordot(x[:, :, :0], y[:0], 1), a, b)
    same_call(lambda lib, x, y: lib.tensordot(x[:0], y, 1), a, b)


@pytest.mark.parametrize("dtypes", [(np.float32, np.float32), (np.float32, np.int64),
                                    (np.bool_, np.bool_), (np.int64, np.float64)],
                         ids=lambda d: "-".join(np.dtype(t).name for t in d))
def test_kron_and_float_power_match_torch(torch, dtypes):
    a, b = _as(A, dtypes[0]), _as(RNG.standard_normal((3, 2, 2)), dtypes[1])
    same_call(lambda lib, x, y: lib.kron(x, y), a, b, **TOL)
    same_call(lambda lib, x, y: x[0].kron(y[0]), a, b, **TOL)
    same_call(lambda lib, x, y: lib.kron(x[0, 0], y), a, b, **TOL)
    for exponent in (2, 0.5, -1.5):
        same_call(lambda lib, x: lib.float_power(x, exponent), a, rtol=1e-12, atol=1e-12)
        same_call(lambda lib, x: lib.float_power(exponent, x), a, rtol=1e-12, atol=1e-12)
    same_call(lambda lib, x, y: x.float_power(y[0, :, :1].T), a, b, rtol=1e-12, atol=1e-12)
    same_call(lambda lib, x: x.float_power_(2), a, rtol=1e-12)


def test_products_gradients_match_torch(torch):
    def grads(lib, x, y):
        x, y = x.detach().requires_grad_(), y.detach().requires_grad_()
        ((lib.tensordot(x, y, ([1], [1])) ** 2).sum() + lib.kron(x, y).sum()
         + lib.float_power(x.abs() + 1, y[:, :1].T).sum()).backward()
        return x.grad, y.grad
    same_call(grads, A, C, rtol=1e-10, atol=1e-12)


def test_products_against_numpy():
    """Torch-free: numpy's tensordot, kron and power."""
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((4, 3, 5))
    np.testing.assert_allclose(np.asarray(fastnn.tensordot(fastnn.tensor(a), fastnn.tensor(b),
                                                           ([1, 2], [1, 0]))),
                               np.tensordot(a, b, ([1, 2], [1, 0])))
    np.testing.assert_array_equal(np.asarray(fastnn.kron(fastnn.tensor(A), fastnn.tensor(C))),
                                  np.kron(A, C))
    assert fastnn.float_power(fastnn.tensor(A.astype(np.float32)), 2).dtype == np.float64
