"""mish, selu, celu, softplus, logsigmoid, softsign, tanhshrink, threshold, prelu, softmin
and Softmax2d (functional, top-level, Tensor method and module forms) against torch."""
import math
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from torch_compare import assert_like_torch, raises_like

SPECIALS = [np.nan, -np.inf, np.inf, -0.0, 0.0, -1e-30, 1e-30, -1.0, 1.0, 1e-3, -1e-3, 0.5,
            -100.0, 100.0, -20.0, 20.0, 20.5, -88.0, 88.0, 1e38, -1e38]

# (name, kwargs, has inplace)
OPS = [
    ("mish", {}, True),
    ("selu", {}, True),
    ("celu", {}, True),
    ("celu", {"alpha": 0.5}, True),
    ("celu", {"alpha": -2.0}, True),
    ("softplus", {}, False),
    ("softplus", {"beta": 2, "threshold": 5}, False),
    ("softplus", {"beta": -1.5, "threshold": 0.5}, False),
    ("logsigmoid", {}, False),
    ("softsign", {}, False),
    ("tanhshrink", {}, False),
    ("threshold", {"threshold": 0.1, "value": -7.0}, True),
    ("threshold", {"threshold": math.nan, "value": 1.0}, True),
    ("threshold", {"threshold": -0.0, "value": math.inf}, True),
]
IDS = [f"{name}-{kw}" for name, kw, _ in OPS]


def tolerance(dtype, name):
    if np.dtype(dtype) == np.float64:
        return dict(rtol=1e-12, atol=1e-300)
    # float32: exp of large negative x is a denormal whose few digits differ between libms;
    # x - tanh(x) cancels down to the last bit of tanh(x) for small x (torch's own formula)
    return dict(rtol=1e-6, atol=1.2e-7 if name == "tanhshrink" else 1e-37)


def torch_call(torch, name, x, **kw):
    return getattr(torch.nn.functional, name)(torch.from_numpy(np.array(x)), **kw)


def assert_matches(actual, expected, **tol):
    actual = np.asarray(actual)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, equal_nan=True, **tol)
    zeros = (actual == 0) & (expected == 0)
    np.testing.assert_array_equal(np.signbit(actual[zeros]), np.signbit(expected[zeros]))


