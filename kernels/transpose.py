"""A 2-D transposed copy in square blocks.

numpy's transposed copy walks the destination in order and the source down its columns:
past a few hundred rows every read lands on another cache line (a 3072 x 768 float32
weight took milliseconds). Blocks of BLOCK x BLOCK keep both sides within BLOCK lines.
"""
from numba import prange

from ._target import njit
from .conv_pad import _u

BLOCK = 16


@njit(parallel=True, cache=True)
def transpose(src, dst):
    """dst (C, R) = src (R, C).T, both C-contiguous."""
    rows, cols = src.shape
    sf = src.reshape(src.size)
    df = dst.reshape(dst.size)
    row_blocks = (rows + BLOCK - 1) // BLOCK
    col_blocks = (cols + BLOCK - 1) // BLOCK
    for t in prange(row_blocks * col_blocks):
        i0 = (t // col_blocks) * BLOCK
        j0 = (t % col_blocks) * BLOCK
        i1 = min(rows, i0 + BLOCK)
        for j in range(j0, min(cols, j0 + BLOCK)):
            d = _u(j * rows)
            for i in range(i0, i1):
                df[d + _u(i)] = sf[_u(i * cols) + _u(j)]
