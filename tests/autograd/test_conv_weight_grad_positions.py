"""The weight gradient on the position-major im2col and the 'pointwise' tiles
(`_conv_grad._weight_grad_positions`, kernels/im2col.py `im2col_positions`): against torch
over seeded random arguments with the path forced, a batch run a sample at a time, against
the im2col and gemm_nt_long path without torch (also on inf and NaN), and the rule that
picks it."""
import numpy as np
import pytest

import fastnn
from fastnn.nn.functional import _conv_grad

from weight_grad_paths import (against_gemm, assert_matches_torch, assert_same_nonfinite, five,
                               forced, nonfinite_case, weight_grad)


def _random_case(seed):
    """(nd, x shape, w shape, keywords, dtype) of a dense convolution with taps enough
    for the tiles (input channels x taps >= 16): every stride, padding and dilation."""
    rng = np.random.default_rng(seed)
    nd = int(rng.integers(1, 4))
    kernel = tuple(int(v) for v in rng.integers(1, 4, nd))
    stride = tuple(int(v) for v in rng.integers(1, 4, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    padding = tuple(int(v) for v in rng.integers(0, 3, nd))
    reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    spatial = tuple(max(1, r - 2 * p) + int(rng.integers(0, 9 if nd < 3 else 4))
                    for r, p in zip(reach, padding))
    c = max(int(rng.integers(1, 24)), -(-16 // int(np.prod(kernel))))
    n, k = int(rng.integers(1, 4)), int(rng.integers(16, 70))
    dtype = np.float32 if rng.random() < 0.5 else np.float64
    keywords = dict(stride=stride, padding=padding, dilation=dilation)
    return nd, (n, c) + spatial, (k, c) + kernel, keywords, dtype


@pytest.mark.parametrize("passes", [False, True])
@pytest.mark.parametrize("seed", range(16))
def test_random_arguments_match_torch(seed, passes, torch, monkeypatch):
    ran = forced(monkeypatch, "_weight_grad_positions", "_positions_pay",
                 declined=("_shifted_pays", "_gather_pays"))
    if passes:      # one sample per pass, each adding into the sums of the last
        monkeypatch.setattr(_conv_grad, "COLS_MAX", 1)
    assert_matches_torch(torch, _random_case(seed), seed, ran)


@pytest.mark.parametrize("seed", range(6))
def test_equals_the_gemm_path_without_torch(seed):
    ours, gemm = against_gemm(_conv_grad._weight_grad_positions,
                              five(*_random_case(seed)[:4]))
    np.testing.assert_allclose(ours, gemm, rtol=1e-12, atol=1e-12 * np.abs(gemm).max())


@pytest.mark.parametrize("where, value", [("input", np.inf), ("input", np.nan),
                                          ("grad", np.inf), ("grad", -np.inf)])
def test_inf_and_nan_as_on_the_gemm_path(where, value):
    """Padding taps are multiplied like any other on both: the same taps come out inf
    or NaN (a sum holding inf and NaN is order-free)."""
    ours, gemm = against_gemm(_conv_grad._weight_grad_positions,
                              nonfinite_case(where, value))
    assert_same_nonfinite(ours, gemm)


@pytest.mark.parametrize("n, c, k, size, stride, expected", [
    (8, 512, 512, 7, 1, True),          # ResNet's last stage: 392 positions
    (8, 256, 256, 7, 1, True),
    (8, 256, 256, 14, 1, False),        # 1,568 positions
    (8, 64, 128, 28, 2, False),
    (1, 256, 256, 14, 1, True),         # a sample's 196
])
def test_rule(n, c, k, size, stride, expected):
    g_shape = (n, k, 1, size, size)
    x_shape = (n, c, 1, size * stride, size * stride)
    assert _conv_grad._positions_pay(x_shape, g_shape, (k, c, 1, 3, 3), (1, stride, stride),
                                     (0, 1, 1)) is expected


def test_rule_leaves_the_plain_1x1_kernel_to_the_gemm():
    # a stride-1 unpadded 1x1 kernel reads the input as its columns: no im2col at all
    assert not _conv_grad._positions_pay((8, 512, 1, 4, 4), (8, 512, 1, 4, 4),
                                         (512, 512, 1, 1, 1), (1, 1, 1), (0, 0, 0))


@pytest.mark.parametrize("least", [1, 1 << 30])
@pytest.mark.parametrize("size", [(5, 7), (12, 12)])
def test_unit_kernel_in_place_and_copied_match_torch(size, least, torch, monkeypatch):
    """A stride-1 1x1 kernel's input is its own columns: read in place a sample per GEMM
    (planes of PLAIN_MIN_POSITIONS and more), or copied to run the samples in one."""
    monkeypatch.setattr(_conv_grad, "PLAIN_MIN_POSITIONS", least)
    monkeypatch.setattr(_conv_grad, "_positions_pay", lambda *args: False)
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 20) + size), rng.standard_normal((24, 20, 1, 1))
    g = rng.standard_normal((3, 24) + size)
    ours = weight_grad(fastnn, 2, x, w, g, {})
    theirs = weight_grad(torch, 2, x, w, g, {})
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10 * np.abs(theirs).max())


@pytest.mark.parametrize("shape", [(3, 5, 1, 2, 3), (4, 40, 1, 12, 12)])
def test_positions_last_lays_each_channel_sample_after_sample(shape):
    # the second is past _array.TRANSPOSED_COPY_MIN: the blocked transpose kernel's copy
    arr = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    got = _conv_grad._positions_last(arr, 1, shape[0] - 1)
    expected = np.moveaxis(arr[1:], 1, 0).reshape(shape[1], -1)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(got, expected)
