"""Activations (functional and modules) against torch, plus numpy-formula checks."""
import math
import re
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from torch_compare import assert_like_torch

SPECIALS = [np.nan, -np.inf, np.inf, -0.0, 0.0, -1.0, 1.0, 7.0, -4.0, 2.5, -2.5, 3.0, -3.0,
            6.0, -1e-30, 30.0, -30.0, 100.0, -100.0]

# (name, kwargs for fastnn and torch, has inplace)
OPS = [
    ("relu", {}, True),
    ("relu6", {}, True),
    ("leaky_relu", {}, True),
    ("leaky_relu", {"negative_slope": 0.2}, True),
    ("leaky_relu", {"negative_slope": -1.5}, True),
    ("elu", {}, True),
    ("elu", {"alpha": 0.5}, True),
    ("gelu", {}, False),
    ("gelu", {"approximate": "tanh"}, False),
    ("silu", {}, True),
    ("sigmoid", {}, False),
    ("tanh", {}, False),
    ("hardswish", {}, True),
    ("hardsigmoid", {}, True),
    ("hardtanh", {}, True),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}, True),
]
OP_IDS = [f"{name}-{kw}" for name, kw, _ in OPS]


def tolerance(dtype, name):
    if dtype == np.float64:
        return dict(rtol=1e-12, atol=1e-14)
    # torch's float32 erf is a vectorised approximation with ~5e-7 absolute error
    return dict(rtol=1e-6, atol=1e-6 if name == "gelu" else 1e-7)


def assert_same(actual, expected, **tol):
    actual = np.asarray(actual)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, equal_nan=True, **tol)
    exact_zero = (expected == 0) & (actual == 0)
    np.testing.assert_array_equal(np.signbit(actual[exact_zero]), np.signbit(expected[exact_zero]))


def torch_op(torch, name, x, **kw):
    return getattr(torch.nn.functional, name)(torch.from_numpy(np.array(x)), **kw).numpy()


