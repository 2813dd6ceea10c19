"""Registry entries of the ops that copy or write data without arithmetic: clone, to (every
dtype conversion: ``float()``, ``double()``, ``type(...)``, ``type_as``...), repeat, cat,
stack, masked_fill, and the in-place writers fill_, zero_, copy_, masked_fill_, normal_,
uniform_. The Tensor methods and the top-level functions reach them through the door.

Metadata: in-place ops and conversions that change nothing answer None (the result is the
input itself). ``clone`` and ``to`` keep the input's layout, as torch's preserve_format
does: for a C-contiguous input their metadata is the output's (the door allocates it), for
another layout None (numpy's order-'K' copy).
"""
import itertools
import math
import operator

import numpy as np

from ._args import (_is_dtype_like, _is_int, check_broadcast_into, int_arg, torch_type_name,
                    torch_typename, wrap_dim)
from ._array import FLOAT_DTYPES, as_array
from ._dtypes import as_dtype, promote
from ._reductions import repeat_into, repeat_sizes
from . import _select_grad
from .kernels import block_copy as _block_copy
from ._registry import Attrs, NO_ATTRS, register_backward, register_single
from ._runtime import SERIAL_MAX_WORK, launch
from ._sampling import normal_fill, uniform_fill
from ._shape_ops import no_meta, register_method
from ._torch_types import check_device, device as _Device

__all__ = ["sample_normal", "sample_uniform"]

_plain_view = np.ndarray.view


def _plain(x):
    return _plain_view(x, np.ndarray)


# ------------------------------------------------------------------ clone, to

def _clone_normalize(input):
    return (input,), NO_ATTRS


def _copy_meta(x, dtype):
    """A copy's metadata: allocated by the door only where that keeps the layout."""
    return (x.shape, dtype) if x.flags.c_contiguous else None


def _clone_meta(inputs, attrs):
    return _copy_meta(inputs[0], inputs[0].dtype)


def _clone_run(inputs, attrs, out):
    x = _plain(inputs[0])
    if out is None:
        return np.array(x, copy=True, order="K")
    np.copyto(out, x)


def _to_normalize(input, *args, dtype=None, device=None, copy=False, non_blocking=False,
                  memory_format=None):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``: Attrs(dtype=
    the result's dtype, copy=whether a copy is asked for)."""
    args = list(args)
    if args and (isinstance(args[0], (str, _Device)) or _is_int(args[0])):
        device = args.pop(0)
    if args and isinstance(args[0], np.ndarray):
        dtype = args.pop(0).dtype
    elif args and _is_dtype_like(args[0]) and not isinstance(args[0], str):
        dtype = args.pop(0)
    if args and isinstance(args[0], (bool, np.bool_)):
        args.pop(0)                     # non_blocking: nothing is asynchronous here
    if args and isinstance(args[0], (bool, np.bool_)):
        copy = args.pop(0)
    if args:
        raise TypeError(f"to() received an invalid combination of arguments - got "
                        f"{tuple(type(a).__name__ for a in args)}")
    check_device(device)
    dtype = input.dtype if dtype is None else as_dtype(dtype, "to")
    return (input,), Attrs(dtype=dtype, copy=bool(copy))


def _to_meta(inputs, attrs):
    x = inputs[0]
    if x.dtype == attrs.dtype and not attrs.copy:
        return None                     # torch returns the tensor itself
    return _copy_meta(x, attrs.dtype)


def _to_run(inputs, attrs, out):
    x = inputs[0]
    if x.dtype == attrs.dtype and not attrs.copy:
        return x
    with np.errstate(invalid="ignore"):     # torch casts NaN and inf without a warning
        if out is None:
            return _plain(x).astype(attrs.dtype)
        np.copyto(out, _plain(x), casting="unsafe")


# ------------------------------------------------------------------ in-place writers

def _fill_normalize(input, value):
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        value = np.asarray(value)
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got "
                               f"tensor with {value.ndim} dimensions.")
        value = value[()]
    elif not isinstance(value, (int, float, complex, np.generic)):
        raise TypeError(f"fill_() received an invalid combination of arguments - got "
                        f"({type(value).__name__})")
    return (input,), Attrs(value=value)


def _fill_run(inputs, attrs, out):
    np.ndarray.fill(inputs[0], attrs.value)
    return inputs[0]


def _zero_normalize(input):
    return (input,), NO_ATTRS


def _zero_run(inputs, attrs, out):
    np.ndarray.fill(inputs[0], 0)
    return inputs[0]


def _copy_normalize(input, src, non_blocking=False):
    if isinstance(src, (str, bytes)):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    src = np.asarray(src)
    check_broadcast_into(input.shape, src.shape)
    return (input, src), NO_ATTRS


def _copy_arrays(input, src, non_blocking=False):
    return input, np.asarray(src)


