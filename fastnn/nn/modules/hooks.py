"""Forward hooks of a Module and the handle that removes one (torch's semantics).

Hooks live in ordered dicts keyed by their handle's id, so removal is O(1) and `prepend=`
is a `move_to_end(last=False)`.  Module.__call__ only enters `_call_with_hooks` when a hook
is registered.
"""
import warnings

from .backward_hooks import BackwardHook
from .handles import RemovableHandle

__all__ = ["RemovableHandle", "ForwardHooksMixin"]


class ForwardHooksMixin:
    """`register_forward_pre_hook`, `register_forward_hook` and the hooked call path."""

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Register ``hook(module, args) -> None or new args`` run before ``forward``.

        A non-tuple return value is wrapped in a 1-tuple.  With ``with_kwargs=True`` the hook is
        ``hook(module, args, kwargs) -> None or (new_args, new_kwargs)``.  ``prepend=True`` runs
        it before the hooks already registered.  Returns a :class:`RemovableHandle`.
        """
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """Register ``hook(module, args, output) -> None or new output`` run after ``forward``.

        With ``with_kwargs=True`` the hook is ``hook(module, args, kwargs, output)``.
        ``always_call=True`` also runs it when ``forward`` raises (the error is re-raised).
        ``prepend=True`` runs it before the hooks already registered.  Returns a
        :class:`RemovableHandle`.
        """
        handle = RemovableHandle(self._forward_hooks, extra_dict=[
            self._forward_hooks_with_kwargs, self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def _call_with_hooks(self, args, kwargs):
        called = set()
        result = None
        try:
            for hook_id, hook in tuple(self._forward_pre_hooks.items()):
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    res = hook(self, args, kwargs)
                    if res is not None:
                        if not (isinstance(res, tuple) and len(res) == 2):
                            raise RuntimeError(
                                "forward pre-hook must return None or a tuple of "
                                f"(new_args, new_kwargs), but got {res}.")
                        args, kwargs = res
                else:
                    res = hook(self, args)
                    if res is not None:
                        args = res if isinstance(res, tuple) else (res,)
            backward_hook = None
            if self._backward_hooks or self._backward_pre_hooks:
                backward_hook = BackwardHook(self)
                args = backward_hook.setup_inputs(args)

            result = self.forward(*args, **kwargs)
            for hook_id, hook in tuple(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
                    called.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs:
                    res = hook(self, args, kwargs, result)
                else:
                    res = hook(self, args, result)
                if res is not None:
                    result = res
            if backward_hook is not None:
                result = backward_hook.setup_outputs(result)
            return result
        except Exception:
            # torch runs the always_call hooks that have not run yet, then re-raises.
            for hook_id, hook in tuple(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called and hook_id not in called:
                    called.add(hook_id)
                    try:
                        if hook_id in self._forward_hooks_with_kwargs:
                            res = hook(self, args, kwargs, result)
                        else:
                            res = hook(self, args, result)
                        if res is not None:
                            result = res
                    except Exception as e:
                        warnings.warn(
                            "module forward hook with ``always_call=True`` raised an exception "
                            f"that was silenced as another error was raised in forward: {e}",
                            stacklevel=3)
            raise
