"""EfficientNet B0-B7 (Tan and Le 2019), laid out as torchvision's ``efficientnet.py``:
``features`` (the stem, one Sequential of MBConv blocks per stage, each block a Sequential
``block`` with squeeze-excitation, and the last 1x1 convolution), ``avgpool`` and
``classifier`` (dropout, Linear). Stochastic depth is the identity in eval mode."""
import math

import fastnn as torch
import fastnn.nn as nn

from ._layers import (Conv2dNormActivation, SqueezeExcitation, StochasticDepth, load_weights,
                      make_divisible)

__all__ = ["EfficientNet", "MBConv", "MBConvConfig"] + [f"efficientnet_b{i}" for i in range(8)]


class MBConvConfig:
    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                 width_mult=1.0, depth_mult=1.0):
        self.expand_ratio = expand_ratio
        self.kernel = kernel
        self.stride = stride
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.num_layers = int(math.ceil(num_layers * depth_mult))

    @staticmethod
    def adjust_channels(channels, width_mult, min_value=None):
        return make_divisible(channels * width_mult, 8, min_value)

    def copy(self, input_channels, stride):
        other = MBConvConfig.__new__(MBConvConfig)
        other.__dict__.update(self.__dict__, input_channels=input_channels, stride=stride)
        return other


class MBConv(nn.Module):
    def __init__(self, cnf, stochastic_depth_prob, norm_layer):
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        squeeze_channels = max(1, cnf.input_channels // 4)
        layers.append(SqueezeExcitation(expanded, squeeze_channels,
                                        activation=lambda: nn.SiLU(inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


class EfficientNet(nn.Module):
    def __init__(self, inverted_residual_setting, dropout, stochastic_depth_prob=0.2,
                 num_classes=1000, norm_layer=None, last_channel=None):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not all(isinstance(s, MBConvConfig) for s in inverted_residual_setting):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        layers = [Conv2dNormActivation(3, inverted_residual_setting[0].input_channels,
                                       kernel_size=3, stride=2, norm_layer=norm_layer,
                                       activation_layer=nn.SiLU)]
        total_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage = []
            for i in range(cnf.num_layers):
                block_cnf = cnf if i == 0 else cnf.copy(cnf.out_channels, 1)
                # the drop probability grows linearly with the block's depth
                sd_prob = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(MBConv(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(last_out, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def _b_setting(width_mult, depth_mult):
    # expansion, kernel, stride, input channels, output channels, repeats
    stages = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
              (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
              (6, 3, 1, 192, 320, 1)]
    return [MBConvConfig(*stage, width_mult=width_mult, depth_mult=depth_mult)
            for stage in stages]


def _large_batch_norm(channels):
    return nn.BatchNorm2d(channels, eps=0.001, momentum=0.01)


# width multiplier, depth multiplier, dropout, norm layer (None: BatchNorm2d)
_VARIANTS = {0: (1.0, 1.0, 0.2, None), 1: (1.0, 1.1, 0.2, None), 2: (1.1, 1.2, 0.3, None),
             3: (1.2, 1.4, 0.3, None), 4: (1.4, 1.8, 0.4, None),
             5: (1.6, 2.2, 0.4, _large_batch_norm), 6: (1.8, 2.6, 0.5, _large_batch_norm),
             7: (2.0, 3.1, 0.5, _large_batch_norm)}


def _efficientnet_b(index, weights, **kwargs):
    width_mult, depth_mult, dropout, norm_layer = _VARIANTS[index]
    kwargs.setdefault("dropout", dropout)
    if norm_layer is not None:
        kwargs.setdefault("norm_layer", norm_layer)
    model = EfficientNet(_b_setting(width_mult, depth_mult), **kwargs)
    return load_weights(model, weights)


def efficientnet_b0(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B0; `weights`: a checkpoint file (torchvision's efficientnet_b0)."""
    return _efficientnet_b(0, weights, **kwargs)


def efficientnet_b1(*, weights=None, progress=True, **kwargs):
    return _efficientnet_b(1, weights, **kwargs)


def efficientnet_b2(*, weights=None, progress=True, **kwargs):
    return _efficientnet_b(2, weights, **kwargs)


def efficientnet_b3(*, weights=None, progress=True, **kwargs):
    return _efficientnet_b(3, weights, **kwargs)


def efficientnet_b4(*, weights=None, progress=True, **kwargs):
    return _efficientnet_b(4, weights, **kwargs)


def efficientnet_b5(*, weights=None, progress=True, **kwargs):
    return _efficientnet_b(5, weights, **kwargs)


def efficientnet_b6(*, weights=None, progress=True, **kwargs):
    return _efficientnet_b(6, weights, **kwargs)


def efficientnet_b7(*, weights=None, progress=True, **kwargs):
    return _efficientnet_b(7, weights, **kwargs)
