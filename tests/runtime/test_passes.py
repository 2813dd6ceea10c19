"""The inference compiler's passes (fastnn._passes), each on a captured graph, and the fused
convolution keywords they use at the door (fastnn.nn.functional._fused): against the
unfused ops, the eager model and torch."""
import functools

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import _capture, _passes, backends, nn
from fastnn._dispatch import dispatch
from fastnn._graph import Ref
from fastnn._program import Program

from test_capture import block, image

RTOL = 1e-4           # relative to the output's scale


def assert_close(got, expected, rtol=RTOL):
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    scale = max(np.abs(expected).max(), 1e-30)
    assert np.abs(got - expected).max() <= rtol * scale, np.abs(got - expected).max() / scale


def torch_block(torch, model):
    """`Block` in torch with `model`'s weights."""
    tm = torch.nn.Module()
    tm.conv1 = torch.nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False)
    tm.bn1 = torch.nn.BatchNorm2d(8)
    tm.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1, bias=False)
    tm.bn2 = torch.nn.BatchNorm2d(8)
    tm.down = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 1, stride=2, bias=False),
                                  torch.nn.BatchNorm2d(8))
    tm.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in
                        model.state_dict().items()})
    tm.eval()

    def forward(x):
        out = torch.relu(tm.bn1(tm.conv1(x)))
        out = tm.bn2(tm.conv2(out))
        return torch.relu(out + tm.down(x))
    return forward


def optimized(model, x, passes=_passes.PASSES):
    graph, result = _capture.trace(model, (x,))
    done = _passes.optimize(graph, passes)
    return graph, done, result


def test_the_block_becomes_three_convolutions(torch):
    model, x = block(), image()
    graph, done, eager = optimized(model, x)
    assert done == {"remove_identities": 1, "fold_constants": 0, "fold_batch_norm": 3,
                    "fuse_residual": 1, "fuse_activation": 1}
    assert graph.count() == {"conv2d": 3}
    conv1, conv2, down = graph.nodes
    assert conv1.kwargs == {"activation": "relu"} and conv1.attrs.activation == "relu"
    assert down.kwargs == {"residual": conv2.ref, "activation": "relu"}
    assert "activation" not in conv2.kwargs and graph.output == down.ref
    assert set(graph.constants) == {f"{m}.{p}+bn" for m in ("conv1", "conv2", "down.0")
                                    for p in ("weight", "bias")}
    got = Program(graph)(x)
    assert_close(got, eager)
    with torch.no_grad():
        assert_close(got, torch_block(torch, model)(torch.from_numpy(x)).numpy())
    # the original model is untouched
    np.testing.assert_array_equal(model(x), eager)


def test_each_pass_keeps_the_numbers():
    model, x = block(), image()
    for i, rewrite in enumerate(_passes.PASSES):
        graph, done, eager = optimized(model, x, _passes.PASSES[:i + 1])
        assert done[rewrite.__name__] >= (rewrite is not _passes.fold_constants)
        assert_close(Program(graph)(x), eager)


def test_batch_norm_folds_into_linear_and_only_where_it_may(torch):
    fastnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5)).eval()
    model[1].running_mean[...] = np.arange(5, dtype=np.float32) / 10
    model[1].running_var[...] = np.arange(1, 6, dtype=np.float32) / 2
    x = image((3, 6))
    graph, done, eager = optimized(model, x)
    assert graph.count() == {"linear": 1} and done["fold_batch_norm"] == 1
    assert_close(Program(graph)(x), eager)

    class Shared(nn.Module):          # the convolution's output is read twice: no fold
        def __init__(self):
            super().__init__()
            self.conv, self.bn = nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4)

        def forward(self, x):
            y = self.conv(x)
            return self.bn(y) + y

    graph, done, _ = optimized(Shared().eval(), image())
    assert done["fold_batch_norm"] == 0 and graph.count()["batch_norm"] == 1
    training = block().train()              # batch statistics: never folded
    graph, done, _ = optimized(training, image())
    assert done["fold_batch_norm"] == 0


