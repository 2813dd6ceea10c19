"""fastnn.linalg against torch.linalg: norms (vector, matrix, the norm that picks one) and
the cross product: values over seeded shapes, gradients in float64, every error in torch's
words; and the identities that need no torch."""
import numpy as np
import pytest

import fastnn
from torch_compare import raises_like, same_call

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
MATRIX_ORDERS = ("fro", "nuc", 1, -1, np.inf, -np.inf)


def _data(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("ord", [2, 1, 0, 3.5, -1, np.inf, -np.inf])
def test_vector_norm_matches_torch(torch, rng, dtype, shape, ord):
    x = _data(rng, shape, dtype)
    for dim in (None, 0, -1, tuple(range(len(shape))), []):
        for keepdim in (False, True):
            same_call(lambda lib, t: lib.linalg.vector_norm(t, ord, dim, keepdim), x,
                      **TOL[dtype])
    if dtype == np.float32:
        same_call(lambda lib, t: lib.linalg.vector_norm(t, ord, dtype=lib.float64), x,
                  **TOL[np.float64])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ord", MATRIX_ORDERS)
def test_matrix_norm_matches_torch(torch, rng, dtype, ord):
    x = _data(rng, (2, 3, 4), dtype)
    for dim in ((-2, -1), (2, 0), (0, 1), (1, 0)):
        for keepdim in (False, True):
            same_call(lambda lib, t: lib.linalg.matrix_norm(t, ord, dim, keepdim), x,
                      **TOL[dtype])


@pytest.mark.parametrize("ord", [1, np.inf, "fro", "nuc"])
def test_matrix_norm_of_empty_matrices_is_zero_as_in_torch(torch, ord):
    for shape in ((0, 3), (3, 0), (2, 0, 0)):
        same_call(lambda lib, t: lib.linalg.matrix_norm(t, ord), np.ones(shape, np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm_picks_torchs_vector_or_matrix_norm(torch, rng, dtype):
    for shape in ((5,), (3, 4), (2, 3, 4)):
        x = _data(rng, shape, dtype)
        same_call(lambda lib, t: lib.linalg.norm(t), x, **TOL[dtype])
        same_call(lambda lib, t: lib.linalg.norm(t, keepdim=True), x, **TOL[dtype])
        same_call(lambda lib, t: lib.linalg.norm(t, dim=-1), x, **TOL[dtype])
        same_call(lambda lib, t: lib.linalg.norm(t, 3, dim=0), x, **TOL[dtype])
    same_call(lambda lib, t: lib.linalg.norm(t, 1), _data(rng, (3, 4), dtype), **TOL[dtype])
    same_call(lambda lib, t: lib.linalg.norm(t, -np.inf), _data(rng, (3, 4), dtype),
              **TOL[dtype])
    same_call(lambda lib, t: lib.linalg.norm(t, 1), _data(rng, (5,), dtype), **TOL[dtype])
    same_call(lambda lib, t: lib.linalg.norm(t, "nuc", dim=(0, 2)),
              _data(rng, (2, 3, 4), dtype), **TOL[dtype])
    same_call(lambda lib, t: lib.linalg.norm(t, np.inf, dim=(2, 1), keepdim=True),
              _data(rng, (2, 3, 4), dtype), **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_matches_torch(torch, rng, dtype):
    same_call(lambda lib, a, b: lib.linalg.cross(a, b), _data(rng, (4, 3), dtype),
              _data(rng, (4, 3), dtype), **TOL[dtype])
    same_call(lambda lib, a, b: lib.linalg.cross(a, b), _data(rng, (2, 1, 3), dtype),
              _data(rng, (1, 5, 3), dtype), **TOL[dtype])
    same_call(lambda lib, a, b: lib.linalg.cross(a, b, dim=0), _data(rng, (3, 2), dtype),
              _data(rng, (3, 2), dtype), **TOL[dtype])


def _grads(lib, fn, *arrays):
    if lib is fastnn:
        ts = [fastnn.tensor(a, requires_grad=True) for a in arrays]
    else:
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
    fn(lib, *ts).sum().backward()
    return [np.asarray(t.grad if lib is fastnn else t.grad.numpy()) for t in ts]


@pytest.mark.parametrize("call", [
    lambda lib, t: lib.linalg.vector_norm(t),
    lambda lib, t: lib.linalg.vector_norm(t, 3, dim=1),
    lambda lib, t: lib.linalg.vector_norm(t, np.inf, dim=(0, 2), keepdim=True),
    lambda lib, t: lib.linalg.matrix_norm(t),
    lambda lib, t: lib.linalg.matrix_norm(t, "nuc"),
    lambda lib, t: lib.linalg.matrix_norm(t, 1),
    lambda lib, t: lib.linalg.matrix_norm(t, -np.inf, dim=(2, 0)),
    lambda lib, t: lib.linalg.norm(t, dim=(0, 1)),
    lambda lib, t: lib.linalg.norm(t),
], ids=["vector2", "vector3", "vector_inf", "fro", "nuc", "one", "minus_inf", "norm_dims",
        "norm_all"])
def test_norm_gradients_match_torch(torch, rng, call):
    x = _data(rng, (2, 3, 4), np.float64)
    for got, want in zip(_grads(fastnn, call, x), _grads(torch, call, x)):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


def test_cross_gradients_match_torch(torch, rng):
    a, b = _data(rng, (2, 4, 3), np.float64), _data(rng, (1, 4, 3), np.float64)

    def call(lib, x, y):
        return lib.linalg.cross(x, y) * lib.tensor(np.arange(24.0).reshape(2, 4, 3))

    for got, want in zip(_grads(fastnn, call, a, b), _grads(torch, call, a, b)):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


X3 = np.ones((2, 3, 4))
ERRORS = [
    lambda lib: lib.linalg.vector_norm(lib.ones(3, dtype=lib.int64)),
    lambda lib: lib.linalg.vector_norm(lib.tensor(X3), ord="fro"),
    lambda lib: lib.linalg.vector_norm(lib.tensor(X3), dim=5),
    lambda lib: lib.linalg.vector_norm(lib.tensor(X3), dtype=lib.float32),
    lambda lib: lib.linalg.vector_norm(lib.ones(0), np.inf),
    lambda lib: lib.linalg.matrix_norm(lib.ones(3)),
    lambda lib: lib.linalg.matrix_norm(lib.ones(3, dtype=lib.int64)),
    lambda lib: lib.linalg.matrix_norm(lib.ones(3, 3, dtype=lib.int64)),
    lambda lib: lib.linalg.matrix_norm(lib.ones(3, 3, dtype=lib.int64), 3),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(X3), 1.5),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(X3), "abc"),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(X3), dim=(0, 0)),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(X3), dim=(0,)),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(X3), dim=(0, 5)),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(X3), 1, dtype=lib.float32),
    lambda lib: lib.linalg.matrix_norm(lib.ones(3, 0), -1),
    lambda lib: lib.linalg.norm(lib.tensor(X3), 2),
    lambda lib: lib.linalg.norm(lib.tensor(X3), "fro"),
    lambda lib: lib.linalg.norm(lib.tensor(X3), dim=(0, 1, 2)),
    lambda lib: lib.linalg.norm(lib.tensor(X3), dim=[]),
    lambda lib: lib.linalg.norm(lib.ones(3), "nuc"),
    lambda lib: lib.linalg.norm(lib.tensor(X3), "fro", dim=0),
    lambda lib: lib.linalg.norm(lib.tensor(X3), 3, dim=(0, 1)),
    lambda lib: lib.linalg.cross(lib.ones(2, 3), lib.ones(3)),
    lambda lib: lib.linalg.cross(lib.ones(2, 4), lib.ones(2, 4)),
    lambda lib: lib.linalg.cross(lib.ones(2, 3), lib.ones(2, 3, dtype=lib.float64)),
    lambda lib: lib.linalg.cross(lib.ones(2, 3), lib.ones(4, 3)),
]


