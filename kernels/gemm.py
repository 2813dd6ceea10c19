"""GEMM for Linear: ``out = a @ w.T (+ bias)`` with ``a`` (M, K) and ``w`` (N, K) row-major.

Dot-product formulation: both operands are read along K, the contiguous axis of the
layouts torch uses (input rows and ``nn.Linear.weight`` rows), so nothing is packed or
transposed and the module needs no packed-weight cache. A 4x4 register tile keeps 16
scalar accumulators; with ``reassoc`` LLVM vectorises the K loop into 16 vector
accumulators (512-bit on this machine), i.e. 8 loads per 16 FMAs, and reduces each one
horizontally once per tile. Measured on the 2-core znver5 box (float32, 2 threads):
256x1024 @ 1024x1024 in 1.7-1.8 ms (~290 GFLOP/s) against torch's 2.5-2.6 ms.

Edges: the last tile in N reads clamped weight rows (valid memory, results discarded), and
rows of ``a`` left over after whole 4-row tiles use the 1x4 tile, so a GEMV (M = 1) reads
each weight row once and is bound by memory bandwidth.
"""
from numba import prange

from ._stack import wide_register_file
from ._target import njit

# No nnan/ninf: NaN and inf propagate as in torch. reassoc is what lets the K reduction
# vectorise; it changes only the summation order (rounding), as BLAS does.
_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}

# Each parallel task is one BLOCK_M x BLOCK_N block of `out`; its 64 weight rows stay in
# L2 while the block's 4-row tiles of `a` stream past. 32..128 all measured within 5% on
# 256x1024x1024; 64 keeps >= 16 tasks for 2 threads down to 64x1024 outputs.
BLOCK_M = 64
BLOCK_N = 64


@njit(inline="always")
def _store_row(out, i, j0, n, c0, c1, c2, c3, bias, has_bias):
    """Write the up to 4 valid columns of one tile row, adding the bias there (fused)."""
    if has_bias:
        c0 += bias[j0]
        if j0 + 1 < n:
            c1 += bias[j0 + 1]
        if j0 + 2 < n:
            c2 += bias[j0 + 2]
        if j0 + 3 < n:
            c3 += bias[j0 + 3]
    out[i, j0] = c0
    if j0 + 1 < n:
        out[i, j0 + 1] = c1
    if j0 + 2 < n:
        out[i, j0 + 2] = c2
    if j0 + 3 < n:
        out[i, j0 + 3] = c3


@njit(inline="always", fastmath=_FASTMATH)
def _tile_4x4(a, w, bias, has_bias, out, i0, j0, n, k_size):
    j1 = min(j0 + 1, n - 1)
    j2 = min(j0 + 2, n - 1)
    j3 = min(j0 + 3, n - 1)
    zero = a.dtype.type(0)
    c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = zero
    c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = zero
    for k in range(k_size):
        a0 = a[i0, k]
        a1 = a[i0 + 1, k]
        a2 = a[i0 + 2, k]
        a3 = a[i0 + 3, k]
        w0 = w[j0, k]
        w1 = w[j1, k]
        w2 = w[j2, k]
        w3 = w[j3, k]
        c00 += a0 * w0
        c01 += a0 * w1
        c02 += a0 * w2
        c03 += a0 * w3
        c10 += a1 * w0
        c11 += a1 * w1
        c12 += a1 * w2
        c13 += a1 * w3
        c20 += a2 * w0
        c21 += a2 * w1
        c22 += a2 * w2
        c23 += a2 * w3
        c30 += a3 * w0
        c31 += a3 * w1
        c32 += a3 * w2
        c33 += a3 * w3
    _store_row(out, i0, j0, n, c00, c01, c02, c03, bias, has_bias)
    _store_row(out, i0 + 1, j0, n, c10, c11, c12, c13, bias, has_bias)
    _store_row(out, i0 + 2, j0, n, c20, c21, c22, c23, bias, has_bias)
    _store_row(out, i0 + 3, j0, n, c30, c31, c32, c33, bias, has_bias)


