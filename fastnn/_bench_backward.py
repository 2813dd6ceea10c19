"""Backward cases of `python -m fastnn bench` (issue #16): activations, softmax and cross
entropy. Both sides run ``y.backward(g, retain_graph=True)`` on a graph built once (as the
conv_backward cases), so the forward is not timed; `_bench` turns each entry into a `Case`.
"""
import numpy as np

import fastnn
import fastnn.nn.functional as F


def _case(op, shape, classes=None, **kwargs):
    """make(dtype) -> (fastnn call, torch call, bytes moved) of op's backward on x of
    `shape` (a class-index target of `classes` classes when given)."""
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal(shape).astype(dtype)
        extra = () if classes is None else (rng.integers(0, classes, shape[0]),)
        leaf = fastnn.tensor(x, requires_grad=True)
        with fastnn.enable_grad():          # `_bench` runs the cases under no_grad
            y = getattr(F, op)(leaf, *(fastnn.tensor(a) for a in extra), **kwargs)
        g = rng.standard_normal(y.shape).astype(y.dtype)
        grad = fastnn.tensor(g)
        # read: the output's gradient and the saved tensor; written: the input's gradient
        work = 3 * x.nbytes if y.ndim else 2 * x.nbytes
        return (lambda: y.backward(grad, retain_graph=True),
                _torch_backward(op, x, extra, g, kwargs), work)
    return make


def _torch_backward(op, x, extra, g, kwargs):
    try:
        import torch
    except ImportError:
        return None
    leaf = torch.from_numpy(x).requires_grad_()
    with torch.enable_grad():
        y = getattr(torch.nn.functional, op)(leaf, *(torch.from_numpy(a) for a in extra),
                                             **kwargs)
    grad = torch.from_numpy(g)
    return lambda: y.backward(grad, retain_graph=True)


# (label, make, smoke)
ACTIVATION_CASES = [
    ("relu n8 64ch 56x56", _case("relu", (8, 64, 56, 56)), True),
    ("gelu n8 64ch 56x56", _case("gelu", (8, 64, 56, 56)), False),
    ("relu6 n8 96ch 56x56", _case("relu6", (8, 96, 56, 56)), False),
    ("softmax dim -1 8x12x196x196", _case("softmax", (8, 12, 196, 196), dim=-1), False),
    ("cross_entropy 64x1000", _case("cross_entropy", (64, 1000), classes=1000), False),
]
