"""BatchNorm (functional and modules) against torch, plus numpy-formula checks."""
import math
import re

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from torch_compare import assert_like_torch

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}
SHAPES = [(4, 3), (5, 3, 7), (2, 3, 4, 5), (3, 2, 2, 3, 4)]


def tt(torch, x):
    return None if x is None else torch.from_numpy(np.array(x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_functional_sweep_matches_torch(torch, rng, dtype, shape, training):
    channels = shape[1]
    for affine, stats, momentum, eps in [(True, True, 0.1, 1e-5), (False, True, 0.5, 1e-3),
                                         (True, False, 0.1, 1e-5), (False, False, 0.0, 0.5)]:
        if not training and not stats:
            continue
        x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
        w = rng.standard_normal(channels).astype(dtype) if affine else None
        b = rng.standard_normal(channels).astype(dtype) if affine else None
        rm = rng.standard_normal(channels).astype(dtype) if stats else None
        rv = (rng.random(channels) + 0.5).astype(dtype) if stats else None
        trm, trv = tt(torch, rm), tt(torch, rv)
        out = F.batch_norm(x, rm, rv, w, b, training, momentum, eps)
        expected = torch.nn.functional.batch_norm(tt(torch, x), trm, trv, tt(torch, w),
                                                  tt(torch, b), training, momentum, eps)
        assert isinstance(out, fastnn.Tensor) and out.dtype == dtype
        np.testing.assert_allclose(out, expected.numpy(), **TOL[dtype])
        if stats:
            np.testing.assert_allclose(rm, trm.numpy(), **TOL[dtype])
            np.testing.assert_allclose(rv, trv.numpy(), **TOL[dtype])


def test_functional_updates_torch_tensors_and_leaves_input_alone(torch, rng):
    x = rng.standard_normal((6, 3, 5)).astype(np.float32)
    before = x.copy()
    rm, rv = torch.zeros(3), torch.ones(3)
    F.batch_norm(x, rm, rv, training=True, momentum=0.25)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(rm.numpy(), 0.25 * x.mean(axis=(0, 2)), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(rv.numpy(), 0.75 + 0.25 * x.var(axis=(0, 2), ddof=1), rtol=1e-5)


@pytest.mark.parametrize("layout", ["fortran", "byteswapped", "strided", "readonly"])
def test_unusual_layouts(rng, layout):
    x = rng.standard_normal((4, 3, 5, 6))
    expected = F.batch_norm(x, np.zeros(3), np.ones(3), training=True)
    if layout == "fortran":
        arg = np.asfortranarray(x)
    elif layout == "byteswapped":
        arg = x.astype(x.dtype.newbyteorder(">"))
    elif layout == "strided":
        big = np.zeros((4, 6, 5, 12))
        big[:, ::2, :, ::2] = x
        arg = big[:, ::2, :, ::2]
    else:
        arg = x.copy()
        arg.flags.writeable = False
    np.testing.assert_allclose(F.batch_norm(arg, np.zeros(3), np.ones(3), training=True),
                               expected, rtol=1e-13, atol=1e-13)


def test_special_values_follow_torch(torch):
    x = np.array([[1.0, np.nan, np.inf], [2.0, 3.0, 1.0], [0.5, 1.0, 2.0]], np.float32)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    trm, trv = torch.zeros(3), torch.ones(3)
    out = F.batch_norm(x, rm, rv, training=True)
    expected = torch.nn.functional.batch_norm(torch.from_numpy(x), trm, trv, training=True)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(rm, trm.numpy(), rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(rv, trv.numpy(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("threads", [1, 64])
def test_special_values_on_planes_follow_torch(torch, monkeypatch, threads):
    """NaN and inf in some channels of an input with planes make those channels' outputs
    and statistics NaN, as in torch, and leave the others alone: on the one-pass kernel
    (channels >= threads) and on the two-pass statistics (fewer)."""
    from fastnn.nn.functional import _normalization
    monkeypatch.setattr(_normalization, "get_num_threads", lambda: threads)
    x = np.random.default_rng(3).standard_normal((3, 4, 5, 6)).astype(np.float32)
    x[0, 0, 0, 0] = np.nan              # a channel's first element: the one-pass shift
    x[2, 1, 3, 2] = np.inf
    x[1, 2, 4, 5] = -np.inf
    rm, rv = np.zeros(4, np.float32), np.ones(4, np.float32)
    trm, trv = torch.zeros(4), torch.ones(4)
    out = F.batch_norm(x, rm, rv, training=True)
    expected = torch.nn.functional.batch_norm(torch.from_numpy(x), trm, trv, training=True)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=1e-5, equal_nan=True)
    np.testing.assert_allclose(rm, trm.numpy(), rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(rv, trv.numpy(), rtol=1e-6, equal_nan=True)
    assert np.isfinite(np.asarray(out)[:, 3]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_pass_and_two_pass_statistics_against_numpy(rng, monkeypatch, dtype):
    """Training batch norm on planes of 1-300 positions (a channel's rows shorter and
    longer than the one-pass kernel's blocks), 1-6 channels and large means, by either
    route, against float64 numpy formulas; the two routes agree."""
    from fastnn.nn.functional import _normalization
    # float32 outputs x * scale + shift of inputs near 1e3 carry the rounding of x * scale
    # (about 500: 3e-5 per ulp), as torch's do; the statistics are held tight
    tol = TOL[dtype] if dtype == np.float64 else dict(rtol=1e-4, atol=5e-4)
    stats = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-6, atol=1e-6)
    for shape in [(2, 1, 3), (5, 6, 1, 1), (3, 2, 300), (4, 5, 7, 7), (2, 3, 2, 3, 4)]:
        x = (rng.standard_normal(shape) * 2 + rng.choice([0, 1e3], shape[1])[
            :, None].reshape((1, shape[1]) + (1,) * (len(shape) - 2))).astype(dtype)
        w = rng.standard_normal(shape[1]).astype(dtype)
        b = rng.standard_normal(shape[1]).astype(dtype)
        axes = (0,) + tuple(range(2, len(shape)))
        wide = x.astype(np.float64)
        mean, var = wide.mean(axis=axes), wide.var(axis=axes)
        view = (1, -1) + (1,) * (len(shape) - 2)
        ref = ((wide - mean.reshape(view)) / np.sqrt(var.reshape(view) + 1e-5)
               * w.reshape(view) + b.reshape(view))
        results = []
        for threads in (1, 64):
            monkeypatch.setattr(_normalization, "get_num_threads", lambda: threads)
            rm, rv = np.zeros(shape[1], dtype), np.ones(shape[1], dtype)
            out = np.asarray(F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3))
            np.testing.assert_allclose(out, ref, **tol)
            np.testing.assert_allclose(rm, 0.3 * mean, **stats)
            np.testing.assert_allclose(rv, 0.7 + 0.3 * wide.var(axis=axes, ddof=1), **stats)
            results.append(out)
        np.testing.assert_allclose(results[0], results[1], **tol)


def test_empty_batch_returns_empty_and_keeps_statistics(torch):
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    out = F.batch_norm(np.ones((0, 3, 2), np.float32), rm, rv, training=True)
    assert out.shape == (0, 3, 2)
    np.testing.assert_array_equal(rm, 0)
    bn, tbn = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    bn(np.ones((0, 3), np.float32))
    tbn(torch.ones(0, 3))
    assert int(bn.num_batches_tracked) == int(tbn.num_batches_tracked) == 1


def _raises_like_torch(torch, ours, theirs):
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(type(expected.value), match=f"^{re.escape(str(expected.value))}$"):
        ours()


def test_functional_errors_match_torch(torch):
    f32, f64 = np.float32, np.float64
    cases = [
        # (input shape, input dtype, running_mean, running_var, weight, bias, training, kw)
        ((1, 3), f32, (3, f32), (3, f32), None, None, True, {}),
        ((1, 3, 1, 1), f32, (3, f32), (3, f32), None, None, True, {}),
        ((2, 3), f32, None, None, None, None, False, {}),
        ((2, 3), f32, (3, f32), None, None, None, False, {}),
        ((2, 3), f32, (3, f32), None, None, None, True, {}),
        ((2, 3), f32, (4, f32), (4, f32), None, None, False, {}),
        ((2, 3), f32, (3, f32), (4, f32), None, None, True, {}),
        ((2, 3), f32, (3, f32), (3, f32), (4, f32), None, False, {}),
        ((2, 3), f32, (3, f32), (3, f32), None, (2, f32), False, {}),
        ((2, 3), f32, None, None, (4, f32), None, True, {}),
        ((3,), f32, (3, f32), (3, f32), None, None, False, {}),
        ((2, 3), f32, (3, f32), (3, f32), None, None, True, {"eps": 0.0}),
        ((2, 3), f32, (3, f32), (3, f32), None, None, False, {"eps": -1.0}),
        ((2, 3), f32, (3, f32), (3, f32), None, None, True, {"momentum": None}),
        ((2, 3), f32, (3, f64), (3, f64), None, None, False, {}),
        ((2, 3), f32, (3, f32), (3, f32), (3, f64), None, True, {}),
        ((2, 3), f64, (3, f32), (3, f32), None, None, False, {}),
        ((2, 3), f64, None, None, (3, f32), (3, f32), True, {}),
    ]
    # torch's mixed-dtype messages depend on which tensor differs in ways beyond the two
    # rules fastnn follows (float32 input: "expect parameter...", float64: "all inputs...");
    # the cases above are those where torch's words agree with the rules.
    for shape, dtype, *tensors, training, kw in cases:
        x = np.ones(shape, dtype)
        x.reshape(-1)[::2] = 2
        arrays = [None if t is None else np.ones(t[0], t[1]) for t in tensors]

        def ours():
            return F.batch_norm(x, *arrays, training=training, **kw)

        def theirs():
            return torch.nn.functional.batch_norm(
                torch.from_numpy(x), *[tt(torch, a) for a in arrays], training=training, **kw)

        _raises_like_torch(torch, ours, theirs)
    with pytest.raises(TypeError, match="int64"):
        F.batch_norm(np.ones((2, 3), np.int64), np.zeros(3), np.ones(3))


def test_functional_argument_types_like_torch(torch):
    """`training` must be a real bool and `momentum`/`eps` floats (torch's parser, after
    its Python checks on truthiness and on eps's sign); momentum='2' is refused in eval
    mode too, where it is not used."""
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    odd = [None, "2", 1, 0, True, np.True_, np.float32(0.5), np.array(0.5), math.nan, 1 + 0j,
           2**70, 1e300, [0.5], -1e-5, 0.0, math.inf]
    pairs = [(v, v) for v in odd] + [(fastnn.tensor(0.5), torch.tensor(0.5)),
                                     (fastnn.tensor([0.5]), torch.tensor([0.5]))]
    for training in (True, False):
        for name in ("training", "momentum", "eps"):
            for ours, theirs in pairs:
                if name == "training" and ours in (True, False) and type(ours) is bool:
                    continue
                kw = {"training": training, name: ours}
                tkw = {"training": training, name: theirs}
                stats = [np.zeros(3, np.float32), np.ones(3, np.float32)]
                assert_like_torch(
                    lambda: F.batch_norm(x, *stats, **kw),
                    lambda: torch.nn.functional.batch_norm(
                        torch.from_numpy(x), *[tt(torch, a) for a in stats], **tkw),
                    rtol=1e-6, atol=1e-6)


def test_empty_input_checks_only_weight_and_bias_like_torch(torch):
    """torch returns ``input.clone() * weight[0] + bias[0]`` for an empty input before any
    other check: an empty or 0-d weight/bias is its IndexError, nothing else is checked."""
    f32 = np.float32
    params = [None, np.zeros(0, f32), np.zeros((0, 3), f32), np.ones((), f32),
              np.ones(3, f32), np.ones(5, f32)]
    for shape in [(0,) * 5, (0,) * 4, (0, 3), (0, 3, 2), (2, 0), (2, 3, 0), (0, 1, 0, 0, 0)]:
        x = np.zeros(shape, f32)
        for weight in params:
            for bias in params:
                for training in (False, True):
                    assert_like_torch(
                        lambda: F.batch_norm(x, None, None, weight, bias, training),
                        lambda: torch.nn.functional.batch_norm(
                            tt(torch, x), None, None, tt(torch, weight), tt(torch, bias),
                            training),
                        rtol=1e-6, atol=1e-6)
    out = F.batch_norm(np.zeros((0, 3), ">f4"), None, None)
    assert out.shape == (0, 3) and out.dtype == np.float32


@pytest.mark.parametrize("num_features", [None, "2", -1, 2.0, True, np.int64(3), (2,), [2],
                                          0, np.array(2)])
def test_module_takes_num_features_as_torch_does(torch, num_features):
    """torch stores num_features as given and only torch.empty/zeros check it, so a layer
    with neither affine parameters nor running statistics takes anything."""
    for affine in (True, False):
        for track in (True, False):
            for cls in ("BatchNorm1d", "BatchNorm3d"):
                try:
                    theirs = getattr(torch.nn, cls)(num_features, affine=affine,
                                                    track_running_stats=track)
                except Exception as error:
                    with pytest.raises(type(error), match=f"^{re.escape(str(error))}$"):
                        getattr(nn, cls)(num_features, affine=affine,
                                         track_running_stats=track)
                    continue
                ours = getattr(nn, cls)(num_features, affine=affine, track_running_stats=track)
                assert repr(ours) == repr(theirs)
                assert [(n, tuple(t.shape)) for n, t in ours.state_dict().items()] == \
                       [(n, tuple(t.shape)) for n, t in theirs.state_dict().items()]


@pytest.mark.parametrize("num_features, message", [
    (2**36, "^DefaultCPUAllocator: can't allocate memory: you tried to allocate "
            "274877906944 bytes. Error code 12 \\(Cannot allocate memory\\)$"),
    (2**62, "^Storage size calculation overflowed with sizes=\\[4611686018427387904\\]$")])
def test_module_refuses_absurd_sizes_before_allocating(num_features, message):
    """torch's messages (not run through torch: with overcommit it might really allocate)."""
    for kwargs in ({}, {"affine": False}, {"track_running_stats": False}):
        with pytest.raises(RuntimeError, match=message):
            nn.BatchNorm2d(num_features, **kwargs)
    assert nn.BatchNorm2d(2**36, affine=False, track_running_stats=False).num_features == 2**36


@pytest.mark.parametrize("cls, shapes", [
    ("BatchNorm1d", [(6, 4), (3, 4, 5), (9, 4, 2)]),
    ("BatchNorm2d", [(5, 4, 3, 3), (2, 4, 6, 5), (7, 4, 1, 2)]),
    ("BatchNorm3d", [(2, 4, 2, 3, 3), (3, 4, 1, 2, 5)]),
])
@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"affine": False, "eps": 1e-3},
                                    {"track_running_stats": False}, {"bias": False},
                                    {"dtype": np.float64, "momentum": 0.3}])
def test_modules_train_then_eval_match_torch(torch, rng, cls, shapes, kwargs):
    dtype = kwargs.get("dtype", np.float32)
    theirs_kwargs = dict(kwargs, dtype=torch.float64) if "dtype" in kwargs else kwargs
    ours, theirs = getattr(nn, cls)(4, **kwargs), getattr(torch.nn, cls)(4, **theirs_kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name in ("weight", "bias"):                  # give the affine parameters values
        if getattr(ours, name) is not None:
            values = rng.standard_normal(4).astype(dtype)
            getattr(ours, name).data[...] = values
            getattr(theirs, name).data.copy_(torch.from_numpy(values))
    for step in range(5):
        x = (rng.standard_normal(shapes[step % len(shapes)]) * 2 + step).astype(dtype)
        np.testing.assert_allclose(ours(x), theirs(torch.from_numpy(x)).detach().numpy(),
                                   **TOL[dtype])
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), **TOL[dtype],
                                   err_msg=key)
    if ours.num_batches_tracked is not None:
        assert ours.num_batches_tracked.dtype == np.int64 and ours.num_batches_tracked.ndim == 0
        assert int(ours.num_batches_tracked) == 5
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shapes[0]).astype(dtype)
    np.testing.assert_allclose(ours(x), theirs(torch.from_numpy(x)).detach().numpy(),
                               **TOL[dtype])


