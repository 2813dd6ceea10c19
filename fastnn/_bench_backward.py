"""Backward cases of `python -m fastnn bench` (family "norm_backward"): batch norm in
training, layer norm and linear, each op's registered backward on the saved inputs of one
forward call against torch's ``autograd.grad`` through the same op (graph retained), so
both columns time the backward alone."""
import numpy as np

from ._registry import BACKWARDS, OPS

__all__ = ["backward_cases"]


def _backward(op, args, torch_args):
    """A `make(dtype, workload)` building fastnn's backward call of `op` on
    `args(rng, dtype)` and torch's: `torch_args(torch, arrays)` -> (the tensors needing
    grad, a function of them running the op)."""
    def make(dtype, workload):
        rng = np.random.default_rng(0)
        arrays = args(rng, dtype)
        from .autograd._node import Context
        entry = OPS[op]
        inputs, attrs = entry.normalize(*arrays)
        needs = tuple(isinstance(i, np.ndarray) and i.dtype.kind == "f" for i in inputs)
        backward = BACKWARDS[op]
        ctx = Context(op, inputs, attrs, None, None, needs, backward.saves)
        shape = entry.meta(inputs, attrs)[0]
        grad = rng.standard_normal(shape).astype(dtype)
        theirs = _torch_backward(torch_args, arrays, grad)
        return workload(None, (lambda: backward.fn(ctx, grad),), {}, theirs)
    return make


def _torch_backward(torch_args, arrays, grad):
    try:
        import torch
    except ImportError:
        return None
    leaves, run = torch_args(torch, arrays)
    out = run(*leaves)
    g = torch.from_numpy(grad)
    return lambda: torch.autograd.grad(out, leaves, g, retain_graph=True)


def _batch_norm_args(shape):
    def args(rng, dtype):
        channels = shape[1]
        return (rng.standard_normal(shape).astype(dtype), np.zeros(channels, dtype),
                np.ones(channels, dtype), rng.standard_normal(channels).astype(dtype),
                rng.standard_normal(channels).astype(dtype), True)
    return args


def _batch_norm_torch(torch, arrays):
    x, mean, var, w, b, _ = (torch.from_numpy(np.array(a)) if isinstance(a, np.ndarray)
                             else a for a in arrays)
    leaves = [t.requires_grad_() for t in (x, w, b)]
    return leaves, lambda x, w, b: torch.nn.functional.batch_norm(x, mean, var, w, b, True)


def _layer_norm_args(shape):
    def args(rng, dtype):
        width = shape[-1]
        return (rng.standard_normal(shape).astype(dtype), (width,),
                rng.standard_normal(width).astype(dtype),
                rng.standard_normal(width).astype(dtype))
    return args


def _layer_norm_torch(torch, arrays):
    x, shape, w, b = arrays
    leaves = [torch.from_numpy(a).requires_grad_() for a in (x, w, b)]
    return leaves, lambda x, w, b: torch.nn.functional.layer_norm(x, shape, w, b)


def _linear_args(batch, c_in, c_out):
    def args(rng, dtype):
        return (rng.standard_normal((batch, c_in)).astype(dtype),
                rng.standard_normal((c_out, c_in)).astype(dtype),
                rng.standard_normal(c_out).astype(dtype))
    return args


def _linear_torch(torch, arrays):
    leaves = [torch.from_numpy(a).requires_grad_() for a in arrays]
    return leaves, lambda x, w, b: torch.nn.functional.linear(x, w, b)


def backward_cases(case, workload):
    """The cases, built with the bench's `case` and `workload` classes."""
    def make(op, args, torch_args):
        build = _backward(op, args, torch_args)
        return lambda dtype: build(dtype, workload)

    return [
        case("batch_norm_backward", "BatchNorm2d(64) training n8 56x56",
             make("batch_norm", _batch_norm_args((8, 64, 56, 56)), _batch_norm_torch), None,
             smoke=True),
        case("layer_norm_backward", "LayerNorm(768) n8 196x768",
             make("layer_norm", _layer_norm_args((8, 196, 768)), _layer_norm_torch), None),
        case("linear_backward", "n64 512->1000",
             make("linear", _linear_args(64, 512, 1000), _linear_torch), None),
    ]
