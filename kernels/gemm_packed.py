"""GEMM for Linear on packed operands: ``out = a @ w.T (+ bias)``, ``a`` (M, K), ``w`` (N, K).

The weight is packed into panels of W output columns, (panels, K, W), so a step of the
reduction reads W contiguous weights (`pack_panels`: kept with a frozen weight, else
packed on every call). The last panel ends at column N, overlapping the one before it:
nothing is padded and every store is whole (N >= W). The input is packed into blocks of
R rows interleaved by step, (blocks, K, R), so a step's R values sit behind one pointer
(R row pointers outgrew the general-purpose registers and spilled). Rows past M repeat
row M-1 and are not stored. The tile (kernels/tiles_gemm_packed.py, R x W from
kernels/_shapes.py `gemm_packed_shape`: 12 x 32 for float32 on AVX-512, 24 accumulator
registers; 6 x 16 on AVX2, 12) loads W weights and broadcasts R inputs per step: 2R FMAs
for R + 2 loads (the loop: kernels/_fma_loop.py).

Against kernels/gemm.py (dot products along K, nothing packed): no horizontal sums per
tile and no row streams a cache-set stride apart; it costs a copy of both operands per
call (of the input only, for a frozen weight), so products with few rows keep the
dot-product kernel (the rule in fastnn/nn/functional/_linear.py). Only 'contract' (FMA):
each output is the bias plus the products in K order, and NaN/inf propagate as in torch.
`python benchmarks/rules.py linear` times the variants.
"""
import numpy as np
from numba import prange
from numba.extending import overload

from . import _shapes, tiles_gemm_packed
from ._stack import shape_constant, target_shape
from ._target import njit, target
from .conv_pad import _u

_FLAGS = {"contract"}
_tile_shape = shape_constant("gemm_packed_shape")


def _shape(itemsize):
    return _shapes.gemm_packed_shape(target().vector_bits, itemsize)


def panel_width(dtype):
    """Output columns per weight panel for `dtype` (a numpy dtype) on the codegen target."""
    return 16 * _shape(np.dtype(dtype).itemsize)[1]


def block_rows(dtype):
    """Input rows per packed block for `dtype` on the codegen target."""
    return _shape(np.dtype(dtype).itemsize)[0]


def _tile(af, wf, of, bias, has_bias, ao, wo, K, oo, N, c0, rn, epilogue):
    """The target's tile (kernels/tiles_gemm_packed.py)."""


# compiled without reference counting, as 'pointwise''s tiles (kernels/conv_pointwise.py)
@overload(_tile, jit_options={"fastmath": _FLAGS, "_nrt": False})
def _tile_for_target(af, wf, of, bias, has_bias, ao, wo, K, oo, N, c0, rn, epilogue):
    return tiles_gemm_packed.TILES[target_shape(_shapes.gemm_packed_shape, of.dtype)].py_func


@njit(inline="always")
def _blocks_on_panel(af, panel, of, bias, has_bias, wo, c0, b0, b1, rows, M, K, N,
                     epilogue):
    """Row blocks b0..b1-1 (packed in af) times the panel at panel[wo..], output columns
    c0.."""
    for b in range(b0, b1):
        i0 = b * rows
        _tile(af, panel, of, bias, has_bias, b * K * rows, wo, K, i0 * N, N, c0,
              min(rows, M - i0), epilogue)


# steps of the reduction per packing task
PACK_STEPS = 16


@njit(inline="always")
def _pack_steps(wf, pf, at, c0, K, width, k0, k1):
    """Steps k0..k1-1 of the panel of columns c0.. into pf[at..]: pf[at + k*W + j] =
    w[c0 + j, k]."""
    for k in range(k0, k1):
        for j in range(width):
            pf[at + _u(k * width + j)] = wf[_u((c0 + j) * K + k)]


@njit(parallel=True, cache=True)
def pack_panels(w, wp):
    """wp[p, k, j] = w[c0 + j, k], c0 = min(p * W, N - W): w (N, K) as panels (panels, K, W).
    A task packs PACK_STEPS steps of one panel, its W short runs of w read while the
    panel's rows are written whole (about as fast as copying w; kernels/transpose.py's
    square blocks and a task per whole panel were slower)."""
    N, K = w.shape
    panels, _, width = wp.shape
    wf = w.reshape(w.size)
    pf = wp.reshape(wp.size)
    steps = (K + PACK_STEPS - 1) // PACK_STEPS
    for task in prange(panels * steps):
        p = task // steps
        k0 = (task % steps) * PACK_STEPS
        _pack_steps(wf, pf, _u(p * K * width), min(p * width, N - width), K, width, k0,
                    min(K, k0 + PACK_STEPS))


@njit(parallel=True, cache=True)
def pack_columns(x, wp):
    """wp[p, k, j] = x[k, c0 + j], c0 = min(p * W, N - W): the panels `pack_panels` makes of
    the weight x.T (N, K), read from x (K, N) as it is, each step of a panel one run of W
    columns (a matrix's columns as the weight: the transposed convolution's inputs)."""
    K, N = x.shape
    panels, _, width = wp.shape
    xf = x.reshape(x.size)
    pf = wp.reshape(wp.size)
    for p in prange(panels):
        c0 = min(p * width, N - width)
        for k in range(K):
            for j in range(width):
                pf[_u((p * K + k) * width + j)] = xf[_u(k * N + c0 + j)]


# row blocks each thread needs for `gemm_packed`'s pass order to pay
PASS_MIN_BLOCKS = 16


