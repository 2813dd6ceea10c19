"""In-place writes into views, as torch records them (its CopySlices): when an in-place op
writes a tensor W that views the memory of a tensor B (``y[0].fill_(1)``, ``y[0][1] = 5``,
``y[:, :2] += 1``), B's history is rebased: B's new ``grad_fn`` takes B's gradient, sends
the part outside W's elements to B's old history and the part at W's elements through
the in-place op's node, whose first input is W's old values seen as a view of old B; W's
new ``grad_fn`` is a view of new B. The view's place in B is read from numpy's strides,
whatever B's layout. Views are known as torch knows them: the outputs of view ops recorded
in grad mode (`tag_views`).

A view V of B taken before an in-place write to B (or to another view of B) is renewed
as torch renews it: when V's history is next read and B's memory has been written since
V last saw it, V's ``grad_fn`` becomes a view of B's history as it is now (`refresh`)."""
import numpy as np

from ..tensor import Tensor
from ._node import Context, Node, edge_of
from ._version import storage, version

__all__ = ["view_base", "tag_views", "rebase", "refresh"]


def view_base(written):
    """The tensor whose memory the Tensor `written` views, as a recorded view op left it
    (`tag_views`), or None."""
    if not isinstance(written, Tensor):
        return None
    return written.__dict__.get("_base")


def tag_views(result, args):
    """Give each output of a view op (one sharing an input Tensor's memory) that input's
    base (torch's ``._base``): an in-place write into it then rebases the base."""
    outputs = result if type(result) is tuple else (result,)
    tensors = [a for a in args if isinstance(a, Tensor)]
    for out in outputs:
        if not isinstance(out, Tensor) or any(out is t for t in tensors):
            continue
        root = storage(out)
        for t in tensors:
            if storage(t) is root:
                base = t.__dict__.get("_base")
                out.__dict__["_base"] = t if base is None else base
                out.__dict__["_seen_version"] = version(root)
                break


def _geometry(base, view):
    """Where `view`'s elements sit in `base`, as positions in a C-contiguous array of
    base's shape (a gradient): (offset, strides in elements, shape) when base is
    C-contiguous, else (flat indices of view's shape, None, shape)."""
    item = base.itemsize
    offset = (_address(view) - _address(base)) // item
    if base.flags.c_contiguous:
        return offset, tuple(s // item for s in view.strides), view.shape
    # number base's elements in C order, laid out in memory as base is: the view, laid
    # over the same memory, reads its elements' numbers
    strides = [s // item for s in base.strides]
    low = sum(min(0, (n - 1) * s) for n, s in zip(base.shape, strides))
    high = sum(max(0, (n - 1) * s) for n, s in zip(base.shape, strides))
    numbers = np.zeros(high - low + 1, np.int64)
    step = numbers.itemsize
    _strided(numbers, -low, strides, base.shape, step)[...] = np.arange(
        base.size).reshape(base.shape)
    view_strides = [s // item for s in view.strides]
    indices = np.array(_strided(numbers, offset - low, view_strides, view.shape, step))
    return indices, None, view.shape


def _address(array):
    return array.__array_interface__["data"][0]


def _strided(flat, start, strides, shape, itemsize):
    return np.lib.stride_tricks.as_strided(flat[start:], shape,
                                           tuple(s * itemsize for s in strides))


def _read(grad, geometry):
    """The elements of `grad` (C-contiguous, the base's shape) at the view's places."""
    place, strides, shape = geometry
    flat = grad.reshape(-1)
    if strides is None:
        return flat[place]
    return np.array(_strided(flat, place, strides, shape, grad.itemsize))


def _write(grad, geometry, values):
    """Set the elements of `grad` at the view's places to `values`."""
    place, strides, shape = geometry
    flat = grad.reshape(-1)
    if strides is None:
        flat[place] = values
    else:
        _strided(flat, place, strides, shape, grad.itemsize)[...] = values


def _node(name, fn, edges, inputs_meta, output_meta):
    node = Node(name, fn, Context(name, (), None, None, None, (), ()), edges, 1)
    node.input_meta, node.output_meta = inputs_meta, (output_meta,)
    return node


def _as_strided(base_meta, geometry, edge):
    """A node taking a view's gradient to its base's shape (zeros elsewhere)."""
    def backward(ctx, grad):
        whole = np.zeros(*base_meta)
        _write(whole, geometry, grad)
        return (whole,)
    return _node("as_strided", backward, (edge,), (base_meta,), (geometry[2], base_meta[1]))


def _leaf_or_history(tensor):
    return edge_of(tensor) if tensor.requires_grad else (None, 0)


def rebase(base, written, node):
    """After in-place op `node` wrote `written`, a view of `base`: rebase `base`'s and
    `written`'s histories as torch's CopySlices does."""
    geometry = _geometry(base, written)
    base_meta = (base.shape, base.dtype)
    old = _leaf_or_history(base)
    before = (_as_strided(base_meta, geometry, old), 0) if old[0] is not None else (None, 0)
    node.next_functions = (before,) + tuple(node.next_functions[1:])

    def copy_slices(ctx, grad):
        outside = np.array(grad)
        inside = _read(outside, geometry)
        _write(outside, geometry, 0)
        return outside, inside

    copy = _node("copy_slices", copy_slices, (old, (node, 0)),
                 (base_meta, (written.shape, written.dtype)), base_meta)
    state = base.__dict__
    state["_requires_grad"], state["grad_fn"], state["_output_nr"] = True, copy, 0
    state = written.__dict__
    state["_requires_grad"], state["_output_nr"] = True, 0
    state["grad_fn"] = _as_strided(base_meta, geometry, (copy, 0))
    state["_seen_version"] = version(written)


def refresh(view):
    """Renew the history of `view` (a Tensor with a ``_base``) if its base requires grad
    and their memory was written in place since the view last saw it."""
    state = view.__dict__
    base = state["_base"]
    if not base.__dict__.get("_requires_grad"):
        return
    now = version(view)
    if state["_seen_version"] == now:
        return
    state["_seen_version"] = now
    state["_requires_grad"], state["_output_nr"] = True, 0
    state["grad_fn"] = _as_strided((base.shape, base.dtype), _geometry(base, view),
                                   edge_of(base))


Tensor._refresh_view = staticmethod(refresh)
