"""Module.state_dict / load_state_dict with torch's keys, metadata and error messages.

Shapes in messages are printed as ``torch.Size([2, 3])``, exactly as torch prints them, so
code and tests that match torch's loading errors keep matching under fastnn.
"""
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from .._utils import wrap
from .._frozen import freeze, is_frozen
from ..parameter import Parameter

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _size_str(shape):
    return f"torch.Size({list(shape)})"


def _checkpoint_array(value):
    """An ndarray view of a state-dict value, or None when it is not tensor-like."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "__array__"):
        if callable(getattr(value, "detach", None)):
            # torch refuses __array__ on tensors that require grad (keep_vars=True dicts).
            value = value.detach()
        return np.asarray(value)
    return None


class StateDictMixin:
    """Saving and loading parameters and persistent buffers by dotted name."""

    _version = 1

    def _has_extra_state(self):
        return type(self).get_extra_state is not StateDictMixin.get_extra_state

    def get_extra_state(self):
        """Return extra (picklable) state for the state_dict; override with set_extra_state."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should "
                           "never be called.")

    def set_extra_state(self, state):
        """Restore what :meth:`get_extra_state` returned."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should "
                           "never be called.")

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else wrap(param)
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else wrap(buf)
        if self._has_extra_state():
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Return an OrderedDict of every parameter and persistent buffer, by dotted name.

        Values share memory with the module (``keep_vars=True`` gives the Parameter objects
        themselves, otherwise plain Tensor views, like torch's detached tensors).  Parameters
        and buffers that are None and non-persistent buffers are left out.
        """
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        metadata = getattr(destination, "_metadata", None)
        if metadata is not None:
            metadata[prefix[:-1]] = {"version": self._version}
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        local_state = {k: v for k, v in self._parameters.items() if v is not None}
        local_state.update((k, v) for k, v in self._buffers.items()
                           if v is not None and k not in self._non_persistent_buffers_set)
        assign = local_metadata.get("assign_to_params_buffers", False)

        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            try:
                arr = _checkpoint_array(value)
            except Exception:
                arr = None
            if arr is None:
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(value)}")
                continue
            # torch's backward compatibility: a 1-element 1-d value loads into a 0-d one.
            if param.ndim == 0 and arr.shape == (1,):
                arr = arr.reshape(())
            if arr.shape != param.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {_size_str(arr.shape)}"
                    f" from checkpoint, the shape in current model is {_size_str(param.shape)}.")
                continue
            try:
                if assign:
                    new = arr if arr.flags.writeable else arr.copy()
                    new = (Parameter(new, requires_grad=param.requires_grad)
                           if isinstance(param, Parameter) else wrap(new))
                    setattr(self, name, new)
                elif is_frozen(param):     # replaced, frozen again (a new packed form)
                    setattr(self, name, freeze(arr, param.dtype, param.requires_grad))
                else:
                    np.copyto(param, arr, casting="unsafe")
            except Exception as ex:
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model '
                    f"are {_size_str(param.shape)} and whose dimensions in the checkpoint are "
                    f"{_size_str(arr.shape)}, an exception occurred : {ex.args}.")

        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if self._has_extra_state():
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)

        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    head = key[len(prefix):].split(".", 1)
                    if len(head) > 1:
                        if head[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif head[0] not in local_state:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from `state_dict` into this module and its children.

        Args:
            state_dict (Mapping): name -> array (numpy arrays, fastnn Tensors or anything
                with ``__array__``, such as torch CPU tensors).
            strict (bool): the keys must match :meth:`state_dict`'s exactly.  Default: True
            assign (bool): put the given arrays in place of the module's (keeping their
                dtype) instead of copying into the existing ones.  Default: False

        Values are copied in place, cast to the module's dtype like torch's ``copy_``
        (integer buffers such as ``num_batches_tracked`` stay int64).  Every missing or
        unexpected key (strict) and every shape mismatch is reported in one RuntimeError.

        Returns:
            ``_IncompatibleKeys(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys, unexpected_keys, error_msgs = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)

        def load(module, local_state_dict, prefix=""):
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True,
                                         missing_keys, unexpected_keys, error_msgs)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    load(child, {k: v for k, v in local_state_dict.items()
                                 if k.startswith(child_prefix)}, child_prefix)

        load(self, state_dict)

        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(error_msgs)))
        return _IncompatibleKeys(missing_keys, unexpected_keys)
