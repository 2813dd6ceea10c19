"""Backward kernels of batch, layer, group and instance norm, and of embedding.

The normalisation kernels recompute each row's (or channel's) mean and inverse standard
deviation from the input (the forward's shifted sums, about the row's first element, in
the same pass as the gradient sums: `_train_sums`) instead of reading statistics the
forward kept: the row has to be read for the gradient sums anyway, so the recomputation
costs arithmetic, not memory traffic, and the forward stays exactly as it was. Then,
with xhat = (x - mean) * rstd and the upstream gradient g (the affine weight w folded
into it where it varies along the row):

    gx = (g * w - mean(g * w) - (x - mean) * rstd^2 * mean(g * w * (x - mean))) * rstd

(torch's form), gw = sum g * xhat, gb = sum g. Sums are taken in the input's dtype over
short blocks (vectorised) and across blocks in float64, as the forward's statistics are.
"""
import numpy as np
from numba import prange

from ._target import njit
from .conv_pad import _u
from .normalization import _BLOCK

# reductions may be reassociated (vectorised); no nnan/ninf: NaN and inf propagate
_REDUCE_MATH = {"contract", "reassoc", "nsz", "arcp"}
_FMA = {"contract"}


@njit(cache=True, fastmath=_REDUCE_MATH)
def _block_grad_sums(g, x, mu):
    """(sum of g, sum of g * (x - mu)) over one block, in the arrays' dtype."""
    s = g[0] - g[0]
    d = s
    for i in range(_u(g.shape[0])):
        gi = g[i]
        s += gi
        d += gi * (x[i] - mu)
    return s, d


@njit(cache=True)
def _grad_sums(g, x, mu):
    """(sum of g, sum of g * (x - mu)) over the 1-D g and x, in float64 across blocks of
    _BLOCK elements; mu is of the arrays' dtype."""
    s = 0.0
    d = 0.0
    n = g.shape[0]
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        bs, bd = _block_grad_sums(g[start:stop], x[start:stop], mu)
        s += np.float64(bs)
        d += np.float64(bd)
    return s, d


@njit(cache=True, fastmath=_FMA)
def _normalized_grad(g, x, mu, k, mdy, a, w, out):
    """out = (g * w - mdy - (x - mu) * k) * a (all scalars in the arrays' dtype)."""
    for i in range(_u(g.shape[0])):
        out[i] = (g[i] * w - mdy - (x[i] - mu) * k) * a


@njit(cache=True, fastmath=_REDUCE_MATH)
def _block_train_sums(g, x, w, k):
    """(sum d, sum d * d, sum gw, sum gw * d) over one block, d = x - k and gw = g * w
    (gw = g when `w` is None: a branch Numba prunes when it compiles), in the arrays'
    dtype."""
    s = g[0] - g[0]
    q = s
    sg = s
    sd = s
    for i in range(_u(g.shape[0])):
        gi = g[i] if w is None else g[i] * w[i]
        d = x[i] - k
        s += d
        q += d * d
        sg += gi
        sd += gi * d
    return s, q, sg, sd


@njit(cache=True)
def _train_sums(g, x, w, k):
    """`_block_train_sums` over the 1-D g and x (and w), in float64 across blocks of
    _BLOCK."""
    s = 0.0
    q = 0.0
    sg = 0.0
    sd = 0.0
    n = g.shape[0]
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        bs, bq, bg, bd = _block_train_sums(g[start:stop], x[start:stop],
                                           None if w is None else w[start:stop], k)
        s += np.float64(bs)
        q += np.float64(bq)
        sg += np.float64(bg)
        sd += np.float64(bd)
    return s, q, sg, sd


@njit(cache=True, fastmath=_REDUCE_MATH)
def _rows_train_sums(gf, xf, start, stride, rows, length, k):
    """`_train_sums` (no weight) over `rows` rows of `length` <= _BLOCK elements, row r at
    start + r*stride of the flat g and x: one call for a channel's rows where they are
    short (a call per row cost more than its sums on 7x7 and 4x4 planes)."""
    s = 0.0
    q = 0.0
    sg = 0.0
    sd = 0.0
    for r in range(rows):
        at = _u(start + r * stride)
        bs = gf[at] - gf[at]
        bq = bs
        bg = bs
        bd = bs
        for i in range(_u(length)):
            gi = gf[at + i]
            d = xf[at + i] - k
            bs += d
            bq += d * d
            bg += gi
            bd += gi * d
        s += np.float64(bs)
        q += np.float64(bq)
        sg += np.float64(bg)
        sd += np.float64(bd)
    return s, q, sg, sd


