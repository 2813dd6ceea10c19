"""kernels/conv_depthwise.py called directly, against the float64 numpy reference.

The cases reach each path of the kernel: 8-row tiles over 3 kernel rows (stride and
dilation 1 along H, >= 8 output rows), 4-row tiles over 5 kernel rows at stride 2 (>= 4
output rows) and the general row tile; the stride-1 row copy, the stride-2 copy of
both phases and the generic strided copy; rows narrower than, equal to and wider
than a register (full and masked stores, overlapping last tiles); asymmetric padding,
channel multipliers and both dtypes.
"""
import numpy as np
import pytest

from fastnn._runtime import launch
from fastnn.kernels import conv_depthwise, conv_pad
from fastnn.kernels._epilogue import NONE
from fastnn.nn.functional._conv import _bias_args
from reference_conv import conv_reference

TOL = {np.float32: 2e-5, np.float64: 1e-12}


def run_kernel(x, w, b, stride, pad_before, pad_after, dilation):
    """The kernel on 5-D arrays, with the arguments _conv._run_depthwise gives it."""
    n, c, *size = x.shape
    k, _, *kernel = w.shape
    out_size = [(size[i] + pad_before[i] + pad_after[i] - dilation[i] * (kernel[i] - 1) - 1)
                // stride[i] + 1 for i in range(3)]
    out = np.full((n, k, *out_size), np.nan, dtype=x.dtype)
    span = conv_pad.phase_span(out_size[2], kernel[2], dilation[2], stride[2],
                               size[2] + pad_before[2] + pad_after[2])
    taps = conv_pad.tap_offsets(kernel[2], dilation[2], stride[2], span)
    bias, has_bias = _bias_args(b, x.dtype)   # as the layer passes them: one compilation
    launch(conv_depthwise.conv3d_depthwise, x, w, bias, has_bias, out, taps, span,
           stride[0], stride[1], *pad_before, stride[2], dilation[0], dilation[1], c, NONE)
    return out


def reference(x, w, b, stride, pad_before, pad_after, dilation):
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + list(zip(pad_before, pad_after)))
    return conv_reference(xp, w.astype(np.float64), None if b is None else
                          b.astype(np.float64), stride=stride, dilation=dilation,
                          groups=x.shape[1])


