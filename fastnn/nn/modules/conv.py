"""nn.Conv1d / Conv2d / Conv3d."""
import math
import operator

from .. import functional as F
from .. import init
from .._utils import checked_empty, factory_dtype, ntuple
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d"]

# torch prints these sets in its messages; their order there follows string hashing
_PADDING_STRINGS = ("valid", "same")
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode",
                     "output_padding", "in_channels", "out_channels", "kernel_size"]
    _dims = 0
    _transposed = False     # ConvTranspose: weight (in_channels, out_channels / groups, k...)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__()
        n = self._dims
        dtype = factory_dtype(device, dtype)
        kernel_size = ntuple(kernel_size, n, "kernel_size")
        stride = ntuple(stride, n, "stride")
        dilation = ntuple(dilation, n, "dilation")
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in _PADDING_STRINGS:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = ntuple(padding, n, "padding")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {{'zeros', 'reflect', "
                             f"'replicate', 'circular'}}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = self._transposed
        self.output_padding = (0,) * n
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _reversed_padding(padding, kernel_size,
                                                                  dilation)
        shape = [operator.index(out_channels), operator.index(in_channels) // groups,
                 *kernel_size]
        if self._transposed:
            shape[:2] = [operator.index(in_channels), operator.index(out_channels) // groups]
        for size in shape:
            if size < 0:
                raise RuntimeError(
                    f"Trying to create tensor with negative dimension {size}: {shape}")
        self.weight = Parameter(checked_empty(shape, dtype))
        if bias:
            self.bias = Parameter(checked_empty((out_channels,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight from kaiming_uniform_(a=sqrt(5)), bias from U(-1/sqrt(fan_in),
        1/sqrt(fan_in)), as torch initialises them: after the same seed, torch's values."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"

    def _conv_forward(self, input, weight, bias):
        conv = (F.conv1d, F.conv2d, F.conv3d)[self._dims - 1]
        if self.padding_mode != "zeros":
            # as torch: pad with the mode, then convolve without padding
            return conv(F.pad(input, self._reversed_padding_repeated_twice,
                              mode=self.padding_mode),
                        weight, bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation,
                    self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


def _reversed_padding(padding, kernel_size, dilation):
    """The F.pad argument for non-zero padding modes (last dimension first); 'same' puts
    the odd one of a total on the right, as torch does."""
    if isinstance(padding, str):
        pads = [0, 0] * len(kernel_size)
        if padding == "same":
            for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                total = d * (k - 1)
                pads[2 * i] = total // 2
                pads[2 * i + 1] = total - total // 2
        return pads
    return tuple(p for p in reversed(padding) for _ in range(2))


_SHAPE_DOC = r"""
    Args:
        in_channels (int): channels of the input
        out_channels (int): channels produced by the convolution
        kernel_size (int or tuple): size of the convolving kernel
        stride (int or tuple, optional): stride of the convolution. Default: 1
        padding (int, tuple or str, optional): zero padding added to both sides of each
            spatial dimension, or ``'valid'`` / ``'same'``. Default: 0
        dilation (int or tuple, optional): spacing between kernel elements. Default: 1
        groups (int, optional): blocked connections from input to output channels.
            Default: 1
        bias (bool, optional): add a learnable bias. Default: ``True``
        padding_mode (str, optional): ``'zeros'``, ``'reflect'``, ``'replicate'`` or
            ``'circular'``. Default: ``'zeros'``
        device: ``None`` or ``'cpu'``
        dtype: float32 (default) or float64

    Attributes:
        weight: ``(out_channels, in_channels / groups, *kernel_size)``, from
            :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})`,
            :math:`k = \text{groups} / (C_\text{in} \prod \text{kernel\_size})`
        bias: ``(out_channels,)``, from the same distribution
"""


class Conv1d(_ConvNd):
    __doc__ = r"""Applies a 1D convolution over an input signal of several planes.
""" + _SHAPE_DOC + r"""
    Shape:
        - Input: :math:`(N, C_{in}, L_{in})` or :math:`(C_{in}, L_{in})`
        - Output: :math:`(N, C_{out}, L_{out})` or :math:`(C_{out}, L_{out})`, where
          :math:`L_{out} = \left\lfloor\frac{L_{in} + 2 \times \text{padding}
          - \text{dilation} \times (\text{kernel\_size} - 1) - 1}{\text{stride}}
          + 1\right\rfloor`

    Examples::

        >>> m = nn.Conv1d(16, 33, 3, stride=2)
        >>> m(fastnn.randn(20, 16, 50)).shape
        (20, 33, 24)
    """
    _dims = 1


class Conv2d(_ConvNd):
    __doc__ = r"""Applies a 2D convolution over an input image of several planes.
""" + _SHAPE_DOC + r"""
    Shape:
        - Input: :math:`(N, C_{in}, H_{in}, W_{in})` or :math:`(C_{in}, H_{in}, W_{in})`
        - Output: :math:`(N, C_{out}, H_{out}, W_{out})` or :math:`(C_{out}, H_{out},
          W_{out})`, where :math:`H_{out} = \left\lfloor\frac{H_{in} + 2 \times
          \text{padding}[0] - \text{dilation}[0] \times (\text{kernel\_size}[0] - 1)
          - 1}{\text{stride}[0]} + 1\right\rfloor` and :math:`W_{out}` likewise with [1]

    Examples::

        >>> m = nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2))
        >>> m(fastnn.randn(20, 16, 50, 100)).shape
        (20, 33, 28, 100)
    """
    _dims = 2


class Conv3d(_ConvNd):
    __doc__ = r"""Applies a 3D convolution over an input volume of several planes.
""" + _SHAPE_DOC + r"""
    Shape:
        - Input: :math:`(N, C_{in}, D_{in}, H_{in}, W_{in})` or :math:`(C_{in}, D_{in},
          H_{in}, W_{in})`
        - Output: :math:`(N, C_{out}, D_{out}, H_{out}, W_{out})` or without N, where
          :math:`D_{out} = \left\lfloor\frac{D_{in} + 2 \times \text{padding}[0]
          - \text{dilation}[0] \times (\text{kernel\_size}[0] - 1) - 1}{\text{stride}[0]}
          + 1\right\rfloor`, and :math:`H_{out}`, :math:`W_{out}` likewise

    Examples::

        >>> m = nn.Conv3d(16, 33, 3, stride=2)
        >>> m(fastnn.randn(20, 16, 10, 50, 100)).shape
        (20, 33, 4, 24, 49)
    """
    _dims = 3
