"""Random numbers are torch's: after the same seed, the same calls give torch's values
bit for bit (float32 and float64), interleaved calls keep matching, models initialise
alike, dropout drops the same elements; errors are torch's. The first test pins known
values so the suite means something without torch too."""
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

import fastnn
import fastnn.nn as fnn
import fastnn.nn.functional as F
from fastnn import _sampling
from torch_compare import raises_like

SEEDS = [0, 1, 12345, 2**32 + 7, 2**63 + 5]
SIZES = [0, 1, 2, 15, 16, 17, 31, 100, 1000, 4099]
DTYPES = ["float32", "float64"]


def same(ours, theirs):
    """Bit-equal values (NaN-free here) and the same dtype."""
    theirs = theirs.numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(np.asarray(ours), theirs)


def test_known_values_for_seed_0_without_torch():
    """torch 2.13's values for seed 0 (and mt19937's first words for seed 0)."""
    gen = fastnn.Generator().manual_seed(0)
    assert gen.random32(3).tolist() == [2357136044, 2546248239, 3071714933]
    fastnn.manual_seed(0)
    assert fastnn.rand(3).tolist() == [0.49625658988952637, 0.7682217955589294,
                                       0.08847743272781372]
    fastnn.manual_seed(0)
    assert fastnn.rand(2, dtype=fastnn.float64).tolist() == [0.9700530018065531,
                                                             0.707819864399788]
    fastnn.manual_seed(0)
    assert fastnn.randn(3).tolist() == [1.5409960746765137, -0.293428897857666,
                                        -2.1787893772125244]
    fastnn.manual_seed(0)
    assert fastnn.randn(17).tolist()[-3:] == [0.946298360824585, -0.843676745891571,
                                              0.9318265914916992]
    fastnn.manual_seed(0)
    assert fastnn.randn(16, dtype=fastnn.float64).tolist()[:2] == [-2.310411800234176,
                                                                   -0.3732508612577643]
    fastnn.manual_seed(0)
    assert fastnn.randint(10, (4,)).tolist() == [4, 9, 3, 0]
    fastnn.manual_seed(0)
    assert fastnn.randperm(5).tolist() == [4, 0, 1, 3, 2]
    fastnn.manual_seed(0)
    assert fnn.Linear(3, 2).weight.tolist() == [
        [-0.004322517663240433, 0.3097158372402191, -0.4751853346824646],
        [-0.4248946011066437, -0.2223689705133438, 0.15482072532176971]]


def test_unseeded_generator_starts_where_torch_starts(torch):
    assert fastnn.Generator().initial_seed() == torch.Generator().initial_seed()
    same(fastnn.rand(5, generator=fastnn.Generator()),
         torch.rand(5, generator=torch.Generator()))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", DTYPES + ["float16"])
def test_rand_randn_and_fills_match_torch_for_every_size(torch, seed, dtype):
    """Sizes around 16 cover the normal kernel's blocks and its recomputed tail; the small
    ones its scalar path, whose cached second value carries over to the next call."""
    fastnn.manual_seed(seed)
    torch.manual_seed(seed)
    tdtype = getattr(torch, dtype)
    for n in SIZES:
        same(fastnn.rand(n, dtype=dtype), torch.rand(n, dtype=tdtype))
        same(fastnn.randn(n, dtype=dtype), torch.randn(n, dtype=tdtype))
        same(fastnn.empty(n, dtype=dtype).normal_(0.25, 3.5),
             torch.empty(n, dtype=tdtype).normal_(0.25, 3.5))
        same(fastnn.empty(n, dtype=dtype).uniform_(-2.5, 7),
             torch.empty(n, dtype=tdtype).uniform_(-2.5, 7))
        same(fastnn.randn(3, dtype=dtype), torch.randn(3, dtype=tdtype))


@pytest.mark.parametrize("dtype", DTYPES + ["float16"])
def test_uniform_never_returns_its_upper_bound(torch, dtype):
    """A value rounded up to `to` becomes `from`, as torch clamps it."""
    tdtype = getattr(torch, dtype)
    step = float(np.finfo(dtype).eps)
    fastnn.manual_seed(0)
    torch.manual_seed(0)
    ours = fastnn.empty(1000, dtype=dtype).uniform_(1, 1 + step)
    same(ours, torch.empty(1000, dtype=tdtype).uniform_(1, 1 + step))
    assert (ours == 1).all()


