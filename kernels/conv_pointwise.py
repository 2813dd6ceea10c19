"""Pointwise (1x1) and 1-D convolution as register-tiled GEMMs over NCHW rows.

Per sample n a stride-1 1x1 convolution is the GEMM out[n] (K x P) = W (K x C) @ x[n]
(C x P), P = D*H*W: the rows of x[n] already are contiguous along P, so the input is used
as it is (no packing; 'blocked' copies the whole input into a channel-blocked layout
first). A 1-D convolution is the same GEMM once per tap on a shifted row:
out[n, k, l] = sum_c sum_t W[k, c, t] * xrow[n, c, l + taps[t]], with xrow the zero-padded
(and, for stride > 1, phased) row (kernels/conv_pad.py), so every tap is a contiguous load
for any stride and dilation. Each task copies just its positions' window of the C rows
into such a scratch of its own (and a strided 1x1 task the positions it reads), so
nothing allocated per call grows with the input.

Layouts:
- input  x (N, C, R): rows of length R >= P + max(taps);
- weight w (K, C, T) as given (no packing: each step broadcasts w[k0.., c, t] straight
  from the block's rows; a last block past K re-reads row K-1 and stores nothing);
- output out (N, K, P), written in place (NCHW rows).

Tile: K output channels x 16 or 32 positions, generated for every shape the targets need
(kernels/tiles_pointwise.py) and chosen by kernels/_shapes.py: with AVX-512, 8 channels x
32 positions = sixteen 16-lane stack accumulators (one zmm each for float32; per input
channel and tap two contiguous vector loads of the row, eight weight broadcasts, 16
FMAs), float64 and planes of 16..31 positions 8 x 16; with AVX2's 16 registers 6 x 16
(twelve accumulators of two ymm, the tile's loop written as vector code,
kernels/_fma_loop.py). A plane's last tile overlaps the previous one (starts at
P - width) instead of a scalar remainder, so P must be >= 16 (`MIN_POSITIONS`). Bias is
the accumulators' initial value. Only 'contract' (FMA) is used: every output is bias +
products in channel-then-tap order, and NaN/inf propagate through the FMAs as in torch.

Choices: weights are read in place, not packed to (K/8, C, T, 8) per call (packing cost
more than it saved on 1x1 s2 256->512); each task copies only its positions into scratch
instead of a padded copy of the whole input, stepping through a strided task's positions
without a division per run. A 1x1 kernel's tiles skip the tap loop (tools/tile_templates/
pointwise.py says why). The n8 256->64 case is bound by memory: its 25 MB input streams
through 256 row streams, which the hardware prefetchers do not follow. `python -m fastnn
bench --variants --only 1x1` (and `--only conv1d`) compares this variant with 'blocked',
'direct' and 'im2col_gemm'; `python benchmarks/tile_shapes.py --family pointwise` times
the tile shapes (docs/PERF.md).
"""
import numpy as np
from numba import prange
from numba.extending import overload

from . import _shapes, tiles_pointwise
from .tiles_pointwise import ALONG_POSITIONS  # noqa: F401  (has_bias for a bias per position)
from ._prefetch import prefetch_for_write
from ._stack import TILE, shape_constant, target_shape
from ._target import njit
from .conv_pad import _u
from .rows import SLACK, padded_window, strided_run

