"""Bags of embeddings, as ``torch.nn.functional.embedding_bag``.

Each bag's rows of `weight` are summed, averaged or maxed (the `kernels.embedding_bag`
reduction, one task per bag). A bag is a row of a 2-D input, or the slice
``input[offsets[b]:offsets[b + 1]]`` of a 1-D one (the last bag running to the end, unless
`include_last_offset` makes the last offset that end). `padding_idx` entries are left out of
their bag (of its count too, for the mean); a bag left empty gives zeros. `max_norm`
renormalises the rows named in place first, as ``F.embedding`` does. The checks are
torch's, in its order: those of its Python wrapper, then those of its C++ op.
"""
import warnings

import numpy as np

from ... import _registry
from ..._args import bool_arg, float_arg, int_arg, torch_type_name, torch_typename
from ..._dispatch import dispatch
from ..._registry import Attrs
from ..._runtime import launch
from ...kernels import embedding_bag as _k
from .._utils import as_array
from ._embedding import _LEGACY_NAMES, _check_indices, _renorm

__all__ = ["embedding_bag"]

_MODES = {"sum": _k.SUM, "mean": _k.MEAN, "max": _k.MAX}
_TYPE_NAMES = dict(_LEGACY_NAMES, int32="torch.IntTensor", int64="torch.LongTensor",
                   float16="torch.HalfTensor")
_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_NO_WEIGHTS = {np.dtype(t): np.empty(0, t) for t in (np.float32, np.float64)}


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    r"""embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
    scale_grad_by_freq=False, mode='mean', sparse=False, per_sample_weights=None,
    include_last_offset=False, padding_idx=None) -> Tensor

    The sum, mean or max of each bag of rows of `weight` that `input` names.

    Args:
        input: int64 or int32 indices: :math:`(B, N)` (B bags of N) or :math:`(N,)` with
            `offsets`.
        weight: the table, :math:`(V, D)`.
        offsets: for a 1-D input, where each bag starts (``offsets[0]`` is 0).
        max_norm (float): rows named by `input` whose norm exceeds it are rescaled to
            norm `max_norm`, in `weight` itself (in place).
        norm_type (float): the p of the p-norm for `max_norm`. Default: 2
        scale_grad_by_freq (bool): scale each row's gradient by 1 / its index's count.
        mode (str): ``'sum'``, ``'mean'`` or ``'max'``. Default: ``'mean'``
        sparse (bool): torch's sparse gradient; fastnn has no sparse tensors, so a backward
            through ``sparse=True`` raises NotImplementedError.
        per_sample_weights: the input's shape; each row is scaled by it (mode 'sum' only).
        include_last_offset (bool): the last offset is the end of the last bag.
        padding_idx (int): an index left out of every bag (negative: from the end).

    Shape: :math:`(B, D)`, B the number of bags.

    Example::
        >>> F.embedding_bag(fastnn.tensor([[0, 2], [1, 1]]), fastnn.ones(4, 3)).shape
        (2, 3)
    """
    return dispatch("embedding_bag", input, weight, offsets, max_norm, norm_type,
                    scale_grad_by_freq, mode, sparse, per_sample_weights,
                    include_last_offset, padding_idx)


def _is_array(value):
    return isinstance(value, np.ndarray) or hasattr(value, "__array__")


def _size(shape):
    return f"torch.Size({list(shape)})"


def _type_name(dtype):
    dtype = dtype.newbyteorder("=")
    return _TYPE_NAMES.get(dtype.name, f"torch.{dtype.name}")


