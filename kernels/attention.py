"""Scaled dot-product attention: ``softmax(q @ k.T * scale + mask) @ v`` per (batch, head).

One fused kernel: a parallel task is one block of BLOCK_L query rows of one (batch, head);
its scores (BLOCK_L x S) live in a task-local buffer, so the (L, S) score matrix of a whole
head is never written to memory, and each key and value row is read once per block while
the block's query rows stay in L1. The two products are plain loops (a dot product along
the contiguous E axis for ``q @ k.T``, an axpy along the contiguous Ev axis for ``p @ v``),
which ``reassoc`` lets LLVM vectorise. numpy's BLAS was not used for the products: it
would need the score matrix of every head in memory, and OpenBLAS's spinning worker
threads slow the Numba kernels that run after it (see the note on linear's BLAS variant
in fastnn/_tuning.py).

Batch broadcasting and grouped-query heads cost no copies: ``q_of[b]``, ``k_of[b]``,
``v_of[b]``, ``m_of[b]`` name the row of q, k, v, mask that output batch `b` reads.
Optional arrays are passed empty (first dimension 0) when absent, so each dtype compiles
one specialisation.

The softmax subtracts the row maximum (in float64) before exp. A row whose every score is
-inf (fully masked, or S == 0) gives zeros when `safe` (torch's scaled_dot_product_attention)
and NaN otherwise (torch's plain softmax, which MultiheadAttention's weights path uses).
Keys a causal row cannot see get -inf added to their scores, and every key's weight
(zero or not) multiplies its value row, as in torch's reference path: a NaN or inf in a
hidden key or value still reaches the output (torch's CPU flash kernel, which it picks for
some 4-D float32 inputs, skips hidden blocks and treats NaN scores by block instead).
"""
import math

import numpy as np
from numba import prange

from ._target import njit
from .exp32 import exp_shifted

# No nnan/ninf: NaN and inf propagate as in torch; reassoc only reorders sums.
_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}

# Query rows per task: 32 rows of a 64-wide head (8 KiB in float32) and their scores
# against a few hundred keys stay in L1/L2, and batch 1 x 12 heads x 197 tokens still
# gives 84 tasks for the threads.
BLOCK_L = 32


@njit(inline="always", fastmath=_FASTMATH)
def _scores(qb, kb, r0, r1, scale, scores):
    """scores[i, s] = (qb[r0 + i] . kb[s]) * scale: four keys at a time (their rows stay
    in L1 while the block's query rows pass), four dot products whose E loops LLVM
    vectorises into one accumulator each."""
    keys, depth = kb.shape
    zero = qb.dtype.type(0)
    whole = keys - keys % 4
    for s in range(0, whole, 4):
        k0, k1, k2, k3 = kb[s], kb[s + 1], kb[s + 2], kb[s + 3]
        for i in range(r1 - r0):
            qrow = qb[r0 + i]
            a0 = zero
            a1 = zero
            a2 = zero
            a3 = zero
            for e in range(depth):
                x = qrow[e]
                a0 += x * k0[e]
                a1 += x * k1[e]
                a2 += x * k2[e]
                a3 += x * k3[e]
            scores[i, s] = a0 * scale
            scores[i, s + 1] = a1 * scale
            scores[i, s + 2] = a2 * scale
            scores[i, s + 3] = a3 * scale
    for s in range(whole, keys):
        krow = kb[s]
        for i in range(r1 - r0):
            qrow = qb[r0 + i]
            acc = zero
            for e in range(depth):
                acc += qrow[e] * krow[e]
            scores[i, s] = acc * scale


@njit(inline="always", fastmath=_FASTMATH)
def _row_max(row):
    """The largest non-NaN element of `row` (-inf when there is none), as a float64."""
    top = row.dtype.type(-math.inf)
    for x in row:
        top = x if x > top else top
    return np.float64(top)


@njit(inline="always")
def _any_nan(row):
    for x in row:
        if x != x:
            return True
    return False


