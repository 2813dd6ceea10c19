"""Shrinkage, gated and randomized activation modules: thin wrappers over
``fastnn.nn.functional`` with torch's arguments and reprs (no state, no checks of their own:
torch checks these arguments in the functional call)."""
from .. import functional as F
from .module import Module

__all__ = ["Hardshrink", "Softshrink", "GLU", "RReLU"]


class Hardshrink(Module):
    r"""Applies :math:`x` where :math:`|x| > \lambda`, else 0, as ``torch.nn.Hardshrink``.

    Args:
        lambd (float): the :math:`\lambda` of the band set to zero. Default: 0.5

    Shape: any; the output has the input's shape.

    Example::
        >>> out = nn.Hardshrink()(fastnn.randn(2))
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Module):
    r"""Applies :math:`x \mp \lambda` outside :math:`[-\lambda, \lambda]`, else 0, as
    ``torch.nn.Softshrink``.

    Args:
        lambd (float): :math:`\lambda`, at least 0 (checked by the forward, as torch's).
            Default: 0.5

    Shape: any; the output has the input's shape.

    Example::
        >>> out = nn.Softshrink(0.3)(fastnn.randn(2))
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class GLU(Module):
    r"""The gated linear unit :math:`a \otimes \sigma(b)`, `input` split in half along
    `dim`, as ``torch.nn.GLU``.

    Args:
        dim (int): the dimension to split. Default: -1

    Shape: input :math:`(\ast_1, N, \ast_2)` with :math:`N` even; output
    :math:`(\ast_1, N / 2, \ast_2)`.

    Example::
        >>> nn.GLU()(fastnn.randn(4, 2)).shape
        fastnn.Size([4, 1])
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class RReLU(Module):
    r"""Randomized leaky ReLU, as ``torch.nn.RReLU``: :math:`x` where :math:`x \ge 0`,
    else :math:`a x`; in training :math:`a \sim U[\text{lower}, \text{upper})` per element
    (fastnn's default generator), in eval :math:`a = (\text{lower} + \text{upper}) / 2`.

    Args:
        lower (float): lower bound of the slope. Default: 1/8
        upper (float): upper bound of the slope. Default: 1/3
        inplace (bool): write into the input. Default: False

    Shape: any; the output has the input's shape.

    Example::
        >>> out = nn.RReLU(0.1, 0.3)(fastnn.randn(2))
    """

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"lower={self.lower}, upper={self.upper}{inplace}"
