"""fastnn's random samplers (`fastnn._random_sampling`): distributions checked by their
moments and support on large seeded samples; shapes, dtypes, errors (whole messages), edge
cases and autograd compared with torch, which is the oracle wherever it is deterministic."""
import math

import numpy as np
import pytest

import fastnn

N = 200_000


def _mean_close(sample, mean, var, sigmas=5.0):
    sample = np.asarray(sample, np.float64)
    assert abs(sample.mean() - mean) < sigmas * math.sqrt(var / sample.size)


def _values(sample):
    return set(np.unique(np.asarray(sample)).tolist())


def _var_close(sample, var, rel=0.03):
    assert np.var(np.asarray(sample, np.float64)) == pytest.approx(var, rel=rel)


def _message(call):
    try:
        call()
    except Exception as error:      # noqa: BLE001 -- the type and text are what we compare
        return type(error), str(error)
    return None


def _same_error(torch, fast_call, torch_call):
    expected = _message(torch_call)
    assert expected is not None
    assert _message(fast_call) == expected


# ------------------------------------------------------------------ distributions

def test_bernoulli_distributions():
    fastnn.manual_seed(0)
    p = fastnn.full((N,), 0.3)
    sample = fastnn.bernoulli(p)
    assert sample.dtype == np.float32 and _values((sample)) <= {0.0, 1.0}
    _mean_close(sample, 0.3, 0.21)
    _mean_close(fastnn.zeros(N, dtype=fastnn.float64).bernoulli_(0.7), 0.7, 0.21)
    _mean_close(fastnn.bernoulli(fastnn.zeros(N), 0.1), 0.1, 0.09)
    probs = fastnn.rand(1000)
    draws = np.stack([fastnn.bernoulli(probs) for _ in range(400)])
    assert np.abs(draws.mean(0) - probs).max() < 0.13


def test_exponential_geometric_log_normal_cauchy():
    fastnn.manual_seed(1)
    _mean_close(fastnn.empty(N).exponential_(2.0), 0.5, 0.25)
    _var_close(fastnn.empty(N, dtype=fastnn.float64).exponential_(), 1.0)
    geo = fastnn.empty(N).geometric_(0.25)
    assert geo.min() >= 1 and np.all(geo == np.round(geo))
    _mean_close(geo, 4.0, 0.75 / 0.0625)
    geo_int = fastnn.zeros(N, dtype=fastnn.int32).geometric_(0.9)
    assert geo_int.dtype == np.int32 and geo_int.min() == 1
    log_normal = fastnn.empty(N, dtype=fastnn.float64).log_normal_(0.5, 0.25)
    assert log_normal.min() > 0
    _mean_close(np.log(log_normal), 0.5, 0.0625)
    _var_close(np.log(log_normal), 0.0625)
    cauchy = fastnn.empty(N).cauchy_(3.0, 2.0)
    # median 3 and quartiles 3 -+ 2 (a Cauchy has no mean)
    assert np.median(cauchy) == pytest.approx(3.0, abs=0.05)
    assert np.percentile(cauchy, 75) - np.percentile(cauchy, 25) == pytest.approx(4.0, rel=0.03)


def test_random_default_ranges_per_dtype():
    fastnn.manual_seed(2)
    for dtype, top in ((fastnn.float32, 2**24), (fastnn.float64, 2**53),
                       (fastnn.float16, 2**11), (fastnn.int8, 127), (fastnn.uint8, 255),
                       (fastnn.int32, 2**31 - 1), (fastnn.int64, 2**63 - 1)):
        sample = fastnn.zeros(N, dtype=dtype).random_()
        assert sample.dtype == np.dtype(dtype)
        assert sample.min() >= 0 and float(sample.max()) <= top
        assert float(sample.max()) > 0.9 * top
    flags = fastnn.zeros(N, dtype=fastnn.bool).random_()
    _mean_close(flags, 0.5, 0.25)
    sample = fastnn.zeros(N).random_(-3, 7)
    assert _values((sample)) == set(range(-3, 7))
    _mean_close(sample, 1.5, (100 - 1) / 12)
    assert _values((fastnn.zeros(N, dtype=fastnn.int64).random_(5))) == set(range(5))
    assert fastnn.zeros(N, dtype=fastnn.int8).random_(100, None).min() >= 100
    assert _values((fastnn.zeros(1000).random_(to=2))) == {0.0, 1.0}