def test_module_buffers_and_reset(torch):
    bn = nn.BatchNorm2d(3, track_running_stats=False)
    assert bn.running_mean is None and bn.running_var is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == list(torch.nn.BatchNorm2d(3, track_running_stats=False)
                                         .state_dict()) == ["weight", "bias"]
    bn = nn.BatchNorm2d(3)
    bn(np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32))
    bn.weight.data[...] = 5
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean, 0)
    np.testing.assert_array_equal(bn.running_var, 1)
    assert int(bn.num_batches_tracked) == 0 and (bn.weight == 5).all()
    bn.reset_parameters()
    assert (bn.weight == 1).all() and (bn.bias == 0).all()
    assert bn.weight.dtype == np.float32 and isinstance(bn.weight, nn.Parameter)


def test_load_torch_state_dict_and_old_checkpoint(torch, rng):
    theirs = torch.nn.BatchNorm2d(3)
    theirs.train()
    for _ in range(3):
        theirs(torch.randn(4, 3, 5, 5) * 2 + 1)
    ours = nn.BatchNorm2d(3)
    ours.load_state_dict(theirs.state_dict())
    assert int(ours.num_batches_tracked) == 3 and ours.num_batches_tracked.dtype == np.int64
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(x), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    # version-1 checkpoints have no num_batches_tracked: strict loading still succeeds
    old = {k: v for k, v in theirs.state_dict().items() if k != "num_batches_tracked"}
    fresh = nn.BatchNorm2d(3)
    result = fresh.load_state_dict(old)
    assert list(result.missing_keys) == [] and int(fresh.num_batches_tracked) == 0


