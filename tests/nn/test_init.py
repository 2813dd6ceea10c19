"""fastnn.nn.init against torch.nn.init: gains, fans, bounds and moments of every
distribution (on tensors large enough that a wrong formula cannot pass), deterministic
initialisers exactly, errors with torch's wording, and manual_seed reproducibility."""
import math
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as fnn
from fastnn import _random
from fastnn.nn import init
from torch_compare import raises_like

N = 200_000          # sample size for moments: the std of a sample std is ~0.16% of it


def _big(shape=(400, 500), dtype=np.float64):
    return np.zeros(shape, dtype)


NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                  "leaky_relu", "selu"]


@pytest.mark.parametrize("name", NONLINEARITIES)
@pytest.mark.parametrize("param", [None, 0, 0.2, 3])
def test_calculate_gain_matches_torch(torch, name, param):
    expected = torch.nn.init.calculate_gain(name, param)
    got = init.calculate_gain(name, param)
    assert got == expected and type(got) is type(expected)



@pytest.mark.parametrize("name,param", [("leaky_relu", True), ("leaky_relu", "0.1"),
                                        ("softplus", None), ("ReLU", None)])
def test_calculate_gain_errors_match_torch(torch, name, param):
    raises_like(lambda: torch.nn.init.calculate_gain(name, param),
                       lambda: init.calculate_gain(name, param))


@pytest.mark.parametrize("shape", [(5,), (), (3, 4), (4, 3, 5), (6, 2, 3, 3), (2, 3, 1, 2, 4),
                                   (0, 3), (3, 0, 2)])
def test_fan_in_and_fan_out_match_torch(torch, shape):
    t = torch.zeros(shape)
    f = np.zeros(shape, np.float32)
    try:
        expected = torch.nn.init._calculate_fan_in_and_fan_out(t)
    except ValueError:
        raises_like(lambda: torch.nn.init._calculate_fan_in_and_fan_out(t),
                           lambda: init._calculate_fan_in_and_fan_out(f))
        return
    assert init._calculate_fan_in_and_fan_out(f) == expected


def _check_uniform(x, lo, hi):
    width = hi - lo
    assert x.min() >= lo and x.max() <= hi
    assert x.min() < lo + 1e-3 * width and x.max() > hi - 1e-3 * width
    sd = width / math.sqrt(12)
    assert abs(x.mean() - (lo + hi) / 2) < 5 * sd / math.sqrt(x.size)
    assert abs(x.std() / sd - 1) < 0.01


def _check_normal(x, mean, std):
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(x.size)
    assert abs(x.std() / std - 1) < 0.01
    # a normal, not some other shape with the same moments: ~31.7% beyond one std
    assert abs(np.mean(np.abs(x - mean) > std) - 0.3173) < 0.01


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_and_normal(dtype):
    x = _big(dtype=dtype)
    assert init.uniform_(x, -3.0, 0.5) is x and x.dtype == dtype
    _check_uniform(x, -3.0, 0.5)
    _check_uniform(init.uniform_(_big(dtype=dtype)), 0.0, 1.0)
    assert init.normal_(x, 2.0, 0.3) is x
    _check_normal(x, 2.0, 0.3)
    _check_normal(init.normal_(_big(dtype=dtype)), 0.0, 1.0)


# (shape, kwargs) for the fan-based initialisers; torch's own samples are checked by the
# same formula so that the formula itself is tested against torch.
FAN_CASES = [((400, 500), {}), ((256, 128, 3, 3), {}), ((500, 80, 5), {"gain": 2.5})]


def _fan(shape):
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


@pytest.mark.parametrize("shape,kwargs", FAN_CASES)
def test_xavier_bounds_and_std_match_torch(torch, shape, kwargs):
    fan_in, fan_out = _fan(shape)
    std = kwargs.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    for fill, check in ((init.xavier_uniform_, lambda x: _check_uniform(x, -bound, bound)),
                        (init.xavier_normal_, lambda x: _check_normal(x, 0.0, std))):
        check(fill(np.zeros(shape), **kwargs))
        torch_fill = getattr(torch.nn.init, fill.__name__)
        check(torch_fill(torch.zeros(shape, dtype=torch.float64), **kwargs).numpy())


@pytest.mark.parametrize("a,mode,nonlinearity", [(0, "fan_in", "leaky_relu"),
                                                 (0.2, "fan_out", "leaky_relu"),
                                                 (math.sqrt(5), "fan_in", "leaky_relu"),
                                                 (0, "FAN_OUT", "relu"),
                                                 (0, "fan_in", "tanh")])
