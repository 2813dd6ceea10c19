"""fastnn.optimize_for_inference: a model compiler (torch's counterparts are
``torch.jit.optimize_for_inference`` and ``torch.compile``).

The compiled model captures its copy's forward as a graph of fastnn ops per input shape
and dtype (`fastnn._capture`), rewrites it (`fastnn._passes`: BatchNorm folded, Dropout and
no-op reshapes removed, activations and residual adds fused into the convolutions) and runs the
graph through the door (`fastnn._program`), so ``fastnn.ops.record()`` shows the fused ops.
"""
import copy
import threading
import warnings

from .nn._frozen import freeze
from .nn.modules.conv import _ConvNd
from .nn.modules.module import Module
from .nn.parameter import Parameter

__all__ = ["optimize_for_inference", "CompiledModule"]

_capture = _passes = Program = None         # the compiler's modules, imported on first use


def optimize_for_inference(module, example_input=None):
    """Compile `module` for inference: a `CompiledModule` over an eval-mode copy of it.

    Args:
        module (Module): the model; it is left as it is (the compiled model owns a copy).
        example_input: optional input (a tuple for several arguments) to compile for now;
            otherwise each new input shape and dtype is compiled on its first call.

    The first call for an input shape and dtype runs the copy once, records every op it
    calls (a trace) and optimizes that graph: eval BatchNorm is folded into the
    convolution or linear layer before it, Dropout and reshapes that change nothing are
    removed, and an activation or a residual add (with the activation after it) is fused
    into the convolution or linear layer before it: relu and relu6 (``nn.ReLU6``) run in
    its register tiles before the store; silu, sigmoid, hardswish, hardsigmoid and gelu in
    place right after its kernel. Outputs
    agree with the eager model's to float rounding (1e-4 of the output's scale).

    A forward whose graph cannot be trusted (it reads a tensor's value in Python, computes
    on tensors outside fastnn's ops, returns several tensors from one op, raises ...) runs
    eagerly instead, with one warning naming what stopped the capture.

    Hooks: hooks registered on the compiled model run as on any Module. Hooks of the
    modules inside it ran during the trace only: the compiled graph runs ops, not modules,
    and folding and fusion remove the modules' boundaries, so they do not run.

    Weights: convolution weights, folded or not, are frozen (read-only; a variant that
    packs weights packs them once). ``load_state_dict`` on the compiled model loads into
    its copy and compiles again on the next call; ``state_dict`` is the copy's, with the
    original model's names and values (not the folded ones).

    Example::

        >>> model = fastnn.optimize_for_inference(resnet18(), example_input=image)
        >>> out = model(image)
        >>> print(model.graph(image))            # the optimized graph
    """
    if not isinstance(module, Module):
        raise TypeError(f"optimize_for_inference(): argument 'module' must be a Module, not "
                        f"{type(module).__name__}")
    compiled = CompiledModule(copy.deepcopy(module).eval())
    if example_input is not None:
        compiled.graph(*(example_input if isinstance(example_input, tuple)
                         else (example_input,)))
    return compiled


def _freeze_convolutions(model):
    for child in model.modules():
        if isinstance(child, _ConvNd) and isinstance(child.weight, Parameter):
            child.weight = freeze(child.weight)


class CompiledModule(Module):
    """What `optimize_for_inference` returns: runs its model's optimized graph."""

    def __init__(self, model):
        global _capture, _passes, Program
        from . import _capture, _passes            # here: importing fastnn stays cheap
        from ._program import Program
        super().__init__()
        # inference only: the copy's parameters take no gradient, so no call records a graph
        model.requires_grad_(False)
        _freeze_convolutions(model)
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_programs", {})      # input key -> (Graph, Program) or
        object.__setattr__(self, "_lock", threading.Lock())     # the reason it runs eagerly
        object.__setattr__(self, "_warned", set())
        self.training = False

    def forward(self, *args, **kwargs):
        if self.training or kwargs:
            if kwargs:
                self._eager("forward was given keyword arguments", stacklevel=4)
            return self._model(*args, **kwargs)
        try:
            key = _capture.input_key(args)
        except _capture.CaptureError as error:
            self._eager(str(error), stacklevel=4)
            return self._model(*args)
        entry = self._programs.get(key)
        if entry is None:
            entry = self._compile(key, args)
        if type(entry) is str:
            return self._model(*args)
        return entry[1](*_capture.as_inputs(args))

    def graph(self, *args):
        """The optimized graph for inputs like `args` (compiled now if needed); None when
        they run eagerly."""
        program = self.program(*args)
        return None if program is None else program.graph

    def program(self, *args):
        """The runnable graph (`fastnn._program.Program`) for inputs like `args`, compiled
        now if needed; None when they run eagerly."""
        key = _capture.input_key(args)
        entry = self._programs.get(key) or self._compile(key, args)
        return None if type(entry) is str else entry[1]

    @property
    def eager(self):
        """The eval-mode copy of the model the graphs are captured from (its modules' hooks
        run while a graph is captured, not in compiled calls)."""
        return self._model

    def _compile(self, key, args):
        with self._lock:
            entry = self._programs.get(key)
            if entry is not None:
                return entry
            try:
                graph, _ = _capture.trace(self._model, args)
                _passes.optimize(graph)
                entry = (graph, Program(graph))
            except _capture.ForwardError as error:
                # bad input fails eagerly too: the model's own error, nothing remembered
                # (when the eager call works, the tracer was at fault: run eagerly)
                self._model(*args)
                entry = str(error)
            except _capture.CaptureError as error:
                entry = str(error)
            except Exception as error:       # a compiler bug must not stop the model
                entry = f"the compiler raised {type(error).__name__}: {error}"
            if type(entry) is str:
                self._eager(entry)
            self._programs[key] = entry
            return entry

    def _eager(self, reason, stacklevel=5):
        """Warn once per reason (`stacklevel` 5: the caller of a module call that compiles;
        4 from forward itself)."""
        if reason not in self._warned:
            self._warned.add(reason)
            warnings.warn(f"fastnn.optimize_for_inference: {type(self._model).__name__} runs "
                          f"eagerly: {reason}", UserWarning, stacklevel=stacklevel)

    # ---- state: the copy's, and any change to it compiles again --------------------------

    def state_dict(self, *args, **kwargs):
        """The state of the model's copy (original names, unfolded values)."""
        return self._model.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Load into the model's copy; the next call compiles again (folded weights are
        computed from the loaded ones)."""
        result = self._model.load_state_dict(state_dict, strict=strict, assign=assign)
        _freeze_convolutions(self._model)
        self._programs.clear()
        return result

    def _apply(self, fn, recurse=True):
        self._model._apply(fn, recurse)
        _freeze_convolutions(self._model)
        self._programs.clear()
        return self

    def train(self, mode=True):
        """Training mode runs the model's copy eagerly (in training mode)."""
        super().train(mode)
        self._model.train(mode)
        return self

    def __repr__(self):
        return f"CompiledModule({self._model!r})"

    def __getstate__(self):
        """Copies and pickles keep the model and hooks; they compile again when called."""
        state = dict(self.__dict__)
        state.pop("_lock")
        state["_programs"], state["_warned"] = {}, set()
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        object.__setattr__(self, "_lock", threading.Lock())