CASES = [
    # (N, C, mult, (D, H, W), (KD, KH, KW), stride, pad_before, pad_after, dilation)
    (2, 3, 1, (1, 20, 37), (1, 3, 3), (1, 1, 1), (0, 1, 1), (0, 1, 1), (1, 1, 1)),
    (1, 2, 2, (1, 9, 16), (1, 3, 3), (1, 1, 1), (0, 1, 1), (0, 1, 1), (1, 1, 1)),
    (1, 4, 1, (1, 11, 5), (1, 3, 3), (1, 1, 1), (0, 0, 2), (0, 1, 0), (1, 1, 1)),
    (1, 3, 1, (1, 30, 45), (1, 3, 3), (1, 2, 2), (0, 1, 1), (0, 1, 1), (1, 1, 1)),
    (2, 2, 3, (1, 17, 33), (1, 3, 5), (1, 2, 2), (0, 2, 2), (0, 1, 1), (1, 1, 2)),
    (1, 2, 1, (1, 25, 50), (1, 3, 3), (1, 3, 3), (0, 1, 1), (0, 2, 0), (1, 1, 1)),
    (1, 2, 1, (1, 14, 19), (1, 3, 3), (1, 1, 1), (0, 2, 2), (0, 2, 2), (1, 2, 2)),
    (1, 3, 1, (1, 12, 12), (1, 5, 1), (1, 1, 1), (0, 2, 0), (0, 2, 0), (1, 1, 1)),
    (1, 2, 1, (1, 1, 40), (1, 1, 4), (1, 1, 2), (0, 0, 1), (0, 0, 2), (1, 1, 1)),
    (2, 3, 1, (5, 10, 28), (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), (1, 1, 1)),
    (1, 2, 2, (6, 9, 9), (2, 3, 3), (2, 1, 1), (1, 0, 1), (0, 2, 1), (2, 1, 1)),
    (1, 2, 1, (7, 13, 21), (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), (1, 1, 1)),
    # more planes than chunks (each chunk's scratch serves several planes), four-row
    # pair tiles after 8-row groups (17 and 12 rows) over 1, 2 and 3 registers per row
    (2, 20, 2, (3, 15, 19), (3, 3, 3), (1, 1, 1), (1, 2, 0), (2, 0, 1), (1, 1, 1)),
    (3, 24, 1, (1, 17, 40), (1, 3, 3), (1, 1, 1), (0, 1, 1), (0, 1, 1), (1, 1, 1)),
    (2, 20, 1, (1, 12, 33), (1, 3, 3), (1, 2, 2), (0, 1, 1), (0, 1, 1), (1, 1, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_against_reference(case, dtype):
    n, c, mult, size, kernel, stride, pad_before, pad_after, dilation = case
    rng = np.random.default_rng(sum(size) + c)
    x = rng.standard_normal((n, c) + size).astype(dtype)
    w = rng.standard_normal((c * mult, 1) + kernel).astype(dtype)
    for b in (rng.standard_normal(c * mult).astype(dtype), None):
        got = run_kernel(x, w, b, stride, pad_before, pad_after, dilation)
        want = reference(x, w, b, stride, pad_before, pad_after, dilation)
        assert got.shape == want.shape
        tol = TOL[dtype]
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=str(case))


def test_nan_input_propagates_only_where_read():
    """A NaN input pixel poisons exactly the outputs whose window holds it."""
    x = np.ones((1, 1, 1, 12, 20), np.float32)
    x[0, 0, 0, 5, 7] = np.nan
    w = np.ones((1, 1, 1, 3, 3), np.float32)
    got = run_kernel(x, w, None, (1, 1, 1), (0, 1, 1), (0, 1, 1), (1, 1, 1))
    nan = np.isnan(got[0, 0, 0])
    expected = np.zeros_like(nan)
    expected[4:7, 6:9] = True
    assert (nan == expected).all()


def test_nan_does_not_leak_into_the_next_planes_padding():
    """A chunk's scratch is reused across planes: a NaN on one plane's edge must not
    reach the padding read by the planes computed after it."""
    x = np.ones((2, 40, 1, 10, 20), np.float32)
    x[:, :, 0, 0, 0] = np.nan
    x[:, :, 0, 9, 19] = np.nan
    x[1, 6] = 1.0           # task 46: the second plane of its chunk (80 planes, 32 chunks)
    w = np.ones((40, 1, 1, 3, 3), np.float32)
    got = run_kernel(x, w, None, (1, 1, 1), (0, 1, 1), (0, 1, 1), (1, 1, 1))
    assert np.isfinite(got[1, 6]).all()
    assert np.isnan(got[1, 5, 0, 0, 0])


def _random_stride2_case(rng):
    """A case at stride 2 along H (5 kernel rows: the stride-2 tile, its whole and
    overlapping last row groups over 4-20 output rows; 3: the row tile) with the width's
    stride, dilation and padding drawn around the stride-2 copy's register chunks."""
    kh = int(rng.choice([3, 5]))
    kd = int(rng.choice([1, 1, 2, 3]))
    out_h = int(rng.integers(4, 21))
    ph = [int(v) for v in rng.integers(0, kh // 2 + 2, size=2)]
    h = max(1, (out_h - 1) * 2 + kh - ph[0] - ph[1])
    kw = int(rng.integers(1, 6))
    sw, dw = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    pw = [int(v) for v in rng.integers(0, (kw - 1) * dw // 2 + 2, size=2)]
    width = max(int(rng.integers(1, 80)), (kw - 1) * dw + 1 - pw[0] - pw[1])
    depth = kd + int(rng.integers(0, 3))
    return (int(rng.integers(1, 3)), int(rng.integers(1, 40)), int(rng.integers(1, 3)),
            (depth, h, width), (kd, kh, kw), (int(rng.integers(1, 3)), 2, sw),
            (int(rng.integers(0, 2)), ph[0], pw[0]), (0, ph[1], pw[1]), (1, 1, dw))


@pytest.mark.parametrize("seed", range(24))
def test_stride2_rows_random_arguments(seed):
    rng = np.random.default_rng(seed)
    case = _random_stride2_case(rng)
    n, c, mult, size, kernel, stride, pad_before, pad_after, dilation = case
    dtype = (np.float32, np.float64)[seed % 2]
    x = rng.standard_normal((n, c) + size).astype(dtype)
    w = rng.standard_normal((c * mult, 1) + kernel).astype(dtype)
    b = rng.standard_normal(c * mult).astype(dtype) if seed % 3 else None
    got = run_kernel(x, w, b, stride, pad_before, pad_after, dilation)
    want = reference(x, w, b, stride, pad_before, pad_after, dilation)
    assert got.shape == want.shape and got.shape[3] >= 4
    np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype], err_msg=str(case))
