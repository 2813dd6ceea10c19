"""Tensor functions of issue 17 (item 2), the math ones: log, sqrt, rsqrt, erf, isnan, isinf,
isfinite, amax/amin, norm, allclose, equal, bmm, einsum, F.one_hot, F.normalize, linspace,
eye, and tanh/log_softmax at the top level. Each against torch (method and top level),
over seeded sweeps of dims, keepdim, dtypes and empty tensors, and every error torch
raises (class and whole message)."""
import itertools

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import ops
from torch_compare import same_call

RNG = np.random.default_rng(18)
TOL32 = dict(rtol=1e-5, atol=1e-6)
TOL64 = dict(rtol=1e-10, atol=1e-12)


def tol(dtype):
    return TOL64 if np.dtype(dtype) == np.float64 else TOL32


def data(shape, dtype=np.float32, rng=RNG):
    a = rng.standard_normal(shape) * 3
    return a.astype(dtype) if np.dtype(dtype).kind == "f" else np.abs(a).astype(dtype)


SPECIAL = np.array([0.0, -0.0, 1.5, -2.0, 4.0, np.inf, -np.inf, np.nan, 1e-30, 7.0])


# ------------------------------------------------------------------ element-wise

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8,
                                   np.bool_])
@pytest.mark.parametrize("name", ["log", "sqrt", "rsqrt", "erf", "isnan", "isinf",
                                  "isfinite"])
def test_elementwise_as_torch(torch, name, dtype):
    with np.errstate(invalid="ignore"):
        x = SPECIAL.astype(dtype).reshape(2, 5)
    tolerance = tol(dtype if np.dtype(dtype).kind == "f" else np.float32)
    same_call(lambda lib, t: getattr(t, name)(), x, **tolerance)
    same_call(lambda lib, t: getattr(lib, name)(t), x, **tolerance)
    same_call(lambda lib, t: getattr(lib, name)(t[:0]), x)
    same_call(lambda lib, t: getattr(t[0, 1], name)(), x, **tolerance)


def test_log_sqrt_rsqrt_write_out_as_torch(torch):
    x = np.abs(data((3, 4))) + 0.1
    for name in ("log", "sqrt", "rsqrt", "erf"):
        out = fastnn.empty(3, 4)
        assert getattr(fastnn, name)(fastnn.from_numpy(x), out=out) is out
        np.testing.assert_allclose(out, getattr(torch, name)(torch.from_numpy(x)).numpy(),
                                   **TOL32)
    for name in ("log", "sqrt"):        # (rsqrt's refusal is the door's: its own words)
        same_call(lambda lib, t: getattr(lib, name)(t, out=lib.empty(3, 4, dtype=lib.int64)),
                  x)


def test_erf_over_its_range_and_its_gradient_as_torch(torch):
    """erf of a sweep across its curved part and tails (float32 within a few units in the
    last place of torch's, float64 within one), and its gradient 2/sqrt(pi) exp(-x^2)."""
    x = np.concatenate([np.linspace(-6, 6, 2001), RNG.standard_normal(999) * 2])
    for dtype in (np.float32, np.float64):
        same_call(lambda lib, t: lib.erf(t), x.astype(dtype), **tol(dtype))
    a = fastnn.tensor(x, requires_grad=True)
    fastnn.erf(a).sum().backward()
    t = torch.from_numpy(x.copy()).requires_grad_()
    torch.erf(t).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_tanh_and_log_softmax_at_the_top_level_and_as_methods(torch):
    x = data((3, 4))
    for call in (lambda lib, t: lib.tanh(t), lambda lib, t: t.tanh(),
                 lambda lib, t: lib.log_softmax(t, 1), lambda lib, t: t.log_softmax(-1),
                 lambda lib, t: lib.tanh(t.long())):
        same_call(call, x, **TOL32)


# ------------------------------------------------------------------ amax, amin