def test_large_draws_match_torch(torch):
    fastnn.manual_seed(3)
    torch.manual_seed(3)
    same(fastnn.randn(64, 3, 7, 7), torch.randn(64, 3, 7, 7))
    same(fastnn.rand(200_003, dtype=fastnn.float64), torch.rand(200_003, dtype=torch.float64))
    same(fastnn.empty(100_001).normal_(-1, 0.01), torch.empty(100_001).normal_(-1, 0.01))


def test_interleaved_calls_keep_matching(torch):
    for seed in SEEDS[:3]:
        fastnn.manual_seed(seed)
        torch.manual_seed(seed)
        for _ in range(3):
            same(fastnn.rand(5), torch.rand(5))
            same(fastnn.randn(7, dtype=fastnn.float64), torch.randn(7, dtype=torch.float64))
            same(fastnn.randint(-3, 11, (2, 9)), torch.randint(-3, 11, (2, 9)))
            same(fastnn.randn(33), torch.randn(33))
            same(fastnn.randperm(50), torch.randperm(50))
            same(fastnn.randn(1), torch.randn(1))
            same(fastnn.randint(2**40, (3,)), torch.randint(2**40, (3,)))
            same(fastnn.rand_like(fastnn.zeros(2, 3)), torch.rand_like(torch.zeros(2, 3)))
            same(fastnn.randn_like(fastnn.zeros(20, dtype=fastnn.float64)),
                 torch.randn_like(torch.zeros(20, dtype=torch.float64)))
        assert fastnn.initial_seed() == torch.initial_seed()
        np.testing.assert_array_equal(fastnn.get_rng_state(), torch.get_rng_state().numpy())


def test_non_contiguous_fills_follow_memory_order(torch):
    fastnn.manual_seed(0)
    torch.manual_seed(0)
    for make, tmake in [(lambda: fastnn.zeros(6, 5).T, lambda: torch.zeros(6, 5).T),
                        (lambda: fastnn.zeros(4, 10)[:, ::2], lambda: torch.zeros(4, 10)[:, ::2])]:
        same(make().normal_(), tmake().normal_())
        same(make().uniform_(1, 2), tmake().uniform_(1, 2))
        same(fastnn.rand_like(make()), torch.rand_like(tmake()))
        same(fastnn.randn_like(make()), torch.randn_like(tmake()))


def test_generator_objects_match_torch_and_leave_the_default_alone(torch):
    fastnn.manual_seed(9)
    torch.manual_seed(9)
    gen, tgen = fastnn.Generator().manual_seed(4), torch.Generator().manual_seed(4)
    assert isinstance(gen.manual_seed(4), fastnn.Generator)
    same(fastnn.rand(6, generator=gen), torch.rand(6, generator=tgen))
    same(fastnn.randn(20, generator=gen), torch.randn(20, generator=tgen))
    same(fastnn.randint(5, 9, (4,), generator=gen), torch.randint(5, 9, (4,), generator=tgen))
    same(fastnn.randperm(12, generator=gen), torch.randperm(12, generator=tgen))
    same(fastnn.empty(3).uniform_(generator=gen), torch.empty(3).uniform_(generator=tgen))
    same(fnn.init.normal_(fastnn.empty(18), generator=gen),
         torch.nn.init.normal_(torch.empty(18), generator=tgen))
    same(fastnn.rand(2), torch.rand(2))     # the default generators never moved
    np.testing.assert_array_equal(gen.get_state(), tgen.get_state().numpy())


def test_rng_state_round_trips_and_reads_torch_states(torch):
    torch.manual_seed(11)
    torch.randn(5)                  # leaves a cached normal in the state
    torch.rand(700)                 # and moves past a twist
    fastnn.set_rng_state(torch.get_rng_state().numpy())
    same(fastnn.randn(3), torch.randn(3))
    state = fastnn.get_rng_state()
    first = fastnn.rand(4)
    fastnn.set_rng_state(state)
    np.testing.assert_array_equal(fastnn.rand(4), first)


@pytest.mark.parametrize("low, high", [(0, 10), (-5, 5), (0, 2**28 - 1), (0, 2**28),
                                       (3, 2**31), (-2**40, 2**40), (-2**63, 2**63 - 1)])
