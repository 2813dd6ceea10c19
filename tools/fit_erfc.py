"""Fit the polynomial of `kernels/erfc.py` and print its Horner lines, with the largest
relative error of the resulting erfc against `math.erfc`.

erfc(z) = t * exp(-z*z + g(t)) with t = 2 / (2 + z) for z in [0, Z_MAX]; g is smooth in
t and is fitted as a Chebyshev series in y = (2t - (T_LO + 1)) / (1 - T_LO), T_LO = t(Z_MAX).
The log form keeps the error relative over the whole range, where erfc falls to 1e-87.
The kernel evaluates the series in powers of y (well conditioned here: no coefficient
exceeds 0.6), one written-out Horner line per coefficient, which LLVM vectorises.

    python tools/fit_erfc.py [degree]
"""
import math
import sys

import numpy as np
from numpy.polynomial import chebyshev

Z_MAX = 14.0
T_LO = 2.0 / (2.0 + Z_MAX)


def fit(degree, points=400001):
    z = np.linspace(0.0, Z_MAX, points)
    t = 2.0 / (2.0 + z)
    exact = np.array([math.erfc(v) for v in z])
    g = np.log(exact / t) + z * z
    y = (2.0 * t - (T_LO + 1.0)) / (1.0 - T_LO)
    coefficients = chebyshev.chebfit(y, g, degree)
    approx = t * np.exp(-z * z + chebyshev.chebval(y, coefficients))
    return coefficients, float(np.max(np.abs(approx - exact) / exact))


if __name__ == "__main__":
    coefficients, error = fit(int(sys.argv[1]) if len(sys.argv) > 1 else 18)
    print(f"# largest relative error against math.erfc on [0, {Z_MAX}]: {error:.1e}")
    powers = [float(c) for c in chebyshev.cheb2poly(coefficients)][::-1]
    print(f"    g = {powers[0]!r}")
    for c in powers[1:]:
        print(f"    g = g * y + {c!r}")