def test_identities_go_and_real_reshapes_stay():
    class Net(nn.Module):
        def forward(self, x):
            y = F.dropout(x, 0.5, training=False).view(2, 12).reshape(2, 12)
            return F.relu(F.dropout(y.flatten(0), 0.0)).view(4, 6)

    x = fastnn.from_numpy(image((2, 3, 4)))
    graph, done, eager = optimized(Net(), x, (_passes.remove_identities,))
    assert [n.op for n in graph.nodes] == ["view", "flatten", "relu", "view"]
    assert done == {"remove_identities": 3}
    np.testing.assert_array_equal(Program(graph)(x), eager)


def test_a_residual_that_broadcasts_is_left_alone():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, padding=1)

        def forward(self, x):
            return F.relu(self.conv(x) + x[:, :1])

    x = fastnn.from_numpy(image())
    graph, done, eager = optimized(Net().eval(), x)
    assert done["fuse_residual"] == 0 and graph.count()["add"] == 1
    assert graph.count()["relu"] == 1 and done["fuse_activation"] == 0


CONV_CASES = [((1, 16, 9, 9), (32, 16, 3, 3), dict(padding=1)),
              ((1, 3, 17, 19), (7, 3, 7, 7), dict(stride=2, padding=3)),
              ((2, 16, 8, 8), (24, 16, 1, 1), {}),
              ((1, 8, 8, 8), (8, 1, 3, 3), dict(padding=1, groups=8)),
              ((1, 16, 6, 10), (16, 4, 3, 3), dict(padding=1, groups=4))]


@pytest.mark.parametrize("xs, ws, kw", CONV_CASES)
def test_fused_convolution_against_the_unfused_ops_on_every_variant(torch, xs, ws, kw):
    rng = np.random.default_rng(len(ws) + ws[0])
    x, w = rng.standard_normal(xs, np.float32), rng.standard_normal(ws, np.float32)
    b = rng.standard_normal(ws[0], np.float32)
    x.reshape(-1)[3] = np.nan
    args = (x, w, b, kw.get("stride", 1), kw.get("padding", 0), 1, kw.get("groups", 1))
    plain = F.conv2d(*args)
    r = rng.standard_normal(plain.shape, np.float32)
    t = torch.nn.functional.conv2d(*(torch.from_numpy(a) for a in (x, w, b)), **kw)
    relu6 = torch.nn.functional.relu6
    expected = {"relu": torch.relu(t).numpy(), "add": (t + torch.from_numpy(r)).numpy(),
                "both": torch.relu(t + torch.from_numpy(r)).numpy(),
                "relu6": relu6(t).numpy(), "add relu6": relu6(t + torch.from_numpy(r)).numpy()}
    after = {name: (getattr(torch.nn.functional, name), getattr(F, name))
             for name in ("silu", "sigmoid", "hardswish", "hardsigmoid")}
    after["gelu"] = torch.nn.functional.gelu, F.gelu
    after["gelu_tanh"] = (functools.partial(torch.nn.functional.gelu, approximate="tanh"),
                          functools.partial(F.gelu, approximate="tanh"))
    for name, (theirs, _) in after.items():
        expected[name] = theirs(t).numpy()
        expected[f"add {name}"] = theirs(t + torch.from_numpy(r)).numpy()
    for variant in backends.applicable("conv2d", x, w, b, **kw):
        with backends.use("conv2d", variant):
            plain = np.asarray(F.conv2d(*args))
            got = {"relu": dispatch("conv2d", *args, activation="relu"),
                   "add": dispatch("conv2d", *args, residual=r),
                   "both": dispatch("conv2d", *args, activation="relu", residual=r),
                   "relu6": dispatch("conv2d", *args, activation="relu6"),
                   "add relu6": dispatch("conv2d", *args, activation="relu6", residual=r)}
            for name in after:
                got[name] = dispatch("conv2d", *args, activation=name)
                got[f"add {name}"] = dispatch("conv2d", *args, activation=name, residual=r)
        unfused = {"relu": F.relu(plain), "add": plain + r, "both": F.relu(plain + r),
                   "relu6": F.relu6(plain), "add relu6": F.relu6(plain + r)}
        for name, (_, ours) in after.items():
            unfused[name], unfused[f"add {name}"] = ours(plain), ours(plain + r)
        assert (plain > 6).any() and (plain < 0).any()
        for key, value in got.items():
            # the same sums: bit for bit the separate ops, NaN where they have it
            np.testing.assert_array_equal(value, unfused[key], err_msg=f"{variant} {key}")
            assert np.isnan(value).any() and (np.asarray(value) == 0).any() or (
                key.split()[-1] not in ("relu", "both", "relu6", "hardsigmoid"))
            if "relu6" in key:
                assert np.nanmax(value) == 6
            np.testing.assert_allclose(value, expected[key], rtol=2e-4, atol=2e-4,
                                       err_msg=f"{variant} {key}")


