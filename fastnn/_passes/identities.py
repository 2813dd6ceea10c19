"""Remove nodes whose output is their input: dropout in eval mode (or p=0) and reshapes
(flatten, view, reshape, unflatten, contiguous) that leave the shape as it is. Their
readers read the input instead."""
from ._common import shape_of

DROPOUTS = ("dropout", "dropout1d", "dropout2d", "dropout3d")
RESHAPES = ("flatten", "view", "reshape", "unflatten", "contiguous")


def remove_identities(graph):
    removed = 0
    for node in list(graph.nodes):
        source = node.arg(0, "input")
        if node.op in DROPOUTS:
            identity = not node.attrs.training or node.attrs.p == 0
        elif node.op in RESHAPES:
            shape, dtype = shape_of(graph, source)
            identity = shape is not None and shape == node.shape and dtype == node.dtype
        else:
            continue
        if identity:
            graph.replace_uses(node.ref, source)
            graph.erase(node)
            removed += 1
    return removed
