"""Backward of the losses (issue #16): the element-wise losses of `_loss` and
cross_entropy / nll_loss of `_cross_entropy`.

The element-wise losses' kernel (`kernels.loss_grad`) computes in float64, as the
forwards do; each gradient is rounded once into its input's dtype and summed back over the
dimensions its input was broadcast along. cross_entropy and nll_loss run numpy's
vectorised exp in the op's dtype, as torch's log_softmax backward does. Not
differentiable, as in torch (their normalize refuses them when autograd would record):
binary_cross_entropy's weight, binary_cross_entropy_with_logits' weight and pos_weight,
nll_loss's and cross_entropy's weight with class indices; class-index targets.
"""
import math

import numpy as np

from ...autograd._util import sum_to
from ...kernels import loss as _loss_kernels
from ...kernels import loss_grad as _k
from ._loss_args import flat, run_kernel

_EMPTY = np.empty(0)


def _as_input(grad, array):
    """A float64 gradient as the gradient of `array`: its shape and dtype."""
    return sum_to(grad, np.shape(array)).astype(np.asarray(array).dtype, copy=False)


def _scale(attrs, w, n):
    """What the output's gradient is multiplied by for the reduction."""
    if attrs["reduction"] == "none" or attrs["divide"] is None:
        return 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if attrs["divide"] == "weight":
            return float(np.float64(1.0) / np.sum(w, dtype=np.float64))
        if attrs["divide"] == "batch":
            return 1.0 / attrs["batch"]
        return float(np.float64(1.0) / np.float64(n))


def pointwise_loss_backward(ctx, grad):
    x, y, w, pw = ctx.inputs
    attrs = ctx.attrs
    shape = attrs["shape"]
    n = math.prod(shape)
    xf, yf = flat(x, shape, np.float64), flat(y, shape, np.float64)
    wf = _EMPTY if w is None else flat(w, shape, np.float64)
    pwf = _EMPTY if pw is None else flat(pw, shape, np.float64)
    g = np.ascontiguousarray(grad, np.float64).reshape(-1)
    scale = _scale(attrs, w, n)
    needs = ctx.needs
    want_w = w is not None and needs[2]
    shift = 0.0
    if want_w and attrs["reduction"] == "mean" and attrs["divide"] == "weight":
        # d (sum w l / sum w) / d w = (l - mean) / sum w: the mean recomputed here (rare:
        # a weight that needs a gradient) rather than every output saved
        partial = np.zeros(_loss_kernels.loss_chunks(n))
        run_kernel(_loss_kernels.pointwise_loss, attrs["kind"], xf, yf, wf, pwf, attrs["param"],
                   _EMPTY, partial, work=n)
        shift = float(partial.sum()) * scale
    gx = np.empty(n) if needs[0] else _EMPTY
    gy = np.empty(n) if needs[1] else _EMPTY
    gw = np.empty(n) if want_w else _EMPTY
    run_kernel(_k.pointwise_loss_backward, attrs["kind"], xf, yf, wf, pwf, attrs["param"], g, scale,
               shift, gx, gy, gw, work=n)
    return (_as_input(gx.reshape(shape), x) if needs[0] else None,
            _as_input(gy.reshape(shape), y) if needs[1] else None,
            _as_input(gw.reshape(shape), w) if want_w else None,
            None)


# ---------------------------------------------------------------- cross entropy, nll

def _rows(arr, dtype):
    """An (N, C, d1, ...) or (C,) array as an (N, C, inner) array of `dtype`."""
    if arr.ndim == 1:
        arr = arr.reshape(1, -1, 1)
    else:
        arr = arr.reshape(arr.shape[0], arr.shape[1], int(np.prod(arr.shape[2:])))
    return arr.astype(dtype, copy=False)


def _softmax(rows):
    """(softmax over axis 1 as a new array, the log of its normaliser incl. the max):
    numpy's vectorised exp, in the rows' dtype as torch's log_softmax backward."""
    top = rows.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        p = np.subtract(rows, top)
        np.exp(p, out=p)
        norm = p.sum(axis=1, keepdims=True)
        p /= norm
        shift = top + np.log(norm)
    return p, shift


def cross_entropy_backward(ctx, grad):
    """cross_entropy and nll_loss (class indices or, cross_entropy only, probabilities):
    the gradient d of the loss in the log-probabilities, through log_softmax for
    cross_entropy (d - softmax * sum(d)), in the op's dtype."""
    x, t, w = ctx.inputs
    attrs = ctx.attrs
    dtype = np.dtype(attrs["dtype"])
    rows = _rows(x, dtype)
    n, classes, inner = rows.shape
    if rows.size == 0:
        return (np.zeros(x.shape, x.dtype) if ctx.needs[0] else None,
                np.zeros(t.shape, t.dtype) if ctx.needs[1] else None,
                np.zeros(w.shape, w.dtype) if w is not None and ctx.needs[2] else None)
    if attrs["mode"] == "probabilities":
        return _soft_backward(ctx, grad, rows, dtype)
    # a mean over no kept target divides by 0: its inf scale meets only zeros
    with np.errstate(invalid="ignore", divide="ignore"):
        return _index_backward(ctx, grad, rows, dtype)


