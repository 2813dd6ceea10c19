"""Special functions with no numpy ufunc: erfc, erfinv, lgamma, digamma, polygamma, i0 and
i1 (the modified Bessel functions of the first kind, orders 0 and 1).

Each parallel kernel maps the flat float32 or float64 `x` into `out` (same length). Values
are computed in float64 and rounded, except trigamma of float32, which follows torch's
float32 arithmetic (its reflection term at negative integers is finite, not inf, and its
size depends on float32's rounding of pi). The formulas are torch's (Cephes): digamma by
recurrence to x >= 10 and an asymptotic series, polygamma(n >= 2) through the Hurwitz zeta
function, erfinv by a rational first guess refined by Newton steps on erf (on erfc for |y| > 0.7,
which keeps the tail's precision). i0 and i1
sum their power series for |x| <= 30 and their asymptotic series beyond.
"""
import math

import numpy as np
from numba import njit, prange

from .vecmath import is_single

__all__ = ["erfc", "erfinv", "lgamma", "digamma", "polygamma", "i0", "i1"]

_PI = math.pi
_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2,
              7.57575757575757575758E-3, -4.16666666666666666667E-3,
              3.96825396825396825397E-3, -8.33333333333333333333E-3,
              8.33333333333333333333E-2)
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042E-16
_ERFINV_A = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
_ERFINV_B = (-2.118377725, 1.442710462, -0.329097515, 0.012229801)
_ERFINV_C = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
_ERFINV_D = (3.543889200, 1.637067800)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@njit(cache=True, error_model="numpy")
def digamma_scalar(x):
    """psi(x) as torch's calc_digamma: -inf at +0, inf at -0, NaN at negative integers."""
    if x == 0.0:
        return math.copysign(math.inf, -x)
    if x < 0.0:
        if x == np.trunc(x):
            return math.nan
        r = x - np.trunc(x)
        return digamma_scalar(1.0 - x) - _PI / math.tan(_PI * r)
    result = 0.0
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    if x == 10.0:
        return result + _PSI_10
    y = 0.0
    if x < 1.0e17:
        z = 1.0 / (x * x)
        p = _DIGAMMA_A[0]
        for k in range(1, 7):
            p = p * z + _DIGAMMA_A[k]
        y = z * p
    return result + math.log(x) - 0.5 / x - y


@njit(cache=True, error_model="numpy")
def _trigamma64(x):
    sign = 1.0
    result = 0.0
    if x < 0.5:
        sign = -1.0
        s = math.sin(_PI * x)
        result -= (_PI * _PI) / (s * s)
        x = 1.0 - x
    for _ in range(6):
        result += 1.0 / (x * x)
        x += 1.0
    ixx = 1.0 / (x * x)
    inner = ixx * (1.0 / 30.0 - ixx * (1.0 / 42.0))
    result += (1.0 + 1.0 / (2.0 * x) + ixx * (1.0 / 6.0 - inner)) / x
    return sign * result


@njit(cache=True, error_model="numpy")
def _trigamma32(x):
    one = np.float32(1.0)
    pi = np.float32(_PI)
    sign = one
    result = np.float32(0.0)
    if x < np.float32(0.5):
        sign = -one
        s = np.float32(math.sin(pi * x))
        result -= (pi * pi) / (s * s)
        x = one - x
    for _ in range(6):
        result += one / (x * x)
        x += one
    ixx = one / (x * x)
    inner = ixx * (np.float32(1.0 / 30.0) - ixx * np.float32(1.0 / 42.0))
    result += (one + one / (np.float32(2.0) * x)
               + ixx * (np.float32(1.0 / 6.0) - inner)) / x
    return sign * result


@njit(cache=True, error_model="numpy")
def zeta_scalar(x, q):
    """The Hurwitz zeta function zeta(x, q) (Cephes, as torch's)."""
    if x == 1.0:
        return math.inf
    if x < 1.0:
        return math.nan
    if q <= 0.0:
        if q == np.floor(q):
            return math.inf
        if x != np.floor(x):
            return math.nan
    s = q ** -x
    a = q
    i = 0
    b = 0.0
    while i < 9 or a <= 9.0:
        i += 1
        a += 1.0
        b = a ** -x
        s += b
        if -_MACHEP * s < b < _MACHEP * s:
            return s
    w = a
    s += b * w / (x - 1.0)
    s -= 0.5 * b
    a = 1.0
    k = 0.0
    for j in range(12):
        a *= x + k
        b /= w
        t = a * b / _ZETA_A[j]
        s = s + t
        t = abs(t / s)
        if t < _MACHEP:
            return s
        k += 1.0
        a *= x + k
        b /= w
        k += 1.0
    return s


