"""fastnn.optim.lr_scheduler against torch's: lr sequences, state dicts, warnings, errors."""
import warnings

import numpy as np
import pytest

import fastnn
from tests.torch_compare import raises_like


def _scale(epoch):
    return 0.95 ** epoch


SCHEDULERS = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 20], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=8, eta_min=0.001)),
    ("OneCycleLR", dict(max_lr=[0.5, 1.0], total_steps=31)),
    ("OneCycleLR", dict(max_lr=0.5, epochs=3, steps_per_epoch=10, three_phase=True,
                        anneal_strategy="linear")),
    ("LambdaLR", dict(lr_lambda=_scale)),
]


def _optimizers(torch, opt_name, momentum=True):
    extra = dict(momentum=0.9) if opt_name == "SGD" else {}
    t = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))]
    f = [fastnn.nn.Parameter(fastnn.ones(2)), fastnn.nn.Parameter(fastnn.ones(3))]
    topt = getattr(torch.optim, opt_name)([{"params": [t[0]]}, {"params": [t[1]], "lr": 0.2}],
                                          lr=0.1, **extra)
    fopt = getattr(fastnn.optim, opt_name)([{"params": [f[0]]}, {"params": [f[1]], "lr": 0.2}],
                                           lr=0.1, **extra)
    return topt, fopt


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name, kwargs", SCHEDULERS)
def test_lr_sequence_matches_torch(torch, name, kwargs, opt_name):
    topt, fopt = _optimizers(torch, opt_name)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    fsched = getattr(fastnn.optim.lr_scheduler, name)(fopt, **kwargs)
    for _ in range(30):
        assert fsched.get_last_lr() == tsched.get_last_lr()
        assert fsched.last_epoch == tsched.last_epoch
        for fg, tg in zip(fopt.param_groups, topt.param_groups):
            assert {k: v for k, v in fg.items() if k != "params"} == \
                   {k: v for k, v in tg.items() if k != "params"}
        topt.step()
        fopt.step()
        tsched.step()
        fsched.step()
    assert _plain(fsched.state_dict()) == _plain(tsched.state_dict())


def _plain(state):
    return {k: v for k, v in state.items() if k != "lr_lambdas"}


@pytest.mark.parametrize("name, kwargs", [SCHEDULERS[0], SCHEDULERS[3], SCHEDULERS[4]])
def test_state_dict_resumes(torch, tmp_path, name, kwargs):
    topt, fopt = _optimizers(torch, "SGD")
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    for _ in range(10):
        topt.step()
        tsched.step()
    torch.save(tsched.state_dict(), tmp_path / "s.pt")
    torch.save(topt.state_dict(), tmp_path / "o.pt")
    fopt.load_state_dict(fastnn.load(tmp_path / "o.pt"))
    fsched = getattr(fastnn.optim.lr_scheduler, name)(fopt, **kwargs)
    fsched.load_state_dict(fastnn.load(tmp_path / "s.pt"))
    fopt.load_state_dict(fastnn.load(tmp_path / "o.pt"))
    for _ in range(10):
        topt.step()
        fopt.step()
        tsched.step()
        fsched.step()
        assert fsched.get_last_lr() == tsched.get_last_lr()


