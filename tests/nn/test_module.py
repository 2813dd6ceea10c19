"""nn.Module against torch.nn.Module: registration, traversal, modes, repr, errors, hooks,
state dicts, dtype moves, pickle/deepcopy.  One model source is built twice, once with
torch.nn and once with fastnn.nn, and everything observable is compared."""
import copy
import pickle
import re
from collections import OrderedDict

import numpy as np
import pytest

import fastnn
import fastnn.nn as fnn
from fastnn.nn.modules.hooks import RemovableHandle
from torch_compare import raises_like


def _np_zeros(*shape, dtype="float32"):
    return np.zeros(shape, dtype)


def build_net(nn, zeros):
    """The same model source for both libraries; `zeros(*shape, dtype=name)` makes arrays."""

    class Affine(nn.Module):
        def __init__(self, n_in, n_out, bias=True):
            super().__init__()
            self.n_in, self.n_out = n_in, n_out
            self.weight = nn.Parameter(zeros(n_out, n_in))
            if bias:
                self.bias = nn.Parameter(zeros(n_out))
            else:
                self.register_parameter("bias", None)

        def forward(self, x):
            y = x @ self.weight.T
            return y if self.bias is None else y + self.bias

        def extra_repr(self):
            return f"n_in={self.n_in}, n_out={self.n_out}, bias={self.bias is not None}"

    class Stats(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.scale = nn.Parameter(zeros(n) + 1)
            self.register_buffer("running_mean", zeros(n))
            self.register_buffer("num_batches_tracked", zeros(dtype="int64"))
            self.register_buffer("scratch", zeros(n), persistent=False)
            self.register_buffer("absent", None)

        def forward(self, x):
            return (x - self.running_mean) * self.scale

    class Leaf(nn.Module):
        def forward(self, x):
            return x

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            shared = Affine(3, 3)
            self.first = shared
            self.body = nn.Sequential(Affine(3, 4), Leaf(), Stats(4))
            self.heads = nn.ModuleList([Affine(4, 2, bias=False), shared])
            self.table = nn.ModuleDict({"z": Leaf(), "a": Affine(2, 2)})
            self.table.add_module("empty", None)
            self.tied = nn.Parameter(zeros(2))
            self.register_buffer("step", zeros(1))

        def forward(self, x):
            x = self.first(x)
            x = self.body(x)
            x = self.heads[0](x)
            return self.table["a"](x) + self.tied

    return {"Affine": Affine, "Stats": Stats, "Leaf": Leaf, "Net": Net}


def _publish(classes, prefix):
    """Give the fastnn twin's classes module-level names so that pickle can find them."""
    for name, cls in classes.items():
        cls.__qualname__ = prefix + name
        globals()[prefix + name] = cls
    return classes["Net"]


FastnnNet = _publish(build_net(fnn, _np_zeros), "Fastnn")


@pytest.fixture
def twins(torch):
    def torch_zeros(*shape, dtype="float32"):
        return torch.zeros(shape, dtype=getattr(torch, dtype))

    torch.manual_seed(0)
    t_net = build_net(torch.nn, torch_zeros)["Net"]()
    f_net = FastnnNet()
    with torch.no_grad():
        for p in t_net.parameters():
            p.normal_()
        for name, b in t_net.named_buffers():
            if b.is_floating_point():
                b.normal_()
    return t_net, f_net



# ---- traversal and naming ----------------------------------------------------------------

def test_names_and_orders_match_torch(twins):
    t, f = twins

    def keys(it):
        return [k for k, _ in it]

    assert keys(f.named_parameters()) == keys(t.named_parameters())
    assert keys(f.named_parameters(prefix="m", recurse=True)) == \
        keys(t.named_parameters(prefix="m", recurse=True))
    assert keys(f.named_parameters(remove_duplicate=False)) == \
        keys(t.named_parameters(remove_duplicate=False))
    assert keys(f.named_parameters(recurse=False)) == keys(t.named_parameters(recurse=False))
    assert keys(f.named_buffers()) == keys(t.named_buffers())
    assert keys(f.named_children()) == keys(t.named_children())
    assert keys(f.named_modules()) == keys(t.named_modules())
    assert keys(f.named_modules(prefix="root")) == keys(t.named_modules(prefix="root"))
    assert keys(f.named_modules(remove_duplicate=False)) == \
        keys(t.named_modules(remove_duplicate=False))
    assert list(f.state_dict()) == list(t.state_dict())
    assert list(f.state_dict(prefix="x.")) == list(t.state_dict(prefix="x."))
    assert len(list(f.parameters())) == len(list(t.parameters()))
    assert len(list(f.buffers())) == len(list(t.buffers()))
    assert [type(m).__name__ for m in f.modules()] == [type(m).__name__ for m in t.modules()]
    assert [type(m).__name__ for m in f.children()] == [type(m).__name__ for m in t.children()]


def test_shared_members_appear_once(twins):
    _, f = twins
    names = [k for k, _ in f.named_modules()]
    assert "heads.1" not in names and "first" in names
    params = list(f.parameters())
    assert len({id(p) for p in params}) == len(params)
    assert f.heads[1] is f.first


def test_repr_matches_torch(twins):
    t, f = twins
    assert repr(f) == repr(t)
    assert repr(f.body[2]) == repr(t.body[2])


def test_apply_visits_children_first_like_torch(twins):
    t, f = twins
    t_seen, f_seen = [], []
    assert t.apply(lambda m: t_seen.append(type(m).__name__)) is t
    assert f.apply(lambda m: f_seen.append(type(m).__name__)) is f
    assert f_seen == t_seen
    assert f_seen[-1] == "Net"


def test_train_eval_recurse_and_return_self(twins):
    _, f = twins
    assert f.training
    assert f.eval() is f
    assert not any(m.training for m in f.modules())
    assert f.train() is f
    assert all(m.training for m in f.modules())
    f.body.train(False)
    assert f.training and not f.body[2].training


@pytest.mark.parametrize("mode", [1, "no", None, np.bool_(True)])
def test_train_rejects_non_bool(torch, mode):
    raises_like(lambda: torch.nn.Module().train(mode), lambda: fnn.Module().train(mode))


# ---- registration and misuse -----------------------------------------------------------

def _before_init(nn, what):
    class Early(nn.Module):
        def __init__(self):
            if what == "parameter":
                self.w = nn.Parameter(_zeros_like_lib(nn))
            elif what == "module":
                self.m = nn.Module()
            elif what == "buffer":
                self.register_buffer("b", None)
            elif what == "register_parameter":
                self.register_parameter("w", None)
            elif what == "getattr":
                self.missing
            super().__init__()

    return Early


def _zeros_like_lib(nn):
    if nn is fnn:
        return np.zeros(2, np.float32)
    import torch
    return torch.zeros(2)


@pytest.mark.parametrize("what", ["parameter", "module", "buffer", "register_parameter",
                                  "getattr"])
def test_use_before_super_init_matches_torch(torch, what):
    raises_like(_before_init(torch.nn, what), _before_init(fnn, what))


def _misuse_cases(nn, zeros):
    m = nn.Module()
    m.existing = 1
    m.register_buffer("buf", zeros(2))
    p = nn.Parameter(zeros(2))
    return {
        "param dot": lambda: m.register_parameter("a.b", p),
        "param empty": lambda: m.register_parameter("", p),
        "param exists": lambda: m.register_parameter("existing", p),
        "param non-str": lambda: m.register_parameter(3, p),
        "buffer dot": lambda: m.register_buffer("a.b", zeros(2)),
        "buffer empty": lambda: m.register_buffer("", zeros(2)),
        "buffer exists": lambda: m.register_buffer("existing", zeros(2)),
        "buffer non-str": lambda: m.register_buffer(1.5, zeros(2)),
        "module dot": lambda: m.add_module("a.b", nn.Module()),
        "module empty": lambda: m.add_module("", nn.Module()),
        "module exists": lambda: m.register_module("existing", nn.Module()),
        "module non-str": lambda: m.add_module(7, nn.Module()),
        "module not module": lambda: m.add_module("x", 5),
        "missing attr": lambda: m.nothing_here,
        "no forward": lambda: m(1),
        "init args": lambda: type("Net", (nn.Module,), {})(3),
        "init kwargs": lambda: type("Net", (nn.Module,), {})(k=3),
        "get_submodule": lambda: m.get_submodule("nope"),
        "get_submodule non-module": lambda: m.get_submodule("existing"),
        "get_parameter": lambda: m.get_parameter("buf"),
        "get_buffer": lambda: m.get_buffer("existing"),
    }


def test_misuse_errors_match_torch(torch):
    def torch_zeros(*shape, dtype="float32"):
        return torch.zeros(shape, dtype=getattr(torch, dtype))

    t_cases = _misuse_cases(torch.nn, torch_zeros)
    f_cases = _misuse_cases(fnn, _np_zeros)
    for name in t_cases:
        try:
            raises_like(t_cases[name], f_cases[name])
        except AssertionError as e:
            raise AssertionError(f"case {name!r}: {e}") from None


def test_type_errors_name_fastnn_types():
    m = fnn.Module()
    m.w = fnn.Parameter(np.zeros(2, np.float32))
    m.child = fnn.Module()
    m.register_buffer("b", np.zeros(2))
    with pytest.raises(TypeError, match=re.escape(
            "cannot assign 'numpy.ndarray' as parameter 'w' "
            "(fastnn.nn.Parameter or None expected)")):
        m.w = np.zeros(2)
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module 'child' "
                                        r"\(fastnn.nn.Module or None expected\)"):
        m.child = 3
    with pytest.raises(TypeError, match=r"cannot assign 'str' as buffer 'b'"):
        m.b = "x"
    with pytest.raises(TypeError, match=r"cannot assign 'numpy.ndarray' object to parameter "
                                        r"'v' \(fastnn.nn.Parameter or None required\)"):
        m.register_parameter("v", np.zeros(2))
    with pytest.raises(TypeError, match=r"cannot assign 'list' object to buffer 'c'"):
        m.register_buffer("c", [1.0])
    # the failed assignments changed nothing
    assert isinstance(m.w, fnn.Parameter) and isinstance(m.child, fnn.Module)
    assert m.b.shape == (2,)


