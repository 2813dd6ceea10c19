"""Backward hooks of a Module: ``register_full_backward_hook`` and
``register_full_backward_pre_hook`` (torch's semantics).

A call of a module with such hooks passes its tensor arguments through one autograd node
and its outputs through another (`fastnn.autograd._function.through_node`): the outputs'
node sees ``grad_output`` (and runs the pre-hooks), the inputs' node sees ``grad_input``
and runs the hooks. When no input requires grad the hooks run with ``grad_input`` all
None, once ``grad_output`` is known, as torch does.
"""
import warnings

from ...autograd._function import through_node
from ...tensor import Tensor
from .handles import RemovableHandle

__all__ = ["BackwardHooksMixin", "BackwardHook"]


class BackwardHooksMixin:
    """`register_full_backward_hook` and `register_full_backward_pre_hook`."""

    def register_full_backward_hook(self, hook, prepend=False):
        """Register ``hook(module, grad_input, grad_output) -> None or new grad_input``,
        run when the gradients with respect to the module's inputs are computed.
        Returns a :class:`RemovableHandle`."""
        return self._add_backward_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Register ``hook(module, grad_output) -> None or new grad_output``, run when the
        gradients with respect to the module's outputs are computed."""
        return self._add_backward_hook(self._backward_pre_hooks, hook, prepend)

    def _add_backward_hook(self, hooks, hook, prepend):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle


class BackwardHook:
    """One call's hook state: the grad_output seen, the hooks to run."""

    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.n_inputs = 0
        self.inputs_tracked = False

    def setup_inputs(self, args):
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(tensors)
        passed = through_node([args[i] for i in tensors], "backward_hook_function",
                              self._input_backward)
        self.inputs_tracked = any(p is not args[i] for p, i in zip(passed, tensors))
        args = list(args)
        for p, i in zip(passed, tensors):
            args[i] = p
        return tuple(args)

    def setup_outputs(self, result):
        single = isinstance(result, Tensor)
        outputs = [result] if single else list(result) if isinstance(result, tuple) else None
        if outputs is None:
            return result
        passed = through_node(outputs, "backward_hook_function", self._output_backward)
        return passed[0] if single else tuple(passed)

    def _output_backward(self, grads):
        for hook in tuple(self.module._backward_pre_hooks.values()):
            res = hook(self.module, grads)
            if res is not None:
                grads = tuple(res) if isinstance(res, (tuple, list)) else (res,)
        self.grad_output = grads
        if not self.inputs_tracked and self.module._backward_hooks:
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            self._run_hooks((None,) * max(self.n_inputs, 1))
        return grads

    def _input_backward(self, grads):
        replaced = self._run_hooks(grads)
        return grads if replaced is None else replaced

    def _run_hooks(self, grad_input):
        replaced = None
        grad_input = tuple(None if g is None else g.view(Tensor) for g in grad_input)
        for hook in tuple(self.module._backward_hooks.values()):
            res = hook(self.module, grad_input, self.grad_output)
            if res is not None:
                if not isinstance(res, (tuple, list)) or len(res) != len(grad_input):
                    raise RuntimeError(
                        f"Backward hook returned an invalid number of grad_input, got "
                        f"{len(res) if isinstance(res, (tuple, list)) else 1}, but expected "
                        f"{len(grad_input)}")
                grad_input = replaced = tuple(res)
        return replaced