def _copy_run(inputs, attrs, out):
    np.copyto(inputs[0], inputs[1], casting="unsafe")
    return inputs[0]


def _random_dtype(x, kernel):
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{torch_type_name(x.dtype)}'")


def _normal_normalize(input, mean=0.0, std=1.0, *, generator=None):
    _random_dtype(input, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return (input,), Attrs(mean=mean, std=std, generator=generator)


def _normal_run(inputs, attrs, out):
    normal_fill(_plain(inputs[0]), attrs.mean, attrs.std, attrs.generator)
    return inputs[0]


def sample_normal(x, generator=None):
    """`x` filled as ``x.normal_(generator=generator)`` is, outside the door: for the
    factories (randn, randn_like), which create a tensor rather than compute on one."""
    _normal_run(*_normal_normalize(x, generator=generator), None)
    return x


def sample_uniform(x, generator=None):
    """`x` filled as ``x.uniform_(generator=generator)`` is, outside the door (rand)."""
    _uniform_run(*_uniform_normalize(x, generator=generator), None)
    return x


def _uniform_bounds(args, kwargs):
    names = ("from", "to")
    values = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names or key in values:
            raise TypeError(f"uniform_() got an unexpected keyword argument '{key}'")
        values[key] = value
    return values.get("from", 0.0), values.get("to", 1.0)


def _uniform_normalize(input, *args, generator=None, **kwargs):
    """``uniform_(from=0, to=1, *, generator=None)``."""
    _random_dtype(input, "check_uniform_bounds")
    low, high = _uniform_bounds(args, kwargs)
    if low > high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={low} > to={high}")
    return (input,), Attrs(**{"from": low, "to": high}, generator=generator)


def _uniform_run(inputs, attrs, out):
    uniform_fill(_plain(inputs[0]), attrs["from"], attrs["to"], attrs.generator)
    return inputs[0]


# ------------------------------------------------------------------ masked_fill

_C_TYPE_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short",
                 "int32": "int", "int64": "long int", "float32": "float", "float64": "double"}


def _masked_fill_normalize(input, mask, value):
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"masked_fill() received an invalid combination of arguments - got "
                        f"({torch_typename(mask)}, {torch_typename(value)})")
    if mask.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with "
                           f"dtype {_C_TYPE_NAMES.get(mask.dtype.name, mask.dtype.name)}")
    tensor = None
    if isinstance(value, np.ndarray):
        if value.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, "
                               f"but got tensor with {value.ndim} dimension(s).")
        tensor, value = _plain(value), value[()]
    elif not isinstance(value, (bool, int, float, complex, np.generic)):
        raise TypeError(f"masked_fill() received an invalid combination of arguments - got "
                        f"(Tensor, {torch_typename(value)})")
    # a value tensor stays an input: its gradient is the sum of the filled positions'
    return (input, _plain(mask), tensor), Attrs(value=value)


def _masked_fill_inplace_normalize(input, mask, value):
    inputs, attrs = _masked_fill_normalize(input, mask, value)
    check_broadcast_into(input.shape, inputs[1].shape)
    return inputs, attrs


def _mask_arrays(input, mask, value):
    return input, _plain(mask), _plain(value) if isinstance(value, np.ndarray) else None


def _masked_fill_meta(inputs, attrs):
    return np.broadcast_shapes(inputs[0].shape, inputs[1].shape), inputs[0].dtype


def _masked_fill_run(inputs, attrs, out):
    np.copyto(out, _plain(inputs[0]))
    np.copyto(out, attrs.value, where=inputs[1], casting="unsafe")


def _masked_fill_inplace_run(inputs, attrs, out):
    np.copyto(_plain(inputs[0]), attrs.value, where=inputs[1], casting="unsafe")
    return inputs[0]


# ------------------------------------------------------------------ repeat

def _repeat_normalize(input, *sizes):
    sizes, shape = repeat_sizes(input, sizes)
    return (input,), Attrs(sizes=sizes, shape=shape)


def _repeat_meta(inputs, attrs):
    return attrs.shape, inputs[0].dtype


def _repeat_run(inputs, attrs, out):
    repeat_into(_plain(inputs[0]), attrs.sizes, out)


# ------------------------------------------------------------------ cat, stack

def _tensor_list(tensors, fn):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    arrays = []
    for i, t in enumerate(tensors):
        if isinstance(t, np.ndarray):       # a Tensor or an ndarray: as_array's first case
            arrays.append(t if type(t) is np.ndarray else _plain_view(t, np.ndarray))
            continue
        if not hasattr(t, "__array__"):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
        arrays.append(as_array(t))
    return arrays


_plain_view = np.ndarray.view