def test_setattr_routing_like_torch():
    m = fnn.Module()
    w = fnn.Parameter(np.ones(2, np.float32))
    m.x = w
    assert m._parameters["x"] is w and "x" not in m.__dict__
    m.x = None
    assert m._parameters["x"] is None and m.x is None
    with pytest.raises(TypeError, match="as parameter 'x'"):
        m.x = fnn.Module()                   # torch refuses a module on a parameter name
    m.y = fnn.Module()
    m.y = w                                  # but a parameter replaces a module
    assert "y" in m._parameters and "y" not in m._modules
    m.register_buffer("b", np.zeros(3), persistent=False)
    m.b = np.ones(4)                         # assigning to a buffer name updates the buffer
    assert m._buffers["b"].shape == (4,) and isinstance(m.b, fastnn.Tensor)
    assert "b" not in m.state_dict()         # still non-persistent
    t = np.zeros(2).view(fastnn.Tensor)
    m.b = t
    assert m.b is t
    m.plain = np.zeros(2)                    # unregistered arrays stay plain attributes
    assert "plain" in m.__dict__ and "plain" not in m._buffers
    for name in ("x", "y", "b", "plain"):
        delattr(m, name)
    assert not m._parameters and not m._buffers and "plain" not in m.__dict__
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'x'"):
        m.x