@pytest.mark.parametrize("name, kw, _", OPS, ids=OP_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch_on_random_and_special_values(torch, rng, name, kw, _, dtype):
    for shape in [(0,), (1,), (37,), (3, 4, 5), (2, 3, 8, 9)]:
        x = (rng.standard_normal(shape) * 4).astype(dtype)
        out = getattr(F, name)(x, **kw)
        assert isinstance(out, fastnn.Tensor)
        assert_same(out, torch_op(torch, name, x, **kw), **tolerance(dtype, name))
    # specials both at the start and in the vectorised body of a longer array
    x = np.array(SPECIALS * 5, dtype=dtype)
    assert_same(getattr(F, name)(x, **kw), torch_op(torch, name, x, **kw),
                **tolerance(dtype, name))


@pytest.mark.parametrize("quirks", [0, 1, 2])
def test_gelu_kernel_each_quirk_over_both_halves_of_its_chunks(quirks):
    """kernels/elementwise.gelu_erf runs each chunk's two halves side by side: every quirk
    (whichever CPU this runs on) on specials in both halves and an odd count, and random
    values over several chunks, in place and not, against the float64 formula."""
    from fastnn.kernels import elementwise
    from fastnn.kernels.exp32 import CHUNK
    rng = np.random.default_rng(31)
    specials = np.array(SPECIALS * 7 + [0.5], np.float32)
    values = (rng.standard_normal(2 * CHUNK + 3) * 4).astype(np.float32)
    for x in (specials, values):
        wide = x.astype(np.float64)
        with np.errstate(invalid="ignore"):
            expected = 0.5 * wide * (1 + np.vectorize(math.erf)(wide / math.sqrt(2)))
        out = np.full_like(x, 7.0)
        elementwise.gelu_erf(x, out, quirks)
        in_place = x.copy()
        elementwise.gelu_erf(in_place, in_place, quirks)
        np.testing.assert_array_equal(in_place, out)
        finite = np.isfinite(x)
        np.testing.assert_allclose(out[finite], expected[finite], rtol=1e-6, atol=1e-6)
        assert np.isnan(out[np.isnan(x) | (x == -np.inf)]).all()      # -inf * 0, as torch
        assert (np.isnan(out[x == np.inf]) if quirks == 1 else out[x == np.inf] == np.inf).all()
        if x is specials:         # -0.0 and -30: -0.0 with AVX-512's quirks, else +0.0
            assert np.signbit(out[out == 0]).any() == (quirks == 1)


@pytest.mark.parametrize("name, kw, has_inplace", OPS, ids=OP_IDS)
def test_input_untouched_and_inplace_writes_in_place(torch, rng, name, kw, has_inplace):
    x = rng.standard_normal((4, 6)).astype(np.float32)
    before = x.copy()
    expected = torch_op(torch, name, x, **kw)
    getattr(F, name)(x, **kw)
    np.testing.assert_array_equal(x, before)
    if not has_inplace:
        return
    t = x.copy().view(fastnn.Tensor)
    assert getattr(F, name)(t, inplace=True, **kw) is t
    assert_same(t, expected, **tolerance(np.float32, name))
    # a non-contiguous ndarray is written back through the view
    base = np.zeros((6, 8), np.float32)
    view = base[:, ::2].T                 # (4, 6), non-contiguous
    view[...] = x
    out = getattr(F, name)(view, inplace=True, **kw)
    assert_same(view, expected, **tolerance(np.float32, name))
    assert np.shares_memory(np.asarray(out), base)
    assert (base[:, 1::2] == 0).all()


def test_inplace_underscore_variants(rng):
    x = rng.standard_normal(10)
    for fn, ref in [(F.relu_, np.maximum(x, 0)), (F.leaky_relu_, np.where(x > 0, x, 0.01 * x)),
                    (F.elu_, np.where(x > 0, x, np.expm1(x))), (F.hardtanh_, np.clip(x, -1, 1))]:
        y = x.copy()
        fn(y)
        np.testing.assert_allclose(y, ref, rtol=1e-15)


def test_read_only_inplace_refused_but_out_of_place_works():
    x = np.arange(-3.0, 3.0)
    x.flags.writeable = False
    np.testing.assert_array_equal(F.relu(x), [0, 0, 0, 0, 1, 2])
    with pytest.raises(ValueError, match="read-only"):
        F.relu(x, inplace=True)
    np.testing.assert_array_equal(x, np.arange(-3.0, 3.0))


@pytest.mark.parametrize("layout", ["fortran", "byteswapped", "strided", "torch"])
def test_unusual_layouts(torch, rng, layout):
    x = rng.standard_normal((5, 7)).astype(np.float32)
    if layout == "fortran":
        arg = np.asfortranarray(x)
    elif layout == "byteswapped":
        arg = x.astype(x.dtype.newbyteorder(">"))
    elif layout == "strided":
        big = np.zeros((10, 14), np.float32)
        big[::2, ::2] = x
        arg = big[::2, ::2]
    else:
        arg = torch.from_numpy(x.copy())
    expected = torch.sigmoid(torch.from_numpy(x)).numpy()
    assert_same(F.sigmoid(arg), expected, rtol=1e-6, atol=1e-7)
    assert_same(F.softmax(arg, dim=0), torch.softmax(torch.from_numpy(x), 0).numpy(),
                rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["relu", "relu6", "hardtanh"])
def test_integer_input_follows_torch(torch, name):
    x = np.array([-9, -1, 0, 1, 3, 7, 12], dtype=np.int64)
    out = getattr(F, name)(x)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, torch_op(torch, name, x))
    y = x.copy()
    getattr(F, name)(y, inplace=True)
    np.testing.assert_array_equal(y, out)


def test_dtype_errors():
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        F.relu(np.array([True, False]))
    with pytest.raises(TypeError, match="int64"):
        F.sigmoid(np.arange(3))
    with pytest.raises(TypeError, match="float16"):
        F.relu(np.ones(3, np.float16))
    with pytest.raises(TypeError, match="int64"):
        F.softmax(np.arange(3), 0)
    with pytest.raises(TypeError, match="must be a Tensor or array"):
        F.tanh("x")


def test_argument_errors_match_torch(torch):
    x = np.ones(3, np.float32)
    tx = torch.ones(3)
    for fn, args, kwargs in [(F.hardtanh, (2.0, 1.0), {}), (F.gelu, (), {"approximate": "foo"}),
                             (F.gelu, ("tanh",), {})]:
        with pytest.raises(Exception) as expected:
            getattr(torch.nn.functional, fn.__name__)(tx, *args, **kwargs)
        with pytest.raises(type(expected.value), match=f"^{re.escape(str(expected.value))}$"):
            fn(x, *args, **kwargs)
    with pytest.raises(ValueError, match=r"^max_val \(1\) must be greater than min_val \(2\)$"):
        nn.Hardtanh(2, 1)
    with pytest.raises(ValueError, match="must be greater"):
        nn.Hardtanh(1.0, 1.0)
    gelu = nn.GELU(approximate="foo")             # torch checks only when called
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        gelu(x)


