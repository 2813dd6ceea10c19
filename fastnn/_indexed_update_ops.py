"""Registry entries of torch's indexed updates: index_add, index_copy, index_fill (along one
dim, at a 1-d index) and scatter_reduce (``reduce`` one of sum, prod, mean, amax, amin, with
or without the tensor's own values), each with its in-place form (``index_add_``, ...). The
Tensor methods (`fastnn._indexed_update_methods`) and the top-level functions
(`fastnn._indexed_update_functions`) reach them through the door; the backwards are in
`fastnn._indexed_update_backward`.

The checks are torch's, in its order and words. The reductions run as the scatter family's
(`fastnn._scatter_ops`): flat offsets into the output and one serial loop of
`kernels/scatter.py` in index order, so repeated indices accumulate in torch's order; bools
and dtypes Numba does not compute in (float16, byte-swapped) take numpy's ``ufunc.at``.
index_copy and index_fill are numpy assignments; where index_copy's index repeats, torch
leaves unspecified which write wins (here the last one does).

An in-place scatter_reduce_ whose backward reads the tensor's old values (prod, amax, amin)
keeps a copy of them as a fourth input while a tensor requires grad: the write overwrites
the values the gradient needs.
"""
import math

import numpy as np

from . import _grad
from ._args import array_arg, int_arg, number_arg, torch_type_name, torch_typename, wrap_dim
from ._registry import Attrs, register_single
from ._runtime import launch
from ._scatter_ops import _check_shapes
from ._select_ops import along_axis_offsets, check_index_bounds
from ._shape_ops import no_meta
from .kernels import scatter as _kernels

__all__ = ["REDUCES"]

REDUCES = ("sum", "prod", "mean", "amax", "amin")
_ALIASES = {"max": "amax", "min": "amin"}   # torch's forward takes them (its backward not)
_C_TYPES = {"float16": "c10::Half", "float32": "float", "float64": "double",
            "int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t",
            "uint8": "uint8_t", "bool": "bool"}
_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32))
_KERNEL_KINDS = "iuf"           # what the Numba loops compute in (not float16, not bool)
_plain_view = np.ndarray.view


def _plain(x):
    return _plain_view(x, np.ndarray)


def _overflow(dtype):
    name = np.dtype(dtype).name
    return RuntimeError(f"value cannot be converted to type {_C_TYPES.get(name, name)} "
                        "without overflow")


def checked_scalar(value, dtype):
    """`value` (a Python number) converted to `dtype` as torch converts a Scalar (c10's
    checked conversion): truncated for integers, refused when it overflows; infinities and
    NaN pass to floats, not to integers; any number passes to bool."""
    dtype = np.dtype(dtype)
    if isinstance(value, complex):
        if dtype.kind == "c":
            return value
        if value.imag != 0:
            raise _overflow(dtype)
        value = value.real
    if dtype.kind == "b":
        return bool(value)
    if dtype.kind in "iu":
        if isinstance(value, float) and not math.isfinite(value):
            raise _overflow(dtype)
        info = np.iinfo(dtype)
        low = -int(info.max) if dtype.kind == "u" else int(info.min)   # unsigned: wraps
        if not low <= value <= info.max:
            raise _overflow(dtype)
        return np.array(int(value)).astype(dtype)[()]
    if dtype.kind == "f" and math.isfinite(value) and abs(value) > float(np.finfo(dtype).max):
        raise _overflow(dtype)
    return np.array(value, dtype=dtype)[()]


def _index_vector(index, fn):
    """index_add's vector and dtype checks (torch's index_func_meta_impl)."""
    if index.ndim > 1:
        raise IndexError(f"{fn}_(): Index is supposed to be a vector, but got dim: "
                         f"{index.ndim} with type: {torch_type_name(index.dtype)} and size: "
                         f"{list(index.shape)}")
    if index.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{fn}_(): Expected dtype int32/int64 for index but got: "
                           f"{torch_type_name(index.dtype)}")


