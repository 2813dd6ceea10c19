"""fastnn.optim against torch.optim: 20-step trajectories, state dicts both ways, errors."""
import numpy as np
import pytest

import fastnn
from tests.torch_compare import raises_like

SHAPES = [(3, 4), (5,)]
TOL = {np.float32: dict(rtol=1e-6, atol=1e-7), np.float64: dict(rtol=1e-12, atol=1e-14)}

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.02, betas=(0.3, 0.5), eps=1e-3, decoupled_weight_decay=True,
                  weight_decay=0.5)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, betas=(0.6, 0.9), maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True, maximize=True, eps=1e-4)),
]


def _pair(torch, rng, dtype, name, kwargs, groups=False):
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    tp = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    fp = [fastnn.nn.Parameter(fastnn.tensor(a)) for a in init]
    if groups:     # per-group options: the second group overrides lr
        tp = [{"params": [tp[0]]}, {"params": [tp[1]], "lr": kwargs["lr"] * 3}]
        fp = [{"params": [fp[0]]}, {"params": [fp[1]], "lr": kwargs["lr"] * 3}]
    return (getattr(torch.optim, name)(tp, **kwargs),
            getattr(fastnn.optim, name)(fp, **kwargs))


def _params(opt):
    return [p for g in opt.param_groups for p in g["params"]]


def _run(torch, rng, topt, fopt, steps, dtype, skip_one=False):
    for step in range(steps):
        for i, (t, f) in enumerate(zip(_params(topt), _params(fopt))):
            if skip_one and i == 1 and step % 3 == 0:
                t.grad = f.grad = None          # a parameter without gradient is skipped
                continue
            g = rng.standard_normal(t.shape).astype(dtype)
            t.grad = torch.tensor(g)
            f.grad = g.copy()
        topt.step()
        fopt.step()
        _assert_params(topt, fopt, dtype)


def _assert_params(topt, fopt, dtype):
    for t, f in zip(_params(topt), _params(fopt)):
        assert isinstance(f, fastnn.nn.Parameter)
        np.testing.assert_allclose(np.asarray(f), t.detach().numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", CASES)
def test_trajectory_matches_torch(torch, rng, name, kwargs, dtype):
    topt, fopt = _pair(torch, rng, dtype, name, kwargs, groups=dtype == np.float64)
    _run(torch, rng, topt, fopt, 20, dtype, skip_one=True)
    _assert_state_equal(fopt.state_dict(), topt.state_dict(), dtype)


def _assert_state_equal(fsd, tsd, dtype):
    assert fsd["param_groups"] == tsd["param_groups"]
    assert fsd["state"].keys() == tsd["state"].keys()
    for k, tstate in tsd["state"].items():
        fstate = fsd["state"][k]
        assert fstate.keys() == tstate.keys()
        for key, value in tstate.items():
            assert isinstance(fstate[key], fastnn.Tensor)
            assert fstate[key].dtype == value.numpy().dtype and fstate[key].shape == value.shape
            np.testing.assert_allclose(np.asarray(fstate[key]), value.numpy(), **TOL[dtype])


@pytest.mark.parametrize("name, kwargs", [CASES[1], CASES[4], CASES[7], CASES[9]])
def test_state_dict_torch_to_fastnn_to_torch(torch, rng, tmp_path, name, kwargs):
    dtype = np.float32
    topt, fopt = _pair(torch, rng, dtype, name, kwargs)
    _run(torch, rng, topt, fopt, 5, dtype)
    # torch -> file -> fastnn: a fresh fastnn optimizer resumes torch's trajectory
    torch.save(topt.state_dict(), tmp_path / "torch.pt")
    params = [fastnn.nn.Parameter(fastnn.tensor(p.detach().numpy())) for p in _params(topt)]
    resumed = getattr(fastnn.optim, name)(params, **kwargs)
    resumed.load_state_dict(fastnn.load(tmp_path / "torch.pt"))
    _assert_state_equal(resumed.state_dict(), topt.state_dict(), dtype)
    _run(torch, rng, topt, resumed, 5, dtype)
    # fastnn -> file -> torch: a fresh torch optimizer resumes fastnn's trajectory
    fastnn.save(resumed.state_dict(), tmp_path / "fastnn.pt")
    tparams = [torch.nn.Parameter(torch.tensor(np.asarray(p))) for p in params]
    tresumed = getattr(torch.optim, name)(tparams, **kwargs)
    tresumed.load_state_dict(torch.load(tmp_path / "fastnn.pt"))
    _run(torch, rng, tresumed, resumed, 5, dtype)


def test_state_is_keyed_by_parameter_and_zero_grad(torch):
    p = fastnn.nn.Parameter(fastnn.ones(3))
    opt = fastnn.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.ones(3, dtype=np.float32)
    opt.step()
    assert p in opt.state and list(opt.state) == [p]
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], np.ones(3))
    np.testing.assert_allclose(np.asarray(p), 0.9)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad, 0)
    opt.zero_grad()
    assert p.grad is None
    assert opt.step(closure=lambda: 3.5) == 3.5


