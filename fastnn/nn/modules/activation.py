"""Activation modules: thin wrappers over ``fastnn.nn.functional`` with torch's reprs."""
import warnings

from .. import functional as F
from .module import Module

__all__ = [
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Hardswish",
    "Hardsigmoid", "Hardtanh", "Softmax", "LogSoftmax",
]


def _inplace_repr(inplace):
    return "inplace=True" if inplace else ""


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
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


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
        inplace = ", inplace=True" if self.inplace else ""
        return f"negative_slope={self.negative_slope}{inplace}"


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
        inplace = ", inplace=True" if self.inplace else ""
        return f"alpha={self.alpha}{inplace}"


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
