"""Activation modules: thin wrappers over ``fastnn.nn.functional`` with torch's reprs."""
import operator
import warnings

import numpy as np

from .. import functional as F
from ..._grad import no_grad
from ..._args import int_tuple_arg
from .._utils import checked_empty, factory_dtype
from ..parameter import Parameter
from .module import Module

__all__ = [
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Hardswish",
    "Hardsigmoid", "Hardtanh", "Softmax", "LogSoftmax",
    "Mish", "SELU", "CELU", "PReLU", "Softplus", "Softsign", "LogSigmoid", "Tanhshrink",
    "Threshold", "Softmin", "Softmax2d",
]


def _inplace_repr(inplace, head=""):
    """`head` (the other arguments' repr), then "inplace=True" when it is set."""
    if not inplace:
        return head
    return f"{head}, inplace=True" if head else "inplace=True"


class ReLU(Module):
    r"""Applies :math:`\max(0, x)` element-wise, as ``torch.nn.ReLU``.

    Args:
        inplace (bool): write into the input (and return it). Default: False

    Shape: any; the output has the input's shape.

    Example::
        >>> out = nn.ReLU()(fastnn.randn(2))
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Hardtanh(Module):
    r"""Clamps element-wise into ``[min_val, max_val]``, as ``torch.nn.Hardtanh``.

    Args:
        min_val (float): lower bound. Default: -1
        max_val (float): upper bound, greater than `min_val`. Default: 1
        inplace (bool): write into the input. Default: False
        min_value, max_value: deprecated spellings of `min_val`, `max_val`.

    Shape: any; the output has the input's shape.
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None,
                 max_value=None):
        super().__init__()
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        # torch raises AssertionError here; fastnn never asserts on user input
        if self.max_val <= self.min_val:
            raise ValueError(
                f"max_val ({self.max_val}) must be greater than min_val ({self.min_val})")

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    r"""Applies :math:`\min(\max(0, x), 6)` element-wise, as ``torch.nn.ReLU6``.

    Args:
        inplace (bool): write into the input. Default: False
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    r"""Applies :math:`x` if :math:`x > 0` else :math:`\text{negative\_slope} \cdot x`.

    Args:
        negative_slope (float): slope for negative inputs. Default: 0.01
        inplace (bool): write into the input. Default: False
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, f"negative_slope={self.negative_slope}")


class ELU(Module):
    r"""Applies :math:`x` if :math:`x > 0` else :math:`\alpha (e^x - 1)`.

    Args:
        alpha (float): the saturation value for negative inputs. Default: 1.0
        inplace (bool): write into the input. Default: False
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


class GELU(Module):
    r"""Applies :math:`x \Phi(x)` (or its tanh approximation) element-wise.

    Args:
        approximate (str): ``'none'`` or ``'tanh'``; other strings are refused when the
            module is called (as torch does). Default: ``'none'``
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    r"""Applies :math:`x \sigma(x)` element-wise (the swish function).

    Args:
        inplace (bool): write into the input. Default: False
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Sigmoid(Module):
    r"""Applies :math:`1 / (1 + e^{-x})` element-wise."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    r"""Applies the hyperbolic tangent element-wise."""

    def forward(self, input):
        return F.tanh(input)


class Hardswish(Module):
    r"""Applies :math:`x \cdot \min(\max(x + 3, 0), 6) / 6` element-wise.

    Args:
        inplace (bool): write into the input (not shown in repr, as in torch). Default: False
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class Hardsigmoid(Module):
    r"""Applies :math:`\min(\max(x + 3, 0), 6) / 6` element-wise.

    Args:
        inplace (bool): write into the input (not shown in repr, as in torch). Default: False
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class _SoftmaxBase(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    r"""Softmax over `dim`: every slice along it is rescaled to sum to 1.

    Args:
        dim (int): the dimension to normalise. None uses torch's deprecated implicit choice
            (with its warning).

    Shape: any; the output has the input's shape.

    Example::
        >>> out = nn.Softmax(dim=1)(fastnn.randn(2, 3))
    """

    def forward(self, input):
        # _stacklevel=5 points the implicit-dim warning at the caller of the module
        return F.softmax(input, self.dim, _stacklevel=5)


class LogSoftmax(_SoftmaxBase):
    r"""Log-softmax over `dim`: :math:`x_i - \log \sum_j e^{x_j}`. Arguments as
    :class:`Softmax`."""

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Softmin(_SoftmaxBase):
    r"""Softmin over `dim`: :math:`e^{-x_i} / \sum_j e^{-x_j}`. Arguments as
    :class:`Softmax`."""

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)


class Softmax2d(Module):
    r"""Softmax over the channels at every spatial location, as ``torch.nn.Softmax2d``.

    Shape: ``(N, C, H, W)`` or ``(C, H, W)`` (dim -3 is normalised); other ranks are
    refused with torch's ValueError.
    """

    def forward(self, input):
        ndim = getattr(input, "ndim", None)
        if ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {ndim}D instead")
        return F.softmax(input, -3, _stacklevel=5)


class Mish(Module):
    r"""Applies :math:`x \tanh(\operatorname{softplus}(x))` element-wise.

    Args:
        inplace (bool): write into the input. Default: False
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.mish(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class SELU(Module):
    r"""Applies :math:`\text{scale} (\max(0, x) + \min(0, \alpha (e^x - 1)))`
    element-wise, with torch's constants.

    Args:
        inplace (bool): write into the input. Default: False
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.selu(input, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class CELU(Module):
    r"""Applies :math:`\max(0, x) + \min(0, \alpha (e^{x / \alpha} - 1))` element-wise.

    Args:
        alpha (float): must not be 0 (refused when the layer runs, as in torch). Default: 1.0
        inplace (bool): write into the input. Default: False
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, f"alpha={self.alpha}")


