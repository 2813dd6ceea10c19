"""Backward cases of `python -m fastnn bench` (family "norm_backward"): batch norm in
training, layer norm and linear. Each side records one forward with its inputs requiring
grad, then ``autograd.grad(y, inputs, g, retain_graph=True)`` is timed: the backward alone,
engine included, on both sides."""
import numpy as np

__all__ = ["backward_cases"]


def _backward(fn, args, workload):
    """A `make(dtype)`: `args(rng, dtype)` -> (leaf arrays, run(lib, *leaves))."""
    def make(dtype):
        import fastnn
        rng = np.random.default_rng(0)
        arrays, run = args(rng, dtype)
        leaves = [fastnn.tensor(a, requires_grad=True) for a in arrays]
        with fastnn.enable_grad():          # the bench runs its cases under no_grad
            y = run(fastnn, *leaves)
        g = rng.standard_normal(y.shape).astype(dtype)
        grad = fastnn.tensor(g)
        ours = lambda: fastnn.autograd.grad(y, leaves, grad, retain_graph=True)  # noqa: E731
        return workload(None, (ours,), {}, _torch_backward(arrays, run, g))
    return make


def _torch_backward(arrays, run, g):
    try:
        import torch
    except ImportError:
        return None
    leaves = [torch.from_numpy(a).requires_grad_() for a in arrays]
    with torch.enable_grad():
        y = run(torch, *leaves)
    grad = torch.from_numpy(g)
    return lambda: torch.autograd.grad(y, leaves, grad, retain_graph=True)


def _batch_norm(shape):
    def args(rng, dtype):
        channels = shape[1]
        arrays = [rng.standard_normal(shape).astype(dtype),
                  rng.standard_normal(channels).astype(dtype),
                  rng.standard_normal(channels).astype(dtype)]
        stats = (np.zeros(channels, dtype), np.ones(channels, dtype))

        def run(lib, x, w, b):
            mean, var = (lib.tensor(s.copy()) for s in stats)
            return lib.nn.functional.batch_norm(x, mean, var, w, b, True)
        return arrays, run
    return args


def _layer_norm(shape):
    def args(rng, dtype):
        width = shape[-1]
        arrays = [rng.standard_normal(shape).astype(dtype),
                  rng.standard_normal(width).astype(dtype),
                  rng.standard_normal(width).astype(dtype)]
        return arrays, lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (width,), w, b)
    return args


def _linear(batch, c_in, c_out):
    def args(rng, dtype):
        arrays = [rng.standard_normal((batch, c_in)).astype(dtype),
                  rng.standard_normal((c_out, c_in)).astype(dtype),
                  rng.standard_normal(c_out).astype(dtype)]
        return arrays, lambda lib, x, w, b: lib.nn.functional.linear(x, w, b)
    return args


def backward_cases(case, workload):
    """The cases, built with the bench's `case` and `workload` classes."""
    return [
        case("norm_backward", "BatchNorm2d(64) training n8 56x56",
             _backward("batch_norm", _batch_norm((8, 64, 56, 56)), workload), None,
             smoke=True),
        case("norm_backward", "BatchNorm2d(960) training n8 4x4",
             _backward("batch_norm", _batch_norm((8, 960, 4, 4)), workload), None),
        case("norm_backward", "LayerNorm(768) n8 196x768",
             _backward("layer_norm", _layer_norm((8, 196, 768)), workload), None),
        case("norm_backward", "linear n64 512->1000",
             _backward("linear", _linear(64, 512, 1000), workload), None),
    ]