def _dims(ndim):
    yield from ((), None)
    for d in range(-ndim, ndim):
        yield d
    for pair in itertools.combinations(range(ndim), 2):
        yield pair


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_amax_amin_sweep_as_torch(torch, dtype):
    for shape in [(5,), (3, 4), (2, 3, 4), (3, 0, 2), ()]:
        x = data(shape, np.float32) > 0 if dtype == np.bool_ else data(shape, dtype)
        for dim in _dims(len(shape)):
            for keepdim in (False, True):
                for name in ("amax", "amin"):
                    same_call(lambda lib, t: getattr(t, name)(dim, keepdim), x)
                    same_call(lambda lib, t: getattr(lib, name)(t, dim=dim, keepdim=keepdim),
                              x)


def test_amax_amin_propagate_nan_and_write_out(torch):
    x = np.array([[1.0, np.nan, 3.0], [2.0, 0.0, -1.0]], np.float32)
    for name in ("amax", "amin"):
        for dim in ((), 0, 1):
            same_call(lambda lib, t: getattr(lib, name)(t, dim), x)
    out = np.empty(2, np.float32)
    assert fastnn.amax(fastnn.from_numpy(x), 1, out=out) is out
    assert np.isnan(out[0]) and out[1] == 2.0


AMAX_ERRORS = [
    lambda lib, t: t.amax((0, 0)), lambda lib, t: t.amax(1.0), lambda lib, t: t.amax(2),
    lambda lib, t: t[:0].amax(), lambda lib, t: t[:0].amin(0), lambda lib, t: t.amin(1, 1),
    lambda lib, t: t.amax([0, 1.5]),
]


@pytest.mark.parametrize("call", AMAX_ERRORS)
def test_amax_amin_errors_as_torch(torch, call):
    same_call(call, data((3, 4)))


# ------------------------------------------------------------------ norm

