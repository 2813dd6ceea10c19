"""The 'direct' convolution on layers whose output channels per group do not fill its
tiles evenly (stems of 16, 24, 32 and 64 channels; groups of 6 to 16 channels), in this
checkout against another commit, in one process, beside torch.

    python benchmarks/direct_blocks.py BASE_COMMIT [--rounds 9]

Each layer runs on 'direct' in both (`fastnn.backends.use`); prints ms per call of this
checkout, the base and torch, the speedup over the base and over torch, and whether the
two outputs are bit for bit equal. The register tile's channels (kernels/_shapes.py
`direct_shape`) and how a group's channels are split into blocks (kernels/conv.py
`channel_blocks`) are what such layers measure.
"""
import argparse
import pathlib
import sys
import tempfile

import numpy as np

from _base_commit import import_base  # benchmarks/_base_commit.py (run as a script)
from _machine import cpu_model

# (name, input shape, weight shape, stride, padding, groups)
LAYERS = [
    ("stem 3x3 s2 3->16 224x224", (1, 3, 224, 224), (16, 3, 3, 3), 2, 1, 1),
    ("stem 3x3 s2 3->24 224x224", (1, 3, 224, 224), (24, 3, 3, 3), 2, 1, 1),
    ("stem 3x3 s2 3->32 224x224", (1, 3, 224, 224), (32, 3, 3, 3), 2, 1, 1),
    ("stem 7x7 s2 3->64 224x224", (1, 3, 224, 224), (64, 3, 7, 7), 2, 3, 1),
] + [(f"3x3 g4 {per} channels per group n4 28x28", (4, 32, 28, 28), (4 * per, 8, 3, 3), 1, 1,
      4) for per in (6, 7, 8, 12, 13, 16)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    import torch

    import fastnn
    from fastnn._bench import time_many
    base = import_base(args.base, pathlib.Path(tempfile.mkdtemp()))
    for lib in (fastnn, base, torch):
        lib.set_num_threads(2)
    print(f"{cpu_model()}, 2 threads, float32, median of {args.rounds} alternating blocks; "
          f"base {args.base}")
    print(f"{'layer':44s} {'this ms':>8s} {'base ms':>8s} {'torch ms':>9s} {'vs base':>8s} "
          f"{'vs torch':>9s} same")
    rng = np.random.default_rng(0)
    for name, x_shape, w_shape, stride, padding, groups in LAYERS:
        x = rng.standard_normal(x_shape).astype(np.float32)
        w = rng.standard_normal(w_shape).astype(np.float32)
        b = rng.standard_normal(w_shape[0]).astype(np.float32)

        def direct(lib):
            def call():
                with lib.backends.use("conv2d", "direct"):
                    return lib.nn.functional.conv2d(x, w, b, stride, padding, 1, groups)
            return call
        tx, tw, tb = (torch.from_numpy(a) for a in (x, w, b))
        calls = {"this": direct(fastnn), "base": direct(base),
                 "torch": lambda: torch.nn.functional.conv2d(tx, tw, tb, stride, padding, 1,
                                                             groups)}
        same = np.array_equal(np.asarray(calls["this"]()), np.asarray(calls["base"]()))
        t = time_many(calls, rounds=args.rounds)
        print(f"{name:44s} {t['this'] * 1e3:8.3f} {t['base'] * 1e3:8.3f} "
              f"{t['torch'] * 1e3:9.3f} {t['base'] / t['this']:7.2f}x "
              f"{t['torch'] / t['this']:8.2f}x {'yes' if same else 'NO'}")


if __name__ == "__main__":
    sys.exit(main())