@pytest.mark.parametrize("dtype", [None, "int32", "int16", "uint8", "float32", "float64"])
def test_randint_matches_torch(torch, low, high, dtype):
    """Below a range of 2**28 one 32-bit word per value, from there one 64-bit draw; float
    dtypes move the bounds as torch does; out-of-range bounds are torch's errors."""
    tdtype = dtype and getattr(torch, dtype)
    for shape in [(0,), (1,), (3, 17)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # torch's and ours: float range warnings
            fastnn.manual_seed(5)
            torch.manual_seed(5)
            try:
                expected = torch.randint(low, high, shape, dtype=tdtype)
            except RuntimeError:
                raises_like(lambda: torch.randint(low, high, shape, dtype=tdtype),
                            lambda: fastnn.randint(low, high, shape, dtype=dtype))
                continue
            same(fastnn.randint(low, high, shape, dtype=dtype), expected)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 1000, 70_000])
@pytest.mark.parametrize("dtype", [None, "int32", "float32", "float64"])
def test_randperm_matches_torch(torch, n, dtype):
    fastnn.manual_seed(2)
    torch.manual_seed(2)
    tdtype = dtype and getattr(torch, dtype)
    same(fastnn.randperm(n, dtype=dtype), torch.randperm(n, dtype=tdtype))


def test_randint_randperm_arguments_like_torch(torch):
    fastnn.manual_seed(1)
    torch.manual_seed(1)
    same(fastnn.randint(5, size=(2, 2)), torch.randint(5, size=(2, 2)))
    same(fastnn.randint(low=1, high=5, size=(3,)), torch.randint(low=1, high=5, size=(3,)))
    same(fastnn.randint(7, fastnn.Size([2, 3])), torch.randint(7, torch.Size([2, 3])))


@pytest.mark.parametrize("call", [
    lambda m: m.randint(5, 5, (3,)), lambda m: m.randint(6, 5, (3,)),
    lambda m: m.randint(0, (3,)), lambda m: m.randint(5, 3),
    lambda m: m.randint("a", (2,)), lambda m: m.randint(5, (-1,)),
    lambda m: m.randint(2**63, (2,)), lambda m: m.randint(2**62, (2,), dtype=m.int32),
    lambda m: m.randint(300, (2,), dtype=m.uint8), lambda m: m.randint(-1, 5, (2,), dtype=m.uint8),
    lambda m: m.randint(5, (2,), dtype=m.bool), lambda m: m.randint(5, (2,), dtype=m.complex64),
    lambda m: m.randperm(-1), lambda m: m.randperm(5.0), lambda m: m.randperm("a"),
    lambda m: m.randperm(5, dtype=m.bool), lambda m: m.randperm(300, dtype=m.uint8),
    lambda m: m.randperm(200, dtype=m.int8), lambda m: m.randperm(3000, dtype=m.float16),
    lambda m: m.randperm(2**24 + 2, dtype=m.float32), lambda m: m.randperm(257, dtype=m.uint8),
])
def test_sampler_errors_match_torch(torch, call):
    raises_like(lambda: call(torch), lambda: call(fastnn))


@pytest.mark.parametrize("call", [
    lambda m: m.randint(1.5, 5, (2,)), lambda m: m.randint(1, 5.5, (2,)),
    lambda m: m.randint(5), lambda m: m.randint(5, 2, 3),
])
def test_randint_invalid_combinations_match_torch_first_line(torch, call):
    first_line = str(pytest.raises(TypeError, call, torch).value).splitlines()[0]
    raises_like(lambda: call(torch), lambda: call(fastnn), first_line)


@pytest.mark.parametrize("seed", [1.5, "3", True, -1, -2**63, 2**64 - 1, 2**64, -2**63 - 1,
                                  None, "abc"])
def test_manual_seed_accepts_and_refuses_what_torch_does(torch, seed):
    try:
        torch.manual_seed(seed)
    except (TypeError, ValueError):
        raises_like(lambda: torch.manual_seed(seed), lambda: fastnn.manual_seed(seed))
        return
    fastnn.manual_seed(seed)
    assert fastnn.initial_seed() == torch.initial_seed()
    same(fastnn.rand(3), torch.rand(3))


@pytest.mark.parametrize("seed", [1.5, "3", True, None, 2**64])
def test_generator_manual_seed_errors_match_torch(torch, seed):
    raises_like(lambda: torch.Generator().manual_seed(seed),
                lambda: fastnn.Generator().manual_seed(seed))


