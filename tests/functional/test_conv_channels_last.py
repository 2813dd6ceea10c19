"""Convolutions of channels-last inputs (torch's memory format: channels innermost, as
ConvNeXt's blocks leave their activations): the values of a C-order input's, every
variant; a depthwise one's output channels-last as torch's, the others' C order."""
import contextlib

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import backends
from fastnn._dispatch import dispatch
from fastnn.kernels import conv_depthwise_blocked
from reference_conv import conv_reference

TOL = {np.float32: 1e-4, np.float64: 1e-10}
DEPTHWISE_VARIANTS = ("depthwise", "depthwise_blocked", "direct", "naive", "im2col_gemm")


def channels_last(a):
    """`a` (N, C, H, W) as a view of channels-last memory."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def depthwise_cases(count):
    """Seeded depthwise convolutions over every argument: (x shape, kernel, kwargs)."""
    rng = np.random.default_rng(17)
    for _ in range(count):
        n = int(rng.integers(1, 3))
        c = int(rng.choice([2, 5, 16, 17, 40]))
        kernel = tuple(int(k) for k in rng.choice([1, 2, 3, 5, 7], 2))
        stride = tuple(int(s) for s in rng.integers(1, 3, 2))
        dilation = tuple(int(d) for d in rng.integers(1, 3, 2))
        padding = tuple(int(p) for p in rng.integers(0, 4, 2))
        reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
        size = tuple(int(max(r - 2 * p, 1) + rng.integers(0, 12))
                     for r, p in zip(reach, padding))
        yield (n, c) + size, kernel, dict(stride=stride, padding=padding, dilation=dilation,
                                          groups=c)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, kernel, kwargs", list(depthwise_cases(12)))
def test_depthwise_of_channels_last_input(torch, dtype, x_shape, kernel, kwargs):
    """Every variant gives torch's numbers and torch's channels-last strides, with bias and
    without; the input is left as it was."""
    rng = np.random.default_rng(x_shape[1])
    x = channels_last(rng.standard_normal(x_shape).astype(dtype))
    w = rng.standard_normal((x_shape[1], 1) + kernel).astype(dtype)
    b = rng.standard_normal(x_shape[1]).astype(dtype)
    before = x.copy()
    tx = torch.from_numpy(x.transpose(0, 2, 3, 1)).permute(0, 3, 1, 2)
    for bias in (b, None):
        tb = None if bias is None else torch.from_numpy(bias)
        expected = torch.nn.functional.conv2d(tx, torch.from_numpy(w), tb, **kwargs)
        assert expected.is_contiguous(memory_format=torch.channels_last)
        for variant in (None,) + DEPTHWISE_VARIANTS:
            with backends.use("conv2d", variant) if variant else contextlib.nullcontext():
                got = F.conv2d(fastnn.tensor(x), w, bias, **kwargs)
            assert got.stride() == expected.stride(), variant
            np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=TOL[dtype],
                                       atol=TOL[dtype], err_msg=str(variant))
    np.testing.assert_array_equal(x, before)


def test_depthwise_of_channels_last_input_reference():
    """Without torch: 'depthwise_blocked' on a channels-last input against the numpy
    reference, for each case of the sweep."""
    for x_shape, kernel, kwargs in depthwise_cases(12):
        rng = np.random.default_rng(x_shape[1])
        x = rng.standard_normal(x_shape)
        w = rng.standard_normal((x_shape[1], 1) + kernel)
        b = rng.standard_normal(x_shape[1])
        got = F.conv2d(fastnn.tensor(channels_last(x)), w, b, **kwargs)
        expected = conv_reference(x, w, b, **kwargs)
        assert got.numpy().transpose(0, 2, 3, 1).flags.c_contiguous
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("x_last", [False, True])
@pytest.mark.parametrize("out_last", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_depthwise_blocked_kernel_layouts(x_last, out_last, dtype):
    """The kernel reads either layout and writes either, every output element (the output
    starts as NaN); a last block of 5 channels; rows shorter and longer than a tile."""
    from fastnn.nn.functional import _conv
    rng = np.random.default_rng(3)
    for x_shape, kernel, pad in (((2, 21, 6, 5), (3, 3), (1, 1)),
                                 ((1, 37, 9, 19), (7, 5), (3, 2))):
        x = rng.standard_normal(x_shape).astype(dtype)
        w = rng.standard_normal((x_shape[1], 1) + kernel).astype(dtype)
        b = rng.standard_normal(x_shape[1]).astype(dtype)
        expected = conv_reference(x, w, b, padding=pad, groups=x_shape[1])
        out = np.full(expected.shape, np.nan, dtype)
        if out_last:
            out = channels_last(out)
        x5 = (channels_last(x) if x_last else x)[:, :, None]
        _conv._run_depthwise_blocked(x5, w[:, :, None], b, out[:, :, None], (1, 1, 1),
                                     (0,) + pad, (0,) + pad, (1, 1, 1), x_shape[1])
        np.testing.assert_allclose(out, expected, rtol=TOL[dtype], atol=TOL[dtype])


def test_channels_last_picks_depthwise_blocked():
    """A channels-last depthwise input goes to 'depthwise_blocked' (read as it is) at any
    size; channel multipliers do not."""
    w = np.ones((96, 1, 3, 3), np.float32)
    x = np.zeros((1, 96, 56, 56), np.float32)
    assert backends.current("conv2d", x, w, padding=1, groups=96) == "depthwise"
    assert backends.current("conv2d", channels_last(x), w, padding=1,
                            groups=96) == "depthwise_blocked"
    w2 = np.ones((192, 1, 3, 3), np.float32)
    assert backends.current("conv2d", channels_last(x), w2, padding=1,
                            groups=96) == "depthwise"


@pytest.mark.parametrize("w_shape, groups", [((24, 16, 3, 3), 1), ((32, 16, 1, 1), 1),
                                             ((24, 4, 3, 3), 4), ((32, 1, 3, 3), 16)])
def test_other_convolutions_of_channels_last_input(torch, w_shape, groups):
    """Dense, pointwise, grouped and channel-multiplier convolutions give torch's numbers;
    their outputs stay C order (torch's are channels-last: a difference of strides only,
    which spares their kernels' C-order output a transposing copy)."""
    rng = np.random.default_rng(5)
    x = channels_last(rng.standard_normal((2, 16, 11, 9)).astype(np.float32))
    w = rng.standard_normal(w_shape).astype(np.float32)
    got = F.conv2d(fastnn.tensor(x), w, padding=w_shape[-1] // 2, groups=groups)
    tx = torch.from_numpy(x.transpose(0, 2, 3, 1)).permute(0, 3, 1, 2)
    expected = torch.nn.functional.conv2d(tx, torch.from_numpy(w), padding=w_shape[-1] // 2,
                                          groups=groups)
    assert got.numpy().flags.c_contiguous
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-4, atol=1e-4)


def test_fused_depthwise_of_channels_last_input():
    """The inference compiler's fused calls keep C order: their epilogue runs on the
    output's elements in C order; same numbers as the plain call and the activation."""
    rng = np.random.default_rng(9)
    x = channels_last(rng.standard_normal((1, 32, 10, 10)).astype(np.float32))
    w = rng.standard_normal((32, 1, 3, 3)).astype(np.float32)
    r = rng.standard_normal((1, 32, 10, 10)).astype(np.float32)
    plain = F.conv2d(fastnn.tensor(x), w, None, 1, 1, 1, 32).numpy()
    fused = dispatch("conv2d", x, w, None, 1, 1, 1, 32, activation="relu6", residual=r)
    assert fused.numpy().flags.c_contiguous
    np.testing.assert_allclose(fused.numpy(), np.clip(plain + r, 0, 6), rtol=1e-6, atol=1e-6)


def test_non_finite_weight_of_channels_last_input(torch):
    """An inf weight goes to 'naive' (torch's depthwise kernel skips padding taps) through
    a C-order temporary: torch's NaN placement, channels-last strides."""
    x = channels_last(np.ones((1, 16, 5, 5), np.float32))
    w = np.ones((16, 1, 3, 3), np.float32)
    w[3, 0, 0, 0] = np.inf
    got = F.conv2d(fastnn.tensor(x), w, padding=1, groups=16)
    tx = torch.from_numpy(x.transpose(0, 2, 3, 1)).permute(0, 3, 1, 2)
    expected = torch.nn.functional.conv2d(tx, torch.from_numpy(w), padding=1, groups=16)
    assert got.stride() == expected.stride()
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_scratch_starts_on_a_cache_line():
    from fastnn._array import SCRATCH_ALIGNMENT, thread_scratch
    for size in (1, 17, 3 * 62 * 62 * 16 + 5):
        for dtype in (np.float32, np.float64):
            scratch = thread_scratch(f"alignment test {size}", size, dtype)
            assert scratch.size == size and scratch.ctypes.data % SCRATCH_ALIGNMENT == 0
    assert conv_depthwise_blocked.scratch_size((8, 1, 1, 3, 3), (1, 8, 1, 5, 5), (1, 1, 1),
                                               (1, 1, 1)) % 16 == 0