def test_dir_lists_registered_names(twins):
    _, f = twins
    names = dir(f)
    for name in ("tied", "step", "body", "heads", "forward", "training"):
        assert name in names
    assert names == sorted(names)
    assert "0" not in dir(f.body)


def test_get_submodule_parameter_buffer(twins):
    t, f = twins
    assert f.get_submodule("") is f
    assert f.get_submodule("body.2") is f.body[2]
    assert f.get_parameter("body.0.weight") is f.body[0].weight
    assert f.get_buffer("body.2.running_mean") is f.body[2].running_mean
    raises_like(lambda: t.get_submodule("body.9"), lambda: f.get_submodule("body.9"))
    raises_like(lambda: t.get_parameter("body.2.running_mean"),
                       lambda: f.get_parameter("body.2.running_mean"))


def test_requires_grad_and_zero_grad(twins):
    _, f = twins
    assert f.requires_grad_(False) is f
    assert not any(p.requires_grad for p in f.parameters())
    f.requires_grad_()
    assert all(p.requires_grad for p in f.parameters())
    before = {k: v.copy() for k, v in f.state_dict().items()}
    assert f.zero_grad() is None
    for k, v in f.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


# ---- hooks ---------------------------------------------------------------------------------

def _hook_script(nn, events):
    """Register a mix of hooks, call, remove some, call again; record everything."""

    class Double(nn.Module):
        def forward(self, x, scale=1):
            events.append(("forward", x, scale))
            return x * 2 * scale

    m = Double()
    h1 = m.register_forward_pre_hook(lambda mod, args: events.append(("pre1", args)))
    m.register_forward_pre_hook(lambda mod, args: args[0] + 1)            # non-tuple: wrapped
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 3,))        # a tuple is not
    m.register_forward_pre_hook(lambda mod, args: events.append(("pre0", args)), prepend=True)
    m.register_forward_pre_hook(
        lambda mod, args, kwargs: (args, {**kwargs, "scale": 10}), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: events.append(("post1", args, out)))
    h2 = m.register_forward_hook(lambda mod, args, out: out + 100)
    m.register_forward_hook(lambda mod, args, kwargs, out: events.append(
        ("post_kw", args, sorted(kwargs.items()), out)), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: events.append(("post0", out)), prepend=True)
    events.append(("result", m(1)))
    h1.remove()
    h2.remove()
    h2.remove()                                 # removing twice is harmless
    events.append(("result", m(1, scale=3)))
    events.append(("direct", m.forward(1)))     # .forward() runs no hook
    with m.register_forward_hook(lambda mod, args, out: -out):
        events.append(("ctx", m(1)))
    events.append(("after ctx", m(1)))


