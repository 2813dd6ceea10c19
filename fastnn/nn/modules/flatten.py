"""Shape-only layers: Flatten, Unflatten, Identity.

They reshape with numpy (a view whenever the memory layout allows, like torch) and accept
any dtype, since no kernel is involved.  Argument errors are raised at call time with
torch's wording, because that is when torch raises them.
"""

from ..._dispatch import dispatch
from .._utils import as_array, wrap
from ...tensor import Tensor
from .module import Module

__all__ = ["Flatten", "Unflatten", "Identity"]


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