def _panel_count(n, itemsize):
    return -(-n // (16 * _shape(itemsize)[1]))


def pass_size(k, itemsize, l2):
    """Row blocks in one of `gemm_packed`'s passes: about half of L2 (`l2` bytes) of
    packed rows, K deep."""
    return max(1, l2 // 2 // max(1, _shape(itemsize)[0] * k * itemsize))


def pass_blocks(m, k, n, itemsize, threads, l2):
    """Row blocks per pass for `gemm_packed`'s pass order, or 0 for its panel order.

    In panel order every panel runs over all the rows, so each thread reads the whole
    packed input once per panel it runs; in pass order each thread takes its share of the
    rows in passes of about half of L2 (`l2` bytes, kernels/_caches.py), packs a pass
    where it runs it and runs every panel over it: the input is read once, but every
    thread reads the whole weight once per pass. The pass order is chosen where
    - there are two threads or more (on one the orders were level, or the panel order
      faster: the gain is in two threads no longer both reading all of the input);
    - each thread has PASS_MIN_BLOCKS row blocks or more (with fewer, a panel read from L3
      serves too few tiles: convnext_tiny's 196 rows were slower);
    - the weight is no larger than the input (N <= M: with 392-1576 rows and two to eight
      times as many columns the panel order was level or faster);
    - the weight read per pass, twice over, comes to no more than the input read per panel.
    `python benchmarks/rules.py packing` times both orders."""
    blocks = -(-m // _shape(itemsize)[0])
    share = -(-blocks // threads)               # row blocks per thread
    if threads < 2 or share < PASS_MIN_BLOCKS or n > m or k == 0:
        return 0
    per_pass = pass_size(k, itemsize, l2)
    passes = threads * -(-share // per_pass)
    return per_pass if 2 * passes * n <= _panel_count(n, itemsize) * m else 0


def row_parts(m, n, itemsize, threads):
    """Parts `gemm_packed` splits the row blocks into: one, unless the panels are too few
    to give every thread two tasks."""
    rows = _shape(itemsize)[0]
    return max(1, min(-(-m // rows), -(-2 * threads // _panel_count(n, itemsize))))


@njit(cache=True)
def _pack_blocks(a, af, b0, b1, rows):
    """af's blocks b0..b1 from a's rows: af[(b * K + k) * rows + r] = a[min(b * rows + r,
    M - 1), k], PACK_STEPS steps at a time so each row is read in runs."""
    M, K = a.shape
    src = a.reshape(a.size)
    for b in range(b0, b1):
        base = _u(b * K * rows)
        for k0 in range(0, K, PACK_STEPS):
            k1 = min(K, k0 + PACK_STEPS)
            for r in range(rows):
                row = _u(min(b * rows + r, M - 1) * K)
                for k in range(k0, k1):
                    af[base + _u(k * rows + r)] = src[row + _u(k)]


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def gemm_packed(a, w, bias, has_bias, out, ap, parts, per_pass, epilogue):
    """out[M, N] = a[M, K] @ w[N, K].T, plus bias[N] when `has_bias`, then `epilogue`
    (kernels/_epilogue.py). The weight comes packed by `pack_panels` (panels, K, W) (a
    frozen weight's, kept), or as it is (N, K) (one packed for this call alone): then each
    task packs the panel it uses into a buffer of its own (K x W, which stays in cache)
    and runs its row blocks on it at once, so no packed copy of the whole weight is written
    and read back (`python benchmarks/rules.py packing` times both ways on convnext_tiny's
    products and others). N >= the panel width. a is packed
    first into the scratch ap, (blocks, K, R), ap[b, k, r] = a[min(b * R + r, M - 1), k],
    a block per task (`_pack_blocks`); `parts` from `row_parts`.
    Then one task = one panel run over every row block of one part: the panel stays in
    cache while the blocks stream R values per step past its W, and consecutive tasks
    take consecutive panels, so each thread reads its share of the weight. Packing the
    input in the tasks themselves, a part at a time, ran slower, and tasks of every panel
    over a chunk of blocks (commit 8dcfaca) no faster.
    With `per_pass` > 0 and the weight packed, the pass order (`pass_blocks`) instead:
    one task = one of `parts` near-equal runs of the row blocks, taken in near-equal
    passes of at most `per_pass` blocks; a pass packs its blocks and runs every panel over
    them, so they stay in L2. All C-contiguous, one float dtype."""
    M, K = a.shape
    blocks, _, rows = ap.shape
    N = out.shape[1]
    width = _tile_shape(out.dtype)[1] * 16
    panels = (N + width - 1) // width
    af = ap.reshape(ap.size)
    wf = w.reshape(w.size)
    of = out.reshape(out.size)
    if per_pass > 0 and w.ndim == 3:
        for part in prange(parts):
            b0 = part * blocks // parts
            b1 = (part + 1) * blocks // parts
            passes = (b1 - b0 + per_pass - 1) // per_pass
            for s in range(passes):
                s0 = b0 + s * (b1 - b0) // passes
                s1 = b0 + (s + 1) * (b1 - b0) // passes
                _pack_blocks(a, af, s0, s1, rows)
                for p in range(panels):
                    _blocks_on_panel(af, wf, of, bias, has_bias, p * K * width,
                                     min(p * width, N - width), s0, s1, rows, M, K, N,
                                     epilogue)
        return
    for b in prange(blocks):
        _pack_blocks(a, af, b, b + 1, rows)
    for task in prange(panels * parts):
        p = task // parts
        part = task % parts
        c0 = min(p * width, N - width)
        if w.ndim == 2:
            panel = np.empty(K * width, out.dtype)
            _pack_steps(wf, panel, _u(0), c0, K, width, 0, K)
            wo = 0
        else:
            panel = wf
            wo = p * K * width
        _blocks_on_panel(af, panel, of, bias, has_bias, wo, c0, part * blocks // parts,
                         (part + 1) * blocks // parts, rows, M, K, N, epilogue)
