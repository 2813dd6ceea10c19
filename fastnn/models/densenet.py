"""DenseNet (Huang et al. 2016), laid out as torchvision's ``densenet.py``: ``features``
(``conv0``, ``norm0``, ``relu0``, ``pool0``, then ``denseblock<i>`` of ``denselayer<j>``
and ``transition<i>``, then ``norm5``) and ``classifier``.

torchvision's own DenseNet checkpoints name the layers of a dense layer ``norm.1``,
``conv.2`` ... (an older layout); `load_weights` renames them as torchvision does."""
import re
from collections import OrderedDict

import fastnn as torch
import fastnn.nn as nn
import fastnn.nn.functional as F

from ._layers import checkpoint_path

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate,
                 memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        # gradient checkpointing: it only saves memory in training, which fastnn lacks
        self.memory_efficient = memory_efficient

    def forward(self, features):
        inputs = torch.cat(features, 1) if isinstance(features, (list, tuple)) else features
        bottleneck = self.conv1(self.relu1(self.norm1(inputs)))
        new_features = self.conv2(self.relu2(self.norm2(bottleneck)))
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate,
                 memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate=growth_rate,
                                bn_size=bn_size, drop_rate=drop_rate,
                                memory_efficient=memory_efficient)
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return torch.cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64,
                 bn_size=4, drop_rate=0, num_classes=1000, memory_efficient=False):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers, num_features, bn_size=bn_size,
                                growth_rate=growth_rate, drop_rate=drop_rate,
                                memory_efficient=memory_efficient)
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}",
                                         _Transition(num_features, num_features // 2))
                num_features = num_features // 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        out = F.relu(self.features(x), inplace=True)
        out = torch.flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1)
        return self.classifier(out)


# '...denselayer1.norm.1.weight' -> '...denselayer1.norm1.weight'
_OLD_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean"
    r"|running_var))$")


def load_weights(model, weights):
    """Load the checkpoint at `weights` into `model`, renaming the old layout's keys."""
    if weights is not None:
        state_dict = torch.load(checkpoint_path(weights), map_location="cpu")
        renamed = OrderedDict()
        for key, value in state_dict.items():
            match = _OLD_KEY.match(key)
            renamed[match.group(1) + match.group(2) if match else key] = value
        model.load_state_dict(renamed)
    return model


def _densenet(growth_rate, block_config, num_init_features, weights, **kwargs):
    return load_weights(DenseNet(growth_rate, block_config, num_init_features, **kwargs),
                        weights)


def densenet121(*, weights=None, progress=True, **kwargs):
    """DenseNet-121; `weights`: a checkpoint file (torchvision's densenet121)."""
    return _densenet(32, (6, 12, 24, 16), 64, weights, **kwargs)


def densenet161(*, weights=None, progress=True, **kwargs):
    return _densenet(48, (6, 12, 36, 24), 96, weights, **kwargs)


def densenet169(*, weights=None, progress=True, **kwargs):
    return _densenet(32, (6, 12, 32, 32), 64, weights, **kwargs)


def densenet201(*, weights=None, progress=True, **kwargs):
    return _densenet(32, (6, 12, 48, 32), 64, weights, **kwargs)
