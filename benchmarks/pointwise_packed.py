"""A study for a batch-1 1x1 convolution as linear's packed GEMM: out (C_out, positions) =
w (C_out, C_in) @ x (C_in, positions), the input's positions packed straight into panels
(kernels/gemm_packed.py `pack_columns`, as the transposed convolution's gathered products
run) and the weight packed into row blocks by the kernel, against the convolution's own
variant ('pointwise', which reads the input rows in place) and torch, in one process.

    python benchmarks/pointwise_packed.py [--threads N]

Prints the CPU model, then ms per call of each (medians of alternating blocks,
fastnn._bench.time_many) on the 1x1 layers of ResNet-50, ResNeXt-50 and DenseNet-121 at
batch 1, 224x224, each call writing a fresh output as the door's calls do (into one kept
output the packed product came out further ahead: 'pointwise' prefetches the output
rows it writes, the packed tile does not). Not a variant: run as one (a conv2d 'packed'
for one sample's unbiased 1x1 layers) it left the zoo's models at batch 1 level with
'pointwise' (docs/PERF.md, stop 58). Its tile's bias and epilogue are per column, so a
bias per output channel would be a pass of its own, and a weight of many input channels
is packed on every call.
"""
import argparse

import numpy as np
from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

import fastnn
import fastnn.nn.functional as F
from fastnn import _bench
from fastnn._runtime import launch
from fastnn.kernels import gemm_packed
from fastnn.nn.functional import _linear

# (C_in, C_out, plane side): ResNet-50's and ResNeXt-50's 1x1 layers, DenseNet-121's
# bottlenecks (C_in -> 128)
LAYERS = [(64, 128, 56), (64, 256, 56), (128, 256, 56), (256, 128, 56), (256, 64, 56),
          (160, 128, 56), (256, 256, 56), (256, 512, 28), (512, 256, 28), (128, 512, 28),
          (384, 128, 28), (512, 128, 28), (1024, 256, 14), (512, 1024, 14), (768, 128, 14),
          (1024, 512, 14), (512, 128, 7), (2048, 1024, 7)]


def _calls(c_in, c_out, side, torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, c_in, side, side)).astype(np.float32)
    w = (rng.standard_normal((c_out, c_in, 1, 1)) * 0.05).astype(np.float32)
    positions = side * side
    width = gemm_packed.panel_width(x.dtype)
    panels = np.empty((-(-positions // width), c_in, width), np.float32)
    rows = w.reshape(c_out, c_in)

    def packed():
        out = np.empty((c_out, positions), np.float32)     # as the door allocates one
        launch(gemm_packed.pack_columns, x.reshape(c_in, positions), panels,
               work=2 * panels.size)
        _linear._packed(rows, panels, None, out)
        return out
    fx, fw = fastnn.tensor(x), fastnn.tensor(w)
    np.testing.assert_allclose(packed(), np.asarray(F.conv2d(fx, fw)).reshape(c_out, -1),
                               rtol=1e-4, atol=1e-4)
    calls = {"pointwise": lambda: F.conv2d(fx, fw), "packed": packed}
    if torch is not None:
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        calls["torch"] = lambda: torch.nn.functional.conv2d(tx, tw)
    return calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    fastnn.set_num_threads(args.threads)
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    print(f"{cpu_model()}, {args.threads} thread(s); ms per call")
    for c_in, c_out, side in LAYERS:
        with fastnn.no_grad():
            times = _bench.time_many(_calls(c_in, c_out, side, torch))
        cells = " ".join(f"{name} {t * 1e3:.3f}" for name, t in times.items())
        print(f"  {c_in}->{c_out} {side}x{side}: {cells}, packed / pointwise "
              f"{times['pointwise'] / times['packed']:.2f}x", flush=True)


if __name__ == "__main__":
    main()
