"""Per-call cost of the small eager calls a model makes one image at a time: fastnn and
torch side by side in one process, each call timed over many repetitions (best of 5).

    python benchmarks/op_overhead.py [--threads 2]

The shapes are EfficientNet-B0's and MobileNetV2's at 14x14 (1x96x14x14, 18,816 elements),
where the door, the checks and the allocation weigh as much as the kernels, and a
squeeze-and-excitation convolution on the pooled 1x96x1x1 gate. The last two
rows run a convolution and a BatchNorm in eval mode with grad mode on (a model called
without no_grad): autograd records both, as torch's does. Run it at two commits to see
what a change to the door or to autograd's recording costs or saves.
"""
import argparse
import timeit

import numpy as np
import torch
from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

import fastnn
import fastnn.nn as nn


def best_us(call, number=3000):
    for _ in range(200):
        call()
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6


def pair(build):
    """The same module in fastnn and in torch, with fastnn's weights, eval mode."""
    ours, theirs = build(nn).eval(), build(torch.nn).eval()
    theirs.load_state_dict({key: torch.from_numpy(np.array(value))
                            for key, value in ours.state_dict().items()})
    return ours, theirs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    fastnn.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    shape = (1, 96, 14, 14)
    x = rng.standard_normal(shape).astype(np.float32)
    gate = rng.standard_normal((1, 96, 1, 1)).astype(np.float32)
    fx, tx = fastnn.tensor(x), torch.from_numpy(x.copy())
    fg, tg = fastnn.tensor(gate), torch.from_numpy(gate.copy())
    bn, tbn = pair(lambda lib: lib.BatchNorm2d(96))
    relu, trelu = pair(lambda lib: lib.ReLU(inplace=True))
    silu, tsilu = pair(lambda lib: lib.SiLU())
    pointwise, tpointwise = pair(lambda lib: lib.Conv2d(96, 24, 1, bias=False))
    depthwise, tdepthwise = pair(
        lambda lib: lib.Conv2d(96, 96, 3, padding=1, groups=96, bias=False))
    squeeze, tsqueeze = pair(lambda lib: lib.Conv2d(96, 24, 1))
    cases = [("BatchNorm2d(96)", lambda: bn(fx), lambda: tbn(tx)),
             ("ReLU(inplace=True)", lambda: relu(fx), lambda: trelu(tx)),
             ("SiLU", lambda: silu(fx), lambda: tsilu(tx)),
             ("1x1 conv 96->24", lambda: pointwise(fx), lambda: tpointwise(tx)),
             ("3x3 depthwise 96", lambda: depthwise(fx), lambda: tdepthwise(tx)),
             ("x + x", lambda: fx + fx, lambda: tx + tx),
             ("x * gate (1x96x1x1)", lambda: fx * fg, lambda: tx * tg),
             ("1x1 conv 96->24 on the gate (SE)", lambda: squeeze(fg), lambda: tsqueeze(tg))]
    print(f"{cpu_model()}; {args.threads} threads; us per call, best of 5 "
          f"(shape {'x'.join(map(str, shape))})")
    print(f"{'call':<36}{'fastnn':>9}{'torch':>9}")
    with fastnn.no_grad(), torch.no_grad():
        for name, ours, theirs in cases:
            print(f"{name:<36}{best_us(ours):9.2f}{best_us(theirs):9.2f}")
    small = (1, 32, 7, 7)
    y = rng.standard_normal(small).astype(np.float32)
    fy, ty = fastnn.tensor(y), torch.from_numpy(y.copy())
    conv_bn, tconv_bn = pair(lambda lib: lib.Sequential(lib.Conv2d(32, 32, 1),
                                                        lib.BatchNorm2d(32)))
    print(f"{'1x1 conv + BatchNorm, 1x32x7x7':<36}{best_us(lambda: conv_bn(fy)):9.2f}"
          f"{best_us(lambda: tconv_bn(ty)):9.2f}   (grad mode: recorded)")
    with fastnn.no_grad(), torch.no_grad():
        print(f"{'  the same under no_grad':<36}{best_us(lambda: conv_bn(fy)):9.2f}"
              f"{best_us(lambda: tconv_bn(ty)):9.2f}")


if __name__ == "__main__":
    main()