def _storage_error(x, axis, count):
    """torch's setStorage refusal when it restrides an empty tensor to `count` positions
    along `axis` (index_copy, index_fill writing into no memory), or None."""
    shape = list(x.shape) or [1]
    strides, step = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        strides[d], step = step, step * max(shape[d], 1)
    shape[axis], strides[axis] = count, 0
    if x.size or not all(shape):
        return None
    need = (1 + sum((n - 1) * s for n, s in zip(shape, strides))) * x.itemsize
    return RuntimeError(f"setStorage: sizes {shape}, strides {strides}, storage offset 0, and "
                        f"itemsize {x.itemsize} requiring a storage size of {need} are out of "
                        f"bounds for storage of size 0")


def _first_bad(index, low, high):
    bad = index[(index < low) | (index >= high)] if index.size else index[:0]
    return None if not bad.size else int(bad.reshape(-1)[0])


def _axis_key(ndim, axis, index):
    """numpy's key of the slices at the 1-d `index` along `axis` of an `ndim`-d array."""
    return (slice(None),) * axis + (np.atleast_1d(index).reshape(-1),)


# ------------------------------------------------------------------ flat writes

def _flat(out, axis, index):
    """(a flat C-ordered view of `out` or a contiguous copy of it, the flat offsets of the
    places `index` names: scatter's index of `out`'s ndim, or index_add's 1-d index
    broadcast over the other dims of `out`)."""
    target = (out if out.flags.c_contiguous else np.ascontiguousarray(out)).reshape(-1)
    if out.ndim == 0 or index.ndim == 0 and out.ndim <= 1:
        return target, np.atleast_1d(index).reshape(-1).astype(np.int64)
    return target, along_axis_offsets(out.shape, axis, index)


def _write_back(out, target):
    if not np.may_share_memory(target, out):
        out[...] = target.reshape(out.shape)


def _numba_computes(dtype):
    """Whether the Numba loops compute in `dtype` (not bool, float16 or byte-swapped)."""
    return (dtype.kind in _KERNEL_KINDS and dtype.isnative
            and not (dtype.kind == "f" and dtype.itemsize < 4))


def _reduce_flat(target, key, values, reduce):
    """target[key[k]] (reduce)= values[k] for k in order (reduce: sum, prod, amax, amin)."""
    values = np.ascontiguousarray(np.broadcast_to(values, np.shape(key)),
                                  dtype=target.dtype).reshape(-1)
    key = np.ascontiguousarray(key).reshape(-1)
    if not _numba_computes(target.dtype):
        if target.dtype == np.bool_:        # torch's bool sum and amax are ors
            ufunc = np.logical_or if reduce in ("sum", "amax") else np.logical_and
        else:
            ufunc = {"sum": np.add, "prod": np.multiply, "amax": np.maximum,
                     "amin": np.minimum}[reduce]
        with np.errstate(all="ignore"):
            ufunc.at(target, key, values)
    elif reduce in ("sum", "prod"):
        launch(_kernels.scatter_reduce_flat, target, key, values, reduce == "prod")
    else:
        launch(_kernels.scatter_extreme_flat, target, key, values, reduce == "amax")


# ------------------------------------------------------------------ index_add