def test_hook_semantics_match_torch(torch):
    t_events, f_events = [], []
    _hook_script(torch.nn, t_events)
    _hook_script(fnn, f_events)
    assert f_events == t_events
    assert ("result", (1 + 1) * 3 * 2 * 10 + 100) in f_events  # sanity of the script itself


def test_pre_hook_with_kwargs_bad_return_matches_torch(torch):
    def call(nn):
        m = nn.Identity()
        m.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
        return m(1)

    raises_like(lambda: call(torch.nn), lambda: call(fnn))


def test_always_call_hook_runs_when_forward_raises(torch):
    def script(nn, events):
        class Boom(nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        m = Boom()
        m.register_forward_hook(lambda mod, a, out: events.append(("always", a, out)),
                                always_call=True)
        m.register_forward_hook(lambda mod, a, out: events.append(("normal", out)))
        with pytest.raises(ValueError, match="boom"):
            m(1)

    t_events, f_events = [], []
    script(torch.nn, t_events)
    script(fnn, f_events)
    assert f_events == t_events == [("always", (1,), None)]


def test_call_without_hooks_skips_hook_code(monkeypatch):
    m = fnn.Identity()

    def fail(*a):
        raise AssertionError("hook path entered")

    monkeypatch.setattr(fnn.Module, "_call_with_hooks", fail)
    x = np.zeros(2).view(fastnn.Tensor)
    assert m(x) is x
    h = m.register_forward_hook(lambda *a: None)
    with pytest.raises(AssertionError, match="hook path"):
        m(x)
    h.remove()
    assert m(x) is x


def test_handles_are_unique_and_survive_pickle():
    m = fnn.Identity()
    handles = [m.register_forward_hook(lambda *a: None) for _ in range(3)]
    assert len({h.id for h in handles}) == 3
    hooks = OrderedDict()
    handle = RemovableHandle(hooks)
    hooks[handle.id] = print
    restored = pickle.loads(pickle.dumps(handle))
    assert restored.id == handle.id
    restored.remove()                           # its dict is a dead copy: nothing happens here
    assert handle.id in hooks
    assert m.register_forward_hook(print).id > restored.id


# ---- state_dict ---------------------------------------------------------------------------

def test_state_dict_values_share_memory(twins):
    _, f = twins
    sd = f.state_dict()
    assert type(sd).__name__ == "OrderedDict"
    assert not isinstance(sd["tied"], fnn.Parameter) and isinstance(sd["tied"], fastnn.Tensor)
    assert np.shares_memory(sd["tied"], f.tied)
    assert sd["body.2.num_batches_tracked"].dtype == np.int64
    assert "body.2.scratch" not in sd and "body.2.absent" not in sd
    assert "heads.0.bias" not in sd
    kept = f.state_dict(keep_vars=True)
    assert kept["tied"] is f.tied and kept["step"] is f.step
    assert sd._metadata[""] == {"version": 1} and "body.2" in sd._metadata


def test_load_torch_state_dict_into_fastnn_twin(twins, torch):
    t, f = twins
    f.double()                                   # loading keeps the module's dtypes
    params_before = {k: id(v) for k, v in f.named_parameters()}
    result = f.load_state_dict(t.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(f.state_dict()[k], v.numpy(), rtol=1e-7, atol=0)
    assert {k: id(v) for k, v in f.named_parameters()} == params_before   # copied in place
    assert f.tied.dtype == np.float64
    assert f.body[2].num_batches_tracked.dtype == np.int64
    # keep_vars dicts hold Parameters that require grad: still loadable
    f.load_state_dict(t.state_dict(keep_vars=True))
    x = np.random.default_rng(0).standard_normal((5, 3))
    with torch.no_grad():
        expected = t(torch.from_numpy(x).float()).numpy()
    np.testing.assert_allclose(np.asarray(f(x)), expected, rtol=1e-5, atol=1e-5)


def test_fastnn_state_dict_loads_into_torch(twins, torch):
    t, f = twins
    rng = np.random.default_rng(1)
    with fastnn.no_grad():      # torch refuses in-place writes into parameters else
        for p in f.parameters():
            p[...] = rng.standard_normal(p.shape)
    t.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in f.state_dict().items()})
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), f.state_dict()[k])


