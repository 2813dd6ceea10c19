"""The input and weight gradients of one convolution, each on its own, in this checkout
against another commit, in one process beside torch's `convolution_backward` for the same
gradient (`fastnn.nn.functional._conv_grad`: a kernel change measured where the
bench's conv_backward cases, which time both gradients and autograd's step, blur it).

    python benchmarks/conv_grad_parts.py BASE_COMMIT N C SIZE K GROUPS STRIDE PADDING
        KERNEL [--rounds 9] [--threads 2] [--dtype float32]

A 2-D convolution of an N x C x SIZE x SIZE input to K channels by a square KERNEL.
Prints the CPU, ms per call of this checkout, the base and torch for each gradient, the
speedups, and the largest difference of this checkout's gradient from the base's
(relative to its scale). MobileNetV2's strided depthwise layer at batch 8:
``python benchmarks/conv_grad_parts.py HEAD~1 8 144 56 144 144 2 1 3``.
"""
import argparse
import importlib
import pathlib
import sys
import tempfile

import numpy as np

from _base_commit import import_base, start  # benchmarks/_base_commit.py (run as a script)

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base")
    for name in ("n", "c", "size", "k", "groups", "stride", "padding", "kernel"):
        parser.add_argument(name, type=int)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from fastnn import _bench
    from fastnn.nn.functional import _conv_grad as ours
    torch = _bench._torch()
    out = (args.size + 2 * args.padding - args.kernel) // args.stride + 1
    rng = np.random.default_rng(0)
    dtype = np.dtype(args.dtype)
    x = rng.standard_normal((args.n, args.c, 1, args.size, args.size)).astype(dtype)
    w = rng.standard_normal((args.k, args.c // args.groups, 1, args.kernel,
                             args.kernel)).astype(dtype)
    g = rng.standard_normal((args.n, args.k, 1, out, out)).astype(dtype)
    geometry = ((1, args.stride, args.stride), (0, args.padding, args.padding), (1, 1, 1),
                args.groups)
    with tempfile.TemporaryDirectory() as folder:
        base = import_base(args.base, pathlib.Path(folder))
        theirs = importlib.import_module(base.__name__ + ".nn.functional._conv_grad")
        start(base, torch, args, dtype)
        print(f"{'gradient':<8} {'this ms':>9} {'base ms':>9} {'torch ms':>9} {'vs base':>8} "
              f"{'vs torch':>9} {'base vs torch':>14} {'max diff':>9}")
        for which in ("input", "weight"):
            if which == "input":
                def call(module):
                    return lambda: module.input_grad(g, w, x.shape, *geometry)
            else:
                def call(module):
                    return lambda: module.weight_grad(x, g, w.shape, *geometry)
            calls = {"this": call(ours), "base": call(theirs)}
            if torch is not None:
                calls["torch"] = _torch_call(torch, x, w, g, args, which)
            a, b = calls["this"](), calls["base"]()
            diff = float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))
            t = _bench.time_many(calls, rounds=args.rounds)
            vs_torch = (f"{t['torch'] / t['this']:8.2f}x {t['torch'] / t['base']:13.2f}x"
                        if "torch" in t else f"{'-':>9} {'-':>14}")
            print(f"{which:<8} {t['this'] * 1e3:9.3f} {t['base'] * 1e3:9.3f} "
                  f"{t.get('torch', float('nan')) * 1e3:9.3f} {t['base'] / t['this']:7.2f}x "
                  f"{vs_torch} {diff:9.1e}", flush=True)


def _torch_call(torch, x, w, g, args, which):
    tx, tw, tg = (torch.from_numpy(a[:, :, 0]) for a in (x, w, g))
    mask = [which == "input", which == "weight", False]
    return lambda: torch.ops.aten.convolution_backward(
        tg, tx, tw, None, [args.stride] * 2, [args.padding] * 2, [1, 1], False, [0, 0],
        args.groups, mask)


if __name__ == "__main__":
    main()
