"""fastnn.Tensor: a numpy.ndarray subclass that answers as torch's Tensor does.

Clash policy: torch wins. Where torch and numpy share a name, a call written the way torch
code writes it (positional arguments, torch's keywords) gets torch's answer; numpy's meaning stays
reachable with numpy's keywords (``axis=``, ``out=``, ``keepdims=``, ``order=``...), which
is how numpy's own functions (``np.sum(x)``, ``np.sort(x)``, ``np.repeat(x, 2)``) call
methods, or on the plain array ``x.numpy()``:

=====================  ==============================================  ========================
name                   torch (what torch code calls)                   numpy (still reachable)
=====================  ==============================================  ========================
``view``               ``view(2, -1)``, ``view((2, -1))``: no copy      ``view(np.float32)``,
                       or torch's error                                ``view(np.ndarray)``,
                                                                       ``view(dtype=, type=)``,
                                                                       ``view()``
``size``               ``x.size()`` -> ``Size``, ``x.size(1)`` -> int   ``x.size`` is an int
                                                                       (a callable int)
``reshape``            ``reshape(2, -1)`` with torch's errors          ``reshape(..., order=)``,
                                                                       ``copy=``
``flatten``            ``flatten(1)``, ``flatten(start_dim=1)``: a      ``flatten()``,
                       view when possible                              ``flatten('F')``,
                                                                       ``order=``: a copy
``transpose``          ``transpose(d0, d1)`` swaps two dims            ``transpose()``,
                                                                       ``transpose(axes)``
``squeeze``            ``squeeze(dim)``: a non-1 dim is left alone     ``squeeze(axis=)``
``sum mean prod``      ``sum(dim=None, keepdim=False, *, dtype)``,      ``axis=``, ``out=``,
``any all``            positional or keyword; int sums are int64;      ``keepdims=``,
                       all-element results are 0-d Tensors             ``initial=``, ``where=``
``max min``            ``max()`` 0-d; ``max(dim, keepdim=False)`` ->   ``axis=``, ``out=``,
                       ``(values, indices)``; ``max(other)``            ``keepdims=``...
``argmax argmin``      ``argmax(dim=None, keepdim=False)``: int64      ``axis=``, ``out=``
``std var``            ``std(dim, unbiased=True, keepdim=False, *,     ``axis=``, ``ddof=``,
                       correction)``; unbiased by default              ``dtype=``, ``out=``
``sort``               ``sort(dim=-1, descending=False, stable=)`` ->  ``sort(axis=, kind=,
                       ``(values, indices)``, input untouched          order=)``: in place
``repeat``             ``repeat(2, 1)`` tiles (``np.tile``)            ``repeat(n, axis=)``
``nonzero``            ``nonzero()`` -> (N, ndim) int64;               ``np.nonzero(x)`` (and
                       ``nonzero(as_tuple=True)`` -> tuple of dims     ``np.argwhere``...)
``clip``               --                                              numpy's (``clamp`` is
                                                                       torch's)
``item``               ``item()``: torch's error for numel != 1        ``item(*index)``
``type``               ``type()`` -> 'fastnn.FloatTensor';              --
                       ``type(dtype)`` casts
``data``               ``x.data`` is a Tensor sharing memory           ``memoryview(x)``
``device``             ``x.device`` is ``fastnn.device('cpu')``         --
``Tensor(...)``        ``Tensor(2, 3)`` (uninitialised),               ``Tensor(shape=,
                       ``Tensor(data)`` (float copy)                   dtype=, buffer=)``
=====================  ==============================================  ========================

Results follow torch. Arithmetic and comparisons (numpy ufuncs) take torch's result dtype
(``fastnn._ufunc_rules``: a float32 tensor stays float32 with a Python float, a numpy
float64 scalar, a 0-d float64 tensor or an int64 tensor; integer true division and
``exp`` of integers give the default float dtype) and torch's errors (``-`` on bools,
integer division by zero, ...). Reductions over all elements and integer indexing give 0-d
Tensors (``x[0, 0]`` is a view, as in torch), which answer ``float()``, ``int()``,
``item()``, ``if t:``, comparisons, f-strings (``f"{t:.2f}"``) and, when integral, serve as
an index. ``x.shape`` stays numpy's tuple; ``x.size()`` is the ``Size`` torch code expects.
Tensors hash by identity, as torch's do. ``flatten()`` without arguments copies (torch
allows a view or a copy). ``expand`` returns a read-only broadcast view, and ``x.data = y``
copies `y` in (same shape and dtype only: a numpy array cannot swap its buffer).

Where torch refuses, so does fastnn, also inside numpy's own functions: ``np.isclose`` on a
bool Tensor subtracts bools, which torch refuses (pass ``x.numpy()``).

Layers: this module (with its mixins in ``_tensor_methods``, ``_tensor_function_methods``
(``log``, ``split``, ``topk``, ``gather``, ``scatter_``, ``norm``...), ``_ufunc_methods``
(``sin``, ``floor``, ``eq``, ``gt``...) and ``_compose_methods`` (``movedim``, ``narrow``,
``unbind``, ``tril``...): no name numpy's ndarray has) sits above the leaf modules
(``_args``, ``_dtypes``, ``_data``, ``_alloc``, ``_reductions``, ``_ufunc_rules``) and below
everything else. The torch-meaning methods that compute or reshape run their op through the
door (``Tensor._door``, which ``fastnn._dispatch`` installs; the entries, with the checks,
are in ``_shape_ops``, ``_copy_ops``, ``_reduction_ops`` and ``_math_ops``; docs/OPS.md
lists them and the calls left outside). The methods that run an op of
``fastnn.nn.functional`` (``relu``, ``sigmoid``, ``tanh``, ``softmax``, ``log_softmax``) are
attached to Tensor by ``fastnn._functions``, the layer that owns those ops.
"""
import numpy as np

