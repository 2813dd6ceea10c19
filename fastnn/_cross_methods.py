"""torch's cross product as a Tensor method (a mixin of Tensor, in the tensor layer):
``cross(other, dim=None)``, a composition of ``index_select``, ``multiply`` and ``subtract``
(so its gradient is theirs), with torch's checks: linalg.cross's (same number of dims,
length 3 at `dim`, broadcasting batch dims, one dtype, no bool); without `dim`, the first
dim of `input` of size 3, with torch's deprecation warning, once per process as torch
gives it. ``fastnn.cross`` (`fastnn._distance_functions`) is the top-level form.
"""
import warnings

import numpy as np

from ._args import broadcast_shape, int_arg, tensor_arg, torch_type_name, wrap_dim

__all__ = ["CrossMethods", "cross_product"]

_DEPRECATED = ("Using torch.cross without specifying the dim arg is deprecated.\n"
               "Please either pass the dim explicitly or simply use torch.linalg.cross.\n"
               "The default value of dim will change to agree with that of linalg.cross in a "
               "future release.")
_NEXT = np.array([1, 2, 0])         # x_{i+1}, x_{i+2} for i = 0, 1, 2
_AFTER = np.array([2, 0, 1])
_warned = [False]


def cross_product(input, other, dim, position, stacklevel):
    """The cross product of the Tensor `input` and `other` along `dim` (None: the first
    dim of size 3); `position`: other's place in torch's messages; `stacklevel`: the
    caller's frame for the warning."""
    other = tensor_arg(other, input, "cross", "other", position)
    if dim is None:
        if not _warned[0]:
            _warned[0] = True
            warnings.warn(_DEPRECATED, UserWarning, stacklevel=stacklevel + 1)
        dim = next((d for d, n in enumerate(input.shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    else:
        dim = int_arg(dim, "cross", "dim", position + 1)
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    axis = wrap_dim(dim, input.ndim, wrap_scalar=False)
    if input.shape[axis] != 3 or other.shape[axis] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[axis]} and {other.shape[axis]}")
    broadcast_shape(input.shape, other.shape)
    if input.dtype != other.dtype:
        raise RuntimeError(f"expected scalar type {torch_type_name(input.dtype)} but found "
                           f"{torch_type_name(other.dtype)}")
    if input.dtype == np.bool_:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    return (input.index_select(axis, _NEXT) * other.index_select(axis, _AFTER)
            - input.index_select(axis, _AFTER) * other.index_select(axis, _NEXT))


class CrossMethods:
    """cross."""

    def cross(self, other, dim=None):
        """The cross product with `other` (broadcast) along `dim`, a dim of size 3 (None:
        the first such dim of this tensor, deprecated in torch)."""
        return cross_product(self, other, dim, 1, 2)
