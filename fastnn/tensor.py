"""fastnn.Tensor: a numpy.ndarray subclass with the torch methods CNN code uses.

Clash policy. Where a torch method name is also a numpy name, torch semantics apply to
torch-style arguments and numpy semantics stay reachable with numpy-style arguments:

=====================  ===========================================  ==============================
name                   torch (this is what torch code calls)        numpy (still reachable)
=====================  ===========================================  ==============================
``view``               ``view(2, -1)``, ``view((2, -1))``: no copy  ``view(np.float32)``,
                       or torch's error                             ``view(np.ndarray)``,
                                                                    ``view(dtype=..., type=...)``,
                                                                    ``view()``
``size``               ``x.size()`` -> ``Size``, ``x.size(1)``,     ``x.size`` is an int
                       ``x.size(-1)`` -> int                        (a callable int subclass)
``reshape``            ``reshape(2, -1)`` with torch's errors       ``reshape(..., order=/copy=)``
``flatten``            ``flatten(1)``, ``flatten(start_dim=1)``:    ``flatten()``, ``flatten('F')``,
                       a view when possible                         ``flatten(order=...)``: a copy
``transpose``          ``transpose(d0, d1)`` swaps two dims         ``transpose()``,
                                                                    ``transpose(axes)``, full
                                                                    permutations of 1 or 3+ ints
``squeeze``            ``squeeze(dim)`` / ``squeeze(dim=)`` leaves  ``squeeze(axis=...)``
                       a non-1 dim alone
``sum mean max min``   ``dim=`` / ``keepdim=`` keywords;            positional arguments,
``argmax argmin``      ``max(dim=)`` returns (values, indices)      ``axis=`` / ``keepdims=``
``std var``            unbiased by default; positional ``dim``,     ``axis=``, ``ddof=``,
                       ``unbiased``, ``keepdim``                    ``dtype=``, ``keepdims=``
``item``               ``item()``: torch's error for numel != 1     ``item(*index)``
``data``               ``x.data`` is a Tensor sharing memory        ``memoryview(x)``
``device``             ``x.device`` is ``fastnn.device('cpu')``     --
``Tensor(...)``        ``Tensor(2, 3)`` (uninitialised),            ``Tensor(shape=..., dtype=...,
                       ``Tensor(data)`` (float copy)                buffer=...)`` (keywords)
=====================  ===========================================  ==============================

Operations on Tensors (ufuncs, arithmetic, slicing, numpy methods) return Tensors, and plain
Tensors even when an operand is a Parameter. Results that numpy gives as scalars (a full
reduction, integer indexing) stay numpy scalars, which answer ``item()``, ``tolist()``,
``float()`` like torch's 0-d tensors; torch-style reductions (``dim=``) always return Tensors.
``x.shape`` stays numpy's tuple; ``x.size()`` is the ``Size`` torch code expects.
Tensors hash by identity, as torch's do, so they can key dicts and sets.
``flatten()`` without arguments copies: torch documents that it may return a view or a copy,
so numpy's copy satisfies both. ``expand`` returns a read-only broadcast view, and
``x.data = y`` copies `y` in (same shape and dtype only: a numpy array cannot swap its buffer).
"""
import collections

import numpy as np

from ._args import (_dims_list, _is_dtype_like, _is_int, check_broadcast_into, infer_shape,
                    int_arg, int_tuple_arg, torch_type_name, wrap_dim)
from ._sampling import normal_fill, uniform_fill
from ._torch_types import CPU, Size, check_device, device

builtin_type = type     # `type` is shadowed by Tensor.type-style arguments below
_Device = device

__all__ = ["Tensor", "Size", "device"]

_ndarray_size = np.ndarray.size.__get__
_NUMPY_VIEW_KEYWORDS = frozenset({"dtype", "type"})
_NUMPY_STD_KEYWORDS = frozenset({"axis", "dtype", "out", "ddof", "keepdims", "where", "mean"})
return_types_max = collections.namedtuple("max", ["values", "indices"])
return_types_min = collections.namedtuple("min", ["values", "indices"])


class _SizeAttribute(int):
    """numpy's element count that, called, answers torch's ``size()`` / ``size(dim)``."""

    def __call__(self, dim=None):
        if dim is None:
            return Size(self._shape)
        return self._shape[wrap_dim(int_arg(dim, "size", "dim"), len(self._shape),
                                    wrap_scalar=False)]

    def __reduce__(self):
        return (int, (int(self),))