_FLAGS = {"contract"}
LANES = TILE        # positions per accumulator
MIN_POSITIONS = LANES
# 4 tiles per task: 16 or a whole plane were no faster on n8 256->64 and starved one
# thread on n1 shapes (n1 64->128)
TILES_PER_TASK = 4
# split K too, so few-position shapes still make tasks for both threads (1x1 s2 256->512:
# 7 tiles, 2 tasks with all 64 blocks per task, 8 tasks with 16). Not for PACK_STRIDED: its
# tasks are one tile with all blocks, so each gathers its positions once (on 1x1 s2
# 256->512, 4 tiles x 16 blocks was slower than 1 x 64, which runs about as fast as the
# subsampled copy of the whole input it replaced)
KBLOCKS_PER_TASK = 16
# a task's input slab up to which conv_rows runs its blocks outer (half a core's L2),
# where that makes rows of at least LONG_ROWS_MIN_POSITIONS (on shorter ones, 14x14 at 64
# channels, rereading the slab for every block cost more than the long rows saved)
LONG_ROWS_MAX_BYTES = 256 << 10
LONG_ROWS_MIN_POSITIONS = 512
# Rows a multiple of this many bytes apart fall into at most 4 of an L1 cache's 64 sets
# (of 64-byte lines: Intel's and AMD's cores alike), so a tile's C rows evict each other;
# rows one line longer spread over every set (`rows_alias`)
ALIAS_BYTES = 1024
# positions of a task's chunk at most (the scratch rows of PACK_1D and PACK_STRIDED)
CHUNK = TILES_PER_TASK * 2 * LANES
# where conv_rows reads the input rows (see conv_rows)
IN_PLACE, PACK_1D, PACK_STRIDED = 0, 1, 2


def rows_share_sets(row_length, itemsize):
    """Whether rows of `row_length` elements, read one after another, lie a multiple of
    ALIAS_BYTES apart and so share a few L1 sets (16x16, 32x32, 64x64 planes)."""
    return (row_length * itemsize) % ALIAS_BYTES == 0


def rows_alias(channels, row_length, itemsize):
    """Whether a stride-1 1x1 convolution reads its input rows (`channels` of
    `row_length` elements) faster copied into rows one cache line longer first: where the
    rows alias in L1 (a multiple of ALIAS_BYTES: 16x16, 32x32, 64x64 planes) and are too
    many to run as long rows (whose slab of LONG_ROWS_MIN_POSITIONS per row stays within
    LONG_ROWS_MAX_BYTES and was level or faster in place). `python benchmarks/rules.py
    aliasrows` times both on ResNet-50's 1x1 layers at 512x512 input, others, and the
    whole model."""
    return (rows_share_sets(row_length, itemsize)
            and channels * LONG_ROWS_MIN_POSITIONS * itemsize > LONG_ROWS_MAX_BYTES)


def strided_span(itemsize):
    """PACK_STRIDED's scratch row length: CHUNK and one cache line, so rows are an odd number
    of lines apart (rows a power of two apart share few L1 sets: measured on 1x1 s2
    256->512 against a subsampled copy of the whole input)."""
    return CHUNK + 64 // itemsize


def chunk_span(kernel_w, dilation_w, stride_w):
    """Length of each phase of a task's padded, phased rows (PACK_1D): its positions and
    the taps' reach."""
    return CHUNK + (kernel_w - 1) * dilation_w // stride_w


