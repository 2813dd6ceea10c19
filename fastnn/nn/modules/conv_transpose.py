"""nn.ConvTranspose1d / ConvTranspose2d / ConvTranspose3d."""
from .. import functional as F
from .._utils import ntuple
from .conv import _ConvNd

__all__ = ["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f'{type(self).__name__}')
        n = self._dims
        super().__init__(in_channels, out_channels, kernel_size, stride,
                         ntuple(padding, n, "padding"), dilation, groups, bias, padding_mode,
                         device, dtype)
        self.output_padding = ntuple(output_padding, n, "output_padding")

    def _output_padding(self, input, output_size, stride, padding, kernel_size,
                        num_spatial_dims, dilation=None):
        """The output_padding that gives `output_size` (torch's rules and errors)."""
        if output_size is None:
            return tuple(self.output_padding)
        n = num_spatial_dims
        ndim = len(input.shape)
        non_spatial = 2 if ndim == n + 2 else 1
        output_size = list(output_size)
        if len(output_size) == non_spatial + n:
            output_size = output_size[non_spatial:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {ndim}D input, output_size must have "
                             f"{n} or {non_spatial + n} elements (got {len(output_size)})")
        min_sizes = [(input.shape[d + non_spatial] - 1) * stride[d] - 2 * padding[d]
                     + (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1) + 1
                     for d in range(n)]
        max_sizes = [m + s - 1 for m, s in zip(min_sizes, stride)]
        for size, low, high in zip(output_size, min_sizes, max_sizes):
            if size < low or size > high:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{min_sizes} to {max_sizes} (for an input of "
                    f"torch.Size({list(input.shape[non_spatial:])}))")
        return tuple(size - low for size, low in zip(output_size, min_sizes))

    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for "
                             f"{type(self).__name__}")
        conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[self._dims - 1]
        output_padding = self._output_padding(input, output_size, self.stride, self.padding,
                                              self.kernel_size, self._dims, self.dilation)
        return conv(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                    self.groups, self.dilation)


_DOC = r"""
    The input gradient of the matching convolution ("deconvolution", fractionally-strided
    convolution): each input position adds ``x * weight`` to a window of the output.

    Args:
        in_channels (int): channels of the input
        out_channels (int): channels produced
        kernel_size (int or tuple): size of the kernel
        stride (int or tuple, optional): stride of the convolution. Default: 1
        padding (int or tuple, optional): ``dilation * (kernel_size - 1) - padding`` zero
            padding on both sides of the input, i.e. ``padding`` positions removed from
            each end of the output. Default: 0
        output_padding (int or tuple, optional): positions added at the end of each
            output dimension; smaller than stride or dilation. Default: 0
        groups (int, optional): blocked connections from input to output channels.
            Default: 1
        bias (bool, optional): add a learnable bias. Default: ``True``
        dilation (int or tuple, optional): spacing between kernel elements. Default: 1
        padding_mode (str, optional): ``'zeros'`` only, as in torch
        device: ``None`` or ``'cpu'``
        dtype: float32 (default) or float64

    Attributes:
        weight: ``(in_channels, out_channels / groups, *kernel_size)``, from
            :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})`,
            :math:`k = \text{groups} / (C_\text{out} \prod \text{kernel\_size})`
        bias: ``(out_channels,)``, from the same distribution

    ``forward(input, output_size=None)``: `output_size` (the spatial sizes, or the whole
    shape) picks the output_padding that gives it, within the range a stride allows.
"""

_SIZE = (r"(\text{in} - 1) \times \text{stride} - 2 \times \text{padding} + \text{dilation}"
         r" \times (\text{kernel\_size} - 1) + \text{output\_padding} + 1")


class ConvTranspose1d(_ConvTransposeNd):
    __doc__ = r"""Applies a 1D transposed convolution over an input signal of several planes.
""" + _DOC + r"""
    Shape:
        - Input: :math:`(N, C_{in}, L_{in})` or :math:`(C_{in}, L_{in})`
        - Output: :math:`(N, C_{out}, L_{out})` or :math:`(C_{out}, L_{out})`, where
          :math:`L_{out} = """ + _SIZE + r"""`

    Examples::

        >>> m = nn.ConvTranspose1d(16, 33, 3, stride=2)
        >>> m(fastnn.randn(20, 16, 50)).shape
        (20, 33, 101)
    """
    _dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    __doc__ = r"""Applies a 2D transposed convolution over an input image of several planes.
""" + _DOC + r"""
    Shape:
        - Input: :math:`(N, C_{in}, H_{in}, W_{in})` or :math:`(C_{in}, H_{in}, W_{in})`
        - Output: :math:`(N, C_{out}, H_{out}, W_{out})` or without N, each size
          :math:`""" + _SIZE + r"""` with that dimension's values

    Examples::

        >>> up = nn.ConvTranspose2d(16, 16, 3, stride=2, padding=1)
        >>> up(fastnn.randn(1, 16, 12, 12), output_size=(1, 16, 24, 24)).shape
        (1, 16, 24, 24)
    """
    _dims = 2


class ConvTranspose3d(_ConvTransposeNd):
    __doc__ = r"""Applies a 3D transposed convolution over an input volume of several planes.
""" + _DOC + r"""
    Shape:
        - Input: :math:`(N, C_{in}, D_{in}, H_{in}, W_{in})` or without N
        - Output: :math:`(N, C_{out}, D_{out}, H_{out}, W_{out})` or without N, each size
          :math:`""" + _SIZE + r"""` with that dimension's values

    Examples::

        >>> m = nn.ConvTranspose3d(16, 33, 3, stride=2)
        >>> m(fastnn.randn(2, 16, 5, 6, 7)).shape
        (2, 33, 11, 13, 15)
    """
    _dims = 3