@pytest.mark.parametrize("name, kw, _", OPS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch_on_random_and_special_values(torch, rng, name, kw, _, dtype):
    for shape in [(0,), (1,), (37,), (2, 3, 4, 5)]:
        x = (rng.standard_normal(shape) * 6).astype(dtype)
        got = getattr(F, name)(x, **kw)
        assert isinstance(got, fastnn.Tensor)
        assert_matches(got, torch_call(torch, name, x, **kw).numpy(), **tolerance(dtype, name))
    x = np.array(SPECIALS * 3, dtype)      # also inside the vectorised body of a longer array
    assert_matches(getattr(F, name)(x, **kw), torch_call(torch, name, x, **kw).numpy(),
                   **tolerance(dtype, name))
    scalar = np.array(-2.5, dtype)
    assert_like_torch(lambda: getattr(F, name)(scalar, **kw),
                      lambda: torch_call(torch, name, scalar, **kw), **tolerance(dtype, name))


@pytest.mark.parametrize("name, kw, has_inplace", OPS, ids=IDS)
def test_input_untouched_and_inplace_writes_in_place(torch, rng, name, kw, has_inplace):
    x = rng.standard_normal((4, 6)).astype(np.float32)
    before = x.copy()
    expected = torch_call(torch, name, x, **kw).numpy()
    getattr(F, name)(x, **kw)
    np.testing.assert_array_equal(x, before)
    if not has_inplace:
        return
    t = fastnn.from_numpy(x.copy())
    assert getattr(F, name)(t, inplace=True, **kw) is t
    assert_matches(t, expected, **tolerance(np.float32, name))
    base = np.zeros((6, 8), np.float32)
    view = base[:, ::2].T                 # (4, 6), non-contiguous: written back through it
    view[...] = x
    getattr(F, name)(view, inplace=True, **kw)
    assert_matches(view, expected, **tolerance(np.float32, name))
    assert (base[:, 1::2] == 0).all()


@pytest.mark.parametrize("beta, threshold", [(1, 20), (2, 5), (-1.5, 0.5), (0.3, 20)])
def test_softplus_float32_over_its_whole_range(torch, beta, threshold):
    """float32 softplus runs in float32 (exp32's exp and log1p): dense over where both
    the log1p and the exp matter, down to the denormals."""
    x = np.concatenate([np.linspace(-120, 40, 400_001),
                        np.random.default_rng(3).standard_normal(100_000) * 10])
    x = x.astype(np.float32)
    assert_matches(F.softplus(x, beta, threshold),
                   torch.nn.functional.softplus(torch.from_numpy(x), beta, threshold).numpy(),
                   **tolerance(np.float32, "softplus"))


def test_underscore_and_top_level_forms(torch, rng):
    x = rng.standard_normal((3, 5)).astype(np.float32)
    tx = torch.from_numpy(x)
    for ours, theirs, args in [
            (F.selu_, torch.nn.functional.selu_, ()),
            (F.celu_, torch.nn.functional.celu_, (0.7,)),
            (F.threshold_, torch.nn.functional.threshold_, (0.2, -1.0)),
            (fastnn.selu_, torch.selu_, ()), (fastnn.celu_, torch.celu_, (1.5,)),
            (fastnn.threshold_, torch.threshold_, (0.0, 3.0))]:
        mine, theirs_x = fastnn.from_numpy(x.copy()), tx.clone()
        assert ours(mine, *args) is mine
        theirs(theirs_x, *args)
        np.testing.assert_allclose(mine, theirs_x.numpy(), rtol=1e-6)
    for ours, theirs, args in [(fastnn.selu, torch.selu, ()), (fastnn.celu, torch.celu, (2.0,)),
                               (fastnn.threshold, torch.threshold, (0.5, 9.0))]:
        assert_like_torch(lambda: ours(x, *args), lambda: theirs(tx, *args), rtol=1e-6)
    assert_like_torch(lambda: fastnn.celu(x, alpha=0.5), lambda: torch.celu(tx, alpha=0.5),
                      rtol=1e-6)
    w = rng.random(5).astype(np.float32)
    assert_like_torch(lambda: fastnn.prelu(x, w), lambda: torch.prelu(tx, torch.from_numpy(w)))
    assert_like_torch(lambda: fastnn.from_numpy(x).prelu(w),
                      lambda: tx.prelu(torch.from_numpy(w)))


def scalar_values(torch):
    """(fastnn value, torch value) of every kind of scalar argument torch's parser sees."""
    plain = [None, "2", [1.0], True, 2, -3, 0, 0.5, np.float32(0.5), np.int64(2), 2**64,
             1e39, 1e300, 1e-300, math.inf, -math.inf, math.nan, 1 + 0j, 1 + 2j]
    return [(v, v) for v in plain] + [(fastnn.tensor(0.25), torch.tensor(0.25)),
                                      (fastnn.tensor([0.5]), torch.tensor([0.5]))]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, param, inplace", [
    ("celu", "alpha", False), ("celu", "alpha", True), ("softplus", "beta", False),
    ("softplus", "threshold", False), ("threshold", "threshold", False),
    ("threshold", "value", True)])
def test_scalar_arguments_are_parsed_and_converted_like_torch(torch, dtype, name, param,
                                                              inplace):
    x = np.array([-1.5, -0.0, 0.25, 3.0, np.nan, np.inf], dtype)
    others = {"threshold": {"threshold": 0.5, "value": 2.0}}.get(name, {})
    extra = {"inplace": inplace} if inplace else {}
    for ours, theirs in scalar_values(torch):
        mine = x.copy()
        assert_like_torch(
            lambda: getattr(F, name)(mine, **dict(others, **{param: ours}), **extra),
            lambda: getattr(torch.nn.functional, name)(
                torch.from_numpy(x.copy()), **dict(others, **{param: theirs}), **extra),
            **tolerance(dtype, name))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.int64])
def test_integer_threshold_converts_numbers_like_torch(torch, dtype):
    x = np.array([0, 1, 2, 3, 100, 127], np.int64).astype(dtype)
    if np.dtype(dtype).kind == "i":
        x[0] = -5
    for thr, value in [(1, 5), (2.7, -1.9), (-1, 7), (300, 1), (1, 300), (math.nan, 1),
                       (math.inf, 1), (1e10, 1), (2**40, 1), (2**63, 1), (1 + 0j, 1),
                       (1j, 1), (True, 1), (-255, 0), (-256, 0)]:
        for inplace in (False, True):
            mine = x.copy()
            assert_like_torch(lambda: F.threshold(mine, thr, value, inplace),
                              lambda: torch.nn.functional.threshold(
                                  torch.from_numpy(x.copy()), thr, value, inplace))
            if inplace:
                assert mine.dtype == dtype