def test_module_errors_match_torch(torch):
    for cls, shape in [("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm1d", (3,)),
                       ("BatchNorm2d", (2, 3, 4)), ("BatchNorm3d", (2, 3, 4, 5)),
                       ("BatchNorm1d", (1, 3)), ("BatchNorm2d", (1, 3, 1, 1)),
                       ("BatchNorm2d", (2, 4, 2, 2))]:
        _raises_like_torch(torch, lambda: getattr(nn, cls)(3)(np.ones(shape, np.float32)),
                           lambda: getattr(torch.nn, cls)(3)(torch.ones(shape)))
    _raises_like_torch(torch, lambda: nn.BatchNorm2d(-1), lambda: torch.nn.BatchNorm2d(-1))
    _raises_like_torch(torch, lambda: nn.BatchNorm2d(2.5), lambda: torch.nn.BatchNorm2d(2.5))
    with pytest.raises(TypeError, match="float16"):
        nn.BatchNorm2d(3, dtype=np.float16)
    # a single value per channel is fine in eval mode
    bn = nn.BatchNorm1d(3).eval()
    np.testing.assert_allclose(bn(np.ones((1, 3), np.float32)), 1 / np.sqrt(1 + 1e-5))


def test_module_double_keeps_counter_integer():
    bn = nn.BatchNorm1d(2).double()
    out = bn(np.random.default_rng(0).standard_normal((4, 2)))
    assert out.dtype == np.float64 and bn.running_mean.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64