ORDERS = [None, "fro", 2, 1, 0, 3, 0.5, -1, -2.5, float("inf"), float("-inf")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm_sweep_as_torch(torch, dtype):
    for shape in [(5,), (3, 4), (2, 3, 4), ()]:
        x = data(shape, dtype)
        x.flat[::3] = 0
        dims = [None, *range(-len(shape), len(shape))] + list(
            itertools.combinations(range(len(shape)), 2))
        for p, dim, keepdim in itertools.product(ORDERS, dims, (False, True)):
            same_call(lambda lib, t: t.norm(p, dim, keepdim), x, **tol(dtype))
            same_call(lambda lib, t: lib.norm(t, p=p, dim=dim, keepdim=keepdim), x,
                      **tol(dtype))
        if len(shape) >= 2:
            for dim in (None, (0, 1), (-1, 0)):
                if dim is None and len(shape) > 2:
                    continue
                same_call(lambda lib, t: t.norm("nuc", dim), x, rtol=1e-4, atol=1e-5)
                same_call(lambda lib, t: t.norm("nuc", dim, True), x, rtol=1e-4, atol=1e-5)


def test_norm_of_empty_complex_nan_and_dtype_as_torch(torch):
    for shape, p, dim in [((0,), 2, None), ((0,), 1, None), ((0, 3), float("inf"), 1),
                          ((0, 3), -1, 1), ((0, 3), 0, 0)]:
        same_call(lambda lib, t: t.norm(p, dim), np.zeros(shape, np.float32))
    same_call(lambda lib, t: t.norm(), np.array([3 + 4j, 1j], np.complex64), **TOL32)
    for p in (2, float("inf"), 1):
        same_call(lambda lib, t: t.norm(p), np.array([np.nan, np.inf], np.float32))
    same_call(lambda lib, t: t.norm(dtype=lib.float64), data((3, 4)), **TOL64)
    same_call(lambda lib, t: t.norm(1, (0, 1), dtype=lib.float64), data((3, 4)), **TOL64)
    same_call(lambda lib, t: t.norm(2, dim=[]), data((3, 4)), **TOL32)
    out = np.empty(3, np.float32)
    x = fastnn.from_numpy(data((3, 4)))
    assert fastnn.norm(x, 2, 1, False, out) is out
    np.testing.assert_allclose(out, x.norm(dim=1), **TOL32)


def test_nuclear_norm_of_nonfinite_matrices_as_torch(torch):
    batch = np.stack([np.eye(2), [[1, np.inf], [0, 1]], [[np.nan, 1], [0, 1]]]).astype(
        np.float32)
    same_call(lambda lib, t: t[:2].norm("nuc", (1, 2)), batch)       # inf: NaN
    for x in (batch, batch[2]):
        with pytest.raises(RuntimeError) as want:
            torch.from_numpy(x).norm("nuc", (-2, -1))
        with pytest.raises(RuntimeError) as got:
            fastnn.from_numpy(x).norm("nuc", (-2, -1))
        assert str(got.value) == str(want.value)


NORM_ERRORS = [
    lambda lib, t: t.long().norm(), lambda lib, t: t.bool().norm(1),
    lambda lib, t: t.norm("abc"), lambda lib, t: t[0].norm("nuc"),
    lambda lib, t: t.unsqueeze(0).norm("nuc"), lambda lib, t: t.unsqueeze(0).norm("fro", (0, 1, 2)),
    lambda lib, t: t.norm("fro", (0, 0)), lambda lib, t: t.norm("nuc", (1, 1)),
    lambda lib, t: t.norm(2, 5), lambda lib, t: t.norm(2, (0, 0)),
    lambda lib, t: t.norm([1]), lambda lib, t: t.norm(dtype=lib.int64),
    lambda lib, t: t.double().norm(dtype=lib.float32),
    lambda lib, t: t[:0].norm(float("inf")), lambda lib, t: t[:0].norm(-1),
    lambda lib, t: t[:0].norm(float("-inf"), 0), lambda lib, t: t[:0].norm(-0.5, (0, 1)),
    lambda lib, t: t.norm(2, 1, 1),
]


@pytest.mark.parametrize("call", NORM_ERRORS)
def test_norm_errors_as_torch(torch, call):
    same_call(call, data((3, 4)))


# ------------------------------------------------------------------ allclose, equal

def test_allclose_and_equal_as_torch(torch):
    x = data((3, 4))
    nan = np.array([1.0, np.nan, np.inf, -np.inf], np.float32)
    for call in [lambda lib, a, b: lib.allclose(a, b), lambda lib, a, b: a.allclose(b),
                 lambda lib, a, b: lib.allclose(a, b, rtol=0, atol=0.5),
                 lambda lib, a, b: lib.allclose(a, b, 1e-3, 1e-3, True),
                 lambda lib, a, b: lib.equal(a, b), lambda lib, a, b: a.equal(b),
                 lambda lib, a, b: lib.allclose(a, b[0]), lambda lib, a, b: lib.equal(a, b[0]),
                 lambda lib, a, b: lib.equal(a, b.double()),
                 lambda lib, a, b: lib.equal(a.long(), b.long()),
                 lambda lib, a, b: lib.allclose(a.long(), b.long()),
                 lambda lib, a, b: lib.allclose(a > 0, b > 0)]:
        for a, b in [(x, x), (x, x + 1e-7), (x, x + 0.3), (nan, nan), (x[:0], x[:0])]:
            if b.shape == x[:0].shape and "[0]" in str(call):
                continue
            same_call(call, a, b)


CLOSE_ERRORS = [
    lambda lib, a: lib.allclose(a, a.double()), lambda lib, a: lib.allclose(a.long(), a),
    lambda lib, a: lib.allclose(a, a[:, :2]), lambda lib, a: lib.allclose(a, 1.0),
    lambda lib, a: lib.equal(a, 1.0), lambda lib, a: lib.allclose(a, a, equal_nan=1),
    lambda lib, a: lib.allclose(a, a, rtol="x"), lambda lib, a: lib.allclose(a, a, 1e-5, 1e-8, 1),
    lambda lib, a: lib.allclose(a, a, "x"), lambda lib, a: a.allclose(a, "x"),
    lambda lib, a: a.allclose(a, atol=None), lambda lib, a: a.allclose(a, 0.1, 0.1, True, 1),
]


@pytest.mark.parametrize("call", CLOSE_ERRORS)
def test_allclose_and_equal_errors_as_torch(torch, call):
    same_call(call, data((3, 4)))


# ------------------------------------------------------------------ bmm, einsum

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_bmm_as_torch(torch, dtype):
    for b, n, m, p in [(2, 3, 4, 5), (1, 1, 1, 1), (3, 2, 0, 4), (0, 2, 3, 4)]:
        a, c = data((b, n, m), dtype), data((b, m, p), dtype)
        same_call(lambda lib, x, y: lib.bmm(x, y), a, c, **tol(dtype))
        same_call(lambda lib, x, y: x.bmm(y), a, c, **tol(dtype))
    out = np.empty((2, 3, 5), np.float32)
    x, y = fastnn.randn(2, 3, 4), fastnn.randn(2, 4, 5)
    assert fastnn.bmm(x, y, out=out) is out
    np.testing.assert_allclose(out, x @ y, **TOL32)


BMM_ERRORS = [
    lambda lib, x: lib.bmm(x[0], x), lambda lib, x: lib.bmm(x, x[0]),
    lambda lib, x: lib.bmm(x, x), lambda lib, x: lib.bmm(x, x.transpose(1, 2)[:1]),
    lambda lib, x: lib.bmm(x, x.transpose(1, 2).double()),
]


@pytest.mark.parametrize("call", BMM_ERRORS)
def test_bmm_errors_as_torch(torch, call):
    same_call(call, data((2, 3, 4)))


EQUATIONS = [("ij,jk->ik", (2, 3), (3, 4)), ("ij,jk", (2, 3), (3, 4)),
             ("...j,jk->...k", (5, 2, 3), (3, 4)), (" i j , j k -> i k ", (2, 3), (3, 4)),
             ("bij,bjk->bik", (2, 3, 4), (2, 4, 5)), ("ii", (3, 3)), ("ii->i", (3, 3)),
             ("ij->", (2, 3)), ("iJ->Ji", (2, 3)), ("ij,ij->ij", (2, 1), (2, 3)),
             ("i,j->ij", (3,), (4,)), ("bi,bi->b", (4, 3), (4, 3)), ("ij->ji", (2, 3)),
             ("i...->...", (2, 3, 4)), ("ab,bc,cd->ad", (2, 3), (3, 4), (4, 2)),
             ("i,i", (0,), (0,))]


@pytest.mark.parametrize("case", EQUATIONS, ids=lambda case: case[0])
def test_einsum_as_torch(torch, case):
    equation, *shapes = case
    arrays = [data(s) for s in shapes]
    same_call(lambda lib, *ts: lib.einsum(equation, *ts), *arrays, **TOL32)
    same_call(lambda lib, *ts: lib.einsum(equation, list(ts)), *arrays, **TOL32)


EINSUM_ERRORS = [("ij,jk->ik", (2, 3)), ("ij->ij", (2, 3), (3, 4)), ("i1,jk->ik", (2, 3), (3, 4)),
                 ("ijk,jk->ik", (2, 3), (3, 4)), ("ij,ik->jk", (2, 3), (3, 4)),
                 ("ij,jk->ii", (2, 3), (3, 4)), ("ij,jk->iz", (2, 3), (3, 4)),
                 ("ij->j->i", (2, 3)), ("", (2, 3)), ("......", (2, 3)),
                 ("i.j", (2, 3)), ("ij->..", (2, 3)), ("...ijk->", (2, 3)),
                 ("ij->i...j.", (2, 3))]


@pytest.mark.parametrize("case", EINSUM_ERRORS, ids=lambda case: case[0])
def test_einsum_errors_as_torch(torch, case):
    equation, *shapes = case
    same_call(lambda lib, *ts: lib.einsum(equation, *ts), *[data(s) for s in shapes])


def test_einsum_argument_errors_as_torch(torch):
    x = data((2, 3))
    same_call(lambda lib, t: lib.einsum("ij", t.double(), t), x)
    same_call(lambda lib, t: lib.einsum(1, t), x)
    same_call(lambda lib, t: lib.einsum("ij"), x)


# ------------------------------------------------------------------ one_hot, normalize

def test_one_hot_as_torch(torch):
    rng = np.random.default_rng(5)
    for shape in [(4,), (2, 3), (), (0,), (0, 2)]:
        index = rng.integers(0, 5, shape)
        for classes in (-1, 5, 7):
            same_call(lambda lib, i: lib.nn.functional.one_hot(i, classes), index)
    for call in [lambda lib, i: lib.nn.functional.one_hot(i, 2),
                 lambda lib, i: lib.nn.functional.one_hot(i - 5),
                 lambda lib, i: lib.nn.functional.one_hot(i.float()),
                 lambda lib, i: lib.nn.functional.one_hot(i.int()),
                 lambda lib, i: lib.nn.functional.one_hot(i[:0]),
                 lambda lib, i: lib.nn.functional.one_hot(i, -2),
                 lambda lib, i: lib.nn.functional.one_hot(i, 0),
                 lambda lib, i: lib.nn.functional.one_hot(i, 3.0)]:
        same_call(call, np.array([0, 2, 1]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_as_torch(torch, dtype):
    for shape in [(3, 4), (2, 3, 4), (5,)]:
        x = data(shape, dtype)
        x[..., 0] = 0
        for p, dim, eps in [(2.0, 1, 1e-12), (1, 0, 1e-12), (float("inf"), -1, 1e-12),
                            (3, (0, -1), 0.5), ("fro", 0, 1e-12), (0.5, -1, 10.0)]:
            if len(shape) == 1 and dim not in (0, -1):
                dim = 0
            same_call(lambda lib, t: lib.nn.functional.normalize(t, p, dim, eps), x,
                      **tol(dtype))
    same_call(lambda lib, t: lib.nn.functional.normalize(t), np.zeros((2, 3), dtype))
    for call in [lambda lib, t: lib.nn.functional.normalize(t.long()),
                 lambda lib, t: lib.nn.functional.normalize(t[0]),
                 lambda lib, t: lib.nn.functional.normalize(t, p=[1])]:
        same_call(call, data((3, 4), dtype))
    out = np.empty((3, 4), dtype)
    x = fastnn.from_numpy(data((3, 4), dtype))
    assert F.normalize(x, out=out) is out
    np.testing.assert_allclose(out, F.normalize(x), **tol(dtype))


# ------------------------------------------------------------------ factories

@pytest.mark.parametrize("dtype", [None, np.float32, np.float64])
def test_linspace_as_torch(torch, dtype):
    rng = np.random.default_rng(6)
    for _ in range(20):
        start, end = rng.standard_normal(2) * 10
        steps = int(rng.integers(0, 60))
        got = fastnn.linspace(start, end, steps, dtype=dtype)
        want = torch.linspace(start, end, steps, dtype=None if dtype is None else
                              getattr(torch, np.dtype(dtype).name))
        assert got.dtype == want.numpy().dtype and got.shape == tuple(want.shape)
        # torch computes blocks of SIMD-width lanes from the block's first value: values
        # agree to a few ulps of the bounds, not bit for bit
        scale = max(abs(start), abs(end))
        np.testing.assert_allclose(got, want.numpy(), rtol=0,
                                   atol=8 * scale * np.finfo(got.dtype).eps)


def test_linspace_integers_edges_and_errors_as_torch(torch):
    for start, end, steps, dtype in [(0, 10, 4, "int64"), (10, -3, 6, "int64"),
                                     (-7, 10, 3, "int32"), (0, 255, 3, "uint8")]:
        same_call(lambda lib: lib.linspace(start, end, steps, dtype=getattr(lib, dtype)))
    for call in [lambda lib: lib.linspace(0, 1, 0), lambda lib: lib.linspace(3, 1, 1),
                 lambda lib: lib.linspace(0, 10, 5),
                 lambda lib: lib.linspace(lib.tensor(0.0), lib.tensor(1.0), 3),
                 lambda lib: lib.linspace(0, 1, -1),
                 lambda lib: lib.linspace(0, 1, 3, dtype=lib.bool)]:
        same_call(call, **TOL32)
    for call in [lambda lib: lib.linspace(0, 1, 2.0), lambda lib: lib.linspace("a", 1, 3)]:
        with pytest.raises(TypeError) as want:
            call(torch)
        with pytest.raises(TypeError) as got:
            call(fastnn)
        assert str(got.value).split("\n")[:2] == str(want.value).split("\n")[:2]


def test_eye_as_torch(torch):
    for args, kwargs in [((3,), {}), ((2, 3), {"dtype": "int64"}), ((0,), {}),
                         ((2,), {"dtype": "bool"}), ((3, 1), {"dtype": "float64"})]:
        same_call(lambda lib: lib.eye(*args, **{k: getattr(lib, v)
                                                for k, v in kwargs.items()}))
    for call in [lambda lib: lib.eye(-1), lambda lib: lib.eye(2, -1),
                 lambda lib: lib.eye(2.0), lambda lib: lib.eye(2, None)]:
        with pytest.raises(Exception) as want:
            call(torch)
        with pytest.raises(type(want.value)) as got:
            call(fastnn)
        assert str(got.value).split("\n")[0] == str(want.value).split("\n")[0]


def test_randint_is_torchs_sampler_at_the_top_level(torch):
    fastnn.manual_seed(3)
    torch.manual_seed(3)
    np.testing.assert_array_equal(fastnn.randint(-2, 9, (3, 4)),
                                  torch.randint(-2, 9, (3, 4)).numpy())
    gen, tgen = fastnn.Generator().manual_seed(4), torch.Generator().manual_seed(4)
    np.testing.assert_array_equal(fastnn.randint(5, (6,), generator=gen, dtype=fastnn.int32),
                                  torch.randint(5, (6,), generator=tgen,
                                                dtype=torch.int32).numpy())


# ------------------------------------------------------------------ the door

def test_each_function_records_its_op():
    x = fastnn.randn(3, 4)
    calls = [(lambda: x.rsqrt(), "rsqrt"), (lambda: fastnn.log(x), "log"),
             (lambda: x.sqrt(), "sqrt"), (lambda: fastnn.isnan(x), "isnan"),
             (lambda: x.isinf(), "isinf"), (lambda: x.isfinite(), "isfinite"),
             (lambda: fastnn.amax(x, 1), "amax"), (lambda: x.amin(), "amin"),
             (lambda: x.norm(), "norm"), (lambda: fastnn.allclose(x, x), "allclose"),
             (lambda: x.equal(x), "tensor_equal"),
             (lambda: fastnn.bmm(x[None], x.t()[None]), "bmm"),
             (lambda: fastnn.einsum("ij->", x), "einsum"),
             (lambda: F.one_hot(fastnn.tensor([1, 0])), "one_hot"),
             (lambda: F.normalize(x), "normalize")]
    for call, op in calls:
        with ops.record() as recorded:
            call()
        assert op in [c.op for c in recorded], op


# ------------------------------------------------------------------ flip

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_flip_as_torch(torch, dtype):
    """Every subset of dims (negative too), method and function forms, fliplr/flipud, a 0-d
    and an empty tensor, and torch's errors; a copy, not a view, as torch's."""
    x = (data((2, 3, 4)) > 0) if dtype == np.bool_ else data((2, 3, 4), dtype)
    for r in range(4):
        for dims in itertools.combinations(range(-3, 3), r):
            same_call(lambda lib, t: lib.flip(t, dims), x)
            same_call(lambda lib, t: t.flip(*dims), x)
            same_call(lambda lib, t: t.flip(list(dims)), x)
    for name in ("fliplr", "flipud"):
        same_call(lambda lib, t: getattr(lib, name)(t), x)
        same_call(lambda lib, t: getattr(t[0], name)(), x)
        same_call(lambda lib, t: getattr(lib, name)(t[0, 0, 0]), x)     # too few dims
    same_call(lambda lib, t: lib.flip(t[0, 0, 0], (0,)), x)
    same_call(lambda lib, t: lib.flip(t[:, :0], (1,)), x)
    same_call(lambda lib, t: lib.flip(t, 0), x)                # torch: dims must be a tuple
    same_call(lambda lib, t: lib.flip(t, (0, -3)), x)
    same_call(lambda lib, t: lib.flip(t, (3,)), x)
    flipped = fastnn.flip(x, (0,))
    assert not np.shares_memory(flipped, x)


def test_flip_gradient_as_torch(torch):
    x = data((2, 3, 4), np.float64)
    w = data((2, 3, 4), np.float64)
    a = fastnn.tensor(x, requires_grad=True)
    (fastnn.flip(a, (0, 2)) * fastnn.tensor(w)).sum().backward()
    t = torch.from_numpy(x.copy()).requires_grad_()
    (torch.flip(t, (0, 2)) * torch.from_numpy(w)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), t.grad.numpy())
    np.testing.assert_array_equal(np.asarray(fastnn.flip(x, (0, 2))), x[::-1, :, ::-1])


# ------------------------------------------------------------------ cumsum

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8,
                                   np.bool_])
