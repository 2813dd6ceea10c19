"""torch's CPU samplers, vectorised over a ``fastnn.Generator``'s 32-bit words.

Each function reproduces one ATen CPU kernel: the same words drawn in the same order and
the same floating-point operations, so the values equal torch's bit for bit.

- uniform: ``(word & (2**digits - 1)) * 2**-digits * (to - from) + from`` in the tensor's
  dtype; float32 uses one 32-bit word (24 bits), float64 one 64-bit draw (53 bits).
- normal, >= 16 contiguous elements: all uniforms first, then Box-Muller over blocks of 16
  (element j pairs with j + 8); a size that is not a multiple of 16 draws 16 more uniforms
  and recomputes the last 16 elements from them. float32 runs torch's AVX2 kernel
  (``avx_mathfun.h``'s log and sincos polynomials and a fused multiply-add), emulated here
  with float32 numpy operations.
- normal, otherwise: the scalar Box-Muller of ``at::normal_distribution<double>``, which
  caches its second value in the generator for the next call.
- integers: ``word % range + low``, a 32-bit word below a range of 2**28, a 64-bit draw from
  there on (torch 2.13's threshold, measured).
- permutation: the swap loop of ``randperm_cpu`` (one 32-bit word per position).
"""
import math

import numpy as np

from ._random import resolve

_F32 = np.float32
_WORD64_RANGE = 1 << 28


def fill_in_memory_order(arr, values):
    """Writes the flat `values` into `arr` in the order torch's TensorIterator visits it
    (memory order: dimensions sorted by decreasing stride)."""
    if arr.flags.c_contiguous:
        arr.reshape(-1)[...] = values
        return
    axes = sorted(range(arr.ndim), key=lambda axis: -abs(arr.strides[axis]))
    view = arr.transpose(axes)
    view[...] = values.reshape(view.shape)


def _unit_float(words, dtype):
    """torch's uniform_real(word, 0, 1): the low `digits` bits of the word, scaled
    (uint32 words for float32, uint64 draws for float64; `words` is overwritten)."""
    digits = np.finfo(dtype).nmant + 1
    np.bitwise_and(words, words.dtype.type((1 << digits) - 1), out=words)
    values = words.astype(dtype)
    values *= dtype.type(2.0 ** -digits)
    return values


def uniform(gen, n, dtype, low, high):
    """`n` samples of U[low, high) in `dtype` (float32 or float64), as ``uniform_`` draws
    them: the bounds are cast to `dtype` first, the arithmetic stays in `dtype`."""
    dtype = np.dtype(dtype)
    words = gen.random64(n) if dtype == np.float64 else gen.random32(n)
    low, high = dtype.type(low), dtype.type(high)
    unit, span = _unit_float(words, dtype), high - low
    if dtype == np.float32 and _float64_sum_is_exact(span, low):
        total = np.multiply(unit, span, dtype=np.float64)
        total += low
        return total.astype(np.float32)
    return (fma64 if dtype == np.float64 else fma32)(unit, span, low)


def _float64_sum_is_exact(span, low):
    """Whether ``k * 2**-24 * span + low`` (k < 2**24, float32 span and low) is exact in
    float64: the product has at most 48 significant bits from 2**(e_span - 48) up, low has
    24 from 2**(e_low - 24) up, and the sum fits 53 bits when the two ranges together do.
    Then float64 rounds nothing and the one rounding to float32 is the fused result."""
    if low == 0 or span == 0:
        return True
    e_span, e_low = math.frexp(float(span))[1], math.frexp(float(low))[1]
    return max(e_span, e_low) + 1 - min(e_span - 48, e_low - 24) <= 53


def normal(gen, n, dtype, mean, std, contiguous=True):
    """`n` samples of N(mean, std^2) in `dtype`, as ``normal_`` draws them."""
    dtype = np.dtype(dtype)
    if n >= 16 and contiguous and dtype == np.float32:
        return _blocked_normal(gen, n, dtype, _box_muller_avx2, _F32(mean), _F32(std))
    if n >= 16 and contiguous and dtype == np.float64:
        return _blocked_normal(gen, n, dtype, _box_muller_double, float(mean), float(std))
    return _scalar_normal(gen, n, float(mean), float(std)).astype(dtype)


def _blocked_normal(gen, n, dtype, box_muller, mean, std):
    draw = gen.random64 if dtype == np.float64 else gen.random32
    data = _unit_float(draw(n), dtype)
    full = n // 16 * 16
    data[:full] = box_muller(data[:full].reshape(-1, 16), mean, std).reshape(-1)
    if n % 16:
        tail = _unit_float(draw(16), dtype).reshape(1, 16)
        data[n - 16:] = box_muller(tail, mean, std).reshape(-1)
    return data


def _box_muller_double(blocks, mean, std):
    """``normal_fill_16<double>``: glibc log/cos/sin, no fused operations."""
    radius = np.sqrt(-2.0 * np.log(1.0 - blocks[:, :8]))
    theta = (2.0 * math.pi) * blocks[:, 8:]
    out = np.empty_like(blocks)
    out[:, :8] = fma64(radius * np.cos(theta), std, mean)
    out[:, 8:] = fma64(radius * np.sin(theta), std, mean)
    return out


