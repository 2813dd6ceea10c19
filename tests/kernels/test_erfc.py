"""The vectorised erfc behind float32 GELU, against libm's (no torch needed)."""
import math

import numpy as np
from numba import njit

from fastnn.kernels.erfc import Z_MAX, erfc_nonnegative


@njit
def _erfc_all(z, out):
    for i in range(z.size):
        out[i] = erfc_nonnegative(z[i])


def test_erfc_within_2e11_relative_of_libm_and_zero_beyond():
    rng = np.random.default_rng(0)
    z = np.concatenate([np.linspace(0.0, Z_MAX, 200_001), rng.uniform(0, Z_MAX, 100_000),
                        [0.0, 5e-324, 1e-300, 1e-8, Z_MAX]])
    out = np.empty_like(z)
    _erfc_all(z, out)
    exact = np.array([math.erfc(v) for v in z])
    np.testing.assert_allclose(out, exact, rtol=2e-11, atol=0)
    beyond = np.array([np.nextafter(Z_MAX, np.inf), 20.0, 1e300, np.inf, np.nan])
    out = np.empty_like(beyond)
    _erfc_all(beyond, out)
    assert (out == 0.0).all()
