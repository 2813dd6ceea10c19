"""Gradients of the activations, the softmax family, prelu, clamp, where and masked_fill
against torch's: seeded random inputs with values placed exactly at every kink, the
in-place forms, NaN and +-inf; float64 within 1e-10, float32 within 1e-4. A NaN is put
first: torch's vectorised loop and its scalar tail disagree at NaN for some ops (hardtanh,
elu, hardswish), and fastnn follows the vectorised loop that almost every element takes.
"""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from gradcheck import compare_with_torch, numerical_check
from torch_compare import raises_like

KINKS = [np.nan, -np.inf, np.inf, -6.0, -3.0, -1.0, -0.5, -0.0, 0.0, 0.1, 0.5, 0.7, 1.0,
         2.5, 3.0, 6.0, 20.0]


def _inputs(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([KINKS, rng.standard_normal(47) * 4]).astype(dtype).reshape(8, 8)


# (name, fastnn call, torch call): each applies the op to x with these arguments
def _op(name, **kwargs):
    return (f"{name}{kwargs or ''}", lambda lib, x: getattr(_functional(lib), name)(x, **kwargs))


def _functional(lib):
    return F if lib is fastnn else lib.nn.functional


OPS = [
    _op("relu"), _op("relu6"), _op("hardtanh", min_val=-0.5, max_val=0.7),
    _op("leaky_relu", negative_slope=0.2), _op("leaky_relu", negative_slope=-0.3),
    _op("elu", alpha=0.5), _op("elu", alpha=-1.5), _op("selu"), _op("celu", alpha=0.7),
    _op("gelu"), _op("gelu", approximate="tanh"), _op("silu"), _op("sigmoid"),
    _op("tanh"), _op("hardswish"), _op("hardsigmoid"), _op("mish"),
    _op("softplus", beta=2.0, threshold=5.0), _op("softplus"), _op("softsign"),
    _op("logsigmoid"), _op("tanhshrink"), _op("threshold", threshold=0.1, value=-2.0),
    _op("threshold", threshold=-1.0, value=20.0),
]

# (name, arguments) of the in-place forms: the op writes into x * 1
INPLACE = [("relu", {}), ("relu6", {}), ("hardtanh", dict(min_val=-0.5, max_val=0.7)),
           ("leaky_relu", dict(negative_slope=0.2)), ("elu", dict(alpha=0.5)), ("selu", {}),
           ("celu", dict(alpha=0.7)), ("silu", {}), ("hardswish", {}), ("hardsigmoid", {}),
           ("mish", {}), ("threshold", dict(threshold=0.1, value=-2.0))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, call", OPS, ids=[name for name, _ in OPS])
def test_activation_gradients_match_torch(name, call, dtype, torch):
    assert compare_with_torch(call, [_inputs(dtype)], torch) == 1


@pytest.mark.parametrize("name, kwargs", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_gradients_match_torch(name, kwargs, torch):
    def call(lib, x):
        y = x * 1
        result = getattr(_functional(lib), name)(y, inplace=True, **kwargs)
        assert result is y
        return result
    assert compare_with_torch(call, [_inputs(np.float64)], torch) == 1


@pytest.mark.parametrize("name, fn_args", [("leaky_relu", (-0.3,)), ("elu", (-1.5,)),
                                           ("celu", (-1.5,))])
def test_inplace_backward_refuses_a_negative_slope_as_torch(name, fn_args, torch):
    def run(lib):
        x = lib.tensor(_inputs(np.float64)).requires_grad_()
        getattr(_functional(lib), name)(x * 1, *fn_args, inplace=True).sum().backward()
    raises_like(lambda: run(torch), lambda: run(fastnn))


def test_inplace_keeps_the_input_only_when_recorded():
    x = fastnn.tensor(_inputs(np.float64))
    assert F.silu(x, inplace=True) is x                 # nothing requires grad: no copy
    leaf = fastnn.tensor(_inputs(np.float64)).requires_grad_()
    with fastnn.no_grad():
        y = leaf * 1
    y2 = leaf * 1
    F.silu(y, inplace=True)
    assert y.grad_fn is None
    F.silu(y2, inplace=True)
    assert y2.grad_fn is not None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape, dim", [((3, 7), 1), ((3, 7), 0), ((2, 5, 3, 2), 1),
                                        ((4,), 0), ((), 0)])
def test_softmax_family_gradients_match_torch(op, shape, dim, dtype, torch):
    x = np.random.default_rng(len(shape) + dim).standard_normal(shape).astype(dtype) * 3

    def call(lib, t):
        return getattr(_functional(lib), op)(t, dim)
    assert compare_with_torch(call, [x], torch) == 1


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
def test_softmax_dtype_argument_gives_the_input_dtype_gradient(op, torch):
    x = np.random.default_rng(1).standard_normal((3, 4, 5)).astype(np.float32)

    def call(lib, t):
        dtype = np.float64 if lib is fastnn else lib.float64
        return getattr(_functional(lib), op)(t, 1, dtype=dtype)
    assert compare_with_torch(call, [x], torch) == 1


def test_softmax_gradient_of_non_finite_rows(torch):
    x = np.array([[0.0, np.inf, 1.0], [np.nan, 0.0, 1.0], [-np.inf, 0.0, 1.0],
                  [-np.inf, -np.inf, -np.inf]])
    for op in ("softmax", "log_softmax"):
        def call(lib, t, op=op):
            return getattr(_functional(lib), op)(t, 1)
        compare_with_torch(call, [x], torch)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape", [((2, 3, 4, 2), (3,)), ((5, 2), (1,)),
                                              ((5,), (1,)), ((3, 4), (4,)), ((), ())])
