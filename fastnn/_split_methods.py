"""torch's splitting, selecting and rearranging methods that are compositions of ops fastnn
has (a mixin of Tensor, in the tensor layer): ``tensor_split`` and ``hsplit``/``vsplit``/
``dsplit`` (slices: views), ``unflatten`` (the op), ``take_along_dim`` (an expand and a
gather), ``masked_select`` (an expand and an index), ``rot90`` (a flip and a transpose),
``diff`` (slices subtracted), ``diag_embed`` (a where into a mask, moved to its dims) and
``diag`` (``diag_embed`` of a vector, a copied ``diagonal`` of a matrix). Each checks its
arguments with torch's messages, then runs the ops through the door, so it is recorded and
differentiable as they are. ``fastnn._split_stack_functions`` has the top-level forms.
"""
import numpy as np

from ._args import (broadcast_shape, int_arg, int_tuple_arg, tensor_arg, torch_type_name,
                    wrap_dim)
from ._compose_methods import expanded

__all__ = ["SplitMethods"]


def _slice_along(x, dim, start, stop):
    return x[(slice(None),) * dim + (slice(start, stop),)]


def _boundaries(x, indices_or_sections, dim):
    """The split points of ``tensor_split``: from a count of sections (the first ones one
    longer) or from indices (Python's slice bounds: negative counts from the end)."""
    value = indices_or_sections
    if isinstance(value, np.ndarray):
        if value.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have "
                               f"dtype of long, but got {torch_type_name(value.dtype)}")
        if value.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {value.ndim} dims")
        value = int(value) if value.ndim == 0 else [int(v) for v in value]
    if isinstance(value, (list, tuple)):
        return [int_arg(v, "tensor_split", "indices", 2) for v in value]
    sections = int_arg(value, "tensor_split", "sections", 2)
    if sections <= 0:
        raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
    size = x.shape[dim]
    base, extra = divmod(size, sections)
    points, at = [], 0
    for i in range(sections - 1):
        at += base + (1 if i < extra else 0)
        points.append(at)
    return points


def _tensor_split(x, indices_or_sections, dim=0):
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    dim = wrap_dim(int_arg(dim, "tensor_split", "dim", 3), x.ndim)
    points = _boundaries(x, indices_or_sections, dim)
    bounds = [None] + points + [None]
    return tuple(_slice_along(x, dim, a, b) for a, b in zip(bounds, bounds[1:]))


def _directional_split(x, indices_or_sections, fn, dim, least):
    """hsplit (dim 1, or 0 for 1-D), vsplit (0) and dsplit (2): ``tensor_split`` whose
    count of sections must divide the dim."""
    if x.ndim < least:
        raise RuntimeError(f"torch.{fn} requires a tensor with at least {least} dimension, "
                           f"but got a tensor with {x.ndim} dimensions!")
    if isinstance(indices_or_sections, (int, np.integer)) and not isinstance(
            indices_or_sections, bool):
        sections = int(indices_or_sections)
        if sections != 0 and x.shape[dim] % sections != 0:
            raise RuntimeError(f"torch.{fn} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {x.shape[dim]} is not divisible by the "
                               f"split_size {sections}!")
    return _tensor_split(x, indices_or_sections, dim)


