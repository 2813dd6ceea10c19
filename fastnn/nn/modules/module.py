"""nn.Module: parameter/buffer/submodule registration, traversal, modes, repr, dtype moves.

Hooks live in `hooks.py`, state dicts in `_state_dict.py`; Module mixes both in.  The
internal dicts (`_parameters`, `_buffers`, `_modules`, `_non_persistent_buffers_set`) have
torch's names and meaning, so layer code written against torch's internals works.
"""
from collections import OrderedDict

import numpy as np

from ..._torch_types import not_on_cpu
from .._utils import FLOAT_DTYPES, wrap
from ..parameter import Parameter
from ...tensor import Tensor
from ._state_dict import StateDictMixin
from .backward_hooks import BackwardHooksMixin
from .hooks import ForwardHooksMixin

__all__ = ["Module"]

_HOOK_DICTS = ("_forward_hooks", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
               "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_backward_hooks",
               "_backward_pre_hooks")
_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "hpu", "mtia")


def _typename(obj):
    """Type name as torch.typename prints it for non-tensors ('int', 'numpy.ndarray')."""
    cls = type(obj)
    if cls.__module__ in ("builtins", None):
        return cls.__qualname__
    if isinstance(obj, Tensor):
        return "fastnn." + cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_array_like(value):
    return isinstance(value, np.ndarray) or hasattr(value, "__array__")


def _as_buffer(value):
    """A buffer value as a fastnn Tensor (the same object when it already is one)."""
    if value is None or isinstance(value, Tensor):
        return value
    return wrap(np.asarray(value))