def _cat_normalize(tensors, dim=0):
    """torch.cat's checks: (the arrays, Attrs(dim=the wrapped dim, None when every input
    is a skipped 1-d empty tensor))."""
    arrays = _tensor_list(tensors, "cat")
    if not arrays:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    if not _is_int(dim):
        raise TypeError(f"cat(): argument 'dim' must be int, not {type(dim).__name__}")
    dim = operator.index(dim)
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               f"concatenated")
    used = [(i, a) for i, a in enumerate(arrays) if a.shape != (0,)]
    if not used:
        return tuple(arrays), Attrs(dim=None)
    first = used[0][1]
    axis = wrap_dim(dim, first.ndim)
    rest = first.shape[:axis] + first.shape[axis + 1:]
    if all(a.shape[:axis] + a.shape[axis + 1:] == rest and a.ndim == first.ndim
           for _, a in used):
        return tuple(arrays), Attrs(dim=axis)
    for i, a in used[1:]:           # the first that does not fit, in torch's words
        if a.ndim != first.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got "
                               f"{first.ndim} and {a.ndim}")
        for d in range(a.ndim):
            if d != axis and a.shape[d] != first.shape[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size "
                    f"{first.shape[d]} but got size {a.shape[d]} for tensor number {i} in the "
                    f"list.")
    return tuple(arrays), Attrs(dim=axis)


def _cat_meta(inputs, attrs):
    dtype = promote(a.dtype for a in inputs)
    used = [a for a in inputs if a.shape != (0,)]       # torch's legacy rule skips them
    if attrs.dim is None:
        return (0,), dtype
    dim = attrs.dim                 # read once: an attribute of Attrs is a lookup
    shape = list(used[0].shape)
    shape[dim] = sum(a.shape[dim] for a in used)
    return tuple(shape), dtype


def _cat_run(inputs, attrs, out):
    if attrs.dim is None:
        return
    used = [a for a in inputs if a.shape != (0,)]
    dim = attrs.dim
    large = ([a.size >= SERIAL_MAX_WORK for a in used] if out.size >= 2 * SERIAL_MAX_WORK
             and out.dtype in FLOAT_DTYPES else ())
    if not (any(large) and all(a.dtype == out.dtype and a.flags.c_contiguous for a in used)):
        np.concatenate(used, axis=dim, out=out, casting="unsafe")
        return
    # each input is a block of rows of the output seen as (outer, columns): a large one is
    # copied on every thread (`kernels.block_copy`), each run of small ones by numpy
    rows = math.prod(out.shape[:dim])
    columns = out.reshape(rows, -1)
    first = 0
    for is_large, run in itertools.groupby(zip(large, used), key=lambda pair: pair[0]):
        blocks = [a.reshape(rows, -1) for _, a in run]
        if is_large:
            for block in blocks:
                launch(_block_copy.copy_columns, block, columns, first, work=block.size)
                first += block.shape[1]
        else:
            end = first + sum(block.shape[1] for block in blocks)
            np.concatenate(blocks, axis=1, out=columns[:, first:end])
            first = end


def _stack_normalize(tensors, dim=0):
    arrays = _tensor_list(tensors, "stack")
    if not arrays:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, a in enumerate(arrays[1:], 1):
        if a.shape != arrays[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(arrays[0].shape)} "
                f"at entry 0 and {list(a.shape)} at entry {i}")
    axis = wrap_dim(int_arg(dim, "stack", "dim", 2), arrays[0].ndim + 1)
    return tuple(arrays), Attrs(dim=axis)


def _stack_meta(inputs, attrs):
    shape = list(inputs[0].shape)
    shape.insert(attrs.dim, len(inputs))
    return tuple(shape), promote(a.dtype for a in inputs)


def _stack_run(inputs, attrs, out):
    np.stack(inputs, axis=attrs.dim, out=out, casting="unsafe")


register_method("clone", _clone_normalize, _clone_run, meta=_clone_meta, layout_key=True)
register_method("to", _to_normalize, _to_run, meta=_to_meta, layout_key=True)
register_method("fill_", _fill_normalize, _fill_run)
register_method("zero_", _zero_normalize, _zero_run)
register_single("copy_", _copy_normalize, no_meta, _copy_run, arrays=_copy_arrays)
register_method("normal_", _normal_normalize, _normal_run)
register_method("uniform_", _uniform_normalize, _uniform_run)
register_single("masked_fill", _masked_fill_normalize, _masked_fill_meta, _masked_fill_run,
                arrays=_mask_arrays)
register_single("masked_fill_", _masked_fill_inplace_normalize, no_meta,
                _masked_fill_inplace_run, arrays=_mask_arrays)
for _name in ("masked_fill", "masked_fill_"):
    register_backward(_name, *_select_grad.BACKWARDS[_name])
register_method("repeat", _repeat_normalize, _repeat_run, meta=_repeat_meta)
# the tensors come in a list: such a call is never memoised (`call_key` keys no list of
# arrays), its checks run every time
register_single("cat", _cat_normalize, _cat_meta, _cat_run)
register_single("stack", _stack_normalize, _stack_meta, _stack_run)
