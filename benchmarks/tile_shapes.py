"""Time every register-tile shape of a kernel family on this CPU (the figures behind
kernels/_shapes.py).

    python benchmarks/tile_shapes.py                 # blocked 3x3 convolutions
    python benchmarks/tile_shapes.py --family pointwise

Each shape runs in a fresh interpreter with its own empty Numba cache (the shape is chosen
when a kernel compiles), on one thread, timed by the best of 40 calls (wall time: even at
one thread a parallel kernel may run on a worker thread, whose time the calling thread's
CPU time misses); torch, on one thread too, is timed the same way in the same process.
Each shape's output is first checked against 'direct' (another family's tiles). Prints
the CPU model, then GFLOP/s and the speedup over torch per case and shape; '*' marks the
shape the rule picks for this CPU.
"""
import argparse
import os
import subprocess
import sys
import tempfile

from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

CASES = {
    "blocked": [((1, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
                ((1, 256, 28, 28), (256, 256, 3, 3), dict(padding=1)),
                ((1, 128, 28, 28), (256, 128, 3, 3), dict(stride=2, padding=1))],
    "pointwise": [((1, 64, 56, 56), (128, 64, 1, 1), {}),
                  ((8, 256, 56, 56), (64, 256, 1, 1), {}),
                  ((1, 256, 28, 28), (512, 256, 1, 1), dict(stride=2))],
}
RULES = {"blocked": "blocked_shape", "pointwise": "pointwise_shape"}

CHILD = r"""
import json, sys, time
import numpy as np
import fastnn, fastnn.nn.functional as F
from fastnn import backends
from fastnn.kernels import _shapes
family, shape, cases = sys.argv[1], tuple(json.loads(sys.argv[2])), json.loads(sys.argv[3])
setattr(_shapes, family + "_shape", lambda bits, itemsize: shape)
fastnn.set_num_threads(1)
try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None

def best(fn, calls=40):
    fn()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)

rows = []
rng = np.random.default_rng(0)
for xs, ws, kw in cases:
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    def ours():
        with backends.use("conv2d", family):
            return F.conv2d(x, w, **kw)
    t = best(ours)
    out = ours()
    with backends.use("conv2d", "direct"):    # its tiles are another family's
        expected = F.conv2d(x, w, **kw)
    if not np.allclose(out, expected, rtol=1e-4, atol=1e-3):
        sys.exit(f"shape {shape}: wrong results on x {xs} w {ws} {kw}")
    flops = 2 * out.size * w.shape[1] * w.shape[2] * w.shape[3]
    theirs = None
    if torch is not None:
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        theirs = best(lambda: torch.nn.functional.conv2d(tx, tw, **kw))
    rows.append((flops / t / 1e9, theirs / t if theirs else None))
json.dump(rows, sys.stdout)
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=sorted(CASES), default="blocked")
    args = parser.parse_args(argv)
    import json

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "kernels"))
    import _shapes
    from fastnn.kernels._target import target
    shapes = sorted(getattr(_shapes, args.family + "_shapes")(), reverse=True)
    picked = getattr(_shapes, RULES[args.family])(target().vector_bits, 4)
    print(f"{cpu_model()}; codegen target {target().cpu}, {target().vector_bits}-bit; "
          f"float32, 1 thread, best of 40 calls")
    cases = CASES[args.family]
    results = {}
    for shape in shapes:
        with tempfile.TemporaryDirectory() as cache:
            done = subprocess.run(
                [sys.executable, "-c", CHILD, args.family, json.dumps(shape),
                 json.dumps(cases)], env=dict(os.environ, NUMBA_CACHE_DIR=cache),
                capture_output=True, text=True)
        if done.returncode:
            print(f"{shape}: failed\n{done.stderr[-2000:]}")
            continue
        results[shape] = json.loads(done.stdout)
    for index, (xs, ws, kw) in enumerate(cases):
        print(f"x {xs} w {ws} {kw}")
        for shape, rows in results.items():
            rate, speedup = rows[index]
            mark = "*" if shape == picked else " "
            vs = f"{speedup:5.2f}x torch" if speedup else ""
            print(f"  {mark} {shape[0]}x{shape[1]:<3} {rate:7.1f} GFLOP/s  {vs}")


if __name__ == "__main__":
    main()