def test_cumsum_as_torch(torch, dtype):
    """Every dim, the dtype keyword, 0-d and empty tensors, non-finite values, `out=` and
    torch's errors (the method keeps numpy's meaning)."""
    x = (data((2, 3, 4)) > 0) if dtype == np.bool_ else data((2, 3, 4), dtype)
    tolerance = tol(dtype if np.dtype(dtype).kind == "f" else np.float32)
    for dim in range(-4, 4):
        same_call(lambda lib, t: lib.cumsum(t, dim), x, **tolerance)
    for dtype_kw in ("float64", "int64", "int8"):
        same_call(lambda lib, t: lib.cumsum(t, 1, dtype=getattr(lib, dtype_kw)), x,
                  **tolerance)
    same_call(lambda lib, t: lib.cumsum(t[0, 0, 0], 0), x)
    same_call(lambda lib, t: lib.cumsum(t[:, :0], 1), x)
    with np.errstate(invalid="ignore"):
        special = SPECIAL.astype(np.float32)
    same_call(lambda lib, t: lib.cumsum(t, 0), special)
    same_call(lambda lib, t: lib.cumsum(t, 0, out=lib.empty(10)), special)


def test_cumsum_gradient_as_torch(torch):
    x = data((3, 4), np.float64)
    w = data((3, 4), np.float64)
    for dim in (0, 1, -1):
        a = fastnn.tensor(x, requires_grad=True)
        (fastnn.cumsum(a, dim) * fastnn.tensor(w)).sum().backward()
        t = torch.from_numpy(x.copy()).requires_grad_()
        (torch.cumsum(t, dim) * torch.from_numpy(w)).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(fastnn.cumsum(x, 1)), np.cumsum(x, 1), rtol=1e-12)
