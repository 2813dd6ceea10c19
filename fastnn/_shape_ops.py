"""Registry entries of the Tensor methods that reshape or select without computing: view,
reshape, expand, unsqueeze, squeeze, permute, transpose, t, diagonal, contiguous and indexing
(``x[key]``, op "index"). `fastnn.tensor`'s methods reach them through ``Tensor._door``.

Their metadata is None (nothing is allocated): each returns a view of its input, except
``reshape`` of a layout that cannot be viewed and indexing with tensors or lists (numpy's
advanced indexing), which copy, as torch does; ``contiguous`` of a C-contiguous tensor is
the tensor itself, of another layout a C-contiguous copy (described by its metadata).
The checks are torch's, in torch's words.
"""
from typing import NamedTuple

import numpy as np

from . import _registry
from ._args import (_dims_list, infer_shape, int_arg, int_tuple_arg, torch_type_name,
                    torch_typename, wrap_dim)
from ._array import blocked_copy
from ._registry import Attrs, NO_ATTRS

__all__ = ["IndexSlice", "IndexTensor"]

_plain_view = np.ndarray.view
_numel = np.ndarray.size.__get__


def _plain(x):
    return _plain_view(x, np.ndarray)


def self_only(input, *args, **kwargs):
    """The inputs of a method-like op whose other arguments are attributes: the caller's
    own array, so that an op that answers with its input returns the caller's object."""
    return (input,)


def no_meta(inputs, attrs):
    return None


def register_method(name, normalize, run, meta=no_meta, memoised=True, **fields):
    """A single-variant op whose first argument is the tensor and whose other arguments
    are attributes (memoised on their values unless `memoised` is False)."""
    return _registry.register_single(name, normalize, meta, run,
                                     arrays=self_only if memoised else None, **fields)


# ------------------------------------------------------------------ view, reshape

def _view_normalize(input, *shape):
    return (input,), Attrs(shape=infer_shape(int_tuple_arg(shape, "view"), _numel(input)))


def _view_run(inputs, attrs, out):
    try:
        return _plain(inputs[0]).reshape(attrs.shape, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least "
            "one dimension spans across two contiguous subspaces). Use .reshape(...) "
            "instead.") from None


def _reshape_normalize(input, *shape, **kwargs):
    if "shape" in kwargs:
        shape = (kwargs.pop("shape"),)
    if kwargs:
        raise TypeError(f"reshape() got an unexpected keyword argument '{next(iter(kwargs))}'")
    shape = infer_shape(int_tuple_arg(shape, "reshape", "shape"), _numel(input))
    return (input,), Attrs(shape=shape)


def _reshape_run(inputs, attrs, out):
    return _plain(inputs[0]).reshape(attrs.shape)


# ------------------------------------------------------------------ expand