@pytest.mark.parametrize("call", ERRORS, ids=range(len(ERRORS)))
def test_errors_are_torchs(torch, call):
    raises_like(lambda: call(torch), lambda: call(fastnn))


def test_norm_identities_without_torch(rng):
    a = _data(rng, (3, 4), np.float64)
    t = fastnn.tensor(a)
    assert np.isclose(float(fastnn.linalg.norm(t)), np.sqrt((a * a).sum()))
    assert np.isclose(float(fastnn.linalg.matrix_norm(t, 1)), np.abs(a).sum(0).max())
    assert np.isclose(float(fastnn.linalg.matrix_norm(t, np.inf)), np.abs(a).sum(1).max())
    assert np.isclose(float(fastnn.linalg.matrix_norm(t, "nuc")),
                      np.linalg.svd(a, compute_uv=False).sum())
    assert np.isclose(float(fastnn.linalg.matrix_norm(t, 2)),
                      np.linalg.svd(a, compute_uv=False).max())
    assert np.isclose(float(fastnn.linalg.matrix_norm(t, -2)),
                      np.linalg.svd(a, compute_uv=False).min())
    u, v = fastnn.tensor(a[:, :3]), fastnn.tensor(a[:, 1:])
    w = fastnn.linalg.cross(u, v)
    np.testing.assert_allclose(np.asarray((w * u).sum(-1)), 0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(fastnn.linalg.cross(v, u)), -np.asarray(w))
