"""Whole models trained for a few steps from the same weights on the same data give
torch's parameters (LeNet, ResNet-18, MobileNetV2), and training does not leak memory."""
import gc
import tracemalloc

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn import examples, models


def _twins(build_fastnn, build_torch, torch):
    fastnn.manual_seed(0)
    model = build_fastnn().train()
    twin = build_torch().train()
    twin.load_state_dict({k: torch.from_numpy(np.array(v))
                          for k, v in model.state_dict().items()})
    return model, twin


def _train(lib, model, x, y, steps, optimizer):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return loss


def _zoo_twin(name, torch, **kwargs):
    from fastnn.models import _torch_twin
    with torch.device("meta"):
        return _torch_twin.load().get_model(name, **kwargs).to_empty(device="cpu")


CASES = {
    "lenet": (lambda: examples.load("lenet").build(),
              lambda torch: examples.load("lenet", "torch").build(), (4, 1, 32, 32), 10),
    "resnet18": (lambda: models.get_model("resnet18", num_classes=10),
                 lambda torch: _zoo_twin("resnet18", torch, num_classes=10),
                 (4, 3, 64, 64), 10),
    "mobilenet_v2": (lambda: models.get_model("mobilenet_v2", num_classes=10),
                     lambda torch: _zoo_twin("mobilenet_v2", torch, num_classes=10),
                     (4, 3, 64, 64), 10),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_few_training_steps_give_torch_s_parameters(name, torch):
    """In float64: BatchNorm over a few values per channel (the last stages' 2x2 maps)
    magnifies float32 rounding until the steps part; float64 shows the gradients' match."""
    build, build_torch, shape, classes = CASES[name]
    model, twin = _twins(lambda: build().double(), lambda: build_torch(torch).double(), torch)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    y = rng.integers(0, classes, shape[0])
    fastnn.manual_seed(1)           # MobileNetV2's dropout: fastnn draws torch's masks
    torch.manual_seed(1)
    loss = _train(fastnn, model, fastnn.tensor(x), fastnn.tensor(y), 3,
                  fastnn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    loss_t = _train(torch, twin, torch.from_numpy(x), torch.from_numpy(y), 3,
                    torch.optim.SGD(twin.parameters(), lr=0.05, momentum=0.9))
    np.testing.assert_allclose(float(loss), float(loss_t.detach()), rtol=1e-9)
    reference = dict(twin.named_parameters())
    for key, p in model.named_parameters():
        want = reference[key].detach().numpy()
        np.testing.assert_allclose(np.asarray(p.detach()), want, rtol=1e-8,
                                   atol=1e-10 * max(1.0, np.abs(want).max()), err_msg=key)
    buffers = dict(twin.named_buffers())
    for key, b in model.named_buffers():
        np.testing.assert_allclose(np.asarray(b), buffers[key].numpy(), rtol=1e-8,
                                   atol=1e-10, err_msg=key)


class _Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return self.fc(x.flatten(1))


def test_training_does_not_grow_memory():
    """1,000 steps with the garbage collector off: every step's graph is freed by reference
    counting alone (no cycle keeps one alive), so traced memory stays flat.

    The 2,500 steps of warm-up follow the last full collection: after one, memory seems
    to grow by about 250 bytes a step for some 2,000 steps (tracemalloc counts the freed
    tuples CPython keeps for reuse, up to 2,000 per length, which a full collection
    empties; the optimizer's 19-argument kernel launch and the door's 2-tuples refill
    them), then stops."""
    fastnn.manual_seed(0)
    model = _Small()
    optimizer = fastnn.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    x = fastnn.tensor(rng.standard_normal((8, 1, 8, 8)).astype(np.float32))
    y = fastnn.tensor(rng.integers(0, 10, 8))
    gc.collect()
    gc.disable()
    try:
        _train(fastnn, model, x, y, 2500, optimizer)
        tracemalloc.start()
        _train(fastnn, model, x, y, 20, optimizer)
        before = tracemalloc.get_traced_memory()[0]
        _train(fastnn, model, x, y, 1000, optimizer)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        gc.enable()
    # a graph kept alive is kilobytes a step; one small object a step is 28 bytes or more
    assert after - before < 1000 * 24, (before, after)
