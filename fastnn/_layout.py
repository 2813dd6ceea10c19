"""The memory layout of an element-wise op's fresh output, as torch's TensorIterator lays it
out: the layout of its operands, not always C order.

torch sorts the output's dimensions by the operands' strides (the first operand whose
strides tell two dimensions apart decides; a broadcast dimension tells nothing), then
allocates the output dense in that order: ``gamma * x`` with ``x`` a channels-last view
(ConvNeXt's layer scale after a permute) is channels-last, and runs as one contiguous
pass, where a C-order output would be a transposing copy. Operands all in C order (the
common case) keep C order.
"""
import functools

import numpy as np

from ._alloc import allocate


def output_axes(shape, operands):
    """The output's axes in memory order, slowest first, or None for C order: torch's
    ``TensorIteratorBase::reorder_dimensions`` over the ndarray `operands` broadcast to
    `shape` (other operands, scalars, have no say)."""
    ndim = len(shape)
    arrays = [x for x in operands if isinstance(x, np.ndarray) and x.ndim]
    if ndim < 2 or all(x.flags.c_contiguous for x in arrays):
        return None
    strides = [_broadcast_strides(x, shape) for x in arrays]

    def order(d0, d1):
        """1 where d0 is the slower of the two in memory, -1 where it is the faster, 0 where
        no operand tells."""
        for st in strides:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return 1 if s0 > s1 else -1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    # fastest first, sorted by insertion from C order as torch sorts (an ambiguous pair
    # keeps its order)
    perm = list(range(ndim - 1, -1, -1))
    for i in range(1, ndim):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            comparison = order(perm[d0], perm[d1])
            if comparison > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif comparison < 0:
                break
    axes = tuple(reversed(perm))
    return None if axes == tuple(range(ndim)) else axes


def _broadcast_strides(x, shape):
    """x's byte strides broadcast to `shape`: 0 along a dimension it is broadcast over."""
    lead = len(shape) - x.ndim
    return (0,) * lead + tuple(0 if n == 1 and shape[lead + i] != 1 else s
                               for i, (n, s) in enumerate(zip(x.shape, x.strides)))


@functools.lru_cache(maxsize=256)
def allocation(shape, dtype, axes):
    """What `empty_in_order` takes to allocate an array of `shape` laid out densely with its
    axes in memory order `axes` (slowest first): worked out once, used per call
    (remembered: the door asks per call for a convolution's channels-last output)."""
    return tuple(shape[a] for a in axes), dtype, tuple(int(a) for a in np.argsort(axes))


def empty_in_order(dense_shape, dtype, back):
    """An uninitialised array as `allocation` describes it."""
    return allocate(dense_shape, dtype).transpose(back)