@njit(cache=True, fastmath=_REDUCE_MATH)
def _rows_grad_sums(gf, xf, start, stride, rows, length, mu):
    """`_grad_sums` over short rows, as `_rows_train_sums`."""
    s = 0.0
    d = 0.0
    for r in range(rows):
        at = _u(start + r * stride)
        bs = gf[at] - gf[at]
        bd = bs
        for i in range(_u(length)):
            gi = gf[at + i]
            bs += gi
            bd += gi * (xf[at + i] - mu)
        s += np.float64(bs)
        d += np.float64(bd)
    return s, d


@njit(cache=True, fastmath=_FMA)
def _rows_normalized_grad(gf, xf, of, start, stride, rows, length, mu, k, mdy, a, w):
    """`_normalized_grad` over `rows` rows, row r at start + r*stride of the flat arrays."""
    for r in range(rows):
        at = _u(start + r * stride)
        for i in range(_u(length)):
            of[at + i] = (gf[at + i] * w - mdy - (xf[at + i] - mu) * k) * a


@njit(parallel=True, cache=True)
def batch_norm_backward(x, g, weight, mean, invstd, train, eps, gx, sum_g, sum_gd):
    """Batch norm over (N, C, L) `x` and its output gradient `g`, one task per channel.

    `train`: the channel's statistics are recomputed from x (the batch's), else `mean`
    and `invstd` (float64 (C,), the running statistics) are used. Writes sum_g[c] (the
    bias gradient) and sum_gd[c] = sum g * (x - mean) (float64 (C,)); and, unless gx is
    empty, gx (N, C, L): torch's (g - mean(g) - (x - mean) * k) * invstd * w with k =
    invstd^2 * mean(g * (x - mean)) in training, g * invstd * w otherwise. `weight`:
    (C,) in x's dtype (ones without an affine weight). The caller's weight gradient is
    sum_gd * invstd; `mean`/`invstd` receive the batch statistics in training, where
    one pass takes the statistics and the gradient sums together, all about the
    channel's first element (sum g * (x - mean) = sum g * d - mean(d) * sum g).
    """
    batch, channels, length = x.shape
    count = batch * length
    dtype = x.dtype.type
    want_gx = gx.shape[0] > 0
    short = length <= _BLOCK
    xf = x.reshape(x.size)
    gf = g.reshape(g.size)
    of = gx.reshape(gx.size)
    for c in prange(channels):
        sg = 0.0
        sd = 0.0
        if train:
            first = x[0, c, 0]
            s = 0.0
            q = 0.0
            if short:
                s, q, sg, sd = _rows_train_sums(gf, xf, c * length, channels * length, batch,
                                                length, first)
            else:
                for n in range(batch):
                    bs, bq, bg, bd = _train_sums(g[n, c], x[n, c], None, first)
                    s += bs
                    q += bq
                    sg += bg
                    sd += bd
            m = s / count
            var = q / count - m * m
            if var < 0.0:
                var = 0.0
            mean[c] = np.float64(first) + m
            invstd[c] = 1.0 / np.sqrt(var + eps)
            sd -= m * sg
        else:
            mu = dtype(mean[c])
            if short:
                sg, sd = _rows_grad_sums(gf, xf, c * length, channels * length, batch, length,
                                         mu)
            else:
                for n in range(batch):
                    a, b = _grad_sums(g[n, c], x[n, c], mu)
                    sg += a
                    sd += b
        sum_g[c] = sg
        sum_gd[c] = sd
        if want_gx:
            mu = dtype(mean[c])
            rs = invstd[c]
            a = dtype(rs * weight[c])
            one = dtype(1)
            if train:
                k = dtype(sd / count * rs * rs)
                mdy = dtype(sg / count)
            else:
                k = dtype(0)
                mdy = dtype(0)
            if short:
                _rows_normalized_grad(gf, xf, of, c * length, channels * length, batch, length,
                                      mu, k, mdy, a, one)
            else:
                for n in range(batch):
                    _normalized_grad(g[n, c], x[n, c], mu, k, mdy, a, one, gx[n, c])


@njit(cache=True, fastmath=_FMA)
def _layer_row_grad(g, x, w, mu, k, mdy, a, out, acc_w, acc_b):
    """out = (g * w - mdy - (x - mu) * k) * a over a row; adds g * (x - mu) * a to acc_w
    and g to acc_b."""
    for i in range(_u(g.shape[0])):
        gi = g[i]
        xm = x[i] - mu
        out[i] = (gi * w[i] - mdy - xm * k) * a
        acc_w[i] += gi * xm * a
        acc_b[i] += gi


@njit(cache=True, fastmath=_FMA)
def _layer_row_weight_grad(g, x, mu, a, acc_w, acc_b):
    """adds g * (x - mu) * a to acc_w and g to acc_b over a row."""
    for i in range(_u(g.shape[0])):
        gi = g[i]
        acc_w[i] += gi * (x[i] - mu) * a
        acc_b[i] += gi