# ---------------------------------------------------------------- Tensor

class Tensor(np.ndarray):
    """A numpy array with the torch methods CNN code uses (see the module docstring)."""

    requires_grad = False
    grad = None
    __hash__ = object.__hash__
    __array_priority__ = 1.0   # above ndarray's: np.concatenate and friends return Tensors

    def __new__(cls, *args, **kwargs):
        if kwargs:  # numpy's constructor: Tensor(shape=..., dtype=..., buffer=...)
            return super().__new__(cls, *args, **kwargs)
        from ._creation import empty, tensor, get_default_dtype
        if all(_is_int(a) for a in args):
            return empty(*args) if args else empty(0)
        if len(args) != 1:
            raise TypeError(f"Tensor() takes ints or one sequence, got {len(args)} arguments")
        return tensor(args[0], dtype=get_default_dtype())

    def __array_wrap__(self, array, context=None, return_scalar=False):
        if return_scalar:
            return array[()]
        if isinstance(array, Tensor):   # an `out=` array comes back as itself
            return array
        return array.view(Tensor)

    def __repr__(self):
        from ._creation import get_default_dtype
        arr = self.view(np.ndarray)
        if arr.size == 0 and arr.ndim != 1:
            body = f"[], size={arr.shape}"
        else:
            body = np.array2string(arr, separator=", ", prefix="tensor(",
                                   **_print_options(arr)).replace(", ...,", ",  ...,")
        suffix = ""
        if arr.dtype not in (get_default_dtype(), np.dtype(np.int64), np.dtype(bool)):
            suffix += f", dtype=fastnn.{arr.dtype.name}"
        if self.requires_grad:
            suffix += ", requires_grad=True"
        return f"tensor({body}{suffix})"

    __str__ = __repr__

    # -- size and shape ---------------------------------------------------------------
    @property
    def size(self):
        """numpy's element count (an int); called, torch's ``size()`` / ``size(dim)``."""
        value = _SizeAttribute(_ndarray_size(self))
        value._shape = self.shape
        return value

    def dim(self):
        """Number of dimensions."""
        return self.ndim

    ndimension = dim

    def numel(self):
        """Number of elements."""
        return _ndarray_size(self)

    nelement = numel

    def is_contiguous(self):
        """True when the memory is C-contiguous (torch's default layout)."""
        return self.flags.c_contiguous

    def is_floating_point(self):
        """True for float16, float32 and float64 tensors."""
        return self.dtype.kind == "f"

    @property
    def device(self):
        """Always ``device(type='cpu')``."""
        return CPU

    @property
    def is_cuda(self):
        return False

    @property
    def data(self):
        """The tensor's data as a Tensor sharing memory (numpy's buffer: ``memoryview(x)``)."""
        return self if type(self) is Tensor else self.view(Tensor)

    @data.setter
    def data(self, value):
        value = np.asarray(value)
        if value.shape != self.shape or value.dtype != self.dtype:
            raise RuntimeError(
                f"fastnn can only assign .data of the same shape and dtype (got "
                f"{list(value.shape)} {value.dtype} for {list(self.shape)} {self.dtype}); "
                f"assign a new Parameter instead")
        np.copyto(self, value)

    # -- views and reshapes -------------------------------------------------------------
    def view(self, *args, **kwargs):
        """``view(*shape)``: the same data with a new shape, never a copy (torch).

        ``view(dtype)``, ``view(ndarray_subclass)`` and keywords are numpy's.
        """
        if kwargs or not args or _is_dtype_like(args[0]):
            return super().view(*args, **kwargs)
        shape = infer_shape(int_tuple_arg(args, "view"), _ndarray_size(self))
        try:
            return super().reshape(shape, copy=False).view(Tensor)
        except ValueError:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least "
                "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                "instead.") from None

    def view_as(self, other):
        """``view(other.shape)``."""
        return self.view(np.shape(other))

    def reshape(self, *shape, **kwargs):
        """``reshape(*shape)``: a view when possible, else a copy (torch's errors).

        ``order=`` / ``copy=`` select numpy's reshape.
        """
        if "order" in kwargs or "copy" in kwargs:
            return super().reshape(*shape, **kwargs).view(Tensor)
        if "shape" in kwargs:
            shape = (kwargs.pop("shape"),)
        if kwargs:
            raise TypeError(f"reshape() got an unexpected keyword argument '{next(iter(kwargs))}'")
        shape = infer_shape(int_tuple_arg(shape, "reshape", "shape"), _ndarray_size(self))
        return super().reshape(shape).view(Tensor)

    def reshape_as(self, other):
        """``reshape(other.shape)``."""
        return self.reshape(np.shape(other))

    def expand(self, *sizes):
        """A broadcast view with `sizes` (-1 keeps a dim); read-only in fastnn."""
        sizes = int_tuple_arg(sizes, "expand")
        if len(sizes) < self.ndim:
            raise RuntimeError(
                f"expand(fastnn.{torch_type_name(self.dtype)}Tensor{{{list(self.shape)}}}, "
                f"size={list(sizes)}): the number of sizes provided ({len(sizes)}) must be "
                f"greater or equal to the number of dimensions in the tensor ({self.ndim})")
        lead = len(sizes) - self.ndim
        target = []
        for i, n in enumerate(sizes):
            if i < lead:
                if n < 0:
                    raise RuntimeError(f"The expanded size of the tensor ({n}) isn't allowed "
                                       f"in a leading, non-existing dimension {i}")
                target.append(n)
                continue
            have = self.shape[i - lead]
            if n == -1:
                n = have
            elif have != 1 and n != have:
                raise RuntimeError(
                    f"The expanded size of the tensor ({n}) must match the existing size "
                    f"({have}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                    f"Tensor sizes: {list(self.shape)}")
            target.append(n)
        return np.broadcast_to(self.view(np.ndarray), target).view(Tensor)

    def expand_as(self, other):
        """``expand(other.shape)``."""
        return self.expand(np.shape(other))

    def unsqueeze(self, dim):
        """A view with a size-1 dim inserted at `dim` (in [-ndim-1, ndim])."""
        dim = wrap_dim(int_arg(dim, "unsqueeze", "dim"), self.ndim + 1)
        return np.expand_dims(self.view(np.ndarray), dim).view(Tensor)

    def squeeze(self, *args, **kwargs):
        """``squeeze()`` / ``squeeze(dim)``: drop size-1 dims; a non-1 `dim` is left alone.

        ``squeeze(axis=...)`` is numpy's (an error for a non-1 axis).
        """
        if "axis" in kwargs:
            return super().squeeze(*args, **kwargs)
        if "dim" in kwargs:
            args += (kwargs.pop("dim"),)
        if kwargs or len(args) > 1:
            raise TypeError("squeeze() takes at most one argument 'dim'")
        if not args or args[0] is None:
            return super().squeeze().view(Tensor)
        dims = args[0] if isinstance(args[0], (tuple, list)) else (args[0],)
        dims = _dims_list([int_arg(d, "squeeze", "dim") for d in dims], self.ndim) or ()
        drop = tuple(d for d in dims if self.ndim and self.shape[d] == 1)
        return super().squeeze(axis=drop).view(Tensor)

    def flatten(self, *args, **kwargs):
        """``flatten(start_dim=0, end_dim=-1)``: merge dims start..end (torch; a view when
        possible). ``flatten()``, ``flatten('C'/'F')``, ``flatten(order=)`` are numpy's copy.
        """
        if not (args or kwargs) or "order" in kwargs or (args and isinstance(args[0], str)):
            return super().flatten(*args, **kwargs)
        return _torch_flatten(self, *args, **kwargs)

    def permute(self, *dims):
        """A view with the dims reordered."""
        dims = int_tuple_arg(dims, "permute", "dims")
        if len(dims) != self.ndim:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not "
                f"match the length of the desired ordering of dimensions i.e. input.dim() = "
                f"{self.ndim} is not equal to len(dims) = {len(dims)}")
        dims = tuple(wrap_dim(d, self.ndim) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return super().transpose(dims).view(Tensor)

    def transpose(self, *args):
        """``transpose(dim0, dim1)`` swaps two dims (torch); ``transpose()``,
        ``transpose(axes)`` and full permutations of 1 or 3+ ints are numpy's."""
        if len(args) != 2 or not all(_is_int(a) for a in args):
            if len(args) == 2:
                int_arg(args[0], "transpose", "dim0", 1)
                int_arg(args[1], "transpose", "dim1", 2)
            return super().transpose(*args)
        d0, d1 = (wrap_dim(a, self.ndim) for a in args)
        return super().swapaxes(d0, d1).view(Tensor)

    def contiguous(self):
        """Itself when C-contiguous, else a C-contiguous copy."""
        if self.flags.c_contiguous:
            return self
        return np.ascontiguousarray(self.view(np.ndarray)).view(Tensor)

    # -- conversion -------------------------------------------------------------------
    def numpy(self, *, force=False):
        """The data as a plain numpy array sharing memory."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self.view(np.ndarray)

    def item(self, *args):
        """The single element as a Python number (``item(index)`` is numpy's)."""
        if not args and _ndarray_size(self) != 1:
            raise RuntimeError(f"a Tensor with {_ndarray_size(self)} elements cannot be "
                               f"converted to Scalar")
        return super().item(*args)

    def detach(self):
        """A Tensor sharing memory, with ``requires_grad=False``."""
        return self.view(Tensor)

    def detach_(self):
        """Marks the tensor as not requiring grad; returns it."""
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        """Sets ``requires_grad`` (fastnn has no autograd; kept for torch code)."""
        if requires_grad and self.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = bool(requires_grad)
        return self

    def clone(self):
        """A copy with the same layout."""
        return np.array(self.view(np.ndarray), copy=True, order="K").view(Tensor)

    def _as_type(self, dtype, copy=False):
        if self.dtype == dtype and not copy:
            return self
        return self.view(np.ndarray).astype(dtype).view(Tensor)

    def float(self):
        """As float32 (itself when already float32)."""
        return self._as_type(np.float32)

    def double(self):
        """As float64 (itself when already float64)."""
        return self._as_type(np.float64)

    def half(self):
        """As float16 (itself when already float16)."""
        return self._as_type(np.float16)

    def long(self):
        """As int64 (itself when already int64)."""
        return self._as_type(np.int64)

    def int(self):
        """As int32 (itself when already int32)."""
        return self._as_type(np.int32)

    def bool(self):
        """As bool (itself when already bool)."""
        return self._as_type(np.bool_)

    def type_as(self, other):
        """As `other`'s dtype."""
        return self._as_type(np.asarray(other).dtype)

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False,
           memory_format=None):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``.

        Returns the tensor itself when nothing changes (unless ``copy=True``); the only
        device is the CPU.
        """
        args = list(args)
        if args and (isinstance(args[0], (str, _Device)) or _is_int(args[0])):
            device = args.pop(0)
        if args and isinstance(args[0], np.ndarray):
            dtype = args.pop(0).dtype
        elif args and _is_dtype_like(args[0]) and not isinstance(args[0], str):
            dtype = args.pop(0)
        if args and isinstance(args[0], (bool, np.bool_)):
            non_blocking = args.pop(0)
        if args and isinstance(args[0], (bool, np.bool_)):
            copy = args.pop(0)
        if args:
            raise TypeError(f"to() received an invalid combination of arguments - got "
                            f"{tuple(builtin_type(a).__name__ for a in args)}")
        check_device(device)
        if dtype is None:
            return self.clone() if copy else self
        from ._creation import as_dtype
        return self._as_type(as_dtype(dtype, "to"), copy)

    def cpu(self):
        """Itself: fastnn tensors live on the CPU."""
        return self

    def cuda(self, *args, **kwargs):
        raise RuntimeError("fastnn runs on the CPU only; device 'cuda' is not available")

    # -- in-place initialisers ----------------------------------------------------------
    def fill_(self, value):
        """Sets every element to `value` (a number or a 0-d tensor); returns itself."""
        if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
            value = np.asarray(value)
            if value.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got "
                                   f"tensor with {value.ndim} dimensions.")
            value = value[()]
        elif not isinstance(value, (int, float, complex, np.generic)):
            raise TypeError(f"fill_() received an invalid combination of arguments - got "
                            f"({builtin_type(value).__name__})")
        self.fill(value)
        return self

    def zero_(self):
        """Sets every element to 0; returns itself."""
        self.fill(0)
        return self

    def _random_dtype(self, kernel):
        if self.dtype.kind != "f":
            raise NotImplementedError(
                f"\"{kernel}\" not implemented for '{torch_type_name(self.dtype)}'")
        return np.float64 if self.dtype == np.float64 else np.float32

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fills with samples of N(mean, std^2), the values torch draws; returns itself."""
        self._random_dtype("normal_kernel_cpu")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        return normal_fill(self, mean, std, generator)

    def uniform_(self, *args, generator=None, **kwargs):
        """``uniform_(from=0, to=1)``: fills with U[from, to) samples, the values torch
        draws; returns itself."""
        self._random_dtype("check_uniform_bounds")
        low, high = _uniform_bounds(args, kwargs)
        if low > high:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={low} > to={high}")
        return uniform_fill(self, low, high, generator)

    def copy_(self, src, non_blocking=False):
        """Copies `src` (broadcast, cast to this dtype) into the tensor; returns itself."""
        if isinstance(src, (str, bytes)):
            raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                            f"{builtin_type(src).__name__}")
        src = np.asarray(src)
        check_broadcast_into(self.shape, src.shape)
        np.copyto(self, src, casting="unsafe")
        return self

    # -- reductions with torch's dim= / keepdim= ---------------------------------------
    def sum(self, *args, dim=None, keepdim=None, **kwargs):
        """``sum(dim=, keepdim=False)`` (torch); positional / ``axis=`` is numpy's."""
        if dim is None and keepdim is None:
            return super().sum(*args, **kwargs)
        axis = None if dim is None else _dims_list(dim, self.ndim)
        return _tensor(super().sum(*args, axis=axis, keepdims=bool(keepdim), **kwargs))

    def mean(self, *args, dim=None, keepdim=None, **kwargs):
        """``mean(dim=, keepdim=False)`` (torch); positional / ``axis=`` is numpy's."""
        if dim is None and keepdim is None:
            return super().mean(*args, **kwargs)
        if self.dtype.kind not in "fc" and kwargs.get("dtype") is None:
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a "
                f"floating point or complex dtype. Got: {torch_type_name(self.dtype)}")
        axis = None if dim is None else _dims_list(dim, self.ndim)
        return _tensor(super().mean(*args, axis=axis, keepdims=bool(keepdim), **kwargs))

    def max(self, *args, dim=None, keepdim=None, **kwargs):
        """``max(dim=d, keepdim=False)`` -> (values, indices) (torch); positional /
        ``axis=`` is numpy's."""
        if dim is None and keepdim is None:
            return super().max(*args, **kwargs)
        return _min_max(self, dim, keepdim, "max")

    def min(self, *args, dim=None, keepdim=None, **kwargs):
        """``min(dim=d, keepdim=False)`` -> (values, indices) (torch); positional /
        ``axis=`` is numpy's."""
        if dim is None and keepdim is None:
            return super().min(*args, **kwargs)
        return _min_max(self, dim, keepdim, "min")

    def argmax(self, *args, dim=None, keepdim=None, **kwargs):
        """``argmax(dim=, keepdim=False)`` (torch); positional / ``axis=`` is numpy's."""
        if dim is None and keepdim is None:
            return super().argmax(*args, **kwargs)
        return _arg_reduce(self, dim, keepdim, "argmax")

    def argmin(self, *args, dim=None, keepdim=None, **kwargs):
        """``argmin(dim=, keepdim=False)`` (torch); positional / ``axis=`` is numpy's."""
        if dim is None and keepdim is None:
            return super().argmin(*args, **kwargs)
        return _arg_reduce(self, dim, keepdim, "argmin")

    def std(self, *args, **kwargs):
        """``std(dim=None, unbiased=True, keepdim=False, *, correction=None)`` (torch);
        numpy's keywords (``axis=``, ``ddof=``...) select numpy's (biased by default)."""
        if _NUMPY_STD_KEYWORDS.intersection(kwargs):
            return super().std(*args, **kwargs)
        return _variance(self, args, kwargs, "std")

    def var(self, *args, **kwargs):
        """``var(dim=None, unbiased=True, keepdim=False, *, correction=None)`` (torch);
        numpy's keywords (``axis=``, ``ddof=``...) select numpy's (biased by default)."""
        if _NUMPY_STD_KEYWORDS.intersection(kwargs):
            return super().var(*args, **kwargs)
        return _variance(self, args, kwargs, "var")

    # -- new tensors like this one ------------------------------------------------------
    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of `size`, with this tensor's dtype unless given."""
        from ._creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, device=device)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of `size`, with this tensor's dtype unless given."""
        from ._creation import ones
        return ones(*size, dtype=dtype or self.dtype, device=device)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """Uninitialised tensor of `size`, with this tensor's dtype unless given."""
        from ._creation import empty
        return empty(*size, dtype=dtype or self.dtype, device=device)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """`fill_value` everywhere, with this tensor's dtype unless given."""
        from ._creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, device=device)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A copy of `data`, with this tensor's dtype unless given."""
        from ._creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device)