def _addindent(text, num_spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    pad = " " * num_spaces
    return lines[0] + "\n" + "\n".join(pad + line if line.strip() else "" for line in lines[1:])


def _forward_unimplemented(self, *input):
    """Define the computation performed at every call; subclasses must override it."""
    raise NotImplementedError(
        f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module(ForwardHooksMixin, BackwardHooksMixin, StateDictMixin):
    """Base class for all fastnn layers and models, with torch.nn.Module's API.

    Subclasses call ``super().__init__()`` first, then assign :class:`Parameter`\\ s,
    submodules and buffers (``register_buffer``) as attributes; they are registered by
    name, in assignment order.

    Example::

        >>> import fastnn.nn as nn
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(4, 2)
        ...     def forward(self, x):
        ...         return self.fc(x)
    """

    training: bool
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if not self.call_super_init and kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'")
        if not self.call_super_init and args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument "
                            f"but {len(args) + 1} were given")
        # object.__setattr__ skips Module.__setattr__'s routing (and its cost).
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers_set", set())
        for name in _HOOK_DICTS:
            setattr_(self, name, OrderedDict())
        setattr_(self, "_modules", {})
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    forward = _forward_unimplemented

    def __call__(self, *args, **kwargs):
        if (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    # ---- registration ---------------------------------------------------------------------

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer: state that is not a parameter (e.g. BatchNorm's ``running_mean``).

        Args:
            name (str): attribute name of the buffer.
            tensor (array or None): the buffer (kept as a fastnn Tensor).  None buffers are
                skipped by ``state_dict`` and dtype moves.
            persistent (bool): whether it is part of ``state_dict()``.  Default: True
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not _is_array_like(tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(fastnn Tensor, numpy array or None required)")
        self._buffers[name] = _as_buffer(tensor)
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name, param):
        """Add a parameter (a :class:`Parameter` or None) under attribute `name`."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(fastnn.nn.Parameter or None required)")
        self._parameters[name] = param

    def add_module(self, name, module):
        """Add a child module (or None) under attribute `name`."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    def register_module(self, name, module):
        """Alias for :meth:`add_module`."""
        self.add_module(name, module)

    def __getattr__(self, name):
        # Only reached when normal lookup fails: look in the registries.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, d, self._buffers, self._modules)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(fastnn.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = d.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                self._forget(name, d, self._parameters, self._buffers)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{_typename(value)}' as child module "
                                    f"'{name}' (fastnn.nn.Module or None expected)")
                modules[name] = value
            else:
                buffers = d.get("_buffers")
                if getattr(value, "_is_buffer", False):     # an nn.Buffer
                    if buffers is None:
                        raise AttributeError("cannot assign buffer before Module.__init__() "
                                             "call")
                    self._forget(name, d, self._parameters, self._modules)
                    buffers.pop(name, None)
                    self.register_buffer(name, value, value.persistent)
                elif buffers is not None and name in buffers:
                    if value is not None and not _is_array_like(value):
                        raise TypeError(f"cannot assign '{_typename(value)}' as buffer "
                                        f"'{name}' (fastnn Tensor, numpy array or None "
                                        "expected)")
                    buffers[name] = _as_buffer(value)
                else:
                    object.__setattr__(self, name, value)

    def _forget(self, name, *stores):
        for store in stores:
            store.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = (dir(type(self)) + list(self.__dict__) + list(self._parameters)
                + list(self._modules) + list(self._buffers))
        return sorted(k for k in keys if not k[0].isdigit())

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in _HOOK_DICTS:
            self.__dict__.setdefault(name, OrderedDict())
        self.__dict__.setdefault("_non_persistent_buffers_set", set())

    # ---- lookup by dotted name ------------------------------------------------------------

    def get_submodule(self, target):
        """The submodule at dotted path `target` ('' is the module itself)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def get_parameter(self, target):
        """The parameter at dotted path `target`, e.g. ``'fc.weight'``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        """The buffer at dotted path `target`, e.g. ``'bn.running_mean'``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        if name not in mod._buffers:
            raise AttributeError("`" + name + "` is not a buffer")
        return getattr(mod, name)

    # ---- traversal ------------------------------------------------------------------------

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        # Keyed by id: arrays are unhashable; the dict also keeps them alive while iterating.
        memo = {}
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for k, v in get_members(module):
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo[id(v)] = v
                yield module_prefix + ("." if module_prefix else "") + k, v

    def parameters(self, recurse=True):
        """Iterate over the parameters (of this module only if ``recurse=False``)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Iterate over ``(dotted name, Parameter)``; a shared parameter appears once."""
        yield from self._named_members(lambda m: m._parameters.items(), prefix=prefix,
                                       recurse=recurse, remove_duplicate=remove_duplicate)

    def buffers(self, recurse=True):
        """Iterate over the buffers (of this module only if ``recurse=False``)."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Iterate over ``(dotted name, buffer)``, persistent or not."""
        yield from self._named_members(lambda m: m._buffers.items(), prefix=prefix,
                                       recurse=recurse, remove_duplicate=remove_duplicate)

    def children(self):
        """Iterate over the immediate child modules."""
        for _, module in self.named_children():
            yield module

    def named_children(self):
        """Iterate over ``(name, child)``; a child registered twice appears once."""
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def modules(self, remove_duplicate=True):
        """Iterate over this module and all its descendants, depth first."""
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Iterate over ``(dotted name, module)``, this module first (name `prefix`)."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name,
                                            remove_duplicate)

    # ---- modes ----------------------------------------------------------------------------

    def apply(self, fn):
        """Call ``fn`` on every child (recursively, children first) then on self; return self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def train(self, mode=True):
        """Set training mode (``mode=False``: evaluation) recursively; return self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Set evaluation mode; same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's ``.grad``: to None (default) or to zeros in place."""
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.fill(0)

    def share_memory(self):
        """No-op kept for torch code (arrays are already shareable); returns self."""
        return self

    # ---- dtype and device -----------------------------------------------------------------

    def _apply(self, fn, recurse=True):
        """Replace every parameter and buffer ``t`` by ``fn(t)`` when that is a new array.

        A parameter shared by several modules is converted once and stays shared; a new
        parameter keeps ``requires_grad``.
        """
        converted = {}
        for module in (self.modules() if recurse else (self,)):
            for store in (module._parameters, module._buffers):
                for key, t in store.items():
                    if t is None:
                        continue
                    if id(t) not in converted:
                        new = fn(t)
                        if new is not t:
                            new = (Parameter(new, requires_grad=t.requires_grad)
                                   if isinstance(t, Parameter) else _as_buffer(new))
                        converted[id(t)] = (t, new)
                    store[key] = converted[id(t)][1]
        return self

    def _cast_floats(self, dtype):
        return self._apply(lambda t: t.astype(dtype) if t.dtype.kind == "f"
                           and t.dtype != dtype else t)

    def to(self, *args, **kwargs):
        """Move to a device and/or cast floating parameters and buffers to a dtype.

        Accepts ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)`` and the
        keywords ``device``, ``dtype``, ``non_blocking``, ``memory_format``.  Only the CPU
        exists in fastnn; dtypes are float32 and float64.  Integer buffers (e.g.
        ``num_batches_tracked``) keep their dtype.  Returns self.
        """
        device, dtype = _parse_to_args(args, kwargs)
        if device is not None:
            _check_device(device)
        if dtype is not None:
            self._cast_floats(dtype)
        return self

    def float(self):
        """Cast floating parameters and buffers to float32; return self."""
        return self._cast_floats(np.dtype(np.float32))

    def double(self):
        """Cast floating parameters and buffers to float64; return self."""
        return self._cast_floats(np.dtype(np.float64))

    def cpu(self):
        """Return self: fastnn modules always live on the CPU."""
        return self

    def cuda(self, device=None):
        """Refused with a RuntimeError: fastnn runs on the CPU only.

        (torch built without CUDA raises ``AssertionError: Torch not compiled with CUDA
        enabled``; fastnn raises the RuntimeError its ``to('cuda')`` raises.)
        """
        where = "cuda" if device is None else device
        raise not_on_cpu(f"cuda:{where}" if isinstance(where, int) else where)

    def half(self):
        """Refused with a TypeError: fastnn computes in float32 and float64 only.

        torch casts the parameters to float16 here; fastnn's kernels have no float16
        variant, so the model stays usable as it is (see `float` and `double`).
        """
        raise _unsupported_float("float16", "half")

    def bfloat16(self):
        """Refused with a TypeError: fastnn computes in float32 and float64 only."""
        raise _unsupported_float("bfloat16", "bfloat16")

    # ---- repr -----------------------------------------------------------------------------

    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text between this module's parentheses in ``repr``; override in layers."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = ["(" + key + "): " + _addindent(repr(module), 2)
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def _parse_to_args(args, kwargs):
    """(device, dtype) from torch's ``Module.to`` call forms."""
    kwargs = dict(kwargs)
    device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got an "
                        f"unexpected keyword argument '{next(iter(kwargs))}'")
    if len(args) > 3:
        raise TypeError(f"to() takes at most 3 positional arguments but {len(args)} "
                        "were given")
    for arg in args:
        if isinstance(arg, bool):
            continue                              # non_blocking
        if _is_device(arg):
            device = arg
        elif isinstance(arg, np.ndarray) or (not isinstance(arg, type) and hasattr(
                arg, "__array__") and hasattr(arg, "dtype") and hasattr(arg, "shape")):
            dtype = arg.dtype
        else:
            dtype = arg
    if dtype is not None:
        dtype = _as_float_dtype(dtype)
    return device, dtype


def _is_device(arg):
    if type(arg).__name__ == "device":            # torch.device
        return True
    return isinstance(arg, str) and arg.split(":")[0] in _DEVICE_TYPES


def _check_device(device):
    if type(device).__name__ != "device" and not isinstance(device, str):
        raise TypeError(f"to() expected a device string, got {_typename(device)}")
    if str(device).split(":")[0] != "cpu":
        raise not_on_cpu(device)


def _unsupported_float(dtype, method):
    return TypeError(f"fastnn supports float32 and float64 only, got {dtype}: Module.{method}() "
                     "is not available (use float() or double())")


def _as_float_dtype(dtype):
    name = str(dtype)
    if name.startswith("torch."):                 # torch.float32 -> float32
        dtype = name[len("torch."):]
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"to() got an invalid dtype: {name}") from None
    if dtype.kind != "f":
        raise TypeError("nn.Module.to only accepts floating point dtypes, but got desired "
                        f"dtype={dtype}")
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"fastnn supports float32 and float64 only, got {dtype}")
    return dtype