def _index_backward(ctx, grad, rows, dtype):
    """Class indices: d = -(scale w_t [c == t] + smooth_scale w_c) g where t is kept."""
    x, t, w = ctx.inputs
    attrs = ctx.attrs
    n, classes, inner = rows.shape
    if attrs["log_softmax"] and inner == 1:
        return _index_rows_backward(ctx, grad, rows.reshape(n, classes)), None, None
    g = np.asarray(grad, np.float64)
    g = g.reshape(n, inner) if attrs["reduction"] == "none" else g.reshape(())
    targets = np.asarray(t, np.int64).reshape(n, inner)
    keep = targets != attrs["ignore_index"]
    weights = np.ones(classes) if w is None else np.asarray(w, np.float64).reshape(-1)
    picked = weights[np.where(keep, targets, 0)] * keep
    scale, smooth_scale = 1.0 - attrs["smoothing"], attrs["smoothing"] / classes
    if attrs["reduction"] == "mean":
        count = picked.sum()
        scale, smooth_scale = np.float64(scale) / count, np.float64(smooth_scale) / count
    g_kept = np.where(keep, g, 0.0)
    if attrs["log_softmax"]:
        total = np.where(keep, (scale * picked + smooth_scale * weights.sum()) * g, 0.0)
        gx, _ = _softmax(rows)
        gx *= total.astype(dtype)[:, None, :]                     # -softmax * sum(d)
    else:
        gx = np.zeros(rows.shape, dtype)
    if attrs["smoothing"] > 0.0:
        smooth = np.where(keep[:, None, :], (smooth_scale * weights)[None, :, None]
                          * g_kept[:, None, :], 0.0)
        gx -= smooth.astype(dtype)
    at_n, at_j = np.nonzero(keep)
    gx[at_n, targets[at_n, at_j], at_j] -= (scale * picked * g_kept)[at_n, at_j].astype(dtype)
    return gx.reshape(x.shape).astype(x.dtype, copy=False), None, None


def _index_rows_backward(ctx, grad, rows):
    """cross_entropy with class indices on (N, C) logits: one kernel, rows in parallel."""
    x, t, w = ctx.inputs
    attrs = ctx.attrs
    n, classes = rows.shape
    rows = np.ascontiguousarray(rows)
    targets = np.ascontiguousarray(t, np.int64).reshape(n)
    weights = _EMPTY if w is None else np.ascontiguousarray(w, np.float64).reshape(-1)
    scale, smooth_scale = 1.0 - attrs["smoothing"], attrs["smoothing"] / classes
    if attrs["reduction"] == "mean":
        keep = targets != attrs["ignore_index"]
        count = (keep.sum() if w is None else weights[targets[keep]].sum()) + 0.0
        scale, smooth_scale = np.float64(scale) / count, np.float64(smooth_scale) / count
    g = np.ascontiguousarray(grad, np.float64).reshape(-1)
    gx = np.empty(rows.shape, rows.dtype)
    run_kernel(_loss_kernels.nll_rows_backward, rows, targets, weights, attrs["ignore_index"],
               float(scale), float(smooth_scale), g, gx, work=rows.size)
    return gx.reshape(x.shape).astype(x.dtype, copy=False)


def _soft_backward(ctx, grad, rows, dtype):
    """cross_entropy with class probabilities p (smoothed): loss = -sum_c w_c p_c lp_c."""
    x, t, w = ctx.inputs
    attrs = ctx.attrs
    n, classes, inner = rows.shape
    g = np.asarray(grad, dtype)
    if attrs["reduction"] == "none":
        g = g.reshape(n, 1, inner)
    elif attrs["reduction"] == "mean":
        g = g / dtype.type(n * inner)
    smoothing = attrs["smoothing"]
    p = _rows(t, dtype)
    if smoothing > 0.0:
        p = p * dtype.type(1.0 - smoothing) + dtype.type(smoothing / classes)
    wv = None if w is None else np.asarray(w, dtype).reshape(1, -1, 1)
    weighted_p = p if wv is None else p * wv
    softmax, shift = _softmax(rows)
    gx = softmax
    gx *= weighted_p.sum(axis=1, keepdims=True)
    gx -= weighted_p
    gx *= g
    gt = gw = None
    if ctx.needs[1] or (w is not None and ctx.needs[2]):
        with np.errstate(invalid="ignore"):
            lp = rows - shift
    if ctx.needs[1]:
        gt = -lp * g * dtype.type(1.0 - smoothing)
        if wv is not None:
            gt *= wv
        gt = gt.reshape(t.shape).astype(t.dtype, copy=False)
    if w is not None and ctx.needs[2]:
        gw = -(lp * p * g).sum(axis=(0, 2)).astype(w.dtype, copy=False).reshape(w.shape)
    return gx.reshape(x.shape).astype(x.dtype, copy=False), gt, gw


BACKWARDS = {
    name: (pointwise_loss_backward, (0, 1, 2, 3))
    for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                 "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div")
}
BACKWARDS.update({
    "cross_entropy": (cross_entropy_backward, (0, 1, 2)),
    "nll_loss": (cross_entropy_backward, (0, 1, 2)),
})
