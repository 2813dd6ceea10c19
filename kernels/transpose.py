"""Transposed copies in square blocks: dst[n, j, i] = src[n, i, j] for (N, R, C, G) arrays,
runs of G contiguous elements moved whole.

numpy's transposed copy walks the destination in order and the source down its columns:
past a few hundred rows every read lands on another cache line (a 3072 x 768 float32
weight took milliseconds). Blocks of BLOCK x BLOCK keep both sides within BLOCK lines; 16,
not 32: rows 3072 bytes apart fall into four of L1's sets, and 32 of them thrash its ways.
"""
from numba import prange

from ._target import njit
from .conv_pad import _u

BLOCK = 16


@njit(parallel=True, cache=True)
def transpose(src, dst):
    """dst (N, C, R, G) = src (N, R, C, G) with its middle axes swapped, both
    C-contiguous."""
    count, rows, cols, inner = src.shape
    sf = src.reshape(src.size)
    df = dst.reshape(dst.size)
    row_blocks = (rows + BLOCK - 1) // BLOCK
    col_blocks = (cols + BLOCK - 1) // BLOCK
    plane = rows * cols * inner
    for t in prange(count * row_blocks * col_blocks):
        n = t // (row_blocks * col_blocks)
        b = t % (row_blocks * col_blocks)
        i0 = (b // col_blocks) * BLOCK
        j0 = (b % col_blocks) * BLOCK
        i1 = min(rows, i0 + BLOCK)
        base = _u(n * plane)
        for j in range(j0, min(cols, j0 + BLOCK)):
            if inner == 1:
                # the block's run of dst row j and the src column it reads, as slices
                # indexed from 0 by unsigned counters: plain scalar loads, no per-element
                # wraparound or bounds arithmetic
                d = df[base + _u(j * rows + i0):base + _u(j * rows + i1)]
                s = sf[base + _u(i0 * cols + j):]
                for i in range(_u(i1 - i0)):
                    d[i] = s[i * _u(cols)]
                continue
            for i in range(i0, i1):
                at = base + _u((j * rows + i) * inner)
                start = base + _u((i * cols + j) * inner)
                for e in range(_u(inner)):
                    df[at + e] = sf[start + e]
