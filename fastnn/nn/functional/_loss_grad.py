"""Backward of the losses (issue #16): the element-wise losses of `_loss` and
cross_entropy / nll_loss of `_cross_entropy`.

The kernels (`kernels.loss_grad`) compute in float64, as the forwards do; each gradient
is rounded once into its input's dtype and summed back over the dimensions its input was
broadcast along. Not differentiable, as in torch: binary_cross_entropy's weight,
binary_cross_entropy_with_logits' weight and pos_weight, nll_loss's and cross_entropy's
weight with class indices, class-index targets.
"""
import math

import numpy as np

from ..._runtime import launch
from ..._select_grad import sum_to
from ...kernels import loss as _loss_kernels
from ...kernels import loss_grad as _k
from ._loss_args import flat

_EMPTY = np.empty(0)

# torch refuses a gradient for these inputs (index into ctx.inputs) already in the forward
NOT_DIFFERENTIABLE = {
    "binary_cross_entropy": {2: "weight"},
    "binary_cross_entropy_with_logits": {2: "weight", 3: "pos_weight"},
    "nll_loss": {2: "weight"},
}


def _as_input(grad, array):
    """A float64 gradient as the gradient of `array`: its shape and dtype."""
    return sum_to(grad, np.shape(array)).astype(np.asarray(array).dtype, copy=False)


def _scale(attrs, w, n):
    """What the output's gradient is multiplied by for the reduction."""
    if attrs.reduction == "none" or attrs.divide is None:
        return 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if attrs.divide == "weight":
            return float(np.float64(1.0) / np.sum(w, dtype=np.float64))
        if attrs.divide == "batch":
            return 1.0 / attrs.batch
        return float(np.float64(1.0) / np.float64(n))


def pointwise_loss_backward(ctx, grad):
    x, y, w, pw = ctx.inputs
    attrs = ctx.attrs
    shape = attrs.shape
    n = math.prod(shape)
    xf, yf = flat(x, shape, np.float64), flat(y, shape, np.float64)
    wf = _EMPTY if w is None else flat(w, shape, np.float64)
    pwf = _EMPTY if pw is None else flat(pw, shape, np.float64)
    g = np.ascontiguousarray(grad, np.float64).reshape(-1)
    scale = _scale(attrs, w, n)
    needs = ctx.needs
    want_w = w is not None and needs[2]
    shift = 0.0
    if want_w and attrs.reduction == "mean" and attrs.divide == "weight":
        # d (sum w l / sum w) / d w = (l - mean) / sum w: the mean recomputed here (rare:
        # a weight that needs a gradient) rather than every output saved
        partial = np.zeros(1)
        launch(_loss_kernels.pointwise_loss, attrs.kind, xf, yf, wf, pwf, attrs.param, _EMPTY,
               partial, work=n)
        shift = float(partial[0]) * scale
    gx = np.empty(n) if needs[0] else _EMPTY
    gy = np.empty(n) if needs[1] else _EMPTY
    gw = np.empty(n) if want_w else _EMPTY
    launch(_k.pointwise_loss_backward, attrs.kind, xf, yf, wf, pwf, attrs.param, g, scale,
           shift, gx, gy, gw, work=n)
    return (_as_input(gx.reshape(shape), x) if needs[0] else None,
            _as_input(gy.reshape(shape), y) if needs[1] else None,
            _as_input(gw.reshape(shape), w) if want_w else None,
            None)


# ---------------------------------------------------------------- cross entropy, nll

def _rows(arr):
    if arr.ndim == 1:
        arr = arr.reshape(1, -1, 1)
    else:
        arr = arr.reshape(arr.shape[0], arr.shape[1], int(np.prod(arr.shape[2:])))
    return np.ascontiguousarray(arr, np.float64)


def _class_weights(w):
    return _EMPTY if w is None else np.ascontiguousarray(w, np.float64).reshape(-1)


def cross_entropy_backward(ctx, grad):
    """cross_entropy and nll_loss (class indices or, cross_entropy only, probabilities)."""
    x, t, w = ctx.inputs
    attrs = ctx.attrs
    rows = _rows(x)
    n, classes, inner = rows.shape
    g = np.ascontiguousarray(grad, np.float64).reshape(-1)
    weights = _class_weights(w)
    gx = np.empty(rows.shape)
    if attrs.mode == "probabilities":
        scale = 1.0 / (n * inner) if attrs.reduction == "mean" and n * inner else 1.0
        target = _rows(t)
        gt = np.empty(rows.shape) if ctx.needs[1] else np.empty((0, 0, 0))
        launch(_k.soft_cross_entropy_backward, rows, target, weights, attrs.smoothing, scale, g,
               gx, gt, work=rows.size)
        gw = None
        if w is not None and ctx.needs[2]:
            gw = _soft_weight_grad(rows, target, attrs.smoothing, g * scale)
            gw = gw.astype(w.dtype, copy=False)
        return (gx.reshape(x.shape).astype(x.dtype, copy=False) if ctx.needs[0] else None,
                gt.reshape(t.shape).astype(t.dtype, copy=False) if ctx.needs[1] else None,
                gw)
    targets = np.ascontiguousarray(t, np.int64).reshape(n, inner)
    smoothing = attrs.smoothing
    scale, smooth_scale = 1.0 - smoothing, smoothing / classes
    if attrs.reduction == "mean":
        picked = targets != attrs.ignore_index
        count = (weights[targets[picked]].sum() if w is not None else
                 np.float64(picked.sum()))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale, smooth_scale = (np.float64(scale) / count, np.float64(smooth_scale) / count)
    launch(_k.nll_rows_backward, rows, targets, weights, attrs.ignore_index,
           attrs.log_softmax, float(scale), float(smooth_scale), g, gx, work=rows.size)
    return gx.reshape(x.shape).astype(x.dtype, copy=False), None, None


def _soft_weight_grad(rows, target, smoothing, g):
    """d loss / d weight[c] of cross entropy with probabilities: -sum lp_c p_c g."""
    top = rows.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        lp = rows - (top + np.log(np.exp(rows - top).sum(axis=1, keepdims=True)))
    p = target * (1.0 - smoothing) + smoothing / rows.shape[1] if smoothing > 0 else target
    gpos = g.reshape(rows.shape[0], 1, rows.shape[2]) if g.size > 1 else g[0]
    return -(lp * p * gpos).sum(axis=(0, 2))


BACKWARDS = {
    name: (pointwise_loss_backward, (0, 1, 2, 3))
    for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                 "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div")
}
BACKWARDS.update({
    "cross_entropy": (cross_entropy_backward, (0, 1, 2)),
    "nll_loss": (cross_entropy_backward, (0, 1, 2)),
})
