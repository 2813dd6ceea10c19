"""Running extremes and log-sum-exp (cummax, cummin, logcumsumexp: fastnn._cumulative_ops),
logaddexp2 (a ufunc), the cross product and pairwise distances (cross, cdist) and assembled
tensors (block_diag, cartesian_prod) against torch: values, dtypes, indices exactly, errors,
out= and gradients over seeded sweeps of their arguments; and torch-free, against numpy."""
import itertools
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import _cross_methods
from torch_compare import same_call

RNG = np.random.default_rng(29)
SHAPES = [(), (0,), (1,), (6,), (3, 0), (4, 1), (3, 4, 5), (2, 0, 3), (1, 5, 1)]
FLOATS = [np.float32, np.float64]
EXTREME_DTYPES = FLOATS + [np.float16, np.int64, np.int32, np.uint8, np.bool_]


def _values(shape, dtype, special=True):
    """Seeded values of `dtype` with ties; floats also NaN, inf and -inf (when `special`)."""
    if np.dtype(dtype) == np.bool_:
        return RNG.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        return RNG.integers(0, 4, shape).astype(dtype)
    a = np.round(RNG.standard_normal(shape) * 2, 1).astype(dtype)
    if special and a.size:
        flat = a.reshape(-1)
        for value in (np.nan, np.inf, -np.inf, np.nan):
            flat[RNG.integers(0, flat.size)] = value
    return a


def _dims(ndim):
    return list(range(-max(ndim, 1), max(ndim, 1))) + [max(ndim, 1), -max(ndim, 1) - 1]


# ------------------------------------------------------------------ cummax cummin

