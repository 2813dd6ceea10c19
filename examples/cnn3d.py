"""A small 3-D CNN for short video clips (frames x height x width), in plain PyTorch idiom."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallC3D(nn.Module):
    def __init__(self, in_channels=3, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv3d(in_channels, 16, kernel_size=3, padding=1),
            nn.BatchNorm3d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool3d(kernel_size=(1, 2, 2)),
            nn.Conv3d(16, 32, kernel_size=(3, 3, 3), padding=(1, 1, 1), dilation=1),
            nn.BatchNorm3d(32),
            nn.ReLU(inplace=True),
            nn.MaxPool3d(2),
            nn.Conv3d(32, 32, kernel_size=3, padding=1, groups=4),
        )
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.dropout = nn.Dropout(p=0.5)
        self.classifier = nn.Linear(32, num_classes)

    def forward(self, x):
        x = F.relu(self.features(x))
        x = self.pool(x)
        x = x.view(x.size(0), -1)
        return self.classifier(self.dropout(x))


def build(**kwargs):
    return SmallC3D(**kwargs)


def example_input(batch_size=2, frames=8, size=32):
    return torch.randn(batch_size, 3, frames, size, size)
