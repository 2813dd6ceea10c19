"""Running a recorded graph backwards (``Tensor.backward``, `fastnn.autograd.grad`).

The nodes reachable from the roots run in dependency order (a node runs once every path
into it has delivered its gradient); gradients for the same output add up. With
``retain_graph=False`` each node frees what it saved once it has run.
"""
import sys

import numpy as np

from .. import _grad, _ufunc_parallel
from ..tensor import Tensor
from ._util import contiguous
from ._node import AccumulateGrad

__all__ = ["run_backward"]


def _dependencies(roots):
    """node -> number of edges into it, over the graph reachable from `roots`."""
    counts = {}
    seen = set()
    stack = [node for node in roots if node is not None]
    for node in stack:
        seen.add(node)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            counts[nxt] = counts.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return counts


def _add(buffer, node, nr, grad):
    slots = buffer.get(node)
    if slots is None:
        slots = buffer[node] = [None] * node.n_outputs
    slots[nr] = grad if slots[nr] is None else slots[nr] + grad


def run_backward(roots, grads, retain_graph, capture=None):
    """Send `grads` (plain arrays) back from the `roots` ((node, output_nr) pairs).

    Without `capture`, leaves accumulate into ``.grad``. With `capture` ({(node, nr):
    index}, autograd.grad), the gradient arriving at each captured output is returned
    instead, in a list by index, and no ``.grad`` changes.
    """
    buffer = {}
    for (node, nr), grad in zip(roots, grads):
        _add(buffer, node, nr, grad)
    counts = _dependencies([node for node, _ in roots])
    ready = [node for node, _ in dict.fromkeys(roots) if counts.get(node, 0) == 0]
    captured = [None] * (len(capture) if capture else 0)
    previous = _grad._mode.grad
    _grad._mode.grad = False            # backward functions never record
    try:
        while ready:
            node = ready.pop()
            slots = buffer.pop(node, None) or [None] * node.n_outputs
            if not isinstance(node, AccumulateGrad):
                slots = _pre_hooks(node, slots)
            if capture:
                for nr in range(node.n_outputs):
                    index = capture.get((node, nr))
                    if index is not None:
                        captured[index] = slots[nr]
            if isinstance(node, AccumulateGrad):
                if not capture:
                    # popped: no list of the engine's keeps the gradient (`_unshared`)
                    _accumulate(node.variable, slots.pop())
                continue
            _send(buffer, counts, ready, node, _run_node(node, slots, retain_graph))
    finally:
        _grad._mode.grad = previous
    return captured


def _send(buffer, counts, ready, node, inputs):
    """Hand a node's input gradients on to the nodes they flow into (a function: no
    variable of the engine's loop keeps them alive, `_unshared`)."""
    for (nxt, nr), grad in zip(node.next_functions, inputs):
        if nxt is None:
            continue
        if grad is not None:
            _add(buffer, nxt, nr, grad)
        counts[nxt] -= 1
        if counts[nxt] == 0:
            ready.append(nxt)


def _run_node(node, slots, retain_graph):
    if all(g is None for g in slots):
        return (None,) * len(node.next_functions)
    outputs = node.output_meta
    grads = []
    for nr, g in enumerate(slots):
        if g is None and outputs is not None and outputs[nr] is not None:
            shape, dtype = outputs[nr]
            g = np.zeros(shape, dtype)
        grads.append(g if g is None else contiguous(g))
    result = node.apply(tuple(grads), retain_graph)
    if node._hooks:
        for hook in list(node._hooks.values()):
            replaced = hook(_as_tensors(result), _as_tensors(grads))
            if replaced is not None:
                result = tuple(None if r is None else np.asarray(r) for r in replaced)
    if len(result) != len(node.next_functions):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                           f"gradients (expected {len(node.next_functions)}, got "
                           f"{len(result)})")
    return tuple(_fit(node, i, g) for i, g in enumerate(result))


