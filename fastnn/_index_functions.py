"""Shapes, index sets and paired reductions: ``fastnn.broadcast_tensors``,
``broadcast_shapes``, ``tril_indices``, ``triu_indices``, ``unravel_index``, ``argwhere``,
``aminmax`` and ``inner``. The tensor-valued ones compose the door's ops (expand, nonzero,
amin/amax, floor_divide/remainder, tensordot); the index factories build their int tensor
directly, as ``eye`` does. ``aminmax`` is the method of `fastnn._set_methods`."""
import collections.abc
import itertools
import numbers
import operator

import numpy as np

from ._args import broadcast_shape, int_arg, torch_type_name, torch_typename
from ._dtypes import as_dtype
from ._functions import _tensor
from ._set_methods import return_types_aminmax
from ._fused_functions import tensordot
from .tensor import Size, Tensor

__all__ = ["broadcast_tensors", "broadcast_shapes", "tril_indices", "triu_indices",
           "unravel_index", "argwhere", "aminmax", "inner", "return_types_aminmax"]


def broadcast_tensors(*tensors):
    """Each tensor expanded to the shape they all broadcast to (``torch.broadcast_tensors``);
    the results are views of the inputs."""
    for i, t in enumerate(tensors):
        if not isinstance(t, np.ndarray):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{torch_typename(t)}")
    shape = broadcast_shape(*(t.shape for t in tensors))
    return tuple(_tensor(t, "broadcast_tensors").expand(shape) for t in tensors)


def broadcast_shapes(*shapes):
    """The shape tensors of `shapes` broadcast to, as a Size (``torch.broadcast_shapes``):
    an int stands for a 1-D shape, None is skipped."""
    shapes = [(s,) if isinstance(s, numbers.Integral) else s for s in shapes if s is not None]
    if not shapes:
        return Size([])
    for shape in shapes:
        if not isinstance(shape, collections.abc.Sequence):
            raise RuntimeError("Input shapes should be of type ints, a tuple of ints, or a "
                               f"list of ints, got {shape}")
    common = [1] * max(len(shape) for shape in shapes)
    for at, shape in enumerate(shapes):
        for idx in range(-1, -1 - len(shape), -1):
            if shape[idx] == common[idx]:
                continue
            if common[idx] == 1:
                if shape[idx] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[idx] = shape[idx]
            if shape[idx] != 1 and common[idx] != shape[idx]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[idx]} at {idx}! "
                    f"Mismatching argument at index {at} had {shape}; but expected shape "
                    f"should be broadcastable to {common}")
    return Size(common)


def _triangle_indices(fn, row, col, offset, dtype, upper):
    row, col = int_arg(row, fn, "row", 1), int_arg(col, fn, "col", 2)
    offset = int_arg(offset, fn, "offset", 3)
    for name, n in (("row", row), ("col", col)):
        if n < 0:
            raise RuntimeError(f"{name} must be non-negative, got{n}")
    dtype = np.dtype(as_dtype(dtype, fn))
    if dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise NotImplementedError(f'"{fn}" not implemented for \'{torch_type_name(dtype)}\'')
    pick = np.triu_indices if upper else np.tril_indices
    return np.stack(pick(row, offset, col)).astype(dtype).reshape(2, -1).view(Tensor)


def tril_indices(row, col, offset=0, *, dtype=np.int64, device=None, layout=None,
                 pin_memory=False):
    """The (row, column) indices of the lower triangle of a ``row x col`` matrix, on and
    below diagonal `offset`, row by row, as a ``(2, N)`` tensor (``torch.tril_indices``)."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, False)


def triu_indices(row, col, offset=0, *, dtype=np.int64, device=None, layout=None,
                 pin_memory=False):
    """The (row, column) indices of the upper triangle of a ``row x col`` matrix, on and
    above diagonal `offset`, row by row, as a ``(2, N)`` tensor (``torch.triu_indices``)."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, True)


def unravel_index(indices, shape):
    """The coordinates in an array of `shape` of each flat index of `indices`, one int64
    tensor per dim (``torch.unravel_index``); negative and too-large indices wrap."""
    if not isinstance(indices, np.ndarray):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute "
                             "'is_complex'")
    if indices.dtype.kind not in "iu":
        raise TypeError("expected 'indices' to be integer dtype, but got "
                        f"torch.{indices.dtype.name}")
    if isinstance(shape, numbers.Integral) and not isinstance(shape, np.ndarray):
        shape = (shape,)
    elif not isinstance(shape, collections.abc.Sequence):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    for n in shape:
        if not isinstance(n, numbers.Integral):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(n)}")
    shape = tuple(int(n) for n in shape)
    if any(n < 0 for n in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    strides = list(itertools.accumulate(reversed(shape[1:] + (1,)), operator.mul))[::-1]
    x = _tensor(indices, "unravel_index")
    coords = x.unsqueeze(-1).floor_divide(np.array(strides, np.int64).view(Tensor)) % (
        np.array(shape, np.int64).view(Tensor))
    return coords.unbind(-1)


def argwhere(input):
    """The index of each non-zero element of `input`, one row each (``torch.argwhere``)."""
    if not isinstance(input, np.ndarray):
        raise TypeError("argwhere(): argument 'input' (position 1) must be Tensor, not "
                        f"{torch_typename(input)}")
    return _tensor(input, "argwhere").nonzero()


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) of `input`, over `dim` when given (``torch.aminmax``; the method of
    `fastnn._set_methods`)."""
    return _tensor(input, "aminmax").aminmax(dim=dim, keepdim=keepdim)


def inner(input, other):
    """The sums of products over the last dim of `input` and `other`, for every pair of
    their other indices (``torch.inner``); a 0-d side multiplies."""
    a = _tensor(input, "inner")
    if not isinstance(other, np.ndarray):
        raise TypeError(f"inner(): argument 'other' (position 2) must be Tensor, not "
                        f"{torch_typename(other)}")
    b = _tensor(other, "inner")
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError("inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(a.shape)} and {list(b.shape)}")
    if a.dtype == b.dtype == np.bool_ and (a.ndim == b.ndim == 1 or (
            a.shape[-1] and a.size // a.shape[-1] and b.size // b.shape[-1])):
        # torch's kernels refuse bool, unless the result or the sum is empty (2-D and up)
        kernel = "dot" if a.ndim == b.ndim == 1 else "addmm_impl_cpu_"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    if a.dtype == b.dtype == np.bool_:
        return a.new_zeros(a.shape[:-1] + b.shape[:-1])     # an empty sum or result (above)
    return tensordot(a, b, ([-1], [-1]))