@pytest.mark.parametrize("shape", [(400, 500), (256, 128, 3, 3), (20000, 10)])
def test_kaiming_bounds_and_std_match_torch(torch, a, mode, nonlinearity, shape):
    fan_in, fan_out = _fan(shape)
    fan = fan_in if mode.lower() == "fan_in" else fan_out
    gain = math.sqrt(2.0 / (1 + a ** 2)) if nonlinearity == "leaky_relu" else \
        {"relu": math.sqrt(2.0), "tanh": 5.0 / 3}[nonlinearity]
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    kw = dict(a=a, mode=mode, nonlinearity=nonlinearity)
    for ours, theirs, check in (
            (init.kaiming_uniform_, torch.nn.init.kaiming_uniform_,
             lambda x: _check_uniform(x, -bound, bound)),
            (init.kaiming_normal_, torch.nn.init.kaiming_normal_,
             lambda x: _check_normal(x, 0.0, std))):
        check(ours(np.zeros(shape), **kw))
        check(theirs(torch.zeros(shape, dtype=torch.float64), **kw).numpy())


def _truncated_moments(mean, std, a, b):
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = [math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (alpha, beta)]
    cdf = [(1 + math.erf(z / math.sqrt(2))) / 2 for z in (alpha, beta)]
    z = cdf[1] - cdf[0]
    m = mean + std * (pdf[0] - pdf[1]) / z
    var = std ** 2 * (1 + (alpha * pdf[0] - beta * pdf[1]) / z - ((pdf[0] - pdf[1]) / z) ** 2)
    return m, math.sqrt(var)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04),
                                          (1.0, 2.0, 0.0, 1.5), (0.0, 1.0, 1.5, 3.0),
                                          (0.0, 1.0, -0.1, 0.1)])
def test_trunc_normal_moments_match_formula_and_torch(torch, mean, std, a, b):
    m, s = _truncated_moments(mean, std, a, b)
    ours = init.trunc_normal_(np.zeros(N), mean, std, a, b)
    theirs = torch.nn.init.trunc_normal_(torch.zeros(N, dtype=torch.float64),
                                         mean, std, a, b).numpy()
    for x in (ours, theirs):
        assert x.min() >= a and x.max() <= b
        assert abs(x.mean() - m) < 5 * s / math.sqrt(N)
        assert abs(x.std() / s - 1) < 0.01


def test_trunc_normal_warns_like_torch(torch):
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        torch.nn.init.trunc_normal_(torch.zeros(3), mean=10.0)
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(np.zeros(3), mean=10.0)


def test_deterministic_initialisers_match_torch(torch):
    for shape in [(3, 3), (2, 5), (5, 2)]:
        np.testing.assert_array_equal(init.eye_(np.full(shape, 7.0)),
                                      torch.nn.init.eye_(torch.full(shape, 7.0)).numpy())
    for shape, groups in [((4, 4, 3), 1), ((6, 2, 3, 3), 3), ((4, 6, 3, 2, 5), 2),
                          ((3, 5, 4, 4), 1)]:
        np.testing.assert_array_equal(
            init.dirac_(np.full(shape, 7.0), groups),
            torch.nn.init.dirac_(torch.full(shape, 7.0), groups).numpy())
    x = np.zeros((2, 3), np.float32)
    assert init.constant_(x, 2.5) is x and (x == 2.5).all()
    assert (init.ones_(x) == 1).all() and (init.zeros_(x) == 0).all()
    ints = np.zeros(3, np.int64)
    np.testing.assert_array_equal(init.constant_(ints, 2.7),
                                  torch.nn.init.constant_(torch.zeros(3, dtype=torch.long),
                                                          2.7).numpy())


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (8, 3, 2, 2)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, gain):
    x = init.orthogonal_(np.zeros(shape), gain=gain)
    flat = x.reshape(shape[0], -1)
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(gram.shape[0]), atol=1e-10)
    assert np.abs(flat).max() > 0.1 * gain


def test_orthogonal_is_sign_symmetric(torch):
    # QR alone gives a biased Q (LAPACK makes R's diagonal negative); the sign fix by R's
    # diagonal makes the distribution uniform over orthogonal matrices, as torch's is.
    for fill in (init.orthogonal_, torch.nn.init.orthogonal_):
        corner = [float(fill(np.zeros((3, 3)) if fill is init.orthogonal_
                             else torch.zeros(3, 3))[0, 0]) for _ in range(400)]
        assert 0.4 < np.mean(np.array(corner) > 0) < 0.6


def test_sparse_zeroes_a_fraction_of_each_column():
    x = init.sparse_(np.zeros((100, 300)), sparsity=0.3, std=0.5)
    assert ((x == 0).sum(axis=0) == 30).all()
    _check_normal(x[x != 0], 0.0, 0.5)


