"""Numba's tbb and omp threading layers side by side: a short parallel kernel, then zoo
models at batch 1, 224x224, each in a process of its own, the layers alternating.

    python benchmarks/threading_layers.py [MODEL ...] [--rounds 3] [--calls 25]

fastnn asks Numba for tbb, then omp (fastnn/_runtime.py: both are thread-safe, and tbb's
workers survive `fork`). A layer's cost shows on short kernels: the kernel line is a relu
written in place over 81,536 float32 values (RegNetY-400MF's 104 channels at 28x28) on two
threads, us per call, best of 7 runs of 300 calls. Each model line gives the fastest
forward of each process (ms; fastnn alone, no torch in the process) and the median one,
per round. Layers a process cannot load are reported, not timed.
"""
import argparse
import json
import os
import subprocess
import sys

from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

LAYERS = ("tbb", "omp")
DEFAULT_MODELS = ["efficientnet_b0", "regnet_y_400mf", "mobilenet_v3_large", "mobilenet_v2"]

KERNEL = """
import json, time
import numba, numpy as np
from fastnn.kernels import elementwise
numba.set_num_threads(2)
x = np.random.default_rng(0).standard_normal(81536).astype(np.float32)
low, high = np.float32(0), np.float32(np.inf)
elementwise.clamp(x, x, low, high)
best = float("inf")
for _ in range(7):
    start = time.perf_counter()
    for _ in range(300):
        elementwise.clamp(x, x, low, high)
    best = min(best, (time.perf_counter() - start) / 300)
print(json.dumps([numba.threading_layer(), best, best]))
"""

MODEL = """
import json, sys, time
import numba, numpy as np
import fastnn
from fastnn import models
fastnn.set_num_threads(2)
fastnn.manual_seed(0)
model = models.get_model(sys.argv[1]).eval()
x = fastnn.tensor(np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32))
times = []
with fastnn.no_grad():
    for _ in range(3):
        model(x)
    for _ in range(int(sys.argv[2])):
        start = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - start)
times.sort()
print(json.dumps([numba.threading_layer(), times[0], times[len(times) // 2]]))
"""


def run(code, layer, *args):
    """(fastest, median) seconds of one child process under `layer`, or None when it ran
    another layer (the one asked for could not be loaded)."""
    env = dict(os.environ, NUMBA_THREADING_LAYER=layer)
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, check=True, env=env)
    got, fastest, median = json.loads(done.stdout.strip().splitlines()[-1])
    return (fastest, median) if got == layer else None


def line(label, results, scale, unit):
    cells = []
    for layer in LAYERS:
        runs = results[layer]
        if any(r is None for r in runs):
            cells.append(f"{layer}: not loadable")
            continue
        cells.append(f"{layer}: fastest {min(r[0] for r in runs) * scale:.2f} {unit}, medians "
                     + " ".join(f"{r[1] * scale:.2f}" for r in runs))
    print(f"  {label:<20} " + " | ".join(cells), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", default=DEFAULT_MODELS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=25)
    args = parser.parse_args()
    print(f"{cpu_model()}, 2 threads, float32; {args.rounds} rounds, the layers alternating")
    jobs = [("relu 81K in place", KERNEL, (), 1e6, "us")] + [
        (name, MODEL, (name, str(args.calls)), 1e3, "ms") for name in args.models]
    for label, code, extra, scale, unit in jobs:
        results = {layer: [] for layer in LAYERS}
        for _ in range(args.rounds):
            for layer in LAYERS:
                results[layer].append(run(code, layer, *extra))
        line(label, results, scale, unit)


if __name__ == "__main__":
    main()