def test_dtype_rules(torch):
    ints = np.arange(-3, 3)
    for name in ("softsign", "tanhshrink"):       # torch compositions: default float dtype
        assert_like_torch(lambda: getattr(F, name)(ints), lambda: torch_call(torch, name, ints),
                          rtol=1e-6)
        fastnn.set_default_dtype(fastnn.float64)
        try:
            assert getattr(F, name)(ints).dtype == np.float64
        finally:
            fastnn.set_default_dtype(fastnn.float32)
    bools = np.array([True, False])
    for name in ("softsign", "tanhshrink", "threshold"):
        args = (0.5, 1.0) if name == "threshold" else ()
        assert_like_torch(lambda: getattr(F, name)(bools, *args),
                          lambda: getattr(torch.nn.functional, name)(torch.from_numpy(bools),
                                                                     *args))
    for name in ("mish", "selu", "celu", "softplus", "logsigmoid"):
        for bad in (ints, bools, np.ones(2, np.float16)):
            with pytest.raises(TypeError, match=f"got {bad.dtype}"):
                getattr(F, name)(bad)
    with pytest.raises(TypeError, match="must be a Tensor or array"):
        F.softsign("x")
    raises_like(lambda: torch.nn.functional.logsigmoid(torch.ones(2), True),
                lambda: F.logsigmoid(np.ones(2), True))
    raises_like(lambda: torch.nn.functional.celu(torch.ones(2), 0),
                lambda: F.celu(np.ones(2, np.float32), 0))


# ---------------------------------------------------------------- prelu