# ---- torch-free checks: numpy formulas ---------------------------------------------------

def test_numpy_formulas_without_torch(rng):
    x = rng.standard_normal((6, 4, 3, 5))
    w, b = rng.standard_normal(4), rng.standard_normal(4)
    rm, rv = np.zeros(4), np.ones(4)
    out = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2, eps=1e-4)
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    ref = ((x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-4) * w[:, None, None]
           + b[:, None, None])
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rm, 0.2 * mean, rtol=1e-13)
    np.testing.assert_allclose(rv, 0.8 + 0.2 * x.var(axis=(0, 2, 3), ddof=1), rtol=1e-13)
    ev = F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-4)
    ref = ((x - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-4) * w[:, None, None]
           + b[:, None, None])
    np.testing.assert_allclose(ev, ref, rtol=1e-12, atol=1e-12)


def test_float32_statistics_accurate_despite_large_mean(rng):
    x = (rng.standard_normal((16, 2, 64)) + 1e4).astype(np.float32)
    rv = np.ones(2, np.float32)
    F.batch_norm(x, np.zeros(2, np.float32), rv, training=True, momentum=1.0)
    exact = x.astype(np.float64).var(axis=(0, 2), ddof=1)
    np.testing.assert_allclose(rv, exact, rtol=1e-6)


