"""Embedding lookup, as ``torch.nn.functional.embedding``.

The lookup is numpy's ``take`` along the rows (a gather in C, written straight into the
output). With `max_norm`, the rows the indices name are renormalised in place first, as
torch's ``embedding_renorm_`` does: each distinct index in increasing order, a row whose
`norm_type`-norm exceeds `max_norm` scaled by ``max_norm / (norm + 1e-7)``. As in torch, an
index beyond the table stops the renormalisation there, with the rows before it already
changed. `padding_idx`, `scale_grad_by_freq` and `sparse` only matter for gradients
(`_embedding_grad`; dense gradients only).
"""
import numpy as np

from ... import _registry
from ..._args import bool_arg, float_arg, int_arg, torch_typename
from ..._dispatch import dispatch
from ..._registry import Attrs
from .._utils import as_array

__all__ = ["embedding"]

# torch's legacy type names in its index-dtype error
_LEGACY_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
                 "float16": "torch.HalfTensor", "int16": "torch.ShortTensor",
                 "int8": "torch.CharTensor", "uint8": "torch.ByteTensor",
                 "bool": "CPUBoolType", "complex64": "torch.ComplexFloatTensor",
                 "complex128": "torch.ComplexDoubleTensor"}


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    r"""embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, sparse=False) -> Tensor

    The rows of `weight` that the integer `input` names.

    Args:
        input: int64 or int32 indices, any shape.
        weight: the table, :math:`(V, D)`.
        padding_idx (int): an index whose row gets no gradient (a negative one counts from
            the end); the lookup itself is unchanged.
        max_norm (float): rows named by `input` whose norm exceeds it are rescaled to
            norm `max_norm`, in `weight` itself (in place).
        norm_type (float): the p of the p-norm for `max_norm`. Default: 2.0
        scale_grad_by_freq, sparse (bool): gradient options, accepted.

    Shape: :math:`(*)` indices give :math:`(*, D)`.

    Example::
        >>> F.embedding(fastnn.tensor([[0, 2]]), fastnn.randn(4, 3)).shape
        (1, 2, 3)
    """
    return dispatch("embedding", input, weight, padding_idx, max_norm, norm_type,
                    scale_grad_by_freq, sparse)


def _arrays(input, weight, *args, **kwargs):
    return as_array(input), as_array(weight)


def _check_indices(indices, argument, fn):
    if indices.dtype.newbyteorder("=") not in (np.int64, np.int32):
        name = _LEGACY_NAMES.get(indices.dtype.name, f"torch.{indices.dtype.name}")
        raise RuntimeError(
            f"Expected tensor for argument #{argument} 'indices' to have one of the "
            f"following scalar types: Long, Int; but got {name} instead (while checking "
            f"arguments for {fn})")


def padding_index(padding_idx, rows):
    """torch's padding_idx check (an AssertionError) and its value counted from the front;
    None stays None."""
    if padding_idx is None:
        return None
    if padding_idx > 0 and not padding_idx < rows:
        raise AssertionError("Padding_idx must be within num_embeddings")
    if padding_idx < 0:
        if not padding_idx >= -rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = rows + padding_idx
    return padding_idx


def _normalize(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
               scale_grad_by_freq=False, sparse=False):
    """torch's checks in its order: ((indices, weight), Attrs(padding_idx, max_norm,
    scale_grad_by_freq, sparse)). The renormalisation itself runs here, in its place
    among the checks."""
    for name, position, value in (("weight", 1, weight), ("indices", 2, input)):
        if not (isinstance(value, np.ndarray) or hasattr(value, "__array__")):
            raise TypeError(f"embedding(): argument '{name}' (position {position}) must be "
                            f"Tensor, not {torch_typename(value)}")
    indices, table = as_array(input), as_array(weight)
    rows = table.shape[0] if table.ndim else 0
    padding_idx = padding_index(padding_idx, rows)
    if max_norm is not None:
        max_norm = float_arg(max_norm, "embedding_renorm_", "max_norm", 3)
        norm_type = float_arg(norm_type, "embedding_renorm_", "norm_type", 4)
        _check_indices(indices, 2, "embedding_renorm_")
        _renorm(table, indices, max_norm, norm_type)
    if table.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    padding = -1 if padding_idx is None else int_arg(padding_idx, "embedding",
                                                     "padding_idx", 3)
    scale_grad_by_freq = bool_arg(scale_grad_by_freq, "embedding", "scale_grad_by_freq", 4)
    sparse = bool_arg(sparse, "embedding", "sparse", 5)
    _check_indices(indices, 1, "embedding")
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        raise IndexError("index out of range in self")
    return (indices, table), Attrs(padding_idx=padding, max_norm=max_norm,
                                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def _renorm(table, indices, max_norm, norm_type):
    """torch's embedding_renorm_: in place, distinct indices in increasing order."""
    rows = table.shape[0] if table.ndim else 0
    for index in np.unique(indices):
        if not -rows <= index < rows:
            raise IndexError(f"select(): index {index} out of range for tensor of size "
                             f"{list(table.shape)} at dimension 0")
        row = table[index]
        norm = float(np.linalg.norm(row.astype(np.float64).reshape(-1), ord=norm_type))
        if norm > max_norm:
            row *= max_norm / (norm + 1e-7)


def _meta(inputs, attrs):
    indices, table = inputs
    return indices.shape + table.shape[1:], table.dtype.newbyteorder("=")


def _run(inputs, attrs, out):
    indices, table = inputs
    if out.size:
        np.take(table, indices.reshape(-1), axis=0, out=out.reshape(-1, table.shape[1]))


# the checks read the index values (their range; max_norm renormalises in place), so no
# call is ever memoised
_registry.register_single("embedding", _normalize, _meta, _run)