class SplitMethods:
    """tensor_split, hsplit, vsplit, dsplit, unflatten, take_along_dim, masked_select, rot90,
    diff, diag_embed, diag."""

    def tensor_split(self, indices_or_sections, dim=0):
        """Views of the tensor cut along `dim` into `sections` parts (the first ones one
        longer where they do not divide) or at `indices`."""
        return _tensor_split(self, indices_or_sections, dim)

    def hsplit(self, indices_or_sections):
        """``tensor_split`` along dim 1 (dim 0 of a 1-D tensor)."""
        return _directional_split(self, indices_or_sections, "hsplit",
                                  1 if self.ndim > 1 else 0, 1)

    def vsplit(self, indices_or_sections):
        """``tensor_split`` along dim 0 of a tensor of 2 or more dims."""
        return _directional_split(self, indices_or_sections, "vsplit", 0, 2)

    def dsplit(self, indices_or_sections):
        """``tensor_split`` along dim 2 of a tensor of 3 or more dims."""
        return _directional_split(self, indices_or_sections, "dsplit", 2, 3)

    def unflatten(self, dim, sizes):
        """A view with dim `dim` split into `sizes` (one may be -1)."""
        return self._door("unflatten", self, dim, sizes)

    def take_along_dim(self, indices, dim=None):
        """The elements at the int64 `indices` along `dim` (the flattened tensor when None:
        then gather's, which also takes int32), the tensor and the indices broadcast over the
        other dims."""
        indices = tensor_arg(indices, self, "take_along_dim", "indices", 1)
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        if indices.dtype != np.int64:
            raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but "
                               f"got {torch_type_name(indices.dtype)}")
        dim = wrap_dim(int_arg(dim, "take_along_dim", "dim", 2), self.ndim)
        if self.ndim != indices.ndim:
            raise RuntimeError(f"torch.take_along_dim(): input and indices should have the "
                               f"same number of dimensions, but got {self.ndim} dimensions "
                               f"for input, and {indices.ndim} dimensions for indices")
        shape = list(broadcast_shape(_without(self.shape, dim), _without(indices.shape, dim)))
        x = _spread(self, shape[:dim] + [self.shape[dim]] + shape[dim:])
        index = _spread(indices, shape[:dim] + [indices.shape[dim]] + shape[dim:])
        return x.gather(dim, index)

    def masked_select(self, mask):
        """The elements where the bool `mask` (broadcast with the tensor) is True, in one
        dim."""
        mask = tensor_arg(mask, self, "masked_select", "mask", 1)
        if mask.dtype != np.bool_:
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        shape = broadcast_shape(mask.shape, self.shape)      # torch's order, for its error
        return expanded(self, shape)[expanded(mask, shape)]

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Each vector along the last dim on the diagonal `offset` of a square plane of dims
        `dim1` and `dim2` (numbered in the result), zeros elsewhere."""
        offset = int_arg(offset, "diag_embed", "offset", 1)
        first, second = (wrap_dim(d, self.ndim + 1) for d in (dim1, dim2))
        if first == second:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        size = self.shape[-1] + abs(offset) if self.ndim else 1 + abs(offset)
        v = self.reshape(1) if self.ndim == 0 else self
        if offset:
            pad = self.new_zeros(*(v.shape[:-1] + (abs(offset),)))
            v = self._door("cat", [v, pad], -1)
        # row r of the plane holds v[r] above the diagonal, column c holds v[c] below it
        values = v.unsqueeze(-1) if offset >= 0 else v.unsqueeze(-2)
        plane = self._door("where", np.eye(size, k=offset, dtype=bool).view(type(self)),
                           values, self.new_zeros(()))
        if (first, second) == (self.ndim - 1, self.ndim):
            return plane
        return plane.movedim((-2, -1), (first, second))

    def diag(self, diagonal=0):
        """A vector on the diagonal `diagonal` of a square matrix, or a matrix's diagonal
        `diagonal` as a vector (a copy)."""
        if self.ndim not in (1, 2):
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        diagonal = int_arg(diagonal, "diag", "diagonal", 1)
        if self.ndim == 1:
            return self.diag_embed(diagonal)
        return self.diagonal(diagonal).clone()

    def rot90(self, k=1, dims=(0, 1)):
        """The tensor turned by k quarter turns in the plane of `dims`, from the first dim
        towards the second (a flip and a transpose; a copy for k = 0 mod 4)."""
        k = int_arg(k, "rot90", "k", 1)
        dims = list(int_tuple_arg((dims,), "rot90", "dims", None))
        if len(dims) != 2:
            raise RuntimeError(f"expected total rotation dims == 2, but got dims = "
                               f"{len(dims)}")
        if self.ndim < 2:
            raise RuntimeError(f"expected total dims >= 2, but got total dims = {self.ndim}")
        first, second = (wrap_dim(d, self.ndim) for d in dims)
        if first == second:
            raise RuntimeError(f"expected rotation dims to be different, but got dim0 = "
                               f"{first} and dim1 = {second}")
        k %= 4
        if k == 1:
            return self.flip([second]).transpose(first, second)
        if k == 2:
            return self.flip([first, second])
        if k == 3:
            return self.flip([first]).transpose(first, second)
        return self.clone()

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The `n`-th forward difference along `dim` (after concatenating `prepend` and
        `append` there); for bools, where neighbours differ."""
        n = int_arg(n, "diff", "n", 1)
        if self.ndim == 0:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        if n < 0:
            raise RuntimeError(f"order must be non-negative but got {n}")
        dim = wrap_dim(int_arg(dim, "diff", "dim", 2), self.ndim)
        if n == 0:
            return self.clone()
        for other in (prepend, append):
            if other is not None:
                _check_diff_operand(self, other, dim)
        parts = [p for p in (prepend, self, append) if p is not None]
        x = self if len(parts) == 1 else self._door("cat", parts, dim)
        for _ in range(n):
            size = x.shape[dim]
            if size == 0:
                break
            later, earlier = _slice_along(x, dim, 1, size), _slice_along(x, dim, 0, size - 1)
            x = later != earlier if x.dtype == np.bool_ else later - earlier
        return x


def _check_diff_operand(x, other, dim):
    if np.ndim(other) != x.ndim:
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    for d, (mine, theirs) in enumerate(zip(x.shape, np.shape(other))):
        if d != dim and mine != theirs:
            raise RuntimeError(
                "diff expects the shape of tensor to prepend or append to match that of input "
                f"except along the differencing dimension; input.size({d}) = {mine}, but got "
                f"tensor.size({d}) = {theirs}")


def _spread(tensor, shape):
    """`tensor` expanded to `shape` (itself when it has that shape: no op recorded)."""
    return tensor if list(tensor.shape) == shape else tensor.expand(*shape)


def _without(shape, dim):
    return shape[:dim] + shape[dim + 1:]