@njit(inline="always", fastmath=_FASTMATH)
def _tile_2x4(a, w, bias, has_bias, out, i0, j0, n, k_size):
    """Two rows of `_tile_4x4`, for targets with 16 vector registers: 8 accumulators and
    6 loads per step (the 4x4 tile's 16 + 8 spilled there)."""
    j1 = min(j0 + 1, n - 1)
    j2 = min(j0 + 2, n - 1)
    j3 = min(j0 + 3, n - 1)
    zero = a.dtype.type(0)
    c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = zero
    for k in range(k_size):
        a0 = a[i0, k]
        a1 = a[i0 + 1, k]
        w0 = w[j0, k]
        w1 = w[j1, k]
        w2 = w[j2, k]
        w3 = w[j3, k]
        c00 += a0 * w0
        c01 += a0 * w1
        c02 += a0 * w2
        c03 += a0 * w3
        c10 += a1 * w0
        c11 += a1 * w1
        c12 += a1 * w2
        c13 += a1 * w3
    _store_row(out, i0, j0, n, c00, c01, c02, c03, bias, has_bias)
    _store_row(out, i0 + 1, j0, n, c10, c11, c12, c13, bias, has_bias)


@njit(inline="always", fastmath=_FASTMATH)
def _tile_1x4(a, w, bias, has_bias, out, i, j0, n, k_size):
    j1 = min(j0 + 1, n - 1)
    j2 = min(j0 + 2, n - 1)
    j3 = min(j0 + 3, n - 1)
    zero = a.dtype.type(0)
    c0 = c1 = c2 = c3 = zero
    for k in range(k_size):
        ai = a[i, k]
        c0 += ai * w[j0, k]
        c1 += ai * w[j1, k]
        c2 += ai * w[j2, k]
        c3 += ai * w[j3, k]
    _store_row(out, i, j0, n, c0, c1, c2, c3, bias, has_bias)


@njit(inline="always", fastmath=_FASTMATH)
def _block(a, w, bias, has_bias, out, task, blocks_m):
    """One BLOCK_M x BLOCK_N block of `out`: 4x4 tiles (2x4 where the target has 16
    registers), then the rows left over as 1x4."""
    m, k_size = a.shape
    n = w.shape[0]
    rows = 4 if wide_register_file() else 2
    row_start = (task % blocks_m) * BLOCK_M
    col_start = (task // blocks_m) * BLOCK_N
    row_end = min(row_start + BLOCK_M, m)
    whole_tiles_end = row_start + (row_end - row_start) // rows * rows
    for j0 in range(col_start, min(col_start + BLOCK_N, n), 4):
        for i0 in range(row_start, whole_tiles_end, rows):
            if rows == 4:
                _tile_4x4(a, w, bias, has_bias, out, i0, j0, n, k_size)
            else:
                _tile_2x4(a, w, bias, has_bias, out, i0, j0, n, k_size)
        for i in range(whole_tiles_end, row_end):
            _tile_1x4(a, w, bias, has_bias, out, i, j0, n, k_size)


@njit(inline="always")
def _block_count(a, w):
    m = a.shape[0]
    n = w.shape[0]
    blocks_m = (m + BLOCK_M - 1) // BLOCK_M
    return blocks_m, blocks_m * ((n + BLOCK_N - 1) // BLOCK_N)


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def gemm_nt(a, w, bias, has_bias, out):
    """out[M, N] = a[M, K] @ w[N, K].T, plus bias[N] when `has_bias` (else `bias` unread).

    All arrays C-contiguous, native byte order, one float dtype; `out` must not alias
    `a` or `w`.
    """
    blocks_m, tasks = _block_count(a, w)
    # adjacent tasks share one weight block, so a thread's chunk reuses it from L2
    for task in prange(tasks):
        _block(a, w, bias, has_bias, out, task, blocks_m)
