"""Fuse a residual add ``conv(x) + r`` (and an activation of its sum,
`fastnn._passes._common.fused_activation`) into the convolution: it runs with
``residual=r`` (and ``activation=``), adding `r` to its output and applying the
activation in place after its kernel (`fastnn.nn.functional._fused`).

Of the add's operands, the convolution fused is the later one made, so the other is ready
when it runs (ResNet's shortcut convolution runs after the block's second one). The add
must not broadcast nor change dtype, and the convolution's output must be read by the add
alone."""
from ._common import (CONVOLUTIONS, fuse_into, fused, fused_activation, only_user,
                      producer, shape_of)


def fuse_residual(graph):
    count = 0
    for add in list(graph.nodes):
        if add.op != "add" or len(add.args) != 2 or not _plain(add):
            continue
        order = {node.name: i for i, node in enumerate(graph.nodes)}
        users = graph.users()
        best = None
        for mine, other in (add.args, add.args[::-1]):
            layer = producer(graph, mine)
            if (layer is None or layer.op not in CONVOLUTIONS or fused(layer)
                    or not only_user(users, mine, add) or layer.shape != add.shape
                    or layer.dtype != add.dtype or shape_of(graph, other) != (add.shape,
                                                                              add.dtype)):
                continue
            made = producer(graph, other)
            if made is not None and order[made.name] > order[layer.name]:
                continue
            if best is None or order[layer.name] > order[best[0].name]:
                best = (layer, other)
        if best is None:
            continue
        layer, other = best
        fuse_into(layer, residual=other)
        after = users.get(add.ref, [])
        activation = fused_activation(after[0]) if len(after) == 1 else None
        if activation is not None and after[0].arg(0, "input") == add.ref:
            fuse_into(layer, activation=activation)
            graph.replace_uses(after[0].ref, layer.ref)
            graph.erase(after[0])
        graph.replace_uses(add.ref, layer.ref)
        graph.erase(add)
        count += 1
    return count


def _plain(add):
    """An add of two same-dtype arrays with no keywords but the Tensor layer's loop
    signature and casting."""
    if set(add.kwargs) - {"signature", "casting"}:
        return False
    signature = add.kwargs.get("signature")
    return signature is None or all(d is None or d == add.dtype for d in signature)
