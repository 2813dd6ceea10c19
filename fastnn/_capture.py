"""Capture a model's forward as a `Graph` by running it once (a trace, as torch.jit.trace
and the fx tracer's concrete mode do), hooked at the door beside the recorder.

While `trace` runs the model, every op call that reaches `fastnn._dispatch.dispatch` from
the model's code (not the calls an op makes inside itself) runs as usual and is also
recorded as a `Node`. Each array argument is identified by its memory (data address,
shape, strides, dtype):

* a graph input, or the output of an earlier node (an in-place op's output replaces its
  input's producer, so later readers read the in-place result, as eager code does);
* a parameter or buffer of the model -> a constant named by its dotted name;
* any other array that shares no memory with a traced value (made inside forward, or held
  by the model outside its state) -> an anonymous constant, as torch.jit.trace does. Such
  an array may also have been computed from the input outside fastnn's ops, so a graph
  with one is checked: run on another input it must give what forward gives, bit for bit.

Array inputs are given to forward as Tensors (a plain ndarray is viewed as one), so that
arithmetic on them passes the door.

Every traced array is kept alive until the trace ends, so no new array can take the
address of a freed one. The trace refuses (raises `CaptureError`, whose message says what
stopped it) where the graph could not reproduce eager code:

* an op reads an array that shares memory with a traced value but was not made by an op
  (a numpy view or computation on a Tensor outside fastnn's ops);
* Python reads a traced value (``bool(t)``, ``t.item()``, ``float(t)``, ``int(t)``,
  ``t.tolist()``): control flow or arguments may depend on the data;
* an op returns several arrays or a non-array, or gets ``out=``;
* forward raises, or takes or returns something other than arrays, numbers, strings,
  None and tuples/lists/dicts of them;
* a graph with anonymous constants does not reproduce forward on another input.
"""
import threading

import numpy as np

from . import _dispatch
from ._graph import Graph, Node, Ref
from ._registry import NO_ATTRS
from ._grad import no_grad
from .nn.modules.module import Module
from .tensor import Tensor

__all__ = ["trace", "CaptureError", "ForwardError", "input_key", "as_inputs"]


class CaptureError(Exception):
    """Why a forward could not be captured (the message names what stopped it)."""


class ForwardError(CaptureError):
    """The forward itself raised while it was traced (its error is the ``__cause__``)."""


def _memory_key(array):
    return (array.__array_interface__["data"][0], array.shape, array.strides,
            array.dtype.str)


def input_key(args):
    """The key a graph is traced for: shape and dtype of each array argument, the value
    of each other one; raises CaptureError for an argument that cannot be keyed."""
    key = []
    for value in args:
        if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
            array = np.asarray(value)
            key.append((array.shape, array.dtype.str))
        elif value is None or type(value) in (int, float, bool, str):
            key.append((type(value), value))
        else:
            raise CaptureError(f"forward got an argument of type {type(value).__name__}")
    return tuple(key)


class _Tracer:
    def __init__(self, model):
        self.graph = Graph()
        self.values = {}          # memory key -> Ref of a traced value
        self.traced = []          # traced arrays, kept alive; checked for overlaps
        self.names = {}           # op -> count, for node names
        self.inside = 0           # > 0 while an op runs: its own door calls are not nodes
        self.modules = {id(m): name for name, m in model.named_modules()}
        self.module_stack = []
        self.state = {}
        for name, value in list(model.named_parameters()) + list(model.named_buffers()):
            self.state.setdefault(_memory_key(np.asarray(value)), (name, value))
        self.anonymous = 0

    # ---- the door ---------------------------------------------------------------------

    def call(self, name, args, kwargs, out):
        if out is not None:
            raise CaptureError(f"{name}() was called with out=")
        t_args = self._template(args, name)
        t_kwargs = self._template(kwargs, name)
        calls = []                  # the door's own record of the call: its attributes
        _dispatch._start_recording(calls)
        self.inside += 1
        try:
            result = _dispatch.dispatch(name, *args, **kwargs)
        finally:
            self.inside -= 1
            _dispatch._stop_recording(calls)
        attrs = calls[0].attrs if calls else NO_ATTRS
        count = self.names.get(name, 0)
        self.names[name] = count + 1
        node = Node(name if not count else f"{name}_{count}", name, t_args, t_kwargs,
                    attrs, self.module_stack[-1] if self.module_stack else "")
        if isinstance(result, np.ndarray):
            node.shape, node.dtype = result.shape, result.dtype
            self._produced(result, node.ref)
        elif result is not None:
            raise CaptureError(f"{name}() returned {type(result).__name__}, not one tensor")
        self.graph.nodes.append(node)
        return result

    def _produced(self, array, ref):
        self.values[_memory_key(array)] = ref
        self.traced.append(array)

    # ---- identifying values -----------------------------------------------------------

    def _template(self, value, op):
        """`value` with each array replaced by its Ref."""
        if isinstance(value, np.ndarray):
            return self._identify(value, op)
        kind = type(value)
        if kind in (tuple, list):
            return kind(self._template(item, op) for item in value)
        if kind is dict:
            return {k: self._template(v, op) for k, v in value.items()}
        if hasattr(value, "__array__") and not isinstance(value, np.generic):
            return self._identify(np.asarray(value), op, value)
        return value

    def _identify(self, array, op, original=None):
        key = _memory_key(array)
        ref = self.values.get(key)
        if ref is not None:
            return ref
        state = self.state.get(key)
        if state is not None:
            name, value = state
            self.graph.constants[name] = value
            return Ref("const", name)
        for traced in self.traced:
            if np.may_share_memory(array, traced):
                raise CaptureError(
                    f"{op}() got an array that shares memory with a traced tensor but was "
                    f"not made by a fastnn op (a numpy view or computation outside fastnn's "
                    f"ops)")
        name = f"_tensor_constant{self.anonymous}"
        self.anonymous += 1
        self.graph.constants[name] = array if original is None else original
        return Ref("const", name)

    def output(self, value):
        if isinstance(value, np.ndarray) or (hasattr(value, "__array__")
                                             and not isinstance(value, np.generic)):
            return self._template(value, "forward's result")
        kind = type(value)
        if kind in (tuple, list):
            return kind(self.output(item) for item in value)
        if kind is dict:
            return {k: self.output(v) for k, v in value.items()}
        if value is None or kind in (int, float, bool, str):
            return value
        raise CaptureError(f"forward returned {kind.__name__}")

    def reads_value(self, tensor, what):
        """Python asked for the data of `tensor` (`what`): refused if it is traced."""
        array = np.ndarray.view(tensor, np.ndarray)
        if _memory_key(array) in self.values or any(
                np.may_share_memory(array, traced) for traced in self.traced):
            raise CaptureError(f"forward reads a traced tensor's value in Python ({what}): "
                               f"data-dependent control flow")


