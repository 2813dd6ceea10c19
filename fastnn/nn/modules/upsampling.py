"""Upsample, UpsamplingNearest2d, UpsamplingBilinear2d: layers over F.interpolate.

They store their arguments as torch's do (`scale_factor` as a float, or a tuple of floats)
and check nothing until they run, as torch's do; `repr` reads like torch's.
"""
from .. import functional as F
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    r"""Resample an input of several planes (see :func:`fastnn.nn.functional.interpolate`).

    Args:
        size: the output's spatial size (an int or one per dimension)
        scale_factor: multiplier of the spatial size (a float or one per dimension)
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'``, ``'bilinear'``,
            ``'bicubic'``, ``'trilinear'`` or ``'area'``. Default: ``'nearest'``
        align_corners: for the interpolating modes, align the corner pixels' centres.
            Default: ``None`` (``False``)
        recompute_scale_factor: interpolate with the scale the output size implies

    Shape:
        - Input: ``(N, C, W_in)``, ``(N, C, H_in, W_in)`` or ``(N, C, D_in, H_in, W_in)``
        - Output: likewise, ``W_out = size`` or ``floor(W_in * scale_factor)``

    Examples::

        >>> nn.Upsample(scale_factor=2, mode='bilinear')(fastnn.randn(1, 3, 4, 4)).shape
        (1, 3, 8, 8)
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode,
                             self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    r"""2-D nearest-neighbour upsampling: ``Upsample(size, scale_factor, mode='nearest')``.

    Examples::

        >>> nn.UpsamplingNearest2d(scale_factor=2)(fastnn.randn(1, 1, 2, 2)).shape
        (1, 1, 4, 4)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    r"""2-D bilinear upsampling with ``align_corners=True``.

    Examples::

        >>> nn.UpsamplingBilinear2d(scale_factor=2)(fastnn.randn(1, 1, 2, 2)).shape
        (1, 1, 4, 4)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
