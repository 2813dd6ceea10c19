"""Backward of ``F.embedding_bag`` (dense gradients, as torch's ``sparse=False``).

The weight's gradient: for sum and mean, each bag entry's row gets its bag's output
gradient, times its per-sample weight (sum) or 1 / the bag's count (mean), accumulated by
index as ``F.embedding``'s backward does (`scale_grad_by_freq`: times 1 / a count in the
whole input, chosen as torch chooses it); for max, each maximum's row and column gets its
element of the output gradient (the maxima are found again from the saved table).
`padding_idx` entries get none.
The per-sample weights' gradient: the dot product of the bag's output gradient and the row.
"""
import numpy as np

from ..._array import kernel_array
from ..._registry import register_backward
from ..._runtime import launch
from ...kernels import embedding_bag as _bag
from ...kernels import norm_backward as _k
from ._embedding_bag import bag_reduce

__all__ = ["embedding_bag_backward"]

_WIDE = {np.dtype(np.float32), np.dtype(np.float64)}


def _bag_of(bounds, n):
    """Each entry's bag (-1: in none, past the last offset)."""
    bag = np.full(n, -1, np.int64)
    bag[bounds[0]:bounds[-1]] = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))
    return bag


def embedding_bag_backward(ctx, grad):
    indices, bounds, table, psw = ctx.inputs
    attrs = ctx.attrs
    rows, width = ctx.shapes[2]
    dtype = ctx.dtypes[2].newbyteorder("=")
    work = dtype if dtype in _WIDE else np.dtype(np.float32)
    grad = kernel_array(grad, work).reshape(-1, width)
    flat = indices.reshape(-1).astype(np.int64, copy=False)
    bag = _bag_of(bounds, flat.size)
    keep = np.flatnonzero((bag >= 0) & (flat != attrs.padding_idx))
    grad_weight = grad_psw = None
    if ctx.needs[2]:
        if attrs.sparse:
            raise NotImplementedError(
                "fastnn: embedding_bag with sparse=True has no gradient: torch's is a sparse "
                "tensor and fastnn has no sparse tensors (use sparse=False)")
        out = np.zeros((rows, width), work)
        if attrs.mode == _bag.MAX:
            scratch = np.empty((bounds.size - 1, width), work)
            argmax = bag_reduce(indices, bounds, np.asarray(table), None, attrs, scratch)
            found = argmax >= 0
            at = (argmax * width + np.arange(width))[found]
            np.add.at(out.reshape(-1), at, grad[found])
        elif keep.size and width:
            g = grad[bag[keep]]
            if psw is not None:
                g = g * np.asarray(psw, work).reshape(-1)[keep, None]
            elif attrs.mode == _bag.MEAN:
                sizes = np.bincount(bag[keep], minlength=bounds.size - 1)
                g = g / sizes[bag[keep]].astype(work)[:, None]
            _accumulate(g.astype(work, copy=False), flat, keep, attrs, out)
        grad_weight = out.astype(dtype, copy=False)
    if len(ctx.needs) > 3 and ctx.needs[3]:
        dots = np.zeros(flat.size, work)
        if keep.size:
            rows_of = np.asarray(table, work)[flat[keep]]
            dots[keep] = np.einsum("ij,ij->i", grad[bag[keep]], rows_of)
        grad_psw = dots.astype(dtype, copy=False).reshape(np.shape(psw))
    return None, None, grad_weight, grad_psw


def _accumulate(g, flat, keep, attrs, out):
    """out[flat[keep[t]]] += g[t], as `F.embedding`'s backward kernel does."""
    picked = flat[keep]
    order = np.argsort(picked, kind="stable")
    distinct, starts, counts = np.unique(picked[order], return_index=True,
                                         return_counts=True)
    if attrs.scale_grad_by_freq:
        # torch scales the k-th distinct index's rows by 1 / the count of the k-th index
        # in sorted order (not of the distinct index itself, when an earlier one repeats)
        ordered = np.sort(flat)
        ordinal = np.searchsorted(np.unique(ordered), distinct)
        freq = np.bincount(ordered, minlength=out.shape[0])[ordered[ordinal]]
        scale = (1.0 / freq).astype(out.dtype)
    else:
        scale = np.empty(0, out.dtype)
    starts = starts.astype(np.int64)
    launch(_k.embedding_backward, np.ascontiguousarray(g), order, starts,
           starts + counts, distinct.astype(np.int64), scale, out, work=g.size)


register_backward("embedding_bag", embedding_bag_backward)
