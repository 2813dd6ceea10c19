"""An optimizer step is one kernel call per parameter group (and dtype): chunked across
threads, parameters without gradient skipped, duplicates updated in order, against torch."""
import copy

import numpy as np
import pytest

import fastnn
from fastnn.kernels import optim as kernels

OPTIONS = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, maximize=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
]
KERNELS = {"SGD": "sgd", "Adam": "adam", "AdamW": "adam", "RMSprop": "rmsprop"}


def _twins(torch, arrays):
    return ([fastnn.nn.Parameter(fastnn.tensor(a)) for a in arrays],
            [torch.nn.Parameter(torch.tensor(a)) for a in arrays])


def _steps(torch, rng, opt, topt, params, tparams, steps, skip=()):
    for step in range(steps):
        for i, (p, t) in enumerate(zip(params, tparams)):
            if (step, i) in skip:
                p.grad = t.grad = None
                continue
            g = rng.standard_normal(p.shape).astype(p.dtype)
            p.grad, t.grad = g, torch.tensor(g)
        opt.step()
        topt.step()


@pytest.mark.parametrize("name, options", OPTIONS)
def test_one_call_per_group_over_chunks_on_two_threads(torch, rng, monkeypatch, name,
                                                       options):
    # one tensor spans several chunks and the group's work is above the serial threshold,
    # so the chunks run on the threads; the small tensors share a call with it
    assert 9 * kernels.CHUNK + 7 > fastnn._runtime.SERIAL_MAX_WORK
    arrays = [rng.standard_normal(s).astype(np.float32)
              for s in [(9, kernels.CHUNK + 1), (3,), (2, 2)]]
    params, tparams = _twins(torch, arrays)
    opt = getattr(fastnn.optim, name)(params, **options)
    topt = getattr(torch.optim, name)(tparams, **options)
    kernel = getattr(kernels, KERNELS[name])
    calls = []

    def counted(*args):
        calls.append(len(args[0]))
        return kernel(*args)
    monkeypatch.setattr(kernels, KERNELS[name], counted)
    threads = fastnn.get_num_threads()
    fastnn.set_num_threads(2)
    try:
        _steps(torch, rng, opt, topt, params, tparams, 3, skip={(1, 1)})
    finally:
        fastnn.set_num_threads(threads)
    assert calls == [3, 2, 3]            # the parameter without gradient is left out
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(np.asarray(p), t.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, options", OPTIONS)
def test_mixed_dtypes_and_a_duplicate_parameter_follow_torch(torch, rng, name, options):
    arrays = [rng.standard_normal(3).astype(np.float64), rng.standard_normal(4)
              .astype(np.float32), rng.standard_normal((2, 3)).astype(np.float64)]
    params, tparams = _twins(torch, arrays)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        opt = getattr(fastnn.optim, name)(params + params[:1], **options)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        topt = getattr(torch.optim, name)(tparams + tparams[:1], **options)
    _steps(torch, rng, opt, topt, params, tparams, 3)
    for p, t in zip(params, tparams):
        tol = dict(rtol=1e-6, atol=1e-7) if p.dtype == np.float32 else dict(rtol=1e-12)
        np.testing.assert_allclose(np.asarray(p), t.detach().numpy(), **tol)
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]
    state, tstate = opt.state_dict()["state"], topt.state_dict()["state"]
    assert list(state) == list(tstate)
    for index, values in tstate.items():
        for key, value in values.items():
            np.testing.assert_allclose(np.asarray(state[index][key]), value.numpy(),
                                       rtol=1e-6)


@pytest.mark.parametrize("name, options", [("Adam", dict(eps=0.0)),
                                           ("RMSprop", dict(eps=0.0))])
def test_zero_denominator_gives_torchs_nan(torch, name, options):
    params, tparams = _twins(torch, [np.zeros(3, dtype=np.float32)])
    opt = getattr(fastnn.optim, name)(params, **options)
    topt = getattr(torch.optim, name)(tparams, **options)
    params[0].grad, tparams[0].grad = np.zeros(3, np.float32), torch.zeros(3)
    opt.step()
    topt.step()
    assert np.isnan(tparams[0].detach().numpy()).all()
    np.testing.assert_array_equal(np.asarray(params[0]), tparams[0].detach().numpy())


def test_one_compilation_per_dtype(rng):
    for dtype in (np.float32, np.float64):
        for n in (1, 3):
            params = [fastnn.nn.Parameter(fastnn.tensor(rng.standard_normal(k + 1)
                                                        .astype(dtype))) for k in range(n)]
            for p in params:
                p.grad = np.ones(p.shape, dtype)
            for name, options in OPTIONS:
                getattr(fastnn.optim, name)(params, **options).step()
    for name in ("sgd", "adam", "rmsprop"):
        assert len(getattr(kernels, name).signatures) <= 2


@pytest.mark.parametrize("name, options", OPTIONS)
def test_replaced_state_is_used_by_the_next_step(torch, rng, name, options):
    # the addresses of the state arrays are kept between steps: a loaded state must
    # replace them
    arrays = [rng.standard_normal(s).astype(np.float64) for s in [(3, 2), (4,)]]
    params, tparams = _twins(torch, arrays)
    opt = getattr(fastnn.optim, name)(params, **options)
    topt = getattr(torch.optim, name)(tparams, **options)
    _steps(torch, rng, opt, topt, params, tparams, 2)
    saved, tsaved = copy.deepcopy(opt.state_dict()), copy.deepcopy(topt.state_dict())
    _steps(torch, rng, opt, topt, params, tparams, 2)
    opt.load_state_dict(saved)
    topt.load_state_dict(tsaved)
    _steps(torch, rng, opt, topt, params, tparams, 2)
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(np.asarray(p), t.detach().numpy(), rtol=1e-12)