def _broken_dicts(sd):
    bad_shape = dict(sd)
    bad_shape["body.0.weight"] = np.zeros((2, 3), np.float32)
    bad_shape["tied"] = np.zeros((3,), np.float32)
    missing = {k: v for k, v in sd.items() if not k.startswith("body.2")}
    unexpected = dict(sd, **{"extra": sd["tied"], "body.9.weight": sd["tied"],
                             "heads.0.bias": sd["tied"]})
    everything = dict(missing, **{"extra": sd["tied"], "first.weight": np.zeros((1, 1))})
    not_tensor = dict(sd, tied=[1.0, 2.0])
    return {"shape": bad_shape, "missing": missing, "unexpected": unexpected,
            "everything": everything, "not tensor": not_tensor}


@pytest.mark.parametrize("case", ["shape", "missing", "unexpected", "everything",
                                  "not tensor"])
@pytest.mark.parametrize("strict", [True, False])
def test_load_errors_and_reports_match_torch(twins, torch, case, strict):
    t, f = twins
    sd = {k: v.numpy().copy() for k, v in t.state_dict().items()}
    broken = _broken_dicts(sd)[case]
    as_torch = {k: torch.from_numpy(np.asarray(v)) if isinstance(v, np.ndarray) else v
                for k, v in broken.items()}
    try:
        t_result = t.load_state_dict(as_torch, strict=strict)
    except RuntimeError as e:
        with pytest.raises(RuntimeError) as f_err:
            f.load_state_dict(broken, strict=strict)
        if case == "not tensor":           # torch names its own class; fastnn names list too
            assert "received <class 'list'>" in str(f_err.value)
        else:
            assert str(f_err.value) == str(e)
    else:
        f_result = f.load_state_dict(broken, strict=strict)
        assert f_result == t_result
        assert repr(f_result) == repr(t_result)


