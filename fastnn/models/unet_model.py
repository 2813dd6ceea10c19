"""U-Net (Ronneberger et al. 2015) for segmentation, in the layout most PyTorch code uses
(the widely copied ``Pytorch-UNet`` one): ``inc`` (a DoubleConv), ``down1`` .. ``down4``
(``maxpool_conv``: 2x2 max pool, DoubleConv), ``up1`` .. ``up4`` (``up``, then ``conv``
on the skip connection concatenated with the upsampled map) and ``outc`` (a 1x1
convolution ``conv``). A DoubleConv is ``double_conv``: (3x3 conv without bias,
BatchNorm, ReLU) twice. torchvision has no U-Net: these names are fastnn's, chosen so that
checkpoints of that common layout load.

``bilinear=True`` (the default here) upsamples with ``nn.Upsample(scale_factor=2,
mode="bilinear", align_corners=True)`` and halves the channels in the DoubleConv;
``bilinear=False`` uses a 2x2 stride-2 ``nn.ConvTranspose2d`` (learned upsampling).
"""
import fastnn as torch
import fastnn.nn as nn
import fastnn.nn.functional as F

from ._layers import load_weights

__all__ = ["UNet", "unet"]


class DoubleConv(nn.Module):
    def __init__(self, in_channels, out_channels, mid_channels=None):
        super().__init__()
        mid_channels = mid_channels or out_channels
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.double_conv(x)


class Down(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))

    def forward(self, x):
        return self.maxpool_conv(x)


class Up(nn.Module):
    def __init__(self, in_channels, out_channels, bilinear=True):
        super().__init__()
        if bilinear:
            self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
        else:
            if not hasattr(nn, "ConvTranspose2d"):
                raise NotImplementedError("UNet(bilinear=False) needs nn.ConvTranspose2d, "
                                          "which this fastnn lacks; use bilinear=True")
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x1, x2):
        x1 = self.up(x1)
        # an odd-sized skip map is one pixel larger than the upsampled one: pad to match
        diff_y = x2.shape[2] - x1.shape[2]
        diff_x = x2.shape[3] - x1.shape[3]
        if diff_y or diff_x:
            x1 = F.pad(x1, [diff_x // 2, diff_x - diff_x // 2, diff_y // 2, diff_y - diff_y // 2])
        return self.conv(torch.cat([x2, x1], dim=1))


class OutConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)

    def forward(self, x):
        return self.conv(x)


class UNet(nn.Module):
    """Input (N, in_channels, H, W), output (N, num_classes, H, W): per-pixel logits. Any
    H and W of at least 16 work (four 2x2 poolings; odd sizes are padded back up)."""

    def __init__(self, in_channels=3, num_classes=2, bilinear=True, base_channels=64):
        super().__init__()
        self.n_channels = in_channels
        self.n_classes = num_classes
        self.bilinear = bilinear
        c = base_channels
        factor = 2 if bilinear else 1
        self.inc = DoubleConv(in_channels, c)
        self.down1 = Down(c, 2 * c)
        self.down2 = Down(2 * c, 4 * c)
        self.down3 = Down(4 * c, 8 * c)
        self.down4 = Down(8 * c, 16 * c // factor)
        self.up1 = Up(16 * c, 8 * c // factor, bilinear)
        self.up2 = Up(8 * c, 4 * c // factor, bilinear)
        self.up3 = Up(4 * c, 2 * c // factor, bilinear)
        self.up4 = Up(2 * c, c, bilinear)
        self.outc = OutConv(c, num_classes)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x4 = self.down3(x3)
        x = self.up1(self.down4(x4), x4)
        x = self.up2(x, x3)
        x = self.up3(x, x2)
        x = self.up4(x, x1)
        return self.outc(x)


def unet(*, weights=None, progress=True, **kwargs):
    """U-Net; keyword arguments as `UNet` (in_channels=3, num_classes=2, bilinear=True,
    base_channels=64); `weights`: a checkpoint file of this layout."""
    return load_weights(UNet(**kwargs), weights)