def _index_add_normalize(input, dim, index, source, *, alpha=1):
    fn = "index_add"
    self = _plain(input)
    axis = wrap_dim(int_arg(dim, fn, "dim", 1), self.ndim)
    index = array_arg(index, fn, "index", 2)
    source = array_arg(source, fn, "source", 3)
    alpha = number_arg(alpha, fn, "alpha", None)
    _index_vector(index, fn)
    if self.dtype != source.dtype:
        raise RuntimeError(f"{fn}_(): self ({torch_type_name(self.dtype)}) and source "
                           f"({torch_type_name(source.dtype)}) must have the same scalar type")
    if not (axis == 0 or axis < source.ndim):
        raise RuntimeError(f"{fn}_(): Indexing dim {axis} is out of bounds of the source "
                           f"tensor with dim {source.ndim}")
    count = 1 if source.ndim == 0 else source.shape[axis]
    if index.size != count:
        if source.ndim == 0:            # torch's message asks a 0-d source for its size
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        raise RuntimeError(f"{fn}_(): Number of indices ({index.size}) should be equal to "
                           f"source.size(dim): ({count}), for dim: {axis}")
    if self.ndim != source.ndim or any(
            n != m for d, (n, m) in enumerate(zip(self.shape, source.shape)) if d != axis):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(self.shape)} "
                           f"source.shape = {list(source.shape)}")
    if self.ndim <= 1 or index.size:    # torch's kernel converts alpha before its loop
        alpha = checked_scalar(alpha, self.dtype)
    if self.ndim <= 1:
        if _first_bad(index, 0, max(self.size, 1) if self.ndim == 0 else self.size) \
                is not None:
            raise IndexError("index out of range in self")
    elif self.size:
        bad = _first_bad(index, 0, self.shape[axis])
        if bad is not None:
            raise RuntimeError(f"index {bad} is out of bounds for dimension {axis} with size "
                               f"{self.shape[axis]}")
    return (self, index, source), Attrs(dim=axis, alpha=alpha)


def _index_add_into(out, inputs, attrs):
    index, source = inputs[1], inputs[2]
    if index.size == 0 or out.size == 0:
        return
    alpha = attrs.alpha
    if out.ndim == 0:
        target, key = out.reshape(-1), np.zeros(1, np.int64)
    else:
        shape = [1] * out.ndim
        shape[attrs.dim] = -1
        target, key = _flat(out, attrs.dim, np.broadcast_to(
            np.atleast_1d(index).reshape(shape), source.shape))
    if _numba_computes(target.dtype) and alpha != 1:
        # alpha times source plus self in one step (torch's loop is a fused multiply-add)
        launch(_kernels.scatter_axpy_flat, target, np.ascontiguousarray(key).reshape(-1),
               np.ascontiguousarray(source, dtype=target.dtype).reshape(-1),
               float(alpha) if target.dtype.kind == "f" else int(alpha))
    else:
        if out.dtype == np.bool_:
            values = source if alpha else np.zeros_like(source)
        elif alpha == 1:
            values = source
        else:
            with np.errstate(all="ignore"):
                values = np.multiply(source, alpha, dtype=out.dtype, casting="unsafe")
        _reduce_flat(target, key, values, "sum")
    _write_back(out, target)


# ------------------------------------------------------------------ index_copy

def _index_copy_normalize(input, dim, index, source):
    fn = "index_copy"
    self = _plain(input)
    axis = wrap_dim(int_arg(dim, fn, "dim", 1), self.ndim)
    index = array_arg(index, fn, "index", 2)
    source = array_arg(source, fn, "source", 3)
    if index.ndim >= 2:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got "
                         f"{index.ndim})")
    if source.ndim == 0 and index.size != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one "
                         f"element (got {index.size})")
    if source.ndim != self.ndim and source.ndim and self.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.ndim}), "
                         f"destination dimensionality ({self.ndim})")
    if index.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{torch_type_name(index.dtype)}")
    if self.dtype != source.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {torch_type_name(self.dtype)} and (source) "
                           f"{torch_type_name(source.dtype)}")
    ours = [n for d, n in enumerate(self.shape) if d != axis]
    theirs = [n for d, n in enumerate(source.shape) if d != axis]
    if ours != theirs:
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {' '.join(map(str, ours))} at "
                           f"dimension {axis} and source slice shape: "
                           f"{' '.join(map(str, theirs))} at dimension 0.")
    if source.ndim and index.size != source.shape[axis]:
        raise IndexError(f"index_copy_(): Number of indices ({index.size}) should be equal to "
                         f"source.size(dim) ({source.shape[axis]})")
    error = _storage_error(self, axis, index.size)
    if error is not None:
        raise error
    length = self.shape[axis] if self.ndim else 1
    others = math.prod(n for d, n in enumerate(self.shape) if d != axis)
    bad = _first_bad(index, 0, length) if others else None
    if bad is not None:
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {axis} "
                         f"with size {length}")
    return (self, index, source), Attrs(dim=axis)


