"""nn.Parameter: a Tensor that a Module registers when assigned to one of its attributes."""
import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor marked as a module parameter; shares memory with `data` (as torch does).

    fastnn has no autograd: `requires_grad` is kept only so torch code that reads or sets it
    runs unchanged.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        param = np.asarray(data).view(cls)
        param.requires_grad = bool(requires_grad)
        return param

    def __array_finalize__(self, obj):
        self.requires_grad = getattr(obj, "requires_grad", True)

    def __reduce__(self):
        return (_rebuild_parameter, (np.asarray(self), self.requires_grad))

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)
