"""Registry entries of torch's splitting and selecting ops: split, chunk (views), roll, flip,
topk, index_select and gather. The Tensor methods (`fastnn._tensor_select_methods`) and
the top-level functions (`fastnn._tensor_functions`) reach them through the door.

split and chunk return views of the input (their metadata is None), as torch's do; the
others allocate their result, described by their metadata. Index values are checked on
every call (an index array is an input, so those calls are not memoised).
"""
import itertools

import numpy as np

from ._args import _is_int, bool_arg, int_arg, int_tuple_arg, wrap_dim
from ._registry import Attrs, register_single
from ._shape_ops import register_method

__all__ = ["along_axis_offsets", "check_index_bounds"]

_INT64 = np.dtype(np.int64)
_plain_view = np.ndarray.view


def _plain(x):
    return _plain_view(x, np.ndarray)


def _index_array(index):
    """An index argument (Tensor, ndarray, torch tensor) as a plain ndarray."""
    if isinstance(index, np.ndarray):
        return _plain(index)
    return np.asarray(index)


# ------------------------------------------------------------------ split, chunk

def _split_dim(input, dim, fn):
    if input.ndim == 0:
        raise RuntimeError(f"{fn} expects at least a 1-dimensional tensor")
    return wrap_dim(int_arg(dim, fn, "dim", 2), input.ndim)


def _split_normalize(input, split_size_or_sections, dim=0):
    """``split(int)``: equal parts (the last smaller); ``split(list)``: those sizes.
    Attrs(sizes=the part sizes, dim=the wrapped dim)."""
    sizes = split_size_or_sections
    if isinstance(sizes, (bool, np.bool_)):
        raise TypeError(
            "split() received an invalid combination of arguments - got (Tensor, bool, int), "
            "but expected one of:\n * (Tensor input, int split_size, int dim = 0)\n"
            "      didn't match because some of the arguments have invalid types: "
            "(Tensor, !bool!, !int!)\n * (Tensor input, tuple of ints split_size, int dim = 0)"
            "\n      didn't match because some of the arguments have invalid types: "
            "(Tensor, !bool!, !int!)\n")
    if _is_int(sizes):
        axis = _split_dim(input, dim, "split")
        return (input,), Attrs(sizes=_equal_parts(int(sizes), input.shape[axis]), dim=axis)
    if not isinstance(sizes, (tuple, list)):
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 2) must be "
                        f"tuple of ints, not {type(sizes).__name__}")
    for pos, size in enumerate(sizes):
        if not _is_int(size):
            raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 2) must "
                            f"be tuple of ints, but found element of type "
                            f"{type(size).__name__} at pos {pos}")
    sizes = tuple(int(s) for s in sizes)
    axis = _split_dim(input, dim, "split_with_sizes")
    length = input.shape[axis]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative "
                           f"entries, but got split_sizes={list(sizes)}")
    if sum(sizes) != length:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {length} "
                           f"(input tensor's size at dimension {dim}), but got "
                           f"split_sizes={list(sizes)}")
    return (input,), Attrs(sizes=sizes, dim=axis)


def _equal_parts(split_size, length):
    if split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got "
                           f"split_size={split_size}")
    if split_size == 0:
        if length:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {length}")
        return (0,)
    full, rest = divmod(length, split_size)
    return (split_size,) * full + ((rest,) if rest or not full else ())


def _chunk_normalize(input, chunks, dim=0):
    chunks = int_arg(chunks, "chunk", "chunks", 1)
    if input.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    axis = wrap_dim(int_arg(dim, "chunk", "dim", 2), input.ndim)
    length = input.shape[axis]
    split_size = -(-length // chunks)
    sizes = (0,) * chunks if length == 0 else _equal_parts(split_size, length)
    return (input,), Attrs(sizes=sizes, dim=axis)


def _split_run(inputs, attrs, out):
    x, dim = _plain(inputs[0]), attrs.dim
    head = (slice(None),) * dim
    parts, start = [], 0
    for size in attrs.sizes:
        parts.append(x[head + (slice(start, start + size),)])
        start += size
    return tuple(parts)


# ------------------------------------------------------------------ roll

def _roll_normalize(input, shifts, dims=None):
    shifts = _int_tuple(shifts, "roll", "shifts", 1)
    if dims is None:
        dims = ()
    else:
        dims = _int_tuple(dims, "roll", "dims", 2)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and len(shifts) == 1:
        return (input,), Attrs(shifts=shifts, dims=None)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    dims = tuple(wrap_dim(d, input.ndim, wrap_scalar=False) for d in dims)
    return (input,), Attrs(shifts=shifts, dims=dims)


def _int_tuple(value, fn, name, position):
    """A torch ``int[]`` argument: one int or a sequence of ints."""
    if isinstance(value, (tuple, list)):
        return int_tuple_arg((value,), fn, name) if value else ()
    if _is_int(value):
        return (int(value),)
    raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be tuple of "
                    f"ints, not {type(value).__name__}")


