"""Automatic differentiation, as ``torch.autograd``: ``backward``, ``grad`` and the
gradient-mode switches.

How it works: every op passes one door (`fastnn._dispatch`). When grad mode is on and an
input requires grad, the door runs the op with grad mode off and records one node
(`fastnn.autograd._node.Node`) on its outputs' ``grad_fn``; ``backward`` runs the nodes
in reverse (`_engine`). An op's backward is registered beside its variants
(`fastnn._registry.register_backward`) and computes on plain arrays:

    register_backward("relu", relu_backward, saves=("output",))

    def relu_backward(ctx, grad):       # one gradient (or None) per normalized input
        return (grad * (ctx.output > 0),)

``ctx`` holds the op's normalized ``inputs`` (those named in `saves`, the others None),
``attrs``, ``plan``, ``output`` (if saved), ``needs`` (which inputs want a gradient),
``shapes`` and ``dtypes``. For a multi-output op `grad` is a tuple (zeros stand in for an
unused float output). An in-place op's output is its input: read ``ctx.output``. In-place
writes bump a version counter per storage (`_version`), which a node checks before it
reads what it saved.

Not supported: ``create_graph=True`` (higher-order gradients: backward functions compute on
arrays, not Tensors).
"""
from .._grad import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                     is_inference_mode_enabled, no_grad, set_grad_enabled)
from ._api import backward, grad

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "is_inference_mode_enabled"]