def _weight_shape(num_parameters):
    """The shape of torch.empty(num_parameters), checked as torch.empty checks its size (a
    sequence is a whole shape)."""
    if isinstance(num_parameters, (list, tuple)):
        return int_tuple_arg((num_parameters,), "empty")
    if isinstance(num_parameters, (bool, np.bool_)) or not hasattr(num_parameters,
                                                                  "__index__"):
        raise TypeError("empty(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(num_parameters).__name__}")
    return (operator.index(num_parameters),)


class PReLU(Module):
    r"""Applies :math:`x` for :math:`x > 0`, else :math:`a x` with a learnt :math:`a`.

    Args:
        num_parameters (int): 1 (one slope shared by every channel) or the number of
            channels (dim 1 of the input). Default: 1
        init (float): the slopes' initial value. Default: 0.25
        device: only ``None`` or ``'cpu'``
        dtype: float32 (default) or float64

    Attributes:
        weight: the slopes, shape ``(num_parameters,)`` (state-dict key ``weight``).

    Shape: any; the output has the input's shape.

    Example::
        >>> nn.PReLU(3)(fastnn.randn(2, 3, 4)).shape
        (2, 3, 4)
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        dtype = factory_dtype(device, dtype)
        shape = _weight_shape(num_parameters)
        for size in shape:
            if size < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {size}: "
                                   f"{list(shape)}")
        self.weight = Parameter(checked_empty(shape, dtype))
        self.reset_parameters()

    def reset_parameters(self):
        with no_grad():                    # torch's nn.init.constant_: fill_'s checks
            self.weight.fill_(self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Softplus(Module):
    r"""Applies :math:`\frac{1}{\beta} \log(1 + e^{\beta x})` (and :math:`x` where
    :math:`\beta x > \text{threshold}`).

    Args:
        beta (float): Default: 1.0
        threshold (float): Default: 20.0
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    r"""Applies :math:`x / (1 + |x|)` element-wise."""

    def forward(self, input):
        return F.softsign(input)


class LogSigmoid(Module):
    r"""Applies :math:`\log(1 / (1 + e^{-x}))` element-wise (computed stably)."""

    def forward(self, input):
        return F.logsigmoid(input)


class Tanhshrink(Module):
    r"""Applies :math:`x - \tanh(x)` element-wise."""

    def forward(self, input):
        return F.tanhshrink(input)


class Threshold(Module):
    r"""Replaces every element :math:`\le` `threshold` by `value`.

    Args:
        threshold (float): the threshold
        value (float): the replacement
        inplace (bool): write into the input. Default: False
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace, f"threshold={self.threshold}, value={self.value}")
