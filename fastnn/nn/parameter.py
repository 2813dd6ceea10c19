"""nn.Parameter: a Tensor that a Module registers when assigned to one of its attributes."""
import numpy as np

from .. import _creation
from ..tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor marked as a module parameter; shares memory with `data` (as torch does).

    Only the constructor (and copying or unpickling a Parameter) makes a Parameter:
    slices, views and results of operations on one are plain Tensors, as in torch.
    A parameter is a leaf of autograd's graph: with ``requires_grad`` (the default) its
    ``.grad`` accumulates on ``backward()``.

    Args:
        data (Tensor or array): the parameter's values (not copied). Default: an empty
            tensor of the default dtype.
        requires_grad (bool): default True; True needs a floating or complex dtype.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _creation.empty(0)
        if not (isinstance(data, np.ndarray) or hasattr(data, "__array__")):
            raise TypeError(f"Parameter(): argument 'data' must be a Tensor, not "
                            f"{type(data).__name__}")
        arr = np.asarray(data)
        if requires_grad and arr.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        param = arr.view(Tensor)
        param.__class__ = cls   # not view(cls): __array_finalize__ demotes that to Tensor
        param.requires_grad = bool(requires_grad)
        return param

    def __array_finalize__(self, obj):
        # every array numpy derives from a Parameter (slice, view, copy, ufunc output)
        # is a plain Tensor, as torch's operations on a Parameter return Tensors
        self.__class__ = Tensor

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (np.asarray(self), self.requires_grad))

    def __copy__(self):
        return type(self)(self.view(np.ndarray), self.requires_grad)   # shares, as torch

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(np.array(self.view(np.ndarray), copy=True, order="K"),
                            self.requires_grad)
        memo[id(self)] = result
        return result

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)
