"""fastnn.optimize_for_inference as a compiler (fastnn._inference.CompiledModule): graphs
per input shape and dtype, numbers against the eager model and torch, the eager fallback
with one warning, hooks, state and the original model."""
import re
import copy
import pickle
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import _bench, nn, ops

RTOL = 1e-4                       # of the output's scale


def assert_close(got, expected, rtol=RTOL):
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    assert got.shape == expected.shape
    scale = np.abs(expected).max()
    assert np.abs(got - expected).max() <= rtol * scale


def with_statistics(model, seed=0):
    """`model` with non-trivial BatchNorm statistics and affine parameters."""
    rng = np.random.default_rng(seed)
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = module.num_features
            module.running_mean[...] = rng.standard_normal(c) * 0.2
            module.running_var[...] = rng.uniform(0.3, 3.0, c)
            module.weight.data[...] = rng.uniform(0.5, 1.5, c)
            module.bias.data[...] = rng.standard_normal(c) * 0.2
    return model.eval()


@pytest.fixture(scope="module")
def resnet():
    from fastnn.examples import resnet
    fastnn.manual_seed(0)
    return with_statistics(resnet.build())


def images(shape, seed=1, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def test_resnet18_compiles_to_twenty_fused_convolutions(torch, resnet):
    x = images((1, 3, 64, 64))
    compiled = fastnn.optimize_for_inference(resnet, example_input=x)
    graph = compiled.graph(x)
    assert graph.count() == {"conv2d": 20, "max_pool2d": 1, "adaptive_avg_pool2d": 1,
                             "flatten": 1, "linear": 1}
    kinds = [tuple(sorted(n.kwargs.keys() & {"activation", "residual"}))
             for n in graph.nodes if n.op == "conv2d"]
    assert kinds.count(("activation",)) == 9                 # the stem and conv1 of blocks
    assert kinds.count(("activation", "residual")) == 8      # the blocks' last convolution
    assert kinds.count(()) == 3               # second convolutions the shortcut adds to
    text = str(graph)
    assert "residual=conv2d_6, activation='relu')  # layer2.0.downsample.0" in text
    got = compiled(x)
    assert_close(got, resnet(x))
    expected = _bench._torch_model_call("resnet", resnet, x)().numpy()
    assert_close(got, expected)
    with ops.record() as calls:                 # the fused ops pass the door
        compiled(x)
    assert [c.op for c in calls].count("conv2d") == 20 and len(calls) == 24
    assert sum(c.attrs.get("activation") == "relu" for c in calls) == 17
    assert sum(len(c.shapes) == 4 for c in calls if c.op == "conv2d") == 8   # residual


def test_a_new_shape_or_dtype_is_traced_again(resnet):
    compiled = fastnn.optimize_for_inference(resnet)
    for shape, dtype in (((1, 3, 32, 32), np.float32), ((2, 3, 40, 40), np.float32),
                         ((1, 3, 32, 32), np.float32)):
        x = images(shape, dtype=dtype)
        assert_close(compiled(x), resnet(x))
    assert len(compiled._programs) == 2
    fastnn.manual_seed(0)
    small = with_statistics(nn.Sequential(nn.Conv2d(3, 5, 3), nn.BatchNorm2d(5), nn.ReLU()))
    compiled = fastnn.optimize_for_inference(small)
    x = images((1, 3, 9, 9))
    assert_close(compiled(x), small(x))
    compiled.double()                             # a dtype move compiles again
    got = compiled(x.astype(np.float64))
    assert got.dtype == np.float64
    assert compiled.graph(x.astype(np.float64)).count() == {"conv2d": 1}
    assert_close(got, small.double()(x.astype(np.float64)), rtol=1e-10)


class Branchy(nn.Module):
    """Its control flow reads the data: it cannot be captured."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        y = self.conv(x)
        return F.relu(y) if y.mean() > 0 else -y


def test_a_model_that_cannot_be_captured_runs_eagerly_with_one_warning():
    fastnn.manual_seed(0)
    model = Branchy().eval()
    compiled = fastnn.optimize_for_inference(model)
    x = images((1, 3, 8, 8))
    with pytest.warns(UserWarning) as record:
        first = compiled(x)
        second = compiled(x)
        compiled(images((2, 3, 8, 8)))               # another shape, the same reason
    assert len(record) == 1 and record[0].filename == __file__
    assert str(record[0].message) == (
        "fastnn.optimize_for_inference: Branchy runs eagerly: forward reads a traced "
        "tensor's value in Python (Tensor.__bool__): data-dependent control flow")
    np.testing.assert_array_equal(first, model(x))
    np.testing.assert_array_equal(second, first)
    assert compiled.graph(x) is None


def test_a_compiler_error_and_keyword_arguments_run_eagerly(monkeypatch, resnet):
    from fastnn import _passes

    def broken(graph):
        raise IndexError("bug")
    monkeypatch.setattr(_passes, "optimize", broken)
    compiled = fastnn.optimize_for_inference(nn.Sequential(nn.ReLU()))
    x = images((2, 3))
    with pytest.warns(UserWarning, match="runs eagerly: the compiler raised IndexError: bug"):
        np.testing.assert_array_equal(compiled(x), np.maximum(x, 0))

    class Keywords(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale
    compiled = fastnn.optimize_for_inference(Keywords())
    with pytest.warns(UserWarning, match="forward was given keyword arguments") as record:
        np.testing.assert_array_equal(compiled(x, scale=2.0), x * 2)
    assert record[0].filename == __file__


def test_hooks_on_the_compiled_model_run_and_inner_ones_do_not():
    fastnn.manual_seed(0)
    model = with_statistics(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()))
    compiled = fastnn.optimize_for_inference(model)
    seen = []
    compiled.register_forward_pre_hook(lambda m, args: seen.append("pre"))
    compiled.register_forward_hook(lambda m, args, out: out * 2)
    compiled.eager[1].register_forward_hook(lambda m, args, out: seen.append("inner"))
    x = images((1, 3, 6, 6))
    first = compiled(x)                 # captured now: the inner hook runs in the trace
    second = compiled(x)
    assert seen == ["pre", "inner", "pre"]
    assert_close(second, 2 * np.asarray(model(x)))
    np.testing.assert_array_equal(first, second)


def test_load_state_dict_refolds_and_the_original_is_untouched(resnet):
    before = {k: np.array(v) for k, v in resnet.state_dict().items()}
    hooks = dict(resnet._forward_hooks)
    compiled = fastnn.optimize_for_inference(resnet)
    x = images((1, 3, 32, 32))
    compiled(x)
    assert list(compiled.state_dict()) == list(before)
    other = copy.deepcopy(resnet)
    with_statistics(other, seed=7)
    compiled.load_state_dict(other.state_dict())
    assert_close(compiled(x), other(x))
    assert not np.allclose(compiled(x), resnet(x), rtol=1e-3)
    for key, value in resnet.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert not resnet.training and resnet._forward_hooks == hooks
    assert resnet.layer1[0].conv1.weight.flags.writeable
    with pytest.raises(RuntimeError, match="Missing key"):
        compiled.load_state_dict({})


def test_training_mode_runs_the_copy_eagerly():
    fastnn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    compiled = fastnn.optimize_for_inference(model)
    x = images((64, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(compiled(x), model.eval()(x))
        compiled.train()
        assert compiled.eager.training
        assert (np.asarray(compiled(x)) == 0).mean() > 0.3      # dropout is on
    assert "Linear(in_features=4, out_features=4" in repr(compiled)


def test_copies_and_pickles_compile_again():
    fastnn.manual_seed(0)
    model = with_statistics(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()))
    compiled = fastnn.optimize_for_inference(model)
    x = images((1, 3, 6, 6))
    expected = compiled(x)
    for other in (copy.deepcopy(compiled), pickle.loads(pickle.dumps(compiled))):
        assert other._programs == {}
        np.testing.assert_array_equal(other(x), expected)
        assert other.graph(x).count() == {"conv2d": 1}


@pytest.mark.parametrize("bad", ["abc", np.zeros((2, 2), np.float32)])
def test_bad_input_raises_the_models_own_error_and_is_not_remembered(bad):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU()).eval()
    with pytest.raises(Exception) as eager:
        model(bad)
    compiled = fastnn.optimize_for_inference(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # an input error, not a capture failure
        for call in (lambda: fastnn.optimize_for_inference(model, example_input=bad),
                     lambda: compiled(bad)):
            with pytest.raises(type(eager.value), match=re.escape(str(eager.value))):
                call()
        x = np.ones((1, 3, 5, 5), np.float32)
        np.testing.assert_array_equal(compiled(x), model(x))
        assert compiled.graph(x) is not None
