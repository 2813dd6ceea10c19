"""Convolution and padding against the pure-numpy reference (runs without torch)."""
import numpy as np
import pytest

import fastnn
import fastnn.backends as backends
import fastnn.nn as nn
import fastnn.nn.functional as F
from reference_conv import conv_reference, pad_reference

TOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def random_case(rng):
    """One random convolution: (nd, x, w, b, stride, padding, dilation, groups)."""
    nd = int(rng.integers(1, 4))
    groups = int(rng.choice([1, 1, 2, 3]))
    cg = int(rng.integers(1, 4))
    kg = int(rng.integers(1, 6))
    kernel = tuple(int(k) for k in rng.integers(1, 4, nd))
    dilation = tuple(int(d) for d in rng.integers(1, 3, nd))
    if rng.random() < 0.2:
        padding, stride = "same", (1,) * nd
    else:
        stride = tuple(int(s) for s in rng.integers(1, 3, nd))
        padding = tuple(int(p) for p in rng.integers(0, 3, nd))
    widest = 24 if nd < 3 else 9
    sizes = []
    for i in range(nd):
        reach = dilation[i] * (kernel[i] - 1) + 1
        pad = 0 if padding == "same" else 2 * padding[i]
        sizes.append(max(1, reach - pad) + int(rng.integers(0, widest if i == nd - 1 else 5)))
    dtype = rng.choice([np.float32, np.float64])
    x = rng.standard_normal((int(rng.integers(1, 3)), cg * groups, *sizes)).astype(dtype)
    w = rng.standard_normal((kg * groups, cg, *kernel)).astype(dtype)
    b = rng.standard_normal(kg * groups).astype(dtype) if rng.random() < 0.7 else None
    return nd, x, w, b, stride, padding, dilation, groups


def assert_matches(result, expected, dtype):
    assert isinstance(result, fastnn.Tensor)
    assert result.dtype == dtype
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=TOL[dtype], atol=TOL[dtype])


def test_random_sweep_against_reference():
    rng = np.random.default_rng(1234)
    for _ in range(60):
        nd, x, w, b, stride, padding, dilation, groups = random_case(rng)
        result = CONV[nd](x, w, b, stride, padding, dilation, groups)
        expected = conv_reference(x, w, b, stride, padding, dilation, groups)
        assert_matches(result, expected, x.dtype)


@pytest.mark.parametrize("variant", ["direct", "depthwise", "naive"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_variant_on_depthwise(variant, dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 6, 7, 19)).astype(dtype)
    w = rng.standard_normal((12, 1, 3, 2)).astype(dtype)
    b = rng.standard_normal(12).astype(dtype)
    with backends.use("conv2d", variant):
        result = F.conv2d(x, w, b, stride=(1, 2), padding=(2, 1), dilation=(2, 1), groups=6)
    assert_matches(result, conv_reference(x, w, b, (1, 2), (2, 1), (2, 1), 6), x.dtype)


def test_direct_variant_refuses_nothing_and_depthwise_refuses_dense():
    x = np.ones((1, 4, 5, 5), np.float32)
    w = np.ones((4, 2, 3, 3), np.float32)
    with backends.use("conv2d", "depthwise"):
        with pytest.raises(ValueError, match="one input channel per group"):
            F.conv2d(x, w, groups=2)
    with backends.use("conv2d", "naive"):
        assert_matches(F.conv2d(x, w, groups=2), conv_reference(x, w, groups=2), x.dtype)


def test_unbatched_and_wide_rows():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 3, 53)).astype(np.float32)        # 4 tiles, last overlaps
    w = rng.standard_normal((9, 5, 2, 3)).astype(np.float32)      # 9 = 2 blocks of 4 + 1
    result = F.conv2d(x, w, padding=1)
    assert_matches(result, conv_reference(x[None], w, padding=1)[0], x.dtype)


def test_module_with_padding_modes_against_numpy_pad():
    rng = np.random.default_rng(3)
    for mode in ["reflect", "replicate", "circular"]:
        m = nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode)
        x = rng.standard_normal((1, 2, 5, 6)).astype(np.float32)
        padded = pad_reference(x, (2, 2, 1, 1), mode)
        expected = conv_reference(padded, np.asarray(m.weight), np.asarray(m.bias))
        assert_matches(m(x), expected, x.dtype)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_against_numpy(mode):
    rng = np.random.default_rng(11)
    for pad in [(1, 2), (0, 3, 2, 1), (1, 1, 2, 3, 0, 1)]:
        x = rng.standard_normal((2, 3, 4, 5, 6)[:2 + len(pad) // 2])
        result = F.pad(x, pad, mode)
        np.testing.assert_array_equal(result, pad_reference(x, pad, mode))


def test_nan_and_inf_in_the_input_propagate():
    x = np.ones((1, 4, 6, 20), np.float32)
    x[0, 1, 2, 3] = np.nan
    x[0, 2, 4, 17] = np.inf
    w = np.ones((5, 4, 3, 3), np.float32)
    result = np.asarray(F.conv2d(x, w, padding=1))
    expected = conv_reference(x, w, padding=1)
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(result), np.isinf(expected))
    assert np.isnan(result).sum() == 5 * 9 and np.isinf(result).sum() == 5 * 9


WIDE_CASES = [  # (input, weight, arguments): wide kernels, strides past the kernel, ...
    ((2, 3, 100), (5, 3, 31), dict(stride=3, padding=7, dilation=2)),
    ((1, 4, 50), (8, 4, 5), dict(stride=5, padding=2)),
    ((1, 4, 9, 70), (10, 2, 2, 7), dict(stride=(2, 4), padding=(1, 3), dilation=(3, 2),
                                        groups=2)),
    ((2, 6, 5, 33), (12, 1, 3, 5), dict(padding=(1, 4), groups=6, stride=(1, 3),
                                        dilation=(1, 2))),
    ((1, 2, 3, 4, 40), (3, 2, 2, 2, 9), dict(stride=(1, 2, 3), padding=(1, 0, 4))),
    ((1, 16, 1, 1), (16, 16, 1, 1), {}),
    ((1, 1, 17), (3, 1, 17), {}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", WIDE_CASES, ids=[str(c[1]) for c in WIDE_CASES])
def test_wide_kernels_and_strides(case, dtype):
    shape, wshape, kwargs = case
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(wshape).astype(dtype)
    b = rng.standard_normal(wshape[0]).astype(dtype)
    result = CONV[len(shape) - 2](x, w, b, **kwargs)
    assert_matches(result, conv_reference(x, w, b, **kwargs), x.dtype)
