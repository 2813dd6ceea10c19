"""Pooling layers: MaxPool1d-3d, AvgPool1d-3d, AdaptiveMaxPool1d-3d, AdaptiveAvgPool1d-3d,
LPPool1d-3d, MaxUnpool1d-3d.

Each layer stores its arguments exactly as torch's does (as given, except AvgPool1d's
one-element tuples), so `repr(layer)` reads like torch's; torch checks them only when the
layer runs, and so does the functional op each layer calls.
"""
from .. import functional as F
from .module import Module

__all__ = [
    "MaxPool1d", "MaxPool2d", "MaxPool3d",
    "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "LPPool1d", "LPPool2d", "LPPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
]


def _single(value):
    """torch's `_single`: an iterable becomes a tuple, anything else a 1-tuple."""
    return _ntuple(value, 1)


def _ntuple(value, n):
    """torch's `_ntuple(n)`: an iterable becomes a tuple, anything else `n` copies."""
    try:
        return tuple(value)
    except TypeError:
        return (value,) * n


class _MaxPoolNd(Module):
    _pool = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._pool(input, self.kernel_size, self.stride, self.padding,
                                self.dilation, ceil_mode=self.ceil_mode,
                                return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                f", dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    r"""1-D max pooling (see :func:`fastnn.nn.functional.max_pool1d`).

    Args:
        kernel_size: window size
        stride: window step. Default: `kernel_size`
        padding: implicit -inf padding on both sides, at most ``kernel_size // 2``
        dilation: step between the elements of a window. Default: 1
        return_indices: also return the argmax (for unpooling). Default: ``False``
        ceil_mode: round the output size up. Default: ``False``

    Shape:
        - Input: ``(N, C, L_in)`` or ``(C, L_in)``
        - Output: ``(N, C, L_out)`` or ``(C, L_out)``,
          ``L_out = floor((L_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)``
          (ceil with `ceil_mode`, dropping a last window that would start in the right
          padding)

    Examples::

        >>> m = nn.MaxPool1d(3, stride=2)
        >>> m(fastnn.randn(20, 16, 50)).shape
        (20, 16, 24)
    """
    _pool = F.max_pool1d


class MaxPool2d(_MaxPoolNd):
    r"""2-D max pooling (see :func:`fastnn.nn.functional.max_pool2d`).

    Args:
        kernel_size, stride, padding, dilation: an int or an ``(h, w)`` tuple; stride
            defaults to `kernel_size`, padding (-inf) to 0, dilation to 1
        return_indices: also return the argmax (flat index into ``H * W``)
        ceil_mode: round the output size up. Default: ``False``

    Shape:
        - Input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``
        - Output: ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``,
          ``H_out = floor((H_in + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1)
          / stride[0] + 1)``, ``W_out`` likewise

    Examples::

        >>> m = nn.MaxPool2d(3, stride=2, padding=1)
        >>> m(fastnn.randn(8, 64, 112, 112)).shape
        (8, 64, 56, 56)
    """
    _pool = F.max_pool2d


class MaxPool3d(_MaxPoolNd):
    r"""3-D max pooling (see :func:`fastnn.nn.functional.max_pool3d`).

    Args:
        kernel_size, stride, padding, dilation: an int or a ``(d, h, w)`` tuple, as in
            :class:`MaxPool2d`
        return_indices: also return the argmax (flat index into ``D * H * W``)
        ceil_mode: round the output size up. Default: ``False``

    Shape:
        - Input: ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``
        - Output: ``(N, C, D_out, H_out, W_out)`` or ``(C, D_out, H_out, W_out)``, each
          size as in :class:`MaxPool2d`

    Examples::

        >>> m = nn.MaxPool3d(2)
        >>> m(fastnn.randn(2, 64, 16, 56, 56)).shape
        (2, 64, 8, 28, 28)
    """
    _pool = F.max_pool3d


class _AvgPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    r"""1-D average pooling (see :func:`fastnn.nn.functional.avg_pool1d`).

    Args:
        kernel_size: window size
        stride: window step. Default: `kernel_size`
        padding: implicit zero padding on both sides, at most ``kernel_size // 2``
        ceil_mode: round the output size up. Default: ``False``
        count_include_pad: count the zero padding in the divisor. Default: ``True``

    Shape:
        - Input: ``(N, C, L_in)`` or ``(C, L_in)``
        - Output: ``(N, C, L_out)`` or ``(C, L_out)``,
          ``L_out = floor((L_in + 2 * padding - kernel_size) / stride + 1)``

    Examples::

        >>> m = nn.AvgPool1d(3, stride=2)
        >>> m(fastnn.tensor([[[1., 2, 3, 4, 5, 6, 7]]]))
        Tensor([[[2., 4., 6.]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__(_single(kernel_size),
                         _single(stride if stride is not None else kernel_size),
                         _single(padding), ceil_mode, count_include_pad)

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding,
                            self.ceil_mode, self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    r"""2-D average pooling (see :func:`fastnn.nn.functional.avg_pool2d`).

    Args:
        kernel_size, stride, padding: an int or an ``(h, w)`` tuple; stride defaults to
            `kernel_size`, padding (zeros) to 0
        ceil_mode: round the output size up. Default: ``False``
        count_include_pad: count the zero padding in the divisor. Default: ``True``
        divisor_override: a fixed divisor instead of the window size. Default: ``None``

    Shape:
        - Input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``
        - Output: ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``,
          ``H_out = floor((H_in + 2 * padding[0] - kernel_size[0]) / stride[0] + 1)``,
          ``W_out`` likewise

    Examples::

        >>> m = nn.AvgPool2d((3, 2), stride=(2, 1))
        >>> m(fastnn.randn(20, 16, 50, 32)).shape
        (20, 16, 24, 31)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                            self.ceil_mode, self.count_include_pad, self.divisor_override)


class AvgPool3d(_AvgPoolNd):
    r"""3-D average pooling (see :func:`fastnn.nn.functional.avg_pool3d`).

    Args:
        kernel_size, stride, padding: an int or a ``(d, h, w)`` tuple, as in
            :class:`AvgPool2d`
        ceil_mode, count_include_pad, divisor_override: as in :class:`AvgPool2d`

    Shape:
        - Input: ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``
        - Output: ``(N, C, D_out, H_out, W_out)`` or ``(C, D_out, H_out, W_out)``, each
          size as in :class:`AvgPool2d`

    Examples::

        >>> m = nn.AvgPool3d((3, 2, 2), stride=(2, 1, 2))
        >>> m(fastnn.randn(20, 16, 50, 44, 31)).shape
        (20, 16, 24, 43, 15)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding,
                            self.ceil_mode, self.count_include_pad, self.divisor_override)


class _AdaptiveMaxPoolNd(Module):
    _pool = None

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):
        return type(self)._pool(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    r"""1-D adaptive max pooling to a fixed output length, whatever the input length.

    Output i covers input ``[floor(i * L_in / L_out), ceil((i + 1) * L_in / L_out))``.

    Args:
        output_size: ``L_out``
        return_indices: also return the argmax. Default: ``False``

    Shape:
        - Input: ``(N, C, L_in)`` or ``(C, L_in)``
        - Output: ``(N, C, L_out)`` or ``(C, L_out)``

    Examples::

        >>> nn.AdaptiveMaxPool1d(5)(fastnn.randn(1, 64, 8)).shape
        (1, 64, 5)
    """
    _pool = F.adaptive_max_pool1d


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    r"""2-D adaptive max pooling to ``output_size`` (an int, or ``(H_out, W_out)`` where
    ``None`` keeps the input's size).

    Args:
        output_size: the output's ``H x W``
        return_indices: also return the argmax (flat index into ``H * W``)

    Shape:
        - Input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``
        - Output: ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``

    Examples::

        >>> nn.AdaptiveMaxPool2d((5, None))(fastnn.randn(1, 64, 10, 9)).shape
        (1, 64, 5, 9)
    """
    _pool = F.adaptive_max_pool2d


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    r"""3-D adaptive max pooling to ``output_size`` (an int, or ``(D_out, H_out, W_out)``
    where ``None`` keeps the input's size).

    Args:
        output_size: the output's ``D x H x W``
        return_indices: also return the argmax (flat index into ``D * H * W``)

    Shape:
        - Input: ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``
        - Output: ``(N, C, D_out, H_out, W_out)`` or ``(C, D_out, H_out, W_out)``

    Examples::

        >>> nn.AdaptiveMaxPool3d((5, 7, 9))(fastnn.randn(1, 64, 8, 9, 10)).shape
        (1, 64, 5, 7, 9)
    """
    _pool = F.adaptive_max_pool3d


class _AdaptiveAvgPoolNd(Module):
    _pool = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self)._pool(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    r"""1-D adaptive average pooling to a fixed output length (windows as in
    :class:`AdaptiveMaxPool1d`).

    Args:
        output_size: ``L_out``

    Shape:
        - Input: ``(N, C, L_in)`` or ``(C, L_in)``
        - Output: ``(N, C, L_out)`` or ``(C, L_out)``

    Examples::

        >>> nn.AdaptiveAvgPool1d(5)(fastnn.randn(1, 64, 8)).shape
        (1, 64, 5)
    """
    _pool = F.adaptive_avg_pool1d


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    r"""2-D adaptive average pooling to ``output_size`` (an int, or ``(H_out, W_out)``
    where ``None`` keeps the input's size).

    Args:
        output_size: the output's ``H x W``

    Shape:
        - Input: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)``
        - Output: ``(N, C, H_out, W_out)`` or ``(C, H_out, W_out)``

    Examples::

        >>> nn.AdaptiveAvgPool2d((5, 7))(fastnn.randn(1, 64, 8, 9)).shape
        (1, 64, 5, 7)
    """
    _pool = F.adaptive_avg_pool2d


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    r"""3-D adaptive average pooling to ``output_size`` (an int, or ``(D_out, H_out,
    W_out)`` where ``None`` keeps the input's size).

    Args:
        output_size: the output's ``D x H x W``

    Shape:
        - Input: ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``
        - Output: ``(N, C, D_out, H_out, W_out)`` or ``(C, D_out, H_out, W_out)``

    Examples::

        >>> nn.AdaptiveAvgPool3d((5, 7, 9))(fastnn.randn(1, 64, 8, 9, 10)).shape
        (1, 64, 5, 7, 9)
    """
    _pool = F.adaptive_avg_pool3d


class _LPPoolNd(Module):
    _pool = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        # torch's layers pass float(norm_type)
        return type(self)._pool(input, float(self.norm_type), self.kernel_size, self.stride,
                                self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    r"""1-D power-average pooling: :math:`(\sum_{window} x^p)^{1/p}` (see
    :func:`fastnn.nn.functional.lp_pool1d`); ``p = inf`` is a max pool of :math:`|x|`.

    Args:
        norm_type: the power `p`
        kernel_size: window size (an int)
        stride: window step. Default: `kernel_size`
        ceil_mode: round the output size up. Default: ``False``

    Shape:
        - Input: ``(N, C, L_in)`` or ``(C, L_in)``
        - Output: ``L_out = floor((L_in - kernel_size) / stride + 1)``

    Examples::

        >>> nn.LPPool1d(2, 3, stride=2)(fastnn.randn(20, 16, 50)).shape
        (20, 16, 24)
    """
    _pool = F.lp_pool1d


class LPPool2d(_LPPoolNd):
    r"""2-D power-average pooling (see :func:`fastnn.nn.functional.lp_pool2d`); arguments as
    :class:`LPPool1d`, sizes an int or an ``(h, w)`` pair.

    Shape: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)`` to
    ``H_out = floor((H_in - kernel_size[0]) / stride[0] + 1)``, ``W_out`` likewise.

    Examples::

        >>> nn.LPPool2d(1.2, (3, 2), stride=(2, 1))(fastnn.randn(20, 16, 50, 32)).shape
        (20, 16, 24, 31)
    """
    _pool = F.lp_pool2d


class LPPool3d(_LPPoolNd):
    r"""3-D power-average pooling (see :func:`fastnn.nn.functional.lp_pool3d`); arguments as
    :class:`LPPool1d`, sizes an int or a ``(d, h, w)`` triple.

    Shape: ``(N, C, D_in, H_in, W_in)`` or ``(C, D_in, H_in, W_in)``, each output size as
    in :class:`LPPool2d`.
    """
    _pool = F.lp_pool3d


class _MaxUnpoolNd(Module):
    _pool = None
    _dims = 0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        n = self._dims
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride if stride is not None else kernel_size, n)
        self.padding = _ntuple(padding, n)

    def forward(self, input, indices, output_size=None):
        return type(self)._pool(input, indices, self.kernel_size, self.stride, self.padding,
                                output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    r"""Partial inverse of :class:`MaxPool1d`: puts each value where its index says, zeros
    elsewhere (see :func:`fastnn.nn.functional.max_unpool1d`).

    Args:
        kernel_size, stride, padding: the pooling's; stride defaults to `kernel_size`

    Inputs: ``input``, ``indices`` (int64, from ``MaxPool1d(..., return_indices=True)``),
    optional ``output_size`` (to undo a pooling that dropped a remainder).

    Shape: ``(N, C, L_in)`` or ``(C, L_in)`` to
    ``L_out = (L_in - 1) * stride - 2 * padding + kernel_size``.

    Examples::

        >>> pool, unpool = nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2)
        >>> unpool(*pool(fastnn.randn(1, 1, 8))).shape
        (1, 1, 8)
    """
    _pool = F.max_unpool1d
    _dims = 1


class MaxUnpool2d(_MaxUnpoolNd):
    r"""Partial inverse of :class:`MaxPool2d` (indices flat in ``H_out * W_out``); as
    :class:`MaxUnpool1d`, sizes an int or an ``(h, w)`` pair.

    Shape: ``(N, C, H_in, W_in)`` or ``(C, H_in, W_in)`` to
    ``H_out = (H_in - 1) * stride[0] - 2 * padding[0] + kernel_size[0]``, ``W_out`` likewise.
    """
    _pool = F.max_unpool2d
    _dims = 2


class MaxUnpool3d(_MaxUnpoolNd):
    r"""Partial inverse of :class:`MaxPool3d` (indices flat in ``D_out * H_out * W_out``);
    as :class:`MaxUnpool1d`, sizes an int or a ``(d, h, w)`` triple."""
    _pool = F.max_unpool3d
    _dims = 3
