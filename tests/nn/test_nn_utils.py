"""fastnn.nn.utils beyond gradient clipping (tests/optim/test_clip_grad.py): parameters as
one vector, get_total_norm and clip_grads_with_norm_, batch-norm fusion and the hook form
of weight normalisation, against torch's."""
import itertools
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from fastnn.nn import utils
from tests.torch_compare import raises_like

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


def _twin(torch, torch_module, module):
    """`module` with `torch_module`'s state; both returned in the same mode."""
    module.load_state_dict({k: v.detach().numpy() for k, v in torch_module.state_dict().items()})
    return torch_module, module


def _close(got, want, dtype):
    want = want.detach().numpy() if hasattr(want, "detach") else np.asarray(want)
    assert np.asarray(got).shape == want.shape
    np.testing.assert_allclose(np.asarray(got), want, **TOL[dtype])


# ------------------------------------------------------------------ parameters as a vector

def test_parameters_to_vector_and_back_match_torch(torch, rng):
    tm = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.Linear(4, 2))
    tm, fm = _twin(torch, tm, nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4, 2)))
    want = torch.nn.utils.parameters_to_vector(tm.parameters())
    got = utils.parameters_to_vector(fm.parameters())
    assert isinstance(got, fastnn.Tensor)
    _close(got, want, np.float32)
    # differentiable, as torch's cat of views
    (got * got).sum().backward()
    for p in fm.parameters():
        np.testing.assert_allclose(p.grad, 2 * np.asarray(p), rtol=1e-6)
    vec = rng.standard_normal(want.numel()).astype(np.float32)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(vec.copy()), tm.parameters())
    utils.vector_to_parameters(fastnn.tensor(vec), fm.parameters())
    for (name, t), (_, f) in zip(tm.named_parameters(), fm.named_parameters()):
        _close(f, t, np.float32)
    utils.vector_to_parameters(vec * 2, fm.parameters())        # a plain ndarray too
    _close(utils.parameters_to_vector(fm.parameters()), vec * 2, np.float32)


def test_vector_to_parameters_refuses_what_torch_refuses(torch):
    raises_like(lambda: torch.nn.utils.vector_to_parameters(3, [torch.zeros(2)]),
                lambda: utils.vector_to_parameters(3, [fastnn.zeros(2)]))
    raises_like(lambda: torch.nn.utils.vector_to_parameters([1.0, 2.0], [torch.zeros(2)]),
                lambda: utils.vector_to_parameters([1.0, 2.0], [fastnn.zeros(2)]))


# ------------------------------------------------------------------ total norm, then clipping

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1, 0.5, 3, 0, float("inf"), float("-inf")])
def test_get_total_norm_matches_torch(torch, rng, norm_type, dtype):
    arrays = [rng.standard_normal(s).astype(dtype) for s in [(3, 4), (5,), (2, 1, 2)]]
    want = torch.nn.utils.get_total_norm([torch.from_numpy(a) for a in arrays], norm_type)
    got = utils.get_total_norm([fastnn.tensor(a) for a in arrays], norm_type)
    assert got.dtype == want.numpy().dtype and got.shape == ()
    _close(got, want, dtype)
    single = utils.get_total_norm(fastnn.tensor(arrays[0]), norm_type)
    _close(single, torch.nn.utils.get_total_norm(torch.from_numpy(arrays[0]), norm_type),
           dtype)


def test_get_total_norm_of_nothing_and_of_nonfinite_values(torch):
    want = torch.nn.utils.get_total_norm([])
    got = utils.get_total_norm([])
    assert got.dtype == want.numpy().dtype and float(got) == 0.0
    inf = np.array([1.0, np.inf], np.float32)
    raises_like(lambda: torch.nn.utils.get_total_norm([torch.from_numpy(inf)],
                                                      error_if_nonfinite=True),
                lambda: utils.get_total_norm([fastnn.tensor(inf)], error_if_nonfinite=True))
    assert np.isinf(utils.get_total_norm([fastnn.tensor(inf)]))