def test_rng_state_errors_match_torch(torch):
    raises_like(lambda: torch.set_rng_state(torch.zeros(10, dtype=torch.uint8)),
                lambda: fastnn.set_rng_state(fastnn.zeros(10, dtype=fastnn.uint8)))
    raises_like(lambda: torch.set_rng_state(torch.zeros(10)),
                lambda: fastnn.set_rng_state(fastnn.zeros(10)))


def test_seed_reseeds_non_deterministically():
    first = fastnn.seed()
    assert fastnn.initial_seed() == first and 0 <= first < 2**64
    assert fastnn.seed() != first


def _lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10, bias=False), nn.Conv1d(3, 4, 3), nn.Conv3d(2, 3, (1, 2, 3)))


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_models_initialise_to_torch_state_dicts(torch, seed):
    fastnn.manual_seed(seed)
    torch.manual_seed(seed)
    ours, theirs = _lenet(fnn).state_dict(), _lenet(torch.nn).state_dict()
    assert list(ours) == list(theirs)
    for name, value in theirs.items():
        same(ours[name], value)


def _init_calls(init):
    return {
        "uniform_": lambda t: init.uniform_(t, -1, 2),
        "normal_": lambda t: init.normal_(t, 0.5, 2),
        "trunc_normal_": lambda t: init.trunc_normal_(t),
        "trunc_normal_std": lambda t: init.trunc_normal_(t, std=0.02),
        "trunc_normal_wide_rejections": lambda t: init.trunc_normal_(t, 0, 1, -0.5, 0.5),
        "trunc_normal_thin": lambda t: init.trunc_normal_(t, 0, 1, 2.5, 4),
        "trunc_normal_far": lambda t: init.trunc_normal_(t, 5, 1, -1, 1),
        "xavier_uniform_": lambda t: init.xavier_uniform_(t, 1.3),
        "xavier_normal_": init.xavier_normal_,
        "kaiming_uniform_": lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)),
        "kaiming_normal_": lambda t: init.kaiming_normal_(t, mode="fan_out",
                                                          nonlinearity="relu"),
        "sparse_": lambda t: init.sparse_(t, 0.3),
    }