def test_fused_keywords_are_checked():
    x, w = image((1, 2, 5, 5)), image((3, 2, 3, 3), seed=2)
    with pytest.raises(ValueError, match=r"conv2d\(\): unknown activation 'tanh'; expected "
                                         r"one of \('relu', 'relu6', 'silu'"):
        dispatch("conv2d", x, w, activation="tanh")
    with pytest.raises(RuntimeError, match=r"residual of shape \[1, 3, 4, 4\] and dtype "
                                           r"float32 does not match the output's \[1, 3, 3, 3\]"):
        dispatch("conv2d", x, w, residual=image((1, 3, 4, 4)))
    with pytest.raises(RuntimeError, match="does not match"):
        dispatch("conv2d", x, w, residual=image((1, 3, 3, 3)).astype(np.float64))
    with fastnn.ops.record() as calls:
        dispatch("conv2d", x, w, activation="relu", residual=image((1, 3, 3, 3)))
    assert calls[0].attrs.activation == "relu" and calls[0].shapes[3] == (1, 3, 3, 3)


def test_relu6_and_hardtanh_0_6_are_fused_other_bounds_are_not(torch):
    """nn.ReLU6 (hardtanh(0, 6)), F.relu6 and F.hardtanh(x, 0, 6) fuse as "relu6", also
    after a residual add; hardtanh with other bounds stays a node."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(4, 8, 3, padding=1)
            self.act1 = nn.ReLU6(inplace=True)
            self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
            self.conv3 = nn.Conv2d(8, 8, 1)
            self.conv4 = nn.Conv2d(8, 8, 1)
            self.conv5 = nn.Conv2d(8, 8, 1)

        def forward(self, x):
            y = self.act1(self.conv1(x))
            z = F.relu6(self.conv2(y))
            z = F.hardtanh(self.conv3(z) + y, 0.0, 6.0)
            z = F.hardtanh(self.conv4(z), -1.0, 1.0)
            return F.hardtanh(self.conv5(z), 0.0, 5.0)

    model = Net().eval()
    x = fastnn.from_numpy(image() * 4)
    graph, done, eager = optimized(model, x)
    assert done["fuse_activation"] == 2 and done["fuse_residual"] == 1
    assert graph.count() == {"conv2d": 5, "hardtanh": 2}
    activations = [n.kwargs.get("activation") for n in graph.nodes if n.op == "conv2d"]
    assert activations == ["relu6", "relu6", "relu6", None, None]
    assert graph.nodes[2].kwargs["residual"] == graph.nodes[0].ref
    got = Program(graph)(x)
    assert_close(got, eager)


def test_activations_run_after_the_kernel_are_fused(torch):
    """silu, sigmoid, hardswish, hardsigmoid and both gelus (after a layer and after a
    residual add) become the layers' ``activation``; tanh stays a node."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = nn.ModuleList(nn.Conv2d(4, 4, 3, padding=1) for _ in range(7))
            self.act = nn.SiLU(inplace=True)
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            c = self.convs
            x = self.act(c[0](x))
            x = fastnn.sigmoid(c[1](x)) * 4 - 2
            x = F.hardswish(c[2](x) + x)
            x = F.hardsigmoid(c[3](x)) * 4 - 2
            x = F.gelu(c[4](x))
            x = fastnn.tanh(F.gelu(c[5](x), approximate="tanh"))
            x = c[6](x).mean((2, 3))
            return F.gelu(self.fc(x))

    model = Net().eval()
    x = fastnn.from_numpy(image() * 4)
    graph, done, eager = optimized(model, x)
    assert done["fuse_activation"] == 6 and done["fuse_residual"] == 1
    activations = [n.kwargs.get("activation") for n in graph.nodes
                   if n.op in ("conv2d", "linear")]
    assert activations == ["silu", "sigmoid", "hardswish", "hardsigmoid", "gelu",
                           "gelu_tanh", None, "gelu"]
    assert graph.count()["tanh"] == 1
    assert_close(Program(graph)(x), eager)


