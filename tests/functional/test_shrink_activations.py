"""hardshrink, softshrink, glu, rrelu / rrelu_ (functional, module, Tensor method forms)
against torch: values, gradients, argument errors and reprs; rrelu's training draws by
their properties (fastnn's generator, not torch's bit stream); a torch-free reference."""
import math

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from torch_compare import same_call

SPECIALS = [np.nan, -np.inf, np.inf, -0.0, 0.0, -1e-30, 1e-30, -1.0, 1.0, 0.5, -0.5, 0.3,
            -0.3, 1.3, -1.3, 1e38, -1e38]
SHAPES = [(), (0,), (1,), (37,), (2, 3, 4, 5), (3, 0, 2)]
LAMBDS = {
    "hardshrink": [0.5, 0.0, 0.3, 1.3, -1.0, math.inf, math.nan, 1e-3, True, 2],
    "softshrink": [0.5, 0.0, 0.3, 1.3, 1e-3, 3e38, 2],
}
SHRINKS = [(name, lambd) for name, lambds in LAMBDS.items() for lambd in lambds]


def tolerance(dtype):
    return dict(rtol=1e-12, atol=0) if np.dtype(dtype) == np.float64 else dict(rtol=1e-6,
                                                                               atol=0)


def inputs(rng, shape, dtype):
    x = np.array(rng.standard_normal(shape) * 2)
    if x.size:
        flat = x.reshape(-1)
        flat[:min(len(SPECIALS), flat.size)] = SPECIALS[:flat.size]
        rng.shuffle(flat)
    return x.astype(dtype)


def same_values(got, want, tol, zero_signs=True):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, equal_nan=True, **tol)
    zeros = (got == 0) & (want == 0)
    if zero_signs:
        np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]))
    else:
        # softshrink: torch's vectorised loop gives +0 inside the band, its scalar tail
        # x * 0 (a signed zero); fastnn gives +0 everywhere
        assert not np.signbit(got[zeros]).any()


# ---------------------------------------------------------------- hardshrink, softshrink

