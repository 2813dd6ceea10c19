"""Building blocks that torchvision keeps outside torch.nn (``torchvision.ops.misc``,
``torchvision.ops.stochastic_depth``, ``torchvision.models._utils``), with the same
submodule names, so the models that use them keep torchvision's state_dict keys.

Like every file of this package, it is torch code with fastnn's imports: the tests run the
same text under torch (`fastnn.models._torch_twin`).
"""
import os

import fastnn as torch
import fastnn.nn as nn


def make_divisible(value, divisor, min_value=None):
    """`value` rounded to the nearest multiple of `divisor` (at least `min_value`, default
    `divisor`), never below 90% of `value`: how MobileNet and EfficientNet size channels."""
    if min_value is None:
        min_value = divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


class Conv2dNormActivation(nn.Sequential):
    """Conv2d, then `norm_layer` (None: none), then `activation_layer` (None: none), as
    ``torchvision.ops.Conv2dNormActivation``: children ``0``, ``1``, ``2``. `padding` None
    keeps the spatial size at stride 1; the convolution has a bias only without a norm
    unless `bias` says otherwise."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None,
                 groups=1, norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1,
                 inplace=True, bias=None):
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                            dilation=dilation, groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**({} if inplace is None else {"inplace": inplace})))
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu et al. 2018) as ``torchvision.ops.SqueezeExcitation``:
    the input scaled per channel by scale_activation(fc2(activation(fc1(avgpool(x)))))."""

    def __init__(self, input_channels, squeeze_channels, activation=nn.ReLU,
                 scale_activation=nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def forward(self, input):
        scale = self.fc2(self.activation(self.fc1(self.avgpool(input))))
        return self.scale_activation(scale) * input


def stochastic_depth(input, p, mode, training=True):
    """Drops whole residual branches at random while training, as
    ``torchvision.ops.stochastic_depth``: per sample (`mode` 'row') or for the whole batch
    ('batch'), the survivors scaled by 1 / (1 - p). The identity in eval mode or at p = 0."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"mode has to be either 'batch' or 'row', but got {mode}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1) if mode == "row" else [1] * input.ndim
    keep = torch.rand(size, dtype=input.dtype) < survival_rate
    noise = torch.zeros(size, dtype=input.dtype)
    noise[keep] = 1.0 / survival_rate if survival_rate > 0.0 else 0.0
    return input * noise


class StochasticDepth(nn.Module):
    """`stochastic_depth` as a module (``torchvision.ops.StochasticDepth``)."""

    def __init__(self, p, mode):
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def extra_repr(self):
        return f"p={self.p}, mode={self.mode}"


class Permute(nn.Module):
    """``input.permute(*dims)`` as a module (``torchvision.ops.misc.Permute``)."""

    def __init__(self, dims):
        super().__init__()
        self.dims = list(dims)

    def forward(self, x):
        return x.permute(*self.dims)


def override(kwargs, **fixed):
    """`kwargs` with the arguments a builder fixes (as torchvision's
    ``_ovewrite_named_param``): a caller's different value is an error, not ignored."""
    for name, value in fixed.items():
        if kwargs.get(name, value) != value:
            raise ValueError(f"The parameter '{name}' expected value {value} but got "
                             f"{kwargs[name]} instead.")
    return dict(kwargs, **fixed)


def load_weights(model, weights):
    """Load the checkpoint file at `weights` (a state_dict saved by torch or fastnn) into
    `model`, every key matching; return the model."""
    if weights is not None:
        model.load_state_dict(torch.load(checkpoint_path(weights), map_location="cpu"))
    return model


def checkpoint_path(weights):
    """`weights` as a file to load: a path or a file object, not one of torchvision's
    weight names, which name files torchvision would download."""
    if isinstance(weights, str) and not os.path.exists(weights) and (
            weights == "DEFAULT" or weights.startswith("IMAGENET")):
        raise ValueError(f"weights={weights!r} names torchvision's published weights, which "
                         "this package does not download: pass the path of the checkpoint "
                         "file instead")
    return weights
