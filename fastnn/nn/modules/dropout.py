"""Dropout, Dropout1d, Dropout2d, Dropout3d."""
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]


class _DropoutNd(Module):
    """Holds `p` (checked once, with torch's message) and `inplace`."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    r"""In training, zeroes each element with probability `p` and scales the rest by
    :math:`1/(1-p)`; in eval mode returns the input itself, as ``torch.nn.Dropout``.

    Masks are torch's: after ``fastnn.manual_seed(s)`` and ``torch.manual_seed(s)`` the
    same calls drop the same elements.

    Args:
        p (float): probability of an element to be zeroed. Default: 0.5
        inplace (bool): do the operation in place. Default: False

    Shape: any; the output has the input's shape.

    Example::
        >>> m = nn.Dropout(p=0.2)
        >>> out = m(fastnn.randn(20, 16))
    """

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    r"""Zeroes whole channels of :math:`(N, C, L)` or :math:`(C, L)` input with probability
    `p` in training, as ``torch.nn.Dropout1d``. Arguments as :class:`Dropout`.

    Example::
        >>> out = nn.Dropout1d(p=0.2)(fastnn.randn(20, 16, 32))
    """

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    r"""Zeroes whole channels of :math:`(N, C, H, W)` input with probability `p` in
    training, as ``torch.nn.Dropout2d`` (3-D input is read as :math:`(N, C, L)`, with
    torch's warning). Arguments as :class:`Dropout`.

    Example::
        >>> out = nn.Dropout2d(p=0.2)(fastnn.randn(20, 16, 32, 32))
    """

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    r"""Zeroes whole channels of :math:`(N, C, D, H, W)` or :math:`(C, D, H, W)` input with
    probability `p` in training, as ``torch.nn.Dropout3d``. Arguments as :class:`Dropout`.

    Example::
        >>> out = nn.Dropout3d(p=0.2)(fastnn.randn(20, 16, 4, 32, 32))
    """

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)
