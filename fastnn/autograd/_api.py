"""``fastnn.autograd.backward`` and ``fastnn.autograd.grad``, torch's signatures."""
import numpy as np

from ..tensor import Tensor
from ._util import contiguous
from ._engine import run_backward
from ._node import add_hook, edge_of
from ._version import version

__all__ = ["backward", "grad"]


def _as_tuple(value):
    if value is None:
        return None
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _root_grads(outputs, grad_outputs):
    grads = []
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor) or not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        if g is None:
            if out.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = np.ones(out.shape, out.dtype)
        else:
            g = np.asarray(g)
            if g.shape != out.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"torch.Size({list(g.shape)}) and output[{i}] has a "
                                   f"shape of torch.Size({list(out.shape)}).")
            if g.dtype != out.dtype:
                g = g.astype(out.dtype)
        grads.append(contiguous(g))
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             inputs=None):
    """Accumulate into the ``.grad`` of the leaves the gradient of `tensors` (weighted by
    `grad_tensors`; a scalar needs none), as ``torch.autograd.backward``."""
    if create_graph:
        raise NotImplementedError("fastnn's backward functions compute on arrays: "
                                  "create_graph=True (higher-order gradients) is not "
                                  "supported")
    tensors = _as_tuple(tensors)
    grads = _root_grads(tensors, grad_tensors)
    roots = [edge_of(t) for t in tensors]
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        captured = _run(roots, grads, retain_graph, inputs, allow_unused=True)
        for t, g in zip(inputs, captured):
            if g is not None:
                _add_grad(t, g)
        return
    run_backward(roots, grads, bool(retain_graph))


def _add_grad(tensor, grad):
    grad = np.asarray(grad).reshape(tensor.shape)
    if tensor.grad is None:
        tensor.grad = np.array(grad, dtype=tensor.dtype).view(Tensor)
    else:
        np.add(tensor.grad, grad, out=tensor.grad, casting="unsafe")


def _run(roots, grads, retain_graph, inputs, allow_unused):
    capture = {}
    for index, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        capture.setdefault(edge_of(t), index)
    captured = run_backward(roots, grads, bool(retain_graph), capture)
    by_edge = {edge: captured[index] for edge, index in capture.items()}
    result = [by_edge[edge_of(t)] for t in inputs]
    if not allow_unused:
        for index, g in enumerate(result):
            if g is None:
                raise RuntimeError(f"The differentiated Tensor at index {index} appears to "
                                   "not have been used in the graph. Set allow_unused=True "
                                   "if this is the desired behavior.")
    return result


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs` (a tuple of Tensors, None for an
    unused input when ``allow_unused``), leaving every ``.grad`` alone. As torch's, they
    are the arrays the backward functions returned, not copies: one may share memory with
    `grad_outputs` (the gradient of a sum or a view passes through unchanged)."""
    if create_graph:
        raise NotImplementedError("fastnn's backward functions compute on arrays: "
                                  "create_graph=True (higher-order gradients) is not "
                                  "supported")
    if is_grads_batched:
        raise NotImplementedError("fastnn.autograd.grad does not support is_grads_batched")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grads = _root_grads(outputs, grad_outputs)
    roots = [edge_of(t) for t in outputs]
    result = _run(roots, grads, retain_graph, inputs,
                  allow_unused=bool(allow_unused) or materialize_grads)
    if materialize_grads:
        result = [np.zeros(t.shape, t.dtype) if g is None else g
                  for t, g in zip(inputs, result)]
    return tuple(None if g is None else np.asarray(g, dtype=t.dtype).reshape(t.shape)
                 .view(Tensor) for t, g in zip(inputs, result))


# Tensor sits below autograd: it learns these here (Tensor.backward, Tensor.register_hook)
Tensor._autograd_backward = staticmethod(backward)
Tensor._add_hook = staticmethod(add_hook)
Tensor._storage_version = staticmethod(version)