@pytest.mark.parametrize("max_norm, total", [(0.5, 3.0), (10.0, 3.0), (1.0, float("nan"))])
def test_clip_grads_with_norm_matches_torch(torch, rng, max_norm, total):
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,)]]
    tp, fp = [], []
    for g in grads:
        t = torch.nn.Parameter(torch.zeros(g.shape))
        t.grad = torch.from_numpy(g.copy())
        f = nn.Parameter(fastnn.zeros(g.shape))
        f.grad = g.copy()
        tp.append(t)
        fp.append(f)
    assert torch.nn.utils.clip_grads_with_norm_(tp, max_norm, torch.tensor(total)) is None
    assert utils.clip_grads_with_norm_(fp, max_norm, fastnn.tensor(total)) is None
    for t, f in zip(tp, fp):
        np.testing.assert_allclose(f.grad, t.grad.numpy(), rtol=1e-6, equal_nan=True)


# ------------------------------------------------------------------ batch-norm fusion

def _bn(torch, lib, kind, channels, affine, rng, dtype):
    bn = getattr(lib.nn, kind)(channels, affine=affine)
    if lib is torch:
        bn.running_mean.copy_(torch.from_numpy(rng.standard_normal(channels)))
        bn.running_var.copy_(torch.from_numpy(rng.random(channels) + 0.5))
        if affine:
            with torch.no_grad():
                bn.weight.copy_(torch.from_numpy(rng.standard_normal(channels)))
                bn.bias.copy_(torch.from_numpy(rng.standard_normal(channels)))
    return bn.to(getattr(lib, np.dtype(dtype).name)).eval()