from ._alloc import factory_shape
from ._args import _is_dtype_like, _is_int, int_arg, torch_type_name, wrap_dim
from ._data import array_from_data
from ._dtypes import DTYPE_ALIASES, as_dtype, get_default_dtype
from ._torch_types import CPU, Size, device, not_on_cpu
from ._tensor_methods import FactoryMethods, MathMethods, ReductionMethods
from ._tensor_function_methods import FunctionMethods
from ._ufunc_methods import UfuncMethods
from ._compose_methods import ComposeMethods
from ._numpy_name_methods import NumpyNameMethods
from ._fused_arith import FusedMethods
from ._split_methods import SplitMethods
from ._value_methods import ValueMethods
from ._order_statistics import OrderStatisticMethods
from ._cumulative_methods import CumulativeMethods
from ._cross_methods import CrossMethods
from ._indexed_update_methods import IndexedUpdateMethods
from ._operators import OperatorMethods
from ._python_protocols import PythonProtocolMethods
from ._products import ProductMethods
from ._arith_methods import ArithmeticMethods
from ._in_place_methods import InPlaceMethods
from ._set_methods import SetMethods
from ._special_methods import SpecialMethods
from ._statistics_methods import StatisticsMethods
from ._decomposition_methods import DecompositionMethods
from ._random_methods import RandomMethods
from ._ufunc_rules import check_output_cast, check_values, scalar_operand, ufunc_plan

builtin_type = type     # `type` is shadowed by Tensor.type-style arguments below

__all__ = ["Tensor", "Size", "device"]

_ndarray_size = np.ndarray.size.__get__
_FLOAT, _DOUBLE, _HALF = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)
_LONG, _INT, _BOOL = np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.bool_)
_ndarray_view = np.ndarray.view
_TYPE_NAMES = {name: f"fastnn.{torch_type_name(dtype)}Tensor"
               for name, dtype in DTYPE_ALIASES.items()}
_DTYPE_OF_TYPE_NAME = {f"{prefix}.{torch_type_name(dtype)}Tensor": dtype
                       for dtype in DTYPE_ALIASES.values() for prefix in ("torch", "fastnn")}


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

