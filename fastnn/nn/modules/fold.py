"""Fold and Unfold (torch's fold.py): layers over F.fold and F.unfold.

Each stores its arguments as given and checks them only when it runs, as torch's does.
"""
from .. import functional as F
from .module import Module

__all__ = ["Fold", "Unfold"]


class Fold(Module):
    r"""Sum columns of sliding blocks into an image (col2im), see :func:`F.fold`.

    Args:
        output_size (int or pair): the image's spatial shape.
        kernel_size (int or pair): the block's shape.
        dilation, padding, stride (int or pair): as a convolution's. Defaults: 1, 0, 1

    Shape:
        Input :math:`(N, C \times \prod(\text{kernel\_size}), L)` or
        :math:`(C \times \prod(\text{kernel\_size}), L)`; output :math:`(N, C, H, W)` or
        :math:`(C, H, W)`.

    Examples::

        >>> nn.Fold((5, 5), 2)(fastnn.randn(2, 12, 16)).shape
        (2, 3, 5, 5)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    r"""The sliding blocks of an image as columns (im2col), see :func:`F.unfold`.

    Args:
        kernel_size (int or pair): the block's shape.
        dilation, padding, stride (int or pair): as a convolution's. Defaults: 1, 0, 1

    Shape:
        Input :math:`(N, C, H, W)` or :math:`(C, H, W)`; output
        :math:`(N, C \times \prod(\text{kernel\_size}), L)` or without N.

    Examples::

        >>> nn.Unfold(2)(fastnn.randn(2, 3, 5, 5)).shape
        (2, 12, 16)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
