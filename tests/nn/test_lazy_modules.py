"""Lazy modules (nn.LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*,
LazyInstanceNorm*), UninitializedParameter/Buffer and nn.Buffer, against torch."""
import copy

import numpy as np
import pytest
import torch

import fastnn
import fastnn.nn as nn

RNG = np.random.default_rng(0)

# (lazy name, lazy args, eager name, eager args given the inferred size, input shape)
CASES = [
    ("LazyLinear", (3,), "Linear", lambda n: (n, 3), (2, 5)),
    ("LazyLinear", (3, False), "Linear", lambda n: (n, 3, False), (2, 4, 5)),
    ("LazyConv1d", (4, 3), "Conv1d", lambda n: (n, 4, 3), (2, 3, 8)),
    ("LazyConv1d", (4, 3), "Conv1d", lambda n: (n, 4, 3), (3, 8)),       # unbatched
    ("LazyConv2d", (4, 3, 1, 1, 1, 2), "Conv2d", lambda n: (n, 4, 3, 1, 1, 1, 2),
     (2, 6, 5, 5)),
    ("LazyConv3d", (2, 2), "Conv3d", lambda n: (n, 2, 2), (1, 2, 3, 3, 3)),
    ("LazyConvTranspose1d", (4, 3, 2), "ConvTranspose1d", lambda n: (n, 4, 3, 2), (2, 3, 6)),
    ("LazyConvTranspose2d", (4, 3), "ConvTranspose2d", lambda n: (n, 4, 3), (3, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), "ConvTranspose3d", lambda n: (n, 2, 2), (1, 2, 3, 3, 3)),
    ("LazyBatchNorm1d", (), "BatchNorm1d", lambda n: (n,), (4, 3)),
    ("LazyBatchNorm2d", (), "BatchNorm2d", lambda n: (n,), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (1e-3, 0.2, False), "BatchNorm3d", lambda n: (n, 1e-3, 0.2, False),
     (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), "InstanceNorm1d", lambda n: (n, 1e-5, 0.1, True, True),
     (2, 3, 5)),
    ("LazyInstanceNorm2d", (), "InstanceNorm2d", lambda n: (n, 1e-5, 0.1, True, True),
     (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), "InstanceNorm3d", lambda n: (n, 1e-5, 0.1, True, True),
     (2, 3, 2, 2, 2)),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def _inferred(lazy_name, shape):
    if lazy_name == "LazyLinear":
        return shape[-1]
    if "Conv" in lazy_name:
        spatial = int(lazy_name[-2])
        return shape[1] if len(shape) == spatial + 2 else shape[0]
    return shape[1]


def _state(module):
    return {k: np.array(v) for k, v in module.state_dict().items()}


@pytest.mark.parametrize("name, args, eager, eager_args, shape", CASES, ids=IDS)
def test_first_forward_materialises_as_the_eager_module(name, args, eager, eager_args, shape):
    x = RNG.standard_normal(shape).astype(np.float32)
    fastnn.manual_seed(7)
    lazy = getattr(nn, name)(*args)
    assert lazy.has_uninitialized_params()
    assert all(isinstance(p, nn.UninitializedParameter) for p in lazy.parameters())
    out = lazy(fastnn.tensor(x))
    assert type(lazy) is getattr(nn, eager)
    assert not hasattr(lazy, "has_uninitialized_params")    # torch's eager class has none
    assert all(type(p) is nn.Parameter for p in lazy.parameters())

    n = _inferred(name, shape)
    fastnn.manual_seed(7)
    ref = getattr(nn, eager)(*eager_args(n))
    ref_out = ref(fastnn.tensor(x))           # the same forward (running statistics)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(ref_out))
    ours, theirs = _state(lazy), _state(ref)
    ours.pop("num_batches_tracked", None), theirs.pop("num_batches_tracked", None)
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key])
    assert repr(lazy) == repr(ref)

    # torch's lazy module, same seed: the same sizes, class and initial values
    torch.manual_seed(7)
    tlazy = getattr(torch.nn, name)(*args)
    tout = tlazy(torch.tensor(x))
    assert type(tlazy).__name__ == eager
    assert repr(lazy) == repr(tlazy)
    for key, value in tlazy.state_dict().items():
        if key in ours:
            np.testing.assert_allclose(ours[key], value.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(out), tout.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_lazy_linear_before_and_after():
    m = nn.LazyLinear(3)
    t = torch.nn.LazyLinear(3)
    assert repr(m) == repr(t) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert repr(m.weight) == "<UninitializedParameter>"
    assert m.weight.requires_grad and m.weight.dtype == np.float32
    with pytest.raises(RuntimeError) as ours:
        m.weight.shape
    with pytest.raises(RuntimeError) as theirs:
        t.weight.shape
    assert str(ours.value) == str(theirs.value)
    assert "Can't access the shape of an uninitialized parameter" in str(ours.value)
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        m.weight + 1
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        t.weight + 1
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias"]
    assert all(isinstance(v, nn.UninitializedParameter) for v in sd.values())
    assert all(type(v).__name__ == "UninitializedParameter" for v in t.state_dict().values())


def test_lazy_double_dtype_and_no_bias():
    fastnn.manual_seed(1)
    m = nn.LazyLinear(2, bias=False, dtype=fastnn.float64)
    assert m.bias is None
    y = m(fastnn.randn(3, 4, dtype=fastnn.float64))
    assert m.weight.dtype == np.float64 and y.dtype == np.float64
    assert m.in_features == 4


def test_load_state_dict_materialises_then_forward_changes_the_class():
    src = torch.nn.Linear(4, 3)
    for make in (lambda: nn.LazyLinear(3), lambda: torch.nn.LazyLinear(3)):
        m = make()
        m.load_state_dict(src.state_dict())
        assert type(m).__name__ == "LazyLinear"
        assert tuple(m.weight.shape) == (3, 4) and type(m.weight).__name__ == "Parameter"
        assert m.in_features == 0
        m(torch.randn(2, 4) if isinstance(m, torch.nn.Module) else fastnn.randn(2, 4))
        assert type(m).__name__ == "Linear" and m.in_features == 4
        np.testing.assert_array_equal(np.asarray(m.weight.detach()
                                                 if isinstance(m, torch.nn.Module)
                                                 else m.weight), src.weight.detach().numpy())
    m = nn.LazyLinear(3)
    m.load_state_dict(src.state_dict())
    with pytest.raises(AssertionError, match="The in_features inferred from input: 5 is not"):
        m(fastnn.randn(2, 5))


def test_state_dict_round_trip_and_buffers():
    fastnn.manual_seed(0)
    net = nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(),
                        nn.LazyLinear(2))
    sd = net.state_dict(keep_vars=True)
    assert isinstance(sd["1.running_mean"], nn.UninitializedBuffer)
    assert sd["1.num_batches_tracked"].dtype == np.int64
    x = fastnn.randn(2, 3, 6, 6)
    y = net(x)
    assert [type(m).__name__ for m in net] == ["Conv2d", "BatchNorm2d", "ReLU", "Flatten",
                                               "Linear"]
    assert type(net[1].running_mean) is fastnn.Tensor
    fresh = nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(),
                          nn.LazyLinear(2))
    fresh.load_state_dict(net.state_dict())
    assert not any(m.has_uninitialized_params() for m in fresh
                   if isinstance(m, nn.modules.lazy.LazyModuleMixin))
    net.eval(), fresh.eval()
    np.testing.assert_array_equal(np.asarray(fresh(x)), np.asarray(net(x)))
    assert y.shape == (2, 2)
    # loading an uninitialised state_dict into an initialised module: torch's shape error
    with pytest.raises(RuntimeError):
        torch.nn.Linear(4, 3).load_state_dict(torch.nn.LazyLinear(3).state_dict())