@njit(inline="always")
def _gather(xf, dst, at, src, ps, pe, sd, sh, sw, H, W, OH, OW):
    """dst[at:at + pe - ps] = output positions ps..pe-1 of a strided 1x1 convolution's
    input plane at xf[src]: x[od*sd, oh*sh, ow*sw], a run per output row (each may write
    a register past its end: `strided_run`). The position is divided out once, then
    stepped: divisions per run made 1x1 s2 256->512 markedly slower."""
    ow = ps % OW
    oh = (ps // OW) % OH
    od = ps // (OW * OH)
    p = ps
    while p < pe:
        run = min(pe - p, OW - ow)
        first = src + _u(((od * sd) * H + oh * sh) * W + ow * sw)
        strided_run(dst, at + _u(p - ps), xf, first, run, sw)
        p += run
        ow = 0
        oh += 1
        if oh == OH:
            oh = 0
            od += 1


_tile_shape = shape_constant("pointwise_shape")


def _tile(xf, wf, of, bias, has_bias, K, k0, kn, xrow, R, C, taps, T, orow, P, p0, epilogue):
    """The target's widest tile (kernels/tiles_pointwise.py): positions p0.. of output
    channels k0.. (kn real)."""


def _tile16(xf, wf, of, bias, has_bias, K, k0, kn, xrow, R, C, taps, T, orow, P, p0,
            epilogue):
    """The target's tile of 16 positions, for planes narrower than `_tile`."""


# compiled without reference counting (its buffers are `tile_pointer`s): a tile counting
# references to its array arguments did so on every call, atomics on arrays both threads
# share and a runtime call that sent every accumulator through the stack (the codegen
# probe's `tile_refcounts`, tests/runtime/test_codegen.py)
@overload(_tile, jit_options={"fastmath": _FLAGS, "_nrt": False})
def _tile_for_target(xf, wf, of, bias, has_bias, K, k0, kn, xrow, R, C, taps, T, orow, P,
                     p0, epilogue):
    return tiles_pointwise.TILES[target_shape(_shapes.pointwise_shape, of.dtype)].py_func


@overload(_tile16, jit_options={"fastmath": _FLAGS, "_nrt": False})
def _tile16_for_target(xf, wf, of, bias, has_bias, K, k0, kn, xrow, R, C, taps, T, orow, P,
                       p0, epilogue):
    channels = target_shape(_shapes.pointwise_shape, of.dtype)[0]
    return tiles_pointwise.TILES[channels, 1].py_func


def channel_parts(samples, threads):
    """`conv_rows`' parts: `threads` where there are fewer samples than threads (a split
    of the output channels may then balance the threads better than one of the positions).
    """
    return threads if samples < threads else 1


@njit(parallel=True, cache=True, fastmath=_FLAGS)
def conv_rows(x, w, bias, has_bias, out, taps, pack, span, sd, sh, sw, pw, H, W, OH, OW,
              parts, epilogue):
    """out[n, k, p] = bias[k] + sum_c sum_t W[k, c, t] * xrow[n, c, p + taps[t]], then
    `epilogue` (kernels/_epilogue.py) (module docstring; out.shape[2] >= MIN_POSITIONS).
    One task = TILES_PER_TASK position tiles of one sample times up to KBLOCKS_PER_TASK
    blocks of 8 output channels (PACK_STRIDED: one tile, every block), or, where that
    splits a plane unevenly over `parts` threads (`channel_parts`), the blocks split into a
    multiple of `parts` runs over all positions; where that still leaves fewer tasks than
    `parts` (one sample's 7x7 plane, at most KBLOCKS_PER_TASK blocks), the blocks split
    into `parts` runs;
    the tile's input slab (C rows of 32) stays in L1 across the channel blocks. Where the
    slab of LONG_ROWS_MIN_POSITIONS or more fits in LONG_ROWS_MAX_BYTES (few input
    channels: MobileNet's expanding layers, a weight gradient's GEMM) and the tasks are
    enough for the threads, a task takes as many tiles as fit and runs its blocks one
    after the other over them: a few long output rows at a time, which the prefetchers
    follow into memory not in cache (`python benchmarks/rules.py coldout`). `pack` says
    where xrow is:
    - IN_PLACE: x (N, C, R) itself (span and the geometry unused);
    - PACK_1D: x (N, C, W), 1-D: the task copies its positions' window of each row, padded
      by pw and phased for stride sw, into a scratch of C rows of sw * span (span =
      chunk_span(...), taps = conv_pad.tap_offsets(..., span));
    - PACK_STRIDED: a 1x1 kernel with strides (sd, sh, sw), x (N, C, D*H*W), out planes
      (OD, OH, OW): the task gathers its positions of each row into a scratch of C rows of
      span (strided_span(...))."""
    N, C, R = x.shape
    T = w.shape[2]
    K, P = out.shape[1], out.shape[2]
    KBLOCK, runs = _tile_shape(out.dtype)
    KB = (K + KBLOCK - 1) // KBLOCK
    xf = x.reshape(x.size)
    wf = w.reshape(w.size)
    of = out.reshape(out.size)
    wide = runs == 2 and P >= 2 * LANES
    width = runs * LANES if wide else LANES
    tiles = (P + width - 1) // width
    per_task = 1 if pack == PACK_STRIDED else TILES_PER_TASK
    groups = 1 if pack == PACK_STRIDED else (KB + KBLOCKS_PER_TASK - 1) // KBLOCKS_PER_TASK
    # long rows: a task takes as many tiles as its input slab fits in LONG_ROWS_MAX_BYTES
    # and runs its blocks of output channels one after the other over them, so it writes
    # a few long rows at a time
    fit = min(tiles, LONG_ROWS_MAX_BYTES // (C * T * width * x.itemsize))
    long_rows = (pack == IN_PLACE and fit * width >= LONG_ROWS_MIN_POSITIONS
                 and N * ((tiles + fit - 1) // fit) * groups >= 2 * parts)
    if long_rows:
        per_task = fit
    chunks = (tiles + per_task - 1) // per_task
    # Numba hands each thread an equal run of tasks. Fewer samples than threads, on a plane
    # whose tiles split unevenly over them (7 tiles: 4 and 3): each thread runs its part of
    # the channel blocks over every position; else the chunks (of as near equal tile
    # counts as they can be) split, every block run on a chunk while it is in cache.
    by_channels = N < parts and tiles % parts != 0 and tiles < 8 * parts
    if by_channels:
        groups = min(KB, (groups + parts - 1) // parts * parts)
    elif pack != PACK_STRIDED and N * chunks * groups < parts:
        # one chunk of one sample (a 7x7 plane) and blocks for one group: every thread a run
        groups = min(KB, parts)
    Rs = R if pack == IN_PLACE else (sw * span if pack == PACK_1D else span)
    for task in prange(N * chunks * groups):
        if by_channels:
            chunk = task % chunks
            g = (task // chunks) % groups
        else:
            g = task % groups
            chunk = (task // groups) % chunks
        n = task // (groups * chunks)
        first = chunk * tiles // chunks
        last = (chunk + 1) * tiles // chunks
        if pack == IN_PLACE:
            xs = xf
            xrow = _u(n * C * R)
            ps = 0
        else:
            # the chunk's positions ps..pe-1 (its tiles, the last one overlapping)
            ps = min(first * width, P - width)
            pe = min(P, last * width)
            xs = np.empty(C * Rs + SLACK, dtype=x.dtype)
            for c in range(C):
                if pack == PACK_1D:
                    padded_window(xf, xs, _u(c * Rs), _u((n * C + c) * R), W, ps * sw - pw,
                                  sw, span)
                else:
                    _gather(xf, xs, _u(c * Rs), _u((n * C + c) * R), ps, pe, sd, sh, sw, H,
                            W, OH, OW)
            xrow = _u(0)
        kb0 = g * KB // groups
        blocks = (g + 1) * KB // groups - kb0
        count = last - first
        for i in range(count * blocks):
            if long_rows:
                tile = first + i % count
                kb = kb0 + i // count
            else:
                tile = first + i // blocks
                kb = kb0 + i % blocks
            p0 = min(tile * width, P - width) - ps
            # a wide plane's last tile, where at most 16 positions remain, is a 16-wide
            # tile over them: the wide one overlapping its predecessor redid up to 16
            narrow = wide and tile == tiles - 1 and 0 < P % width <= LANES
            if narrow:
                p0 = P - LANES - ps
            ahead = min((tile + 1) * width, P - width) - ps
            k0 = kb * KBLOCK
            kn = min(KBLOCK, K - k0)
            orow = _u((n * K + k0) * P + ps)
            if tile + 1 < tiles:
                # this block's rows of the next tile, fetched for writing while this
                # one computes (they are written after this tile's other blocks, or
                # next on a whole plane)
                for r in range(kn):
                    at = orow + _u(r * P + ahead)
                    prefetch_for_write(of, at)
                    prefetch_for_write(of, at + _u(width - 1))
            if wide and not narrow:
                _tile(xs, wf, of, bias, has_bias, K, k0, kn, xrow, _u(Rs), C, taps, T,
                      orow, P, p0, epilogue)
            else:
                _tile16(xs, wf, of, bias, has_bias, K, k0, kn, xrow, _u(Rs), C, taps,
                        T, orow, P, p0, epilogue)
