"""fastnn.optimize_for_inference: frozen convolution weights, packed once, same numbers."""
import copy
import pickle

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import _bench, backends, nn
from fastnn.kernels import conv_blocked
from fastnn.nn import _frozen
from fastnn.nn.functional import _conv
from kernel_args import kernel_argument


def model():
    """Convolutions that take 'blocked' (64ch 3x3), 'pointwise' (1x1), 'depthwise',
    'direct' (3 input channels) by default, with BatchNorm and Linear left as they are."""
    fastnn.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1, groups=64),
        nn.Conv2d(64, 32, 1), nn.Flatten(), nn.Linear(32 * 20 * 20, 10))


@pytest.fixture
def image():
    return np.random.default_rng(1).standard_normal((1, 3, 20, 20)).astype(np.float32)


class CountPacks:
    """Counts the packings of 'blocked' weights: by `pack_weight`, or group by group inside
    `conv3d_blocked` (its argument `group_weights` then has columns)."""

    def __init__(self, monkeypatch):
        self.count = 0
        launch = _conv.launch

        def counted(kernel, *args, **kwargs):
            if kernel is conv_blocked.pack_weight or (
                    kernel.__name__ == "conv3d_blocked"
                    and kernel_argument(kernel, args, "group_weights").shape[1] > 0):
                self.count += 1
            return launch(kernel, *args, **kwargs)
        monkeypatch.setattr(_conv, "launch", counted)


def folded(optimized, image, index):
    """The weight constant the compiled graph gives convolution `index` of `model()`."""
    graph = optimized.graph(image)
    for node in graph.nodes:
        if node.module == str(index):
            return graph.constants[node.arg(1, "weight").key]
    raise KeyError(index)


def test_close_numbers_and_the_original_is_left_alone(image):
    plain = model().eval()
    before = copy.deepcopy(plain.state_dict())
    optimized = fastnn.optimize_for_inference(plain)
    assert optimized is not plain and not optimized.training
    np.testing.assert_allclose(optimized(image), plain(image), rtol=1e-4, atol=1e-5)
    for key, value in plain.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert plain[3].weight.flags.writeable
    for index in (0, 3, 4, 5):          # folded (0) or not, convolution weights are frozen
        weight = folded(optimized, image, index)
        assert not weight.flags.writeable and isinstance(weight, nn.Parameter)
    assert optimized.graph(image).constants["7.weight"].flags.writeable     # linear's


def test_the_blocked_weights_are_packed_once(monkeypatch, image):
    optimized = fastnn.optimize_for_inference(model())
    packs = CountPacks(monkeypatch)
    weight = folded(optimized, image, 3)
    assert backends.current("conv2d", np.zeros((1, 64, 20, 20), np.float32), weight,
                            None, padding=1) == "blocked"
    for _ in range(3):
        optimized(image)
    assert packs.count == 1
    plain = model().eval()
    for _ in range(3):
        plain(image)
    assert packs.count == 4                             # an ordinary weight: every call


def test_writes_to_a_frozen_weight_raise(image):
    weight = folded(fastnn.optimize_for_inference(model()), image, 3)
    for write in (lambda: weight.__setitem__(0, 1.0), lambda: weight.data.__imul__(2),
                  lambda: weight.view(-1).fill_(0), lambda: np.copyto(weight, 0.0),
                  lambda: weight.zero_()):
        with pytest.raises(ValueError, match="read-only"):
            write()
    with pytest.raises(ValueError):
        weight.view(-1).flags.writeable = True


def test_load_state_dict_compiles_again(image):
    optimized = fastnn.optimize_for_inference(model())
    first = np.array(optimized(image))
    other = model()
    with fastnn.no_grad():      # torch refuses in-place writes into parameters else
        for conv in (other[0], other[3], other[5]):
            conv.weight *= -0.5
    other[1].running_var[...] = 3.0                  # folded into conv 0
    other.eval()
    optimized.load_state_dict(other.state_dict())
    got = optimized(image)
    np.testing.assert_allclose(got, other(image), rtol=1e-4, atol=1e-5)
    assert not np.allclose(got, first)
    np.testing.assert_array_equal(optimized.state_dict()["1.running_var"], 3.0)
    assert _frozen.is_frozen(folded(optimized, image, 3))


