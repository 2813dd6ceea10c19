"""Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, PixelShuffle, PixelUnshuffle and
ChannelShuffle: reprs, stored arguments and outputs as torch's."""
import numpy as np
import pytest

import fastnn.nn as nn
from torch_compare import assert_like_torch

CASES = [
    ("Upsample", dict(scale_factor=2)),
    ("Upsample", dict(scale_factor=1.5, mode="bilinear")),
    ("Upsample", dict(size=(3, 7), mode="bicubic", align_corners=True)),
    ("Upsample", dict(scale_factor=(2, 0.5), mode="nearest-exact")),
    ("Upsample", dict(size=5, mode="area")),
    ("Upsample", dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
    ("Upsample", dict(scale_factor=0)),
    ("Upsample", dict()),
    ("UpsamplingNearest2d", dict(scale_factor=3)),
    ("UpsamplingNearest2d", dict(size=(5, 4))),
    ("UpsamplingBilinear2d", dict(scale_factor=2)),
    ("UpsamplingBilinear2d", dict(size=7)),
    ("PixelShuffle", dict(upscale_factor=2)),
    ("PixelUnshuffle", dict(downscale_factor=2)),
    ("ChannelShuffle", dict(groups=2)),
]


@pytest.mark.parametrize("name, kw", CASES)
def test_repr_attributes_and_forward_are_torchs(torch, name, kw):
    ours, theirs = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert repr(ours) == repr(theirs)
    for attr in ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor",
                 "upscale_factor", "downscale_factor", "groups"):
        assert getattr(ours, attr, None) == getattr(theirs, attr, None), attr
    x = np.random.default_rng(0).standard_normal((2, 4, 6, 6)).astype(np.float32)
    assert_like_torch(lambda: ours(x), lambda: theirs(torch.from_numpy(x)), rtol=1e-5,
                      atol=1e-5)


def test_upsample_3d_and_1d_inputs(torch):
    rng = np.random.default_rng(1)
    for shape, kw in [((1, 2, 5), dict(scale_factor=2.5, mode="linear")),
                      ((1, 2, 3, 4, 5), dict(size=(4, 6, 3), mode="trilinear",
                                             align_corners=True)),
                      ((1, 2, 3, 4, 5), dict(scale_factor=(1.5, 2, 0.5)))]:
        x = rng.standard_normal(shape)
        assert_like_torch(lambda: nn.Upsample(**kw)(x),
                          lambda: torch.nn.Upsample(**kw)(torch.from_numpy(x)),
                          rtol=1e-10, atol=1e-10)
