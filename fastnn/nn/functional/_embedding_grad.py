"""Backward of ``F.embedding``: the weight's gradient accumulates the output gradient's
rows by index (dense, as torch's ``sparse=False``); the `padding_idx` row gets none, and
with `scale_grad_by_freq` each row is scaled by 1 / (how often its index occurs)."""
import numpy as np

from ..._array import kernel_array
from ..._registry import register_backward
from ..._runtime import launch
from ...kernels import norm_backward as _k

__all__ = ["embedding_backward"]

_NO_SCALE = {np.dtype(t): np.empty(0, t) for t in (np.float32, np.float64)}


def embedding_backward(ctx, grad):
    indices = ctx.inputs[0]      # the table is not saved: its shape and dtype suffice
    if not ctx.needs[1]:
        return None, None
    if ctx.attrs.sparse:
        raise RuntimeError("fastnn: embedding with sparse=True has no gradient (dense "
                           "gradients only)")
    dtype = ctx.dtypes[1].newbyteorder("=")
    rows, width = ctx.shapes[1]
    out = np.zeros((rows, width), dtype)
    flat = indices.reshape(-1).astype(np.int64, copy=False)
    if flat.size == 0 or width == 0:
        return None, out
    order = np.argsort(flat, kind="stable")
    distinct, starts, counts = np.unique(flat[order], return_index=True, return_counts=True)
    keep = distinct != ctx.attrs.padding_idx
    distinct, starts, counts = distinct[keep], starts[keep], counts[keep]
    scale = (1.0 / counts).astype(dtype) if ctx.attrs.scale_grad_by_freq else _NO_SCALE[dtype]
    starts = starts.astype(np.int64)
    launch(_k.embedding_backward, kernel_array(grad, dtype).reshape(-1, width), order,
           starts, starts + counts, distinct.astype(np.int64), scale, out, work=grad.size)
    return None, out


register_backward("embedding", embedding_backward, saves=(0,))    # the indices alone