def test_compiled_calls_record_no_graph_with_grad_mode_on(monkeypatch, image):
    """The compiled model's weights, folded or loaded again, take no gradient: with grad
    mode on (the default) a call records no autograd node and its output requires none."""
    from fastnn.autograd import _record
    optimized = fastnn.optimize_for_inference(model())
    # loading arrays (no requires_grad of their own) freezes the weights again
    optimized.load_state_dict({key: np.array(value) for key, value in
                               model().state_dict().items()})
    graph = optimized.graph(image)
    assert not any(getattr(value, "requires_grad", False)
                   for value in graph.constants.values())
    fastnn.ones(1, requires_grad=True)          # autograd joins the door for the process

    def recorded(name, *args):
        raise AssertionError(f"{name} recorded a node")
    monkeypatch.setattr(_record, "_sources", recorded)
    assert fastnn.is_grad_enabled()
    assert not optimized(image).requires_grad


def test_unfreezing_the_memory_drops_the_packed_weights(image):
    optimized = fastnn.optimize_for_inference(model())
    before = np.array(optimized(image))
    weight = folded(optimized, image, 3)
    weight.base.flags.writeable = True              # the one way back to writeable memory
    weight.base[...] *= 2
    assert not _frozen.is_frozen(weight)
    assert not np.allclose(optimized(image), before)    # the new values are read


def test_copies_of_a_frozen_weight_are_ordinary(image):
    weight = folded(fastnn.optimize_for_inference(model()), image, 3)
    for other in (copy.deepcopy(weight), pickle.loads(pickle.dumps(weight))):
        assert other.flags.writeable and not _frozen.is_frozen(other)
        np.testing.assert_array_equal(other, weight)


def test_a_frozen_weight_in_the_functional_api(torch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 32, 12, 12)).astype(np.float32)
    w = rng.standard_normal((48, 32, 3, 3)).astype(np.float32)
    frozen = _frozen.freeze(w)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                          padding=1).numpy()
    for variant in backends.applicable("conv2d", x, frozen, padding=1):
        if variant == "naive":
            continue
        with backends.use("conv2d", variant):
            got = F.conv2d(x, frozen, padding=1)
            got_again = F.conv2d(x, frozen, padding=1)
        np.testing.assert_allclose(got, expected, rtol=2e-4, atol=2e-4, err_msg=variant)
        np.testing.assert_array_equal(got_again, got)
    # a view of the frozen weight is an ordinary read-only array: not served from the cache
    view = frozen.view(48, 32, 3, 3)
    assert _frozen.kernel_weight(view) is None
    np.testing.assert_allclose(F.conv2d(x, view, padding=1), expected, rtol=2e-4, atol=2e-4)
    # 'blocked' takes it, packed once and kept with it
    assert backends.current("conv2d", x, frozen, padding=1) == "blocked"
    # a view is not the frozen weight: the rule treats it as any weight
    assert backends.current("conv2d", x, view, padding=1) == backends.current(
        "conv2d", x, w, padding=1)


def test_resnet_optimized_gives_the_same_numbers_up_to_rounding(torch):
    # folded batch norms and fused epilogues: the same sums, in another order
    from fastnn.examples import resnet
    fastnn.manual_seed(0)
    plain = resnet.build().eval()
    x = np.asarray(resnet.example_input(batch_size=1, size=64))
    optimized = fastnn.optimize_for_inference(plain)
    got, ours = optimized(x), plain(x)
    expected = _bench._torch_model_call("resnet", plain, x)().numpy()
    assert not np.array_equal(got, ours)        # another kernel ran: the test means it
    np.testing.assert_allclose(got, ours, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("value", [None, np.zeros(3), "model", F.conv2d])
def test_anything_but_a_module_is_refused(value):
    with pytest.raises(TypeError, match="argument 'module' must be a Module, not"):
        fastnn.optimize_for_inference(value)
