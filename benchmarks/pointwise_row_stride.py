"""A study for 'pointwise' (kernels/conv_pointwise.py), which reads a stride-1 1x1
convolution's input rows in place: its 8 x 32 tile run over one task's work (4 tiles x 16
blocks of 8 output channels) on input rows a plane apart, against the same rows first
copied into a scratch of rows 144 elements apart (as a packing task would), one thread.

    python benchmarks/pointwise_row_stride.py

Rows a multiple of 4 KiB apart (32x32 and 64x64 float32 planes) fall into one set of the
L1 cache, so a tile's C rows evict each other; rows of other lengths spread over the sets.
Prints GFLOP/s of each way per (input channels, row length in elements). The whole
kernel's A/B (packing per task against reading in place, in a scratch script) was not
steady enough on this machine to set a rule from: see docs/PERF.md, stop 49.
"""
import numpy as np
from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

import fastnn
from fastnn import _bench
from fastnn.kernels import _target
from fastnn.kernels._epilogue import NONE
from fastnn.kernels.rows import SLACK, copy_run
from fastnn.kernels.tiles_pointwise import tile_8x32

# (input channels C, row length R in elements): 32x32 planes (4 KiB rows), 28x28, a
# 32x32 plane and a cache line, 56x56, 64x64
CASES = [(128, 1024), (32, 1024), (128, 784), (128, 1040), (128, 3136), (64, 4096)]
BLOCKS, TILES, SPAN = 16, 4, 144


@_target.njit(cache=True)
def _fastnn_in_place(xf, wf, of, bias, K, C, R, P, taps, reps):
    for _ in range(reps):
        for t in range(TILES):
            for kb in range(BLOCKS):
                tile_8x32(xf, wf, of, bias, 0, K, kb * 8, 8, np.uint64(0), np.uint64(R), C,
                          taps, 1, np.uint64(kb * 8 * P), P, t * 32, NONE)


@_target.njit(cache=True)
def _fastnn_copied(xf, wf, of, bias, K, C, R, P, taps, reps):
    for _ in range(reps):
        xs = np.empty(C * SPAN + SLACK, xf.dtype)
        for c in range(C):
            copy_run(xs, np.uint64(c * SPAN), xf, np.uint64(c * R), TILES * 32)
        for t in range(TILES):
            for kb in range(BLOCKS):
                tile_8x32(xs, wf, of, bias, 0, K, kb * 8, 8, np.uint64(0), np.uint64(SPAN),
                          C, taps, 1, np.uint64(kb * 8 * P), P, t * 32, NONE)


def main():
    fastnn.set_num_threads(1)
    print(f"{cpu_model()}, 1 thread, float32")
    print("(C, row length): GFLOP/s, rows in place / copied to rows of 144")
    rng = np.random.default_rng(0)
    taps = np.zeros(1, np.uint64)
    K, P, reps = 8 * BLOCKS, TILES * 32, 20
    for C, R in CASES:
        x = rng.standard_normal(C * R + 64).astype(np.float32)
        w = rng.standard_normal(K * C).astype(np.float32)
        out = np.zeros(K * P + 64, np.float32)
        bias = np.zeros(K, np.float32)
        t = _bench.time_many({
            "in place": lambda: _fastnn_in_place(x, w, out, bias, K, C, R, P, taps, reps),
            "copied": lambda: _fastnn_copied(x, w, out, bias, K, C, R, P, taps, reps)})
        flops = 2 * C * K * P * reps
        print(f"  ({C}, {R}): {flops / t['in place'] / 1e9:.1f} / "
              f"{flops / t['copied'] / 1e9:.1f}")


if __name__ == "__main__":
    main()