def test_prelu_gradients_match_torch(x_shape, w_shape, dtype, torch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(x_shape).astype(dtype)
    x.reshape(-1)[:1] = 0.0                                         # the kink
    w = rng.standard_normal(w_shape).astype(dtype)

    def call(lib, a, b):
        return _functional(lib).prelu(a, b)
    assert compare_with_torch(call, [x, w], torch) == 2


def test_prelu_weight_alone_needs_no_input_gradient(torch):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 4)), rng.standard_normal(3)

    def call(lib, a, b):
        return _functional(lib).prelu(a, b)
    assert compare_with_torch(call, [x, w], torch, grad_mask=[False, True]) == 1


# ---------------------------------------------------------------- clamp, where, masked_fill

def test_clamp_gradients_at_the_bounds_match_torch(torch):
    x = np.array([[-2.0, -1.0, 0.0, 1.0, 2.0, np.nan, 0.5, 0.5, 1.0, -1.0]] * 2)
    low = np.array([-1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.7, 1.0, -1.0])
    high = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.7, 1.0, -1.0])
    for bounds, mask in (((-1.0, 1.0), [True]), ((None, 0.5), [True]),
                         ((0.0, None), [True])):
        def call(lib, t, bounds=bounds):
            return lib.clamp(t, *bounds)
        assert compare_with_torch(call, [x], torch, grad_mask=mask) == 1
    for arrays in ((x, low, high), (x, low, None), (x, None, high)):
        def call(lib, t, lo, hi):
            return lib.clamp(t, lo, hi)
        assert compare_with_torch(call, list(arrays), torch) == sum(
            a is not None for a in arrays)


def test_clamp_of_a_float32_tensor_with_float64_bounds(torch):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    low, high = -np.abs(rng.standard_normal(4)), np.abs(rng.standard_normal((3, 1)))

    def call(lib, t, lo, hi):
        return lib.clamp(t, lo, hi)
    assert compare_with_torch(call, [x, low, high], torch, rtol=1e-6) == 3


def test_where_sends_the_gradient_to_the_chosen_side(torch):
    rng = np.random.default_rng(5)
    condition = rng.random((3, 4)) > 0.5
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4,)).astype(np.float32)

    def call(lib, x, y):
        return lib.where(lib.tensor(condition) if lib is fastnn else lib.from_numpy(condition),
                         x, y)
    assert compare_with_torch(call, [a, b], torch) == 2


@pytest.mark.parametrize("inplace", [False, True])
def test_masked_fill_gradient_reaches_the_input_and_a_value_tensor(inplace, torch):
    rng = np.random.default_rng(6)
    mask = rng.random((3, 4)) > 0.5
    x, value = rng.standard_normal((3, 4)), np.array(2.5)

    def call(lib, t, v):
        m = lib.tensor(mask) if lib is fastnn else lib.from_numpy(mask)
        if inplace:
            return (t * 1).masked_fill_(m, v)
        return t.masked_fill(m, v)
    assert compare_with_torch(call, [x, value], torch) == 2


def test_masked_fill_broadcast_input(torch):
    rng = np.random.default_rng(7)
    mask = rng.random((3, 4)) > 0.5

    def call(lib, t):
        m = lib.tensor(mask) if lib is fastnn else lib.from_numpy(mask)
        return t.masked_fill(m, -1.0)
    assert compare_with_torch(call, [rng.standard_normal(4)], torch) == 1


# ---------------------------------------------------------------- torch-free

@pytest.mark.parametrize("name, call", [
    _op("gelu"), _op("mish"), _op("elu", alpha=0.5), _op("softplus", beta=2.0),
    _op("logsigmoid"), _op("softsign"), _op("tanhshrink"), _op("silu"),
    ("softmax", lambda lib, x: F.softmax(x, 1)),
    ("log_softmax", lambda lib, x: F.log_softmax(x, 0)),
    ("softmin", lambda lib, x: F.softmin(x, 1))], ids=lambda v: v if isinstance(v, str) else "")
def test_gradients_match_central_differences(name, call):
    x = np.random.default_rng(8).standard_normal((3, 4)) * 2     # no kink within eps
    assert numerical_check(call, [x]) == 1
