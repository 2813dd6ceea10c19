"""kernels/exp32.py: the float32 exp and log1p the element-wise kernels vectorise, against
float64 numpy, and the chunks their parallel loops split an array into."""
import numba
import numpy as np
import pytest

from fastnn.kernels.exp32 import (REDUCE_MATH, chunk_bounds, chunk_count, exp_nonpositive,
                                  log1p_unit)


@numba.njit(error_model="numpy")
def _exp_all(x, out):
    for i in range(x.size):
        out[i] = exp_nonpositive(x[i])


@numba.njit(error_model="numpy", fastmath=REDUCE_MATH)
def _exp_all_reassociated(x, out):
    """As the softmax and attention loops inline it: reassociation must not undo its
    rounding to an integer (regrouping its two-step reduction costs it about 1.5 ulp)."""
    for i in range(x.size):
        out[i] = exp_nonpositive(x[i])


@numba.njit(error_model="numpy")
def _log1p_all(x, out):
    for i in range(x.size):
        out[i] = log1p_unit(x[i])


def _ulps(got, exact):
    """|got - exact| in units of the float32 spacing at `exact`."""
    return np.abs(got - exact) / np.spacing(exact.astype(np.float32)).astype(np.float64)


def _run(kernel, x):
    out = np.empty_like(x)
    kernel(x, out)
    return out


@pytest.mark.parametrize("kernel, ulps", [(_exp_all, 3), (_exp_all_reassociated, 5)])
def test_exp_nonpositive_within_its_ulps_and_specials(kernel, ulps):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-87, 0, 200_000), -(10.0 ** rng.uniform(-40, 1, 50_000)),
                        np.linspace(-87, 0, 100_001)]).astype(np.float32)
    got = _run(kernel, x)
    assert _ulps(got, np.exp(x.astype(np.float64))).max() <= ulps
    specials = np.array([np.nan, -np.inf, 0.0, -0.0, -87.5, -100.0, -1e30], np.float32)
    np.testing.assert_array_equal(_run(kernel, specials),
                                  np.array([np.nan, 0, 1, 1, 0, 0, 0], np.float32))


def test_log1p_unit_within_2_ulp_on_0_1_and_nan():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.random(200_000), 10.0 ** rng.uniform(-45, 0, 200_000),
                        np.linspace(0, 1, 100_001), [0.5, np.nextafter(0.5, 1), 1.0]])
    x = x.astype(np.float32)
    got = _run(_log1p_all, x)
    exact = np.log1p(x.astype(np.float64))
    positive = exact > 0
    assert _ulps(got[positive], exact[positive]).max() <= 2
    np.testing.assert_array_equal(got[x == 0], 0)
    assert np.isnan(_run(_log1p_all, np.array([np.nan], np.float32))[0])


@numba.njit
def _covered(n):
    seen = np.zeros(n, np.int64)
    for k in range(chunk_count(n)):
        lo, hi = chunk_bounds(k, n)
        seen[lo:hi] += 1
    return seen


@pytest.mark.parametrize("n", [0, 1, 16383, 16384, 16385, 100_000])
def test_chunks_cover_every_element_once(n):
    assert (_covered(n) == 1).all()