def _same_meta(inputs, attrs):
    return inputs[0].shape, inputs[0].dtype


def _roll_run(inputs, attrs, out):
    x = _plain(inputs[0])
    if attrs.dims is None:          # rolled as if flattened
        _roll_into(x.reshape(-1), out.reshape(-1), attrs.shifts, (0,))
    else:
        _roll_into(x, out, attrs.shifts, attrs.dims)


def _roll_into(x, out, shifts, dims):
    """`x` rolled into `out` without a temporary: one block copy per combination of the
    two halves of every rolled dim (numpy's np.roll allocates its own result)."""
    moves = {}
    for shift, dim in zip(shifts, dims):
        moves[dim] = moves.get(dim, 0) + shift
    pieces = []
    for dim, shift in moves.items():
        n = x.shape[dim]
        shift = shift % n if n else 0
        pieces.append([(dim, slice(0, n - shift), slice(shift, n)),
                       (dim, slice(n - shift, n), slice(0, shift))])
    for combination in itertools.product(*pieces):
        src, dst = [slice(None)] * x.ndim, [slice(None)] * x.ndim
        for dim, source, target in combination:
            src[dim], dst[dim] = source, target
        out[tuple(dst)] = x[tuple(src)]


# ------------------------------------------------------------------ flip

def _flip_normalize(input, dims):
    dims = tuple(wrap_dim(d, input.ndim) for d in _int_tuple(dims, "flip", "dims", 2))
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return (input,), Attrs(dims=tuple(sorted(dims)))


def _flip_run(inputs, attrs, out):
    x = _plain(inputs[0])
    out[...] = x[tuple(slice(None, None, -1) if d in attrs.dims else slice(None)
                       for d in range(x.ndim))]


# ------------------------------------------------------------------ topk

def _topk_normalize(input, k, dim=-1, largest=True, sorted=True):
    k = int_arg(k, "topk", "k", 1)
    axis = wrap_dim(int_arg(dim, "topk", "dim", 2), input.ndim)
    length = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= length:
        raise RuntimeError("selected index k out of range")
    if input.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    largest = bool_arg(largest, "topk", "largest", 3)
    sorted = bool_arg(sorted, "topk", "sorted", 4)
    return (input,), Attrs(k=k, dim=axis, largest=largest, sorted=sorted)


def _topk_meta(inputs, attrs):
    x = inputs[0]
    shape = x.shape[:attrs.dim] + (attrs.k,) + x.shape[attrs.dim + 1:] if x.ndim else ()
    return [(shape, x.dtype), (shape, _INT64)]


def _topk_run(inputs, attrs, out):
    values, indices = out
    x = _plain(inputs[0])
    if x.ndim == 0:
        values[...] = x
        indices[...] = 0
        return
    dim, k, n = attrs.dim, attrs.k, x.shape[attrs.dim]
    if k == 0:
        return
    head = (slice(None),) * dim
    # numpy's partition counts NaN above every number, as torch's topk does: the k
    # candidates first (a partition), then only they are sorted
    candidates = None
    if k < n:
        cut = n - k if attrs.largest else k - 1
        part = np.argpartition(x, cut, axis=dim)
        candidates = part[head + ((slice(n - k, n) if attrs.largest else slice(0, k)),)]
        x_part = np.take_along_axis(x, candidates, dim)
    else:
        x_part = x
    if attrs.largest:       # descending, NaN first
        order = np.argsort(np.flip(x_part, dim), axis=dim, kind="stable")
        order = x_part.shape[dim] - 1 - np.flip(order, dim)
    else:
        order = np.argsort(x_part, axis=dim, kind="stable")
    values[...] = np.take_along_axis(x_part, order, dim)
    indices[...] = order if candidates is None else np.take_along_axis(candidates, order, dim)


# ------------------------------------------------------------------ index_select, gather

def _check_index_dtype(index, message):
    if index.dtype not in (np.dtype(np.int64), np.dtype(np.int32)):
        raise RuntimeError(message)


