"""Shape-only layers: Flatten, Unflatten, Identity.

They reshape with numpy (a view whenever the memory layout allows, like torch) and accept
any dtype, since no kernel is involved.  Argument errors are raised at call time with
torch's wording, because that is when torch raises them.
"""
import numpy as np

from ..._dispatch import dispatch
from .._utils import as_array, wrap
from ...tensor import Tensor
from .module import Module

__all__ = ["Flatten", "Unflatten", "Identity"]


def _int_arg(value, fn, name, pos):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be int, "
                        f"not {type(value).__name__}")
    return int(value)


def _wrap_dim(dim, ndim):
    # torch wraps dims of a 0-d tensor as if it had one dimension.
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def _infer_sizes(sizes, numel):
    """torch's infer_size: resolve one -1; None when the sizes do not match `numel`."""
    inferred, known = None, 1
    for i, s in enumerate(sizes):
        if s == -1:
            if inferred is not None:
                raise RuntimeError("unflatten got an unexpected error:\n"
                                   "only one dimension can be inferred")
            inferred = i
        elif s >= 0:
            known *= s
        else:
            raise RuntimeError("unflatten got an unexpected error:\ninvalid shape dimension "
                               f"{s} at index {i} of shape {list(sizes)}")
    if numel == known or (inferred is not None and known > 0 and numel % known == 0):
        sizes = list(sizes)
        if inferred is not None:
            if known == 0:
                raise RuntimeError(
                    "unflatten got an unexpected error:\ncannot reshape tensor of 0 elements "
                    f"into shape {sizes} because the unspecified dimension size -1 can be any "
                    "value and is ambiguous")
            sizes[inferred] = numel // known
        return tuple(sizes)
    return None


def _unflatten_checked(arr, dim, sizes):
    """torch's unflatten checks: (the wrapped dim, the sizes with -1 resolved)."""
    dim = _int_arg(dim, "unflatten", "dim", 1)
    for pos, s in enumerate(sizes):
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)):
            raise TypeError("unflatten(): argument 'sizes' (position 2) must be tuple of ints, "
                            f"but found element of type {type(s).__name__} at pos {pos}")
    sizes = tuple(int(s) for s in sizes)
    dim = _wrap_dim(dim, arr.ndim)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if arr.ndim == 0:
        raise RuntimeError("unflatten got an unexpected error:\n"
                           "Dimension specified as 0 but tensor has no dimensions")
    resolved = _infer_sizes(sizes, arr.shape[dim])
    if resolved is None:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({arr.shape[dim]}) in the input tensor")
    return dim, resolved


class Flatten(Module):
    """Flatten the dimensions ``start_dim`` to ``end_dim`` (inclusive) into one.

    Args:
        start_dim (int): first dim to flatten. Default: 1
        end_dim (int): last dim to flatten. Default: -1

    Shape:
        - Input: :math:`(*, S_{start}, ..., S_{end}, *)`
        - Output: :math:`(*, \\prod_{i=start}^{end} S_i, *)`

    Examples::

        >>> nn.Flatten()(fastnn.zeros(32, 1, 5, 5)).shape
        (32, 25)
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return dispatch("flatten", input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dimension ``dim`` into ``unflattened_size`` (one entry may be -1).

    Args:
        dim (int): the dimension to unflatten.
        unflattened_size (tuple or list of ints): its new shape.

    Shape:
        - Input: :math:`(*, S_{dim}, *)`
        - Output: :math:`(*, U_1, ..., U_n, *)` with :math:`\\prod U_i = S_{dim}`

    Examples::

        >>> nn.Unflatten(1, (2, 5))(fastnn.zeros(2, 10)).shape
        (2, 2, 5)
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError("unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for idx, elem in enumerate(unflattened_size):
            if not isinstance(elem, int):
                raise TypeError("unflattened_size must be tuple of ints, but found element "
                                f"of type {type(elem).__name__} at pos {idx}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return dispatch("unflatten", input, self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Identity(Module):
    """Return the input unchanged; constructor arguments are accepted and ignored.

    A fastnn Tensor input is returned as the same object; other arrays come back as a
    Tensor view of the same memory.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        if isinstance(input, Tensor) or not hasattr(input, "__array__"):
            return input
        return wrap(as_array(input))
