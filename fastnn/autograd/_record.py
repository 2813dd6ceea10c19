"""The door's autograd step: when grad mode is on and an input requires grad, run the op
with grad mode off and record one `Node` on its outputs.

`fastnn._dispatch` calls `at_door` for every op once any tensor has required grad in this
process (`live`); until then the door's cost is reading one global.
"""
import numpy as np

from .. import _grad
from .._registry import BACKWARDS, MISSING_BACKWARD
from ..tensor import Tensor
from ._node import Context, Node, edge_of
from ._version import bump, storage
from ._views import rebase, tag_views, view_base

__all__ = ["at_door", "tracks", "NOT_RECORDED", "edge_of", "detached"]

NOT_RECORDED = object()


def _requires(value):
    if isinstance(value, Tensor):
        return value.requires_grad
    if type(value) in (list, tuple):
        return any(isinstance(v, Tensor) and v.requires_grad for v in value)
    return False


def _requiring(args, kwargs):
    """The tensors among the arguments (and in list/tuple arguments) that require grad."""
    found = []
    for value in (*args, *kwargs.values()):
        if isinstance(value, Tensor):
            if value.requires_grad:
                found.append(value)
        elif type(value) in (list, tuple):
            found.extend(v for v in value if isinstance(v, Tensor) and v.requires_grad)
    return found


def tracks(inputs, out):
    """Whether a ufunc on `inputs` (into `out`) is recorded: grad mode is on and an operand
    (or the tensor written) requires grad."""
    if not _grad._mode.grad:
        return False
    return (any(isinstance(x, Tensor) and x.requires_grad for x in inputs)
            or (out is not None and any(isinstance(o, Tensor) and o.requires_grad
                                        for o in out)))


def _written(name, args, attrs):
    """The array an in-place op writes (None for other ops)."""
    items = attrs.__dict__          # (read per op: the plain dict is the cheap way in)
    if "ufunc_out" in items:
        out = items["ufunc_out"]
        return out[0] if isinstance(out, tuple) else out
    if (name[-1] == "_" or items.get("inplace")) and args and isinstance(args[0], np.ndarray):
        return args[0]
    return None


def at_door(entry, args, kwargs, inputs, attrs, meta, plan, out, execute):
    """The op's result with its node recorded, or NOT_RECORDED when there is nothing to
    record (the door then runs the op itself)."""
    written = _written(entry.name, args, attrs)
    if written is not None:
        bump(written)
    if not _grad._mode.grad:
        return NOT_RECORDED
    requiring = _requiring(args, kwargs)
    if not requiring:
        if meta is None and written is None:       # perhaps a view: remember its base
            result = execute(entry, inputs, attrs, meta, plan, out)
            tag_views(result, args)
            return result
        return NOT_RECORDED
    base = None
    if written is not None:
        if not written.flags.writeable:
            return NOT_RECORDED     # the op itself raises numpy's read-only error
        if isinstance(written, Tensor) and written.requires_grad and written.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        base = view_base(written)
        if base is not None and base.requires_grad and base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used "
                               "in an in-place operation.")
    backward = BACKWARDS.get(entry.name, MISSING_BACKWARD)
    _grad._mode.grad = False
    try:
        result = execute(entry, inputs, attrs, meta, plan, out)
    finally:
        _grad._mode.grad = True
    if backward is None:
        return result
    outputs = result if type(result) is tuple else (result,)
    if written is None and _returns_an_input(outputs, args, requiring):
        # an identity that returns its input itself (dropout in eval mode, contiguous(),
        # to(own dtype)), as torch's does: nothing to record on the caller's tensor
        return result
    sources = _sources(entry.name, inputs, requiring)
    output_meta = tuple((o.shape, o.dtype) if isinstance(o, Tensor) and o.dtype.kind in "fc"
                        else None for o in outputs)      # None: not differentiable
    if output_meta.count(None) == len(output_meta):
        return result
    needs, edges, input_meta = [], [], []
    for s in sources:
        if s is None:
            needs.append(False)
            edges.append((None, 0))
            input_meta.append(None)
        else:
            needs.append(True)
            edges.append(edge_of(s))
            input_meta.append((s.shape, s.dtype))
    if written is not None:     # an input is the output itself: save no Tensor
        inputs = tuple(detached(x) if isinstance(x, np.ndarray) else x for x in inputs)
    ctx = Context(entry.name, inputs,
                  attrs, plan, _plain_outputs(outputs), tuple(needs), backward.saves)
    node = Node(entry.name, backward.fn, ctx, tuple(edges), len(outputs))
    node.input_meta = tuple(input_meta)
    node.output_meta = output_meta
    for i, (o, meta_i) in enumerate(zip(outputs, output_meta)):
        if meta_i is not None:
            state = o.__dict__
            state["_requires_grad"] = True
            state["grad_fn"] = node
            state["_output_nr"] = i
    if base is not None and output_meta[0] is not None:
        rebase(base, written, node)
    elif meta is None and written is None:
        tag_views(result, args)
    return result


def _returns_an_input(outputs, args, requiring):
    for o in outputs:
        for t in args:
            if o is t:
                return True
        for t in requiring:
            if o is t:
                return True
    return False


def _plain_outputs(outputs):
    plain = tuple(detached(o) if isinstance(o, np.ndarray) else o for o in outputs)
    return plain if len(plain) > 1 else plain[0]


