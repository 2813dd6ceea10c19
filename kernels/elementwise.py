"""Element-wise and per-channel kernels: activations, softmax, batch norm.

Every kernel writes into a caller-given ``out`` (which may be ``x`` itself for in-place
ops) and takes C-contiguous arrays: flat 1-D for element-wise ops, ``(outer, n, inner)``
for softmax, ``(N, C, L)`` for batch norm.

Scalar parameters arrive already cast to the array's dtype, so float32 arithmetic stays
float32 where torch's does (clamps, slopes, scale and shift). ELU is
`kernels.activation.pointwise`'s, with selu and celu. Float64 GELU takes libm's erf; float32
GELU follows torch's vectorised float32 kernels. sigmoid and silu take `exp32`'s exp in
float32 (which vectorises, where a libm exp per element does not); tanh is numpy's SIMD
tanh (see _activation).
"""
import math

import numpy as np
from numba import prange

from ._target import njit
from .exp32 import (CHUNK, HALF32, ONE32, REDUCE_MATH, SQRT_HALF32, ZERO32, chunk_bounds,
                    chunk_count, erf_as_torch, exp_shifted)
from .vecmath import as_element, divide, exp_upto, is_single
from .conv_pad import _u

_SQRT_HALF = 0.7071067811865476        # 1 / sqrt(2)
_SQRT_2_OVER_PI = 0.7978845608028654   # sqrt(2 / pi)
_GELU_CUBIC = 0.044715


# ---------------------------------------------------------------- piecewise linear

@njit(parallel=True, cache=True)
def clamp(x, out, lo, hi):
    """out = min(max(x, lo), hi); NaN passes through, -0.0 stays -0.0 (as torch's clamp)."""
    for i in prange(x.size):
        v = x[i]
        if v < lo:
            v = lo
        elif v > hi:
            v = hi
        out[i] = v


@njit(parallel=True, cache=True)
def residual_clamp(out, residual, add, lo, hi):
    """In place: out = out + residual (if `add`), then clamped to [lo, hi], one pass: relu
    is (0, inf), relu6 (0, 6), nothing (-inf, inf); NaN and -0.0 stay as in torch's. The
    epilogue of a fused convolution or linear layer where its tiles cannot apply it
    (fastnn/nn/functional/_fused.py)."""
    for i in prange(out.size):
        v = out[i]
        if add:
            v = v + residual[i]
        if v < lo:
            v = lo
        elif v > hi:
            v = hi
        out[i] = v


ADD = 0
SUBTRACT = 1
MULTIPLY = 2


@njit(parallel=True, cache=True)
def binary(a, b, out, code):
    """out = a + b, a - b or a * b (`code`: ADD, SUBTRACT, MULTIPLY) on flat arrays of one
    dtype, `out` apart from both or `a` itself: numpy's loop for a large tensor sum, run
    on all threads."""
    n = out.size
    in_place = a.ctypes.data == out.ctypes.data
    for k in prange(chunk_count(n)):
        lo, hi = chunk_bounds(k, n)
        if in_place:
            _binary_segment_in_place(out[lo:hi], b[lo:hi], code)
        else:
            _binary_segment(a[lo:hi], b[lo:hi], out[lo:hi], code)


@njit
def _binary_segment_in_place(a, b, code):
    """`_binary_segment` into `a`: given `a` twice, LLVM's overlap check failed and the
    loop ran scalar."""
    _binary_segment(a, b, a, code)


@njit(inline="always")
def _binary_segment(a, b, out, code):
    if code == ADD:
        for i in range(out.size):
            out[i] = a[i] + b[i]
    elif code == SUBTRACT:
        for i in range(out.size):
            out[i] = a[i] - b[i]
    else:
        for i in range(out.size):
            out[i] = a[i] * b[i]


