"""Cost of the op door on LeNet batch 1: this checkout against another commit, in one process.

    python benchmarks/door_overhead.py [BASE_COMMIT] [--rounds 41] [--calls 200] [--threads 1]
        [--train]

The BASE_COMMIT tree is extracted (git archive) to a temporary folder and imported under
the package name ``fastnn_base``; both packages build LeNet with the same weights and run
the same input. Rounds alternate between the two (which goes first alternates too), each
round timing `calls` forwards; the script prints the median per-forward time of each and
their ratio. Nothing records while timing, then one more pass times the current tree with
a `fastnn.ops.record()` block open, for the recorder's cost. `--train` times a training
step instead (forward, cross-entropy, backward, SGD with momentum): autograd's recording
and its engine on top of the door.
"""
import argparse
import pathlib
import statistics
import sys
import tempfile
import time
import types

import numpy as np

from _base_commit import import_base  # benchmarks/_base_commit.py (run as a script)

ROOT = pathlib.Path(__file__).resolve().parent.parent


def lenet(package_name):
    source = (ROOT / "examples" / "lenet.py").read_text()
    source = source.replace("import torch.nn.functional as F",
                            f"import {package_name}.nn.functional as F")
    source = source.replace("import torch.nn as nn", f"import {package_name}.nn as nn")
    source = source.replace("import torch\n", f"import {package_name} as torch\n")
    module = types.ModuleType(f"lenet_{package_name}")
    exec(compile(source, "lenet.py", "exec"), module.__dict__)
    return module.build().eval()


def per_call(model, x, calls):
    started = time.perf_counter()
    for _ in range(calls):
        model(x)
    return (time.perf_counter() - started) / calls


def training_step(package, model):
    """`model` made a call that runs one training step of itself on its input."""
    model.train()
    optimizer = package.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    target = package.tensor(np.array([3]))

    def step(x):
        optimizer.zero_grad()
        loss = package.nn.functional.cross_entropy(model(x), target)
        loss.backward()
        optimizer.step()
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", nargs="?", default="HEAD~1")
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None,
                        help="kernel threads (1 isolates the Python overhead)")
    parser.add_argument("--train", action="store_true",
                        help="time a training step, not a forward")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import fastnn
    import fastnn.ops
    if args.threads:
        fastnn.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as folder:
        base = import_base(args.base, pathlib.Path(folder))
        if args.threads:
            base.set_num_threads(args.threads)
        models = {"base": lenet("fastnn_base"), "door": lenet("fastnn")}
        state = models["door"].state_dict()
        models["base"].load_state_dict({k: np.asarray(v) for k, v in state.items()})
        x = np.random.default_rng(0).standard_normal((1, 1, 32, 32)).astype(np.float32)
        inputs = {"base": base.from_numpy(x.copy()), "door": fastnn.from_numpy(x.copy())}
        np.testing.assert_allclose(models["base"](inputs["base"]),
                                   models["door"](inputs["door"]), rtol=1e-5, atol=1e-6)
        if args.train:
            models = {"base": training_step(base, models["base"]),
                      "door": training_step(fastnn, models["door"])}
        for name in models:                     # compile and warm every path
            per_call(models[name], inputs[name], 50)
        times = {"base": [], "door": []}
        for i in range(args.rounds):
            order = ("base", "door") if i % 2 == 0 else ("door", "base")
            for name in order:
                times[name].append(per_call(models[name], inputs[name], args.calls))
        recording = []
        for _ in range(args.rounds // 4 + 1):
            with fastnn.ops.record():
                recording.append(per_call(models["door"], inputs["door"], args.calls))
    base_us = statistics.median(times["base"]) * 1e6
    door_us = statistics.median(times["door"]) * 1e6
    record_us = statistics.median(recording) * 1e6
    what = "training step" if args.train else "forward"
    print(f"LeNet batch 1 {what}, median of {args.rounds} rounds x {args.calls} calls, "
          f"{fastnn.get_num_threads()} threads")
    print(f"  base ({args.base}): {base_us:8.1f} us")
    print(f"  this checkout:  {door_us:8.1f} us   ({door_us / base_us:.3f}x base)")
    print(f"  recording:      {record_us:8.1f} us")


if __name__ == "__main__":
    main()