def _expand_normalize(input, *sizes):
    sizes = int_tuple_arg(sizes, "expand")
    ndim, shape = input.ndim, input.shape
    if len(sizes) < ndim:
        raise RuntimeError(
            f"expand(fastnn.{torch_type_name(input.dtype)}Tensor{{{list(shape)}}}, "
            f"size={list(sizes)}): the number of sizes provided ({len(sizes)}) must be "
            f"greater or equal to the number of dimensions in the tensor ({ndim})")
    lead = len(sizes) - ndim
    target = []
    for i, n in enumerate(sizes):
        if i < lead:
            if n < 0:
                raise RuntimeError(f"The expanded size of the tensor ({n}) isn't allowed "
                                   f"in a leading, non-existing dimension {i}")
            target.append(n)
            continue
        have = shape[i - lead]
        if n == -1:
            n = have
        elif have != 1 and n != have:
            raise RuntimeError(
                f"The expanded size of the tensor ({n}) must match the existing size "
                f"({have}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                f"Tensor sizes: {list(shape)}")
        target.append(n)
    return (input,), Attrs(size=tuple(target))


def _expand_run(inputs, attrs, out):
    return np.broadcast_to(_plain(inputs[0]), attrs.size)


# ------------------------------------------------------------------ unsqueeze, squeeze

def _unsqueeze_normalize(input, dim):
    return (input,), Attrs(dim=wrap_dim(int_arg(dim, "unsqueeze", "dim"), input.ndim + 1))


def _unsqueeze_run(inputs, attrs, out):
    return np.expand_dims(_plain(inputs[0]), attrs.dim)


def _squeeze_normalize(input, *args, **kwargs):
    """``squeeze()`` / ``squeeze(dim)`` / ``squeeze(dims)``: Attrs(dim=the size-1 dims to
    drop, or None for every size-1 dim)."""
    if "dim" in kwargs:
        args += (kwargs.pop("dim"),)
    if kwargs or len(args) > 1:
        raise TypeError("squeeze() takes at most one argument 'dim'")
    if not args:
        return (input,), Attrs(dim=None)
    if args[0] is None:
        raise TypeError("squeeze() received an invalid combination of arguments - got "
                        "(NoneType), but expected one of:\n * ()\n * (int dim)\n"
                        " * (tuple of ints dim)\n")
    ndim = input.ndim
    dims = args[0] if isinstance(args[0], (tuple, list)) else (args[0],)
    dims = _dims_list([int_arg(d, "squeeze", "dim") for d in dims], ndim) or ()
    return (input,), Attrs(dim=tuple(d for d in dims if ndim and input.shape[d] == 1))


def _squeeze_run(inputs, attrs, out):
    return _plain(inputs[0]).squeeze(axis=attrs.dim)


# ------------------------------------------------------------------ permute, transpose, t

def _permute_normalize(input, *dims):
    dims = int_tuple_arg(dims, "permute", "dims")
    ndim = input.ndim
    if len(dims) != ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not "
            f"match the length of the desired ordering of dimensions i.e. input.dim() = "
            f"{ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return (input,), Attrs(dims=dims)


def _permute_run(inputs, attrs, out):
    return _plain(inputs[0]).transpose(attrs.dims)


def _transpose_normalize(input, dim0, dim1):
    dim0 = int_arg(dim0, "transpose", "dim0", 1)
    dim1 = int_arg(dim1, "transpose", "dim1", 2)
    return (input,), Attrs(dim0=wrap_dim(dim0, input.ndim), dim1=wrap_dim(dim1, input.ndim))


def _transpose_run(inputs, attrs, out):
    return _plain(inputs[0]).swapaxes(attrs.dim0, attrs.dim1)


def _t_normalize(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return (input,), NO_ATTRS


def _t_run(inputs, attrs, out):
    return _plain(inputs[0]).transpose()


# ------------------------------------------------------------------ contiguous

def _contiguous_normalize(input):
    return (input,), NO_ATTRS


def _contiguous_meta(inputs, attrs):
    x = inputs[0]
    return None if x.flags.c_contiguous else (x.shape, x.dtype)


def _contiguous_run(inputs, attrs, out):
    if out is None:
        return inputs[0]            # already C-contiguous: torch returns the tensor itself
    x = _plain(inputs[0])
    if blocked_copy(x, out) is None:
        np.copyto(out, x)
    return out


# ------------------------------------------------------------------ indexing

class IndexSlice(NamedTuple):
    """A slice in an index's canonical attributes (a slice is unhashable before 3.12)."""
    start: object
    stop: object
    step: object

    def __repr__(self):
        text = "" if self.start is None else repr(self.start)
        text += ":" + ("" if self.stop is None else repr(self.stop))
        return text if self.step is None else f"{text}:{self.step!r}"


class IndexTensor(NamedTuple):
    """An array (tensor, list) in an index: it is the op's input number `position` + 1."""
    position: int

    def __repr__(self):
        return f"<input {self.position + 1}>"


def _index_normalize(input, key):
    """``x[key]``: inputs (x, index arrays...), Attrs(index=the key with every slice an
    `IndexSlice` and every array or list an `IndexTensor`)."""
    parts = key if type(key) is tuple else (key,)
    arrays, canonical = [], []
    for part in parts:
        kind = type(part)
        if kind is slice:
            canonical.append(IndexSlice(part.start, part.stop, part.step))
        elif isinstance(part, np.ndarray) or kind is list or (
                hasattr(part, "__array__") and not isinstance(part, np.generic)):
            canonical.append(IndexTensor(len(arrays)))
            arrays.append(part if isinstance(part, np.ndarray) else np.asarray(part))
        else:
            canonical.append(part)          # an int, None, Ellipsis, a numpy integer
    _check_basic_index(input.shape, canonical)
    return (input, *arrays), Attrs(index=tuple(canonical))


def _check_basic_index(shape, parts):
    """torch's refusals of the ints, slices, None and Ellipsis in an index (an array
    part's own bounds are numpy's to check)."""
    consumed = sum(1 for part in parts if part is not None and part is not Ellipsis
                   and not isinstance(part, (bool, np.bool_)))
    if consumed > len(shape) and not any(type(part) is IndexTensor for part in parts):
        if not shape and consumed == 1 and type(parts[-1]) is IndexSlice:
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        if not shape and consumed == 1:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python "
                             "or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a "
                             "number")
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    dim = 0
    for position, part in enumerate(parts):
        if part is Ellipsis:
            dim += len(shape) - consumed
        elif part is None or isinstance(part, (bool, np.bool_)):
            continue
        elif isinstance(part, (int, np.integer)):
            # torch names the key position, not the tensor's dim, after a None/Ellipsis
            if not -shape[dim] <= part < shape[dim]:
                raise IndexError(f"index {part} is out of bounds for dimension {position} "
                                 f"with size {shape[dim]}")
            dim += 1
        elif type(part) is IndexSlice:
            dim += 1
        elif type(part) is IndexTensor:
            return                  # numpy checks the rest after an array part
        elif type(part) is str:
            raise TypeError("new(): invalid data type 'str'")
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long "
                             f"or byte Variables are valid indices (got "
                             f"{torch_typename(part)})")


