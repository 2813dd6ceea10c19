"""Helpers the backward functions share."""
import numpy as np

__all__ = ["sum_to", "unreduce", "contiguous"]


def sum_to(grad, shape):
    """`grad` summed down to `shape` (the reverse of numpy broadcasting)."""
    grad = np.asarray(grad)
    if grad.shape == tuple(shape):
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


def unreduce(grad, shape, dims, keepdim):
    """The gradient of a reduction over `dims` (None: all) broadcast back to `shape`."""
    grad = np.asarray(grad)
    if dims is not None and not keepdim and len(shape):
        grad = np.expand_dims(grad, tuple(d % len(shape) for d in dims))
    return np.broadcast_to(grad, shape)


def contiguous(grad):
    """`grad` as a C-contiguous array of its own shape (``np.ascontiguousarray`` turns a
    0-d array into a 1-d one)."""
    grad = np.asarray(grad)
    return grad if grad.flags.c_contiguous else np.ascontiguousarray(grad)