def _fit(node, i, grad):
    """`grad` shaped as the tensor it flows into (a backward computes on the op's
    normalized inputs, e.g. a batched view of an unbatched input)."""
    if grad is None:
        return None
    target = node.input_meta[i] if node.input_meta is not None else None
    if target is None:
        return grad
    shape, dtype = target
    grad = np.asarray(grad)
    if grad.shape != shape:
        if grad.size != int(np.prod(shape)):
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at "
                               f"index {i} - got {list(grad.shape)} but expected shape "
                               f"compatible with {list(shape)}")
        grad = grad.reshape(shape)
    if grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad


def _pre_hooks(node, slots):
    hooks = node._pre_hooks
    if not hooks:
        if node.retained:
            _retain(node, slots)
        return slots
    slots = list(slots)
    for nr, table in hooks.items():
        if nr < 0:
            continue
        for hook in list(table.values()):
            if slots[nr] is None:
                break
            replaced = hook(np.ndarray.view(slots[nr], Tensor))
            if replaced is not None:
                slots[nr] = np.asarray(replaced)
    for hook in list(hooks.get(-1, {}).values()):
        replaced = hook(_as_tensors(slots))
        if replaced is not None:
            slots = [None if r is None else np.asarray(r) for r in replaced]
    if node.retained:
        _retain(node, slots)
    return slots


def _retain(node, slots):
    for nr, ref in node.retained.items():
        tensor = ref()
        if tensor is not None and slots[nr] is not None:
            grad = np.array(slots[nr], dtype=tensor.dtype)
            tensor.grad = (grad.view(Tensor) if tensor.grad is None
                           else (np.asarray(tensor.grad) + grad).view(Tensor))


def _as_tensors(grads):
    return tuple(None if g is None else np.ndarray.view(np.asarray(g), Tensor)
                 for g in grads)


def _accumulate(tensor, grad):
    if grad is None:
        return
    hooks = tensor.__dict__.get("_hooks")
    if hooks:
        for hook in list(hooks.values()):
            replaced = hook(np.ndarray.view(np.asarray(grad), Tensor))
            if replaced is not None:
                grad = np.asarray(replaced)
    grad = np.asarray(grad)
    if grad.shape != tensor.shape:
        grad = grad.reshape(tensor.shape)
    current = tensor.grad
    if current is None:
        if (not hooks and grad.dtype == tensor.dtype and grad.flags.c_contiguous
                and grad.flags.writeable and _unshared(grad)):
            # torch's AccumulateGrad takes a gradient no one else holds, as it is
            tensor.grad = grad.view(Tensor)
            return
        # a fresh array: a backward may hand the same gradient to several inputs
        tensor.grad = np.array(grad, dtype=tensor.dtype, order="C").view(Tensor)
    else:
        target = np.ndarray.view(current, np.ndarray)
        if not _ufunc_parallel.add_into(target, grad):
            np.add(target, grad, out=target, casting="unsafe")


def _references(array):
    """sys.getrefcount of `array` and of the array it views (None: it owns its memory)."""
    base = array.base
    if base is not None and not (isinstance(base, np.ndarray) and base.flags.owndata):
        # memory of another object (numpy's base of a view of a buffer is the array it
        # made over the buffer, which owns nothing): never taken
        return sys.getrefcount(array), -1
    return sys.getrefcount(array), None if base is None else sys.getrefcount(base)


def _calibrated(array):
    """What `_unshared` sees of `array` when only this function's variable holds it (as
    only `_accumulate`'s does a gradient that no one else holds): measured, not assumed,
    as interpreters count their own references differently."""
    return (lambda grad: _references(grad))(array)


_ALONE = {True: _calibrated(np.empty(1)), False: _calibrated(np.empty(1).reshape(1, 1))}


def _unshared(grad):
    """Whether `_accumulate`'s variable is all that reaches `grad`'s memory: no other
    reference to it, and none to the array it views but its own (a backward's fresh
    result, its reshaped view). Another holder (a node handing one gradient to two
    inputs, a hook, a kept buffer) adds a reference; then `_accumulate` copies."""
    return _references(grad) == _ALONE[grad.base is None]
