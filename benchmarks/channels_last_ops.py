"""ConvNeXt's channels-last element-wise steps at batch 1 beside torch's, in one process,
alternating (fastnn ms (torch ms)): a block's tail (layer scale times the permuted-back
view, then the NCHW input added in place), LayerNorm of a permuted view, an in-place
residual sum, and a depthwise 7x7 convolution of an NCHW and of a channels-last input.

    python benchmarks/channels_last_ops.py
"""
import numpy as np
import torch

import fastnn
import fastnn.nn.functional as F
from fastnn import _bench


def timed(calls):
    """Median over three alternating runs of `_bench.time_many`, in microseconds."""
    runs = [_bench.time_many(calls) for _ in range(3)]
    return {name: np.median([run[name] for run in runs]) * 1e6 for name in calls}


def main():
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    print("us per call, fastnn (torch)")
    for channels, size in ((96, 56), (192, 28), (384, 14), (768, 7)):
        nhwc = rng.standard_normal((1, size, size, channels)).astype(np.float32)
        nchw = rng.standard_normal((1, channels, size, size)).astype(np.float32)
        scale = rng.standard_normal((channels, 1, 1)).astype(np.float32)
        weight = rng.standard_normal((channels, 1, 7, 7)).astype(np.float32)
        mine = [fastnn.tensor(a) for a in (nhwc, nchw, scale, weight)]
        theirs = [torch.from_numpy(a) for a in (nhwc, nchw, scale, weight)]
        layer_norm = fastnn.nn.LayerNorm(channels, eps=1e-6)
        torch_norm = torch.nn.LayerNorm(channels, eps=1e-6)

        def tail(m, lib):
            result = m[2] * m[0].permute(0, 3, 1, 2)
            result += m[1]
            return result

        def conv(x, w, lib):
            return lib.conv2d(x, w, padding=3, groups=channels)

        with fastnn.no_grad(), torch.no_grad():
            t = timed({
                "tail": lambda: tail(mine, F), "torch tail": lambda: tail(theirs, torch),
                "norm": lambda: layer_norm(mine[1].permute(0, 2, 3, 1)),
                "torch norm": lambda: torch_norm(theirs[1].permute(0, 2, 3, 1)),
                "dw": lambda: conv(mine[1], mine[3], F),
                "torch dw": lambda: conv(theirs[1], theirs[3], torch.nn.functional),
                "dw last": lambda: conv(mine[0].permute(0, 3, 1, 2), mine[3], F),
                "torch dw last": lambda: conv(theirs[0].permute(0, 3, 1, 2), theirs[3],
                                              torch.nn.functional)})
        print(f"{channels} channels {size}x{size}: block tail {t['tail']:.1f} "
              f"({t['torch tail']:.1f}), LayerNorm of the permuted view {t['norm']:.1f} "
              f"({t['torch norm']:.1f}), depthwise 7x7 of NCHW {t['dw']:.1f} "
              f"({t['torch dw']:.1f}), of channels-last {t['dw last']:.1f} "
              f"({t['torch dw last']:.1f})")
    for shape in ((1, 256, 56, 56), (1, 512, 28, 28)):
        a, b = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
        x, y = fastnn.tensor(a), fastnn.tensor(b)
        tx, ty = torch.from_numpy(a.copy()), torch.from_numpy(b)
        t = timed({"mine": lambda: x.add_(y), "torch": lambda: tx.add_(ty)})
        print(f"{shape} a += b {t['mine']:.1f} ({t['torch']:.1f})")


if __name__ == "__main__":
    main()
