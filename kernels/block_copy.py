"""A block of rows copied into a band of columns of a larger array on every thread: what
torch.cat's inputs become in its output (fastnn/_copy_ops.py).

numpy's concatenate copies on one thread; a model's concatenations (DenseNet's growing
feature maps, a UNet's skip connections) move megabytes per call, more than one core's
share of the memory bandwidth carries (`python benchmarks/rules.py cat` times both).
"""
from numba import prange

from ._target import njit
from .conv_pad import _u

# elements per task: a few tasks per thread on a DenseNet input of 32 x 56 x 56
CHUNK = 1 << 14


@njit(parallel=True, cache=True)
def copy_columns(src, dst, first):
    """dst[:, first:first + L] = src for src (rows, L) and dst (rows, M), both C-contiguous
    and of one dtype, in tasks of about CHUNK elements: a chunk of a long row, or a band of
    short rows."""
    rows, length = src.shape
    width = dst.shape[1]
    sf = src.reshape(src.size)
    df = dst.reshape(dst.size)
    per_row = (length + CHUNK - 1) // CHUNK
    band = max(1, CHUNK // max(length, 1))
    for task in prange((rows + band - 1) // band * per_row):
        r0 = task // per_row * band
        c0 = task % per_row * CHUNK
        c1 = min(length, c0 + CHUNK)
        for r in range(r0, min(rows, r0 + band)):
            s = _u(r * length)
            d = _u(r * width + first)
            for c in range(c0, c1):
                df[d + _u(c)] = sf[s + _u(c)]