def _index_select_normalize(input, dim, index):
    x, index = _plain(input), _index_array(index)
    axis = wrap_dim(int_arg(dim, "index_select", "dim", 1), x.ndim)
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    _check_index_dtype(index, "index_select(): Expected dtype int32 or int64 for index")
    length = x.shape[axis] if x.ndim else 1
    if x.ndim and length == 0 and index.size:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    bad = index[(index < 0) | (index >= length)] if index.size else index[:0]
    if bad.size:
        if x.ndim >= 2 and axis == 1:           # torch's kernel for dim 1 words it so
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad.flat[0]} "
                               f"axis_dim={length}")
        raise IndexError("index out of range in self")
    return (x, index.reshape(-1)), Attrs(dim=axis)


def _index_select_meta(inputs, attrs):
    x, index = inputs
    if x.ndim == 0:
        return (), x.dtype
    return x.shape[:attrs.dim] + index.shape + x.shape[attrs.dim + 1:], x.dtype


def _index_select_run(inputs, attrs, out):
    x, index = inputs
    if x.ndim == 0:
        out[...] = x
        return
    np.take(x, index, axis=attrs.dim, out=out)


def _gather_normalize(input, dim, index, *, sparse_grad=False):
    x, index = _plain(input), _index_array(index)
    axis = wrap_dim(int_arg(dim, "gather", "dim", 1), x.ndim)
    _check_index_dtype(index, "gather(): Expected dtype int32/int64 for index")
    if index.size:                  # torch takes an empty index of any shape
        check_index_shape(x, axis, index)
    check_index_bounds(x, axis, index)
    return (x, index), Attrs(dim=axis)


def check_index_shape(x, axis, index, src=None):
    """gather's and scatter's shape rules: as many dims as `x`, no larger than `x` (and
    `src`) in any dim but `axis` (0-d counts as 1-d)."""
    if max(index.ndim, 1) != max(x.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor" if src is None else "Index tensor must have the same "
                           "number of dimensions as self tensor")
    if index.ndim == 0 or x.ndim == 0:
        return
    too_large = any(n > m for d, (n, m) in enumerate(zip(index.shape, x.shape)) if d != axis)
    if src is None:
        for d, (n, m) in enumerate(zip(index.shape, x.shape)):
            if d != axis and n > m:
                raise RuntimeError(f"Size does not match at dimension {d} expected index "
                                   f"{list(index.shape)} to be no larger than self "
                                   f"{list(x.shape)} apart from dimension {axis}")
        return
    if src.ndim and any(n > m for n, m in zip(index.shape, src.shape)):
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                           f"{list(x.shape)} apart from dimension {axis} and to be no larger "
                           f"size than src {list(src.shape)}")
    if too_large:
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                           f"{list(x.shape)} apart from dimension {axis}")


def check_index_bounds(x, axis, index):
    """torch's refusal of the first index outside [0, size of `axis`)."""
    if not index.size:
        return
    length = x.shape[axis] if x.ndim else 1
    bad = index[(index < 0) | (index >= length)]
    if bad.size:
        raise RuntimeError(f"index {bad.flat[0]} is out of bounds for dimension {axis} with "
                           f"size {length}")


def along_axis_offsets(shape, axis, index):
    """For every element of `index`: the flat offset, in a C-contiguous array of `shape`,
    of the element at that index along `axis` and at the same position elsewhere (one
    int64 array; numpy's take/put on offsets beat its advanced indexing several times)."""
    strides = np.cumprod((1,) + shape[:0:-1])[::-1]
    offsets = index * strides[axis] if strides[axis] != 1 else index.astype(np.int64)
    for d, n in enumerate(index.shape):
        if d != axis and n > 1 and strides[d]:
            offsets = offsets + (np.arange(n) * strides[d]).reshape(
                (n,) + (1,) * (index.ndim - d - 1))
    return offsets


def _gather_meta(inputs, attrs):
    return inputs[1].shape, inputs[0].dtype


def _gather_run(inputs, attrs, out):
    x, index = inputs
    if out.size == 0:
        return
    if x.ndim == 0 or index.ndim == 0:
        out[...] = np.atleast_1d(x)[np.atleast_1d(index)].reshape(out.shape)
        return
    x = np.ascontiguousarray(x)
    np.take(x.reshape(-1), along_axis_offsets(x.shape, attrs.dim, index), out=out,
            mode="clip")            # the offsets are checked: no second bounds check


register_method("split", _split_normalize, _split_run)
register_method("chunk", _chunk_normalize, _split_run)
register_method("roll", _roll_normalize, _roll_run, meta=_same_meta)
register_method("flip", _flip_normalize, _flip_run, meta=_same_meta)
register_method("topk", _topk_normalize, _topk_run, meta=_topk_meta)
register_single("index_select", _index_select_normalize, _index_select_meta,
                _index_select_run)
register_single("gather", _gather_normalize, _gather_meta, _gather_run)
