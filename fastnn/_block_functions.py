"""Tensors assembled from several tensors, as compositions of fastnn's ops (so their
gradients are those ops'): ``fastnn.block_diag`` (the tensors as blocks on a diagonal, each
row of blocks a ``cat`` with zeros, the rows a ``cat``; torch's type promotion across the
tensors) and ``fastnn.cartesian_prod`` (the rows of ``meshgrid``'s grids, stacked)."""
import numpy as np

from ._compose_functions import meshgrid
from ._creation import cat, stack, zeros
from ._functions import _tensor
from ._ufunc_rules import result_type

__all__ = ["block_diag", "cartesian_prod"]


def _tensor_list(tensors):
    """Each of `tensors` as a Tensor, with torch's TypeError for one that is no array."""
    for i, t in enumerate(tensors):
        if not (isinstance(t, np.ndarray) or hasattr(t, "__array__")):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return [_tensor(t, "tensors") for t in tensors]


def block_diag(*tensors):
    """The tensors (0-d: 1 x 1, 1-D: one row, 2-D) as the blocks of a block-diagonal
    matrix, zeros elsewhere, in the dtype the tensors promote to (``torch.block_diag``)."""
    if not tensors:
        return zeros(1, 0)
    tensors = _tensor_list(tensors)
    dtype = result_type(tensors)
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
    shapes = [t.shape if t.ndim == 2 else (1, t.numel()) for t in tensors]
    width = sum(columns for _, columns in shapes)
    rows, left = [], 0
    for t, (r, c) in zip(tensors, shapes):
        block = t if t.dtype == dtype else t.to(dtype)
        if t.ndim < 2:
            block = block.reshape(r, c)
        rows.append(cat([block.new_zeros((r, left)), block,
                         block.new_zeros((r, width - left - c))], 1))
        left += c
    return cat(rows, 0)


def cartesian_prod(*tensors):
    """Every combination of one element of each 1-D tensor, one per row, the last tensor
    varying fastest; one tensor is returned itself (``torch.cartesian_prod``)."""
    tensors = _tensor_list(tensors)
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([grid.reshape(-1) for grid in grids], 1)
