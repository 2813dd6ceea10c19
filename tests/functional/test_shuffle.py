"""pixel_shuffle, pixel_unshuffle, channel_shuffle against torch: functional and top-level
forms, shapes with extra batch dimensions, any dtype, errors in torch's words."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from torch_compare import assert_like_torch, raises_like

DTYPES = [np.float32, np.float64, np.int64, np.int32]


@pytest.mark.parametrize("dtype", DTYPES)
def test_pixel_shuffle_and_unshuffle_sweep(torch, dtype):
    rng = np.random.default_rng(0)
    for _ in range(30):
        r = int(rng.integers(1, 4))
        batch = tuple(int(v) for v in rng.integers(0, 3, int(rng.integers(0, 3))))
        c, h, w = int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
        x = (rng.standard_normal(batch + (c * r * r, h, w)) * 10).astype(dtype)
        assert_like_torch(lambda: F.pixel_shuffle(x, r),
                          lambda: torch.nn.functional.pixel_shuffle(torch.from_numpy(x), r))
        y = (rng.standard_normal(batch + (c, h * r, w * r)) * 10).astype(dtype)
        assert_like_torch(lambda: fastnn.pixel_unshuffle(y, r),
                          lambda: torch.pixel_unshuffle(torch.from_numpy(y), r))
        if x.size:          # torch's pixel_unshuffle returns an empty input as it is
            np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, r), r), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_channel_shuffle_sweep(torch, dtype):
    rng = np.random.default_rng(1)
    for _ in range(30):
        g = int(rng.integers(1, 5))
        shape = (int(rng.integers(0, 3)), g * int(rng.integers(0, 4))) + tuple(
            int(v) for v in rng.integers(1, 4, int(rng.integers(1, 4))))
        x = (rng.standard_normal(shape) * 10).astype(dtype)
        assert_like_torch(lambda: F.channel_shuffle(x, g),
                          lambda: torch.nn.functional.channel_shuffle(torch.from_numpy(x), g))
        assert_like_torch(lambda: fastnn.native_channel_shuffle(x, g),
                          lambda: torch.native_channel_shuffle(torch.from_numpy(x), g))


def test_results_are_new_memory_and_inputs_untouched():
    x = np.arange(16.0).reshape(1, 4, 2, 2)
    before = x.copy()
    for result in (F.pixel_shuffle(x, 1), F.channel_shuffle(x, 1), F.pixel_unshuffle(x, 1),
                   fastnn.channel_shuffle(x.transpose(0, 1, 3, 2), 2)):
        assert isinstance(result, fastnn.Tensor)
        assert not np.shares_memory(result, x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("call", [
    lambda m, t: m.pixel_shuffle(t(1, 2, 3, 3), 2),
    lambda m, t: m.pixel_shuffle(t(3, 3), 1),
    lambda m, t: m.pixel_shuffle(t(3, 3), 0),
    lambda m, t: m.pixel_shuffle(t(1, 8, 3, 3), 0),
    lambda m, t: m.pixel_shuffle(t(1, 8, 3, 3), -2),
    lambda m, t: m.pixel_shuffle(t(1, 8, 3, 3), 2.0),
    lambda m, t: m.pixel_shuffle(t(1, 8, 3, 3), True),
    lambda m, t: m.pixel_unshuffle(t(1, 2, 3, 3), 2),
    lambda m, t: m.pixel_unshuffle(t(1, 2, 4, 3), 2),
    lambda m, t: m.pixel_unshuffle(t(1, 2, 4, 4), 0),
    lambda m, t: m.pixel_unshuffle(t(4, 4), 2),
    lambda m, t: m.channel_shuffle(t(1, 6, 2, 2), 4),
    lambda m, t: m.channel_shuffle(t(1, 6, 2, 2), 0),
    lambda m, t: m.channel_shuffle(t(1, 6, 2, 2), -3),
    lambda m, t: m.channel_shuffle(t(6), 3),
    lambda m, t: m.channel_shuffle(t(2, 6), 3),
    lambda m, t: m.channel_shuffle(t(6), 0),
    lambda m, t: m.channel_shuffle(t(1, 6, 2, 2), 3.0),
    lambda m, t: m.native_channel_shuffle(t(1, 6, 2, 2), 4),
])
def test_errors_are_torchs(torch, call):
    def ours(*shape):
        return np.zeros(shape, np.float32)

    raises_like(lambda: call(torch, torch.zeros), lambda: call(fastnn, ours))
