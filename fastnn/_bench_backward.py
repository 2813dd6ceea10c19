"""Backward cases of `python -m fastnn bench` (issue #16): the backward pass alone.

fastnn's side calls the op's backward function on the context its forward recorded
(normalized inputs, attrs, output), torch's side `torch.autograd.grad` on a kept graph,
so neither times the forward. `_bench` turns each entry into a `Case`.
"""
from types import SimpleNamespace

import numpy as np

import fastnn.nn.functional as F
from fastnn import _registry


def _context(op, args, kwargs):
    """The autograd context of F.<op>(*args, **kwargs): what a backward function reads."""
    inputs, attrs = _registry.OPS[op].normalize(*args, **kwargs)
    output = np.asarray(getattr(F, op)(*args, **kwargs))
    return SimpleNamespace(
        inputs=inputs, attrs=attrs, output=output, plan=None,
        needs=tuple(i == 0 for i in range(len(inputs))),
        shapes=tuple(None if a is None else np.shape(a) for a in inputs),
        dtypes=tuple(None if a is None else np.asarray(a).dtype for a in inputs))


def _torch_backward(op, x, args, kwargs):
    """torch's backward of F.<op>(x, *args) with respect to x, the graph kept."""
    try:
        import torch
    except ImportError:
        return None
    tx = torch.from_numpy(x).requires_grad_()
    targs = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    y = getattr(torch.nn.functional, op)(tx, *targs, **kwargs)
    g = torch.ones_like(y) if y.ndim == 0 else torch.randn_like(y)
    return lambda: torch.autograd.grad(y, tx, g, retain_graph=True)


def _backward_of(op):
    from fastnn.nn.functional import _activation_grad, _loss_grad
    table = {**_activation_grad.BACKWARDS, **_loss_grad.BACKWARDS}
    return table[op][0]


def _case(op, shape, extra=(), classes=None, **kwargs):
    """make(dtype) -> (fastnn call, torch call, bytes moved) of op's backward on x of
    `shape` (a class-index target of `classes` classes when given)."""
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal(shape).astype(dtype)
        args = tuple(extra)
        if classes is not None:
            args = (rng.integers(0, classes, shape[0]),) + args
        ctx = _context(op, (x,) + args, kwargs)
        grad = rng.standard_normal(ctx.output.shape).astype(ctx.output.dtype)
        backward = _backward_of(op)
        # read: grad and the saved tensor; written: the input's gradient
        work = 3 * x.nbytes if ctx.output.ndim else 2 * x.nbytes
        return (lambda: backward(ctx, grad), _torch_backward(op, x, args, kwargs), work)
    return make


# (label, make, smoke)
ACTIVATION_CASES = [
    ("relu n8 64ch 56x56", _case("relu", (8, 64, 56, 56)), True),
    ("gelu n8 64ch 56x56", _case("gelu", (8, 64, 56, 56)), False),
    ("softmax dim -1 8x12x196x196", _case("softmax", (8, 12, 196, 196), dim=-1), False),
    ("cross_entropy 64x1000", _case("cross_entropy", (64, 1000), classes=1000), False),
]
