"""A `Graph` made runnable: each Ref resolved once to a slot of a flat list of values.

Running calls the door (`fastnn._dispatch.dispatch`) for each node in order with the
node's arguments, the arrays filled in. The nodes that make new arrays write them, as
``out=``, into buffers planned once (`fastnn._memory_plan`) and kept per thread, so a run
allocates no intermediate array; a value is dropped after its last reader. A thread keeps
the buffers of its HELD_PLANS most recently run programs only: a model called with ever
new input shapes (a program each) does not pile up a plan's memory per shape.
"""
import threading
import weakref

from . import _grad
from ._dispatch import dispatch
from ._graph import Ref, nested_leaves, nested_map
from ._memory_plan import plan_memory

__all__ = ["Program"]

HELD_PLANS = 4
_held = threading.local()       # .programs: weak references, the most recently run last


class _Slot(int):
    """The index of a value in a run's list (an int kept apart from literal ints)."""


class Program:
    def __init__(self, graph):
        slots = {}
        for index in range(len(graph.inputs)):
            slots[Ref("input", index)] = _Slot(len(slots))
        initial = [None] * len(graph.inputs)
        for name, value in graph.constants.items():
            slots[Ref("const", name)] = _Slot(len(slots))
            initial.append(value)
        for node in graph.nodes:
            slots[node.ref] = _Slot(len(slots))
        initial += [None] * len(graph.nodes)
        last_read = {}
        for position, node in enumerate(graph.nodes):
            for ref in node.inputs:
                if ref.kind == "node":
                    last_read[ref] = position
        kept = set(_slots(graph.output, slots))
        steps = []
        for position, node in enumerate(graph.nodes):
            args = _resolve(node.args, slots)
            kwargs = _resolve(node.kwargs, slots)
            nested = any(isinstance(a, (tuple, list, dict)) and _has_slot(a) for a in args) \
                or any(isinstance(v, (tuple, list, dict)) and _has_slot(v)
                       for v in kwargs.values())
            frees = tuple(slots[ref] for ref, last in last_read.items()
                          if last == position and slots[ref] not in kept)
            steps.append((node.op, args, kwargs, nested, slots[node.ref], frees))
        self._initial = initial
        self._inputs = len(graph.inputs)
        self._steps = steps
        self._output = _resolve(graph.output, slots)
        self.graph = graph
        self.memory = plan_memory(graph)
        self._buffers = threading.local()      # .views: this thread's planned outputs
        self._unplanned = [None] * len(graph.nodes)

    def __call__(self, *inputs):
        return self.run(inputs)

    def run(self, inputs, on_node=None):
        """The graph's output for `inputs`; `on_node(position)` (when given) is called
        before each node runs and with ``len(graph.nodes)`` after the last (a profiler's
        hook: `python -m fastnn demo` times the nodes with it)."""
        env = self._initial.copy()
        env[:self._inputs] = inputs
        views = getattr(self._buffers, "views", None)
        if views is None:
            views = self._buffers.views = self.memory.views()
            _hold(self)
        if _grad._mode.grad and any(getattr(x, "requires_grad", False) for x in inputs):
            # autograd records this run and may save any intermediate for backward: each
            # must stay as it was made, so every op allocates its own
            views = self._unplanned
        position = 0
        for op, args, kwargs, nested, slot, frees in self._steps:
            if on_node is not None:
                on_node(position)
            if nested:
                args, kwargs = _fill(args, env), _fill(kwargs, env)
            else:
                args = [env[a] if type(a) is _Slot else a for a in args]
                if kwargs:
                    kwargs = {k: env[v] if type(v) is _Slot else v for k, v in kwargs.items()}
            out = views[position]
            if out is not None:
                kwargs = dict(kwargs, out=out)
            env[slot] = dispatch(op, *args, **kwargs)
            position += 1
            for index in frees:
                env[index] = None
        if on_node is not None:
            on_node(position)
        return _fill(self._output, env)


def _hold(program):
    """Note that this thread now keeps `program`'s buffers; drop those of the program
    least recently given its buffers when more than HELD_PLANS are kept."""
    programs = _held.__dict__.setdefault("programs", [])
    programs[:] = [ref for ref in programs if ref() is not None and ref() is not program]
    programs.append(weakref.ref(program))
    while len(programs) > HELD_PLANS:
        oldest = programs.pop(0)()
        if oldest is not None:
            oldest._buffers.views = None


def _resolve(value, slots):
    return nested_map(value, lambda leaf: slots[leaf] if type(leaf) is Ref else leaf)


def _slots(value, slots):
    return [slots[leaf] for leaf in nested_leaves(value) if type(leaf) is Ref]


def _has_slot(value):
    return any(type(leaf) is _Slot for leaf in nested_leaves(value))


def _fill(value, env):
    return nested_map(value, lambda leaf: env[leaf] if type(leaf) is _Slot else leaf)
