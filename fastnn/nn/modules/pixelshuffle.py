"""PixelShuffle, PixelUnshuffle and ChannelShuffle: layers over the functional shuffles.

Each stores its factor as given and checks it only when it runs, as torch's does.
"""
from .. import functional as F
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle", "ChannelShuffle"]


class PixelShuffle(Module):
    r"""``(*, C * r**2, H, W)`` to ``(*, C, H * r, W * r)``, r = upscale_factor
    (see :func:`fastnn.nn.functional.pixel_shuffle`).

    Examples::

        >>> nn.PixelShuffle(3)(fastnn.randn(1, 9, 4, 4)).shape
        (1, 1, 12, 12)
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    r"""``(*, C, H * r, W * r)`` to ``(*, C * r**2, H, W)``, r = downscale_factor
    (see :func:`fastnn.nn.functional.pixel_unshuffle`).

    Examples::

        >>> nn.PixelUnshuffle(3)(fastnn.randn(1, 1, 12, 12)).shape
        (1, 9, 4, 4)
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    r"""Interleave the channels of `groups` groups (ShuffleNet's channel shuffle; see
    :func:`fastnn.nn.functional.channel_shuffle`).

    Examples::

        >>> nn.ChannelShuffle(2)(fastnn.randn(1, 4, 2, 2)).shape
        (1, 4, 2, 2)
    """

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