def _index_copy_into(out, inputs, attrs):
    index, source = inputs[1], inputs[2]
    if index.size == 0 or out.size == 0:
        return
    if out.ndim == 0:
        out[...] = source.reshape(())
        return
    key = _axis_key(out.ndim, attrs.dim, index)
    out[key] = source.reshape(out[key].shape) if source.ndim == 0 else source


# ------------------------------------------------------------------ index_fill

def _index_fill_normalize(input, dim, index, value):
    fn = "index_fill"
    self = _plain(input)
    dim = int_arg(dim, fn, "dim", 1)
    index = array_arg(index, fn, "index", 2)
    tensor = None
    if isinstance(value, np.ndarray) or hasattr(value, "__array__") and not isinstance(
            value, (np.generic, list, tuple)):
        tensor = value if isinstance(value, np.ndarray) else np.asarray(value)
        if tensor.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {tensor.ndim} dimension(s).")
        number = tensor[()].item()
    elif isinstance(value, (bool, int, float, complex, np.bool_, np.number)):
        number = value.item() if isinstance(value, np.generic) else value
    else:
        got = ("list of [" + ", ".join(sorted({type(v).__name__ for v in value})) + "]"
               if isinstance(value, (list, tuple)) else torch_typename(value))
        name = "list" if isinstance(value, list) else "tuple" if isinstance(
            value, tuple) else torch_typename(value)
        raise TypeError(f"index_fill() received an invalid combination of arguments - got "
                        f"(int, Tensor, {name}), but expected one of:\n"
                        f" * (int dim, Tensor index, Tensor value)\n"
                        f"      didn't match because some of the arguments have invalid "
                        f"types: (int, Tensor, !{got}!)\n"
                        f" * (int dim, Tensor index, Number value)\n"
                        f"      didn't match because some of the arguments have invalid "
                        f"types: (int, Tensor, !{got}!)\n")
    if index.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if isinstance(number, complex) and self.dtype.kind != "c":
        raise RuntimeError("index_fill_(): Converting complex Scalar to non-complex type is "
                           "not supported")
    axis = wrap_dim(dim, max(self.ndim, 1))
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    error = _storage_error(self, axis, index.size)
    if error is not None:
        raise error
    number = checked_scalar(number, self.dtype)
    length = self.shape[axis] if self.ndim else 1
    others = math.prod(n for d, n in enumerate(self.shape) if d != axis)
    bad = _first_bad(index, -length, length) if others else None
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {axis} with size "
                         f"{length}")
    return (self, index, None if tensor is None else tensor), Attrs(dim=axis, value=number)


def _index_fill_into(out, inputs, attrs):
    index = inputs[1]
    if index.size == 0 or out.size == 0:
        return
    if out.ndim == 0:
        out[...] = attrs.value
        return
    out[_axis_key(out.ndim, attrs.dim, index)] = attrs.value


# ------------------------------------------------------------------ scatter_reduce

_MISSING = object()


