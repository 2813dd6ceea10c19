"""The graph autograd records: one `Node` per differentiable op call (a tensor's
``grad_fn``) and one `AccumulateGrad` per leaf tensor that requires grad.

A node's ``next_functions`` are torch's: one ``(node, output_nr)`` pair per input of the op,
``(None, 0)`` for an input that needs no gradient, the leaf's `AccumulateGrad` for a leaf.
"""
import numpy as np

from ._version import version

__all__ = ["Node", "AccumulateGrad", "Context", "RemovableHandle", "edge_of"]

# torch's node names where they are not the op's name in CamelCase
_TORCH_NAMES = {
    "conv1d": "Convolution", "conv2d": "Convolution", "conv3d": "Convolution",
    "conv_transpose1d": "Convolution", "conv_transpose2d": "Convolution",
    "conv_transpose3d": "Convolution", "linear": "Addmm", "batch_norm": "NativeBatchNorm",
    "layer_norm": "NativeLayerNorm", "group_norm": "NativeGroupNorm",
    "max_pool2d": "MaxPool2DWithIndices", "max_pool2d_with_indices": "MaxPool2DWithIndices",
    "add": "Add", "subtract": "Sub", "multiply": "Mul", "true_divide": "Div",
    "negative": "Neg", "index": "Index", "view": "View", "reshape": "View",
    "dropout": "Mul", "to": "ToCopy", "mean": "Mean", "sum": "Sum",
}

_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the "
          "graph are freed when you call .backward() or autograd.grad(). Specify "
          "retain_graph=True if you need to backward through the graph a second time or if "
          "you need to access saved tensors after calling backward.")


def torch_name(op):
    base = _TORCH_NAMES.get(op)
    if base is None:
        base = "".join(part[:1].upper() + part[1:] for part in op.replace(".", "_").split("_"))
    return base + "Backward0"


class RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` takes the hook away."""

    def __init__(self, hooks, key):
        self._hooks, self.id = hooks, key

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_next_hook_id = [0]


def add_hook(hooks, hook):
    _next_hook_id[0] += 1
    hooks[_next_hook_id[0]] = hook
    return RemovableHandle(hooks, _next_hook_id[0])


class Context:
    """What a backward reads (`fastnn.autograd`'s contract): the op's normalized `inputs`
    (those it saves), `attrs`, `plan`, `output` (when saved), `needs`, `shapes`, `dtypes`."""
    __slots__ = ("inputs", "attrs", "plan", "output", "needs", "shapes", "dtypes",
                 "_versions", "_op")

    def __init__(self, op, inputs, attrs, plan, output, needs, saves):
        self._op = op
        self.attrs, self.plan, self.needs = attrs, plan, needs
        # one pass over the inputs: this runs for every op autograd records
        shapes, dtypes, kept, versions = [], [], [], []
        for i, x in enumerate(inputs):
            if isinstance(x, np.ndarray):
                shapes.append(x.shape)
                dtypes.append(x.dtype)
                if saves is None or i in saves:
                    kept.append(x)
                    versions.append((x, version(x)))
                else:
                    kept.append(None)
                continue
            if x is None:
                shapes.append(None)
                dtypes.append(None)
            else:
                shapes.append(np.shape(x))
                dtypes.append(getattr(x, "dtype", None))
            kept.append(x if saves is None or i in saves else None)
        self.shapes, self.dtypes, self.inputs = tuple(shapes), tuple(dtypes), tuple(kept)
        self.output = output if saves is None or "output" in saves else None
        if self.output is not None:
            for o in (output if type(output) is tuple else (output,)):
                if isinstance(o, np.ndarray):
                    versions.append((o, version(o)))
        self._versions = versions

    def check_versions(self):
        for array, seen in self._versions:
            now = version(array)
            if now != seen:
                kind = {"float32": "FloatTensor", "float64": "DoubleTensor"}.get(
                    array.dtype.name, array.dtype.name)
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been "
                    f"modified by an inplace operation: [fastnn.{kind} "
                    f"{list(array.shape)}], which is saved by {torch_name(self._op)}, is at "
                    f"version {now}; expected version {seen} instead. Hint: the backtrace "
                    "further above can point at the operation that failed to compute its "
                    "gradient. Use .clone() before the in-place change to keep the value "
                    "this operation saved.")


class Node:
    """One recorded op call: its backward, what it saved and where its inputs came from."""
    __slots__ = ("_op", "_fn", "_ctx", "next_functions", "n_outputs", "_pre_hooks",
                 "_hooks", "_freed", "metadata", "retained", "input_meta", "output_meta",
                 "__weakref__")

    def __init__(self, op, fn, ctx, next_functions, n_outputs):
        self._op, self._fn, self._ctx = op, fn, ctx
        self.next_functions = next_functions
        self.n_outputs = n_outputs
        self._pre_hooks = None          # output_nr -> {id: hook(grad)} (tensor hooks)
        self._hooks = None              # {id: hook(grad_inputs, grad_outputs)}
        self._freed = False
        self.metadata = {}
        self.retained = None            # output_nr -> weakref to a tensor keeping .grad
        self.input_meta = None          # per input: (shape, dtype) of the caller's tensor
        self.output_meta = None         # per output: (shape, dtype), None if not float

    def name(self):
        return torch_name(self._op)

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)`` after this node ran; a returned tuple
        replaces its gradients for the inputs."""
        if self._hooks is None:
            self._hooks = {}
        return add_hook(self._hooks, hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)`` before this node runs; a returned tuple replaces them."""
        return self._tensor_hooks(-1, hook)

    def retain(self, output_nr, tensor):
        """Keep output `output_nr`'s gradient in `tensor`'s ``.grad`` after backward."""
        import weakref
        if self.retained is None:
            self.retained = {}
        self.retained[output_nr] = weakref.ref(tensor)

    def _tensor_hooks(self, output_nr, hook):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return add_hook(self._pre_hooks.setdefault(output_nr, {}), hook)

    def apply(self, grads, retain):
        """The gradients for the op's inputs from those for its outputs."""
        if self._freed:
            raise RuntimeError(_FREED)
        ctx = self._ctx
        if self._fn is None:
            raise RuntimeError(f"the derivative for '{self._op}' is not implemented.")
        ctx.check_versions()
        result = self._fn(ctx, grads if self.n_outputs > 1 else grads[0])
        if not retain:
            self._ctx, self._freed = None, True
        return tuple(result)


class AccumulateGrad:
    """The end of a path: adds the gradient into its leaf tensor's ``.grad``."""
    __slots__ = ("variable", "next_functions", "n_outputs", "metadata", "__weakref__")

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()
        self.n_outputs = 1
        self.metadata = {}

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


def edge_of(tensor):
    """(node, output_nr) the gradient for `tensor` flows into."""
    fn = tensor.grad_fn
    if fn is not None:
        return fn, tensor._output_nr
    return accumulator(tensor), 0


def accumulator(tensor):
    acc = tensor.__dict__.get("_accumulator")
    if acc is None:
        acc = tensor.__dict__["_accumulator"] = AccumulateGrad(tensor)
    return acc
