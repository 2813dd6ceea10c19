"""The handle a hook registration returns (torch's ``RemovableHandle``): forward and
backward hooks of a Module share it."""
import itertools
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