def test_add_param_group_and_repr(torch):
    a, b = fastnn.nn.Parameter(fastnn.ones(2)), fastnn.nn.Parameter(fastnn.ones(3))
    ta, tb = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))
    opt, topt = fastnn.optim.Adam([a], lr=0.1), torch.optim.Adam([ta], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.5})
    topt.add_param_group({"params": tb, "lr": 0.5})
    assert repr(opt) == repr(topt)
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]




ERRORS = [
    ("SGD", dict(lr=-1)), ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, weight_decay=-1)), ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-0.1)), ("Adam", dict(eps=-1.0)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1)),
    ("Adam", dict(betas=(0, 0.9))), ("AdamW", dict(betas=(0.9, 1.5))),
    ("RMSprop", dict(lr=-1)), ("RMSprop", dict(eps=-1)), ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(weight_decay=-1)), ("RMSprop", dict(alpha=-1)),
]


@pytest.mark.parametrize("name, kwargs", ERRORS)
def test_invalid_options_raise_like_torch(torch, name, kwargs):
    raises_like(lambda: getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))],
                                                   **kwargs),
                lambda: getattr(fastnn.optim, name)([fastnn.nn.Parameter(fastnn.ones(2))],
                                                    **kwargs))


def _param_error_cases(lib, P):
    a, b = P(lib.ones(2)), P(lib.ones(2))
    return [
        lambda: lib.optim.SGD([], lr=0.1),
        lambda: lib.optim.SGD(a, lr=0.1),
        lambda: lib.optim.SGD([a, 3], lr=0.1),
        lambda: lib.optim.SGD([{"params": [a]}, {"params": [a, b]}], lr=0.1),
        lambda: lib.optim.SGD([{"params": [a]}, {"params": [("w", b)]}], lr=0.1),
        lambda: lib.optim.SGD([a], lr=0.1).add_param_group([b]),
        lambda: lib.optim.SGD([{"params": {a}}], lr=0.1),
        lambda: lib.optim.SGD([("w", a), b], lr=0.1),
    ]


@pytest.mark.parametrize("case", range(8))
def test_parameter_errors_raise_like_torch(torch, case):
    raises_like(_param_error_cases(torch, torch.nn.Parameter)[case],
                _param_error_cases(fastnn, fastnn.nn.Parameter)[case])


def _load_error_cases(lib, P):
    a, b = P(lib.ones(2)), P(lib.ones(2))
    saved = lib.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).state_dict()
    return [lambda: lib.optim.SGD([a, b], lr=0.1).load_state_dict(saved),
            lambda: lib.optim.SGD([{"params": [a, b]}, {"params": [P(lib.ones(1))]}],
                                  lr=0.1).load_state_dict(saved)]


@pytest.mark.parametrize("case", range(2))
def test_load_state_dict_errors_raise_like_torch(torch, case):
    raises_like(_load_error_cases(torch, torch.nn.Parameter)[case],
                _load_error_cases(fastnn, fastnn.nn.Parameter)[case])


def test_duplicate_parameter_warns_like_torch(torch):
    p = fastnn.nn.Parameter(fastnn.ones(2))
    with pytest.warns(UserWarning, match="duplicate parameters"):
        fastnn.optim.SGD([p, p], lr=0.1)


