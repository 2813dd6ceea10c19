"""Registry entries of torch's scatter family: scatter (a src tensor or a number, with
``reduce='add'|'multiply'``), scatter_add, and their in-place forms scatter_ and
scatter_add_. The Tensor methods and the top-level functions reach them through the door.

The writes go through flat offsets into the output (`along_axis_offsets`): numpy's
assignment for a plain scatter, the serial Numba loop of `kernels/scatter.py` for the
reductions (repeated indices accumulate one after another in index order, as torch's CPU
loop does; bools take numpy's ``logical_or/and.at``). Where an index repeats without a
reduction, torch leaves unspecified which write wins; here the last one does.
The in-place forms return the caller's tensor (their metadata is None).
"""
import warnings

import numpy as np

from ._args import _tensor_item, int_arg, torch_typename, wrap_dim
from ._registry import Attrs, register_single
from ._runtime import launch
from ._select_ops import along_axis_offsets, check_index_bounds
from .kernels import scatter as _kernels

__all__ = []

_REDUCTIONS = {None: None, "add": np.add, "multiply": np.multiply}


def _plain(x):
    return np.ndarray.view(x, np.ndarray)


def _is_array(value):
    return isinstance(value, np.ndarray) or (hasattr(value, "__array__")
                                             and not isinstance(value, np.generic))


def _nonempty_size(x, d):
    """torch's ensure_nonempty_size: a 0-d tensor has size 1 in every dim."""
    if x.ndim == 0:
        return 1
    wrap_dim(d, x.ndim)                 # torch's IndexError for a dim src lacks
    return x.shape[d]


def _check_shapes(self, axis, index, src):
    """torch's scatter_shape_check (skipped for an empty index, as torch skips it)."""
    if index.size == 0:
        return
    if src is not None and src.ndim == 0 and index.ndim != 0:
        raise RuntimeError("Index tensor must have the same number of dimensions as src "
                           "tensor")
    if max(self.ndim, 1) != max(index.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self "
                           "tensor")
    dims = max(self.ndim, 1)
    wrong = any(_nonempty_size(index, d) > _nonempty_size(self, d)
                for d in range(dims) if d != axis)
    if not wrong and src is not None:
        wrong = any(_nonempty_size(index, d) > _nonempty_size(src, d) for d in range(dims))
    if wrong:
        tail = "" if src is None else f" and to be no larger size than src {list(src.shape)}"
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                           f"{list(self.shape)} apart from dimension {axis}{tail}")
    if src is not None and src.ndim != index.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as src "
                           "tensor")


def _scatter_args(fn, input, dim, index, src, reduce, src_only):
    """(plain self, index, src array or None, number or None, Attrs) after torch's checks."""
    self = _plain(input)
    axis = wrap_dim(int_arg(dim, fn, "dim", 1), self.ndim)
    index = _plain(index) if isinstance(index, np.ndarray) else np.asarray(index)
    value = None
    if _is_array(src):
        src = _plain(src) if isinstance(src, np.ndarray) else np.asarray(src)
    elif src_only:
        raise TypeError(f"{fn}(): argument 'src' (position 3) must be Tensor, not "
                        f"{torch_typename(src)}")
    else:
        value = _tensor_item(src)
        if isinstance(value, str) or not isinstance(
                value, (bool, int, float, complex, np.bool_, np.number)):
            raise TypeError(_invalid_combination(fn, value))
        src = None
    if reduce is _NO_REDUCE:
        reduce = None
    elif not isinstance(reduce, str):
        raise TypeError(_invalid_combination(fn, reduce))
    if reduce not in _REDUCTIONS:
        raise RuntimeError("reduce argument must be either add or multiply.")
    if index.dtype not in (np.dtype(np.int64), np.dtype(np.int32)):
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype.newbyteorder("=") != self.dtype.newbyteorder("="):
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_shapes(self, axis, index, src)
    check_index_bounds(self, axis, index)
    return self, index, src, value, Attrs(dim=axis, reduce=reduce, value=value)


def _invalid_combination(fn, value):
    return (f"{fn}() received an invalid combination of arguments - got (int, Tensor, "
            f"{type(value).__name__}), but expected one of:\n"
            f" * (int dim, Tensor index, Tensor src)\n"
            f"      didn't match because some of the arguments have invalid types: (int, "
            f"Tensor, !{type(value).__name__}!)\n"
            f" * (int dim, Tensor index, Tensor src, *, str reduce)\n"
            f" * (int dim, Tensor index, Number value)\n"
            f"      didn't match because some of the arguments have invalid types: (int, "
            f"Tensor, !{type(value).__name__}!)\n"
            f" * (int dim, Tensor index, Number value, *, str reduce)\n")


