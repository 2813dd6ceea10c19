"""Lazy modules, as torch's: parameters whose sizes the first forward infers from its input.

:class:`UninitializedParameter` and :class:`UninitializedBuffer` are placeholders (no shape
yet) that ``materialize(shape)`` turns, in place, into a :class:`Parameter` or a plain
Tensor. :class:`LazyModuleMixin` runs ``initialize_parameters(input)`` before the first
forward, then turns the module into its eager class (``cls_to_become``): after the first
call ``type(LazyLinear(3)) is Linear``. Materialised parameters are initialised by the eager
module's ``reset_parameters``, so after the same seed they equal the eager module's.

:class:`Buffer` marks a tensor that becomes a buffer when assigned to a module attribute.
"""
import numpy as np

from .._utils import factory_dtype, wrap
from ...tensor import Tensor
from ..parameter import Parameter
from .conv import Conv1d, Conv2d, Conv3d
from .conv_transpose import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .group_norms import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, _BatchNorm

__all__ = ["Buffer", "UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin",
           "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]

_SHAPE_ERROR = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually "
    "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
    "initialized one. Call `forward` to initialize the parameters before accessing their "
    "attributes.")


class _BufferMeta(type(Tensor)):
    def __instancecheck__(cls, instance):
        if cls is Buffer and isinstance(instance, Tensor) and getattr(instance, "_is_buffer",
                                                                      False):
            return True
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    r"""A tensor that registers as a buffer when assigned to a module attribute.

    ``Buffer(data, persistent=True)`` returns a Tensor sharing `data`'s memory (as torch's
    ``data.detach()``), marked so that ``module.name = Buffer(t)`` calls
    ``register_buffer(name, t, persistent)``.
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = np.empty(0, np.float32)
        t = np.asarray(data).view(Tensor)
        if getattr(data, "requires_grad", False):
            t.requires_grad = True
        t.persistent = persistent
        t._is_buffer = True
        return t


class _UninitializedTensorMixin:
    """A 0-element array that owns its memory, so that ``materialize`` can resize it in
    place (the object stays the one the module and any optimizer hold)."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Give the placeholder `shape` (values uninitialised) and turn it into
        ``cls_to_become``; a dtype other than its own is not supported."""
        factory_dtype(device, None)
        if dtype is not None and np.dtype(factory_dtype(None, dtype)) != self.dtype:
            raise NotImplementedError("materialize: changing the dtype is not supported")
        shape = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
        np.ndarray.resize(self, shape, refcheck=False)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_SHAPE_ERROR)

    def size(self, dim=None):
        raise RuntimeError(_SHAPE_ERROR)

    def __array_ufunc__(self, *args, **kwargs):
        raise ValueError(_use_error(type(self).__name__))

    def __array_function__(self, *args, **kwargs):
        raise ValueError(_use_error(type(self).__name__))

    def __reduce_ex__(self, protocol):
        return (type(self), (self.requires_grad, None, self.dtype))

    def __copy__(self):
        return type(self)(self.requires_grad, None, self.dtype)

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = self.__copy__()
        return memo[id(self)]

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__


def _use_error(name):
    return (f"Attempted to use an uninitialized parameter. This error happens when you are "
            f"using a `LazyModule` or explicitly manipulating `torch.nn.parameter.{name}` "
            "objects. When using LazyModules Call `forward` with a dummy batch to initialize "
            "the parameters before calling torch functions")


def _placeholder(cls, requires_grad, device, dtype):
    # an owner of its memory (a view would not resize); the eager classes'
    # __array_finalize__ demotes a new array to Tensor, so the class is set after
    obj = np.ndarray.__new__(cls, (0,), np.dtype(factory_dtype(device, dtype)))
    obj.__class__ = cls
    obj.requires_grad = bool(requires_grad)
    return obj


class UninitializedParameter(_UninitializedTensorMixin, Parameter):
    """A parameter without a shape yet; ``materialize(shape)`` makes it a
    :class:`Parameter` (as torch's, accessing its shape raises)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return _placeholder(cls, requires_grad, device, dtype)


class UninitializedBuffer(_UninitializedTensorMixin, Tensor):
    """A buffer without a shape yet; ``materialize(shape)`` makes it a plain Tensor."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        buf = _placeholder(cls, requires_grad, device, dtype)
        buf.persistent = persistent
        return buf


def is_lazy(value):
    return isinstance(value, _UninitializedTensorMixin)


class LazyModuleMixin:
    """Infers parameter sizes on the first forward (``initialize_parameters``), then turns
    the module into ``cls_to_become``. Loading a state_dict materialises the uninitialised
    parameters and buffers it holds values for (the class changes on the next forward)."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters,
                                                               with_kwargs=True)

    def has_uninitialized_params(self):
        """Whether a parameter or buffer of this module is still uninitialised."""
        return any(is_lazy(v) for v in
                   list(self._parameters.values()) + list(self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}")

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        for name, value in list(self._parameters.items()) + list(self._buffers.items()):
            if is_lazy(value) and prefix + name in destination:
                destination[prefix + name] = value

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        for name, value in list(self._parameters.items()) + list(self._buffers.items()):
            key = prefix + name
            if key in state_dict and is_lazy(value) and not is_lazy(state_dict[key]):
                value.materialize(np.shape(state_dict[key]))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)


