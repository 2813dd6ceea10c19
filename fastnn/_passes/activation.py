"""Fuse an activation into the convolution or linear layer whose output it alone reads
(ONNX Runtime's conv_activation_fusion): the layer runs with ``activation=`` its name
(`fastnn._passes._common.fused_activation`). A relu or relu6 (``nn.ReLU6``'s hardtanh(0,
6)) runs in the register tiles before the store; silu, sigmoid, hardswish, hardsigmoid and
gelu run in place after the layer's kernel (`fastnn.nn.functional._fused`)."""
from ._common import CONVOLUTIONS, fuse_into, fused, fused_activation, only_user, producer


def fuse_activation(graph):
    fused_count = 0
    for act in list(graph.nodes):
        activation = fused_activation(act)
        if activation is None:
            continue
        source = act.arg(0, "input")
        layer = producer(graph, source)
        if (layer is None or layer.op not in CONVOLUTIONS + ("linear",) or fused(layer)
                or not only_user(graph.users(), source, act)):
            continue
        fuse_into(layer, activation=activation)
        graph.replace_uses(act.ref, layer.ref)
        graph.erase(act)
        fused_count += 1
    return fused_count