def _init_error_cases(lib_init, zeros):
    return {
        "fan 1d": lambda: lib_init.xavier_uniform_(zeros(3)),
        "fan 0d": lambda: lib_init.kaiming_normal_(zeros()),
        "bad mode": lambda: lib_init.kaiming_uniform_(zeros(3, 4), mode="fan_avg"),
        "bad nonlinearity": lambda: lib_init.kaiming_normal_(zeros(3, 4), nonlinearity="gelu"),
        "eye 1d": lambda: lib_init.eye_(zeros(3)),
        "eye 3d": lambda: lib_init.eye_(zeros(3, 3, 3)),
        "dirac 2d": lambda: lib_init.dirac_(zeros(3, 3)),
        "dirac groups": lambda: lib_init.dirac_(zeros(4, 3, 3), groups=3),
        "orthogonal 1d": lambda: lib_init.orthogonal_(zeros(3)),
        "sparse 3d": lambda: lib_init.sparse_(zeros(3, 3, 3), 0.1),
        "uniform reversed": lambda: lib_init.uniform_(zeros(3), 1.0, 0.0),
        "uniform inf": lambda: lib_init.uniform_(zeros(3), 0.0, math.inf),
        "uniform -inf f64": lambda: lib_init.uniform_(zeros(3, dtype="float64"), -math.inf),
        "normal negative std": lambda: lib_init.normal_(zeros(3), 0.0, -1.0),
        "normal fractional std": lambda: lib_init.normal_(zeros(3), 0.0, -0.1234567),
        "uniform fractional": lambda: lib_init.uniform_(zeros(3), 0.25, 0.125),
        "trunc reversed": lambda: lib_init.trunc_normal_(zeros(3), a=2.0, b=1.0),
        "trunc std 0": lambda: lib_init.trunc_normal_(zeros(3), std=0.0),
        "xavier empty": lambda: lib_init.xavier_normal_(zeros(0, 0)),
    }


def test_errors_match_torch(torch):
    def torch_zeros(*shape, dtype="float32"):
        return torch.zeros(shape, dtype=getattr(torch, dtype))

    def np_zeros(*shape, dtype="float32"):
        return np.zeros(shape, dtype)

    t_cases = _init_error_cases(torch.nn.init, torch_zeros)
    f_cases = _init_error_cases(init, np_zeros)
    for name in t_cases:
        try:
            raises_like(t_cases[name], f_cases[name])
        except AssertionError as e:
            raise AssertionError(f"case {name!r}: {e}") from None


@pytest.mark.parametrize("fill", [init.uniform_, init.normal_, init.trunc_normal_,
                                  init.xavier_uniform_, init.kaiming_normal_,
                                  init.orthogonal_])
def test_random_fills_refuse_integer_arrays(fill):
    with pytest.raises(TypeError, match="expects a floating point tensor, got int64"):
        fill(np.zeros((3, 3), np.int64))


def test_non_arrays_are_refused():
    with pytest.raises(TypeError, match="fastnn Tensor or numpy array, got list"):
        init.normal_([[0.0, 0.0]])


def test_zero_element_kaiming_warns_like_torch(torch):
    for lib_init, zeros in ((torch.nn.init, torch.zeros), (init, np.zeros)):
        for fill in (lib_init.kaiming_uniform_, lib_init.kaiming_normal_):
            with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
                fill(zeros((0, 4)))


@pytest.mark.parametrize("name", ["uniform", "normal", "constant", "eye", "dirac",
                                  "xavier_uniform", "xavier_normal", "kaiming_uniform",
                                  "kaiming_normal", "orthogonal", "sparse"])
def test_deprecated_aliases_warn_like_torch(torch, name):
    assert callable(getattr(torch.nn.init, name))
    args = {"constant": (1.0,), "sparse": (0.1,)}.get(name, ())
    shape = (3, 3, 3) if name == "dirac" else (3, 3)
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of "
                                           f"`nn.init.{name}_`."):
        out = getattr(init, name)(np.zeros(shape), *args)
    assert out.shape == shape


def test_in_place_on_parameters_and_views():
    p = fnn.Parameter(np.zeros((30, 40), np.float32))
    assert init.kaiming_uniform_(p, a=math.sqrt(5)) is p and isinstance(p, fnn.Parameter)
    assert np.abs(p).max() > 0
    base = np.zeros((40, 30))
    view = base.T                                     # non-contiguous
    init.xavier_uniform_(view)
    assert np.abs(base).max() > 0 and (base.T == view).all()
    with pytest.raises(ValueError):
        ro = np.zeros((3, 3))
        ro.flags.writeable = False
        init.normal_(ro)


@pytest.mark.parametrize("fill", [
    lambda x: init.uniform_(x, -1, 1), lambda x: init.normal_(x),
    lambda x: init.trunc_normal_(x), lambda x: init.trunc_normal_(x, 0, 1, 1.5, 3.0),
    init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_,
    init.orthogonal_, lambda x: init.sparse_(x, 0.2)])
def test_manual_seed_makes_fills_reproducible(fill):
    seed = getattr(fastnn, "manual_seed", _random.manual_seed)
    seed(123)
    first = fill(np.zeros((20, 30))).copy()
    seed(123)
    again = fill(np.zeros((20, 30)))
    seed(124)
    other = fill(np.zeros((20, 30)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_explicit_generator_is_used():
    a = init.normal_(np.zeros(10), generator=np.random.default_rng(7))
    b = init.normal_(np.zeros(10), generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.random.default_rng(7).normal(0, 1, 10))


def test_without_torch_uniform_bounds_and_gain():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = init.kaiming_uniform_(np.zeros((500, 400)), a=math.sqrt(5))
    bound = math.sqrt(3.0) * math.sqrt(2.0 / 6.0) / math.sqrt(400)     # = 1 / sqrt(fan_in)
    _check_uniform(x, -bound, bound)
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
