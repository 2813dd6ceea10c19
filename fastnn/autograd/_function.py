"""Nodes that no door op makes: a node over some tensors that runs a Python function on
their gradients (what `Module.register_full_backward_hook` needs)."""
import numpy as np

from .. import _grad
from ..tensor import Tensor
from ._node import Node
from ._node import edge_of

__all__ = ["through_node"]


class _NothingSaved:
    @staticmethod
    def check_versions():
        pass


def through_node(tensors, op, backward):
    """`tensors` passed through one new node named after `op`: those that require grad
    come back as views that are its outputs; ``backward(grads) -> grads`` (tuples, one
    per such tensor) runs when their gradients arrive. Others come back unchanged."""
    if not _grad._mode.grad:
        return tensors
    picked = [i for i, t in enumerate(tensors) if isinstance(t, Tensor) and t.requires_grad]
    if not picked:
        return tensors
    node = Node(op, lambda ctx, grads: backward(grads if isinstance(grads, tuple)
                                                else (grads,)),
                _NothingSaved, tuple(edge_of(tensors[i]) for i in picked), len(picked))
    node.input_meta = tuple((tensors[i].shape, tensors[i].dtype) for i in picked)
    node.output_meta = node.input_meta
    result = list(tensors)
    for nr, i in enumerate(picked):
        view = np.ndarray.view(tensors[i], Tensor)
        view.__dict__.update(_requires_grad=True, grad_fn=node, _output_nr=nr)
        result[i] = view
    return result
