"""A captured model as plain data: a list of op calls, as `torch.fx`'s Graph is.

A `Graph` has inputs, constants (parameters, buffers and arrays made during the trace,
by name), a list of `Node`s in the order they ran and an output structure. A node is one
call through fastnn's door (`fastnn._dispatch.dispatch`): the op's registry name and the
arguments exactly as the caller gave them, with every array replaced by a `Ref` to a graph
input, a constant or an earlier node's output. Running a graph calls the door again with
those arguments, so `fastnn.ops.record()` sees every op it runs.

Passes (`fastnn._passes`) rewrite a graph in place with the helpers here: `users`,
`replace_uses`, `erase`, `add_constant`.

    >>> print(graph)                       # as code, one line per node
    >>> print(graph.tabular())             # one row per node: name, op, args, module, shape
"""
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ._registry import Attrs

__all__ = ["Graph", "Node", "Ref"]


class Ref(NamedTuple):
    """A value of the graph: kind "input" (key: its index), "const" (key: the constant's
    name) or "node" (key: the node's name)."""
    kind: str
    key: object

    def __repr__(self):
        return f"input_{self.key}" if self.kind == "input" else str(self.key)


@dataclass(eq=False)
class Node:
    """One op call: `op` (a registry name) on `args`/`kwargs` (Refs where arrays were),
    `attrs` the op's canonical attributes as the door saw them, `module` the dotted name of
    the innermost module that made the call ("" for the model itself), `shape`/`dtype` of
    the output as traced (None for a tuple output)."""
    name: str
    op: str
    args: tuple
    kwargs: dict
    attrs: Attrs
    module: str = ""
    shape: tuple = None
    dtype: object = None

    @property
    def inputs(self):
        """The Refs among the arguments, in order."""
        return [ref for ref in _refs((self.args, self.kwargs))]

    def arg(self, index, name, default=None):
        """Argument `index` as given positionally, else keyword `name`."""
        if index < len(self.args):
            return self.args[index]
        return self.kwargs.get(name, default)

    def set_arg(self, index, name, value):
        """Set argument `index` (positional when given so) or keyword `name`."""
        if index < len(self.args):
            self.args = self.args[:index] + (value,) + self.args[index + 1:]
        else:
            self.kwargs = dict(self.kwargs, **{name: value})

    @property
    def ref(self):
        return Ref("node", self.name)


@dataclass(eq=False)
class Graph:
    """`inputs`: the input descriptions ((shape, dtype) per forward argument);
    `constants`: name -> array; `nodes`: in run order; `output`: the forward's result with
    Refs for its arrays (tuples, lists and dicts kept)."""
    inputs: list = field(default_factory=list)
    constants: dict = field(default_factory=dict)
    nodes: list = field(default_factory=list)
    output: object = None

    # ---- rewriting ----------------------------------------------------------------------

    def node(self, name):
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def users(self):
        """Ref -> the nodes that read it (the graph's output counts as a user named None)."""
        found = {}
        for node in self.nodes:
            for ref in node.inputs:
                found.setdefault(ref, []).append(node)
        for ref in _refs(self.output):
            found.setdefault(ref, []).append(None)
        return found

    def replace_uses(self, old, new, after=None):
        """Every read of Ref `old` reads Ref `new` instead (only in nodes after node
        `after` when given), the output too."""
        started = after is None
        for node in self.nodes:
            if started:
                node.args = _substitute(node.args, old, new)
                node.kwargs = _substitute(node.kwargs, old, new)
            elif node is after:
                started = True
        self.output = _substitute(self.output, old, new)

    def erase(self, node):
        self.nodes.remove(node)

    def add_constant(self, name, value):
        """Add constant `value` under `name` (made unique); its Ref."""
        base, index = name, 1
        while name in self.constants:
            name, index = f"{base}_{index}", index + 1
        self.constants[name] = value
        return Ref("const", name)

    def drop_unused_constants(self):
        used = {ref.key for node in self.nodes for ref in node.inputs if ref.kind == "const"}
        used |= {ref.key for ref in _refs(self.output) if ref.kind == "const"}
        for name in [n for n in self.constants if n not in used]:
            del self.constants[name]

    def count(self):
        """op -> number of nodes."""
        counts = {}
        for node in self.nodes:
            counts[node.op] = counts.get(node.op, 0) + 1
        return counts

    # ---- printing -----------------------------------------------------------------------

    def __str__(self):
        """The graph as code: one assignment per node, its module and output shape after
        the `#`."""
        params = ", ".join(f"input_{i}: {_describe(shape, dtype)}"
                           for i, (shape, dtype) in enumerate(self.inputs))
        lines = [f"graph({params}):"]
        for node in self.nodes:
            call = f"    {node.name} = {node.op}({_call_text(node.args, node.kwargs)})"
            note = [f"{node.module}" if node.module else "", _describe(node.shape, node.dtype)]
            lines.append(f"{call}  # {' '.join(n for n in note if n)}")
        lines.append(f"    return {_text(self.output)}")
        return "\n".join(lines)

    def tabular(self):
        """One row per node, as torch.fx's `print_tabular`: name, op, inputs, attributes,
        module, output shape."""
        rows = [("name", "op", "inputs", "attributes", "module", "output")]
        for node in self.nodes:
            attrs = ", ".join(f"{k}={_text(v)}" for k, v in node.attrs.items())
            rows.append((node.name, node.op, ", ".join(map(repr, node.inputs)), attrs,
                         node.module, _describe(node.shape, node.dtype)))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                 for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def print_tabular(self):
        print(self.tabular())


def nested_map(value, leaf):
    """`value`, an argument nested in tuples, lists and dicts, with `leaf` applied to
    everything else in it."""
    kind = type(value)
    if kind is tuple or kind is list:
        return kind(nested_map(item, leaf) for item in value)
    if kind is dict:
        return {k: nested_map(v, leaf) for k, v in value.items()}
    return leaf(value)


def nested_leaves(value):
    """What `nested_map` would apply its `leaf` to, in order."""
    kind = type(value)
    if kind is tuple or kind is list:
        for item in value:
            yield from nested_leaves(item)
    elif kind is dict:
        for item in value.values():
            yield from nested_leaves(item)
    else:
        yield value


def _refs(value):
    """The Refs in a nested argument structure, in order."""
    return (leaf for leaf in nested_leaves(value) if type(leaf) is Ref)


def _substitute(value, old, new):
    return nested_map(value, lambda leaf: new if type(leaf) is Ref and leaf == old else leaf)


def _describe(shape, dtype):
    if shape is None:
        return ""
    name = np.dtype(dtype).name if dtype is not None else "?"
    return f"{name}[{', '.join(map(str, shape))}]"


def _text(value):
    if type(value) is Ref:
        return repr(value)
    if isinstance(value, np.generic):
        return repr(value.item())
    if isinstance(value, np.dtype):
        return value.name
    if type(value) is tuple:
        return "(" + ", ".join(map(_text, value)) + ("," if len(value) == 1 else "") + ")"
    if type(value) is list:
        return "[" + ", ".join(map(_text, value)) + "]"
    if type(value) is dict:
        return "{" + ", ".join(f"{k!r}: {_text(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _call_text(args, kwargs):
    parts = [_text(a) for a in args] + [f"{k}={_text(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)
