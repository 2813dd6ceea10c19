"""Pooling against the pure-numpy reference (no torch needed): values, indices, shapes."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from reference_pool import (adaptive_avg_pool, adaptive_max_pool, avg_pool, max_pool,
                            output_size)

TOL = {np.float32: 2e-6, np.float64: 1e-12}


def _data(rng, shape, dtype, specials):
    x = rng.standard_normal(shape).astype(dtype)
    if specials and x.size:
        u = rng.random(shape)
        x[u < 0.06] = np.nan
        x[(u >= 0.06) & (u < 0.12)] = -np.inf
        x[(u >= 0.12) & (u < 0.14)] = np.inf
    return x


def _window_case(rng, nd, with_dilation):
    k = [int(rng.integers(1, 4)) for _ in range(nd)]
    s = [int(rng.integers(1, 4)) for _ in range(nd)]
    d = [int(rng.integers(1, 3)) if with_dilation else 1 for _ in range(nd)]
    p = [int(rng.integers(0, kk // 2 + 1)) for kk in k]
    spatial = [int(rng.integers(max(kk, (kk - 1) * dd + 1 - 2 * pp), 9))
               for kk, dd, pp in zip(k, d, p)]
    lead = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))[:int(rng.integers(1, 3))]
    return k, s, p, d, bool(rng.integers(2)), lead + tuple(spatial)


@pytest.mark.parametrize("seed", range(60))
def test_max_pool_matches_reference(seed):
    rng = np.random.default_rng(seed)
    nd = seed % 3 + 1
    dtype = (np.float32, np.float64)[seed // 3 % 2]
    k, s, p, d, ceil, shape = _window_case(rng, nd, with_dilation=True)
    x = _data(rng, shape, dtype, specials=seed % 2 == 0)
    want_v, want_i = max_pool(x, nd, k, s, p, d, ceil)
    pool = getattr(F, f"max_pool{nd}d")
    values = pool(x, k, s, p, d, ceil)
    got_v, got_i = pool(x, k, s, p, d, ceil, return_indices=True)
    np.testing.assert_array_equal(values, want_v)
    np.testing.assert_array_equal(got_v, want_v)
    np.testing.assert_array_equal(got_i, want_i)
    assert got_i.dtype == np.int64 and values.dtype == dtype


@pytest.mark.parametrize("seed", range(45))
def test_avg_pool_matches_reference(seed):
    rng = np.random.default_rng(100 + seed)
    nd = seed % 3 + 1
    dtype = (np.float32, np.float64)[seed // 3 % 2]
    k, s, p, _, ceil, shape = _window_case(rng, nd, with_dilation=False)
    x = _data(rng, shape, dtype, specials=seed % 5 == 0)
    include_pad = bool(seed % 2)
    divisor = None if nd == 1 or seed % 4 else int(rng.choice([-3, 2, 5]))
    args = (k, s, p, ceil, include_pad) + ((divisor,) if nd > 1 else ())
    got = getattr(F, f"avg_pool{nd}d")(x, *args)
    want = avg_pool(x, nd, k, s, p, ceil, include_pad, divisor)
    np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("seed", range(30))
def test_adaptive_pools_match_reference(seed):
    rng = np.random.default_rng(200 + seed)
    nd = seed % 3 + 1
    dtype = (np.float32, np.float64)[seed // 3 % 2]
    shape = (2, 3) + tuple(int(rng.integers(1, 10)) for _ in range(nd))
    out = tuple(int(rng.integers(1, 12)) for _ in range(nd))
    x = _data(rng, shape, dtype, specials=seed % 2 == 0)
    got = getattr(F, f"adaptive_avg_pool{nd}d")(x, out)
    np.testing.assert_allclose(got, adaptive_avg_pool(x, nd, out), rtol=TOL[dtype],
                               atol=TOL[dtype])
    got_v, got_i = getattr(F, f"adaptive_max_pool{nd}d")(x, out, return_indices=True)
    want_v, want_i = adaptive_max_pool(x, nd, out)
    np.testing.assert_array_equal(got_v, want_v)
    np.testing.assert_array_equal(got_i, want_i)


def test_worked_examples():
    x = np.array([[[1., 2, 3, 4, 5, 6, 7]]], np.float32)
    np.testing.assert_array_equal(F.avg_pool1d(x, 3, stride=2), [[[2., 4., 6.]]])
    np.testing.assert_array_equal(F.max_pool1d(x, 3, stride=2, padding=1), [[[2., 4., 6., 7.]]])
    v, i = F.max_pool1d(np.array([[1., np.nan, 3., np.nan, -1]]), 5, return_indices=True)
    assert np.isnan(v[0, 0]) and i[0, 0] == 3          # the last NaN of the window
    # ceil mode: the last window starts inside the input; count_include_pad's divisor
    # stops at the padded edge (k3 s2 p1 on 4 samples: windows [-1,2) [1,4) [3,6)->[3,5))
    y = np.array([[2., 4., 6., 8.]])
    np.testing.assert_allclose(F.avg_pool1d(y, 3, 2, 1, ceil_mode=True), [[2., 6., 4.]])
    np.testing.assert_allclose(F.avg_pool1d(y, 3, 2, 1, True, False), [[3., 6., 8.]])
    assert output_size(4, 3, 2, 1, 1, True) == 3


def test_all_padding_window_reports_torchs_index():
    # k2 d5 p1 on width 4: taps -1 and 4 both fall outside, value -inf, index 4
    x = np.arange(8, dtype=np.float32).reshape(1, 2, 4)
    v, i = F.max_pool2d(x, (1, 2), 1, (0, 1), (1, 5), return_indices=True)
    np.testing.assert_array_equal(v, [[[-np.inf], [-np.inf]]])
    np.testing.assert_array_equal(i, [[[4], [8]]])
    np.testing.assert_array_equal(F.max_pool2d(x, (1, 2), 1, (0, 1), (1, 5)), v)


def test_huge_legal_windows_finish_quickly():
    # max_pool1d takes int64 windows; a loop over the padding would never end
    x = np.random.default_rng(0).standard_normal((2, 3, 8)).astype(np.float32)
    got = F.max_pool1d(x, 2 ** 40, 1, 2 ** 39)
    np.testing.assert_array_equal(got, np.broadcast_to(x.max(-1, keepdims=True), (2, 3, 9)))
    got = F.avg_pool2d(x[None], (1, 2 ** 30), 1, (0, 2 ** 29), False, False)
    np.testing.assert_allclose(got[0], np.broadcast_to(x.mean(-1, keepdims=True), (2, 3, 9)),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("layout", ["fortran", "strided", "readonly", "byteswapped"])
def test_layouts_work_and_inputs_stay_untouched(layout):
    base = np.random.default_rng(1).standard_normal((2, 3, 9, 10)).astype(np.float32)
    x = {"fortran": np.asfortranarray(base), "strided": base[:, :, ::2, 1::2],
         "readonly": base.copy(), "byteswapped": base.astype(">f4")}[layout]
    x.flags.writeable = layout != "readonly"
    before = np.array(x)
    c = np.ascontiguousarray(x, dtype=np.float32)
    v, i = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    want_v, want_i = max_pool(c, 2, (3, 3), (2, 2), (1, 1), (1, 1), False)
    np.testing.assert_array_equal(v, want_v)
    np.testing.assert_array_equal(i, want_i)
    np.testing.assert_allclose(F.avg_pool2d(x, 2), avg_pool(c, 2, (2, 2), (2, 2), (0, 0),
                                                            False, True), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, 3), adaptive_avg_pool(c, 2, (3, 3)),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(x, before)
    assert v.dtype == np.dtype(np.float32) and isinstance(v, fastnn.Tensor)


def test_empty_batch_and_unbatched():
    assert F.max_pool2d(np.zeros((0, 3, 8, 8), np.float32), 2).shape == (0, 3, 4, 4)
    assert F.avg_pool3d(np.zeros((0, 2, 4, 4, 4)), 2).shape == (0, 2, 2, 2, 2)
    v, i = F.adaptive_max_pool1d(np.zeros((0, 2, 5)), 3, return_indices=True)
    assert v.shape == i.shape == (0, 2, 3)
    x = np.random.default_rng(2).standard_normal((3, 7, 7))
    np.testing.assert_array_equal(F.max_pool2d(x, 2), F.max_pool2d(x[None], 2)[0])


def test_modules_forward_and_repr():
    x = np.random.default_rng(3).standard_normal((2, 4, 9, 9)).astype(np.float32)
    m = nn.MaxPool2d(3, 2, 1, return_indices=True)
    v, i = m(x)
    np.testing.assert_array_equal(v, F.max_pool2d(x, 3, 2, 1))
    assert repr(m) == "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.AdaptiveAvgPool2d((None, 7))) == "AdaptiveAvgPool2d(output_size=(None, 7))"
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(1)(x), x.mean((2, 3), keepdims=True),
                               rtol=1e-6, atol=1e-6)