def detached(array):
    """`array`'s data as a plain ndarray that keeps no Tensor alive (a node saving its own
    output must not hold the output's ``grad_fn``, i.e. itself)."""
    base = array.base
    if type(array) is np.ndarray:
        if not isinstance(base, Tensor):
            return array
    elif (type(base) is np.ndarray and base.shape == array.shape
          and base.strides == array.strides and base.dtype == array.dtype):
        return base          # the door's fresh output array, which the Tensor wraps
    root = storage(array)
    if root is array or isinstance(root, Tensor):
        return np.ndarray.view(array, np.ndarray)
    offset = (array.__array_interface__["data"][0] - root.__array_interface__["data"][0])
    try:
        return np.ndarray(array.shape, array.dtype, buffer=root, offset=offset,
                          strides=array.strides)
    except (TypeError, ValueError):     # a storage that exports no buffer
        return np.ndarray.view(array, np.ndarray)


def _pointer(array):
    return array.__array_interface__["data"][0]


def _sources(name, inputs, requiring):
    """Per normalized input, the caller's tensor requiring grad it came from (or None):
    the one whose memory it is (same storage and size; the data pointer decides between
    several views of one storage)."""
    direct = _direct_sources(inputs, requiring)
    if direct is not None:
        return direct
    candidates = [_Candidate(t) for t in {id(t): t for t in requiring}.values()]
    by_root = {}
    for c in candidates:
        by_root.setdefault(id(c.root), []).append(c)
    apart = all(c.owned for c in candidates)
    sources, used = [], set()
    for x in inputs:
        found = None
        if isinstance(x, np.ndarray):
            root = storage(x)
            group = by_root.get(id(root))
            if group is not None and len(group) == 1 and group[0].root is root:
                found = group[0].alike(x)     # the one tensor on x's storage
            # storages numpy allocated apart (x's and every candidate's) share no memory;
            # any other storage is compared candidate by candidate
            if found is None and (group is not None or not (apart and root.flags.owndata)):
                found = _memory_of(x, root, candidates, used)
            if found is not None:
                used.add(id(found))
        sources.append(found)
    if len(used) != len(candidates):
        lost = [c.tensor for c in candidates if id(c.tensor) not in used]
        raise RuntimeError(f"fastnn autograd: op '{name}' took a tensor that requires grad "
                           f"(shape {list(lost[0].shape)}) that none of its inputs is; its "
                           "gradient cannot be tracked")
    return sources


def _direct_sources(inputs, requiring):
    """`_sources` where no memory needs comparing: every tensor requiring grad is alone on
    a storage that owns its memory, as is every other input's storage. An input on such a
    tensor's storage then came from it when it is as large and of its dtype, and from no
    tensor otherwise; None (compare memory) where that does not hold or a tensor is no
    input's."""
    by_root = {}
    for t in requiring:
        root = storage(t)
        other = by_root.get(id(root))
        if (other is not None and other is not t) or not root.flags.owndata:
            return None
        by_root[id(root)] = t
    sources, found = [], set()
    for x in inputs:
        source = None
        if isinstance(x, np.ndarray):
            root = storage(x)
            source = by_root.get(id(root))
            if source is None:
                if not root.flags.owndata:
                    return None
            elif _elements(x) == _elements(source) and x.dtype == source.dtype:
                found.add(id(source))
            else:
                source = None
        sources.append(source)
    return sources if len(found) == len(by_root) else None


_elements = np.ndarray.size.__get__     # Tensor.size is torch's size(), a callable


class _Candidate:
    """A tensor requiring grad, with what `_memory_of` compares (its pointer on demand)."""
    __slots__ = ("tensor", "root", "owned", "elements", "dtype", "_pointer")

    def __init__(self, tensor):
        self.tensor, self.root = tensor, storage(tensor)
        self.owned = self.root.flags.owndata
        self.elements, self.dtype = _elements(tensor), tensor.dtype
        self._pointer = None

    def alike(self, x):
        """This tensor when `x` (on its storage) is as large and of its dtype, else None."""
        return self.tensor if _elements(x) == self.elements and x.dtype == self.dtype else None

    def pointer(self):
        if self._pointer is None:
            self._pointer = _pointer(self.tensor)
        return self._pointer


def _memory_of(x, root, candidates, used=()):
    """The tensor among `candidates` whose memory `x` (on storage `root`) is, or None.
    Views of one start and size (``w`` and ``w.t()``) are told apart by their shape and
    strides, then one not yet taken (`used`: ids) is preferred."""
    elements, dtype = _elements(x), x.dtype
    alike = [c for c in candidates if c.elements == elements and c.dtype == dtype]
    if not alike:
        return None
    # the caller's own object first: a view of the same memory (y[...] += v writes y[...]
    # back into y) is another tensor
    for c in alike:
        if c.tensor is x:
            return x
    matches = [c for c in alike if c.root is root]
    if len(matches) != 1:               # several views of one storage, or a storage of
        where = _pointer(x)             # its own over the same memory (a frozen weight)
        matches = [c for c in alike if c.pointer() == where]
    if len(matches) > 1:
        laid_out = [c for c in matches
                    if c.tensor.shape == x.shape and c.tensor.strides == x.strides]
        matches = laid_out or matches
        matches = [c for c in matches if id(c.tensor) not in used] or matches
    return matches[0].tensor if matches else None