@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", EXTREME_DTYPES, ids=lambda d: np.dtype(d).name)
def test_running_extremes_match_torch(torch, name, dtype):
    for shape in SHAPES:
        a = _values(shape, dtype)
        for dim in _dims(len(shape)):
            same_call(lambda lib, x: getattr(lib, name)(x, dim), a)
            same_call(lambda lib, x: getattr(x, name)(dim), a)
            same_call(lambda lib, x: getattr(x, name)(dim=dim), a)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_running_extremes_keep_torchs_ties_and_nans(torch, name):
    rows = np.array([[1.0, np.nan, 3.0, 0.0, np.nan, 5.0], [1.0, 3.0, 3.0, 2.0, 3.0, 1.0],
                     [0.0, -0.0, 0.0, -0.0, np.inf, np.inf], [-np.inf, -np.inf, 2, 2, 1, 1]])
    for dim in (1, -1):
        got, want = same_call(lambda lib, x: getattr(lib, name)(x, dim), rows)
        np.testing.assert_array_equal(np.signbit(np.asarray(got.values)),
                                      np.signbit(want.values.numpy()))
    same_call(lambda lib, x: getattr(lib, name)(x, 0), rows.T.copy())
    same_call(lambda lib, x: getattr(lib, name)(x, 0), rows.T)      # a strided input


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_running_extremes_result_type_out_and_errors(torch, name):
    a = _values((3, 4), np.float32)
    result = getattr(fastnn, name)(fastnn.tensor(a), 1)
    assert type(result).__name__ == name and result._fields == ("values", "indices")
    assert repr(result).startswith(f"fastnn.return_types.{name}(\nvalues=tensor(")
    for dim in (None, 1.5, True, "a"):
        same_call(lambda lib, x: getattr(lib, name)(x, dim), a)
        same_call(lambda lib, x: getattr(x, name)(dim), a)
    same_call(lambda lib, x: getattr(lib, name)(x), a)
    same_call(lambda lib, x: getattr(x, name)(), a)
    same_call(lambda lib, x: getattr(lib, name)(x, np.int64(1)), a)
    for part in (lambda x: x, lambda x: x[0, 0], lambda x: x[:0]):    # only the loop refuses
        for dim in (0, 5):
            same_call(lambda lib, x: getattr(lib, name)(part(x).to(lib.complex64), dim), a)
    same_call(lambda lib, x: getattr(lib, name)(x, 5), a[0, 0])

    def into(lib, x, values_dtype, indices_dtype, dim=1):
        out = (lib.empty((3, 4), dtype=values_dtype), lib.empty((3, 4), dtype=indices_dtype))
        result = getattr(lib, name)(x, dim, out=out)
        assert result.values is out[0] and result.indices is out[1]
        return tuple(out)
    same_call(lambda lib, x: into(lib, x, lib.float32, lib.int64), a)
    same_call(lambda lib, x: into(lib, x, lib.float32, lib.int64, -2), a)
    same_call(lambda lib, x: into(lib, x, lib.float64, lib.int64), a)
    same_call(lambda lib, x: into(lib, x, lib.float32, lib.float32), a)
    same_call(lambda lib, x: getattr(lib, name)(x, 0, out=lib.empty(3, 4)), a)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_running_extreme_gradients_match_torch(torch, name):
    for shape, dim in [((3, 4, 5), 1), ((3, 4, 5), -1), ((6,), 0), ((), 0), ((0, 3), 1),
                       ((4, 1), 1)]:
        a = _values(shape, np.float64)
        weights = RNG.standard_normal(shape)

        def grad(lib, x, w):
            x = x.detach().requires_grad_()
            values, indices = getattr(lib, name)(x, dim)
            assert not indices.requires_grad
            (values * w).sum().backward()
            return x.grad
        same_call(grad, a, weights, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ logcumsumexp

@pytest.mark.parametrize("dtype", FLOATS + [np.float16], ids=lambda d: np.dtype(d).name)
def test_logcumsumexp_matches_torch(torch, dtype):
    tol = dict(rtol=1e-3, atol=1e-3) if dtype == np.float16 else dict(rtol=1e-6, atol=1e-6)
    for shape in SHAPES:
        a = _values(shape, dtype)
        for dim in _dims(len(shape)):
            same_call(lambda lib, x: lib.logcumsumexp(x, dim), a, **tol)
            same_call(lambda lib, x: x.logcumsumexp(dim), a, **tol)
    wide = np.array([-1000.0, 0.0, 1000.0, -np.inf, np.inf, np.inf, -np.inf, np.nan, 1.0])
    same_call(lambda lib, x: lib.logcumsumexp(x, 0), wide.astype(dtype), **tol)
    same_call(lambda lib, x: lib.logcumsumexp(x, 0), np.full(4, -np.inf, dtype), **tol)


def test_logcumsumexp_errors_and_out(torch):
    a = _values((3, 4), np.float32)
    for dtype in (np.int64, np.bool_, np.uint8):
        same_call(lambda lib, x: lib.logcumsumexp(x, 0), _values((3, 4), dtype))
    for dim in (None, 1.5, True):
        same_call(lambda lib, x: lib.logcumsumexp(x, dim), a)
        same_call(lambda lib, x: x.logcumsumexp(dim), a)
    same_call(lambda lib, x: lib.logcumsumexp(x), a)
    same_call(lambda lib, x: lib.logcumsumexp(x.long(), 5), a)
    same_call(lambda lib, x: lib.logcumsumexp(x.long(), 0, out=lib.empty(3, 4)), a)
    same_call(lambda lib, x: lib.logcumsumexp(x, 5, out=lib.empty(3, 4).double()), a)
    same_call(lambda lib, x: x.logcumsumexp(), a)

    def into(lib, x, dtype):
        out = lib.empty((3, 4), dtype=dtype)
        assert lib.logcumsumexp(x, 1, out=out) is out
        return out
    same_call(lambda lib, x: into(lib, x, lib.float32), a, rtol=1e-6, atol=1e-6)
    same_call(lambda lib, x: into(lib, x, lib.float64), a)


def test_logcumsumexp_gradients_match_torch(torch):
    rows = np.array([[0.0, 0.0, 1.0, -2.0], [-np.inf, 0.0, 1.0, np.inf],
                     [-np.inf, -np.inf, 3.0, 2.0], [1.0, np.nan, 2.0, 0.5]])
    weights = np.array([[1.0, -2.0, 0.5, 0.0], [1.0, 1.0, 1.0, 1.0], [-1.0, 2.0, 0.0, 3.0],
                        [1.0, 1.0, -1.0, 2.0]])
    for a, w, dim in [(rows, weights, 1), (rows.T, weights.T, 0),
                      (RNG.standard_normal((3, 4, 5)), RNG.standard_normal((3, 4, 5)), -2),
                      (np.array(1.5), np.array(3.0), 0), (np.zeros((0, 2)), np.zeros((0, 2)), 0)]:
        def grad(lib, x, w):
            x = x.detach().requires_grad_()
            (lib.logcumsumexp(x, dim) * w).sum().backward()
            return x.grad
        same_call(grad, a, w, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ logaddexp2

@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_logaddexp2_matches_torch(torch, dtype):
    a = _values((3, 4, 5), dtype)
    b = _values((4, 1), dtype)
    tol = dict(rtol=1e-6, atol=1e-6)
    same_call(lambda lib, x, y: lib.logaddexp2(x, y), a, b, **tol)
    same_call(lambda lib, x, y: x.logaddexp2(y), b, a, **tol)
    same_call(lambda lib, x, y: lib.logaddexp2(x, y[0, 0, 0]), a, a, **tol)
    same_call(lambda lib, x, y: lib.logaddexp2(x, y.double()), a, b, **tol)
    same_call(lambda lib, x, y: lib.logaddexp2(x.half(), y), a, b, **tol)
    same_call(lambda lib, x, y: lib.logaddexp2(x.half(), y.half()), a, b, rtol=1e-3, atol=1e-3)
    same_call(lambda lib, x, y: lib.logaddexp2(x, y.double()[0, 0]), a, b, **tol)
    specials = np.array([np.inf, -np.inf, np.inf, np.nan, -np.inf, 1.0], dtype)
    same_call(lambda lib, x, y: lib.logaddexp2(x, y), specials, specials[::-1].copy())

    def into(lib, x, y):
        out = lib.empty((3, 4, 5), dtype=x.dtype)
        assert lib.logaddexp2(x, y, out=out) is out
        return out
    same_call(into, a, b, **tol)
    for dtype_ in (np.int64, np.bool_):
        same_call(lambda lib, x: lib.logaddexp2(x, x), _values((3,), dtype_))
    same_call(lambda lib, x: lib.logaddexp2(x, 2), a)
    same_call(lambda lib, x: x.logaddexp2(2.0), a)

    def grad(lib, x, y):
        x, y = x.detach().requires_grad_(), y.detach().requires_grad_()
        (lib.logaddexp2(x, y) * 3).sum().backward()
        return x.grad, y.grad
    same_call(grad, RNG.standard_normal((3, 4)), RNG.standard_normal(4), rtol=1e-10,
              atol=1e-12)


# ------------------------------------------------------------------ cross

def _fresh_warning():
    _cross_methods._warned[0] = False


@pytest.mark.parametrize("dtype", FLOATS + [np.int64, np.int32, np.uint8],
                         ids=lambda d: np.dtype(d).name)
def test_cross_matches_torch(torch, dtype):
    warnings.simplefilter("ignore", UserWarning)
    tol = dict(rtol=1e-6, atol=1e-6) if np.dtype(dtype).kind == "f" else {}
    pairs = [((3,), (3,)), ((4, 3), (4, 3)), ((4, 3), (1, 3)), ((2, 1, 3), (1, 5, 3)),
             ((3, 3), (3, 3)), ((3, 4), (3, 1)), ((0, 3), (0, 3)), ((3, 0), (3, 1)),
             ((2, 3, 4), (2, 3, 4)), ((3, 1), (3, 3)), ((4, 3), (3,)), ((4, 2), (4, 2)),
             ((), ()), ((3, 4), (3, 5)), ((3, 4), (2, 4))]
    for shape_a, shape_b in pairs:
        a, b = _values(shape_a, dtype, False), _values(shape_b, dtype, False)
        for dim in [None] + _dims(len(shape_a)):
            same_call(lambda lib, x, y: lib.cross(x, y, dim), a, b, **tol)
            same_call(lambda lib, x, y: x.cross(y, dim=dim), a, b, **tol)
    special = _values((4, 3), np.float64)
    same_call(lambda lib, x, y: lib.cross(x, y, 1), special, special[::-1].copy(), rtol=1e-12,
              atol=1e-12)


def test_cross_errors_out_and_warning(torch):
    warnings.simplefilter("ignore", UserWarning)
    a, b = _values((4, 3), np.float32, False), _values((4, 3), np.float32, False)
    same_call(lambda lib, x, y: lib.cross(x, y.double(), 1), a, b)
    same_call(lambda lib, x, y: lib.cross(x.long(), y, 1), a, b)
    same_call(lambda lib, x, y: lib.cross(x > 0, y > 0, 1), a, b)
    same_call(lambda lib, x, y: lib.cross(x, y > 0, 1), a, b)
    same_call(lambda lib, x, y: lib.cross(x.half(), y.half(), 1), a, b, rtol=1e-3, atol=1e-3)
    for dim in (1.5, True, "a"):
        same_call(lambda lib, x, y: lib.cross(x, y, dim), a, b)
        same_call(lambda lib, x, y: x.cross(y, dim), a, b)
    same_call(lambda lib, x: lib.cross(x, 2), a)
    same_call(lambda lib, x: x.cross([1.0, 2.0, 3.0]), a)

    def into(lib, x, y, dtype):
        out = lib.empty((4, 3), dtype=dtype)
        assert lib.cross(x, y, 1, out=out) is out
        return out
    same_call(lambda lib, x, y: into(lib, x, y, lib.float32), a, b, rtol=1e-6, atol=1e-6)
    same_call(lambda lib, x, y: into(lib, x, y, lib.float64), a, b)

    for lib in (torch, fastnn):
        # torch warns once per process; fastnn's flag is reset to see its first warning
        _fresh_warning()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.cross(lib.ones(2, 3), lib.ones(2, 3))
            lib.cross(lib.ones(2, 3), lib.ones(2, 3))
            lib.ones(2, 3).cross(lib.ones(2, 3), 1)
        if lib is fastnn:
            assert [w.category for w in caught] == [UserWarning]
            assert caught[0].filename == __file__
            assert str(caught[0].message) == (
                "Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                "either pass the dim explicitly or simply use torch.linalg.cross.\nThe default "
                "value of dim will change to agree with that of linalg.cross in a future "
                "release.")


def test_cross_gradients_match_torch(torch):
    for shape_a, shape_b, dim in [((4, 3), (4, 3), 1), ((2, 1, 3), (1, 5, 3), -1),
                                  ((3, 4), (3, 1), 0), ((3,), (3,), None)]:
        def grad(lib, x, y):
            x, y = x.detach().requires_grad_(), y.detach().requires_grad_()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                result = lib.cross(x, y, dim)
            (result * lib.arange(result.numel()).reshape(result.shape)).sum().backward()
            return x.grad, y.grad
        same_call(grad, RNG.standard_normal(shape_a), RNG.standard_normal(shape_b),
                  rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ cdist

P_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, np.inf]
MODES = ["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
         "donot_use_mm_for_euclid_dist"]
CDIST_SHAPES = [((5, 4), (6, 4)), ((2, 5, 4), (3, 1, 6, 4)), ((1, 4), (30, 4)), ((30, 2), (3, 2)),
                ((0, 4), (3, 4)), ((3, 0), (2, 0)), ((2, 0, 3), (4, 3)), ((3, 4), (3, 4))]


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_cdist_matches_torch(torch, dtype):
    # the matrix-product form cancels: torch's own zero distances come out near sqrt(eps)
    tol = dict(rtol=2e-4, atol=3e-3) if dtype == np.float32 else dict(rtol=1e-7, atol=1e-7)
    for (shape_a, shape_b), p, mode in itertools.product(CDIST_SHAPES, P_VALUES, MODES):
        a, b = RNG.standard_normal(shape_a).astype(dtype), RNG.standard_normal(shape_b)
        b = b.astype(dtype)
        if a.size and b.size:
            b.reshape(-1, b.shape[-1])[0] = a.reshape(-1, a.shape[-1])[0]   # a zero distance
        same_call(lambda lib, x, y: lib.cdist(x, y, p, mode), a, b, **tol)
    same_call(lambda lib, x, y: lib.cdist(x, y), a, b, **tol)
    same_call(lambda lib, x, y: lib.cdist(x, y, p=2), a, b, **tol)


def test_cdist_with_nan_and_inf_matches_torch(torch):
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((5, 3))
    a[0, 1], a[1, 0], b[2, 2], b[3, 0] = np.nan, np.inf, -np.inf, np.nan
    for p, mode in itertools.product(P_VALUES, MODES):
        same_call(lambda lib, x, y: lib.cdist(x, y, p, mode), a, b, rtol=1e-9, atol=1e-9)


def test_cdist_errors_match_torch(torch):
    a, b = RNG.standard_normal((4, 3)).astype(np.float32), RNG.standard_normal((5, 3))
    for call in [lambda lib, x, y: lib.cdist(x[0], y),
                 lambda lib, x, y: lib.cdist(x, y[0]),
                 lambda lib, x, y: lib.cdist(x, y[:, :2]),
                 lambda lib, x, y: lib.cdist(x, y, p=-1),
                 lambda lib, x, y: lib.cdist(x, y, p=float("nan")),
                 lambda lib, x, y: lib.cdist(x.long(), y),
                 lambda lib, x, y: lib.cdist(x, y.long()),
                 lambda lib, x, y: lib.cdist(x.long(), y, p=-1),
                 lambda lib, x, y: lib.cdist(x, y),
                 lambda lib, x, y: lib.cdist(y, x),
                 lambda lib, x, y: lib.cdist(x.half(), y.half()),
                 lambda lib, x, y: lib.cdist(x, y.half()),
                 lambda lib, x, y: lib.cdist(x.expand(30, 4, 3)[:, 0], y),
                 lambda lib, x, y: lib.cdist(x, y.float(), compute_mode="x"),
                 lambda lib, x, y: lib.cdist(x, y.float(), compute_mode=None),
                 lambda lib, x, y: lib.cdist(x, y.float(), p="a"),
                 lambda lib, x, y: lib.cdist(x, y.float(), p=True),
                 lambda lib, x, y: lib.cdist(x.expand(2, 4, 3), y.float().expand(3, 5, 3)),
                 lambda lib, x, y: lib.cdist(x.to(lib.complex64), y),
                 lambda lib, x, y: lib.cdist(x[:0], y, 2, "use_mm_for_euclid_dist"),
                 lambda lib, x, y: lib.cdist(x[:, :0], y[:, :0]),
                 lambda lib, x, y: lib.cdist(x.expand(30, 4, 3)[:, 0].half(), y.half()),
                 lambda lib, x, y: lib.cdist([1.0], y),
                 lambda lib, x, y: lib.cdist(x, [1.0])]:
        same_call(call, a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("p", P_VALUES)
def test_cdist_gradients_match_torch(torch, p):
    """torch's _cdist_backward (and _euclidean_dist_backward for the matrix-product form):
    0 where a distance is 0, for p = 2 too."""
    for (shape_a, shape_b), mode in itertools.product(CDIST_SHAPES, MODES):
        a, b = RNG.standard_normal(shape_a), RNG.standard_normal(shape_b)
        if a.size and b.size:
            b.reshape(-1, b.shape[-1])[0] = a.reshape(-1, a.shape[-1])[0]
            a.reshape(-1)[-1] = b.reshape(-1)[-1]            # a zero difference

        def grad(lib, x, y):
            x, y = x.detach().requires_grad_(), y.detach().requires_grad_()
            result = lib.cdist(x, y, p, mode)
            (result * lib.arange(result.numel()).reshape(result.shape).double()).sum().backward()
            return x.grad, y.grad
        got, want = same_call(grad, a, b, rtol=1e-9, atol=1e-9)
        assert not np.isnan(np.asarray(got[0])).any()


# ------------------------------------------------------------------ block_diag cartesian_prod

def test_block_diag_matches_torch(torch):
    parts = [np.array(2), np.array(2.5, np.float32), np.arange(3), RNG.standard_normal(2),
             RNG.standard_normal((2, 3)).astype(np.float32), np.zeros((0, 2)), np.zeros((2, 0)),
             np.zeros(0, np.float32), np.array([True, False]), np.array([3], np.uint8),
             np.array([1], np.int32), np.array(7, np.int64), np.array([1], np.int8),
             np.array([np.nan, np.inf]), RNG.standard_normal((1, 1))]
    for count in (1, 2, 3):
        for chosen in itertools.combinations(range(len(parts)), count):
            same_call(lambda lib, *t: lib.block_diag(*t), *[parts[i] for i in chosen])
    same_call(lambda lib: lib.block_diag())
    for first, second in [(np.array([1], np.int32), np.array(5, np.int64)),     # a 0-d tensor
                          (np.array([1], np.int32), np.array(5.5)),             # decides only
                          (np.array([True]), np.array(5, np.int64))]:           # a category
        same_call(lambda lib, x, y: lib.block_diag(x, y), first, second)
    same_call(lambda lib, x: lib.block_diag(x), np.zeros((2, 2, 2)))
    same_call(lambda lib, x, y: lib.block_diag(x, y), np.zeros(2), np.zeros((2, 2, 2)))
    same_call(lambda lib, x: lib.block_diag(x, [1, 2]), np.zeros(2))
    same_call(lambda lib, x: lib.block_diag(x, 3), np.zeros(2))
    same_call(lambda lib, x: lib.block_diag([x]), np.zeros(2))

    def grad(lib, x, y, z):
        x, y, z = (t.detach().requires_grad_() for t in (x, y, z))
        result = lib.block_diag(x, y.float(), z)
        (result * lib.arange(result.numel()).reshape(result.shape)).sum().backward()
        return x.grad, y.grad, z.grad
    same_call(grad, RNG.standard_normal((2, 3)), RNG.standard_normal(4), np.array(1.5),
              rtol=1e-10, atol=1e-12)


def test_cartesian_prod_matches_torch(torch):
    a, b, c = np.array([1, 2]), np.array([3, 4, 5]), np.array([7, 8])
    for tensors in [(a,), (a, b), (a, b, c), (b, np.zeros(0, np.int64)), (a, b.astype(float)),
                    (a, np.ones((2, 2))), (np.ones((2, 2)),), (np.array(1),), ()]:
        same_call(lambda lib, *t: lib.cartesian_prod(*t), *tensors)
    x = fastnn.tensor([1.0, 2.0])
    assert fastnn.cartesian_prod(x) is x
    same_call(lambda lib, x: lib.cartesian_prod([x]), a)
    same_call(lambda lib, x: lib.cartesian_prod(x, 2), a)

    def grad(lib, x, y):
        x, y = x.detach().requires_grad_(), y.detach().requires_grad_()
        result = lib.cartesian_prod(x, y)
        (result * lib.arange(result.numel()).reshape(result.shape)).sum().backward()
        return x.grad, y.grad
    same_call(grad, RNG.standard_normal(3), RNG.standard_normal(4), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ torch-free

def _running_reference(x, better):
    """A plain loop of torch's rule along the last dim."""
    values, indices = np.empty_like(x), np.empty(x.shape, np.int64)
    for row in np.ndindex(x.shape[:-1]):
        best, at = x[row][0], 0
        for i, v in enumerate(x[row]):
            if v != v or (best == best and better(v, best)):
                best, at = v, i
            values[row][i], indices[row][i] = best, at
    return values, indices


def test_against_numpy():
    """Torch-free: values by numpy and plain loops."""
    a = _values((3, 7), np.float64)
    for name, better in (("cummax", np.greater_equal), ("cummin", np.less_equal)):
        values, indices = getattr(fastnn, name)(fastnn.tensor(a), -1)
        want_values, want_indices = _running_reference(a, better)
        np.testing.assert_array_equal(np.asarray(values), want_values)
        np.testing.assert_array_equal(np.asarray(indices), want_indices)
        assert indices.dtype == np.int64
    b = RNG.standard_normal((4, 5))
    np.testing.assert_allclose(np.asarray(fastnn.logcumsumexp(fastnn.tensor(b), 1)),
                               np.log(np.cumsum(np.exp(b), 1)), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(fastnn.logaddexp2(fastnn.tensor(b), fastnn.tensor(b[0]))),
                               np.log2(2 ** b + 2 ** b[0]), rtol=1e-12)
    u, v = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3))
    np.testing.assert_allclose(np.asarray(fastnn.cross(fastnn.tensor(u), fastnn.tensor(v), 1)),
                               np.cross(u, v), rtol=1e-12)
    for p in P_VALUES:
        diff = u[:, None, :] - v[None, :4, :]
        want = ((diff != 0).sum(-1) if p == 0 else np.abs(diff).max(-1) if p == np.inf
                else (np.abs(diff) ** p).sum(-1) ** (1 / p))
        np.testing.assert_allclose(np.asarray(fastnn.cdist(fastnn.tensor(u),
                                                           fastnn.tensor(v[:4]), p)),
                                   want, rtol=1e-12)
    blocks = [np.ones((2, 2)), np.arange(3.0), np.array(4.0)]
    want = np.zeros((4, 6))
    want[:2, :2], want[2, 2:5], want[3, 5] = 1, np.arange(3.0), 4
    np.testing.assert_array_equal(np.asarray(fastnn.block_diag(*map(fastnn.tensor, blocks))),
                                  want)
    np.testing.assert_array_equal(
        np.asarray(fastnn.cartesian_prod(fastnn.tensor([1, 2]), fastnn.tensor([3, 4, 5]))),
        np.array(list(itertools.product([1, 2], [3, 4, 5]))))


def test_gradients_without_torch():
    """Torch-free: cummax's gradient goes to the indices, cdist's is 0 at a zero distance."""
    x = fastnn.tensor([1.0, 3.0, 2.0, 3.0, 0.0], requires_grad=True)
    values, _ = x.cummax(0)
    (values * fastnn.arange(5.0)).sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [0.0, 3.0, 0.0, 7.0, 0.0])
    a = fastnn.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    fastnn.cdist(a, fastnn.tensor([[0.0, 0.0]])).sum().backward()
    np.testing.assert_allclose(np.asarray(a.grad), [[0.0, 0.0], [0.6, 0.8]])
