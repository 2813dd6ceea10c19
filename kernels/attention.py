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

# No nnan/ninf: NaN and inf propagate as in torch; reassoc only reorders sums.
_FASTMATH = {"contract", "reassoc", "nsz", "arcp"}

# Query rows per task: 32 rows of a 64-wide head (8 KiB in float32) and their scores
# against a few hundred keys stay in L1/L2, and batch 1 x 12 heads x 197 tokens still
# gives 84 tasks for the threads.
BLOCK_L = 32


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def attention(q, k, v, mask, drop, q_of, k_of, v_of, m_of, scale, causal, hidden_nan, safe,
              out, weights):
    """out[b] = softmax(q[q_of[b]] @ k[k_of[b]].T * scale + mask[m_of[b]]) * drop[b]
    @ v[v_of[b]].

    q (Bq, L, E), k (Bk, S, E), v (Bv, S, Ev), mask (Bm, L, S) additive or (0, 0, 0),
    drop (B, L, S) dropout multipliers or (0, 0, 0), out (B, L, Ev), weights (B, L, S)
    (the probabilities after dropout are written there) or (0, 0, 0). `causal`: query row
    r sees keys 0..r only (torch's top-left alignment); `hidden_nan`: a causal row that
    does not see every key is NaN (torch's CPU flash kernel with a scale <= 0 scales the
    -inf of hidden keys into +inf or NaN). All arrays C-contiguous, one float
    dtype; the index arrays int64 of length B (m_of empty when there is no mask).
    """
    batch, rows, width = out.shape
    keys = k.shape[1]
    depth = q.shape[2]
    has_mask = m_of.shape[0] > 0
    has_drop = drop.shape[0] > 0
    want_weights = weights.shape[0] > 0
    blocks = (rows + BLOCK_L - 1) // BLOCK_L
    zero = q.dtype.type(0)
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
        for s in range(keys):
            for i in range(r1 - r0):
                acc = zero
                for e in range(depth):
                    acc += qb[r0 + i, e] * kb[s, e]
                scores[i, s] = acc * scale
        for i in range(r1 - r0):
            r = r0 + i
            n = seen[i]
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
            for s in range(n, keys):
                scores[i, s] += -math.inf       # a NaN or +inf score hidden there stays NaN
            top = -math.inf
            for s in range(keys):
                x = np.float64(scores[i, s])
                if x > top or x != x:           # a NaN score makes the row NaN
                    top = x
            if top == -math.inf:                # no key to see: zeros (torch's safe
                if not safe:                    # softmax) or NaN (its plain one)
                    for e in range(width):
                        orow[e] = math.nan
                    if want_weights:
                        for s in range(keys):
                            weights[b, r, s] = math.nan
                    continue
                for s in range(keys):
                    scores[i, s] = 0
                inverse = 0.0
            else:
                total = 0.0
                for s in range(keys):
                    p = math.exp(np.float64(scores[i, s]) - top)
                    total += p
                    scores[i, s] = p
                inverse = 1.0 / total
            for e in range(width):
                orow[e] = 0
            for s in range(keys):
                p = scores[i, s] * inverse
                if has_drop:
                    p *= drop[b, r, s]
                if want_weights:
                    weights[b, r, s] = p
                for e in range(width):          # a zero weight times inf is NaN, as
                    orow[e] += p * vb[s, e]     # in torch's reference path
