"""The weight gradient of dense stride-1 convolutions as shifted GEMMs on the packed input
(kernels/conv_weight_grad.py, `_conv_grad._weight_grad_shifted`): against torch over
seeded random arguments with the path forced, against the im2col path without torch,
chunks cut mid-row, a batch run a sample at a time, the fall-back on NaN and inf, and the
rule that picks it."""
import numpy as np
import pytest

from fastnn.kernels import conv_weight_grad as _shifted
from fastnn.nn.functional import _conv_grad

from weight_grad_paths import against_gemm, assert_matches_torch, five, forced


def _random_case(seed):
    """(nd, x shape, w shape, keywords, dtype) of a dense stride-1 convolution with
    channels enough for the shifted path."""
    rng = np.random.default_rng(seed)
    nd = int(rng.integers(1, 4))
    kernel = tuple(int(v) for v in rng.integers(1, 5, nd))
    if kernel == (1,) * nd:
        kernel = (2,) + kernel[1:]
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    if rng.random() < 0.3:
        padding = "same"            # asymmetric for even kernels
    else:
        padding = tuple(int(v) for v in rng.integers(0, 4, nd))
    reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    spatial = tuple(r + int(rng.integers(0, 6)) for r in reach)
    n, c, k = int(rng.integers(1, 4)), int(rng.integers(16, 41)), int(rng.integers(16, 41))
    dtype = np.float32 if rng.random() < 0.5 else np.float64
    keywords = dict(padding=padding, dilation=dilation)
    return nd, (n, c) + spatial, (k, c) + kernel, keywords, dtype


def _forced(monkeypatch):
    return forced(monkeypatch, "_weight_grad_shifted", "_shifted_pays",
                  declined=("_positions_pay",))


@pytest.mark.parametrize("cut", ["none", "chunks", "passes"])
@pytest.mark.parametrize("seed", range(16))
def test_random_arguments_match_torch(seed, cut, torch, monkeypatch):
    # chunks of one grid row each (7 positions at most); "passes"
    # packs and runs one sample at a time, adding into the sums of the last
    ran = _forced(monkeypatch)
    if cut == "chunks":
        monkeypatch.setattr(_shifted, "chunk_length", lambda k, c: 7)
    if cut == "passes":
        monkeypatch.setattr(_conv_grad, "COLS_MAX", 1)
    assert_matches_torch(torch, _random_case(seed), seed, ran)


def _shifted_path(x, g, out, stride, padding, dilation):
    assert _conv_grad._weight_grad_shifted(x, g, out, padding, dilation)


@pytest.mark.parametrize("seed", range(6))
def test_equals_the_im2col_path_without_torch(seed):
    shifted, im2col = against_gemm(_shifted_path, five(*_random_case(seed)[:4]))
    np.testing.assert_allclose(shifted, im2col, rtol=1e-12, atol=1e-12 * np.abs(im2col).max())


@pytest.mark.parametrize("where, value", [("input", np.inf), ("input", np.nan),
                                          ("grad", np.inf), ("grad", -np.inf)])