def _scatter_into(out, inputs, attrs):
    """Write the scatter of `inputs` (self, index, src or None) into `out` (self's copy or
    self itself)."""
    index, src = inputs[1], inputs[2]
    if index.size == 0:
        return
    if out.ndim == 0 or index.ndim == 0:
        target, key = out.reshape(-1), np.atleast_1d(index).reshape(-1)
        values = attrs.value if src is None else src.reshape(-1)[:key.size]
    else:
        # a flat view of `out` (C-contiguous unless an in-place target is not: then a
        # contiguous copy written back below)
        target = (out if out.flags.c_contiguous else np.ascontiguousarray(out)).reshape(-1)
        key = along_axis_offsets(out.shape, attrs.dim, index)
        values = attrs.value if src is None else src[tuple(slice(0, n)
                                                           for n in index.shape)]
    reduce = _REDUCTIONS[attrs.reduce]
    if src is None:
        values = np.asarray(values).astype(out.dtype)    # torch casts the number to self's
    with np.errstate(all="ignore"):
        if reduce is None:
            target[key] = values
        elif out.dtype == np.bool_:     # torch's bool add is an or, multiply an and
            (np.logical_or if reduce is np.add else np.logical_and).at(target, key, values)
        elif not target.dtype.isnative:         # a byte-swapped tensor written in place
            reduce.at(target, key, values)
        else:
            values = np.broadcast_to(values, key.shape)
            launch(_kernels.scatter_reduce_flat, target, np.ascontiguousarray(key).reshape(-1),
                   np.ascontiguousarray(values, dtype=out.dtype).reshape(-1),
                   reduce is np.multiply)
    if not np.may_share_memory(target, out):
        out[...] = target.reshape(out.shape)


_NO_REDUCE = object()        # torch's parser refuses an explicit reduce=None


def _out_of_place(fn, src_only):
    def normalize(input, dim, index, src=None, *, value=None, reduce=_NO_REDUCE):
        if value is not None and src is None and not src_only:
            src = value
        self, index, src, number, attrs = _scatter_args(fn, input, dim, index, src, reduce,
                                                        src_only)
        if attrs.reduce is not None and src is not None:
            warnings.warn("The reduce argument of torch.scatter with Tensor src is "
                          "deprecated and will be removed in a future PyTorch release. Use "
                          "torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=5)     # the caller of scatter
        return (self, index, src), attrs

    def meta(inputs, attrs):
        return inputs[0].shape, inputs[0].dtype.newbyteorder("=")

    def run(inputs, attrs, out):
        np.copyto(out, inputs[0])
        _scatter_into(out, inputs, attrs)

    register_single(fn, normalize, meta, run)


def _in_place(fn, src_only):
    def normalize(input, dim, index, src=None, *, value=None, reduce=_NO_REDUCE):
        if value is not None and src is None and not src_only:
            src = value
        self, index, src, number, attrs = _scatter_args(fn, input, dim, index, src, reduce,
                                                        src_only)
        return (input, index, src), attrs

    def run(inputs, attrs, out):
        _scatter_into(_plain(inputs[0]), inputs, attrs)
        return inputs[0]

    register_single(fn, normalize, lambda inputs, attrs: None, run)


def _add(fn, in_place):
    """scatter_add(dim, index, src): scatter with reduce='add' and a src tensor only."""
    def normalize(input, dim, index, src):
        self, index, src, number, attrs = _scatter_args(fn, input, dim, index, src, "add",
                                                        True)
        return (input if in_place else self, index, src), attrs

    if in_place:
        def run(inputs, attrs, out):
            _scatter_into(_plain(inputs[0]), inputs, attrs)
            return inputs[0]
        register_single(fn, normalize, lambda inputs, attrs: None, run)
        return

    def run(inputs, attrs, out):
        np.copyto(out, inputs[0])
        _scatter_into(out, inputs, attrs)

    register_single(fn, normalize, lambda inputs, attrs: (
        inputs[0].shape, inputs[0].dtype.newbyteorder("=")), run)


_out_of_place("scatter", False)
_in_place("scatter_", False)
_add("scatter_add", False)
_add("scatter_add_", True)
