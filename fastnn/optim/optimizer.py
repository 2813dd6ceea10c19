"""Optimizer: parameter groups, state, state_dict in torch's format, zero_grad.

The state_dict is torch's: ``{'state': {index: {...}}, 'param_groups': [{..., 'params':
[indices]}]}`` with torch's state keys, so a torch optimizer's saved state loads here
(``fastnn.load``) and resumes, and the other way round.
"""
import copy
import warnings
from itertools import chain

import numpy as np

from .._creation import as_tensor
from .._dtypes import get_default_dtype
from ..tensor import Tensor
from ._state import ParamState

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a default that every parameter group must give (torch.optim.optimizer.required)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_TENSOR_TYPES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                 "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
                 "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}


def typename(obj):
    """torch.typename: the name torch's optimizer errors print for an object."""
    if isinstance(obj, Tensor):
        return "torch." + _TENSOR_TYPES.get(obj.dtype.name, "Tensor")
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    if module in ("", "builtins"):
        return qualname
    return f"{module}.{qualname}"


def scalar_dtype():
    """The dtype torch keeps a `step` count in: the default dtype (float32 or float64)."""
    return np.float64 if get_default_dtype() == np.float64 else np.float32


class Optimizer:
    """Base class of the optimizers (torch.optim.Optimizer).

    Args:
        params (iterable): Parameters, or dicts defining parameter groups (each with a
            ``'params'`` entry and per-group options overriding ``defaults``).
        defaults (dict): default values of the optimization options.
    """

    # torch's __setstate__ fills these into groups of older state dicts
    _group_fallbacks = {}

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, np.ndarray):
            raise TypeError("params argument given to the optimizer should be an iterable "
                            "of Tensors or dicts, but got " + typename(params))
        self.state = ParamState()
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, value in self._group_fallbacks.items():
                group.setdefault(key, value)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``'params'`` and optional options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, np.ndarray):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list "
                "instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params "
                                "is " + typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    getattr(param, "is_leaf", True) or getattr(param, "retains_grad", False)):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients: to None (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if getattr(p, "grad", None) is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad[...] = 0

    def step(self, closure=None):
        raise NotImplementedError

    # ---------------------------------------------------------------- state dict

    def state_dict(self):
        """The state as torch's dict: per-parameter state by index, groups with indices.

        The state tensors are the optimizer's own (not copies), as in torch."""
        mapping = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            # torch's mapping: a parameter listed twice in a group gets its last index
            mapping.update({id(p): i for i, p in enumerate(group["params"], start)
                            if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(mapping[id(k)] if isinstance(k, np.ndarray) else k): v
                        for k, v in self.state.items()}
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Load a state from :meth:`state_dict` (fastnn's or torch's, e.g. via fastnn.load)."""
        state_dict = state_dict.copy()
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't "
                             "match the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state = ParamState()
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = _cast(param, value)
            else:
                state[key] = value

        param_groups = []
        for group, new_group in zip(groups, saved_groups):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            param_groups.append(new_group)
        self.__setstate__({"state": state, "param_groups": param_groups})


def _is_tensor_like(value):
    return isinstance(value, np.ndarray) or (
        hasattr(value, "__array__") and hasattr(value, "dtype") and hasattr(value, "shape"))


def _cast(param, value, key=None):
    """torch's load_state_dict cast: state tensors take the parameter's floating dtype (no
    copy when it already has it), `step` stays as saved; containers are rebuilt."""
    if _is_tensor_like(value):
        if not isinstance(value, Tensor):
            value = as_tensor(np.array(value))      # e.g. a torch tensor given directly
        if key == "step" or param.dtype.kind not in "fc" or value.dtype == param.dtype:
            return value
        return value.astype(param.dtype).view(Tensor)
    if isinstance(value, dict):
        return {k: _cast(param, v, key=k) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return type(value)(_cast(param, v) for v in value)
    return value