def scalar_pairs(torch):
    """(fastnn value, torch value) for every kind of scalar argument torch's parser sees."""
    plain = [None, "2", (), [1.0], np.array(0.5), True, np.True_, 2, -3, 0.5, np.float32(0.5),
             np.float16(-1.5), np.int64(2), 2**64 - 1, 2**64, -2**63, -2**63 - 1, 1e39, 1e300,
             math.inf, -math.inf, math.nan, 1 + 0j, 1 + 2j]
    return [(v, v) for v in plain] + [
        (fastnn.tensor(0.25), torch.tensor(0.25)), (fastnn.tensor(3), torch.tensor(3)),
        (fastnn.tensor([0.5]), torch.tensor([0.5])), (torch.tensor(0.75), torch.tensor(0.75))]


# `min_val > max_val` (torch's and fastnn's first check) of np.float16(-1.5) and 1e30
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, param", [("leaky_relu", "negative_slope"), ("elu", "alpha"),
                                         ("hardtanh", "min_val"), ("hardtanh", "max_val")])
def test_scalar_arguments_are_parsed_and_converted_like_torch(torch, dtype, name, param):
    x = np.array([-1.5, -0.0, 0.25, 3.0, np.nan, np.inf], dtype)
    other = {"min_val": {"max_val": 1e30}, "max_val": {"min_val": -1e30}}.get(param, {})
    for ours_value, their_value in scalar_pairs(torch):
        for inplace in (False, True):
            mine = x.copy()
            assert_like_torch(
                lambda: getattr(F, name)(mine, **{param: ours_value}, **other, inplace=inplace),
                lambda: getattr(torch.nn.functional, name)(
                    torch.from_numpy(x.copy()), **{param: their_value}, **other,
                    inplace=inplace),
                **tolerance(dtype, name))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.int64])
def test_integer_hardtanh_converts_bounds_like_torch(torch, dtype):
    x = np.array([-128, -2, -1, 0, 1, 2, 100, 127], np.int64).astype(dtype)
    bounds = [(-1.0, 1.0), (0.5, 1.0), (-0.5, 1.5), (-1.5, 1.9), (-0.9, -0.1), (True, True),
              (2**36, 2**37), (-2**36, 2**36), (-300, 300), (-2**63, 0), (0, 2**63 - 1),
              (0, 2**63), (math.nan, 1.0), (0.0, math.nan), (-math.inf, 1.0), (0.0, math.inf),
              (1e30, 2e30), (0.0, 1e20), (-2**64, 0), (np.float32(1.5), 4),
              (fastnn.tensor(0.5), 3)]
    for lo, hi in bounds:
        t_lo = torch.tensor(0.5) if isinstance(lo, fastnn.Tensor) else lo
        for inplace in (False, True):
            mine = x.copy()
            assert_like_torch(lambda: F.hardtanh(mine, lo, hi, inplace=inplace),
                              lambda: torch.nn.functional.hardtanh(
                                  torch.from_numpy(x.copy()), t_lo, hi, inplace=inplace))
            if inplace:
                assert mine.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hardtanh_nan_bound_makes_everything_nan_like_torch(torch, dtype):
    x = np.array([-2.0, -0.0, 0.5, np.inf, -np.inf, np.nan], dtype)
    for lo, hi in [(math.nan, 1.0), (-1.0, math.nan), (math.nan, math.nan), (math.nan, 1e39)]:
        for inplace in (False, True):
            mine = x.copy()
            assert_like_torch(lambda: F.hardtanh(mine, lo, hi, inplace=inplace),
                              lambda: torch.nn.functional.hardtanh(
                                  torch.from_numpy(x.copy()), lo, hi, inplace=inplace))
    y = x.copy()
    assert F.hardtanh(y, math.nan, 0.0, inplace=True) is not None and np.isnan(y).all()


def test_boolean_input_messages_match_torch(torch):
    for name in ("relu", "relu6", "hardtanh"):
        assert_like_torch(lambda: getattr(F, name)(np.array([True, False])),
                          lambda: getattr(torch.nn.functional, name)(torch.tensor([True])))


@pytest.mark.parametrize("name, dtype", [
    (name, dtype) for name in sorted({name for name, _, _ in OPS}) + ["softmax", "log_softmax"]
    for dtype in [np.float32, ">f8"] + [np.int32] * (name in ("relu", "relu6", "hardtanh"))])
