"""Graph passes of the inference compiler, one rewrite per module (as ONNX Runtime cuts its
graph transformers), each a function that rewrites a `fastnn._graph.Graph` in place and
returns how many places it rewrote:

    identities    Dropout in eval mode, Identity-like views and no-op reshapes removed
    constants     nodes that read only constants computed once
    batch_norm    eval BatchNorm folded into the convolution or linear layer before it
    residual      a residual add (and the activation after it) fused into a convolution
    activation    relu, relu6, silu, sigmoid, hardswish, hardsigmoid or gelu fused into
                  the convolution or linear layer before it

`optimize` runs them in that order; `fastnn.optimize_for_inference` calls it.
"""
from .activation import fuse_activation
from .batch_norm import fold_batch_norm
from .constants import fold_constants
from .identities import remove_identities
from .residual import fuse_residual

__all__ = ["PASSES", "optimize", "remove_identities", "fold_constants", "fold_batch_norm",
           "fuse_residual", "fuse_activation"]

PASSES = (remove_identities, fold_constants, fold_batch_norm, fuse_residual, fuse_activation)


def optimize(graph, passes=PASSES):
    """Run `passes` over `graph` (in place); returns {pass name: rewrites}."""
    done = {}
    for rewrite in passes:
        done[rewrite.__name__] = rewrite(graph)
    graph.drop_unused_constants()
    return done