class Tensor(ReductionMethods, MathMethods, ArithmeticMethods, FactoryMethods, FunctionMethods,
             UfuncMethods, ComposeMethods, NumpyNameMethods, FusedMethods, SplitMethods,
             ValueMethods, ProductMethods, OperatorMethods, PythonProtocolMethods,
             IndexedUpdateMethods, CumulativeMethods, CrossMethods, OrderStatisticMethods,
             InPlaceMethods, SetMethods, SpecialMethods, DecompositionMethods,
             RandomMethods, StatisticsMethods, np.ndarray):
    """A numpy array with the torch methods CNN code uses (see the module docstring)."""

    grad = None
    _output_nr = 0          # which output of grad_fn this tensor is
    __hash__ = object.__hash__
    __array_priority__ = 1.0   # above ndarray's: np.concatenate and friends return Tensors

    def __new__(cls, *args, **kwargs):
        if kwargs:  # numpy's constructor: Tensor(shape=..., dtype=..., buffer=...)
            return super().__new__(cls, *args, **kwargs)
        if all(_is_int(a) for a in args):
            dtype = get_default_dtype()
            return np.empty(factory_shape("empty", args or (0,), dtype), dtype).view(cls)
        if len(args) != 1:
            raise TypeError(f"Tensor() takes ints or one sequence, got {len(args)} arguments")
        return array_from_data(args[0], get_default_dtype()).view(cls)

    def __array_wrap__(self, array, context=None, return_scalar=False):
        if isinstance(array, Tensor):   # an `out=` array comes back as itself
            return array
        return array.view(Tensor)

    # fastnn._dispatch, a layer above, sets these to its `dispatch_ufunc` and `dispatch`
    # when imported (always, through `import fastnn`): ufuncs on Tensors and the methods
    # below that compute or reshape then pass the op door (docs/OPS.md lists the ops)
    _ufunc_door = None
    _door = None
    _go_live = None         # fastnn._dispatch.go_live: autograd joins the door
    _tracks = None          # set by go_live: tracks(inputs, out) -> autograd records
    _autograd_backward = None   # fastnn.autograd sets these: its `backward`, the hook
    _add_hook = None            # registration of its nodes, and the renewal of a view's
    _refresh_view = None        # history after its base was written in place, and the
    _storage_version = None     # version counter of a tensor's memory

    # -- autograd (fastnn.autograd) ------------------------------------------------------
    @property
    def grad_fn(self):
        """The node that made this tensor (fastnn.autograd); None for a leaf."""
        state = self.__dict__
        if "_base" in state:
            Tensor._refresh_view(self)
        return state.get("grad_fn")

    @property
    def requires_grad(self):
        """Whether gradients flow to this tensor (set it on leaves; ops propagate it)."""
        state = self.__dict__
        if "_base" in state:
            Tensor._refresh_view(self)
        return state.get("_requires_grad", False)

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to "
                "use a computed variable in a subgraph that doesn't require differentiation "
                "use var_no_grad = var.detach().")
        if value and self.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.__dict__["_requires_grad"] = bool(value)
        if value:
            Tensor._go_live()

    @property
    def _version(self):
        """How many in-place writes this tensor's memory has had (torch's counter), counted
        from the moment a tensor of the process first requires grad (only autograd reads
        it; torch counts from the start)."""
        return Tensor._storage_version(self)

    @property
    def is_leaf(self):
        """True for a tensor no recorded op made (``grad_fn`` is None)."""
        return self.grad_fn is None

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate this tensor's gradient into the leaves' ``.grad`` (a non-scalar
        needs `gradient`), as ``torch.Tensor.backward``."""
        Tensor._autograd_backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient is computed; a returned tensor
        replaces it. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        if self.grad_fn is not None:
            return self.grad_fn._tensor_hooks(self._output_nr, hook)
        return Tensor._add_hook(self.__dict__.setdefault("_hooks", {}), hook)

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward (after every
        hook on it has run, as torch does)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self.__dict__.get("_retains_grad"):
            return
        self.grad_fn.retain(self._output_nr, self)
        self.__dict__["_retains_grad"] = True

    @property
    def retains_grad(self):
        """True for a non-leaf tensor whose ``retain_grad()`` was called."""
        return self.__dict__.get("_retains_grad", False)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        """numpy ufuncs (arithmetic, comparisons, ``np.exp``...) on Tensors: torch's result
        dtype and errors (``fastnn._ufunc_rules``), then numpy's loop through the op door
        (`_ufunc_door`); results are Tensors."""
        return apply_ufunc(ufunc, method, inputs, out, kwargs, Tensor._ufunc_door)

    def __array_function__(self, func, types, args, kwargs):
        if func is np.nonzero:  # numpy's form: np.argwhere, np.flatnonzero, np.extract use it
            return np.nonzero(_ndarray_view(args[0], np.ndarray), *args[1:], **kwargs)
        return super().__array_function__(func, types, args, kwargs)

    def __getitem__(self, key):
        """``x[key]`` (op "index"): numpy's indexing; a full integer index gives a 0-d
        view, as torch does."""
        return Tensor._door("index", self, key)

    def __setitem__(self, key, value):
        """``x[key] = value``; once autograd is live, through the door (op "index_put_")."""
        if Tensor._tracks is not None:
            return Tensor._door("index_put_", self, key, value)
        try:
            np.ndarray.__setitem__(self, key, value)
        except (IndexError, TypeError, ValueError):
            Tensor._door("index_put_", self, key, value)     # raises torch's error

    @staticmethod
    def _result(result):
        return _as_tensor(result)

    def __format__(self, spec):
        if self.ndim == 0:                     # torch formats a 0-d tensor as its number
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self):
        arr = _ndarray_view(self, np.ndarray)
        if arr.size == 0 and arr.ndim != 1:
            body = f"[], size={arr.shape}"
        else:
            body = np.array2string(arr, separator=", ", prefix="tensor(",
                                   **_print_options(arr)).replace(", ...,", ",  ...,")
        suffix = ""
        if arr.dtype not in (get_default_dtype(), np.dtype(np.int64), np.dtype(bool)):
            suffix += f", dtype=fastnn.{arr.dtype.name}"
        if self.grad_fn is not None:
            suffix += f", grad_fn=<{self.grad_fn.name()}>"
        elif self.requires_grad:
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

    def stride(self, dim=None):
        """The steps between neighbours along each dimension, in elements: torch's
        ``stride()`` (a tuple) / ``stride(dim)`` (an int)."""
        steps = tuple(s // self.itemsize for s in self.strides)
        if dim is None:
            return steps
        return steps[wrap_dim(int_arg(dim, "stride", "dim"), self.ndim, wrap_scalar=False)]

    def is_floating_point(self):
        """True for float16, float32 and float64 tensors."""
        return self.dtype.kind == "f"

    def is_complex(self):
        """True for complex64 and complex128 tensors."""
        return self.dtype.kind == "c"

    def is_signed(self):
        """True unless the dtype is bool or uint8."""
        return self.dtype.kind in "ifc"

    def element_size(self):
        """Bytes per element."""
        return self.itemsize

    def data_ptr(self):
        """The address of the first element."""
        return self.__array_interface__["data"][0]

    def storage_offset(self):
        """Elements between the start of the memory this tensor views (the array owning it)
        and its first element."""
        owner = self
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        return (self.data_ptr() - owner.__array_interface__["data"][0]) // self.itemsize

    @property
    def device(self):
        """Always ``device(type='cpu')``."""
        return CPU

    @property
    def is_cuda(self):
        return False

    @property
    def data(self):
        """The tensor's data as a Tensor sharing memory, detached from autograd (numpy's
        buffer: ``memoryview(x)``)."""
        return _ndarray_view(self, Tensor)

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
        return Tensor._door("view", self, *args)

    def view_as(self, other):
        """``view(other.shape)``."""
        return self.view(np.shape(other))

    def reshape(self, *shape, **kwargs):
        """``reshape(*shape)``: a view when possible, else a copy (torch's errors).

        ``order=`` / ``copy=`` select numpy's reshape.
        """
        if "order" in kwargs or "copy" in kwargs:
            return super().reshape(*shape, **kwargs).view(Tensor)
        return Tensor._door("reshape", self, *shape, **kwargs)

    def reshape_as(self, other):
        """``reshape(other.shape)``."""
        return self.reshape(np.shape(other))

    def expand(self, *sizes):
        """A broadcast view with `sizes` (-1 keeps a dim); read-only in fastnn."""
        return Tensor._door("expand", self, *sizes)

    def expand_as(self, other):
        """``expand(other.shape)``."""
        return self.expand(np.shape(other))

    def unsqueeze(self, dim):
        """A view with a size-1 dim inserted at `dim` (in [-ndim-1, ndim])."""
        return Tensor._door("unsqueeze", self, dim)

    def squeeze(self, *args, **kwargs):
        """``squeeze()`` / ``squeeze(dim)``: drop size-1 dims; a non-1 `dim` is left alone.

        ``squeeze(axis=...)`` is numpy's (an error for a non-1 axis).
        """
        if "axis" in kwargs:
            return super().squeeze(*args, **kwargs)
        return Tensor._door("squeeze", self, *args, **kwargs)

    def flatten(self, *args, **kwargs):
        """``flatten(start_dim=0, end_dim=-1)``: merge dims start..end (torch; a view when
        possible). ``flatten()``, ``flatten('C'/'F')``, ``flatten(order=)`` are numpy's copy.
        """
        if "order" in kwargs or (args and isinstance(args[0], str)) or (
                not (args or kwargs) and not self.requires_grad):
            return super().flatten(*args, **kwargs)
        return Tensor._door("flatten", self, *args, **kwargs)

    def permute(self, *dims):
        """A view with the dims reordered."""
        return Tensor._door("permute", self, *dims)

    def transpose(self, *args):
        """``transpose(dim0, dim1)`` swaps two dims (torch); ``transpose()``,
        ``transpose(axes)`` and full permutations of 1 or 3+ ints are numpy's."""
        if len(args) != 2:
            return super().transpose(*args)
        return Tensor._door("transpose", self, *args)

    def contiguous(self):
        """Itself when C-contiguous, else a C-contiguous copy."""
        return Tensor._door("contiguous", self)

    # -- conversion -------------------------------------------------------------------
    def numpy(self, *, force=False):
        """The data as a plain numpy array sharing memory."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return _ndarray_view(self, np.ndarray)

    def item(self, *args):
        """The single element as a Python number (``item(index)`` is numpy's)."""
        if not args and _ndarray_size(self) != 1:
            raise RuntimeError(f"a Tensor with {_ndarray_size(self)} elements cannot be "
                               f"converted to Scalar")
        return super().item(*args)

    def detach(self):
        """A Tensor sharing memory, outside the graph (``requires_grad=False``)."""
        return _ndarray_view(self, Tensor)

    def detach_(self):
        """Takes the tensor out of the graph (a leaf not requiring grad); returns it."""
        self.__dict__.pop("grad_fn", None)
        self.__dict__["_requires_grad"] = False
        return self

    def requires_grad_(self, requires_grad=True):
        """Sets ``requires_grad``; returns the tensor."""
        if requires_grad and self.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = bool(requires_grad)
        return self

    def clone(self):
        """A copy with the same layout."""
        return Tensor._door("clone", self)

    def _as_type(self, dtype):
        return Tensor._door("to", self, dtype)

    def float(self):
        """As float32 (itself when already float32)."""
        return self._as_type(_FLOAT)

    def double(self):
        """As float64 (itself when already float64)."""
        return self._as_type(_DOUBLE)

    def half(self):
        """As float16 (itself when already float16)."""
        return self._as_type(_HALF)

    def long(self):
        """As int64 (itself when already int64)."""
        return self._as_type(_LONG)

    def int(self):
        """As int32 (itself when already int32)."""
        return self._as_type(_INT)

    def bool(self):
        """As bool (itself when already bool)."""
        return self._as_type(_BOOL)

    def type_as(self, other):
        """As `other`'s dtype."""
        return self._as_type(np.dtype(np.asarray(other).dtype))

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False,
           memory_format=None):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``.

        Returns the tensor itself when nothing changes (unless ``copy=True``); the only
        device is the CPU.
        """
        return Tensor._door("to", self, *args, dtype=dtype, device=device, copy=copy,
                            non_blocking=non_blocking, memory_format=memory_format)

    def cpu(self):
        """Itself: fastnn tensors live on the CPU."""
        return self

    def cuda(self, *args, **kwargs):
        """Refused with a RuntimeError: fastnn runs on the CPU only."""
        raise not_on_cpu("cuda")

    # -- in-place initialisers ----------------------------------------------------------
    def fill_(self, value):
        """Sets every element to `value` (a number or a 0-d tensor); returns itself."""
        return Tensor._door("fill_", self, value)

    def zero_(self):
        """Sets every element to 0; returns itself."""
        return Tensor._door("zero_", self)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fills with samples of N(mean, std^2), the values torch draws; returns itself."""
        return Tensor._door("normal_", self, mean, std, generator=generator)

    def uniform_(self, *args, generator=None, **kwargs):
        """``uniform_(from=0, to=1)``: fills with U[from, to) samples, the values torch
        draws; returns itself."""
        return Tensor._door("uniform_", self, *args, generator=generator, **kwargs)

    def copy_(self, src, non_blocking=False):
        """Copies `src` (broadcast, cast to this dtype) into the tensor; returns itself."""
        return Tensor._door("copy_", self, src, non_blocking)

    def type(self, dtype=None, non_blocking=False):
        """``type()`` -> 'fastnn.FloatTensor' ...; ``type(dtype)`` or ``type('torch.
        DoubleTensor')`` -> this tensor as that dtype (itself when unchanged)."""
        if dtype is None:
            return _TYPE_NAMES.get(self.dtype.name, f"fastnn.{self.dtype.name}")
        if isinstance(dtype, str):
            if dtype not in _DTYPE_OF_TYPE_NAME:
                raise ValueError(f"invalid type: '{dtype}'")
            return self._as_type(np.dtype(_DTYPE_OF_TYPE_NAME[dtype]))
        return self._as_type(as_dtype(dtype, "type"))


# ---------------------------------------------------------------- method helpers

def apply_ufunc(ufunc, method, inputs, out, kwargs, door, tracked=None):
    """``ufunc`` on `inputs` (arrays, Tensors, numbers) with torch's result dtype and
    errors, through `door` (`fastnn._dispatch.dispatch_ufunc`; None: numpy directly, for
    an op that runs ufuncs as its own computation); the result as a Tensor."""
    if (tracked is None and Tensor._tracks is not None and door is not None
            and Tensor._tracks(inputs, out)):
        return _tracked_ufunc(ufunc, method, inputs, out, kwargs, door)
    arrays = []
    for x in inputs:
        if isinstance(x, np.ndarray):
            if builtin_type(x) is not np.ndarray:
                x = _ndarray_view(x, np.ndarray)
        elif hasattr(builtin_type(x), "__array_ufunc__"):
            return NotImplemented           # e.g. a dask array: let it answer
        arrays.append(x)
    if method == "__call__" and (not kwargs or ("dtype" not in kwargs
                                                and "signature" not in kwargs)):
        signature, checks, scalars, implied = ufunc_plan(ufunc, arrays)
        if signature is not None:
            if out is not None:
                check_output_cast(signature[-1], out[0].dtype)
                implied = implied and all(o.dtype == d for o, d in
                                          zip(out, signature[ufunc.nin:]))
            if checks:
                special = check_values(checks, arrays)
                if special is not None:
                    if out is None:
                        return _as_tensor(special)
                    np.copyto(out[0], special, casting="unsafe")
                    return out[0]
            for i in scalars:
                arrays[i] = scalar_operand(arrays[i])
            if not implied:
                kwargs["signature"] = signature
                kwargs["casting"] = "unsafe"
    if out is not None:
        kwargs["out"] = tuple(_ndarray_view(o, np.ndarray) if isinstance(o, Tensor) else o
                              for o in out)
        if door is None:
            getattr(ufunc, method)(*arrays, **kwargs)
        else:
            door(ufunc, method, arrays, kwargs)
        return out[0] if len(out) == 1 else out
    if door is not None:
        if tracked is not None:     # autograd needs the caller's tensors at the door
            arrays = [t if isinstance(t, Tensor) and t.requires_grad else a
                      for t, a in zip(tracked, arrays)]
        result = door(ufunc, method, arrays, kwargs)
    else:
        with np.errstate(all="ignore"):     # torch neither warns nor raises on inf/NaN
            result = getattr(ufunc, method)(*arrays, **kwargs)
    if builtin_type(result) is np.ndarray:
        return _ndarray_view(result, Tensor)
    if builtin_type(result) is tuple:
        return tuple(map(_as_tensor, result))
    return _as_tensor(result)


def _tracked_ufunc(ufunc, method, inputs, out, kwargs, door):
    """A ufunc autograd records: computed out of place from the caller's tensors, then
    copied into `out` by ``copy_`` (which records the in-place write, as torch's
    in-place ops do)."""
    if out is None:
        return apply_ufunc(ufunc, method, inputs, None, kwargs, door, tracked=inputs)
    if len(out) != 1 or "where" in kwargs:
        raise RuntimeError(f"fastnn autograd: {ufunc.__name__} with several outputs or "
                           f"where= into tensors that require grad is not supported")
    target = out[0]
    # an operand sharing the target's memory is read before the write: a node must save
    # its value, not the storage the write changes (x *= x)
    inputs = tuple(x.clone() if isinstance(x, Tensor) and x.requires_grad
                   and np.shares_memory(x, target) else x for x in inputs)
    result = apply_ufunc(ufunc, method, inputs, None, kwargs, door, tracked=inputs)
    if not isinstance(target, Tensor):
        raise RuntimeError("fastnn autograd: an in-place operation with a result that "
                           "requires grad needs a fastnn Tensor to write into")
    return Tensor._door("copy_", target, result)


def _as_tensor(result):
    """A numpy result as a Tensor: arrays viewed, numpy scalars as 0-d Tensors."""
    if isinstance(result, np.ndarray):
        return result if isinstance(result, Tensor) else result.view(Tensor)
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