def test_load_state_dict_misc(twins):
    _, f = twins
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'list'>"):
        f.load_state_dict([("tied", np.zeros(2))])
    m = fnn.Module()
    m.register_buffer("s", np.zeros((), np.float32))
    m.load_state_dict({"s": np.array([3.0])})            # 1-element 1-d into 0-d, as torch
    assert m.s == 3.0 and m.s.shape == ()
    ro = np.full(1, 2.0)
    ro.flags.writeable = False
    m.load_state_dict({"s": ro.reshape(())}, assign=True)
    assert m.s == 2.0 and m.s.flags.writeable           # a read-only source is copied
    w = fnn.Parameter(np.zeros(2, np.float32), requires_grad=False)
    m.w = w
    src = np.arange(2.0)
    m.load_state_dict({"s": np.zeros(()), "w": src}, assign=True)
    assert m.w is not w and isinstance(m.w, fnn.Parameter) and m.w.dtype == np.float64
    assert not m.w.requires_grad and np.shares_memory(m.w, src)


def test_extra_state_round_trip():
    class WithExtra(fnn.Module):
        def __init__(self):
            super().__init__()
            self.note = "a"

        def get_extra_state(self):
            return {"note": self.note}

        def set_extra_state(self, state):
            self.note = state["note"]

    outer = fnn.Sequential(WithExtra())
    sd = outer.state_dict()
    assert list(sd) == ["0._extra_state"]
    fresh = fnn.Sequential(WithExtra())
    fresh[0].note = "b"
    fresh.load_state_dict(sd)
    assert fresh[0].note == "a"
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "0._extra_state"'):
        fresh.load_state_dict({})
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "_extra_state"'):
        fnn.Module().load_state_dict({"_extra_state": 1})


# ---- dtype / device ---------------------------------------------------------------------

def test_to_double_float_keep_structure(twins, torch):
    _, f = twins
    shared = f.first.weight
    assert f.to(np.float64) is f
    assert f.first.weight is f.heads[1].weight               # shared stays shared
    assert f.first.weight is not shared
    for name, p in f.named_parameters():
        assert isinstance(p, fnn.Parameter) and p.dtype == np.float64, name
    for name, b in f.named_buffers():
        expected = np.int64 if name.endswith("num_batches_tracked") else np.float64
        assert b.dtype == expected and isinstance(b, fastnn.Tensor), name
    np.testing.assert_array_equal(f.first.weight, shared)    # same values
    f.table.a.weight = f.body[0].weight                      # tied across two modules
    f.float()
    assert f.table.a.weight is f.body[0].weight and f.table.a.weight.dtype == np.float32
    f.double()
    f.body.requires_grad_(False)
    f.float()
    assert all(p.dtype == np.float32 for p in f.parameters())
    assert not f.body[0].weight.requires_grad and f.first.weight.requires_grad
    same = f.tied
    f.to(dtype=np.float32)                                  # no-op keeps the objects
    assert f.tied is same
    f.to("cpu", torch.float64)
    assert f.tied.dtype == np.float64
    f.to(np.zeros(1, np.float32))                           # to(tensor) takes its dtype
    assert f.tied.dtype == np.float32
    f.to(torch.device("cpu"), non_blocking=True)
    assert f.cpu() is f


