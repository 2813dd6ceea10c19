"""The in-place element-wise methods (``x.sin_()``, ...) and torch's top-level in-place
functions (``fastnn.sin_(x)``, ``clamp_min_``, ``fill_``, ...), and torch's top-level
forms of F's ops (``fastnn.conv2d``, ``max_pool1d``, ``batch_norm``, ``dropout``, ...):
against torch (values, dtypes, torch's whole error messages, gradients in float64), and
torch-free, against the out-of-place forms."""
import numpy as np
import pytest

import fastnn
from fastnn._in_place_methods import UNARY_IN_PLACE
from torch_compare import raises_like, same_call

RNG = np.random.default_rng(1)
DOMAIN = {"acosh": (1.5, 3.0), "arccosh": (1.5, 3.0), "log1p": (0.1, 2.0), "log2": (0.1, 2.0),
          "log10": (0.1, 2.0), "reciprocal": (0.5, 2.0)}


def values(name, shape, dtype):
    low, high = DOMAIN.get(name, (-0.9, 0.9))
    return RNG.uniform(low, high, shape).astype(dtype)


@pytest.mark.parametrize("name", UNARY_IN_PLACE)
def test_unary_in_place_as_torch(name):
    for dtype in (np.float32, np.float64):
        for shape in [(3, 4), (), (0, 2)]:
            a = values(name, shape, dtype)
            tol = dict(rtol=1e-6, atol=1e-6)
            got = same_call(lambda lib, x: (getattr(x, f"{name}_")(), x), a, **tol)
            assert got[0][0] is got[0][1]
            got = same_call(lambda lib, x: (getattr(lib, f"{name}_")(x), x), a, **tol)
            assert got[0][0] is got[0][1]
    # an integer tensor cannot hold a float result; rounding keeps it
    same_call(lambda lib, x: getattr(x, f"{name}_")(), np.arange(3, dtype=np.int64))
    raises_like(lambda: __import__("torch").sin_(2), lambda: getattr(fastnn, f"{name}_")(2),
                "must be Tensor, not int")


def test_unary_in_place_gradients_as_torch(torch):
    data = RNG.uniform(0.2, 0.8, (3, 4))
    # torch has no backward for atanh_ and asinh_ (fastnn's is their ops'): not compared
    for name in ("sin", "cos", "square", "reciprocal", "expm1", "log2", "exp2", "erf",
                 "frac", "deg2rad"):
        x = fastnn.tensor(data, requires_grad=True)
        t = torch.from_numpy(data.copy()).requires_grad_()
        (getattr(x * 1, f"{name}_")() * fastnn.tensor(data)).sum().backward()
        (getattr(t * 1, f"{name}_")() * torch.from_numpy(data)).sum().backward()
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)
        raises_like(lambda: getattr(torch.ones(2, requires_grad=True), f"{name}_")(),
                    lambda: getattr(fastnn.ones(2, requires_grad=True), f"{name}_")())