def test_named_parameters_are_kept(torch):
    lin = torch.nn.Linear(2, 2)
    topt = torch.optim.SGD(lin.named_parameters(), lr=0.1)
    a, b = fastnn.nn.Parameter(fastnn.ones(2, 2)), fastnn.nn.Parameter(fastnn.ones(2))
    opt = fastnn.optim.SGD([("weight", a), ("bias", b)], lr=0.1)
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


def test_non_contiguous_parameter_is_updated_in_place(torch, rng):
    base = rng.standard_normal((4, 3)).astype(np.float32)
    p = fastnn.nn.Parameter(fastnn.tensor(base).T)        # a transposed view: not contiguous
    assert not p.flags.c_contiguous
    t = torch.nn.Parameter(torch.tensor(base.T.copy()))
    opt, topt = fastnn.optim.Adam([p], lr=0.1), torch.optim.Adam([t], lr=0.1)
    for _ in range(3):
        g = rng.standard_normal((3, 4)).astype(np.float32)
        p.grad, t.grad = g.T.copy().T, torch.tensor(g)      # a non-contiguous gradient too
        opt.step()
        topt.step()
    np.testing.assert_allclose(np.asarray(p), t.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_step_dtype_follows_the_default_dtype(torch):
    old, told = fastnn.get_default_dtype(), torch.get_default_dtype()
    try:
        fastnn.set_default_dtype(fastnn.float64)
        torch.set_default_dtype(torch.float64)
        p, t = fastnn.nn.Parameter(fastnn.ones(2)), torch.nn.Parameter(torch.ones(2))
        p.grad, t.grad = np.ones(2), torch.ones(2)
        opt, topt = fastnn.optim.RMSprop([p]), torch.optim.RMSprop([t])
        opt.step()
        topt.step()
        assert opt.state[p]["step"].dtype == topt.state[t]["step"].numpy().dtype
    finally:
        fastnn.set_default_dtype(old)
        torch.set_default_dtype(told)


def test_bad_gradients_are_refused():
    p = fastnn.nn.Parameter(fastnn.ones(2))
    p.grad = np.ones(3, dtype=np.float32)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        fastnn.optim.SGD([p], lr=0.1).step()
    q = fastnn.nn.Parameter(fastnn.ones(2, dtype=fastnn.float16))
    q.grad = np.ones(2, dtype=np.float16)
    with pytest.raises(TypeError, match="float16"):
        fastnn.optim.SGD([q], lr=0.1).step()
    np.testing.assert_array_equal(np.asarray(p), 1)        # nothing written before refusing


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_closure_runs_with_grad_enabled_and_its_loss_is_returned(name):
    p = fastnn.nn.Parameter(fastnn.ones(2))
    opt = getattr(fastnn.optim, name)([p], lr=0.1)

    def closure():
        assert fastnn.is_grad_enabled()
        p.grad = np.ones(2, dtype=np.float32)
        return 2.5
    with fastnn.no_grad():
        assert opt.step(closure) == 2.5
    assert (np.asarray(p) < 1).all()                 # the gradient the closure set was used


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_tensor_lr_matches_torch(torch, rng, name):
    dtype = np.float32
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    tp = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    fp = [fastnn.nn.Parameter(fastnn.tensor(a)) for a in init]
    topt = getattr(torch.optim, name)(tp, lr=torch.tensor(0.03))
    fopt = getattr(fastnn.optim, name)(fp, lr=fastnn.tensor(0.03))
    _run(torch, rng, topt, fopt, 5, dtype)
    raises_like(lambda: getattr(torch.optim, name)(tp, lr=torch.tensor([0.1, 0.2])),
                lambda: getattr(fastnn.optim, name)(fp, lr=fastnn.tensor([0.1, 0.2])))


def test_tensor_lr_with_foreach_raises_like_torch(torch):
    raises_like(lambda: torch.optim.Adam([torch.nn.Parameter(torch.ones(1))],
                                         lr=torch.tensor(0.1), foreach=True),
                lambda: fastnn.optim.Adam([fastnn.nn.Parameter(fastnn.ones(1))],
                                          lr=fastnn.tensor(0.1), foreach=True))