def test_to_errors(torch):
    m = fnn.Module()
    with pytest.raises(RuntimeError, match="fastnn runs on the CPU only; device 'cuda' is not "
                       "available"):
        m.to("cuda")
    with pytest.raises(TypeError, match=re.escape(
            "nn.Module.to only accepts floating point dtypes, but got desired dtype=int32")):
        m.to(np.int32)
    with pytest.raises(TypeError, match="got desired dtype=int64"):
        m.to(torch.int64)
    with pytest.raises(TypeError, match="float32 and float64 only, got float16"):
        m.to(np.float16)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        m.to(colour=1)
    with pytest.raises(TypeError, match="^nn.Module.to only accepts floating point"):
        torch.nn.Module().to(torch.int32)       # the wording fastnn follows


# ---- pickle / deepcopy ------------------------------------------------------------------

@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_round_trips_keep_parameters_registered(twins, how):
    _, f = twins
    rng = np.random.default_rng(2)
    with fastnn.no_grad():      # torch refuses in-place writes into parameters else
        for p in f.parameters():
            p[...] = rng.standard_normal(p.shape)
    f.eval()
    g = pickle.loads(pickle.dumps(f)) if how == "pickle" else copy.deepcopy(f)
    assert repr(g) == repr(f) and not g.training
    assert [k for k, _ in g.named_parameters()] == [k for k, _ in f.named_parameters()]
    for (k, a), (_, b) in zip(g.state_dict(keep_vars=True).items(),
                              f.state_dict(keep_vars=True).items()):
        assert type(a) is type(b), k
        assert not np.shares_memory(a, b)
        np.testing.assert_array_equal(a, b)
    assert g.first.weight is g.heads[1].weight                 # sharing survives
    x = rng.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(g(x)), np.asarray(f(x)))
    g.tied = fnn.Parameter(np.ones(2, np.float32))             # still routed after the copy
    assert "tied" in g._parameters and f.tied is not g.tied


def test_deepcopy_keeps_hooks():
    m = fnn.Identity()
    m.register_forward_hook(lambda mod, a, out: out * 3)
    c = copy.deepcopy(m)
    assert np.asarray(c(np.ones(1)))[0] == 3


# ---- torch-free checks -----------------------------------------------------------------

def test_literal_names_without_torch():
    net = FastnnNet()
    assert [k for k, _ in net.named_parameters()] == [
        "tied", "first.weight", "first.bias", "body.0.weight", "body.0.bias",
        "body.2.scale", "heads.0.weight", "table.a.weight", "table.a.bias"]
    assert list(net.state_dict()) == [
        "tied", "step", "first.weight", "first.bias", "body.0.weight", "body.0.bias",
        "body.2.scale", "body.2.running_mean", "body.2.num_batches_tracked",
        "heads.0.weight", "heads.1.weight", "heads.1.bias", "table.a.weight", "table.a.bias"]
    assert [k for k, _ in net.named_modules()] == [
        "", "first", "body", "body.0", "body.1", "body.2", "heads", "heads.0", "table",
        "table.z", "table.a"]
    assert repr(net.body[0]) == "Affine(n_in=3, n_out=4, bias=True)"
    assert repr(net.body[1]) == "Leaf()"


def test_load_error_text_without_torch():
    m = fnn.Sequential(fnn.Module())
    m[0].w = fnn.Parameter(np.zeros((3, 3), np.float32))
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict({"0.w": np.zeros((2, 3)), "x": np.zeros(1)})
    assert str(err.value) == (
        "Error(s) in loading state_dict for Sequential:\n\t"
        'Unexpected key(s) in state_dict: "x". \n\t'
        "size mismatch for 0.w: copying a param with shape torch.Size([2, 3]) from checkpoint, "
        "the shape in current model is torch.Size([3, 3]).")
    res = m.load_state_dict({"x": np.zeros(1)}, strict=False)
    assert res.missing_keys == ["0.w"] and res.unexpected_keys == ["x"]
    assert repr(res) == "_IncompatibleKeys(missing_keys=['0.w'], unexpected_keys=['x'])"