# ---- activation ------------------------------------------------------------------------

_patch_lock = threading.Lock()
_patched = 0
_saved = {}


def _active():
    tracer = getattr(_dispatch._local, "tracer", None)
    return tracer if tracer is not None and not tracer.inside else None


def _watched(name, original):
    def method(self, *args, **kwargs):
        tracer = _active()
        if tracer is not None:
            tracer.reads_value(self, f"Tensor.{name}")
        return original(self, *args, **kwargs)
    method.__name__ = name
    return method


def _module_call(self, *args, **kwargs):
    tracer = _active()
    if tracer is None:
        return _saved["__call__"](self, *args, **kwargs)
    tracer.module_stack.append(tracer.modules.get(id(self), "?"))
    try:
        return _saved["__call__"](self, *args, **kwargs)
    finally:
        tracer.module_stack.pop()


_WATCHED = ("__bool__", "__float__", "__int__", "__index__", "item", "tolist")


def _patch():
    """Watch Tensor's value reads and Module calls while any thread traces (the class
    attributes are put back when the last trace ends, so nothing costs otherwise)."""
    global _patched
    with _patch_lock:
        if not _patched:
            for name in _WATCHED:
                original = getattr(Tensor, name)
                _saved[name] = Tensor.__dict__.get(name)
                setattr(Tensor, name, _watched(name, original))
            _saved["__call__"] = Module.__call__
            Module.__call__ = _module_call
        _patched += 1


def _unpatch():
    global _patched
    with _patch_lock:
        _patched -= 1
        if not _patched:
            for name in _WATCHED:
                if _saved[name] is None:
                    delattr(Tensor, name)
                else:
                    setattr(Tensor, name, _saved[name])
            Module.__call__ = _saved["__call__"]
            _saved.clear()


def as_inputs(args):
    """`args` as forward gets them in a trace and in a compiled call: arrays as Tensors."""
    return tuple(np.ndarray.view(np.asarray(a), Tensor)
                 if isinstance(a, np.ndarray) and not isinstance(a, Tensor) else a
                 for a in args)


def trace(model, args):
    """(Graph, result): `model` run once on `args` (a tuple) with every op recorded;
    raises CaptureError (the forward's own exception chained) when the graph cannot be
    trusted."""
    input_key(args)
    args = as_inputs(args)
    tracer = _Tracer(model)
    for index, value in enumerate(args):
        if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
            array = np.asarray(value)
            tracer.graph.inputs.append((array.shape, array.dtype))
            tracer._produced(array, Ref("input", index))
        else:
            tracer.graph.inputs.append((None, None))
    if getattr(_dispatch._local, "tracer", None) is not None:
        raise CaptureError("a trace is already running in this thread")
    _patch()
    _dispatch.start_tracing(tracer)
    try:
        with no_grad():     # the graph is for inference: autograd's op choices stay out
            result = _module_call(model, *args)   # (max pooling with indices under grad)
        tracer.graph.output = tracer.output(result)
    except CaptureError:
        raise
    except Exception as error:
        raise ForwardError(f"forward raised {type(error).__name__}: {error}") from error
    finally:
        _dispatch.stop_tracing()
        _unpatch()
    if tracer.anonymous:
        _check_elsewhere(model, tracer.graph, args)
    return tracer.graph, result


def _check_elsewhere(model, graph, args):
    """Refuse a graph that does not give forward's result on other (float) inputs."""
    from ._program import Program
    rng = np.random.default_rng(0)
    other = []
    for value in args:
        if isinstance(value, np.ndarray):
            if value.dtype.kind != "f":
                return
            value = np.ndarray.view(rng.standard_normal(value.shape).astype(value.dtype),
                                    Tensor)
        other.append(value)
    try:
        expected = _leaves(model(*other))
        got = _leaves(Program(graph)(*other))
    except Exception as error:
        raise CaptureError(f"forward raised {type(error).__name__} on another input: "
                           f"{error}") from error
    if len(got) != len(expected) or not all(
            np.array_equal(a, b, equal_nan=True) for a, b in zip(got, expected)):
        raise CaptureError("the captured graph gives another result than forward on another "
                           "input: forward computes on tensors outside fastnn's ops")


def _leaves(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [np.asarray(value)] if isinstance(value, np.ndarray) else [value]