def _infer_parameters(module, args, kwargs=None):
    kwargs = kwargs if kwargs else {}
    module.initialize_parameters(*args, **kwargs)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """:class:`Linear` whose ``in_features`` is the first input's last dimension."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        if self.in_features == 0:      # materialised by load_state_dict
            if np.shape(input)[-1] != self.weight.shape[-1]:
                raise AssertionError(
                    f"The in_features inferred from input: {np.shape(input)[-1]} is not equal "
                    f"to in_features from self.weight: {self.weight.shape[-1]}")
            self.in_features = np.shape(input)[-1]


class _LazyConvXdMixin(LazyModuleMixin):
    _lazy_dims = 0

    def _lazy_init(self, out_channels, bias, device, dtype):
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            self.weight.materialize(shape + tuple(self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _get_in_channels(self, input):
        n = self._dims
        ndim = len(np.shape(input))
        if ndim not in (n + 1, n + 2):
            raise RuntimeError(
                f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                f"{self._get_name()}, but got input of size: "
                f"torch.Size({list(np.shape(input))})")
        return np.shape(input)[1] if ndim == n + 2 else np.shape(input)[0]


def _lazy_conv(eager, transposed):
    if transposed:
        def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                     groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                     dtype=None):
            eager.__init__(self, 0, 0, kernel_size, stride, padding,
                           output_padding, groups, False, dilation, padding_mode, device,
                           dtype)
            self._lazy_init(out_channels, bias, device, dtype)
    else:
        def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                     groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
            eager.__init__(self, 0, 0, kernel_size, stride, padding, dilation,
                           groups, False, padding_mode, device, dtype)
            self._lazy_init(out_channels, bias, device, dtype)

    def init(self, *args, **kwargs):
        __init__(self, *args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters,
                                                               with_kwargs=True)

    name = "Lazy" + eager.__name__
    doc = (f":class:`{eager.__name__}` whose ``in_channels`` is the first input's "
           "``shape[1]`` (``shape[0]`` for an unbatched input).")
    return type(name, (_LazyConvXdMixin, eager),
                {"cls_to_become": eager, "__init__": init, "__doc__": doc,
                 "__module__": __name__, "__qualname__": name})


LazyConv1d = _lazy_conv(Conv1d, False)
LazyConv2d = _lazy_conv(Conv2d, False)
LazyConv3d = _lazy_conv(Conv3d, False)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, True)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, True)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, True)


class _LazyNormBase(LazyModuleMixin, _BatchNorm):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        _BatchNorm.__init__(self, 0, eps, momentum, False, False, device, dtype, bias=False)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters,
                                                               with_kwargs=True)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = wrap(np.zeros((), np.int64))

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.num_features = np.shape(input)[1]
            for name in ("weight", "bias", "running_mean", "running_var"):
                value = getattr(self, name)
                if is_lazy(value):
                    value.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(eager):
    # as torch's, num_features is shape[1] for the instance norms too (an unbatched input
    # then fails the eager forward's check)
    name = "Lazy" + eager.__name__
    return type(name, (_LazyNormBase, eager),
                {"cls_to_become": eager, "__module__": __name__, "__qualname__": name,
                 "__doc__": f":class:`{eager.__name__}` whose ``num_features`` is the first "
                            "input's ``shape[1]``."})


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
