"""Compute once the nodes that read only constants (a weight transposed or scaled in
forward, a mask built from a buffer): each becomes a constant of the graph. Ops that draw
random numbers or write into their inputs stay in the graph."""
import numpy as np

from .._dispatch import dispatch
from .._graph import Ref, nested_map

RANDOM = ("dropout", "dropout1d", "dropout2d", "dropout3d", "normal_", "uniform_")


def fold_constants(graph):
    folded = 0
    for node in list(graph.nodes):
        inputs = node.inputs
        if (not inputs or any(ref.kind != "const" for ref in inputs) or node.op in RANDOM
                or node.op.endswith("_") or node.attrs.get("inplace")
                or "ufunc_out" in node.kwargs):
            continue
        args, kwargs = _fill(node.args, graph), _fill(node.kwargs, graph)
        value = dispatch(node.op, *args, **kwargs)
        if not isinstance(value, np.ndarray):
            continue
        graph.replace_uses(node.ref, graph.add_constant(f"{node.name}.folded", value))
        graph.erase(node)
        folded += 1
    return folded


def _fill(value, graph):
    return nested_map(value, lambda leaf: graph.constants[leaf.key] if type(leaf) is Ref
                      else leaf)