def _box_muller_avx2(blocks, mean, std):
    """``normal_fill_16_AVX2``: float32 Box-Muller with avx_mathfun's polynomials."""
    radius = np.sqrt(_F32(-2.0) * _log_avx(_F32(1.0) - blocks[:, :8]))
    sin, cos = _sincos_avx(_F32(2.0 * math.pi) * blocks[:, 8:])
    out = np.empty_like(blocks)
    out[:, :8] = fma32(radius * cos, std, mean)
    out[:, 8:] = fma32(radius * sin, std, mean)
    return out


def _round_to_odd(total, error):
    """Moves the inexact sums among `total` (exact value total + error) with an even last
    bit one ulp towards the exact value: float64 rounded to odd."""
    inexact_even = (error != 0) & ((total.view(np.int64) & 1) == 0)
    if inexact_even.any():
        total[inexact_even] = np.nextafter(total[inexact_even],
                                           np.copysign(np.inf, error[inexact_even]))
    return total


def _two_sum(a, b):
    total = a + b
    back = total - a
    return total, (a - (total - back)) + (b - back)


def fma32(a, b, c):
    """float32 ``fma(a, b, c)``. The product of two float32s is exact in float64, so the
    float64 sum is rounded once there; rounding it again to float32 can only go wrong when
    it lands exactly on a float32 tie (or in float32's subnormal range), and those few are
    redone with the sum rounded to odd, which makes the final rounding the only one."""
    total = np.multiply(a, b, dtype=np.float64)
    total += np.asarray(c, np.float64)
    result = total.astype(np.float32)
    bits = total.view(np.int64)
    suspect = (bits & 0x1FFF_FFFF) == 0x1000_0000
    suspect |= (np.abs(total) < 2.0 ** -126) & (total != 0)
    if suspect.any():
        where = np.nonzero(suspect)
        pick = (lambda v: v[where] if np.ndim(v) else v)
        product = np.multiply(pick(a), pick(b), dtype=np.float64)
        exact = _round_to_odd(*_two_sum(product, np.asarray(pick(c), np.float64) + 0 * product))
        result[where] = exact.astype(np.float32)
    return result


_SPLIT = 134217729.0   # 2**27 + 1: Veltkamp's splitter for float64


def _split(a):
    scaled = _SPLIT * a
    high = scaled - (scaled - a)
    return high, a - high


def fma64(a, b, c):
    """float64 ``fma(a, b, c)`` from error-free transforms (Boldo and Melquiond's emulation:
    exact product and sum, the two low parts added with rounding to odd, one final
    rounding)."""
    product = a * b
    a_high, a_low = _split(a)
    b_high, b_low = _split(np.float64(b))
    product_low = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
    high, low = _two_sum(np.full_like(product, c), product)
    return high + _round_to_odd(*_two_sum(low, product_low))


_LOG_POLY = [_F32(c) for c in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1,
                               -1.2420140846E-1, 1.4249322787E-1, -1.6668057665E-1,
                               2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1)]


def _log_avx(x):
    """``log256_ps`` (Cephes logf as avx_mathfun writes it), one float32 step at a time."""
    invalid = x <= 0
    x = np.maximum(x, np.finfo(np.float32).tiny)
    bits = x.view(np.int32)
    exponent = (bits.view(np.uint32) >> np.uint32(23)).astype(np.int32) - np.int32(0x7F)
    x = ((bits & np.int32(~0x7F800000)) | _F32(0.5).view(np.int32)).view(np.float32)
    e = exponent.astype(np.float32) + _F32(1.0)
    below = x < _F32(0.707106781186547524)
    tmp = np.where(below, x, _F32(0.0))
    x = x - _F32(1.0)
    e = e - np.where(below, _F32(1.0), _F32(0.0))
    x = x + tmp
    z = x * x
    y = np.full_like(x, _LOG_POLY[0])
    for coefficient in _LOG_POLY[1:]:
        y = fma32(y, x, coefficient)
    y = y * x
    y = fma32(y, z, e * _F32(-2.12194440e-4))
    y = y - z * _F32(0.5)
    x = fma32(e, _F32(0.693359375), x + y)
    x[invalid] = np.nan
    return x