CONVS = [("Conv1d", (2, 3, 9), False), ("Conv2d", (2, 3, 7, 6), False),
         ("Conv3d", (1, 3, 4, 5, 5), False), ("ConvTranspose2d", (2, 3, 5, 5), True)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("conv, shape, transpose", CONVS)
def test_fuse_conv_bn_eval_matches_torch(torch, rng, conv, shape, transpose, dtype):
    nd = len(shape) - 2
    for bias, affine in itertools.product((True, False), (True, False)):
        tconv = getattr(torch.nn, conv)(3, 4, 3, bias=bias).to(
            getattr(torch, np.dtype(dtype).name)).eval()
        tbn = _bn(torch, torch, f"BatchNorm{nd}d", 4, affine, rng, dtype)
        fconv = getattr(nn, conv)(3, 4, 3, bias=bias).to(getattr(fastnn, np.dtype(dtype).name))
        _twin(torch, tconv, fconv.eval())
        fbn = _bn(torch, fastnn, f"BatchNorm{nd}d", 4, affine, rng, dtype)
        _twin(torch, tbn, fbn)
        want = torch.nn.utils.fuse_conv_bn_eval(tconv, tbn, transpose=transpose)
        got = utils.fuse_conv_bn_eval(fconv, fbn, transpose=transpose)
        assert type(got) is type(fconv) and got is not fconv
        assert isinstance(got.weight, nn.Parameter) and isinstance(got.bias, nn.Parameter)
        assert got.weight.dtype == dtype and got.bias.dtype == dtype
        _close(got.weight, want.weight, dtype)
        _close(got.bias, want.bias, dtype)
        x = rng.standard_normal(shape).astype(dtype)
        _close(got(fastnn.tensor(x)), fbn(fconv(fastnn.tensor(x))), dtype)
        if not bias:
            assert fconv.bias is None          # the original is left alone


def test_fuse_linear_bn_eval_matches_torch(torch, rng):
    for bias, features in itertools.product((True, False), (5, 1)):
        tlin, flin = _twin(torch, torch.nn.Linear(3, 5, bias=bias).eval(),
                           nn.Linear(3, 5, bias=bias).eval())
        tbn = _bn(torch, torch, "BatchNorm1d", features, True, rng, np.float32)
        fbn = _bn(torch, fastnn, "BatchNorm1d", features, True, rng, np.float32)
        _twin(torch, tbn, fbn)
        want = torch.nn.utils.fuse_linear_bn_eval(tlin, tbn)
        got = utils.fuse_linear_bn_eval(flin, fbn)
        _close(got.weight, want.weight, np.float32)
        _close(got.bias, want.bias, np.float32)
        assert got.weight.requires_grad and got.bias.requires_grad == want.bias.requires_grad


def test_fusion_refuses_what_torch_refuses(torch):
    raises_like(lambda: torch.nn.utils.fuse_conv_bn_eval(torch.nn.Conv2d(2, 2, 1),
                                                         torch.nn.BatchNorm2d(2)),
                lambda: utils.fuse_conv_bn_eval(nn.Conv2d(2, 2, 1), nn.BatchNorm2d(2)))
    raises_like(lambda: torch.nn.utils.fuse_conv_bn_eval(
                    torch.nn.Conv2d(2, 2, 1).eval(),
                    torch.nn.BatchNorm2d(2, track_running_stats=False).eval()),
                lambda: utils.fuse_conv_bn_eval(
                    nn.Conv2d(2, 2, 1).eval(), nn.BatchNorm2d(2, track_running_stats=False).eval()))
    raises_like(lambda: torch.nn.utils.fuse_linear_bn_eval(torch.nn.Linear(2, 3).eval(),
                                                           torch.nn.BatchNorm1d(2).eval()),
                lambda: utils.fuse_linear_bn_eval(nn.Linear(2, 3).eval(),
                                                  nn.BatchNorm1d(2).eval()))
    raises_like(lambda: torch.nn.utils.fuse_linear_bn_eval(torch.nn.Linear(2, 3),
                                                           torch.nn.BatchNorm1d(3).eval()),
                lambda: utils.fuse_linear_bn_eval(nn.Linear(2, 3), nn.BatchNorm1d(3).eval()))


# ------------------------------------------------------------------ weight_norm (the hook form)

def _weight_normed(torch, lib, make, dim):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return lib.nn.utils.weight_norm(make(lib), dim=dim)


MODULES = [(lambda lib: lib.nn.Linear(4, 3), (2, 4)),
           (lambda lib: lib.nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
           (lambda lib: lib.nn.ConvTranspose1d(2, 3, 3), (2, 2, 6))]


@pytest.mark.parametrize("make, shape", MODULES)
@pytest.mark.parametrize("dim", [0, 1, None, -1, -2])
def test_weight_norm_matches_torch(torch, rng, make, shape, dim):
    tm = make(torch).double()
    fm = make(fastnn).double()
    _twin(torch, tm, fm)
    tm, fm = _weight_normed(torch, torch, lambda lib: tm, dim), \
        _weight_normed(torch, fastnn, lambda lib: fm, dim)
    assert list(fm.state_dict()) == list(tm.state_dict())
    for key, value in tm.state_dict().items():
        _close(fm.state_dict()[key], value, np.float64)
    x = rng.standard_normal(shape)
    want = tm(torch.from_numpy(x))
    got = fm(fastnn.tensor(x))
    _close(got, want, np.float64)
    (want * want).sum().backward()
    (got * got).sum().backward()
    for name in ("weight_g", "weight_v", "bias"):
        _close(getattr(fm, name).grad, getattr(tm, name).grad, np.float64)
    # the weight is recomputed before every forward from the current g and v
    with torch.no_grad():
        tm.weight_g.mul_(2)
    fm.weight_g.data = np.asarray(fm.weight_g) * 2
    _close(fm(fastnn.tensor(x)), tm(torch.from_numpy(x)), np.float64)
    torch.nn.utils.remove_weight_norm(tm)
    utils.remove_weight_norm(fm)
    assert list(fm.state_dict()) == list(tm.state_dict())
    assert isinstance(fm.weight, nn.Parameter)
    _close(fm.weight, tm.weight, np.float64)


def test_weight_norm_warns_and_refuses_as_torch(torch):
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        m = utils.weight_norm(nn.Linear(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        t = torch.nn.utils.weight_norm(torch.nn.Linear(2, 2))
        raises_like(lambda: torch.nn.utils.weight_norm(t), lambda: utils.weight_norm(m))
    raises_like(lambda: torch.nn.utils.remove_weight_norm(torch.nn.Linear(2, 2)),
                lambda: utils.remove_weight_norm(nn.Linear(2, 2)))
    raises_like(lambda: torch.nn.utils.remove_weight_norm(t, "bias"),
                lambda: utils.remove_weight_norm(m, "bias"))
