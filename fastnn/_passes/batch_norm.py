"""Fold an eval-mode BatchNorm into the convolution or linear layer whose output it alone
reads (ONNX Runtime's conv_bn_fusion): with s = weight / sqrt(running_var + eps),

    W' = W * s (per output channel),   b' = (b - running_mean) * s + bias

computed once in float64 and rounded to the layer's dtype. A convolution's new weight is
frozen (`fastnn.nn._frozen`), so a variant that packs weights packs it once."""
import numpy as np

from ..nn._frozen import freeze
from ._common import CONVOLUTIONS, fused, producer, shape_of


def fold_batch_norm(graph):
    folded = 0
    for bn in list(graph.nodes):
        if bn.op != "batch_norm" or bn.attrs.training:
            continue
        source = bn.arg(0, "input")
        layer = producer(graph, source)
        if layer is None or not _foldable(graph, layer, bn, source):
            continue
        stats = [bn.arg(i, name) for i, name in
                 enumerate(("running_mean", "running_var", "weight", "bias"), start=1)]
        if any(ref is not None and ref.kind != "const" for ref in stats) or None in stats[:2]:
            continue
        mean, var, gamma, beta = (None if ref is None else
                                  np.asarray(graph.constants[ref.key], np.float64)
                                  for ref in stats)
        weight_ref, bias_ref = layer.arg(1, "weight"), layer.arg(2, "bias")
        if weight_ref.kind != "const" or (bias_ref is not None and bias_ref.kind != "const"):
            continue
        weight = np.asarray(graph.constants[weight_ref.key], np.float64)
        bias = (np.zeros(weight.shape[0]) if bias_ref is None
                else np.asarray(graph.constants[bias_ref.key], np.float64))
        scale = 1 / np.sqrt(var + bn.attrs.eps)
        if gamma is not None:
            scale = scale * gamma
        new_bias = (bias - mean) * scale + (0 if beta is None else beta)
        new_weight = weight * scale.reshape((-1,) + (1,) * (weight.ndim - 1))
        dtype = layer.dtype
        name = layer.module or layer.name
        new_weight = (freeze(new_weight, dtype, requires_grad=False)
                      if layer.op in CONVOLUTIONS
                      else np.ascontiguousarray(new_weight, dtype))
        layer.set_arg(1, "weight", graph.add_constant(f"{name}.weight+bn", new_weight))
        layer.set_arg(2, "bias", graph.add_constant(f"{name}.bias+bn",
                                                    np.ascontiguousarray(new_bias, dtype)))
        graph.replace_uses(bn.ref, layer.ref)
        graph.erase(bn)
        folded += 1
    return folded


def _foldable(graph, layer, bn, source):
    if layer.op not in CONVOLUTIONS + ("linear",) or fused(layer):
        return False
    if graph.users().get(source) != [bn] or bn.dtype != layer.dtype:
        return False
    shape = layer.shape
    if shape is None or shape != bn.shape:
        return False
    if layer.op == "linear":
        return len(shape) == 2                   # features on dim 1, as BatchNorm1d reads
    weight_shape, _ = shape_of(graph, layer.arg(1, "weight"))
    return weight_shape is not None and len(shape) == len(weight_shape)     # batched
