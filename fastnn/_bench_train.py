"""`python -m fastnn bench --train`: one training step (forward, cross-entropy, backward,
SGD with momentum) of whole models, fastnn against torch in one process.

Both sides start from the same weights (the torch model is the same source run under
torch, loading fastnn's state_dict) and train on the same seeded batch in train mode
(BatchNorm uses batch statistics). The "max diff" column is the largest difference of
any parameter after three steps from the same start, relative to that parameter's scale;
"torch f32" is the same measure of torch's float32 step against its float64 one.
The "peak MB" columns (Linux with glibc) are the resident memory a step adds at its
highest, beyond what the process held before it (`fastnn._peakmem`): activations kept
for backward, gradients, temporaries.
"""
from dataclasses import dataclass

import numpy as np

import fastnn
from fastnn._bench_models import _example, _zoo

COLUMNS = ("torch", "fastnn")


@dataclass
class TrainCase:
    name: str
    build: object          # build(backend) -> a model ("fastnn" / "torch")
    input_shape: tuple
    classes: int

    @property
    def label(self):
        return f"train {self.name}"


TRAIN_CASES = [
    # the example LeNet-5 takes 32x32 inputs (fc1 is 16*5*5 wide)
    TrainCase("LeNet batch 64 32x32", _example("lenet"), (64, 1, 32, 32), 10),
    TrainCase("ResNet-18 batch 8 112x112", _example("resnet"), (8, 3, 112, 112), 1000),
    TrainCase("MobileNetV2 batch 8 112x112", _zoo("mobilenet_v2"), (8, 3, 112, 112), 1000),
]


def _batch(case):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(case.input_shape).astype(np.float32)
    y = rng.integers(0, case.classes, case.input_shape[0])
    return x, y


def _step(lib, model, x, y):
    """One training step of `model` on `lib` (fastnn or torch): the same code on both."""
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = lib.as_tensor(x), lib.as_tensor(y)

    def step():
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def _models(case):
    from fastnn._bench import _torch
    fastnn.manual_seed(0)
    model = case.build("fastnn").train()
    torch = _torch()
    twin = None
    if torch is not None:
        twin = case.build("torch").train()
        twin.load_state_dict({key: torch.from_numpy(np.array(value))
                              for key, value in model.state_dict().items()})
    return model, twin, torch


def max_difference(case, steps=3):
    """(fastnn's, torch's float32): the largest parameter difference after `steps` steps
    from the same start, relative to the parameter's scale, of fastnn's float32 parameters
    from torch's and of torch's float32 parameters from torch's float64 ones (None
    without torch). Training a batch of eight is chaotic enough that float32 rounding
    grows to ~10% in three steps on some BatchNorm biases: the second figure says how
    far torch itself drifts, the floor the first is to be read against. Biases whose
    exact gradient is zero are measured against SCALE_FLOOR of the model's largest
    parameter, not their own rounding noise."""
    model, twin, torch = _models(case)
    if twin is None:
        return None, None
    twin64 = case.build("torch").train().double()
    twin64.load_state_dict(twin.state_dict())
    x, y = _batch(case)
    runs = ((model, _step(fastnn, model, x, y)), (twin, _step(torch, twin, x, y)),
            (twin64, _step(torch, twin64, x.astype(np.float64), y)))
    for _, step in runs:
        fastnn.manual_seed(1)           # dropout (MobileNetV2): fastnn draws torch's masks
        torch.manual_seed(1)
        for _ in range(steps):
            step()
    ours, theirs, exact = (dict(m.named_parameters()) for m, _ in runs)
    return _worst(ours, theirs), _worst(theirs, exact)


# a parameter's scale is floored at this fraction of the model's largest parameter: a bias
# whose exact gradient is zero (BatchNorm's after a projection that the next BatchNorm
# normalises) holds only rounding noise, of no scale of its own
SCALE_FLOOR = 1e-6


def _worst(got, want):
    """The largest difference of any parameter in `got` from `want`'s, relative to the
    parameter's scale in `want` (floored by SCALE_FLOOR)."""
    want = {name: np.asarray(value.detach().numpy(), np.float64) for name, value in want.items()}
    floor = SCALE_FLOOR * max((float(np.abs(value).max(initial=0.0)) for value in want.values()),
                              default=0.0)
    worst = 0.0
    for name, expected in want.items():
        value = np.asarray(np.asarray(got[name].detach()), np.float64)
        scale = max(float(np.abs(expected).max(initial=0.0)), floor, 1e-30)
        worst = max(worst, float(np.abs(value - expected).max(initial=0.0)) / scale)
    return worst


def time_train(case, rounds):
    """Median seconds per training step in each column (None where it cannot run)."""
    from fastnn._bench import time_many
    model, twin, torch = _models(case)
    x, y = _batch(case)
    calls = {"fastnn": _step(fastnn, model, x, y)}
    if twin is not None:
        calls["torch"] = _step(torch, twin, x, y)
    times = time_many(calls, rounds=rounds)
    return {column: times.get(column) for column in COLUMNS}


def peak_bytes(case):
    """{column: bytes a step adds to the resident size at its peak}, empty where that
    cannot be measured (not Linux with glibc)."""
    from fastnn import _peakmem
    if not _peakmem.available():
        return {}
    model, twin, torch = _models(case)
    x, y = _batch(case)

    def peak(step):
        def without_result():           # the loss is not counted as the call's result
            step()
        return _peakmem.extra_bytes(without_result)
    peaks = {"fastnn": peak(_step(fastnn, model, x, y))}
    if twin is not None:
        peaks["torch"] = peak(_step(torch, twin, x, y))
    return peaks


def train_table(cases, rounds, progress=None):
    """The training table: ms per step on each side, torch's time over fastnn's, the
    parameters' difference after three steps, and each side's peak memory per step.
    Every case is timed before any peak is measured: measuring fixes malloc's thresholds
    for the rest of the process (`fastnn._peakmem.fix_malloc`), which would slow what is
    timed after it."""
    rows = []
    for index, case in enumerate(cases):
        if progress:
            progress(index, len(cases), case)
        rows.append((case, time_train(case, rounds), *max_difference(case)))
    lines = [f"{'training step':<30} {'torch ms':>9} {'fastnn ms':>10} {'speedup':>8} "
             f"{'max diff':>9} {'torch f32':>9} {'torch peak MB':>14} {'fastnn peak MB':>15}"]
    for case, times, error, drift in rows:
        torch_ms = f"{times['torch'] * 1e3:9.2f}" if times["torch"] else f"{'-':>9}"
        speedup = (f"{times['torch'] / times['fastnn']:7.2f}x" if times["torch"]
                   else f"{'-':>8}")
        diff = f"{error:9.1e}" if error is not None else f"{'-':>9}"
        diff += f" {drift:9.1e}" if drift is not None else f" {'-':>9}"
        peaks = peak_bytes(case)

        def megabytes(column, width):
            value = peaks.get(column)
            return f"{value / 2**20:{width}.1f}" if value is not None else f"{'-':>{width}}"
        lines.append(f"{case.name:<30} {torch_ms} {times['fastnn'] * 1e3:10.2f} {speedup} "
                     f"{diff} {megabytes('torch', 14)} {megabytes('fastnn', 15)}")
    return "\n".join(lines)
