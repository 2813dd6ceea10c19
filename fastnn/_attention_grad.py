"""Backward of ``F.scaled_dot_product_attention``, in numpy.

The forward kernel keeps no score matrix, so the backward recomputes the probabilities
P = softmax(q @ k.T * scale + mask) from the saved q, k and mask (as a flash attention
backward does), then, with D the dropout multipliers the forward drew (ones without
dropout) and W = P * D the weights that multiplied v:

    gv = W.T @ g,  gW = g @ v.T (+ the weights' own gradient under need_weights),
    gS = P * (gW * D - sum(P * gW * D)),  gq = scale * gS @ k,  gk = scale * gS.T @ q,

each summed back onto the batch rows (broadcast dims, grouped-query heads) that the output
batch read; a float mask's gradient is gS summed to the mask's shape.
"""
import math

import numpy as np

from ._array import kernel_array
from ._registry import register_backward
from .autograd._util import sum_to
from .nn.functional._attention import additive_mask, batch_index

__all__ = ["attention_backward", "attention_grads"]


def _gathered(x, index):
    """x's (…, rows, cols) matrices as (B, rows, cols), one per output batch."""
    x3 = x.reshape((math.prod(x.shape[:-2]),) + x.shape[-2:])
    return x3[index]


def _scattered(values, index, shape):
    """The (B, rows, cols) `values` summed onto the batch rows `index` names: an array of
    `shape`."""
    batch = math.prod(shape[:-2])
    if batch == values.shape[0] and np.array_equal(index, np.arange(batch)):
        return values.reshape(shape)
    out = np.zeros((batch,) + values.shape[1:], values.dtype)
    for b, row in enumerate(index):
        out[row] += values[b]
    return out.reshape(shape)


def _probabilities(q3, k3, mask, causal, scale, safe, dtype):
    """softmax(q @ k.T * scale + mask) per batch, as the forward kernel takes it: rows
    that see no key are zeros when `safe`, else NaN."""
    scores = np.matmul(q3, k3.swapaxes(1, 2))
    scores *= dtype.type(scale)
    if mask is not None:
        scores += mask
    if causal:
        rows, keys = scores.shape[1:]
        scores[:, np.triu(np.ones((rows, keys), bool), 1)] = -np.inf
    top = np.max(scores, axis=-1, keepdims=True) if scores.shape[-1] else \
        np.full(scores.shape[:-1] + (1,), -np.inf, dtype)
    blank = top == -np.inf
    top = np.where(blank, 0, top)
    p = np.exp(scores - top)
    total = p.sum(axis=-1, keepdims=True, dtype=np.float64)
    p /= total.astype(dtype)
    if blank.any():
        p[np.broadcast_to(blank, p.shape)] = 0 if safe else np.nan
    return p


def attention_grads(q, k, v, mask, drop, attrs, g_out, g_weights=None, needs=(True,) * 4):
    """(gq, gk, gv, gmask) of scaled_dot_product_attention; `drop`: the dropout
    multipliers over the scores' shape, or None."""
    dtype = g_out.dtype
    rows, keys = q.shape[-2], k.shape[-2]
    batch = attrs.out_batch
    kg, vg = attrs.groups
    q_of = batch_index(q.shape[:-2], batch)
    k_of = batch_index(k.shape[:-2], batch, kg)
    v_of = batch_index(v.shape[:-2], batch, vg)
    q3, k3, v3 = (_gathered(kernel_array(x, dtype), i) for x, i in ((q, q_of), (k, k_of),
                                                                    (v, v_of)))
    scale = attrs.scale
    if q.shape[-1] == 0:
        scale = 1.0
    elif scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    additive = None
    if mask is not None:
        additive = additive_mask(mask, dtype, rows, keys)[batch_index(mask.shape[:-2], batch)]
    g3 = g_out.reshape((-1, rows, v.shape[-1]))
    with np.errstate(all="ignore"):
        p = _probabilities(q3, k3, additive, attrs.is_causal, scale, not attrs.need_weights,
                           dtype)
        d = None
        if drop is not None:
            d = np.broadcast_to(drop, batch + drop.shape[-2:]).reshape(p.shape)
        w = p if d is None else p * d
        gv = _scattered(np.matmul(w.swapaxes(1, 2), g3), v_of,
                        v.shape) if needs[2] else None
        gw = np.matmul(g3, v3.swapaxes(1, 2))
        if g_weights is not None:
            gw += g_weights.reshape(gw.shape)
        if d is not None:
            gw *= d
        gs = p * (gw - np.sum(p * gw, axis=-1, keepdims=True))
        gmask = None
        if mask is not None and needs[3] and mask.dtype.kind == "f":
            gmask = sum_to(gs.reshape(batch + (rows, keys)), mask.shape).astype(
                mask.dtype, copy=False)
        gs = gs * dtype.type(scale)         # not in place: gmask may be a view of gs
        gq = _scattered(np.matmul(gs, k3), q_of, q.shape) if needs[0] else None
        gk = _scattered(np.matmul(gs.swapaxes(1, 2), q3), k_of, k.shape) if needs[1] else None
    return gq, gk, gv, gmask


def attention_backward(ctx, grad):
    """The registered backward: ctx.inputs = (q, k, v, mask, dropout multipliers); under
    need_weights `grad` is (the output's, the weights')."""
    q, k, v, mask, drop = ctx.inputs
    g_weights = None
    if ctx.attrs.need_weights:
        grad, g_weights = grad
    if not any(ctx.needs[:4]):
        return (None,) * 5
    return attention_grads(q, k, v, mask, drop, ctx.attrs, grad, g_weights, ctx.needs) + (None,)


# every input (the weights are recomputed from q, k and the mask), not the output
register_backward("scaled_dot_product_attention", attention_backward, saves=(0, 1, 2, 3, 4))