# ---------------------------------------------------------------- method helpers

def _tensor(result):
    return np.asarray(result).view(Tensor)


def _print_options(arr):
    if arr.dtype.kind != "f":
        return {}
    finite = arr[np.isfinite(arr)]
    magnitudes = abs(finite[finite != 0])
    scientific = magnitudes.size and (magnitudes.max() > 1e8
                                      or magnitudes.max() / magnitudes.min() > 1e3)
    if not scientific and np.all(finite == np.round(finite)):
        return {"floatmode": "unique"}   # torch prints integral floats as 1. and 100.
    return {"floatmode": "fixed", "precision": 4}


def _uniform_bounds(args, kwargs):
    names = ("from", "to")
    values = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names or key in values:
            raise TypeError(f"uniform_() got an unexpected keyword argument '{key}'")
        values[key] = value
    return values.get("from", 0.0), values.get("to", 1.0)


def _torch_flatten(x, start_dim=0, end_dim=-1):
    start_dim = int_arg(start_dim, "flatten", "start_dim", 1)
    end_dim = int_arg(end_dim, "flatten", "end_dim", 2)
    if x.ndim == 0:
        wrap_dim(start_dim, 0)
        wrap_dim(end_dim, 0)
        return x.reshape(1)
    start, end = wrap_dim(start_dim, x.ndim), wrap_dim(end_dim, x.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return x            # torch returns the tensor itself
    merged = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
    shape = x.shape[:start] + (merged,) + x.shape[end + 1:]
    return x.view(np.ndarray).reshape(shape).view(Tensor)


def _min_max(x, dim, keepdim, name):
    if isinstance(dim, (tuple, list)) or dim is None:
        raise TypeError(f"{name}(): argument 'dim' must be int, not "
                        f"{builtin_type(dim).__name__}")
    indices = _arg_reduce(x, dim, keepdim, "arg" + name, name)
    arr = x.view(np.ndarray)
    axis = wrap_dim(dim, x.ndim)
    if arr.ndim == 0:
        values = arr.copy()
    else:
        gather = indices if keepdim else np.expand_dims(indices, axis)
        values = np.take_along_axis(arr, gather.view(np.ndarray), axis)
        if not keepdim:
            values = values.squeeze(axis)
    result = return_types_max if name == "max" else return_types_min
    return result(_tensor(values), indices)


def _arg_reduce(x, dim, keepdim, name, caller=None):
    arr = x.view(np.ndarray)
    keepdim = bool(keepdim)
    if dim is None:
        if arr.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0.")
        result = getattr(arr, name)(keepdims=keepdim)
        return _tensor(np.int64(result) if not keepdim else result.astype(np.int64))
    axis = wrap_dim(dim, arr.ndim)
    if arr.ndim == 0:
        return _tensor(np.int64(0))
    if arr.shape[axis] == 0:
        raise IndexError(f"{caller or name}(): Expected reduction dim {axis} to have "
                         f"non-zero size.")
    return _tensor(getattr(arr, name)(axis=axis, keepdims=keepdim).astype(np.int64))


def _variance(x, args, kwargs, name):
    if args and isinstance(args[0], (bool, np.bool_)):      # std(unbiased)
        kwargs.setdefault("unbiased", args[0])
        args = args[1:]
    for key, value in zip(("dim", "unbiased", "keepdim"), args):
        if key in kwargs:
            raise TypeError(f"{name}() got multiple values for argument '{key}'")
        kwargs[key] = value
    dim = kwargs.pop("dim", None)
    unbiased = kwargs.pop("unbiased", None)
    keepdim = bool(kwargs.pop("keepdim", False))
    correction = kwargs.pop("correction", None)
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axis = None if dim is None else _dims_list(dim, x.ndim)
    result = getattr(np, name)(x.view(np.ndarray), axis=axis, ddof=correction,
                               keepdims=keepdim)
    return _tensor(result)