@njit(parallel=True, cache=True)
def row_binary(x, values, out, code, value_first):
    """out[r, i] = x[r, i] op values[r] (values[r] op x[r, i] when `value_first`), op by
    `code` as `binary`'s, on flat arrays of len(values) equal rows: a tensor and one value
    per leading index (a squeeze-and-excitation gate (N, C, 1, 1) times (N, C, H, W)),
    where numpy's broadcasting loop steps through one short inner row at a time. Rows are
    grouped into tasks of at least CHUNK elements (7x7 planes are 49 long)."""
    rows = values.size
    length = x.size // rows
    per_task = max(1, CHUNK // max(length, 1))
    for t in prange((rows + per_task - 1) // per_task):
        for r in range(t * per_task, min(rows, (t + 1) * per_task)):
            lo = r * length
            _row_segment(x[lo:lo + length], values[r], out[lo:lo + length], code,
                         value_first)


@njit(parallel=True, cache=True)
def scalar_binary(x, value, out, code, value_first):
    """out = x op value (value op x when `value_first`), op by `code` as `binary`'s, on
    flat arrays, `out` apart from `x` or `x` itself: a tensor and a Python number (already
    of the arrays' dtype), which numpy's loop runs on one thread."""
    n = out.size
    in_place = x.ctypes.data == out.ctypes.data
    for k in prange(chunk_count(n)):
        lo, hi = chunk_bounds(k, n)
        if in_place:
            _row_segment_in_place(out[lo:hi], value, code, value_first)
        else:
            _row_segment(x[lo:hi], value, out[lo:hi], code, value_first)


@njit
def _row_segment_in_place(x, v, code, value_first):
    """`_row_segment` into `x` (as `_binary_segment_in_place`: vectorised)."""
    _row_segment(x, v, x, code, value_first)


@njit(inline="always")
def _row_segment(x, v, out, code, value_first):
    if code == ADD:
        for i in range(out.size):
            out[i] = x[i] + v
    elif code == MULTIPLY:
        for i in range(out.size):
            out[i] = x[i] * v
    elif value_first:
        for i in range(out.size):
            out[i] = v - x[i]
    else:
        for i in range(out.size):
            out[i] = x[i] - v


@njit(parallel=True, cache=True)
def column_binary(x, values, out, code, value_first):
    """out[r, i] = x[r, i] op values[i] (values[i] op x[r, i] when `value_first`), op by
    `code` as `binary`'s, on flat arrays of rows len(values) long: a channels-last tensor
    and one value per channel (ConvNeXt's layer scale), which numpy's broadcasting loop
    runs one short row at a time. Rows are grouped into tasks of at least CHUNK elements."""
    length = values.size
    rows = x.size // length
    per_task = max(1, CHUNK // max(length, 1))
    for t in prange((rows + per_task - 1) // per_task):
        for r in range(t * per_task, min(rows, (t + 1) * per_task)):
            _pair_segment(x, values, out, _u(r * length), _u(0), _u(length), code,
                          value_first)


TRANSPOSE_TILE = 32


@njit(parallel=True, cache=True)
def transposed_binary(x, y, out, code, y_first):
    """out[n, a, b] = x[n, a, b] op y[n, b, a] (y[n, b, a] op x[n, a, b] when `y_first`),
    op by `code` as `binary`'s; x and out (N, A, B), y (N, B, A), all C-contiguous, `out`
    either x itself or apart from it, apart from y: a channels-last tensor and an NCHW one
    (ConvNeXt's residual sum). Each task runs TRANSPOSE_TILE rows a of one sample, a
    TRANSPOSE_TILE x TRANSPOSE_TILE block at a time, y's block copied transposed into
    scratch first, so that the op runs on contiguous rows."""
    N, A, B = x.shape
    tile = TRANSPOSE_TILE
    row_blocks = (A + tile - 1) // tile
    xf = x.reshape(x.size)
    yf = y.reshape(y.size)
    of = out.reshape(out.size)
    for task in prange(N * row_blocks):
        n = task // row_blocks
        a0 = (task % row_blocks) * tile
        rows = min(tile, A - a0)
        block = np.empty(tile * tile, x.dtype)
        for b0 in range(0, B, tile):
            cols = min(tile, B - b0)
            for j in range(cols):
                src = _u((n * B + b0 + j) * A + a0)
                for i in range(rows):
                    block[i * tile + j] = yf[src + _u(i)]
            for i in range(rows):
                at = _u((n * A + a0 + i) * B + b0)
                _pair_segment(xf, block, of, at, _u(i * tile), _u(cols), code, y_first)


@njit(inline="always")
def _pair_segment(xf, values, of, at, vat, count, code, value_first):
    """of[at + j] = xf[at + j] op values[vat + j] for j < count (values[vat + j] op
    xf[at + j] when `value_first`), op by `code` as `binary`'s."""
    if code == ADD:
        for j in range(count):
            of[at + j] = xf[at + j] + values[vat + j]
    elif code == MULTIPLY:
        for j in range(count):
            of[at + j] = xf[at + j] * values[vat + j]
    elif value_first:
        for j in range(count):
            of[at + j] = values[vat + j] - xf[at + j]
    else:
        for j in range(count):
            of[at + j] = xf[at + j] - values[vat + j]


@njit(parallel=True, cache=True)
def leaky_relu(x, out, slope):
    for i in prange(x.size):
        v = x[i]
        out[i] = v if v > 0 else v * slope


@njit(parallel=True, cache=True)
def hardsigmoid(x, out, three, six):
    zero = three - three
    for i in prange(x.size):
        t = x[i] + three
        if t < zero:
            t = zero
        elif t > six:
            t = six
        out[i] = t / six


@njit(parallel=True, cache=True)
def hardswish(x, out, three, six):
    zero = three - three
    for i in prange(x.size):
        v = x[i]
        t = v + three
        if t < zero:
            t = zero
        elif t > six:
            t = six
        out[i] = v * t / six


# ---------------------------------------------------------------- transcendental

@njit(parallel=True, cache=True)
def gelu_erf(x, out, quirks):
    """x * Phi(x). `quirks` reproduces torch's float32 kernels: 1, the AVX-512 one, whose
    vectorised erf turns +inf into NaN; 2, the AVX2 one, whose zeros are all +0.0 (gelu
    of -0.0 and of large negative x); 0, none (float64: +inf and -0.0 as the formula).

    Float64 takes libm's erf; float32 is evaluated as torch's vectorised float32 kernel
    does, in float32 with its erf (`exp32.erf_as_torch`), so it vectorises sixteen wide."""
    if not is_single(x):
        for i in prange(x.size):
            v = np.float64(x[i])
            out[i] = 0.5 * v * (1.0 + math.erf(v * _SQRT_HALF))
        return
    n = x.size
    in_place = x.ctypes.data == out.ctypes.data
    for k in prange(chunk_count(n)):
        lo, hi = chunk_bounds(k, n)
        if in_place:
            _gelu_erf_single_in_place(out[lo:hi], quirks)
        else:
            _gelu_erf_single(x[lo:hi], out[lo:hi], quirks)


@njit(error_model="numpy", fastmath={"contract"})
def _gelu_erf_single(x, out, quirks):
    """`_gelu_erf_loops` into a separate `out`."""
    _gelu_erf_loops(x, out, quirks)


@njit(error_model="numpy", fastmath={"contract"})
def _gelu_erf_single_in_place(x, quirks):
    """`_gelu_erf_loops` in place, with one array for both ends: given the same array
    twice, the loops' stores might alias their loads and stayed scalar, far slower (the
    inference compiler's gelu after a linear layer runs it in place)."""
    _gelu_erf_loops(x, x, quirks)


@njit(inline="always")
def _gelu_erf_loops(x, out, quirks):
    """A loop per quirk: one that tests both per element ran about 20% slower. Each loop
    runs the two halves of the chunk side by side, two independent streams per step: the
    one-stream loop ran slower on arrays beyond L2 (`python benchmarks/against_commit.py`
    on the bench's gelu cases). Multiply-adds fused, as torch's kernel fuses them (the
    callers' fastmath flags)."""
    half = x.size // 2
    if quirks == 1:
        for i in range(half):
            v = x[i]
            w = x[half + i]
            out[i] = np.float32(math.nan) if v == math.inf else _gelu_single(v)
            out[half + i] = np.float32(math.nan) if w == math.inf else _gelu_single(w)
        for i in range(2 * half, x.size):
            v = x[i]
            out[i] = np.float32(math.nan) if v == math.inf else _gelu_single(v)
    else:
        for i in range(half):
            r = _gelu_single(x[i])
            q = _gelu_single(x[half + i])
            out[i] = ZERO32 if r == 0.0 else r
            out[half + i] = ZERO32 if q == 0.0 else q
        for i in range(2 * half, x.size):
            r = _gelu_single(x[i])
            out[i] = ZERO32 if r == 0.0 else r


@njit(error_model="numpy", fastmath={"contract"})
def _gelu_single(v):
    return v * HALF32 * (ONE32 + erf_as_torch(v * SQRT_HALF32))


@njit(parallel=True, cache=True)
def erf(x, out):
    """The error function of every element of the flat `x` into `out`: float64 by libm's
    erf, float32 in float32 with the polynomial of torch's vectorised GELU
    (`exp32.erf_as_torch`), sixteen wide. Both within a few units in the last place of
    torch.erf's (its own vectorised erf, which rounds differently)."""
    if not is_single(x):
        for i in prange(x.size):
            out[i] = math.erf(np.float64(x[i]))
        return
    n = x.size
    for k in prange(chunk_count(n)):
        lo, hi = chunk_bounds(k, n)
        _erf_single(x[lo:hi], out[lo:hi])


@njit(error_model="numpy", fastmath={"contract"})
def _erf_single(x, out):
    for i in range(x.size):
        out[i] = erf_as_torch(x[i])


@njit(parallel=True, cache=True, fastmath={"contract"})
def gelu_tanh(x, out):
    """0.5 v (1 + tanh(u)), u = sqrt(2/pi) (v + 0.044715 v**3). Float64 takes libm's tanh;
    float32 the equal v / (1 + exp(-2u)), which vectorises (`vecmath.exp_upto`) and does
    not cancel where tanh(u) nears -1; -inf gives NaN there as the formula does."""
    if not is_single(x):
        for i in prange(x.size):
            v = np.float64(x[i])
            inner = _SQRT_2_OVER_PI * (v + _GELU_CUBIC * v * v * v)
            out[i] = 0.5 * v * (1.0 + math.tanh(inner))
        return
    for i in prange(x.size):
        v = np.float64(x[i])
        w = -2.0 * _SQRT_2_OVER_PI * (v + _GELU_CUBIC * v * v * v)
        r = divide(v, 1.0 + exp_upto(w if w < 709.0 else 709.0))
        out[i] = math.nan if v == -math.inf else r


@njit(parallel=True, cache=True)
def sigmoid(x, out):
    """1 / (1 + exp(-v)). Float64 takes libm's exp; float32 `_gate_single`."""
    if not is_single(x):
        for i in prange(x.size):
            out[i] = 1.0 / (1.0 + math.exp(-x[i]))
        return
    n = x.size
    in_place = x.ctypes.data == out.ctypes.data
    for k in prange(chunk_count(n)):
        lo, hi = chunk_bounds(k, n)
        if in_place:
            _gate_single_in_place(out[lo:hi], False)
        else:
            _gate_single(x[lo:hi], out[lo:hi], False)


@njit(parallel=True, cache=True)
def silu(x, out):
    """v / (1 + exp(-v)), torch's formula (-inf gives NaN by it). Float64 takes libm's exp;
    float32 v times `_gate_single`'s sigmoid."""
    if not is_single(x):
        for i in prange(x.size):
            v = x[i]
            out[i] = v / (1.0 + math.exp(-v))
        return
    n = x.size
    in_place = x.ctypes.data == out.ctypes.data
    for k in prange(chunk_count(n)):
        lo, hi = chunk_bounds(k, n)
        if in_place:
            _gate_single_in_place(out[lo:hi], True)
        else:
            _gate_single(x[lo:hi], out[lo:hi], True)


@njit(error_model="numpy", fastmath={"contract"})
def _gate_single(x, out, times_input):
    """`_gate_loops` into a separate `out`."""
    _gate_loops(x, out, times_input)


@njit(error_model="numpy", fastmath={"contract"})
def _gate_single_in_place(x, times_input):
    """`_gate_loops` in place, inlined with one array for both ends (see
    `activation._segment_in_place`). Multiply-adds fused, as torch's exp fuses them (an
    inlined function's own fastmath flags do not apply: the caller's do)."""
    _gate_loops(x, x, times_input)


@njit(inline="always")
def _gate_loops(x, out, times_input):
    """sigmoid(v), times v when `times_input`, in float32 sixteen wide: e = exp(-|v|) <= 1
    (`exp32.exp_shifted`; typed, never run, for float64), then 1 / (1 + e) or e / (1 + e)
    by v's sign, which never overflows. The gate is 0 below v = -87, where torch's float32
    gives 0 from -88.7 on and values under 2e-38 between."""
    if times_input:
        for i in range(x.size):
            v = x[i]
            e = exp_shifted(-abs(v), ZERO32)
            out[i] = v * ((ONE32 if v >= ZERO32 else e) / (ONE32 + e))
    else:
        for i in range(x.size):
            v = x[i]
            e = exp_shifted(-abs(v), ZERO32)
            out[i] = (ONE32 if v >= ZERO32 else e) / (ONE32 + e)


# ---------------------------------------------------------------- softmax

@njit(parallel=True, cache=True)
def softmax_rows(x, out, log):
    """Softmax (or log-softmax) of each row of a 2-D array (the reduced dim is innermost).

    The row maximum is subtracted before exp; a NaN anywhere in a row makes the whole row
    NaN, and a row of -inf (or one with +inf) gives NaN, as in torch.
    """
    rows, n = x.shape
    for r in prange(rows):
        m = -math.inf
        for j in range(n):
            v = np.float64(x[r, j])
            if v > m:
                m = v
        total = 0.0
        for j in range(n):
            e = math.exp(np.float64(x[r, j]) - m)
            total += e
            if not log:
                out[r, j] = e
        if log:
            shift = m + math.log(total)
            for j in range(n):
                out[r, j] = np.float64(x[r, j]) - shift
        else:
            scale = 1.0 / total
            for j in range(n):
                out[r, j] = out[r, j] * scale


@njit(parallel=True, cache=True)
def softmax_strided(x, out, log, block):
    """Softmax over the middle axis of (outer, n, inner), `block` inner positions at once so
    the innermost loops run over contiguous memory."""
    outer, n, inner = x.shape
    nblocks = (inner + block - 1) // block
    for t in prange(outer * nblocks):
        o = t // nblocks
        j0 = (t % nblocks) * block
        j1 = min(j0 + block, inner)
        w = j1 - j0
        m = np.full(w, -math.inf)
        total = np.zeros(w)
        for k in range(n):
            for j in range(w):
                v = np.float64(x[o, k, j0 + j])
                if v > m[j]:
                    m[j] = v
        for k in range(n):
            for j in range(w):
                e = math.exp(np.float64(x[o, k, j0 + j]) - m[j])
                total[j] += e
                if not log:
                    out[o, k, j0 + j] = e
        for j in range(w):
            if log:
                m[j] += math.log(total[j])
            else:
                total[j] = 1.0 / total[j]
        for k in range(n):
            for j in range(w):
                if log:
                    out[o, k, j0 + j] = np.float64(x[o, k, j0 + j]) - m[j]
                else:
                    out[o, k, j0 + j] = out[o, k, j0 + j] * total[j]


# ---------------------------------------------------------------- batch norm

@njit(parallel=True, cache=True, fastmath=REDUCE_MATH)
def channel_sums(x, sums):
    """sums[c, n] = sum over L of x[n, c, :], accumulated in float64."""
    batch, channels, length = x.shape
    for t in prange(batch * channels):
        n = t // channels
        c = t % channels
        s = 0.0
        for k in range(length):
            s += np.float64(x[n, c, k])
        sums[c, n] = s


@njit(parallel=True, cache=True, fastmath=REDUCE_MATH)
def channel_squared_deviations(x, mean, sums):
    """sums[c, n] = sum over L of (x[n, c, :] - mean[c])**2, in float64 (the second pass of
    a two-pass variance: no cancellation, whatever the mean)."""
    batch, channels, length = x.shape
    for t in prange(batch * channels):
        n = t // channels
        c = t % channels
        m = mean[c]
        s = 0.0
        for k in range(length):
            d = np.float64(x[n, c, k]) - m
            s += d * d
        sums[c, n] = s


@njit(inline="always")
def _affine_of(c, mean, var, weight, bias, eps):
    """Channel c's batch norm scale = weight / sqrt(var + eps) and shift = bias - mean *
    scale in float64, the same operations in the same order as numpy's float64 arrays;
    an empty `weight` or `bias` stands for None."""
    s = 1.0 / math.sqrt(np.float64(var[c]) + eps)
    if weight.size:
        s = s * np.float64(weight[c])
    t = -np.float64(mean[c]) * s
    if bias.size:
        t = t + np.float64(bias[c])
    return s, t


@njit(cache=True)
def batch_norm_affine(mean, var, weight, bias, eps, scale, shift):
    """Batch norm's per-channel scale and shift (`_affine_of`), rounded once into `scale`
    and `shift` (the input's dtype). One loop instead of seven numpy calls, each of which
    costs more than the whole loop on a ResNet's few hundred channels."""
    for c in range(scale.size):
        scale[c], shift[c] = _affine_of(c, mean, var, weight, bias, eps)


@njit(parallel=True, cache=True)
def channel_normalize(x, mean, var, weight, bias, eps, out):
    """Batch norm with given statistics: out[n, c, :] = x[n, c, :] * scale + shift with
    channel c's `_affine_of` rounded once to x's dtype (as `batch_norm_affine` rounds it),
    each task deriving its row's own: one kernel call where the two took two, which shows
    on the small layers of a model run one image at a time."""
    batch, channels, length = x.shape
    for t in prange(batch * channels):
        n = t // channels
        c = t % channels
        s, u = _affine_of(c, mean, var, weight, bias, eps)
        a = as_element(x, s)
        b = as_element(x, u)
        for k in range(length):
            out[n, c, k] = x[n, c, k] * a + b


@njit(parallel=True, cache=True)
def channel_scale_shift(x, scale, shift, out):
    """out[n, c, :] = x[n, c, :] * scale[c] + shift[c] (batch norm's affine form)."""
    batch, channels, length = x.shape
    for t in prange(batch * channels):
        n = t // channels
        c = t % channels
        a = scale[c]
        b = shift[c]
        for k in range(length):
            out[n, c, k] = x[n, c, k] * a + b


@njit(parallel=True, cache=True)
def row_scale_shift(x, scale, shift, out):
    """out[n, :] = x[n, :] * scale + shift, for (N, C) input (BatchNorm1d on 2-D)."""
    batch, channels = x.shape
    for n in prange(batch):
        for c in range(channels):
            out[n, c] = x[n, c] * scale[c] + shift[c]
