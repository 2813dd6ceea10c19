"""How a Tensor answers Python's own protocols, as torch's does (a mixin of Tensor, in the
tensor layer): ``bool()``, ``int()``, ``float()``, ``complex()`` and ``seq[t]`` take any
tensor of one element (numpy's take 0-d arrays only: ``float(loss)`` of a loss of shape (1,)
raised); ``bool()`` of many or no elements, ``len()`` and iteration of a 0-d tensor and
``in`` with what is no tensor or number raise torch's errors; iteration of a 1-D tensor
yields 0-d tensors.
"""
import numpy as np

from ._args import is_number

__all__ = ["PythonProtocolMethods"]

_view = np.ndarray.view


def _element(tensor):
    """The one element of `tensor` as a numpy scalar (torch's ValueError otherwise)."""
    if tensor.size != 1:
        raise ValueError("only one element tensors can be converted to Python scalars")
    return _view(tensor, np.ndarray).reshape(())[()]


class PythonProtocolMethods:
    """__bool__, __int__, __float__, __complex__, __index__, __len__, __iter__,
    __contains__."""

    def __bool__(self):
        if self.size == 1:
            return bool(_view(self, np.ndarray).reshape(())[()])
        what = "no values" if self.size == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")

    def __int__(self):
        return int(_element(self))

    def __float__(self):
        return float(_element(self))

    def __complex__(self):
        return complex(_element(self))

    def __index__(self):
        """An integer or bool tensor of one element as an int (``seq[t]``, ``range(t)``)."""
        if self.size == 1 and self.dtype.kind in "biu":
            return int(_view(self, np.ndarray).reshape(()))
        raise TypeError("only integer tensors of a single element can be converted to an "
                        "index")

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        if self.ndim == 1:                     # elements as 0-d Tensors, as torch yields
            return (self[i] for i in range(self.shape[0]))
        return np.ndarray.__iter__(self)

    def __contains__(self, element):
        """Whether any element equals `element` (a number, or a tensor compared
        elementwise)."""
        if not (isinstance(element, np.ndarray) or is_number(element)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you "
                               f"passed in a {type(element)}.")
        return bool((self == element).any())