def _warnings_of(lib, call_optimizer_first):
    opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(2))], lr=0.1)
    sched = lib.optim.lr_scheduler.StepLR(opt, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if call_optimizer_first:
            opt.step()
        sched.step()
        sched.step()
        sched.step(5)
        sched.get_lr()
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("optimizer_first", [False, True])
def test_warnings_match_torch(torch, optimizer_first):
    assert _warnings_of(fastnn, optimizer_first) == _warnings_of(torch, optimizer_first)


def _scheduler_errors(lib):
    S = lib.optim.lr_scheduler

    def opt(n=1):
        return lib.optim.SGD([{"params": [lib.nn.Parameter(lib.ones(1))]} for _ in range(n)],
                             lr=0.1)

    def stepped_past_end():
        sched = S.OneCycleLR(opt(), max_lr=1.0, total_steps=2)
        for _ in range(3):
            sched.step()
    return [
        lambda: S.StepLR("not an optimizer", 2),
        lambda: S.StepLR(opt(), 2, last_epoch=3),
        lambda: S.LambdaLR(opt(2), [_scale]),
        lambda: S.OneCycleLR(opt(), max_lr=1.0),
        lambda: S.OneCycleLR(opt(), max_lr=1.0, total_steps=0),
        lambda: S.OneCycleLR(opt(), max_lr=1.0, epochs=0, steps_per_epoch=2),
        lambda: S.OneCycleLR(opt(), max_lr=1.0, epochs=2, steps_per_epoch=1.5),
        lambda: S.OneCycleLR(opt(), max_lr=1.0, total_steps=5, pct_start=1.5),
        lambda: S.OneCycleLR(opt(), max_lr=1.0, total_steps=5, anneal_strategy="x"),
        lambda: S.OneCycleLR(opt(2), max_lr=[1.0], total_steps=5),
        lambda: S.OneCycleLR(lib.optim.Optimizer([lib.nn.Parameter(lib.ones(1))],
                                              {"lr": 0.1}), max_lr=1.0, total_steps=5),
        stepped_past_end,
    ]


@pytest.mark.parametrize("case", range(12))
def test_scheduler_errors_raise_like_torch(torch, case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_like(_scheduler_errors(torch)[case], _scheduler_errors(fastnn)[case])


def test_get_lr_values_are_floats_in_groups(torch):
    _, fopt = _optimizers(torch, "SGD")
    sched = fastnn.optim.lr_scheduler.ExponentialLR(fopt, 0.5)
    fopt.step()
    sched.step()
    np.testing.assert_allclose(sched.get_last_lr(), [0.05, 0.1])
    assert [g["lr"] for g in fopt.param_groups] == sched.get_last_lr()


@pytest.mark.parametrize("name, kwargs", [s for s in SCHEDULERS if s[0] != "OneCycleLR"])
def test_step_with_epoch_uses_torchs_closed_form(torch, name, kwargs):
    topt, fopt = _optimizers(torch, "SGD")
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    fsched = getattr(fastnn.optim.lr_scheduler, name)(fopt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 2, 12]:
            topt.step()
            fopt.step()
            tsched.step(epoch)
            fsched.step(epoch)
            assert fsched.get_last_lr() == tsched.get_last_lr()


class _Decay:
    """A callable object: LambdaLR saves its attributes (a plain function saves None)."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate ** epoch


def test_lambda_lr_state_dict_keeps_callable_objects_attributes(torch):
    topt, fopt = _optimizers(torch, "SGD")
    tsched = torch.optim.lr_scheduler.LambdaLR(topt, [_Decay(0.5), _scale])
    fsched = fastnn.optim.lr_scheduler.LambdaLR(fopt, [_Decay(0.5), _scale])
    assert fsched.state_dict() == tsched.state_dict()
    state = fsched.state_dict()
    state["lr_lambdas"][0]["rate"] = 0.25
    other = fastnn.optim.lr_scheduler.LambdaLR(fopt, [_Decay(0.9), _scale])
    other.load_state_dict(state)
    assert other.lr_lambdas[0].rate == 0.25 and "lr_lambdas" in state


def test_tensor_lr_is_updated_in_place(torch):
    p, t = fastnn.nn.Parameter(fastnn.ones(2)), torch.nn.Parameter(torch.ones(2))
    lr, tlr = fastnn.tensor(0.1), torch.tensor(0.1)
    fopt, topt = fastnn.optim.SGD([p], lr=lr), torch.optim.SGD([t], lr=tlr)
    fsched = fastnn.optim.lr_scheduler.StepLR(fopt, 2, gamma=0.5)
    tsched = torch.optim.lr_scheduler.StepLR(topt, 2, gamma=0.5)
    for _ in range(5):
        fopt.step()
        topt.step()
        fsched.step()
        tsched.step()
        assert fopt.param_groups[0]["lr"] is lr
        assert float(lr) == float(tlr)
        assert [float(v) for v in fsched.get_last_lr()] == [float(v) for v in tsched.get_last_lr()]
