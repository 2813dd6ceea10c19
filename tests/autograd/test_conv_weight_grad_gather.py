"""The weight gradient of convolutions with few input channels, taps gathered from the
padded input (kernels/conv_weight_grad_gather.py, `_conv_grad._weight_grad_gather`):
against torch over seeded random arguments with the path forced, runs of positions cut
short and a batch run a sample at a time, against the im2col path without torch (also on
inf and NaN), and the rule that picks it."""
import numpy as np
import pytest

from fastnn.kernels import conv_weight_grad_gather as _gather
from fastnn.nn.functional import _conv_grad

from weight_grad_paths import (against_gemm, assert_matches_torch, assert_same_nonfinite, five,
                               forced, nonfinite_case)


def _random_case(seed):
    """(nd, x shape, w shape, keywords, dtype) of a dense convolution with few input
    channels: every stride, padding and dilation, output channels on either side of a
    tile's 64."""
    rng = np.random.default_rng(seed)
    nd = int(rng.integers(1, 4))
    kernel = tuple(int(v) for v in rng.integers(1, 6 if nd < 3 else 4, nd))
    stride = tuple(int(v) for v in rng.integers(1, 4, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    padding = tuple(int(v) for v in rng.integers(0, 4, nd))
    reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    spatial = tuple(max(1, r - 2 * p) + int(rng.integers(0, 12 if nd < 3 else 5))
                    for r, p in zip(reach, padding))
    n, c, k = int(rng.integers(1, 4)), int(rng.integers(1, 16)), int(rng.integers(1, 90))
    dtype = np.float32 if rng.random() < 0.5 else np.float64
    keywords = dict(stride=stride, padding=padding, dilation=dilation)
    return nd, (n, c) + spatial, (k, c) + kernel, keywords, dtype


@pytest.mark.parametrize("cut", ["none", "runs", "passes"])
@pytest.mark.parametrize("seed", range(16))
def test_random_arguments_match_torch(seed, cut, torch, monkeypatch):
    # "runs": tasks of 3 positions cut every output row; "passes" pads and runs one
    # sample at a time, adding into the sums of the last
    ran = forced(monkeypatch, "_weight_grad_gather", "_gather_pays",
                 declined=("_positions_pay", "_shifted_pays"))
    if cut == "runs":
        monkeypatch.setattr(_gather, "segment_length", lambda kp, itemsize: 3)
    if cut == "passes":
        monkeypatch.setattr(_conv_grad, "COLS_MAX", 1)
    assert_matches_torch(torch, _random_case(seed), seed, ran)


@pytest.mark.parametrize("seed", range(6))
def test_equals_the_im2col_path_without_torch(seed):
    gathered, im2col = against_gemm(_conv_grad._weight_grad_gather,
                                    five(*_random_case(seed)[:4]))
    np.testing.assert_allclose(gathered, im2col, rtol=1e-12,
                               atol=1e-12 * np.abs(im2col).max())


@pytest.mark.parametrize("where, value", [("input", np.inf), ("input", np.nan),
                                          ("grad", np.inf), ("grad", -np.inf)])
def test_inf_and_nan_as_on_the_im2col_path(where, value):
    """Padding taps are multiplied like any other, as the im2col path multiplies them: the
    same taps come out inf or NaN (a sum holding inf and NaN is order-free)."""
    gathered, im2col = against_gemm(_conv_grad._weight_grad_gather,
                                    nonfinite_case(where, value))
    assert_same_nonfinite(gathered, im2col)


@pytest.mark.parametrize("w_shape, row, groups, expected", [
    ((64, 3, 1, 7, 7), 112, 1, True),       # ResNet's stem
    ((64, 15, 1, 3, 3), 12, 1, True),
    ((64, 6, 1, 5, 5), 10, 1, False),       # rows too short
    ((64, 16, 1, 3, 3), 56, 1, False),      # lanes enough for the shifted and im2col paths
    ((16, 6, 1, 5, 5), 10, 1, False),       # LeNet's: most of the tile's lanes idle
    ((64, 3, 1, 3, 3), 56, 2, False),       # grouped
])
def test_rule(w_shape, row, groups, expected, monkeypatch):
    monkeypatch.setattr(_gather, "padded_channels", lambda k, itemsize: 64)
    g_shape = (8, w_shape[0], 1, row, row)
    assert _conv_grad._gather_pays(w_shape, g_shape, groups, 4) is expected
