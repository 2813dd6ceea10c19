"""A study for the strided depthwise input gradient: fastnn's `input_grad_direct` (each
tap's products added into a phased scratch of the input plane as one long unit-stride
run, the plane read out of its phases at the end; until stop 55, each output row added
into the plane at the stride, a read-modify-write per element) against a prototype that
builds each input row from its even and odd columns as two unit-stride runs, then
interleaves them (each element written once), and torch.

    python benchmarks/depthwise_input_grad_rows.py

The prototype covers only 3x3 kernels at stride 2, padding 1, even widths (MobileNetV2's
strided depthwise layers); it is checked against fastnn's result before it is timed.
A general form of it (phases of any stride, dilation and kernel, found per input row)
ran slower than `input_grad_direct`: what this prototype gains has to survive
generalising, and has to be timed on more than one CPU.
"""
import numpy as np
from _machine import cpu_model  # benchmarks/_machine.py (run as a script)
from numba import njit, prange

import fastnn
from fastnn import _bench
from fastnn.nn.functional import _conv_grad

# (N, C, H): MobileNetV2's strided depthwise layers at batch 8, 112x112 and 224x224 input
CASES = [(8, 96, 56), (8, 144, 56), (8, 192, 28), (8, 576, 14), (8, 96, 112), (8, 144, 112)]


@njit(parallel=True, fastmath={"contract"})
def rows_3x3_s2(g, w, gx):
    """gx (N, C, H, W) = the input gradient of the depthwise 3x3 stride-2 padding-1
    convolution by w (C, 1, 3, 3) whose output gradient is g (N, C, H/2, W/2)."""
    N, C, H, W = gx.shape
    OH, OW = g.shape[2], g.shape[3]
    for task in prange(N * C):
        n = task // C
        c = task % C
        even = np.empty(OW, gx.dtype)
        odd = np.empty(OW, gx.dtype)
        for ih in range(H):
            even[:] = 0.0
            odd[:] = 0.0
            for kh in range(3):
                t = ih + 1 - kh
                if t < 0 or t % 2 != 0 or t // 2 >= OH:
                    continue
                row = g[n, c, t // 2]
                w0, w1, w2 = w[c, 0, kh, 0], w[c, 0, kh, 1], w[c, 0, kh, 2]
                for j in range(OW):
                    even[j] += w1 * row[j]
                    odd[j] += w2 * row[j]
                for j in range(OW - 1):
                    odd[j] += w0 * row[j + 1]
            out = gx[n, c, ih]
            for j in range(OW):
                out[2 * j] = even[j]
                out[2 * j + 1] = odd[j]


def main():
    fastnn.set_num_threads(2)
    try:
        import torch
        torch.set_num_threads(2)
    except ImportError:
        torch = None
    print(f"{cpu_model()}, 2 threads, float32")
    print("ms per call: input_grad_direct / rows prototype (torch)")
    rng = np.random.default_rng(0)
    for n, c, h in CASES:
        w = rng.standard_normal((c, 1, 3, 3)).astype(np.float32)
        g = rng.standard_normal((n, c, h // 2, h // 2)).astype(np.float32)

        def direct():
            return _conv_grad.input_grad(g[:, :, None], w[:, :, None], (n, c, 1, h, h),
                                         (1, 2, 2), (0, 1, 1), (1, 1, 1), c)

        def rows():
            out = np.empty((n, c, h, h), np.float32)
            rows_3x3_s2(g, w, out)
            return out
        np.testing.assert_allclose(rows(), direct()[:, :, 0], rtol=1e-5, atol=1e-5)
        calls = {"direct": direct, "rows": rows}
        if torch is not None:
            tg, tw, tx = torch.from_numpy(g), torch.from_numpy(w), torch.zeros(n, c, h, h)
            calls["torch"] = lambda: torch.ops.aten.convolution_backward(
                tg, tx, tw, None, [2, 2], [1, 1], [1, 1], False, [0, 0], c,
                [True, False, False])
        times = _bench.time_many(calls)
        theirs = f" ({times['torch'] * 1e3:.3f})" if torch is not None else ""
        print(f"  n{n} {c}ch {h}x{h}: {times['direct'] * 1e3:.3f} / "
              f"{times['rows'] * 1e3:.3f}{theirs}")


if __name__ == "__main__":
    main()