def test_0d_input_gives_a_0d_tensor(torch, name, dtype):
    x = np.array(-2.5, dtype)
    kw = {"dim": 0} if "softmax" in name else {}
    assert_like_torch(lambda: getattr(F, name)(x, **kw),
                      lambda: getattr(torch.nn.functional, name)(
                          torch.from_numpy(x.astype(x.dtype.newbyteorder("="))), **kw),
                      **tolerance(np.float32, name))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (1,), (5,), (3, 4), (2, 3, 4), (2, 3, 1, 300), (0, 3)])
def test_softmax_every_dim(torch, rng, dtype, shape):
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    for dim in range(-max(len(shape), 1), max(len(shape), 1)):
        for name in ("softmax", "log_softmax"):
            # torch's float32 log_softmax rounds x - max in float32: an ulp of |x| (~1e-6)
            atol = {np.float32: 4e-6 if name == "log_softmax" else 1e-7, np.float64: 1e-14}
            assert_same(getattr(F, name)(x, dim), torch_op(torch, name, x, dim=dim),
                        rtol=1e-6 if dtype == np.float32 else 1e-12, atol=atol[dtype])


def test_softmax_special_rows_and_dtype_argument(torch):
    x = np.array([[np.inf, 1.0], [-np.inf, -np.inf], [np.nan, 1.0], [-np.inf, 0.0],
                  [1000.0, -1000.0], [88.0, 89.0]], dtype=np.float32)
    for name in ("softmax", "log_softmax"):
        for dim in (0, 1):
            assert_same(getattr(F, name)(x, dim), torch_op(torch, name, x, dim=dim),
                        rtol=1e-6, atol=1e-7)
        out = getattr(F, name)(x, 1, dtype=np.float64)
        assert out.dtype == np.float64
        assert_same(out, torch_op(torch, name, x, dim=1, dtype=torch.float64), rtol=1e-12)
    ints = np.array([[1, 2, 3]])
    np.testing.assert_allclose(F.softmax(ints, 1, dtype=np.float64),
                               torch_op(torch, "softmax", ints, dim=1, dtype=torch.float64))


def test_softmax_dim_errors_match_torch(torch):
    for shape, dim in [((2, 3), 2), ((2, 3), -3), ((), 1), ((4,), -2)]:
        with pytest.raises(IndexError) as expected:
            torch.softmax(torch.ones(shape), dim)
        with pytest.raises(IndexError, match=f"^{re.escape(str(expected.value))}$"):
            F.softmax(np.ones(shape, np.float32), dim)
    with pytest.raises(TypeError, match=r"softmax\(\): argument 'dim' \(position 1\) must be "
                                        r"int, not float"):
        F.softmax(np.ones((2, 3)), 1.0)
    with pytest.raises(TypeError, match="not bool"):
        F.log_softmax(np.ones((2, 3)), True)
    x = np.arange(6.0).reshape(2, 3)
    for ours, theirs in [(np.True_, np.True_), (np.array(1), np.array(1)), ("1", "1"),
                         (2**63, 2**63), (-2**70, -2**70), (None, None), ([1], [1]),
                         (fastnn.tensor(1), torch.tensor(1)), (np.int32(-1), np.int32(-1)),
                         (fastnn.tensor(1.0), torch.tensor(1.0))]:
        for name in ("softmax", "log_softmax"):
            if ours is None or ours == "1":        # torch: implicit dim, or a named dim
                continue
            assert_like_torch(lambda: getattr(F, name)(x, ours),
                              lambda: getattr(torch.nn.functional, name)(
                                  torch.from_numpy(x), theirs), rtol=1e-14, atol=1e-15)
    for approximate in [None, 1, ["tanh"]]:
        assert_like_torch(lambda: F.gelu(x, approximate=approximate),
                          lambda: torch.nn.functional.gelu(torch.from_numpy(x),
                                                           approximate=approximate))
    with pytest.raises(TypeError, match="must be a fastnn dtype"):
        F.softmax(x, 1, dtype=5)


@pytest.mark.parametrize("ndim, implicit", [(0, 0), (1, 0), (2, 1), (3, 0), (4, 1)])
def test_softmax_implicit_dim_warns_like_torch(torch, ndim, implicit):
    x = np.random.default_rng(1).standard_normal((3,) * ndim)
    for name in ("softmax", "log_softmax"):
        with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name} has been "
                                             "deprecated. Change the call to include dim=X"):
            out = getattr(F, name)(x)
        np.testing.assert_allclose(out, getattr(F, name)(x, implicit), rtol=1e-15)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = getattr(torch.nn.functional, name)(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)
    with pytest.warns(UserWarning) as record:
        nn.Softmax()(x)
    assert record[0].filename == __file__     # points at the caller, as torch's stacklevel


