"""A compiled model's memory plan (`fastnn._memory_plan`, used by `fastnn._program`): the
intermediate arrays placed in a few reused buffers, never one a live value is in; the
numbers unchanged; the output fresh per call; threads with their own buffers; and a call
that allocates nothing beyond its output (measured in a fresh process, `fastnn._peakmem`)."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import nn
from fastnn._memory_plan import FRESH_OPS, plan_memory


class Branchy(nn.Module):
    """Views (flatten, reshape), an in-place activation, a concatenation, a residual add,
    a value read long after it is made, and an output that views an intermediate."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.a = nn.Conv2d(8, 8, 3, padding=1)
        self.b = nn.Conv2d(16, 8, 1)
        self.head = nn.Linear(8 * 4 * 4, 5)

    def forward(self, x):
        s = F.relu(self.bn(self.stem(x)), inplace=True)
        a = self.a(s)
        joined = fastnn.cat([s, a], 1)
        b = self.b(joined) + s                      # s is read again here
        pooled = F.adaptive_avg_pool2d(b, 4)
        flat = pooled.reshape(pooled.shape[0], -1)
        return self.head(flat), flat                # the second output views an array


def _model():
    fastnn.manual_seed(0)
    model = Branchy()
    rng = np.random.default_rng(0)
    model.bn.running_mean[...] = rng.standard_normal(8) * 0.2
    model.bn.running_var[...] = rng.uniform(0.5, 2.0, 8)
    return model.eval()


def _resnet():
    from fastnn.examples import resnet
    fastnn.manual_seed(0)
    return resnet.build().eval()


def _inputs(seed, shape=(2, 3, 12, 12)):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# (model, input shape): the branchy model above, and ResNet-18's chains of convolutions of
# one shape (where a buffer released a node early would be written while it is read)
MODELS = {"branchy": (_model, (2, 3, 12, 12)), "resnet18": (_resnet, (1, 3, 64, 64))}


def _lifetimes(graph, plan):
    """(first, last) positions of each planned node's buffer use: made at `first`, read
    (or a view of it read) up to `last`."""
    position = {node.ref: i for i, node in enumerate(graph.nodes)}
    sources = []
    for i, node in enumerate(graph.nodes):
        if plan.places[i] is not None:
            sources.append({i})
        else:
            sources.append(set().union(*(sources[position[r]] for r in node.inputs
                                         if r in position)))
    last = {i: i for i, place in enumerate(plan.places) if place is not None}
    for i, node in enumerate(graph.nodes):
        for ref in node.inputs:
            for root in sources[position[ref]] if ref in position else ():
                if root in last:
                    last[root] = max(last[root], i)
    return last


@pytest.mark.parametrize("name", MODELS)
def test_live_values_never_share_a_buffer_and_buffers_are_reused(name):
    make, shape = MODELS[name]
    model = make()
    x = _inputs(1, shape)
    compiled = fastnn.optimize_for_inference(model, x)
    program = compiled.program(x)
    graph, plan = program.graph, program.memory
    planned = [i for i, place in enumerate(plan.places) if place is not None]
    assert planned and len(plan.sizes) < len(planned)        # some buffer is reused
    last = _lifetimes(graph, plan)
    for i in planned:
        for j in planned:
            if i < j and plan.places[i][0] == plan.places[j][0]:
                assert last[i] < j, (graph.nodes[i].name, graph.nodes[j].name)
    for i in planned:
        node = graph.nodes[i]
        assert node.op in FRESH_OPS and not node.attrs.get("inplace")
        buffer, shape, dtype = plan.places[i]
        assert plan.sizes[buffer] >= np.prod(shape) * dtype.itemsize


def test_outputs_and_their_views_are_not_planned():
    model = _model()
    x = _inputs(1)
    graph = fastnn.optimize_for_inference(model, x).graph(x)
    plan = plan_memory(graph)
    by_name = {node.name: i for i, node in enumerate(graph.nodes)}
    pool = [name for name in by_name if graph.nodes[by_name[name]].op ==
            "adaptive_avg_pool2d"]
    assert pool and plan.places[by_name[pool[0]]] is None     # flat, an output, views it
    head = [name for name in by_name if graph.nodes[by_name[name]].op == "linear"]
    assert plan.places[by_name[head[0]]] is None