def test_uninitialized_parameter_and_buffer_materialize_in_place():
    p = nn.UninitializedParameter()
    ref = p
    p.materialize((2, 3))
    assert p is ref and type(p) is nn.Parameter and p.shape == (2, 3) and p.requires_grad
    b = nn.UninitializedBuffer()
    assert not b.requires_grad and repr(b) == repr(torch.nn.UninitializedBuffer())
    b.materialize(4)
    assert type(b) is fastnn.Tensor and b.shape == (4,)
    q = copy.deepcopy(nn.UninitializedParameter(requires_grad=False))
    assert isinstance(q, nn.UninitializedParameter) and not q.requires_grad


def test_errors_as_torch():
    for lib, x in ((nn, fastnn.randn(5, 5)), (torch.nn, torch.randn(5, 5))):
        with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) "
                           r"input to LazyConv2d, but got input of size: "
                           r"torch.Size\(\[5, 5\]\)"):
            lib.LazyConv2d(4, 3)(x)
    for lib, x in ((nn, fastnn.randn(1, 3, 5)), (torch.nn, torch.randn(1, 3, 5))):
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            lib.LazyConv1d(4, 3, groups=2)(x)
    # as torch's, num_features is shape[1] even for an unbatched instance-norm input
    messages = []
    for lib, x in ((nn, fastnn.randn(3, 5)), (torch.nn, torch.randn(3, 5))):
        m = lib.LazyInstanceNorm1d()
        with pytest.raises(ValueError) as info:
            m(x)
        messages.append(str(info.value))
        assert m.num_features == 5
    assert messages[0] == messages[1]


def test_buffer_assignment_registers_a_buffer():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.kept = nn.Buffer(fastnn.ones(2))
            self.scratch = nn.Buffer(fastnn.zeros(3), persistent=False)

    net = Net()
    assert [name for name, _ in net.named_buffers()] == ["kept", "scratch"]
    assert list(net.state_dict()) == ["kept"]
    assert isinstance(net.kept, nn.Buffer) and not isinstance(fastnn.ones(1), nn.Buffer)
    assert type(nn.Buffer(fastnn.ones(1))) is fastnn.Tensor
    net.kept = fastnn.full((2,), 5.0)        # a plain tensor replaces the buffer's value
    np.testing.assert_array_equal(np.asarray(net.state_dict()["kept"]), [5.0, 5.0])
