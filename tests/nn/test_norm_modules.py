"""nn.LayerNorm, GroupNorm, LocalResponseNorm, InstanceNorm1d/2d/3d against torch: repr,
state_dict keys and shapes, loading torch's weights, train/eval with running stats,
unbatched input, torch's warnings and errors."""
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from torch_compare import raises_like

TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}

CONSTRUCTORS = [
    ("LayerNorm", (8,), {}), ("LayerNorm", ((3, 8),), dict(eps=1e-3)),
    ("LayerNorm", ([8],), dict(bias=False)), ("LayerNorm", (8,), dict(elementwise_affine=False)),
    ("GroupNorm", (2, 4), {}), ("GroupNorm", (4, 4), dict(affine=False, eps=0.1)),
    ("GroupNorm", (1, 4), dict(bias=False)), ("LocalResponseNorm", (3,), {}),
    ("LocalResponseNorm", (2,), dict(alpha=0.1, beta=0.5, k=2.0)),
    ("InstanceNorm1d", (4,), {}), ("InstanceNorm2d", (4,), dict(affine=True)),
    ("InstanceNorm3d", (4,), dict(track_running_stats=True, momentum=None)),
    ("InstanceNorm2d", (4,), dict(affine=True, bias=False, track_running_stats=True)),
]
INPUTS = {"LayerNorm": [(2, 3, 8)], "GroupNorm": [(2, 4, 5), (3, 4), (2, 4, 3, 3)],
          "LocalResponseNorm": [(2, 4, 5), (1, 4, 3, 3)], "InstanceNorm1d": [(2, 4, 5), (4, 6)],
          "InstanceNorm2d": [(2, 4, 3, 5), (4, 3, 3)],
          "InstanceNorm3d": [(2, 4, 2, 3, 3), (4, 2, 2, 3)]}


def _pair(torch, name, args, kwargs, dtype=np.float32):
    ours = getattr(nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    if dtype == np.float64:
        ours.double()
        theirs.double()
    return ours, theirs


@pytest.mark.parametrize("name,args,kwargs", CONSTRUCTORS)
def test_repr_and_state_dict_like_torch(torch, name, args, kwargs):
    ours, theirs = _pair(torch, name, args, kwargs)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key], value.numpy())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,args,kwargs", CONSTRUCTORS)
def test_forward_with_torch_weights_train_and_eval(torch, rng, name, args, kwargs, dtype):
    ours, theirs = _pair(torch, name, args, kwargs, dtype)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape))))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for shape in INPUTS[name]:
        for training in (True, False, True):
            ours.train(training)
            theirs.train(training)
            x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
            out = ours(x)
            with torch.no_grad():
                expected = theirs(torch.from_numpy(x)).numpy()
            assert isinstance(out, fastnn.Tensor) and out.shape == expected.shape
            np.testing.assert_allclose(out, expected, **TOL[dtype])
            for key, value in theirs.state_dict().items():
                np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), **TOL[dtype])


def test_instance_norm_tracks_running_stats_as_torch(torch, rng):
    ours = nn.InstanceNorm2d(3, momentum=0.3, track_running_stats=True)
    theirs = torch.nn.InstanceNorm2d(3, momentum=0.3, track_running_stats=True)
    for _ in range(3):
        x = (rng.standard_normal((2, 3, 4, 4)) * 3 + 2).astype(np.float32)
        ours(x)
        theirs(torch.from_numpy(x))
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-5)
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 0
    assert not np.allclose(ours.running_mean, 0)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((1, 3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(x), theirs(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_instance_norm_feature_mismatch_warns_or_raises_like_torch(torch, rng):
    x = rng.standard_normal((2, 5, 6)).astype(np.float32)
    for cls, affine in (("InstanceNorm1d", False), ("InstanceNorm1d", True)):
        ours, theirs = getattr(nn, cls)(3, affine=affine), getattr(torch.nn, cls)(3, affine=affine)
        if affine:
            raises_like(lambda: theirs(torch.from_numpy(x)), lambda: ours(x))
            continue
        with warnings.catch_warnings(record=True) as theirs_warned:
            warnings.simplefilter("always")
            expected = theirs(torch.from_numpy(x)).numpy()
        with warnings.catch_warnings(record=True) as ours_warned:
            warnings.simplefilter("always")
            out = ours(x)
        assert [str(w.message) for w in ours_warned] == [str(w.message) for w in theirs_warned]
        assert ours_warned and ours_warned[0].category is theirs_warned[0].category
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,shape", [
    ("InstanceNorm1d", (3,)), ("InstanceNorm1d", (2, 3, 4, 5)), ("InstanceNorm2d", (3, 4)),
    ("InstanceNorm2d", (1, 3, 4, 4, 4)), ("InstanceNorm3d", (3, 4, 4)),
    ("InstanceNorm2d", (1, 3, 1, 1)), ("InstanceNorm1d", (3, 1))])
def test_instance_norm_rank_errors_like_torch(torch, name, shape):
    x = np.ones(shape, np.float32)
    raises_like(lambda: getattr(torch.nn, name)(3)(torch.from_numpy(x)),
                lambda: getattr(nn, name)(3)(x))


@pytest.mark.parametrize("call", [
    "GroupNorm(3, 4)", "GroupNorm(0, 4)", "LayerNorm(-1)", "LayerNorm('a')",
    "GroupNorm(2, 4)(np.ones((2, 6, 3), np.float32))",
    "LayerNorm(5)(np.ones((2, 4), np.float32))",
    "LocalResponseNorm(0)(np.ones((2, 4, 3), np.float32))",
    "LocalResponseNorm(2)(np.ones((2, 4), np.float32))",
])
def test_module_errors_like_torch(torch, call):
    def theirs():
        return eval(call.replace("np.ones", "to_torch"), {"to_torch": lambda *a: torch.ones(*a[:1]),
                                                         "np": np, **vars(torch.nn)})

    def ours():
        return eval(call, {"np": np, **vars(nn)})
    raises_like(theirs, ours)


def test_loading_pre_0_4_running_stats_reports_like_torch(torch):
    state = {"running_mean": np.zeros(3, np.float32), "running_var": np.ones(3, np.float32)}
    ours, theirs = nn.InstanceNorm2d(3), torch.nn.InstanceNorm2d(3)

    class Legacy(dict):
        pass
    for module, tensors in ((ours, state),
                            (theirs, {k: torch.from_numpy(v) for k, v in state.items()})):
        tensors = Legacy(tensors)
        tensors._metadata = {"": {}}          # a checkpoint saved before versions existed
        module._expected = tensors
    raises_like(lambda: theirs.load_state_dict(theirs._expected),
                lambda: ours.load_state_dict(ours._expected))


def test_unbatched_instance_norm_returns_fastnn_tensor(rng):
    x = rng.standard_normal((3, 5, 5)).astype(np.float32)
    out = nn.InstanceNorm2d(3)(x)
    assert isinstance(out, fastnn.Tensor) and out.shape == (3, 5, 5)
    np.testing.assert_allclose(out, nn.InstanceNorm2d(3)(x[None])[0], rtol=0, atol=0)