@njit(inline="always", fastmath=_FASTMATH)
def _weighted_sum(p, vb, orow):
    """orow = p @ vb, four value rows per pass over `orow` (a quarter of its loads and
    stores)."""
    keys, width = vb.shape
    for e in range(width):
        orow[e] = 0
    whole = keys - keys % 4
    for s in range(0, whole, 4):
        p0, p1, p2, p3 = p[s], p[s + 1], p[s + 2], p[s + 3]
        v0, v1, v2, v3 = vb[s], vb[s + 1], vb[s + 2], vb[s + 3]
        for e in range(width):
            orow[e] += p0 * v0[e] + p1 * v1[e] + p2 * v2[e] + p3 * v3[e]
    for s in range(whole, keys):
        ps = p[s]
        vrow = vb[s]
        for e in range(width):
            orow[e] += ps * vrow[e]


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def attention(q, k, v, mask, drop, q_of, k_of, v_of, m_of, scale, causal, hidden_nan,
              skip_hidden, safe, out, weights):
    """out[b] = softmax(q[q_of[b]] @ k[k_of[b]].T * scale + mask[m_of[b]]) * drop[b]
    @ v[v_of[b]].

    q (Bq, L, E), k (Bk, S, E), v (Bv, S, Ev), mask (Bm, L, S) additive or (0, 0, 0),
    drop (B, L, S) dropout multipliers or (0, 0, 0), out (B, L, Ev), weights (B, L, S)
    (the probabilities after dropout are written there) or (0, 0, 0). `causal`: query row
    r sees keys 0..r only (torch's top-left alignment); `hidden_nan`: a causal row that
    does not see every key is NaN (torch's CPU flash kernel with a scale <= 0 scales the
    -inf of hidden keys into +inf or NaN); `skip_hidden` (causal, and q, k and v all
    finite, so that every hidden key's weight is exactly 0): a causal row's hidden keys
    are neither scored nor summed, about half the work of a square causal head. All arrays
    C-contiguous, one float dtype; the index arrays int64 of length B (m_of empty when
    there is no mask).
    """
    batch, rows, width = out.shape
    keys = k.shape[1]
    has_mask = m_of.shape[0] > 0
    has_drop = drop.shape[0] > 0
    want_weights = weights.shape[0] > 0
    blocks = (rows + BLOCK_L - 1) // BLOCK_L
    for task in prange(batch * blocks):
        b = task // blocks
        r0 = (task % blocks) * BLOCK_L
        r1 = min(r0 + BLOCK_L, rows)
        qb = q[q_of[b]]
        kb = k[k_of[b]]
        vb = v[v_of[b]]
        scores = np.empty((r1 - r0, keys), dtype=q.dtype)
        seen = np.empty(r1 - r0, dtype=np.int64)
        for i in range(r1 - r0):
            seen[i] = min(r0 + i + 1, keys) if causal else keys
        _scores(qb, kb[:min(r1, keys)] if skip_hidden else kb, r0, r1, scale, scores)
        for i in range(r1 - r0):
            r = r0 + i
            n = seen[i]
            span = n if skip_hidden else keys       # the keys this row scores and sums
            orow = out[b, r]
            if hidden_nan and n < keys:
                for e in range(width):
                    orow[e] = math.nan
                if want_weights:
                    for s in range(keys):
                        weights[b, r, s] = math.nan
                continue
            if has_mask:
                mrow = mask[m_of[b], r]
                for s in range(keys):
                    scores[i, s] += mrow[s]
            for s in range(n, span):
                scores[i, s] += -math.inf       # a NaN or +inf score hidden there stays NaN
            row = scores[i, :span]
            top = _row_max(row)
            # a NaN score makes the row NaN: through exp and the sum below, or here when
            # every other score is -inf
            if top == -math.inf and _any_nan(row):
                top = math.nan
            if top == -math.inf:                # no key to see: zeros (torch's safe
                if not safe:                    # softmax) or NaN (its plain one)
                    for e in range(width):
                        orow[e] = math.nan
                    if want_weights:
                        for s in range(keys):
                            weights[b, r, s] = math.nan
                    continue
                for s in range(span):
                    row[s] = 0
                inverse = 0.0
            else:
                # exp in the input's dtype (float32: kernels/exp32.py, vectorised), the
                # sum in float64
                shift = scores.dtype.type(top)
                total = 0.0
                for s in range(span):
                    p = exp_shifted(row[s], shift)
                    total += p
                    row[s] = p
                inverse = 1.0 / total
            # every weight it sums, zero or not, multiplies its value row: 0 * inf is NaN,
            # as in torch's reference path
            if not has_drop and not want_weights:
                _weighted_sum(row, vb[:span], orow)     # normalised once, at the end
                for e in range(width):
                    orow[e] *= inverse
                continue
            for s in range(span):
                p = row[s] * inverse
                if has_drop:
                    p *= drop[b, r, s]
                row[s] = p
                if want_weights:
                    weights[b, r, s] = p
            if want_weights:
                for s in range(span, keys):
                    weights[b, r, s] = 0
            _weighted_sum(row, vb[:span], orow)