def test_multinomial_with_and_without_replacement():
    fastnn.manual_seed(3)
    weights = fastnn.tensor([1.0, 0.0, 3.0, 4.0])
    draws = fastnn.multinomial(weights, N, replacement=True)
    assert draws.dtype == np.int64 and draws.shape == (N,)
    counts = np.bincount(draws, minlength=4) / N
    assert counts[1] == 0
    np.testing.assert_allclose(counts, [0.125, 0.0, 0.375, 0.5], atol=0.006)
    rows = fastnn.tensor([[0.0, 1.0, 1.0, 0.0, 1.0], [5.0, 0.0, 0.0, 1.0, 0.0]])
    for _ in range(200):
        picked = rows.multinomial(2)
        assert picked.shape == (2, 2)
        assert len(set(picked[0].tolist())) == 2 and set(picked[0].tolist()) <= {1, 2, 4}
        assert sorted(picked[1].tolist()) == [0, 3]
    first = np.array([fastnn.multinomial(fastnn.tensor([1.0, 3.0]), 1).item()
                      for _ in range(4000)])
    _mean_close(first, 0.75, 0.1875)
    full = fastnn.multinomial(fastnn.ones(3, 6), 6)
    assert all(sorted(r) == list(range(6)) for r in full.tolist())


def test_poisson_and_normal_overloads():
    fastnn.manual_seed(4)
    rates = fastnn.full((N,), 3.5)
    sample = fastnn.poisson(rates)
    assert sample.dtype == np.float32 and np.all(sample == np.round(sample))
    _mean_close(sample, 3.5, 3.5)
    _var_close(sample, 3.5)
    assert np.all(fastnn.poisson(fastnn.zeros(10, dtype=fastnn.float64)) == 0)
    for sample in (fastnn.normal(fastnn.full((N,), 2.0), fastnn.full((N,), 3.0)),
                   fastnn.normal(fastnn.full((N,), 2.0), 3.0),
                   fastnn.normal(2.0, fastnn.full((N,), 3.0)),
                   fastnn.normal(2.0, 3.0, (N,))):
        assert sample.shape == (N,) and sample.dtype == np.float32
        _mean_close(sample, 2.0, 9.0)
        _var_close(sample, 9.0)


def test_randint_like():
    fastnn.manual_seed(5)
    x = fastnn.zeros(N, dtype=fastnn.float64)
    sample = fastnn.randint_like(x, 3, 9)
    assert sample.dtype == np.float64 and _values((sample)) == set(range(3, 9))
    assert fastnn.randint_like(x, high=4, dtype=fastnn.int32).dtype == np.int32
    assert fastnn.randint_like(fastnn.zeros(2, 3), 10, requires_grad=True).requires_grad


# ------------------------------------------------------------------ reproducibility