@pytest.mark.parametrize("name", list(_init_calls(fnn.init)))
@pytest.mark.parametrize("shape", [(3, 5), (64, 3, 3, 3), (100, 100), (17, 1)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_init_matches_torch(torch, name, shape, dtype):
    if name == "sparse_" and len(shape) != 2:
        return
    for seed in (0, 7):
        fastnn.manual_seed(seed)
        torch.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # trunc_normal_'s far-mean warning
            ours = _init_calls(fnn.init)[name](fastnn.empty(*shape, dtype=dtype))
            theirs = _init_calls(torch.nn.init)[name](
                torch.empty(*shape, dtype=getattr(torch, dtype)))
        same(ours, theirs)
        same(fastnn.rand(2), torch.rand(2))     # and both generators moved alike


@pytest.mark.parametrize("dtype", DTYPES)
def test_orthogonal_draws_torch_normals_and_matches_to_rounding(torch, dtype):
    """Same draws; the QR is numpy's LAPACK, not torch's MKL, so values agree to rounding."""
    tol = {"float32": 1e-5, "float64": 1e-12}[dtype]
    for shape in [(3, 5), (64, 3, 3, 3), (100, 100)]:
        fastnn.manual_seed(0)
        torch.manual_seed(0)
        ours = fnn.init.orthogonal_(fastnn.empty(*shape, dtype=dtype))
        theirs = torch.nn.init.orthogonal_(torch.empty(*shape, dtype=getattr(torch, dtype)))
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=0, atol=tol)
        same(fastnn.rand(2), torch.rand(2))


@pytest.mark.parametrize("name, shape", [
    ("dropout", (1000,)), ("dropout", (4, 5, 6)), ("dropout", ()),
    ("dropout1d", (3, 7)), ("dropout1d", (2, 3, 7)), ("dropout2d", (2, 3, 4, 4)),
    ("dropout2d", (3, 4, 4)), ("dropout3d", (2, 3, 2, 2, 2)), ("dropout3d", (3, 2, 2, 2, 2))])
@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_masks_match_torch(torch, name, shape, dtype):
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # dropout2d's 3-D input warning
        for p in (0.3, 0.5, 0.9):
            fastnn.manual_seed(int(p * 10))
            torch.manual_seed(int(p * 10))
            ours = getattr(F, name)(fastnn.tensor(x), p)
            same(ours, getattr(torch.nn.functional, name)(torch.tensor(x), p))
            ours = getattr(F, name)(fastnn.tensor(x), p, inplace=True)
            same(ours, getattr(torch.nn.functional, name)(torch.tensor(x), p, inplace=True))


def test_dropout_module_and_non_contiguous_input_match_torch(torch):
    x = np.random.default_rng(2).standard_normal((6, 5)).astype(np.float32).T
    fastnn.manual_seed(0)
    torch.manual_seed(0)
    same(F.dropout(x, 0.4), torch.nn.functional.dropout(torch.from_numpy(x), 0.4))
    same(fnn.Dropout(0.2)(fastnn.ones(50)), torch.nn.Dropout(0.2)(torch.ones(50)))


def test_numpy_generators_are_still_accepted():
    """A fastnn extension: a numpy Generator drives the samplers with numpy's streams."""
    for make in (lambda g: fastnn.rand(4, generator=g), lambda g: fastnn.randn(20, generator=g),
                 lambda g: fastnn.randint(9, (5,), generator=g),
                 lambda g: fastnn.randperm(6, generator=g),
                 lambda g: fnn.init.sparse_(fastnn.empty(6, 4), 0.5, generator=g)):
        np.testing.assert_array_equal(make(np.random.default_rng(3)),
                                      make(np.random.default_rng(3)))


def test_fused_multiply_add_rounds_once():
    """The fma kernel against exact rational arithmetic, float64 and float32."""
    rng = np.random.default_rng(0)
    two_roundings_differ = False
    for _ in range(3):
        a, b, c = rng.standard_normal(3) * 10.0 ** rng.integers(-8, 8, size=3)
        a64 = rng.standard_normal(2000) * a
        got = _sampling.fma(a64, b, c)
        want = [float(Fraction(x) * Fraction(b) + Fraction(c)) for x in a64]
        np.testing.assert_array_equal(got, want)
        a32 = a64.astype(np.float32)
        b32, c32 = np.float32(b), np.float32(c)
        got = _sampling.fma(a32, b32, c32)
        want = [_nearest_float32(Fraction(float(x)) * Fraction(float(b32))
                                 + Fraction(float(c32))) for x in a32]
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, np.array(want, np.float32))
        two_roundings_differ |= not np.array_equal(got, a32 * b32 + c32)
    assert two_roundings_differ     # the check can tell one rounding from two


def _nearest_float32(exact):
    """The float32 nearest to the rational `exact`, ties to even."""
    guess = np.float32(float(exact))
    candidates = [np.nextafter(guess, np.float32(-np.inf)), guess,
                  np.nextafter(guess, np.float32(np.inf))]
    return min(candidates, key=lambda f: (abs(Fraction(float(f)) - exact),
                                          int(np.array(f).view(np.int32)) & 1))


def test_concurrent_calls_each_draw_consecutive_words(torch):
    """Threads sharing the default generator: every call's values are one of torch's
    sequential calls, never a mix (the generator's lock covers a whole call)."""
    import threading
    torch.manual_seed(0)
    expected = {tuple(torch.randn(17).tolist()) for _ in range(400)}
    fastnn.manual_seed(0)
    got = []

    def draw():     # 17 elements: two draws per call (the values, then the tail block)
        for _ in range(100):
            got.append(tuple(fastnn.randn(17).tolist()))

    workers = [threading.Thread(target=draw) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(got) == 400 and set(got) == expected


def test_resnet18_example_initialises_to_torch_weights(torch):
    """examples/resnet.py as plain torch and through fastnn: its constructors' default
    initialisation, then its own kaiming_normal_/constant_ pass, give torch's weights."""
    import importlib.util
    import pathlib
    from fastnn import examples
    path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "resnet.py"
    spec = importlib.util.spec_from_file_location("torch_resnet_for_rng_test", path)
    theirs_module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(theirs_module)
    fastnn.manual_seed(0)
    ours = examples.load("resnet").ResNet().state_dict()
    torch.manual_seed(0)
    theirs = theirs_module.ResNet().state_dict()
    assert list(ours) == list(theirs)
    for name, value in theirs.items():
        same(ours[name], value)