def _sincos_avx(x):
    """``sincos256_ps`` (Cephes sinf/cosf as avx_mathfun writes it), float32 throughout."""
    bits = x.view(np.int32)
    sign_sin = bits & np.int32(-0x80000000)
    x = (bits & np.int32(0x7FFFFFFF)).view(np.float32)
    j = (x * _F32(1.27323954473516)).astype(np.int32)
    j = (j + np.int32(1)) & np.int32(~1)
    y = j.astype(np.float32)
    sign_sin = sign_sin ^ ((j & np.int32(4)) << np.int32(29))
    sin_poly = (j & np.int32(2)) == 0
    sign_cos = (~(j - np.int32(2)) & np.int32(4)) << np.int32(29)
    x = fma32(y, _F32(-0.78515625), x)
    x = fma32(y, _F32(-2.4187564849853515625e-4), x)
    x = fma32(y, _F32(-3.77489497744594108e-8), x)
    z = x * x
    y = fma32(_F32(2.443315711809948E-005), z, _F32(-1.388731625493765E-003))
    y = fma32(y, z, _F32(4.166664568298827E-002))
    y = y * z
    y = fma32(y, z, -(z * _F32(0.5)))
    y = y + _F32(1.0)
    y2 = fma32(_F32(-1.9515295891E-4), z, _F32(8.3321608736E-3))
    y2 = fma32(y2, z, _F32(-1.6666654611E-1))
    y2 = y2 * z
    y2 = fma32(y2, x, x)
    sin2 = np.where(sin_poly, y2, _F32(0.0))
    sin1 = np.where(sin_poly, _F32(0.0), y)
    y2 = y2 - sin2
    y = y - sin1
    sin = ((sin1 + sin2).view(np.int32) ^ sign_sin).view(np.float32)
    cos = ((y + y2).view(np.int32) ^ sign_cos).view(np.float32)
    return sin, cos


def _scalar_normal(gen, n, mean, std):
    """``at::normal_distribution<double>`` per element: pairs of 64-bit uniforms give
    ``r cos(theta)`` now and ``r sin(theta)`` cached in the generator for the next one."""
    out = np.empty(n, np.float64)
    start = 0
    if n and gen.next_double_normal is not None:
        out[0] = gen.next_double_normal
        gen.next_double_normal = None
        start = 1
    pairs = (n - start + 1) // 2
    if pairs:
        uniforms = _unit_float(gen.random64(2 * pairs), np.dtype(np.float64))
        radius = np.sqrt(-2.0 * np.log1p(-uniforms[1::2]))
        theta = (2.0 * math.pi) * uniforms[0::2]
        both = np.empty(2 * pairs)
        both[0::2] = radius * np.cos(theta)
        both[1::2] = radius * np.sin(theta)
        out[start:] = both[:n - start]
        if (n - start) % 2:
            gen.next_double_normal = float(both[-1])
    return fma64(out, std, mean)


def integers(gen, n, low, high):
    """`n` samples of ``randint(low, high)`` as int64 (``random_from_to``)."""
    span = high - low
    if span >= _WORD64_RANGE:
        values = gen.random64(n) % np.uint64(span)
    else:
        values = (gen.random32(n) % np.uint32(span)).astype(np.uint64)
    # low + word % span wraps modulo 2**64 in torch; uint64 arithmetic does the same
    values += np.uint64(low % 2**64)
    return values.view(np.int64)


def permutation(gen, n):
    """``randperm_cpu``: swap position i with i + word % (n - i), for i < n - 1."""
    if n >= 0xFFFF_FFFF // 20:
        return _inside_out_permutation(gen, n)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    offsets = (gen.random32(n - 1) % np.arange(n, 1, -1, dtype=np.uint32)).tolist()
    perm = list(range(n))
    for i, offset in enumerate(offsets):
        j = i + offset
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64)


def _inside_out_permutation(gen, n):
    """randperm_cpu's branch for n >= 2**32 / 20: inside-out Fisher-Yates on 64-bit draws."""
    picks = (gen.random64(n) % np.arange(1, n + 1, dtype=np.uint64)).tolist()
    perm = np.empty(n, np.int64)
    for i, z in enumerate(picks):
        perm[i] = perm[z]
        perm[z] = i
    return perm


def uniform_fill(arr, low, high, generator):
    """Fills the float array `arr` as ``arr.uniform_(low, high, generator=)`` does."""
    gen = resolve(generator)
    compute = np.float64 if arr.dtype == np.float64 else np.float32
    if isinstance(gen, np.random.Generator):
        values = gen.random(arr.shape, dtype=compute) * (high - low) + low
        np.copyto(arr, values, casting="unsafe")
    else:
        fill_in_memory_order(arr, uniform(gen, arr.size, compute, low, high))
    return arr


def normal_fill(arr, mean, std, generator):
    """Fills the float array `arr` as ``arr.normal_(mean, std, generator=)`` does."""
    gen = resolve(generator)
    compute = np.float64 if arr.dtype == np.float64 else np.float32
    if isinstance(gen, np.random.Generator):
        values = gen.standard_normal(arr.shape, dtype=compute) * std + mean
        np.copyto(arr, values, casting="unsafe")
    else:
        values = normal(gen, arr.size, compute, mean, std, arr.flags.c_contiguous)
        fill_in_memory_order(arr, values)
    return arr


def bernoulli(gen, n, p):
    """`n` draws of ``bernoulli_(p)`` (scalar p) as booleans: a 53-bit uniform below `p`."""
    return _unit_float(gen.random64(n), np.dtype(np.float64)) < p