def test_nan_and_inf_take_the_im2col_path(where, value, monkeypatch):
    """Its grid gaps and padding would multiply them by zero (NaN where torch has a
    number): the shifted path declines, and the result is the im2col path's, NaN for NaN."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 16, 1, 9, 9))
    g = rng.standard_normal((2, 20, 1, 9, 9))
    (x if where == "input" else g)[1, 3, 0, 4, 8] = value
    shape = (20, 16, 1, 3, 3)
    ran = _forced(monkeypatch)
    result = _conv_grad.weight_grad(x, g, shape, (1, 1, 1), (0, 1, 1), (1, 1, 1), 1)
    assert ran == [False]
    expected = np.empty(shape)
    _conv_grad._weight_grad_gemm(x, g, expected, (1, 1, 1), (0, 1, 1), (1, 1, 1), 1)
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("n, c, k, spatial, kernel, pad, stride, groups, expected", [
    (8, 64, 64, (1, 56, 56), (1, 3, 3), (0, 1, 1), 1, 1, True),
    (8, 128, 128, (1, 28, 28), (1, 3, 3), (0, 1, 1), 1, 1, True),
    (8, 256, 256, (1, 14, 14), (1, 3, 3), (0, 1, 1), 1, 1, True),
    (8, 384, 384, (1, 14, 14), (1, 3, 3), (0, 1, 1), 1, 1, True),
    (8, 512, 512, (1, 14, 14), (1, 3, 3), (0, 1, 1), 1, 1, False),
    (8, 192, 192, (1, 7, 7), (1, 3, 3), (0, 1, 1), 1, 1, True),
    (8, 512, 512, (1, 7, 7), (1, 3, 3), (0, 1, 1), 1, 1, False),
    (2, 32, 32, (8, 28, 28), (3, 3, 3), (1, 1, 1), 1, 1, True),
    (8, 64, 64, (1, 56, 56), (1, 1, 1), (0, 0, 0), 1, 1, False),     # one tap: plain GEMM
    (8, 64, 64, (1, 56, 56), (1, 3, 3), (0, 1, 1), 2, 1, False),     # strided
    (8, 64, 64, (1, 56, 56), (1, 3, 3), (0, 1, 1), 1, 2, False),     # grouped
    (8, 8, 64, (1, 56, 56), (1, 3, 3), (0, 1, 1), 1, 1, False),      # 8 input channels
])
def test_rule(n, c, k, spatial, kernel, pad, stride, groups, expected):
    strides = (1,) + (stride,) * 2
    out = tuple((s + 2 * p - t) // st + 1 for s, p, t, st in zip(spatial, pad, kernel, strides))
    assert _conv_grad._shifted_pays((n, c) + spatial, (n, k) + out, (k, c // groups) + kernel,
                                    strides, pad, (1, 1, 1), groups) is expected


@pytest.mark.parametrize("x_shape, grid, pad", [
    ((2, 20, 1, 1, 1024), (1, 1, 1030), (0, 0, 3)),     # rows of 16 columns and a rest
    ((1, 33, 2, 5, 37), (4, 7, 40), (1, 1, 2)),         # channels past a block of 16
    ((2, 16, 1, 3, 17), (1, 3, 17), (0, 0, 0)),         # no padding
    ((1, 16, 1, 2, 4), (1, 4, 9), (0, 1, 6)),           # more padding than columns
])
def test_pack_input_lays_out_the_padded_grid(x_shape, grid, pad):
    x = np.random.default_rng(0).standard_normal(x_shape).astype(np.float32)
    n, c = x_shape[:2]
    # zero-padded by `pad` before and up to the grid after, cut at the grid's end
    after = [max(0, g - p - s) for g, p, s in zip(grid, pad, x_shape[2:])]
    padded = np.pad(np.moveaxis(x, 1, -1), [(0, 0)] + list(zip(pad, after)) + [(0, 0)])
    expected = padded[(slice(None),) + tuple(slice(0, g) for g in grid)]
    xs = np.full((n * np.prod(grid), c), 7, np.float32)
    assert _shifted.pack_input(x, xs, *grid, *pad) == 0.0
    np.testing.assert_array_equal(xs, expected.reshape(xs.shape))
    x[0, c - 1, 0, 0, 0] = np.inf
    assert np.isnan(_shifted.pack_input(x, xs, *grid, *pad))


@pytest.mark.parametrize("n, c, k, size, kernel, groups, expected", [
    (8, 256, 256, 14, 3, 1, "shifted"),
    (1, 256, 256, 14, 3, 1, "positions"),       # both apply: the small plane's path first
    (8, 512, 512, 7, 3, 1, "positions"),
    (8, 3, 64, 112, 7, 1, "gather"),            # a stem
    (8, 64, 64, 56, 3, 64, "direct"),           # depthwise
    (8, 160, 960, 4, 1, 1, "gemm"),             # a 1x1 kernel on a small plane
    (64, 16, 16, 8, 3, 1, "direct"),            # few channel pairs
    (8, 32, 64, 28, 3, 1, "direct"),
    (8, 48, 48, 28, 3, 1, "shifted"),           # more than DIRECT_MAX_PAIRS
    (8, 256, 256, 28, 3, 8, "direct"),          # ResNeXt-like groups
    (8, 32, 32, 28, 1, 1, "gemm"),              # one tap: not the direct kernel
])
def test_path_order(n, c, k, size, kernel, groups, expected):
    """`weight_grad_path` asks the gathered taps first, then the direct kernel for few
    channel pairs and several taps, then the position-major path, the shifted GEMMs and
    the im2col GEMM; the direct kernel takes the rest."""
    pad = kernel // 2
    shapes = ((n, c, 1, size, size), (n, k, 1, size, size), (k, c // groups, 1, kernel, kernel))
    assert _conv_grad.weight_grad_path(*shapes, (1, 1, 1), (0, pad, pad), (1, 1, 1), groups,
                                       4) == expected
