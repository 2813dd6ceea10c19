"""Gradients of F.pad, F.interpolate and the shuffles against torch's: every padding mode
with positive and negative pads, every interpolation mode fastnn runs (align_corners,
scale_factor, recompute_scale_factor, antialias, channels-last input), and the torch-free
float64 check."""
import numpy as np
import pytest

from gradcheck import compare_with_torch, numerical_check

SEED = 20261204


def _functional(lib):
    return lib.nn.functional


def _pad_cases():
    rng = np.random.default_rng(SEED)
    cases = []
    for mode in ("constant", "reflect", "replicate", "circular"):
        for npad in (1, 2, 3):
            for batched in (True, False):
                size = tuple(int(v) for v in rng.integers(3, 6, npad))
                shape = ((2, 3) if batched else (3,)) + size
                pads = []
                for s in reversed(size):
                    limit = s - 1 if mode == "reflect" else s
                    pads += [int(rng.integers(-1, limit + 1)), int(rng.integers(-2, 3))]
                cases.append((mode, shape, tuple(pads)))
    cases.append(("constant", (2, 3, 4), (1, -2, 0, 1, -1, 2)))    # a non-padded-rank pad
    return cases


@pytest.mark.parametrize("mode, shape, pads", _pad_cases())
def test_pad_gradients_match_torch(mode, shape, pads, torch):
    x = np.random.default_rng(sum(shape)).standard_normal(shape)
    value = 1.5 if mode == "constant" else None
    compare_with_torch(lambda lib, t: _functional(lib).pad(t, pads, mode, value), [x], torch)


def _interpolate_cases():
    cases = []
    for mode, nd in (("nearest", 1), ("nearest", 2), ("nearest", 3), ("nearest-exact", 2),
                     ("nearest-exact", 1), ("linear", 1), ("bilinear", 2),
                     ("bicubic", 2), ("trilinear", 3), ("area", 2), ("area", 3)):
        interpolating = mode in ("linear", "bilinear", "bicubic", "trilinear")
        for size, scale in (((7, 3, 5)[:nd], None), (None, (1.7, 0.6, 2.0)[:nd]),
                            (None, 2.0)):
            for align in ((False, True) if interpolating else (None,)):
                kwargs = dict(size=size, scale_factor=scale, mode=mode, align_corners=align)
                cases.append((nd, kwargs))
        if interpolating or mode == "nearest":
            cases.append((nd, dict(scale_factor=(0.7, 1.3, 1.6)[:nd], mode=mode,
                                   recompute_scale_factor=True)))
    for mode in ("bilinear", "bicubic"):
        for size in ((3, 11), (9, 4), (2, 1)):
            cases.append((2, dict(size=size, mode=mode, antialias=True)))
    return cases


@pytest.mark.parametrize("nd, kwargs", _interpolate_cases())
def test_interpolate_gradients_match_torch(nd, kwargs, torch):
    x = np.random.default_rng(nd).standard_normal((2, 3) + (5, 6, 4)[:nd])
    compare_with_torch(lambda lib, t: _functional(lib).interpolate(t, **kwargs), [x], torch)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_interpolate_channels_last_input(mode, torch):
    # torch runs its channels-last kernels (other nearest indices) for this layout
    base = np.random.default_rng(3).standard_normal((2, 5, 6, 3))

    def call(lib, t):
        return _functional(lib).interpolate(t.permute(0, 3, 1, 2), scale_factor=1.5,
                                            mode=mode)
    compare_with_torch(call, [base], torch)


def test_interpolate_float32(torch):
    # the float32 kernels of the other modes are the same loops (one compile each is
    # CI time): bilinear x2, the bench's case
    x = np.random.default_rng(4).standard_normal((2, 4, 9, 7)).astype(np.float32)
    compare_with_torch(lambda lib, t: _functional(lib).interpolate(
        t, scale_factor=2, mode="bilinear"), [x], torch)


@pytest.mark.parametrize("op, factor, shape", [
    ("pixel_shuffle", 2, (2, 8, 3, 4)), ("pixel_shuffle", 3, (2, 2, 9, 2, 3)),
    ("pixel_unshuffle", 2, (2, 3, 4, 6)), ("pixel_unshuffle", 3, (3, 6, 3)),
    ("channel_shuffle", 3, (2, 6, 3, 4)), ("channel_shuffle", 2, (2, 4, 5)),
])
def test_shuffle_gradients_match_torch(op, factor, shape, torch):
    x = np.random.default_rng(5).standard_normal(shape)
    compare_with_torch(lambda lib, t: getattr(_functional(lib), op)(t, factor), [x], torch)


@pytest.mark.parametrize("call", [
    lambda F, t: F.pad(t, (2, -1, 1, 2), "reflect"),
    lambda F, t: F.pad(t, (1, 2, -1, 1), "circular"),
    lambda F, t: F.interpolate(t, size=(4, 7), mode="bicubic"),
    lambda F, t: F.interpolate(t, size=(3, 2), mode="bilinear", antialias=True),
])
def test_gradients_match_central_differences(call):
    x = np.random.default_rng(6).standard_normal((1, 2, 4, 5))
    numerical_check(lambda lib, t: call(_functional(lib), t), [x])