@njit(cache=True, error_model="numpy")
def polygamma_scalar(n, x):
    """psi^(n)(x) in float64 for n >= 2: (-1)^(n+1) n! zeta(n + 1, x)."""
    sign = 1.0 if n % 2 else -1.0
    return sign * math.exp(math.lgamma(n + 1.0)) * zeta_scalar(n + 1.0, x)


@njit(cache=True, error_model="numpy")
def erfinv_scalar(y):
    """The inverse of erf: +-inf at +-1, NaN beyond."""
    ay = abs(y)
    if ay > 1.0:
        return math.nan
    if ay == 1.0:
        return math.copysign(math.inf, y)
    if ay <= 0.7:
        z = y * y
        num = ((_ERFINV_A[3] * z + _ERFINV_A[2]) * z + _ERFINV_A[1]) * z + _ERFINV_A[0]
        dem = ((((_ERFINV_B[3] * z + _ERFINV_B[2]) * z + _ERFINV_B[1]) * z + _ERFINV_B[0])
               * z + 1.0)
        x = y * num / dem
    else:
        z = math.sqrt(-math.log((1.0 - ay) / 2.0))
        num = ((_ERFINV_C[3] * z + _ERFINV_C[2]) * z + _ERFINV_C[1]) * z + _ERFINV_C[0]
        dem = (_ERFINV_D[1] * z + _ERFINV_D[0]) * z + 1.0
        x = math.copysign(num, y) / dem
    if ay <= 0.7:
        for _ in range(3):
            x = x - (math.erf(x) - y) / (_TWO_OVER_SQRT_PI * math.exp(-x * x))
        return x
    # the tail: Newton on erfc(|x|) = 1 - |y| (exact), which keeps its relative precision
    r = 1.0 - ay
    t = abs(x)
    for _ in range(4):
        t = t + (math.erfc(t) - r) / (_TWO_OVER_SQRT_PI * math.exp(-t * t))
    return math.copysign(t, y)


@njit(cache=True, error_model="numpy")
def bessel_i_scalar(order, x):
    """I_order(x) for order 0 or 1: the power series for |x| <= 30, else the asymptotic
    series e^|x| / sqrt(2 pi |x|) * sum_k (-1)^k a_k(order) / |x|^k, summed to its
    smallest term. As torch's: inf once e^|x| overflows, NaN at +-inf."""
    if x != x:
        return x
    ax = abs(x)
    odd = order == 1 and x < 0.0
    if ax == math.inf:
        return math.nan
    if ax <= 30.0:
        quarter = 0.25 * ax * ax
        term = 1.0 if order == 0 else 0.5 * ax
        total = term
        k = 1
        while True:
            term *= quarter / (k * (k + order))
            total += term
            if term <= 1e-17 * total:
                break
            k += 1
    else:
        nu4 = 4.0 * order * order
        term = 1.0
        total = 1.0
        for k in range(1, 200):
            odd_k = 2.0 * k - 1.0
            nxt = -term * (nu4 - odd_k * odd_k) / (8.0 * k * ax)
            if abs(nxt) >= abs(term):
                break
            term = nxt
            total += term
            if abs(term) <= 1e-17 * abs(total):
                break
        total = math.exp(ax) * (total / math.sqrt(2.0 * _PI * ax))
    return -total if odd else total


@njit(parallel=True, cache=True, error_model="numpy")
def erfc(x, out):
    for i in prange(x.size):
        out[i] = math.erfc(np.float64(x[i]))


@njit(parallel=True, cache=True, error_model="numpy")
def erfinv(x, out):
    for i in prange(x.size):
        out[i] = erfinv_scalar(np.float64(x[i]))


@njit(parallel=True, cache=True, error_model="numpy")
def lgamma(x, out):
    for i in prange(x.size):
        out[i] = math.lgamma(np.float64(x[i]))


@njit(parallel=True, cache=True, error_model="numpy")
def digamma(x, out):
    for i in prange(x.size):
        out[i] = digamma_scalar(np.float64(x[i]))


@njit(parallel=True, cache=True, error_model="numpy")
def polygamma(n, x, out):
    """psi^(n) of every element: digamma for n = 0, trigamma (in the input's precision)
    for n = 1, the zeta form beyond."""
    if n == 0:
        for i in prange(x.size):
            out[i] = digamma_scalar(np.float64(x[i]))
    elif n == 1:
        if is_single(x):
            for i in prange(x.size):
                out[i] = _trigamma32(x[i])
        else:
            for i in prange(x.size):
                out[i] = _trigamma64(np.float64(x[i]))
    else:
        for i in prange(x.size):
            out[i] = polygamma_scalar(n, np.float64(x[i]))


@njit(parallel=True, cache=True, error_model="numpy")
def i0(x, out):
    for i in prange(x.size):
        out[i] = bessel_i_scalar(0, np.float64(x[i]))


@njit(parallel=True, cache=True, error_model="numpy")
def i1(x, out):
    for i in prange(x.size):
        out[i] = bessel_i_scalar(1, np.float64(x[i]))
