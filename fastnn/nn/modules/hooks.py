"""Forward hooks of a Module and the handle that removes one (torch's semantics).

Hooks live in ordered dicts keyed by their handle's id, so removal is O(1) and `prepend=`
is a `move_to_end(last=False)`.  Module.__call__ only enters `_call_with_hooks` when a hook
is registered.
"""
import itertools
import warnings
import weakref
from collections import OrderedDict

__all__ = ["RemovableHandle"]

_handle_ids = itertools.count()


class RemovableHandle:
    """A handle that removes the hook it was returned for.

    Args:
        hooks_dict (OrderedDict): the hooks, keyed by handle ``id``.
        extra_dict (dict or list of dicts): dicts whose entry with the same ``id`` is removed
            too (e.g. the "this hook takes kwargs" marks).

    Use ``handle.remove()`` or ``with module.register_forward_hook(hook): ...``.
    """

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(_handle_ids)
        if extra_dict is None:
            extra_dict = []
        elif isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self):
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            hooks = ref()
            if hooks is not None:
                hooks.pop(self.id, None)

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state):
        hooks, self.id, extras = state
        # A handle whose dict is gone keeps a dead reference, as torch's does.
        self.hooks_dict_ref = weakref.ref(hooks if hooks is not None else OrderedDict())
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras if d is not None)
        global _handle_ids
        # Never hand out an id that a restored handle already uses.
        nxt = next(_handle_ids)
        _handle_ids = itertools.count(max(nxt, self.id + 1))

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.remove()


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
                from .backward_hooks import BackwardHook
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
