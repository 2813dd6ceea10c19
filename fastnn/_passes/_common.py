"""What several passes ask of a graph."""
from .._graph import Ref
from .._registry import Attrs
from ..nn.functional import _fused

CONVOLUTIONS = ("conv1d", "conv2d", "conv3d")


def producer(graph, ref):
    """The node that makes `ref`, or None for an input or a constant."""
    return graph.node(ref.key) if type(ref) is Ref and ref.kind == "node" else None


def shape_of(graph, ref):
    """(shape, dtype) of a value as traced; (None, None) when unknown."""
    if type(ref) is not Ref:
        return None, None
    if ref.kind == "node":
        node = graph.node(ref.key)
        return node.shape, node.dtype
    if ref.kind == "input":
        return graph.inputs[ref.key]
    value = graph.constants[ref.key]
    return getattr(value, "shape", None), getattr(value, "dtype", None)


def only_user(users, ref, node):
    """Whether `node` is the one reader of `ref` (the graph's output counts as one)."""
    return users.get(ref) == [node]


def fuse_into(node, **keywords):
    """Add fused keywords (`fastnn.nn.functional._fused`) to a convolution node."""
    node.kwargs = dict(node.kwargs, **keywords)
    shown = {k: v for k, v in keywords.items() if k != "residual"}
    if shown:
        node.attrs = Attrs(**dict(node.attrs.items()), **shown)


def fused_activation(node):
    """The ``activation`` a fused layer can apply in `node`'s place, one of
    `fastnn.nn.functional._fused.ACTIVATIONS`: "relu" or "relu6" for a relu, relu6 or
    hardtanh whose bounds are that activation's (``nn.ReLU6`` calls hardtanh(0, 6)), the
    op's name for the activations run after the kernel, "gelu" or "gelu_tanh" for gelu;
    None for any other node."""
    if node is None:
        return None
    if node.op == "gelu":
        return "gelu" if node.attrs.get("approximate") == "none" else "gelu_tanh"
    if node.op in _fused.AFTER:
        return node.op
    if node.op not in ("relu", "relu6", "hardtanh"):
        return None
    bounds = (node.attrs.get("min_val"), node.attrs.get("max_val"))
    return next((name for name, clamp in _fused.BOUNDS.items()
                 if name is not None and clamp == bounds), None)


def fused(node):
    return "activation" in node.kwargs or "residual" in node.kwargs
