"""Batch norm's one-kernel eval form (kernels/elementwise.py `channel_normalize`) gives the
two-kernel form's values bit for bit: the per-channel scale and shift of
`batch_norm_affine`, then `channel_scale_shift` (which training still runs), NaN and inf
included, with and without weight and bias, in float32 and float64."""
import numpy as np
import pytest

from fastnn.kernels import elementwise


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 5, 7), (1, 33, 49), (3, 16, 1000)])
@pytest.mark.parametrize("affine", ["weight and bias", "weight", "bias", "neither"])
def test_channel_normalize_is_the_affine_form_bit_for_bit(dtype, shape, affine):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape).astype(dtype) * 5
    x.reshape(-1)[:3] = [np.nan, np.inf, -np.inf]
    channels = shape[1]
    mean = rng.standard_normal(channels).astype(dtype)
    var = (rng.random(channels) + 1e-3).astype(dtype)
    weight = rng.standard_normal(channels).astype(dtype) if "weight" in affine else \
        np.zeros(0)
    bias = rng.standard_normal(channels).astype(dtype) if "bias" in affine else np.zeros(0)
    scale, shift = np.empty(channels, dtype), np.empty(channels, dtype)
    elementwise.batch_norm_affine(mean, var, weight, bias, 1e-5, scale, shift)
    want = np.empty_like(x)
    elementwise.channel_scale_shift(x, scale, shift, want)
    got = np.full_like(x, 7.0)
    elementwise.channel_normalize(x, mean, var, weight, bias, 1e-5, got)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