SAMPLERS = {
    "bernoulli": lambda g: fastnn.bernoulli(fastnn.full((64,), 0.5), generator=g),
    "bernoulli_": lambda g: fastnn.zeros(64).bernoulli_(0.5, generator=g),
    "exponential_": lambda g: fastnn.zeros(64).exponential_(generator=g),
    "random_": lambda g: fastnn.zeros(64).random_(generator=g),
    "geometric_": lambda g: fastnn.zeros(64).geometric_(0.3, generator=g),
    "log_normal_": lambda g: fastnn.zeros(64).log_normal_(generator=g),
    "cauchy_": lambda g: fastnn.zeros(64).cauchy_(generator=g),
    "multinomial": lambda g: fastnn.multinomial(fastnn.ones(64), 32, generator=g),
    "poisson": lambda g: fastnn.poisson(fastnn.full((64,), 5.0), generator=g),
    "normal": lambda g: fastnn.normal(fastnn.zeros(64), fastnn.ones(64), generator=g),
    "randint_like": lambda g: fastnn.randint_like(fastnn.zeros(64), 1000, generator=g),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_seeds_reproduce_and_generators_are_independent(name):
    sample = SAMPLERS[name]
    fastnn.manual_seed(10)
    first = np.array(sample(None))
    fastnn.manual_seed(10)
    np.testing.assert_array_equal(sample(None), first)
    fastnn.manual_seed(11)
    assert not np.array_equal(sample(None), first)
    # a generator= draws its own stream and leaves the default generator's untouched
    fastnn.manual_seed(10)
    state = fastnn.get_rng_state()
    own = np.array(sample(fastnn.Generator().manual_seed(10)))
    np.testing.assert_array_equal(fastnn.get_rng_state(), state)
    np.testing.assert_array_equal(sample(fastnn.Generator().manual_seed(10)), own)
    np.testing.assert_array_equal(sample(None), first)


def test_normal_equals_torch_after_the_same_seed(torch):
    # normal draws through normal_ (torch's values) and scales as torch's normal does
    for args in ((np.zeros(40, np.float32), np.full(40, 2.0, np.float32)),
                 (np.zeros(40, np.float32), 3.0), (1.0, np.full(40, 2.0, np.float32))):
        torch.manual_seed(0)
        expected = torch.normal(*[torch.from_numpy(a) if isinstance(a, np.ndarray) else a
                                  for a in args])
        fastnn.manual_seed(0)
        np.testing.assert_array_equal(fastnn.normal(*args), expected.numpy())
    torch.manual_seed(0)
    fastnn.manual_seed(0)
    np.testing.assert_array_equal(fastnn.normal(1.0, 2.0, (5, 7)),
                                  torch.normal(1.0, 2.0, (5, 7)).numpy())


# ------------------------------------------------------------------ against torch

def _both(torch):
    """(fastnn, torch) namespaces and a converter of numpy inputs for each."""
    return ((fastnn, fastnn.from_numpy), (torch, torch.from_numpy))


SHAPE_CASES = [
    lambda m, t: m.bernoulli(t(np.full((3, 4), 0.5, np.float32))),
    lambda m, t: m.bernoulli(t(np.zeros((2, 3), np.float16))),
    lambda m, t: m.bernoulli(t(np.zeros(3, np.int64)), 0.3),
    lambda m, t: m.bernoulli(t(np.zeros(3, np.bool_)), 0.5),
    lambda m, t: t(np.zeros(3, np.float64)).bernoulli(p=0.2),
    lambda m, t: m.multinomial(t(np.ones(5, np.float32)), 3),
    lambda m, t: m.multinomial(t(np.ones((2, 5), np.float64)), 7, True),
    lambda m, t: m.multinomial(t(np.ones((0, 3), np.float32)), 2),
    lambda m, t: m.multinomial(t(np.ones(3, np.float16)), 2),
    lambda m, t: m.normal(t(np.zeros((2, 3), np.float32)), t(np.ones(3, np.float32))),
    lambda m, t: m.normal(t(np.zeros(3, np.float32)), t(np.ones(3, np.float64))),
    lambda m, t: m.normal(t(np.zeros(3, np.float64)), 1.0),
    lambda m, t: m.normal(0.0, t(np.ones((2, 2), np.float64))),
    lambda m, t: m.normal(2, 3, size=(2,)),
    lambda m, t: m.normal(0.0, 1.0, (2, 3), dtype=m.float64),
    lambda m, t: m.poisson(t(np.ones((2, 2), np.float64))),
    lambda m, t: m.randint_like(t(np.zeros((3, 4), np.float32)), 10),
    lambda m, t: m.randint_like(t(np.zeros(3, np.int64)), 2, 10),
    lambda m, t: m.randint_like(t(np.zeros(3, np.float32)), low=2, high=10, dtype=m.int32),
    lambda m, t: m.randint_like(t(np.zeros(3, np.bool_)), 2),
    lambda m, t: t(np.zeros(3, np.int64)).bernoulli_(0.3),
    lambda m, t: t(np.zeros((2, 3), np.float32)).bernoulli_(t(np.full(3, 0.5, np.float32))),
    lambda m, t: t(np.zeros(3, np.int32)).geometric_(0.5),
    lambda m, t: t(np.zeros(3, np.float16)).random_(),
    lambda m, t: t(np.zeros(3, np.int8)).random_(3, None),
    lambda m, t: t(np.zeros(3, np.float32)).random_(1, to=5),
]


@pytest.mark.parametrize("case", range(len(SHAPE_CASES)))
def test_shapes_and_dtypes_match_torch(torch, case):
    (m, to_fast), (t, to_torch) = _both(torch)
    ours, theirs = SHAPE_CASES[case](m, to_fast), SHAPE_CASES[case](t, to_torch)
    assert isinstance(ours, fastnn.Tensor)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert not ours.requires_grad


def test_edge_cases_match_torch(torch):
    p = np.array([[0.0, 1.0, 1.0, 0.0]] * 50, np.float32)
    np.testing.assert_array_equal(fastnn.bernoulli(p), torch.bernoulli(torch.from_numpy(p)))
    assert fastnn.zeros(100).bernoulli_(1.0).min() == 1
    assert fastnn.ones(100).bernoulli_(0.0).max() == 0
    assert fastnn.bernoulli(fastnn.zeros(100, dtype=fastnn.int64), 1.0).min() == 1
    assert np.all(fastnn.zeros(8).random_(4, 5) == 4)
    assert fastnn.multinomial(fastnn.tensor([0.0, 2.0, 0.0]), 1).item() == 1


ERROR_CASES = [
    lambda m, t: m.bernoulli(t(np.ones(3, np.int64))),
    lambda m, t: m.bernoulli(t(np.ones(3, np.bool_))),
    lambda m, t: m.bernoulli(t(np.full(3, 2.0, np.float32))),
    lambda m, t: m.bernoulli(t(np.full(3, -0.5, np.float32))),
    lambda m, t: m.bernoulli(t(np.full(3, np.nan, np.float32))),
    lambda m, t: m.bernoulli(t(np.ones(3, np.float32)), 2.0),
    lambda m, t: m.bernoulli(t(np.ones(3, np.float32)), p=-0.1),
    lambda m, t: m.bernoulli(t(np.ones(3, np.float32)), 0.5,
                             out=t(np.ones(3, np.float32))),
    lambda m, t: m.multinomial(t(np.array([1.0, 2, 3], np.float32)), 4),
    lambda m, t: m.multinomial(t(np.array([-1.0, 2, 3], np.float32)), 2),
    lambda m, t: m.multinomial(t(np.array([np.inf, 2, 3], np.float32)), 2),
    lambda m, t: m.multinomial(t(np.array([np.nan, 2, 3], np.float32)), 2),
    lambda m, t: m.multinomial(t(np.zeros(3, np.float32)), 2),
    lambda m, t: m.multinomial(t(np.array([[0.0, 0, 0], [1, 1, 1]], np.float32)), 2, True),
    lambda m, t: m.multinomial(t(np.ones((2, 2, 2), np.float32)), 1),
    lambda m, t: m.multinomial(t(np.array(1.0, np.float32)), 1),
    lambda m, t: m.multinomial(t(np.ones(3, np.float32)), 0),
    lambda m, t: m.multinomial(t(np.ones(3, np.float32)), -1),
    lambda m, t: m.multinomial(t(np.ones(3, np.int64)), 1),
    lambda m, t: m.multinomial(t(np.ones(0, np.float32)), 1),
    lambda m, t: m.multinomial(t(np.ones(3, np.float32)), 1.5),
    lambda m, t: m.normal(t(np.zeros(3, np.float32)), -1.0),
    lambda m, t: m.normal(0.0, t(-np.ones(3, np.float32))),
    lambda m, t: m.normal(t(np.zeros(3, np.float32)), t(-np.ones(3, np.float32))),
    lambda m, t: m.normal(0.0, -1.0, (2, 3)),
    lambda m, t: m.normal(t(np.zeros((2, 3), np.float32)), t(np.ones(4, np.float32))),
    lambda m, t: m.normal(t(np.zeros(6, np.float32)), t(np.ones((2, 3), np.float32))),
    lambda m, t: m.normal(t(np.zeros(3, np.int64)), 1.0),
    lambda m, t: m.normal(0.0, t(np.ones(3, np.int64))),
    lambda m, t: m.normal(0, 1),
    lambda m, t: m.poisson(t(-np.ones(3, np.float32))),
    lambda m, t: m.poisson(t(np.ones(3, np.int64))),
    lambda m, t: m.randint_like(t(np.zeros(3, np.float32)), 10, 2),
    lambda m, t: m.randint_like(t(np.zeros(3, np.bool_)), 3),
    lambda m, t: m.randint_like(t(np.zeros(3, np.float32))),
    lambda m, t: t(np.zeros(3, np.float32)).bernoulli_(1.5),
    lambda m, t: t(np.zeros(3, np.float32)).bernoulli_(t(np.full(2, 0.5, np.float32))),
    lambda m, t: t(np.zeros(3, np.float32)).bernoulli_(t(np.full((1, 3), 0.5, np.float32))),
    lambda m, t: t(np.zeros(3, np.float32)).bernoulli_(t(np.full(3, 2.0, np.float32))),
    lambda m, t: t(np.zeros(3, np.float32)).exponential_(0),
    lambda m, t: t(np.zeros(3, np.float32)).exponential_(-1),
    lambda m, t: t(np.zeros(3, np.int64)).exponential_(),
    lambda m, t: t(np.zeros(3, np.float32)).random_(5, 2),
    lambda m, t: t(np.zeros(3, np.int64)).random_(-3),
    lambda m, t: t(np.zeros(3, np.uint8)).random_(300),
    lambda m, t: t(np.zeros(3, np.uint8)).random_(-1, 3),
    lambda m, t: t(np.zeros(3, np.float32)).random_(from_=1),
    lambda m, t: t(np.zeros(3, np.float32)).geometric_(0),
    lambda m, t: t(np.zeros(3, np.float32)).geometric_(1),
    lambda m, t: t(np.zeros(3, np.float32)).geometric_(1.5),
    lambda m, t: t(np.zeros(3, np.float32)).geometric_(-0.2),
    lambda m, t: t(np.zeros(3, np.bool_)).geometric_(0.5),
    lambda m, t: t(np.zeros(3, np.float32)).log_normal_(0, 0),
    lambda m, t: t(np.zeros(3, np.float32)).log_normal_(0, -1),
    lambda m, t: t(np.zeros(3, np.int64)).log_normal_(),
    lambda m, t: t(np.zeros(3, np.float32)).cauchy_(0, 0),
    lambda m, t: t(np.zeros(3, np.float32)).cauchy_(0, -1.5),
    lambda m, t: t(np.zeros(3, np.int64)).cauchy_(),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors_match_torch(torch, case):
    (m, to_fast), (t, to_torch) = _both(torch)
    _same_error(torch, lambda: ERROR_CASES[case](m, to_fast),
                lambda: ERROR_CASES[case](t, to_torch))


IN_PLACE = ["bernoulli_()", "exponential_()", "random_()", "geometric_(0.5)",
            "log_normal_()", "cauchy_()", "bernoulli_(x.detach() * 0 + 0.5)"]


@pytest.mark.parametrize("call", IN_PLACE)
def test_in_place_on_a_leaf_requiring_grad_is_refused_as_torch_does(torch, call):
    for target in ("x", "x[:2]"):
        x = fastnn.rand(3, requires_grad=True)
        ours = _message(lambda: eval(f"{target}.{call}"))
        x = torch.rand(3, requires_grad=True)       # noqa: F841 -- read by eval
        assert ours == _message(lambda: eval(f"{target}.{call}"))
        assert ours is not None


def test_gradients_follow_torch(torch):
    """torch records a zero-gradient node for bernoulli(input), poisson, normal and the
    in-place samplers on a non-leaf; bernoulli(input, p)'s backward raises;
    multinomial and randint_like never require grad."""
    for lib in (fastnn, torch):
        x = lib.rand(3, requires_grad=True)
        for y in (lib.bernoulli(x), lib.poisson(x), lib.normal(x, 2.0),
                  lib.normal(0.0, x + 1), lib.normal(x, x + 1)):
            assert y.requires_grad
            (grad,) = lib.autograd.grad(y.sum(), x)
            assert np.all(np.asarray(grad) == 0)
        assert not lib.multinomial(x, 2).requires_grad
        assert not lib.randint_like(x, 5).requires_grad
        y = lib.bernoulli(x, 0.5)
        assert y.requires_grad
        with pytest.raises(RuntimeError, match="derivative for aten::bernoulli is not"):
            y.sum().backward()
        y = x * 1
        y.exponential_()
        y.sum().backward()
        assert np.all(np.asarray(x.grad) == 0)


def test_out_arguments():
    out = fastnn.empty(4)
    assert fastnn.bernoulli(fastnn.full((4,), 1.0), out=out) is out and out.min() == 1
    out = fastnn.empty(3, dtype=fastnn.int64)
    assert fastnn.multinomial(fastnn.ones(5), 3, out=out) is out
    out = fastnn.empty(2, 2)
    assert fastnn.normal(0.0, 1.0, (2, 2), out=out) is out
    assert fastnn.normal(fastnn.zeros(2, 2), 1.0, out=out) is out


def test_samplers_record_their_op():
    x = fastnn.full((3, 4), 0.5)
    with fastnn.ops.record() as calls:
        fastnn.bernoulli(x), x.bernoulli_(0.5), x.exponential_(), x.multinomial(2)
        fastnn.randint_like(x, 3), fastnn.normal(0.0, 1.0, (2,))
    assert [c.op for c in calls] == ["bernoulli", "bernoulli_", "exponential_", "multinomial"]
