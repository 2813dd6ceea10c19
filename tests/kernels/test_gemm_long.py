"""kernels/gemm.py `gemm_nt_long` (the weight gradient's GEMM): every edge of its blocks and
tiles against numpy's float64 product; NaN and inf propagate."""
import numpy as np
import pytest

from fastnn import _runtime
from fastnn.kernels.gemm import gemm_nt_long, long_block_n

TOL = {np.float32: 1e-4, np.float64: 1e-12}


@pytest.mark.parametrize("block_n", [16, 32, 64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n, k", [(1, 1, 1), (3, 5, 7), (64, 147, 1000), (65, 17, 33),
                                     (130, 64, 4), (7, 33, 9)])
def test_matches_numpy(dtype, m, n, k, block_n):
    rng = np.random.default_rng(m * 1000 + n)
    a = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    out = np.full((m, n), np.nan, dtype)
    _runtime.launch(gemm_nt_long, a, w, out, block_n)
    expected = a.astype(np.float64) @ w.astype(np.float64).T
    np.testing.assert_allclose(out, expected, rtol=TOL[dtype], atol=TOL[dtype] * np.sqrt(k))


def test_nan_and_inf_propagate():
    a = np.ones((5, 9), np.float32)
    w = np.ones((6, 9), np.float32)
    a[1, 3] = np.nan
    w[2, 4] = np.inf
    out = np.empty((5, 6), np.float32)
    _runtime.launch(gemm_nt_long, a, w, out, 16)
    expected = a.astype(np.float64) @ w.astype(np.float64).T
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(out), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(out[finite], expected[finite])


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_block_width_keeps_every_thread_busy(threads):
    for m, n in [(64, 147), (64, 576), (256, 2304), (32, 864), (512, 4608), (1, 4)]:
        width = long_block_n(m, n, threads)
        assert width in (16, 32, 64)
        tasks = -(-m // 64) * -(-n // width)
        if width > 16:
            assert tasks >= 8 * threads
        if width < 64:      # a wider block would have made too few tasks
            assert -(-m // 64) * -(-n // (2 * width)) < 8 * threads