def _normalize(input, weight, offsets=None, max_norm=None, norm_type=2,
               scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
               include_last_offset=False, padding_idx=None):
    """torch's checks in its order: ((indices, bounds, weight, per_sample_weights),
    Attrs(mode, padding_idx, scale_grad_by_freq, sparse)). `bounds` are the bags' B + 1
    edges (int64); the renormalisation runs here, in its place among the checks."""
    # torch's wrapper fails on a non-tensor with an AttributeError (reading .dtype or .dim);
    # fastnn answers as its other functions do
    for name, position, value in (("weight", 2, weight), ("input", 1, input)):
        if not _is_array(value):
            raise TypeError(f"embedding_bag(): argument '{name}' (position {position}) must "
                            f"be Tensor, not {torch_typename(value)}")
    table = as_array(weight)
    if table.dtype == np.int64 and _is_array(input) and as_array(input).dtype.kind == "f":
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=4)
        input, weight = weight, input
        table = as_array(weight)
    psw = None if per_sample_weights is None else as_array(per_sample_weights)
    indices = as_array(input)
    if psw is not None and psw.shape != indices.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({_size(psw.shape)}) is not "
                         f"None, then it must have the same shape as the input "
                         f"({_size(indices.shape)})")
    if table.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{table.ndim}")
    if indices.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is "
                             "treated is a mini-batch of fixed length sequences. However, "
                             f"found offsets of type {type(offsets)}".replace(
                                 "fastnn.tensor.Tensor", "torch.Tensor"))
        if indices.shape[1] == 0:
            raise RuntimeError("step must be nonzero")
        starts = np.arange(0, indices.size, indices.shape[1], dtype=indices.dtype)
        include_last_offset = False
    elif indices.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        starts = as_array(offsets)
        if starts.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{indices.ndim}")
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the "
                             "frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    flat = indices.reshape(-1)
    if max_norm is not None:
        max_norm = float_arg(max_norm, "embedding_renorm_", "max_norm", 3)
        norm_type = float_arg(norm_type, "embedding_renorm_", "norm_type", 4)
        _check_indices(flat, 2, "embedding_renorm_")
        if table.dtype.kind not in "fc":
            raise RuntimeError(f"norm(): input dtype should be either floating point or "
                               f"complex. Got {torch_type_name(table.dtype)} instead.")
        _renorm(table, flat, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
            "on GitHub.")
    scale_grad_by_freq = bool_arg(scale_grad_by_freq, "embedding_bag", "scale_grad_by_freq",
                                  4)
    sparse = bool_arg(sparse, "embedding_bag", "sparse", 6)
    include_last_offset = bool_arg(include_last_offset, "embedding_bag",
                                   "include_last_offset", 8)
    padding = None if padding_idx is None else int_arg(padding_idx, "embedding_bag",
                                                       "padding_idx", 9)
    # torch's C++ op: indices and offsets promoted to one type, which must be Long or Int
    kind = _promoted(flat.dtype, starts.dtype)
    _check_indices(np.empty(0, kind), 1, "embedding_bag")
    if table.dtype.newbyteorder("=") not in _FLOATS:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the "
                           "following scalar types: Half, BFloat16, Float, Double; but got "
                           f"{_type_name(table.dtype)} instead (while checking arguments for "
                           "embedding_bag)")
    if psw is not None and psw.dtype.newbyteorder("=") != table.dtype.newbyteorder("="):
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as "
                           "tensor for argument #1 'per_sample_weights'; but type "
                           f"{_type_name(table.dtype)} does not equal "
                           f"{_type_name(psw.dtype)} (while checking arguments for "
                           "embedding_bag)")
    rows = table.shape[0]
    if padding is not None:
        if not -rows <= padding < rows:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, "
                               f"-{rows} through {rows - 1}, but got {padding}")
        padding = padding + rows if padding < 0 else padding
    fast = (table.dtype == np.float32 and padding is None and mode != "max")
    bounds = _bounds(starts.astype(np.int64), flat.size, include_last_offset, kind, fast)
    _check_range(flat, bounds, rows, mode, padding)
    return (indices, bounds, table, psw), Attrs(
        mode=_MODES[mode], padding_idx=-1 if padding is None else padding,
        scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def _promoted(a, b):
    """torch's promotion of two index dtypes: a float one wins as it is."""
    floats = [d for d in (a, b) if d.kind in "fc"]
    if len(floats) == 1:
        return floats[0]
    return np.result_type(a, b)


def _bounds(starts, n, include_last_offset, kind, fast):
    """The bags' edges; `fast`: where torch's float32 path runs, which refuses decreasing
    offsets."""
    if include_last_offset and starts.size < 1:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if starts.size and starts[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {starts[0]}\n"
                           f"[ {_type_name(kind)}{{}} ]")
    if starts.size and starts[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got "
                           f"offsets[-1] of {starts[-1]}")
    bounds = np.append(starts, np.int64(n))
    if bounds.size > 1 and (np.diff(bounds[:-1] if include_last_offset else bounds) < 0).any():
        if fast:
            if include_last_offset and starts[-1] < starts[-2]:
                raise RuntimeError("Your input appears to be incorrect: the last offset value "
                                   "should be the size of the indices tensor, but it seems "
                                   "not to be the case.")
            raise RuntimeError("Expected i < index_size to be true, but got false.  (Could "
                               "this error message be improved?  If so, please report an "
                               "enhancement request to PyTorch.)")
        raise NotImplementedError("fastnn: embedding_bag's offsets must not decrease (torch's "
                                  "bags for decreasing offsets are not supported)")
    if include_last_offset:
        # as torch's offset2bag: the last bag runs to the end of the input
        bounds = np.delete(bounds, -2) if starts.size > 1 else starts
    return bounds


def _check_range(flat, bounds, rows, mode, padding):
    bad = np.flatnonzero((flat < 0) | (flat >= rows)) if flat.size else flat[:0]
    if bad.size:
        at = int(bad[0])
        if mode == "max" or padding is not None:
            raise RuntimeError("embedding_bag: Expected idx >= 0 && idx < num_embeddings but "
                               f"found idx to be {flat[at]}")
        raise RuntimeError(f"Index {at} of input takes value {flat[at]} which is not in the "
                           f"valid range [0, {rows})")


def _meta(inputs, attrs):
    _, bounds, table, _ = inputs
    return (bounds.size - 1, table.shape[1]), table.dtype.newbyteorder("=")


def bag_reduce(indices, bounds, table, psw, attrs, out):
    """The forward reduction into `out` (B, D); returns the rows of MAX's maxima (or
    None)."""
    dtype = out.dtype
    if dtype not in _NO_WEIGHTS:           # half: reduced in float32, as torch accumulates
        wide = np.empty(out.shape, np.float32)
        argmax = bag_reduce(indices, bounds, table.astype(np.float32),
                            None if psw is None else psw.astype(np.float32), attrs, wide)
        out[...] = wide
        return argmax
    flat = np.ascontiguousarray(indices.reshape(-1), dtype=np.int64)
    weights = (_NO_WEIGHTS[dtype] if psw is None
               else np.ascontiguousarray(psw.reshape(-1), dtype=dtype))
    argmax = np.empty(out.shape if attrs.mode == _k.MAX else (0, 0), np.int64)
    launch(_k.embedding_bag_forward, np.ascontiguousarray(table, dtype=dtype), flat,
           bounds, weights, attrs.mode, attrs.padding_idx, out, argmax,
           work=flat.size * table.shape[1] + out.size)
    return argmax if attrs.mode == _k.MAX else None


def _run(inputs, attrs, out):
    indices, bounds, table, psw = inputs
    if out.size:
        bag_reduce(indices, bounds, table, psw, attrs, out)
    else:
        out[...] = 0


# the checks read the index values (offsets, ranges; max_norm renormalises in place), so
# no call is ever memoised
_registry.register_single("embedding_bag", _normalize, _meta, _run)