@njit(parallel=True, cache=True)
def layer_norm_backward(x, g, weight, eps, tasks, gx, part_w, part_b):
    """Layer norm over the rows of (R, D) `x`: gx (R, D, unless empty) and each task's
    share of the weight and bias gradients in part_w[t], part_b[t] ((tasks, D), x's
    dtype, zeroed here); the rows are split into `tasks` contiguous runs. `weight` (D,)
    in x's dtype (ones without one). Two passes over each row while it is in cache: the
    statistics and the sums of g * w and g * w * (x - mean) together, all about the
    row's first element (as batch norm's training backward), then the gradients."""
    rows, length = x.shape
    dtype = x.dtype.type
    want_gx = gx.shape[0] > 0
    per = (rows + tasks - 1) // tasks
    for t in prange(tasks):
        acc_w = part_w[t]
        acc_b = part_b[t]
        acc_w[:] = 0
        acc_b[:] = 0
        for r in range(t * per, min(rows, (t + 1) * per)):
            xr = x[r]
            first = xr[0]
            s, q, sg, sd = _train_sums(g[r], xr, weight, first)
            m = s / length
            var = q / length - m * m
            if var < 0.0:
                var = 0.0
            rs = 1.0 / np.sqrt(var + eps)
            sd -= m * sg
            mu = dtype(np.float64(first) + m)
            if want_gx:
                _layer_row_grad(g[r], xr, weight, mu, dtype(sd / length * rs * rs),
                                dtype(sg / length), dtype(rs), gx[r], acc_w, acc_b)
            else:
                _layer_row_weight_grad(g[r], xr, mu, dtype(rs), acc_w, acc_b)


@njit(parallel=True, cache=True)
def group_norm_backward(x, g, per_group, weight, eps, gx, sum_g, sum_gd, rstd):
    """Group norm over the (N*G, per_group * L) rows of `x` (instance norm: per_group 1),
    one task per row, two passes over it (the statistics and the gradient sums of each
    channel together, about the row's first element, then gx): writes, per (sample,
    channel) t = row * per_group + j, sum_g[t] and sum_gd[t] = sum g * (x - mean)
    (float64 (N*C,)), each row's rstd[r] (float64), and unless gx is empty, gx.
    `weight`: (C,) in x's dtype (ones without one)."""
    rows, length = x.shape
    channels = weight.shape[0]
    inner = length // per_group
    dtype = x.dtype.type
    want_gx = gx.shape[0] > 0
    for r in prange(rows):
        first = x[r, 0]
        s = 0.0
        q = 0.0
        for j in range(per_group):
            t = r * per_group + j
            bs, bq, sum_g[t], sum_gd[t] = _train_sums(g[r, j * inner:(j + 1) * inner],
                                                      x[r, j * inner:(j + 1) * inner], None,
                                                      first)
            s += bs
            q += bq
        m = s / length
        var = q / length - m * m
        if var < 0.0:
            var = 0.0
        rs = 1.0 / np.sqrt(var + eps)
        rstd[r] = rs
        s1 = 0.0
        s2 = 0.0
        for j in range(per_group):
            t = r * per_group + j
            w = np.float64(weight[t % channels])
            sum_gd[t] -= m * sum_g[t]
            s1 += w * sum_g[t]
            s2 += w * sum_gd[t]
        if want_gx:
            mu = dtype(np.float64(first) + m)
            k = dtype(s2 / length * rs * rs)
            mdy = dtype(s1 / length)
            a = dtype(rs)
            for j in range(per_group):
                t = r * per_group + j
                lo = j * inner
                hi = lo + inner
                _normalized_grad(g[r, lo:hi], x[r, lo:hi], mu, k, mdy, a,
                                 weight[t % channels], gx[r, lo:hi])


@njit(parallel=True, cache=True)
def embedding_backward(g, order, starts, stops, rows, scale, out):
    """out[rows[u]] = sum of g[order[t]] for t in [starts[u], stops[u]), times
    scale[u] when `scale` is not empty (scale_grad_by_freq: 1 / the index's count, each
    row scaled before it is added, as torch); one task per distinct index, so no two
    tasks write one row. `out` (V, D) arrives zeroed."""
    scaled = scale.shape[0] > 0
    width = g.shape[1]
    for u in prange(rows.shape[0]):
        dst = out[rows[u]]
        for t in range(starts[u], stops[u]):
            src = g[order[t]]
            if scaled:
                f = scale[u]
                for j in range(width):
                    dst[j] += src[j] * f
            else:
                for j in range(width):
                    dst[j] += src[j]