@pytest.mark.parametrize("name, lambd", SHRINKS, ids=[f"{n}-{v}" for n, v in SHRINKS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shrink_matches_torch(torch, rng, name, lambd, dtype):
    for shape in SHAPES:
        x = inputs(rng, shape, dtype)
        want = getattr(torch.nn.functional, name)(torch.from_numpy(x), lambd).numpy()
        # shrinkage is exact arithmetic in the dtype: the same values as torch's
        signs = name == "hardshrink"
        same_values(getattr(F, name)(x, lambd), want, dict(rtol=0, atol=0), signs)
        same_values(getattr(F, name)(fastnn.from_numpy(x), lambd=lambd), want,
                    dict(rtol=0, atol=0), signs)
    module = getattr(nn, {"hardshrink": "Hardshrink", "softshrink": "Softshrink"}[name])
    x = inputs(rng, (3, 5), dtype)
    same_values(module(lambd)(fastnn.from_numpy(x)),
                getattr(torch.nn, module.__name__)(lambd)(torch.from_numpy(x)).numpy(),
                dict(rtol=0, atol=0), name == "hardshrink")


@pytest.mark.parametrize("name", ["hardshrink", "softshrink"])
def test_shrink_default_and_noncontiguous(torch, rng, name):
    x = inputs(rng, (4, 6, 5), np.float32).transpose(2, 0, 1)[:, ::2]
    want = getattr(torch.nn.functional, name)(torch.from_numpy(x.copy())).numpy()
    same_values(getattr(F, name)(x), want, dict(rtol=0, atol=0), name == "hardshrink")


def test_hardshrink_tensor_method(torch, rng):
    x = inputs(rng, (3, 7), np.float64)
    tx = torch.from_numpy(x)
    for args, kwargs in [((), {}), ((0.3,), {}), ((), {"lambd": 1.1})]:
        same_values(fastnn.from_numpy(x).hardshrink(*args, **kwargs),
                    tx.hardshrink(*args, **kwargs).numpy(), dict(rtol=0, atol=0))
    same_call(lambda lib, t: t.hardshrink("a"), x)
    same_call(lambda lib, t: t.hardshrink(lambd=None), x)
    same_call(lambda lib, t: t.hardshrink(1e40), x.astype(np.float32))


@pytest.mark.parametrize("name, lambd", SHRINKS, ids=[f"{n}-{v}" for n, v in SHRINKS])
def test_shrink_gradient_matches_torch(torch, rng, name, lambd):
    # 64 elements: all in torch's vectorised loop, whose answer fastnn gives (NaN stops
    # the gradient there; its scalar tail lets NaN through)
    x = inputs(rng, (4, 16), np.float64)
    x.reshape(-1)[:4] = [0.5, -0.5, 0.3, -0.3]          # the band's edges
    g = rng.standard_normal(x.shape)
    tx = torch.from_numpy(x).requires_grad_()
    getattr(torch.nn.functional, name)(tx, lambd).backward(torch.from_numpy(g))
    fx = fastnn.from_numpy(x.copy()).requires_grad_()
    getattr(F, name)(fx, lambd).backward(fastnn.from_numpy(g))
    same_values(fx.grad, tx.grad.numpy(), dict(rtol=1e-10, atol=0))


SHRINK_ERRORS = [
    lambda lib, x: lib.nn.functional.hardshrink(x, "a"),
    lambda lib, x: lib.nn.functional.hardshrink(x, lambd="a"),
    lambda lib, x: lib.nn.functional.hardshrink(x, None),
    lambda lib, x: lib.nn.functional.hardshrink(x, 1 + 2j),
    lambda lib, x: lib.nn.functional.hardshrink(x, 1e40),
    lambda lib, x: lib.nn.functional.hardshrink(x, -1e40),
    lambda lib, x: lib.nn.functional.hardshrink(x.long()),
    lambda lib, x: lib.nn.functional.hardshrink(x > 0),
    lambda lib, x: lib.nn.functional.hardshrink(x, 0.5, 1),
    lambda lib, x: lib.nn.functional.softshrink(x, "a"),
    lambda lib, x: lib.nn.functional.softshrink(x, lambd=[1]),
    lambda lib, x: lib.nn.functional.softshrink(x, -1),
    lambda lib, x: lib.nn.functional.softshrink(x, -0.5),
    lambda lib, x: lib.nn.functional.softshrink(x, math.nan),
    lambda lib, x: lib.nn.functional.softshrink(x, math.inf),
    lambda lib, x: lib.nn.functional.softshrink(x, 1e300),
    lambda lib, x: lib.nn.functional.softshrink(x.double(), -1e300),
    lambda lib, x: lib.nn.functional.softshrink(x.double(), -2.5e-7),
    lambda lib, x: lib.nn.functional.softshrink(x.long(), -1),
    lambda lib, x: lib.nn.functional.softshrink(x.long()),
    lambda lib, x: lib.nn.functional.softshrink(x > 0),
    lambda lib, x: lib.nn.functional.softshrink(x, 0.5, 1),
    lambda lib, x: lib.nn.Softshrink(-1)(x),
    lambda lib, x: lib.nn.Hardshrink("x")(x),
]


@pytest.mark.parametrize("call", SHRINK_ERRORS, ids=range(len(SHRINK_ERRORS)))
def test_shrink_errors_match_torch(torch, rng, call):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    assert same_call(call, x) is None


def test_shrink_other_float_widths_refused():
    with pytest.raises(TypeError, match="float16"):
        F.hardshrink(np.ones(3, np.float16))
    with pytest.raises(TypeError, match="float16"):
        F.softshrink(np.ones(3, np.float16))


# ---------------------------------------------------------------- glu

GLU_CASES = [((4,), -1), ((6, 2), 0), ((2, 6), 1), ((2, 3, 4), -1), ((2, 4, 3), 1),
             ((2, 4, 3), -2), ((4, 3, 5), 0), ((2, 3, 2, 5), 2), ((0, 4), 1), ((4, 0), 0),
             ((1, 2), -1)]


@pytest.mark.parametrize("shape, dim", GLU_CASES, ids=[f"{s}-{d}" for s, d in GLU_CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_glu_matches_torch(torch, rng, shape, dim, dtype):
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    want = torch.nn.functional.glu(torch.from_numpy(x), dim).numpy()
    same_values(F.glu(x, dim), want, tolerance(dtype))
    same_values(F.glu(fastnn.from_numpy(x), dim=dim), want, tolerance(dtype))
    same_values(nn.GLU(dim)(fastnn.from_numpy(x)), want, tolerance(dtype))
    if dim == -1:
        same_values(F.glu(x), want, tolerance(dtype))
        same_values(nn.GLU()(x), want, tolerance(dtype))


def test_glu_special_values(torch):
    a = np.array(SPECIALS, np.float64)
    x = np.stack([np.concatenate([a, a[::-1]]), np.concatenate([a[::-1], a])])
    for dtype in (np.float32, np.float64):
        xs = x.astype(dtype)
        same_values(F.glu(xs), torch.nn.functional.glu(torch.from_numpy(xs)).numpy(),
                    tolerance(dtype))


@pytest.mark.parametrize("shape, dim", GLU_CASES, ids=[f"{s}-{d}" for s, d in GLU_CASES])
def test_glu_gradient_matches_torch(torch, rng, shape, dim):
    x = rng.standard_normal(shape) * 3
    out_shape = list(shape)
    out_shape[dim] //= 2
    g = rng.standard_normal(out_shape)
    tx = torch.from_numpy(x).requires_grad_()
    torch.nn.functional.glu(tx, dim).backward(torch.from_numpy(g))
    fx = fastnn.from_numpy(x.copy()).requires_grad_()
    F.glu(fx, dim).backward(fastnn.from_numpy(g))
    np.testing.assert_allclose(fx.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-14)


GLU_ERRORS = [
    lambda lib, x: lib.nn.functional.glu(x, 1),
    lambda lib, x: lib.nn.functional.glu(x, -1),
    lambda lib, x: lib.nn.functional.glu(x, 2),
    lambda lib, x: lib.nn.functional.glu(x, -3),
    lambda lib, x: lib.nn.functional.glu(x, 1.5),
    lambda lib, x: lib.nn.functional.glu(x, "a"),
    lambda lib, x: lib.nn.functional.glu(x, None),
    lambda lib, x: lib.nn.functional.glu(x, True),
    lambda lib, x: lib.nn.functional.glu(x[0, 0]),
    lambda lib, x: lib.nn.functional.glu(x[0, 0], 0),
    lambda lib, x: lib.nn.functional.glu(x[0, :2].long()),
    lambda lib, x: lib.nn.functional.glu(x.long()),
    lambda lib, x: lib.nn.functional.glu(x[:, :2] > 0),
    lambda lib, x: lib.nn.GLU(1)(x),
    lambda lib, x: lib.nn.GLU(5)(x),
]


@pytest.mark.parametrize("call", GLU_ERRORS, ids=range(len(GLU_ERRORS)))
def test_glu_errors_match_torch(torch, rng, call):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    assert same_call(call, x) is None


# ---------------------------------------------------------------- rrelu

RRELU_BOUNDS = [(1.0 / 8, 1.0 / 3), (0.0, 0.0), (0.1, 0.1), (-0.5, 0.2), (-2.0, -1.0),
                (0.3, 1.5), (1, 2)]


@pytest.mark.parametrize("lower, upper", RRELU_BOUNDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rrelu_eval_matches_torch(torch, rng, lower, upper, dtype):
    for shape in SHAPES:
        x = inputs(rng, shape, dtype)
        want = torch.nn.functional.rrelu(torch.from_numpy(x), lower, upper).numpy()
        same_values(F.rrelu(x, lower, upper), want, dict(rtol=0, atol=0))
        same_values(F.rrelu(x, lower=lower, upper=upper, training=False), want,
                    dict(rtol=0, atol=0))
        module = nn.RReLU(lower, upper).eval()
        same_values(module(fastnn.from_numpy(x)), want, dict(rtol=0, atol=0))
        # in place: the input itself, holding the result
        for fn in (lambda t: F.rrelu_(t, lower, upper),
                   lambda t: F.rrelu(t, lower, upper, False, True),
                   lambda t: nn.RReLU(lower, upper, inplace=True).eval()(t)):
            t = fastnn.from_numpy(x.copy())
            assert fn(t) is t
            same_values(t, want, dict(rtol=0, atol=0))


def test_rrelu_defaults_match_torch(torch, rng):
    x = inputs(rng, (5, 7), np.float32)
    same_values(F.rrelu(x), torch.nn.functional.rrelu(torch.from_numpy(x)).numpy(),
                dict(rtol=0, atol=0))
    t = x.copy()
    F.rrelu_(t)
    same_values(t, torch.nn.functional.rrelu(torch.from_numpy(x)).numpy(),
                dict(rtol=0, atol=0))


@pytest.mark.parametrize("lower, upper", RRELU_BOUNDS)
def test_rrelu_eval_gradient_matches_torch(torch, rng, lower, upper):
    x = inputs(rng, (4, 9), np.float64)
    g = rng.standard_normal(x.shape)
    tx = torch.from_numpy(x).requires_grad_()
    torch.nn.functional.rrelu(tx, lower, upper).backward(torch.from_numpy(g))
    fx = fastnn.from_numpy(x.copy()).requires_grad_()
    F.rrelu(fx, lower, upper).backward(fastnn.from_numpy(g))
    same_values(fx.grad, tx.grad.numpy(), dict(rtol=1e-10, atol=0))
    # in place on a non-leaf: from the output, refusing a negative slope as torch does
    tx = torch.from_numpy(x).requires_grad_()
    fx = fastnn.from_numpy(x.copy()).requires_grad_()

    def run(lib, leaf):
        y = leaf * 1
        lib.nn.functional.rrelu_(y, lower, upper)
        y.backward(lib.from_numpy(g))
        return leaf.grad
    same_call(lambda lib, _: run(lib, tx if lib is torch else fx), x, rtol=1e-10, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lower, upper", [(1.0 / 8, 1.0 / 3), (0.0, 1.0), (-0.5, 0.2),
                                          (0.25, 0.25)])
def test_rrelu_training_properties(rng, dtype, lower, upper):
    x = rng.standard_normal((64, 33)).astype(dtype)
    x.reshape(-1)[:4] = [0.0, -0.0, np.nan, np.inf]
    fastnn.manual_seed(7)
    y = np.asarray(F.rrelu(x, lower, upper, training=True))
    assert y.dtype == dtype and y.shape == x.shape
    positive = x > 0
    np.testing.assert_array_equal(y[positive], x[positive])        # unchanged
    assert np.isnan(y.reshape(-1)[2])
    negative = x < 0
    slopes = y[negative] / x[negative]
    t = np.dtype(dtype).type
    assert np.all(slopes >= t(lower) * (1 - 1e-6)) and np.all(slopes <= t(upper) * (1 + 1e-6))
    if lower < upper:
        assert np.all(slopes < t(upper) * (1 + 1e-6))
        assert np.unique(slopes).size > slopes.size // 2              # one slope each
        # roughly uniform over [lower, upper)
        assert abs(slopes.mean() - (lower + upper) / 2) < 0.05 * (upper - lower)
    else:
        np.testing.assert_allclose(slopes, lower, rtol=1e-6)
    # the same seed, the same slopes; the next call draws new ones
    fastnn.manual_seed(7)
    again = F.rrelu(fastnn.from_numpy(x), lower, upper, True)
    np.testing.assert_array_equal(np.asarray(again), y)
    if lower < upper:
        assert not np.array_equal(np.asarray(F.rrelu(x, lower, upper, True)), y,
                                  equal_nan=True)
    # module in training mode, and in place
    fastnn.manual_seed(7)
    np.testing.assert_array_equal(np.asarray(nn.RReLU(lower, upper)(x)), y)
    fastnn.manual_seed(7)
    t = fastnn.from_numpy(x.copy())
    assert F.rrelu_(t, lower, upper, True) is t
    np.testing.assert_array_equal(np.asarray(t), y)


def test_rrelu_training_gradient_is_the_drawn_slope(torch, rng):
    x = rng.standard_normal((6, 11))
    x.reshape(-1)[:3] = [0.0, -0.0, 2.0]
    g = rng.standard_normal(x.shape)
    fx = fastnn.from_numpy(x.copy()).requires_grad_()
    fastnn.manual_seed(3)
    y = F.rrelu(fx, 0.1, 0.6, training=True)
    y.backward(fastnn.from_numpy(g))
    slopes = np.where(x > 0, 1.0, np.asarray(y.detach()) / np.where(x == 0, 1.0, x))
    fastnn.manual_seed(3)
    zero_slopes = np.asarray(F.rrelu(-np.ones_like(x), 0.1, 0.6, True)) * -1
    slopes = np.where(x == 0, zero_slopes, slopes)       # the slope drawn at x = 0 too
    np.testing.assert_allclose(np.asarray(fx.grad), g * slopes, rtol=1e-12)
    # torch's training gradient is its noise too: grad / slope is 1 where x > 0
    tx = torch.from_numpy(x).requires_grad_()
    torch.nn.functional.rrelu(tx, 0.1, 0.6, True).backward(torch.from_numpy(g))
    ratio = tx.grad.numpy() / g
    np.testing.assert_array_equal(ratio[x > 0], 1.0)
    assert np.all((ratio[x <= 0] >= 0.1) & (ratio[x <= 0] < 0.6))


def test_rrelu_training_in_place_gradient(rng):
    x = rng.standard_normal((5, 8))
    leaf = fastnn.from_numpy(x.copy()).requires_grad_()
    fastnn.manual_seed(11)
    y = leaf * 1
    F.rrelu_(y, -0.4, 0.2, True)                  # negative slopes are fine in training
    y.sum().backward()
    fastnn.manual_seed(11)
    want = np.asarray(F.rrelu(fastnn.from_numpy(x), -0.4, 0.2, True))
    np.testing.assert_allclose(np.asarray(leaf.grad) * x, want, rtol=1e-12)


RRELU_ERRORS = [
    lambda lib, x: lib.nn.functional.rrelu(x, 0.3, 0.1),
    lambda lib, x: lib.nn.functional.rrelu(x, 0.3, 0.1, True),
    lambda lib, x: lib.nn.functional.rrelu_(x, 0.3, 0.1),
    lambda lib, x: lib.nn.functional.rrelu(x, "a"),
    lambda lib, x: lib.nn.functional.rrelu(x, 0.1, "b"),
    lambda lib, x: lib.nn.functional.rrelu_(x, "a"),
    lambda lib, x: lib.nn.functional.rrelu_(x, 0.1, None),
    lambda lib, x: lib.nn.functional.rrelu(x, training=1),
    lambda lib, x: lib.nn.functional.rrelu(x, training=None),
    lambda lib, x: lib.nn.functional.rrelu_(x, 0.1, 0.2, 0),
    lambda lib, x: lib.nn.functional.rrelu(x, math.nan, 1.0),
    lambda lib, x: lib.nn.functional.rrelu(x, 0.1, math.nan),
    lambda lib, x: lib.nn.functional.rrelu(x, -math.inf, 1.0),
    lambda lib, x: lib.nn.functional.rrelu(x, 0.1, math.inf, True),
    lambda lib, x: lib.nn.functional.rrelu(x, 1 + 1j),
    lambda lib, x: lib.nn.functional.rrelu(x, 1e300, 1e301),
    lambda lib, x: lib.nn.functional.rrelu(x, 1e300, 1e301, True),
    lambda lib, x: lib.nn.functional.rrelu(x.double(), -1e300, 1e301),
    lambda lib, x: lib.nn.functional.rrelu(x.long()),
    lambda lib, x: lib.nn.functional.rrelu(x.long(), training=True),
    lambda lib, x: lib.nn.functional.rrelu(x.long(), 0.3, 0.1),
    lambda lib, x: lib.nn.functional.rrelu(x > 0),
    lambda lib, x: lib.nn.functional.rrelu_(x.long()),
    lambda lib, x: lib.nn.RReLU(0.3, 0.1)(x),
    lambda lib, x: lib.nn.RReLU(0.3, 0.1).eval()(x),
]


@pytest.mark.parametrize("call", RRELU_ERRORS, ids=range(len(RRELU_ERRORS)))
def test_rrelu_errors_match_torch(torch, rng, call):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    result = same_call(call, x)
    assert result is None or call is RRELU_ERRORS[17]


# ---------------------------------------------------------------- reprs

MODULES = [
    ("Hardshrink", (), {}), ("Hardshrink", (0.3,), {}), ("Hardshrink", (), {"lambd": 2}),
    ("Softshrink", (), {}), ("Softshrink", (1,), {}), ("Softshrink", (-1.0,), {}),
    ("GLU", (), {}), ("GLU", (0,), {}), ("GLU", (), {"dim": -2}),
    ("RReLU", (), {}), ("RReLU", (0.1, 0.2), {}), ("RReLU", (0.1, 0.2, True), {}),
    ("RReLU", (), {"inplace": True}), ("RReLU", (0, 1), {}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES,
                         ids=[f"{n}{a}{k}" for n, a, k in MODULES])
def test_module_repr_and_state_match_torch(torch, name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    assert repr(nn.Sequential(ours)) == repr(torch.nn.Sequential(theirs))


# ---------------------------------------------------------------- torch-free reference

def test_numpy_reference(rng):
    x = inputs(rng, (6, 10), np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        hard = np.where((x >= -0.4) & (x <= 0.4), 0.0, x)
        soft = np.where(x > 0.4, x - 0.4, np.where(x < -0.4, x + 0.4, x * 0 + 0))
        a, b = x[:, :5], x[:, 5:]
        glu = a / (1 + np.exp(-b))
        leaky = np.where(x > 0, x, x * 0.25)
    same_values(F.hardshrink(x, 0.4), hard, dict(rtol=0, atol=0))
    same_values(F.softshrink(x, 0.4), soft, dict(rtol=0, atol=0), False)
    same_values(F.glu(x), glu, dict(rtol=1e-12, atol=0))
    same_values(F.rrelu(x, 0.2, 0.3), leaky, dict(rtol=0, atol=0))
    # gradients: the shrinks pass the gradient outside the closed band
    fx = fastnn.from_numpy(x.copy()).requires_grad_()
    F.softshrink(fx, 0.4).sum().backward()
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(np.asarray(fx.grad),
                                      np.where((x < -0.4) | (x > 0.4), 1.0, 0.0))
    fx = fastnn.from_numpy(x.copy()).requires_grad_()
    F.hardshrink(fx, 0.4).sum().backward()
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(np.asarray(fx.grad),
                                      np.where((x < -0.4) | (x > 0.4), 1.0, 0.0))
    assert repr(nn.RReLU(0.1, 0.2, True)) == "RReLU(lower=0.1, upper=0.2, inplace=True)"
    assert repr(nn.Softshrink()) == "Softshrink(0.5)"
    assert repr(nn.GLU()) == "GLU(dim=-1)"