def _scatter_reduce_normalize(input, dim, index, src, reduce=_MISSING, *, include_self=True):
    fn = "scatter_reduce"
    if reduce is _MISSING:
        raise TypeError(f'{fn}() missing 1 required positional arguments: "reduce"')
    self = _plain(input)
    index = array_arg(index, fn, "index", 2)
    src = array_arg(src, fn, "src", 3)
    if not isinstance(reduce, str):
        raise TypeError(f"{fn}(): argument 'reduce' (position 4) must be str, not "
                        f"{torch_typename(reduce)}")
    if include_self is not True and include_self is not False:
        raise TypeError(f"{fn}(): argument 'include_self' must be bool, not "
                        f"{torch_typename(include_self)}")
    axis = wrap_dim(int_arg(dim, fn, "dim", 1), self.ndim)
    if index.size and index.dtype not in _INDEX_DTYPES:
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if src.dtype.newbyteorder("=") != self.dtype.newbyteorder("="):
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_shapes(self, axis, index, src)
    if reduce not in REDUCES and reduce not in _ALIASES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")
    check_index_bounds(self, axis, index)
    if reduce == "mean" and self.dtype == np.bool_:     # torch's loop, or its division
        kernel = "scatter_gather_tensor_cpu_reduce_mean" if index.size else "div_floor_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    return (self, index, src), Attrs(dim=axis, reduce=reduce, include_self=include_self)


_INITIAL = {"sum": 0, "mean": 0, "prod": 1}


def _initial(reduce, dtype):
    """The value a reduction starts from without the tensor's own (include_self=False)."""
    if dtype == np.bool_:
        return reduce in ("prod", "amin")
    if reduce in _INITIAL:
        return _INITIAL[reduce]
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _scatter_reduce_into(out, inputs, attrs):
    index, src = inputs[1], inputs[2]
    if index.size == 0:
        return
    target, key = _flat(out, attrs.dim, index)
    values = (src.reshape(-1)[:key.size] if out.ndim == 0 or index.ndim == 0
              else src[tuple(slice(0, n) for n in index.shape)])
    reduce = _ALIASES.get(attrs.reduce, attrs.reduce)
    if not attrs.include_self:
        target[key] = _initial(reduce, target.dtype)
    _reduce_flat(target, key, values, "sum" if reduce == "mean" else reduce)
    if reduce == "mean":
        counts = np.bincount(np.ravel(key), minlength=target.size) + attrs.include_self
        counts = np.maximum(counts, 1).astype(target.dtype)
        with np.errstate(all="ignore"):
            if target.dtype.kind in "fc":
                np.divide(target, counts, out=target)
            else:
                np.floor_divide(target, counts, out=target)
    _write_back(out, target)


def _needs_old_values(input, src, attrs):
    """Whether an in-place scatter_reduce_ is recorded with a backward that reads the
    tensor's values before the write."""
    return (attrs.reduce in ("prod", "amax", "amin") and _grad._mode.grad
            and any(getattr(x, "requires_grad", False) for x in (input, src)))


# ------------------------------------------------------------------ registration

def _same_meta(inputs, attrs):
    return inputs[0].shape, inputs[0].dtype.newbyteorder("=")


def _register(name, normalize, into):
    def run(inputs, attrs, out):
        np.copyto(out, inputs[0])
        into(out, inputs, attrs)

    def normalize_in_place(input, *args, **kwargs):
        inputs, attrs = normalize(input, *args, **kwargs)
        inputs = (input,) + inputs[1:]
        if name == "scatter_reduce" and _needs_old_values(input, inputs[2], attrs):
            inputs += (np.array(_plain(input)),)
        return inputs, attrs

    def run_in_place(inputs, attrs, out):
        target = _plain(inputs[0])
        if not target.flags.writeable:
            raise ValueError("assignment destination is read-only")     # numpy's refusal
        into(target, inputs, attrs)
        return inputs[0]

    register_single(name, normalize, _same_meta, run)
    register_single(name + "_", normalize_in_place, no_meta, run_in_place)


_register("index_add", _index_add_normalize, _index_add_into)
_register("index_copy", _index_copy_normalize, _index_copy_into)
_register("index_fill", _index_fill_normalize, _index_fill_into)
_register("scatter_reduce", _scatter_reduce_normalize, _scatter_reduce_into)