def test_other_in_place_functions_as_torch():
    a = RNG.standard_normal((3, 4)) * 3
    b = np.array([[np.nan, np.inf, -np.inf, 0.26]], np.float32)
    calls = [lambda lib, x: lib.round_(x), lambda lib, x: lib.round_(x, decimals=1),
             lambda lib, x: x.round_(decimals=-1), lambda lib, x: lib.nan_to_num_(x),
             lambda lib, x: lib.nan_to_num_(x, 1.0, 2.0, -2.0),
             lambda lib, x: x.nan_to_num_(posinf=5.0), lambda lib, x: lib.clamp_min_(x, 0.5),
             lambda lib, x: lib.clamp_max_(x, 0.5), lambda lib, x: lib.clip_(x, -1, 1),
             lambda lib, x: lib.clip_(x, max=1), lambda lib, x: lib.neg_(x),
             lambda lib, x: lib.negative_(x), lambda lib, x: lib.zero_(x),
             lambda lib, x: lib.fill_(x, 2.5), lambda lib, x: lib.xlogy_(x.abs_(), 3.0),
             lambda lib, x: lib.logit_(x.sigmoid_(), 0.1),
             lambda lib, x: lib.dropout_(x, 0.0, True), lambda lib, x: lib.dropout_(x, 0.5, False)]
    for call in calls:
        for arr in (a, b):
            same_call(lambda lib, x: (call(lib, x), x), arr, rtol=1e-6, atol=1e-6)
    same_call(lambda lib, x: lib.dropout_(x, 0.5, 1), a)
    same_call(lambda lib, x: lib.clamp_min_(x, 0.5), np.arange(4))
    same_call(lambda lib, x: lib.round_(x), np.arange(4))
    same_call(lambda lib, x: lib.fill_(x, 1.5), np.arange(4))
    same_call(lambda lib, x: lib.detach_(x), a)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_functional_aliases_as_torch(torch):
    x3, x4, x5 = (RNG.standard_normal(s) for s in [(2, 4, 9), (2, 4, 7, 6), (1, 2, 5, 6, 4)])
    w1, w2, w3 = (RNG.standard_normal(s) for s in [(3, 4, 3), (3, 4, 3, 2), (2, 2, 2, 3, 2)])
    tol = dict(rtol=1e-10, atol=1e-10)
    for name, data, weight in [("conv1d", x3, w1), ("conv2d", x4, w2), ("conv3d", x5, w3)]:
        same_call(lambda lib, x, w: getattr(lib, name)(x, w), data, weight, **tol)
        same_call(lambda lib, x, w: getattr(lib, name)(x, w, None, 2, 1, 1, 1), data, weight,
                  **tol)
        same_call(lambda lib, x, w: getattr(lib, name)(x, w, padding="same"), data, weight,
                  **tol)
    for name, data, weight in [("conv_transpose1d", x3, w1.transpose(1, 0, 2)),
                               ("conv_transpose2d", x4, w2.transpose(1, 0, 2, 3)),
                               ("conv_transpose3d", x5, w3.transpose(1, 0, 2, 3, 4))]:
        same_call(lambda lib, x, w: getattr(lib, name)(x, w), data, weight, **tol)
        same_call(lambda lib, x, w: getattr(lib, name)(x, w, None, 2, 1, 1), data, weight,
                  **tol)
    for name, data in [("max_pool1d", x3), ("max_pool2d", x4), ("max_pool3d", x5)]:
        for args in [(2,), (2, ()), (2, 1, 1), (3, 2, 1, 1, True), (2, [])]:
            same_call(lambda lib, x: getattr(lib, name)(x, *args), data)
        same_call(lambda lib, x: getattr(lib, name)(x, 2, "a"), data)
    for args in [(2,), (3, (), 1), (3, 2, 1, True, False)]:
        same_call(lambda lib, x: lib.avg_pool1d(x, *args), x3, **tol)
    same_call(lambda lib, x: lib.adaptive_avg_pool1d(x, 4), x3, **tol)
    same_call(lambda lib, x: lib.adaptive_max_pool1d(x, 4), x3)
    mean, var, g, b = RNG.standard_normal(4), RNG.uniform(0.5, 2, 4), *RNG.standard_normal((2, 4))
    for training in (False, True):
        same_call(lambda lib, x, m, v, gg, bb: lib.batch_norm(x, gg, bb, m, v, training, 0.1,
                                                              1e-5, False),
                  x4, mean, var, g, b, **tol)
    same_call(lambda lib, x: lib.batch_norm(x, None, None, None, None, 1, 0.1, 1e-5, True), x4)
    same_call(lambda lib, x: lib.dropout(x, 0.5, False), x3)
    same_call(lambda lib, x: lib.dropout(x, 0.0, True), x3)
    same_call(lambda lib, x: lib.dropout(x, 0.5, 1), x3)
    for p in (1.5, -0.1, "a"):
        same_call(lambda lib, x: lib.dropout(x, p, True), x3)
        same_call(lambda lib, x: lib.dropout_(x, p, True), x3)
    table, idx = RNG.standard_normal((5, 3)), np.array([[0, 4], [2, 2]])
    for padding_idx in (-1, 1, -3):
        same_call(lambda lib, w, i: lib.embedding(w, i, padding_idx), table, idx)
    logits, target = RNG.standard_normal((3, 4)), RNG.uniform(0, 1, (3, 4))
    pos = RNG.uniform(0.5, 2, 4)
    for reduction in (0, 1, 2):
        same_call(lambda lib, x, y, p: lib.binary_cross_entropy_with_logits(
            x, y, None, p, reduction), logits, target, pos, **tol)
        same_call(lambda lib, x, y: lib.kl_div(x, y, reduction), logits, target, **tol)
        same_call(lambda lib, x, y: lib.kl_div(x, y, reduction, log_target=True), logits,
                  logits, **tol)
    same_call(lambda lib, x, y: lib.kl_div(x, y, "mean"), logits, target)
    for args in [(), (0,), (-1, 1e-3)]:
        same_call(lambda lib, x, y: lib.cosine_similarity(x, y, *args), logits, target, **tol)
    for args in [(), (1.0,), (3.0, 1e-3, True)]:
        same_call(lambda lib, x, y: lib.pairwise_distance(x, y, *args), logits, target, **tol)
    same_call(lambda lib, x, y: lib.binary_cross_entropy_with_logits(x, y, None, None, "sum"),
              logits, target)


def test_alias_gradients_as_torch(torch):
    data, table = RNG.standard_normal((2, 3, 8)), RNG.standard_normal((5, 3))
    weight = RNG.standard_normal((2, 3, 3))
    grads = []
    for lib in (fastnn, torch):
        x = lib.tensor(data, requires_grad=True)
        w = lib.tensor(weight, requires_grad=True)
        e = lib.tensor(table, requires_grad=True)
        y = lib.conv1d(x, w, None, 1, 1)
        y = lib.max_pool1d(y, 2) + lib.avg_pool1d(y, 2) + lib.adaptive_avg_pool1d(y, 4)
        z = lib.embedding(e, lib.tensor([[0, 1, 1, 4]]), 1)
        (y.sum() * 2 + (y * y).sum() + (z * z).sum()).backward()
        grads.append([np.asarray(v.grad.detach() if lib is torch else v.grad) for v in (x, w, e)])
    for got, want in zip(*grads):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_in_place_against_out_of_place():
    """Torch-free: each in-place form equals its out-of-place method and returns its input."""
    data = RNG.uniform(0.2, 0.8, (3, 4))
    for name in UNARY_IN_PLACE:
        x = fastnn.tensor(data)
        want = getattr(x, name)()
        assert getattr(fastnn, f"{name}_")(x) is x
        np.testing.assert_array_equal(x, want)
    x = fastnn.tensor(data)
    assert fastnn.clamp_min_(x, 0.5) is x and float(x.min()) == 0.5
    assert fastnn.zero_(x) is x and not x.any()
    y = fastnn.tensor(data)
    np.testing.assert_array_equal(fastnn.max_pool1d(y, 2), fastnn.nn.functional.max_pool1d(y, 2))