PRELU_SHAPES = [((2, 3, 4, 5), (3,)), ((2, 3, 4, 5), (1,)), ((2, 3, 4, 5), ()),
                ((2, 3), (3,)), ((5,), (1,)), ((), (1,)), ((), ()), ((0, 3, 2), (3,)),
                ((2, 0, 2), (0,)), ((2, 0, 2), (1,)),
                # refused: torch's messages
                ((2, 3, 4, 5), (4,)), ((2, 3, 4, 5), (3, 1)), ((2, 3, 4, 5), (1, 1)),
                ((), (3,)), ((3,), (3,)), ((5,), (5,)), ((2, 3, 4), (0,))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prelu_matches_torch(torch, rng, dtype):
    for xs, ws in PRELU_SHAPES:
        x = np.asarray(rng.standard_normal(xs)).astype(dtype)
        w = np.asarray(rng.standard_normal(ws) * 0.5).astype(dtype)
        assert_like_torch(lambda: F.prelu(x, w),
                          lambda: torch.nn.functional.prelu(torch.from_numpy(x),
                                                            torch.from_numpy(w)))
    x = np.array([np.nan, -np.inf, np.inf, -0.0, 0.0, -2.0, 3.0], dtype)
    w = np.array([-0.5], dtype)
    assert_matches(F.prelu(x, w), torch.prelu(torch.from_numpy(x), torch.from_numpy(w)).numpy(),
                   rtol=0, atol=0)


def test_prelu_errors_and_layouts(torch, rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    w = rng.random(3).astype(np.float32)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    tf = torch.nn.functional
    for ours, theirs in [
            (lambda: F.prelu(x, w.astype(np.float64)), lambda: tf.prelu(tx, tw.double())),
            (lambda: F.prelu(x.astype(np.float64), w), lambda: tf.prelu(tx.double(), tw)),
            (lambda: F.prelu(x.astype(np.int64), w), lambda: tf.prelu(tx.long(), tw)),
            (lambda: F.prelu(x > 0, w), lambda: tf.prelu(tx > 0, tw)),
            (lambda: F.prelu(x, 0.25), lambda: tf.prelu(tx, 0.25)),
            (lambda: F.prelu(x, None), lambda: tf.prelu(tx, None))]:
        raises_like(theirs, ours)
    with pytest.raises(TypeError, match="got int64"):
        F.prelu(x.astype(np.int64), w.astype(np.int64))
    strided_w = np.repeat(w, 2)[::2]
    for arg, same in ((np.asfortranarray(x), x), (x.astype(">f4"), x),
                      (x[:, :, ::-1], x[:, :, ::-1].copy()), (tx, x)):
        assert_like_torch(lambda: F.prelu(arg, strided_w),
                          lambda: tf.prelu(torch.from_numpy(same), tw))


# ---------------------------------------------------------------- softmin, Softmax2d

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmin_matches_torch(torch, rng, dtype):
    x = (rng.standard_normal((2, 3, 4)) * 5).astype(dtype)
    tx = torch.from_numpy(x)
    for dim in range(-3, 3):
        assert_like_torch(lambda: F.softmin(x, dim), lambda: torch.nn.functional.softmin(tx, dim),
                          rtol=1e-6, atol=1e-7)
    assert_like_torch(lambda: F.softmin(x, 1, dtype=np.float64),
                      lambda: torch.nn.functional.softmin(tx, 1, dtype=torch.float64), rtol=1e-6)
    special = np.array([[np.nan, 1.0], [-np.inf, 0.0], [np.inf, 2.0], [5.0, 5.0]], dtype)
    assert_like_torch(lambda: F.softmin(special, 1),
                      lambda: torch.nn.functional.softmin(torch.from_numpy(special), 1))


def test_softmin_dtypes_dims_and_the_implicit_dim_warning(torch):
    tf = torch.nn.functional
    ints = np.arange(-3, 3)
    small = np.arange(3, dtype=np.uint8)
    for ours, theirs in [
            (lambda: F.softmin(ints, 0), lambda: tf.softmin(torch.from_numpy(ints), 0)),
            (lambda: F.softmin(np.array([True]), 0), lambda: tf.softmin(torch.tensor([True]), 0)),
            (lambda: F.softmin(np.array([True]), 0, dtype=np.float64),
             lambda: tf.softmin(torch.tensor([True]), 0, dtype=torch.float64)),
            (lambda: F.softmin(np.ones((2, 3)), "a"), lambda: tf.softmin(torch.ones(2, 3), "a")),
            (lambda: F.softmin(np.ones((2, 3)), 2), lambda: tf.softmin(torch.ones(2, 3), 2))]:
        try:
            theirs()
        except NotImplementedError:         # torch's dtype refusal: fastnn's TypeError
            with pytest.raises(TypeError, match="got int64"):
                ours()
            continue
        except Exception:                   # noqa: BLE001 - compared below
            pass
        raises_like(theirs, ours)
    # integer input with a float dtype: negated in its own dtype first (uint8 wraps)
    for arr, dtype, tdtype in [(ints, np.float32, torch.float32),
                               (small, np.float64, torch.float64)]:
        assert_like_torch(lambda: F.softmin(arr, 0, dtype=dtype),
                          lambda: tf.softmin(torch.from_numpy(arr), 0, dtype=tdtype), rtol=1e-6)
    x = np.ones((2, 3), np.float32)
    for call in (lambda: F.softmin(x), lambda: nn.Softmin()(x)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = call()
        assert [str(w.message) for w in caught] == [
            "Implicit dimension choice for softmin has been deprecated. Change the call to "
            "include dim=X as an argument."]
        assert caught[0].filename == __file__
        np.testing.assert_allclose(out, np.full((2, 3), 1 / 3), rtol=1e-6)


def test_softmax2d(torch, rng):
    for shape in [(3, 4, 5), (2, 3, 4, 5), (2, 3), (1, 2, 3, 4, 5), (0, 3, 2, 2)]:
        x = rng.standard_normal(shape).astype(np.float32)
        assert_like_torch(lambda: nn.Softmax2d()(x),
                          lambda: torch.nn.Softmax2d()(torch.from_numpy(x)), rtol=1e-6)
    with pytest.raises(TypeError, match="got int64"):
        nn.Softmax2d()(np.ones((2, 3, 3), np.int64))


# ---------------------------------------------------------------- modules

def module_pairs(torch):
    tnn = torch.nn
    return [(nn.Mish(), tnn.Mish()), (nn.Mish(True), tnn.Mish(True)), (nn.SELU(), tnn.SELU()),
            (nn.SELU(inplace=True), tnn.SELU(inplace=True)), (nn.CELU(), tnn.CELU()),
            (nn.CELU(2.0, True), tnn.CELU(2.0, True)), (nn.PReLU(), tnn.PReLU()),
            (nn.PReLU(3, 0.1), tnn.PReLU(3, 0.1)), (nn.Softplus(), tnn.Softplus()),
            (nn.Softplus(2, 10.5), tnn.Softplus(2, 10.5)), (nn.Softsign(), tnn.Softsign()),
            (nn.LogSigmoid(), tnn.LogSigmoid()), (nn.Tanhshrink(), tnn.Tanhshrink()),
            (nn.Threshold(0.1, 20), tnn.Threshold(0.1, 20)),
            (nn.Threshold(-1, 2.5, True), tnn.Threshold(-1, 2.5, True)),
            (nn.Softmin(1), tnn.Softmin(1)), (nn.Softmin(dim=-1), tnn.Softmin(dim=-1)),
            (nn.Softmax2d(), tnn.Softmax2d())]


def test_modules_repr_and_forward_match_torch(torch, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    for ours, theirs in module_pairs(torch):
        assert repr(ours) == repr(theirs)
        mine = fastnn.from_numpy(x.copy())
        got = ours(mine)
        assert_matches(got, theirs(torch.from_numpy(x.copy())).detach().numpy(),
                       **tolerance(np.float32, "tanhshrink"))
        assert (got is mine) == bool(getattr(ours, "inplace", False))
    assert repr(nn.Softmin()) == "Softmin(dim=None)"


def test_prelu_module_parameters_and_state_dict(torch, rng):
    m = nn.PReLU(3, init=0.1)
    assert list(m.state_dict()) == ["weight"]
    assert isinstance(m.weight, nn.Parameter) and m.weight.shape == (3,)
    assert m.weight.dtype == np.float32 and np.all(m.weight == np.float32(0.1))
    assert nn.PReLU(2, dtype=fastnn.float64).weight.dtype == np.float64
    assert nn.PReLU(init=1).weight.dtype == np.float32
    assert m.num_parameters == 3 and m.init == 0.1
    theirs = torch.nn.PReLU(3)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([0.5, -1.0, 2.0]))
    m.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    assert_like_torch(lambda: m(x), lambda: theirs(torch.from_numpy(x)).detach())
    with fastnn.no_grad():
        m.weight.fill_(0.3)
    m.reset_parameters()
    assert np.all(m.weight == np.float32(0.1))
    for bad in (True, 2.0, -2, "a"):
        raises_like(lambda: torch.nn.PReLU(bad), lambda: nn.PReLU(bad))
    assert nn.PReLU(0).weight.shape == (0,)
    raises_like(lambda: torch.nn.PReLU(4)(torch.ones(2, 3)), lambda: nn.PReLU(4)(np.ones(
        (2, 3), np.float32)))


def test_logsigmoid_float32_over_its_whole_range(torch):
    """float32 log-sigmoid runs in float32 (exp32's exp and log1p), as softplus does."""
    x = np.concatenate([np.linspace(-120, 120, 400_001),
                        np.random.default_rng(4).standard_normal(100_000) * 10])
    x = x.astype(np.float32)
    assert_matches(F.logsigmoid(x),
                   torch.nn.functional.logsigmoid(torch.from_numpy(x)).numpy(),
                   **tolerance(np.float32, "logsigmoid"))


@pytest.mark.parametrize("name", ["silu", "elu", "selu", "celu", "mish", "threshold"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_place_over_many_chunks_equals_out_of_place(rng, name, dtype):
    """In place, the element-wise kernels run a loop of their own over the one array
    (kernels/activation.py `_segment_in_place`, kernels/elementwise.py
    `_gate_single_in_place`): bit for bit the out-of-place result, over several chunks and
    an odd tail, specials inside."""
    x = (rng.standard_normal(3 * 2 ** 14 + 5) * 6).astype(dtype)
    x[::997] = np.resize(np.array(SPECIALS, dtype), x[::997].size)
    args = (0.25, -3.0) if name == "threshold" else ()
    expected = getattr(F, name)(x, *args).numpy()
    y = fastnn.tensor(x.copy())
    assert getattr(F, name)(y, *args, inplace=True) is y
    np.testing.assert_array_equal(y.numpy(), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_kernel_in_place_equals_out_of_place(rng, dtype):
    """No op reaches the sigmoid kernel in place yet (torch's sigmoid_ is not here): its
    in-place loop is checked on the kernel itself."""
    from fastnn.kernels import elementwise
    x = (rng.standard_normal(3 * 2 ** 14 + 5) * 6).astype(dtype)
    x[::997] = np.resize(np.array(SPECIALS, dtype), x[::997].size)
    expected = np.empty_like(x)
    elementwise.sigmoid(x, expected)
    elementwise.sigmoid(x, x)
    np.testing.assert_array_equal(x, expected)