MODULES = [
    ("ReLU", (), {}), ("ReLU", (True,), {}), ("ReLU6", (), {}), ("ReLU6", (), {"inplace": True}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}), ("ELU", (), {}),
    ("ELU", (0.5,), {"inplace": True}), ("GELU", (), {}), ("GELU", ("tanh",), {}),
    ("SiLU", (), {}), ("SiLU", (True,), {}), ("Sigmoid", (), {}), ("Tanh", (), {}),
    ("Hardswish", (), {}), ("Hardswish", (True,), {}), ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (), {"inplace": True}), ("Hardtanh", (), {}), ("Hardtanh", (-2, 3, True), {}),
    ("Softmax", (1,), {}), ("Softmax", (), {"dim": -1}), ("LogSoftmax", (0,), {}),
]


@pytest.mark.parametrize("cls, args, kwargs", MODULES,
                         ids=[f"{c}{a}{k}" for c, a, k in MODULES])
def test_modules_match_torch(torch, rng, cls, args, kwargs):
    ours, theirs = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == []
    x = rng.standard_normal((3, 5)).astype(np.float64)
    expected = theirs(torch.from_numpy(x.copy())).numpy()
    t = x.copy().view(fastnn.Tensor)
    out = ours(t)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)
    if getattr(ours, "inplace", False):
        assert out is t
    else:
        np.testing.assert_array_equal(t, x)


def test_softmax_module_defaults_and_hardtanh_deprecated_keywords(torch):
    assert repr(nn.Softmax()) == repr(torch.nn.Softmax()) == "Softmax(dim=None)"
    with pytest.warns(FutureWarning, match="`min_value` is deprecated and renamed to `min_val`"):
        m = nn.Hardtanh(min_value=-3)
    assert m.min_val == -3
    assert isinstance(nn.ReLU6(), nn.Hardtanh) and isinstance(torch.nn.ReLU6(), torch.nn.Hardtanh)


# ---- torch-free checks: numpy formulas ---------------------------------------------------

def test_numpy_formulas_without_torch(rng):
    x = rng.standard_normal(500) * 4
    erf = np.vectorize(math.erf)
    refs = {
        "relu": np.maximum(x, 0),
        "relu6": np.clip(x, 0, 6),
        "sigmoid": 1 / (1 + np.exp(-x)),
        "silu": x / (1 + np.exp(-x)),
        "tanh": np.tanh(x),
        "elu": np.where(x > 0, x, np.expm1(x)),
        "gelu": 0.5 * x * (1 + erf(x / math.sqrt(2))),
        "hardswish": x * np.clip(x + 3, 0, 6) / 6,
        "hardsigmoid": np.clip(x + 3, 0, 6) / 6,
    }
    for name, ref in refs.items():
        np.testing.assert_allclose(getattr(F, name)(x), ref, rtol=1e-13, atol=1e-15,
                                   err_msg=name)
    t = np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))
    np.testing.assert_allclose(F.gelu(x, approximate="tanh"), 0.5 * x * (1 + t), rtol=1e-13,
                               atol=1e-15)
    assert np.isnan(F.relu(np.array([np.nan]))[0])
    m = rng.standard_normal((4, 7, 3))
    e = np.exp(m - m.max(axis=1, keepdims=True))
    np.testing.assert_allclose(F.softmax(m, 1), e / e.sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(F.log_softmax(m, 1), np.log(e / e.sum(axis=1, keepdims=True)),
                               rtol=1e-13)


@pytest.mark.parametrize("name", ["sigmoid", "silu"])
def test_sigmoid_and_silu_float32_over_their_whole_range(torch, name):
    """float32 sigmoid and silu run in float32 on exp32's exp of -|x|: dense from where
    torch's float32 exp(-x) overflows to where the gate is 1, with the zeros' signs."""
    x = np.concatenate([np.linspace(-120, 40, 400_001),
                        np.random.default_rng(3).standard_normal(100_000) * 10,
                        [-np.inf, np.inf, np.nan, -0.0, 0.0]]).astype(np.float32)
    # from x = -88.7 to -87 fastnn gives 0 where torch's gate is under 2e-38
    # (kernels/elementwise.py `_gate_single`), its silu under 89 times that
    assert_same(getattr(F, name)(fastnn.tensor(x)).numpy(), torch_op(torch, name, x),
                rtol=1e-6, atol=2e-38 if name == "sigmoid" else 2e-36)
