"""A compiled graph's memory plan: the intermediate arrays its nodes write, placed once in a
few buffers that later nodes reuse, so that a run allocates no intermediate array.

A node is planned when its op makes a new array of the traced shape (`FRESH_OPS`, not in
place) and nothing of it reaches the graph's output. Any other node may return a view of
its inputs (flatten, reshape, an in-place op returning its input), so a planned array
stays live until the last reader of anything that may view it. Buffers are handed out in
run order, best fit by size; a buffer is released after the node that last reads its array
has run, never before that node's own output is placed, so a node never writes where it
reads. `fastnn._program.Program` keeps one set of buffers per thread (a compiled model
may run in several threads at once) and passes each planned node its place as ``out=``,
except in a run autograd records (an input requires grad), whose saved intermediates must
stay as they were made.
"""
import math
from typing import NamedTuple

import numpy as np

from ._graph import nested_leaves

__all__ = ["FRESH_OPS", "MemoryPlan", "plan_memory"]

# ops whose result is a new array of the node's traced shape, written through the door's
# `out=` (their in-place forms excluded by `_fresh`)
FRESH_OPS = frozenset({
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "linear", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d",
    "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_avg_pool3d", "batch_norm", "layer_norm", "group_norm", "cat", "interpolate",
    "add", "multiply", "subtract", "relu", "relu6", "hardtanh", "silu", "sigmoid",
    "hardswish", "hardsigmoid", "gelu", "leaky_relu"})


class MemoryPlan(NamedTuple):
    """`places[i]`: (buffer, shape, dtype) of node i's output, or None when it is not
    planned; `sizes[b]`: the bytes of buffer b."""
    places: tuple
    sizes: tuple

    def views(self):
        """Fresh buffers and each planned node's view of its own."""
        buffers = [np.empty(size, np.uint8) for size in self.sizes]
        return [None if place is None else
                buffers[place[0]][:_nbytes(place[1], place[2])].view(place[2]).reshape(
                    place[1])
                for place in self.places]


def _nbytes(shape, dtype):
    return math.prod(shape) * np.dtype(dtype).itemsize


def _fresh(node):
    if node.op not in FRESH_OPS or node.shape is None or node.dtype is None:
        return False
    # (a captured node never has out=: the tracer refuses it)
    return not (node.attrs.get("inplace") or "ufunc_out" in node.attrs)


def plan_memory(graph):
    """The MemoryPlan of `graph`'s nodes (in their run order)."""
    nodes = graph.nodes
    position = {node.ref: i for i, node in enumerate(nodes)}
    planned = [_fresh(node) for node in nodes]
    # the planned arrays each node's output may be or view
    roots = []
    for i, node in enumerate(nodes):
        if planned[i]:
            roots.append({i})
        else:
            roots.append(set().union(*(roots[position[ref]] for ref in node.inputs
                                       if ref in position)))
    for ref in nested_leaves(graph.output):
        if ref in position:
            for root in roots[position[ref]]:
                planned[root] = False
    last = list(range(len(nodes)))       # the last node that reads a root or a view of it
    for i, node in enumerate(nodes):
        for ref in node.inputs:
            if ref in position:
                for root in roots[position[ref]]:
                    last[root] = max(last[root], i)
    releases = {}
    for root, end in enumerate(last):
        if planned[root]:
            releases.setdefault(end, []).append(root)
    places, sizes, free, owner = [], [], [], {}
    for i, node in enumerate(nodes):
        place = None
        if planned[i]:
            size = _nbytes(node.shape, node.dtype)
            fits = [b for b in free if sizes[b] >= size]
            if fits:
                buffer = min(fits, key=lambda b: sizes[b])
                free.remove(buffer)
            else:
                buffer = len(sizes)
                sizes.append(size)
            owner[i] = buffer
            place = (buffer, tuple(node.shape), np.dtype(node.dtype))
        places.append(place)
        for root in releases.get(i, ()):
            free.append(owner[root])
    return MemoryPlan(tuple(places), tuple(sizes))