def _index_key(inputs, index):
    key = []
    for part in index:
        kind = type(part)
        if kind is IndexSlice:
            key.append(slice(*part))
        elif kind is IndexTensor:
            array = inputs[1 + part.position]
            key.append(_plain(array) if isinstance(array, np.ndarray) else array)
        else:
            key.append(part)
    return tuple(key)


def _index_arrays(input, key):
    """The inputs of a remembered index: keys of ints alone, one array or one list of ints
    (the only keys `call_key` remembers)."""
    if isinstance(key, np.ndarray):
        return (input, key)
    if type(key) is list:
        return (input, np.asarray(key))
    return (input,)


def _index_plan(inputs, attrs, meta):
    """numpy's key, once per remembered call when it holds no tensor; a trailing Ellipsis
    (where the key has none) makes a full integer index a 0-d view, as torch gives, and
    changes nothing else."""
    if any(type(part) is IndexTensor for part in attrs.index):
        return None
    return _numpy_key(_index_key(inputs, attrs.index))


def _numpy_key(key):
    return key if any(part is Ellipsis for part in key) else key + (Ellipsis,)


def _index_kernel_args(inputs, attrs, out, key):
    return inputs, attrs, key


def _index_run(inputs, attrs, key):
    if key is None:
        key = _numpy_key(_index_key(inputs, attrs.index))
    try:
        return _plain(inputs[0])[key]
    except IndexError as error:     # an array part out of bounds: numpy's check, torch's word
        raise IndexError(str(error).replace(" for axis ", " for dimension ")) from None


def _diagonal_normalize(input, offset=0, dim1=0, dim2=1):
    offset = int_arg(offset, "diagonal", "offset", 1)
    first, second = wrap_dim(dim1, input.ndim), wrap_dim(dim2, input.ndim)
    if first == second:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return (input,), Attrs(offset=offset, dim1=first, dim2=second)


def diagonal_view(x, offset, dim1, dim2):
    """A writable view of `x`'s diagonal `offset` in the planes of dims `dim1` and `dim2`,
    as the last dim (numpy's ``diagonal`` is read-only)."""
    planes = np.moveaxis(x, (dim1, dim2), (-2, -1))
    planes = planes[..., :, offset:] if offset >= 0 else planes[..., -offset:, :]
    length = min(planes.shape[-2], planes.shape[-1])
    return np.lib.stride_tricks.as_strided(
        planes, planes.shape[:-2] + (length,),
        planes.strides[:-2] + (planes.strides[-2] + planes.strides[-1],),
        writeable=planes.flags.writeable)


def _diagonal_run(inputs, attrs, out):
    return diagonal_view(_plain(inputs[0]), attrs.offset, attrs.dim1, attrs.dim2)


register_method("view", _view_normalize, _view_run)
register_method("diagonal", _diagonal_normalize, _diagonal_run)
register_method("reshape", _reshape_normalize, _reshape_run)
register_method("expand", _expand_normalize, _expand_run)
register_method("unsqueeze", _unsqueeze_normalize, _unsqueeze_run)
register_method("squeeze", _squeeze_normalize, _squeeze_run)
register_method("permute", _permute_normalize, _permute_run)
register_method("transpose", _transpose_normalize, _transpose_run)
register_method("t", _t_normalize, _t_run)
register_method("contiguous", _contiguous_normalize, _contiguous_run, meta=_contiguous_meta,
                layout_key=True)
_registry.register_single("index", _index_normalize, no_meta, _index_run,
                          arrays=_index_arrays, plan=_index_plan,
                          kernel_args=_index_kernel_args)