def test_cumulative_average_when_momentum_is_none(rng):
    bn = nn.BatchNorm1d(3, momentum=None)
    batches = [rng.standard_normal((5, 3)) .astype(np.float32) for _ in range(4)]
    for batch in batches:
        bn(batch)
    np.testing.assert_allclose(bn.running_mean, np.mean([b.mean(0) for b in batches], axis=0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var,
                               np.mean([b.var(0, ddof=1) for b in batches], axis=0), rtol=1e-5)


@pytest.mark.parametrize("name", ["weight", "bias", "running_mean", "running_var"])
@pytest.mark.parametrize("batch", [0, 3])
def test_batch_norm_refuses_non_tensor_arguments_like_torch(torch, name, batch):
    # torch's parser checks the types first, even for an empty batch
    args = dict(running_mean=np.zeros(2, np.float32), running_var=np.ones(2, np.float32),
                weight=None, bias=None)
    args[name] = [1.0, 2.0]
    x = np.zeros((batch, 2), np.float32)
    torch_args = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v
                  for k, v in args.items()}
    with pytest.raises(TypeError) as theirs:
        torch.nn.functional.batch_norm(torch.from_numpy(x), training=True, **torch_args)
    with pytest.raises(TypeError) as ours:
        F.batch_norm(x, training=True, **args)
    assert str(ours.value) == str(theirs.value)


def test_counter_in_place_add_bumps_its_version_as_torch(torch, rng):
    """num_batches_tracked's in-place add (through the op door) bumps its version once per
    training forward, as torch's add_ does, and an eval forward leaves both alone."""
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    ours, theirs = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    for module, data in ((ours, x), (theirs, torch.from_numpy(x))):
        module(data)
        module(data)
        module.eval()(data)
    assert ours.num_batches_tracked._version == theirs.num_batches_tracked._version
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 2
