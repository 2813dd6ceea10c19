"""kernels/resample.py's last-dimension pass on blocks of rows (`weighted_last_blocked`,
each block transposed into a scratch) against the row-by-row pass (`weighted_last`) and
numpy, over row counts that leave partial blocks and split into several chunks."""
import numpy as np
import pytest

from fastnn._runtime import launch
from fastnn.kernels.resample import weighted_last, weighted_last_blocked


def _table(rng, width, out_width, taps):
    counts = rng.integers(1, taps + 1, out_width).astype(np.int64)
    index = rng.integers(0, width, (out_width, taps)).astype(np.int64)
    weights = rng.standard_normal((out_width, taps))
    return index, weights, counts


def _expected(x, index, weights, counts):
    out = np.zeros((x.shape[0], index.shape[0]), x.dtype)
    for o in range(index.shape[0]):
        for k in range(counts[o]):              # in order of k, as the kernels add
            out[:, o] += x[:, index[o, k]] * weights[o, k].astype(x.dtype)
    return out


@pytest.mark.parametrize("rows", [1, 63, 64, 65, 64 * 9 + 17, 64 * 300 + 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocked_rows_match_the_row_pass(rng, rows, dtype):
    width, out_width, taps = 37, 19, 5
    x = rng.standard_normal((rows, width)).astype(dtype)
    index, weights, counts = _table(rng, width, out_width, taps)
    weights = weights.astype(dtype)
    blocked = np.full((rows, out_width), np.nan, dtype)
    plain = np.full((rows, out_width), np.nan, dtype)
    launch(weighted_last_blocked, x, blocked, index, weights, counts, work=1 << 30)
    launch(weighted_last, x, plain, index, weights, counts, work=1 << 30)
    np.testing.assert_array_equal(blocked, plain)
    np.testing.assert_allclose(blocked, _expected(x, index, weights, counts),
                               rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
