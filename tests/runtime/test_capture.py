"""Graph capture at the door (fastnn._capture, fastnn._graph, fastnn._program): what a
trace records, how it names values, what makes it refuse, and that a captured graph run
again gives the eager result bit for bit (the same ops on the same arrays)."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import _capture, _dispatch, nn, ops
from fastnn._graph import Ref
from fastnn._program import Program

MODULE_CALL = nn.Module.__call__


class Block(nn.Module):
    """A ResNet basic block with a downsampling shortcut and a Dropout/Identity tail."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.down = nn.Sequential(nn.Conv2d(4, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))
        self.tail = nn.Sequential(nn.Dropout(0.3), nn.Identity())

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.tail(F.relu(out + self.down(x)))


def block():
    fastnn.manual_seed(0)
    model = Block().eval()
    rng = np.random.default_rng(0)
    for bn in (model.bn1, model.bn2, model.down[1]):
        bn.running_mean[...] = rng.standard_normal(8).astype(np.float32) * 0.1
        bn.running_var[...] = rng.uniform(0.5, 2, 8).astype(np.float32)
        bn.weight.data[...] = rng.uniform(0.5, 1.5, 8).astype(np.float32)
        bn.bias.data[...] = rng.standard_normal(8).astype(np.float32) * 0.1
    return model


def image(shape=(2, 4, 10, 10), seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_a_block_is_captured_op_by_op_with_named_values():
    model, x = block(), image()
    graph, result = _capture.trace(model, (x,))
    assert graph.count() == {"conv2d": 3, "batch_norm": 3, "relu": 2, "add": 1,
                             "dropout": 1}
    first = graph.nodes[0]
    assert (first.name, first.op, first.module) == ("conv2d", "conv2d", "conv1")
    assert first.inputs == [Ref("input", 0), Ref("const", "conv1.weight")]
    assert first.attrs.stride == (2, 2) and first.shape == (2, 8, 5, 5)
    assert graph.constants["conv1.weight"] is model.conv1.weight
    add = graph.node("add")
    assert add.inputs == [Ref("node", "batch_norm_1"), Ref("node", "batch_norm_2")]
    assert graph.output == Ref("node", "dropout")
    np.testing.assert_array_equal(result, model(x))
    np.testing.assert_array_equal(Program(graph)(x), result)


def test_the_graph_prints_as_code_and_as_a_table():
    graph, _ = _capture.trace(block(), (image(),))
    text = str(graph)
    assert text.splitlines()[0] == "graph(input_0: float32[2, 4, 10, 10]):"
    assert ("    conv2d = conv2d(input_0, conv1.weight, None, (2, 2), (1, 1), (1, 1), 1)  "
            "# conv1 float32[2, 8, 5, 5]") in text.splitlines()
    # float32 + float32: numpy's own loop is torch's, so the Tensor layer names none
    assert "    add = add(batch_norm_1, batch_norm_2)  # float32[2, 8, 5, 5]" in text
    assert text.splitlines()[-1] == "    return dropout"
    table = graph.tabular().splitlines()
    assert table[0].split() == ["name", "op", "inputs", "attributes", "module", "output"]
    assert len(table) == 2 + len(graph.nodes)
    assert table[2].split()[:4] == ["conv2d", "conv2d", "input_0,", "conv1.weight"]


def test_resnet18_is_captured_whole():
    from fastnn.examples import resnet
    fastnn.manual_seed(0)
    model = resnet.build().eval()
    x = np.asarray(resnet.example_input(batch_size=1, size=32))
    graph, result = _capture.trace(model, (x,))
    assert graph.count() == {"conv2d": 20, "batch_norm": 20, "relu": 17, "max_pool2d": 1,
                             "add": 8, "adaptive_avg_pool2d": 1, "flatten": 1, "linear": 1}
    assert graph.node("relu").args[1] is True           # nn.ReLU(inplace=True), in place
    assert {n.module for n in graph.nodes if n.op == "add"} == {
        f"layer{i}.{j}" for i in range(1, 5) for j in range(2)}
    assert len(graph.constants) == 20 + 20 * 4 + 2
    np.testing.assert_array_equal(Program(graph)(x), result)


def test_in_place_ops_and_constants_made_inside_forward():
    class Net(nn.Module):
        def forward(self, x):
            y = F.relu(x * 2.0)
            y += fastnn.ones(3)                 # made in forward: a constant
            F.relu(y, inplace=True)             # later readers read the in-place result
            return y * 3.0, (x,)

    graph, (out, (same,)) = _capture.trace(Net(), (image((2, 3)),))    # ndarray -> Tensor
    assert [n.op for n in graph.nodes] == ["multiply", "relu", "add", "relu", "multiply"]
    assert graph.nodes[2].inputs == [Ref("node", "relu"), Ref("const", "_tensor_constant0"),
                                     Ref("node", "relu")]        # y += ...: y is its out
    assert graph.nodes[4].inputs == [Ref("node", "relu_1")]
    assert graph.output == (Ref("node", "multiply_1"), (Ref("input", 0),))
    x = fastnn.from_numpy(image((2, 3), seed=5))
    got, (got_x,) = Program(graph)(x)
    expected, _ = Net()(x)
    np.testing.assert_array_equal(got, expected)
    assert got_x is x


@pytest.mark.parametrize("forward, reason", [
    (lambda x: F.relu(x) if x.sum() > 0 else x, r"Tensor.__bool__"),
    (lambda x: F.relu(x) * float(x.max()), r"Tensor.__float__"),
    (lambda x: F.relu(np.asarray(x)[:, ::2]), r"relu\(\) got an array that shares memory"),
    (lambda x: x.max(1), r"max\(\) returned tuple"),
    (lambda x: F.relu(x).view(7, 7), r"forward raised RuntimeError: shape .\[7, 7\]. is invalid"),
    (lambda x: {1, 2}, "forward returned set"),
    (lambda x: F.relu(x) + fastnn.from_numpy(np.exp(np.asarray(x))),
     "another result than forward on another input"),
])
def test_what_stops_a_capture_is_named(forward, reason):
    class Net(nn.Module):
        def forward(self, x):
            return forward(x)

    with pytest.raises(_capture.CaptureError, match=reason):
        _capture.trace(Net(), (fastnn.from_numpy(image((2, 4))),))
    assert _dispatch._tracing == 0 and getattr(_dispatch._local, "tracer", None) is None
    assert "__bool__" not in fastnn.Tensor.__dict__        # the watch is taken off
    assert nn.Module.__call__ is MODULE_CALL


def test_the_recorder_still_sees_a_traced_call_once():
    with ops.record() as calls:
        _capture.trace(nn.Sequential(nn.ReLU()), (image((2, 3)),))
    assert [call.op for call in calls] == ["relu"]


def test_input_keys():
    x = image((2, 3))
    assert _capture.input_key((x, 3, None)) == (((2, 3), "<f4"), (int, 3), (type(None), None))
    with pytest.raises(_capture.CaptureError, match="argument of type object"):
        _capture.input_key((object(),))


def test_an_op_is_normalised_once_in_a_trace(monkeypatch):
    from fastnn._registry import OPS
    count = []
    normalize = OPS["softmax"].normalize        # never memoised: runs on every call

    def counted(*args, **kwargs):
        count.append(1)
        return normalize(*args, **kwargs)
    monkeypatch.setattr(OPS["softmax"], "normalize", counted)
    graph, _ = _capture.trace(nn.Softmax(dim=1), (image((2, 3)),))
    assert len(count) == 1 and graph.nodes[0].attrs.dim == 1