@pytest.mark.parametrize("name", MODELS)
def test_numbers_match_eager_and_each_output_is_fresh(name):
    make, shape = MODELS[name]
    model = make()
    compiled = fastnn.optimize_for_inference(model, _inputs(1, shape))
    results = []
    for seed in (1, 2, 3):
        x = _inputs(seed, shape)
        with fastnn.no_grad():
            expected = model(x)
            expected = [np.asarray(v).copy() for v in
                        (expected if isinstance(expected, tuple) else (expected,))]
            got = compiled(x)
            got = got if isinstance(got, tuple) else (got,)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(np.asarray(g), e, rtol=1e-5, atol=1e-5)
        results.append((got, expected))
    # earlier outputs are untouched by later calls
    for got, expected in results:
        for g, e in zip(got, expected):
            np.testing.assert_allclose(np.asarray(g), e, rtol=1e-5, atol=1e-5)
    assert not np.shares_memory(np.asarray(results[0][0][0]), np.asarray(results[1][0][0]))


def test_threads_run_with_their_own_buffers():
    model = _model()
    compiled = fastnn.optimize_for_inference(model, _inputs(1))
    inputs = [_inputs(seed) for seed in range(4)]
    with fastnn.no_grad():
        expected = [np.asarray(model(x)[0]).copy() for x in inputs]
    failures = []

    def work(k):
        for _ in range(20):
            got = np.asarray(compiled(inputs[k])[0])
            if not np.allclose(got, expected[k], rtol=1e-5, atol=1e-5):
                failures.append(k)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


_MEASURE = """
from fastnn import _peakmem
_peakmem.fix_malloc()
import numpy as np, fastnn
from fastnn import _bench_models
case = [c for c in _bench_models.MODELS if c.name.startswith("ResNet-18 batch 1")][0]
model, x = _bench_models._fastnn_model(case, np.float32)
compiled = fastnn.optimize_for_inference(model, x)
with fastnn.no_grad():
    eager = _peakmem.extra_bytes(lambda: model(x))
    optimized = _peakmem.extra_bytes(lambda: compiled(x))
held = sum(compiled.program(x).memory.sizes)
print(eager, optimized, held)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
def test_a_compiled_call_allocates_only_scratch_and_holds_less_than_eager_peaks():
    env = dict(os.environ, FASTNN_MALLOC_PRIME="0")
    out = subprocess.run([sys.executable, "-c", _MEASURE], capture_output=True, text=True,
                         check=True, env=env).stdout.split()
    eager, optimized, held = map(int, out)
    print(f"\nResNet-18 batch 1: eager {eager / 1e6:.2f} MB beyond the output, compiled "
          f"{optimized / 1e6:.2f} MB, plan {held / 1e6:.2f} MB")
    assert optimized < 768 * 1024                  # kernels' per-task scratch at most
    assert eager > 2 * 2**20                        # the measure sees the intermediates
    assert held + optimized <= eager


class _Plain(nn.Module):
    """No epilogue to fuse (fused convolutions have no backward): convolutions, a
    concatenation, pooling and a linear layer, each a recorded op."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 8, 3, padding=1)
        self.b = nn.Conv2d(8, 8, 3, padding=1)
        self.c = nn.Conv2d(16, 8, 1)
        self.head = nn.Linear(8 * 3 * 3, 4)

    def forward(self, x):
        a = self.a(x)
        b = self.b(a)
        c = self.c(fastnn.cat([a, b], 1))
        return self.head(F.adaptive_avg_pool2d(c * b, 3).flatten(1))


def test_a_run_autograd_records_keeps_every_intermediate():
    """With an input that requires grad the run is recorded, and backward reads the saved
    intermediates: buffers reused by later ops would have changed them."""
    fastnn.manual_seed(0)
    model = _Plain().eval()
    compiled = fastnn.optimize_for_inference(model, _inputs(1))
    assert sum(p is not None for p in compiled.program(_inputs(1)).memory.places) >= 4
    grads = []
    for run in (compiled, model.requires_grad_(False)):
        x = fastnn.tensor(_inputs(4), requires_grad=True)
        out = run(x)
        (out * out).sum().backward()
        grads.append(np.asarray(x.grad).copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)


def test_a_thread_keeps_the_buffers_of_a_few_programs_only():
    """Ever new input shapes make a program each; a thread keeps the planned buffers of
    the HELD_PLANS programs it gave buffers to last, and a program whose buffers were
    dropped makes new ones when it runs again."""
    from fastnn import _program
    model = _model()
    compiled = fastnn.optimize_for_inference(model)
    shapes = [(batch, 3, 12, 12) for batch in range(1, 8)]
    for shape in shapes + shapes[:2]:
        x = _inputs(5, shape)
        with fastnn.no_grad():
            expected = np.asarray(model(x)[0])
        np.testing.assert_allclose(np.asarray(compiled(x)[0]), expected, rtol=1e-5,
                                   atol=1e-5)
    programs = [compiled.program(_inputs(5, shape)) for shape in shapes]
    holding = [p for p in programs if getattr(p._buffers, "views", None) is not None]
    assert len(holding) == _program.HELD_PLANS
    assert programs[0] in holding and programs[1] in holding    # run again last