def test_refs_read_by_the_output_are_not_fused_away():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, padding=1)

        def forward(self, x):
            y = self.conv(x)
            return F.relu(y), y

    graph, done, _ = optimized(Net().eval(), fastnn.from_numpy(image()))
    assert done["fuse_activation"] == 0
    assert graph.output == (Ref("node", "relu"), Ref("node", "conv2d"))


def test_an_mlp_becomes_two_fused_linear_layers(torch):
    fastnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(33, 20), nn.BatchNorm1d(20), nn.ReLU(), nn.Dropout(),
                          nn.Linear(20, 7), nn.ReLU()).eval()
    model[1].running_var[...] = np.linspace(0.5, 2, 20, dtype=np.float32)
    x = image((5, 33))
    graph, done, eager = optimized(model, x)
    assert graph.count() == {"linear": 2}
    assert [n.kwargs for n in graph.nodes] == [{"activation": "relu"}] * 2
    got = Program(graph)(x)
    assert_close(got, eager)
    reference = torch.nn.Sequential(torch.nn.Linear(33, 20), torch.nn.BatchNorm1d(20),
                                    torch.nn.ReLU(), torch.nn.Dropout(),
                                    torch.nn.Linear(20, 7), torch.nn.ReLU()).eval()
    reference.load_state_dict({k: torch.from_numpy(np.array(v))
                               for k, v in model.state_dict().items()})
    with torch.no_grad():
        assert_close(got, reference(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("activation", ["relu", "relu6"])
@pytest.mark.parametrize("bias_shape", [(10,), None, (4, 10)])
def test_fused_linear_against_the_unfused_ops_on_every_variant(torch, bias_shape, activation):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((4, 33), np.float32), rng.standard_normal((10, 33), np.float32)
    b = None if bias_shape is None else rng.standard_normal(bias_shape, np.float32)
    x[1, 2] = np.nan
    t = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(w),
                                   None if b is None else torch.from_numpy(b))
    unfused_activation = getattr(F, activation)
    expected = getattr(torch.nn.functional, activation)(t).numpy()
    variants = backends.applicable("linear", x, w, b)
    assert {"numba_gemm", "blas"} <= set(variants)
    for variant in variants:
        with backends.use("linear", variant):
            got = dispatch("linear", x, w, b, activation=activation)
            plain = np.asarray(F.linear(x, w, b))
        assert (plain > 6).any() and (plain < 0).any()
        np.testing.assert_array_equal(got, unfused_activation(plain), err_msg=variant)
        assert np.isnan(got).any() and (np.asarray(got) == 0).any()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"linear\(\): unknown activation 'tanh'"):
        dispatch("linear", x, w, b, activation="tanh")


def test_nodes_of_constants_are_computed_once():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(fastnn.from_numpy(image((5, 3), seed=4)))
            self.register_buffer("mask", fastnn.from_numpy(image((5,), seed=6)) > 0)

        def forward(self, x):
            w = self.weight.t() * 2.0                            # constants only: folded
            scaled = F.linear(x, w.t()) * self.mask.float()      # mask.float(): folded
            return F.dropout(scaled, 0.5, training=True)         # random: stays

    net, x = Net(), fastnn.from_numpy(image((4, 3)))
    graph, _ = _capture.trace(net, (x,))
    folded = graph.nodes.index(graph.node("linear"))
    assert folded >= 3 and _passes.fold_constants(graph) == folded + 1
    assert [n.op for n in graph.nodes] == ["linear", "multiply", "dropout"]
    np.testing.assert_array_equal(graph.constants[graph.nodes[0].arg(1, "weight").key],
                                  np.asarray(net.weight) * 2)
    fastnn.manual_seed(5)
    got = Program(graph)(x)
    fastnn.manual_seed(5)
    np.testing.assert_array_equal(got, net(x))
