"""GEMM for Linear: ``out = a @ w.T (+ bias)`` with ``a`` (M, K) and ``w`` (N, K) row-major.

Dot-product formulation: both operands are read along K, the contiguous axis of the
layouts torch uses (input rows and ``nn.Linear.weight`` rows), so nothing is packed or
transposed and the module needs no packed-weight cache. A 4x4 register tile (2x4 with 16
vector registers: kernels/_shapes.py `gemm_shape`) keeps 16 scalar accumulators; with
``reassoc`` LLVM vectorises the K loop into 16 vector accumulators, i.e. 8 loads per 16
FMAs, and reduces each one horizontally once per tile. `python -m fastnn bench --only
linear` times it against torch (docs/PERF.md).

Edges: the last tile in N reads clamped weight rows (valid memory, results discarded), and
rows of ``a`` left over after whole 4-row tiles use the 1x4 tile, so a GEMV (M = 1) reads
each weight row once and is bound by memory bandwidth.
"""
from numba import prange
from numba.extending import overload

from . import _shapes, tiles_gemm
from ._epilogue import NONE
from ._stack import shape_constant, target_shape
from ._target import njit

# No nnan/ninf: NaN and inf propagate as in torch. reassoc is what lets the K reduction
# vectorise; it changes only the summation order (rounding), as BLAS does.
_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}

# Each parallel task is one BLOCK_M x BLOCK_N block of `out`; its 64 weight rows stay in
# L2 while the block's 4-row tiles of `a` stream past. 32..128 ran alike on
# 256x1024x1024; 64 keeps >= 16 tasks for 2 threads down to 64x1024 outputs.
BLOCK_M = 64
BLOCK_N = 64


_tile_shape = shape_constant("gemm_shape")


def _tile(a, w, bias, has_bias, out, i0, j0, n, k_size, epilogue):
    """The target's tile (kernels/tiles_gemm.py, shape from kernels/_shapes.py
    `gemm_shape`): rows i0.. of `a` against weight rows j0..j0+3."""


@overload(_tile, inline="always", jit_options={"fastmath": _FASTMATH})
def _tile_for_target(a, w, bias, has_bias, out, i0, j0, n, k_size, epilogue):
    return tiles_gemm.TILES[target_shape(_shapes.gemm_shape, a.dtype)].py_func


def _tile_row(a, w, bias, has_bias, out, i0, j0, n, k_size, epilogue):
    """Row i0 of `a` against weight rows j0..j0+3: the rows left after whole tiles."""


@overload(_tile_row, inline="always", jit_options={"fastmath": _FASTMATH})
def _tile_row_for(a, w, bias, has_bias, out, i0, j0, n, k_size, epilogue):
    return tiles_gemm.TILES[1, 4].py_func


@njit(inline="always", fastmath=_FASTMATH)
def _block(a, w, bias, has_bias, out, task, blocks_m, block_n, epilogue):
    """One BLOCK_M x block_n block of `out`: the target's tiles (4x4, or 2x4 where the
    target has 16 registers), then the rows left over as 1x4."""
    m, k_size = a.shape
    n = w.shape[0]
    rows, _ = _tile_shape(a.dtype)
    row_start = (task % blocks_m) * BLOCK_M
    col_start = (task // blocks_m) * block_n
    row_end = min(row_start + BLOCK_M, m)
    whole_tiles_end = row_start + (row_end - row_start) // rows * rows
    for j0 in range(col_start, min(col_start + block_n, n), 4):
        for i0 in range(row_start, whole_tiles_end, rows):
            _tile(a, w, bias, has_bias, out, i0, j0, n, k_size, epilogue)
        for i in range(whole_tiles_end, row_end):
            _tile_row(a, w, bias, has_bias, out, i, j0, n, k_size, epilogue)


@njit(inline="always")
def _block_count(a, w, block_n):
    m = a.shape[0]
    n = w.shape[0]
    blocks_m = (m + BLOCK_M - 1) // BLOCK_M
    return blocks_m, blocks_m * ((n + block_n - 1) // block_n)


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def gemm_nt(a, w, bias, has_bias, out, epilogue):
    """out[M, N] = a[M, K] @ w[N, K].T, plus bias[N] when `has_bias` (else `bias` unread),
    then `epilogue` (kernels/_epilogue.py).

    All arrays C-contiguous, native byte order, one float dtype; `out` must not alias
    `a` or `w`.
    """
    blocks_m, tasks = _block_count(a, w, BLOCK_N)
    # adjacent tasks share one weight block, so a thread's chunk reuses it from L2
    for task in prange(tasks):
        _block(a, w, bias, has_bias, out, task, blocks_m, BLOCK_N, epilogue)


def long_block_n(m, n, threads):
    """Output columns per task for `gemm_nt_long`: the widest of 64, 32 and 16 that makes
    at least 8 tasks per thread (16 if none does). Over a long reduction no block stays in
    L2, and every block re-reads its rows of `a`: wider blocks read less, narrower ones
    keep every thread busy on small outputs. `python benchmarks/rules.py weightgrad`."""
    blocks_m = -(-m // BLOCK_M)
    for block_n in (64, 32):
        if blocks_m * -(-n // block_n) >= 8 * threads:
            return block_n
    return 16


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def gemm_nt_long(a, w, out, block_n):
    """out[M, N] = a[M, K] @ w[N, K].T for a reduction far longer than `out` is wide (a
    weight gradient's sum over positions, M x N as small as 64 x 147), in tasks of
    `block_n` output columns (`long_block_n`); block_n a multiple of 4. Layouts as
    gemm_nt."""
    blocks_m, tasks = _block_count(a, w, block_n)
    for task in prange(tasks):
        _block(a, w, out[0], False, out, task, blocks_m, block_n, NONE)
