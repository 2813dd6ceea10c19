"""Source indices and weights of F.interpolate along one dimension, computed as torch 2.13's
CPU kernels compute them (aten/src/ATen/native/UpSample.h, cpu/UpSampleKernel.cpp).

Every mode computes in the input's dtype (float32 or float64), and the C++ types are
followed step by step (where a float meets a double the product is a double, rounded back
to float when stored; floorf rounds a double to float first; a * b + c is one fused
multiply-add, as GCC contracts it in torch's build), because a nearest index is a floor
(one rounding apart moves it by a whole pixel) and a weight of exactly 0 turns an inf
input into NaN where a weight of 1e-17 keeps it.

torch's 2-D and 3-D modes run one of two kernels (`_resample_args._vectorized`); for the
nearest modes they differ in the index, so both are here.

A weighted table is ``(index, weights, counts)``: index and weights ``(out, K)``, counts
``(out,)``; output ``o`` sums ``x[index[o, k]] * weights[o, k]`` for ``k < counts[o]``.
"""
import math

import numpy as np


def _scale_value(dtype, scale, in_size, out_size):
    """torch's compute_scales_value<T>: 1 / scale_factor when one was given, else in / out."""
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(in_size) / dtype.type(out_size)


def _area_scale(dtype, in_size, out_size, align_corners, scale):
    """torch's area_pixel_compute_scale<T>."""
    if align_corners:
        if out_size > 1:
            return dtype.type(in_size - 1) / dtype.type(out_size - 1)
        return dtype.type(0)
    return _scale_value(dtype, scale, in_size, out_size)


def _floorf(values):
    """C's floorf on `values`: rounded to float32 first, then floored, as int64."""
    return np.floor(values.astype(np.float32)).astype(np.int64)


def nearest_float(in_size, out_size, scale, exact):
    """Nearest indices of torch's channels-last kernels (nearest_idx,
    nearest_exact_idx): a float32 scale whatever the dtype; nearest copies when the size
    is unchanged and halves when it doubles, whatever scale factor was given."""
    if not exact and out_size == in_size:
        return np.arange(out_size, dtype=np.int64)
    if not exact and out_size == 2 * in_size:
        return np.arange(out_size, dtype=np.int64) >> 1
    s = _scale_value(np.dtype(np.float32), scale, in_size, out_size)
    if exact:
        # floorf((i + 0.5) * scale): the product a double, rounded to float by floorf
        src = _floorf((np.arange(out_size, dtype=np.float64) + 0.5) * np.float64(s))
    else:
        src = np.floor(np.arange(out_size, dtype=np.float32) * s).astype(np.int64)
    return np.minimum(src, in_size - 1)


def nearest(dtype, in_size, out_size, scale, exact):
    """Nearest indices of torch's generic kernel (HelperInterpNearest / ...Exact): the
    scale and products in the input's dtype, then floorf."""
    dtype = np.dtype(dtype)
    s = _scale_value(dtype, scale, in_size, out_size)
    if exact:
        real = _source_index(dtype, s, out_size, align_corners=False, cubic=False)
        src = _floorf(real.astype(np.float64) + 0.5)
    else:
        src = _floorf(_source_index(dtype, s, out_size, align_corners=True, cubic=False))
    return np.minimum(src, in_size - 1)


def _split(a):
    """Veltkamp's split of float64 `a` into two halves of 26 bits each."""
    c = a * 134217729.0                  # 2**27 + 1
    high = c - (c - a)
    return high, a - high


def fma(a, b, c):
    """a * b + c rounded once, as the fused multiply-add torch's kernels are compiled
    with (GCC contracts a * b + c where the CPU has FMA). float32: exact in float64, then
    rounded; float64: the product's error (Dekker) and the sum's (Knuth) kept apart and
    added last, which rounds as the fused operation does except in double-rounding ties.
    """
    dtype = np.result_type(a, b, c)
    if dtype == np.float32:
        return (np.float64(a) * np.float64(b) + np.float64(c)).astype(np.float32)
    a, b, c = np.float64(a), np.float64(b), np.float64(c)
    with np.errstate(all="ignore"):
        p = a * b
        ah, al = _split(a)
        bh, bl = _split(b)
        product_error = ((ah * bh - p) + ah * bl + al * bh) + al * bl
        total = p + c
        z = total - p
        sum_error = (p - (total - z)) + (c - z)
        return total + (sum_error + product_error)


def _source_index(dtype, scale, out_size, align_corners, cubic):
    """torch's area_pixel_compute_source_index<T> for every output position; its
    scale * (i + 0.5) - 0.5 is one fused multiply-add in torch's build, which decides
    whether a weight is exactly 0 (and so whether 0 * inf makes NaN)."""
    i = np.arange(out_size).astype(dtype)
    if align_corners:
        return scale * i
    half = dtype.type(0.5)
    src = fma(scale, i + half, -half).astype(dtype)
    return src if cubic else np.maximum(src, dtype.type(0))


def _guard(dtype, real, in_size):
    """torch's guard_index_and_lambda: (floor index, clamped fraction)."""
    index = np.minimum(_floorf(real), in_size - 1)
    frac = np.minimum(np.maximum(real - index.astype(dtype), dtype.type(0)), dtype.type(1))
    return index, frac


def linear(dtype, in_size, out_size, align_corners, scale):
    """The two taps of upsample_linear1d/bilinear2d/trilinear3d (both taps always summed,
    the same index twice at the last input position or when the size is unchanged)."""
    dtype = np.dtype(dtype)
    counts = np.full(out_size, 2, np.int64)
    if out_size == in_size:
        index = np.repeat(np.arange(out_size, dtype=np.int64)[:, None], 2, axis=1)
        weights = np.zeros((out_size, 2), dtype)
        weights[:, 0] = 1
        return index, weights, counts
    s = _area_scale(dtype, in_size, out_size, align_corners, scale)
    real = _source_index(dtype, s, out_size, align_corners, cubic=False)
    index0, lambda1 = _guard(dtype, real, in_size)
    index1 = index0 + (index0 < in_size - 1)
    weights = np.stack([dtype.type(1) - lambda1, lambda1], axis=1).astype(dtype)
    return np.stack([index0, index1], axis=1), weights, counts


def _cubic1(x, a):
    # ((a + 2) * x - (a + 3)) * x * x + 1, contracted into FMAs as torch's build does
    one = x.dtype.type(1)
    return fma(fma(a + 2, x, -(a + 3)) * x, x, one).astype(x.dtype)


def _cubic2(x, a):
    # ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, likewise
    return fma(fma(fma(a, x, -5 * a), x, 8 * a), x, -4 * a).astype(x.dtype)


def cubic(dtype, in_size, out_size, align_corners, scale):
    """The four taps of upsample_bicubic2d (A = -0.75, indices clamped to the input)."""
    dtype = np.dtype(dtype)
    t = dtype.type
    s = _area_scale(dtype, in_size, out_size, align_corners, scale)
    real = _source_index(dtype, s, out_size, align_corners, cubic=True)
    index, frac = _guard(dtype, real, in_size)
    a = t(-0.75)
    x2 = t(1) - frac
    weights = np.stack([_cubic2(frac + t(1), a), _cubic1(frac, a), _cubic1(x2, a),
                        _cubic2(x2 + t(1), a)], axis=1).astype(dtype)
    taps = np.clip(index[:, None] - 1 + np.arange(4), 0, in_size - 1)
    return taps, weights, np.full(out_size, 4, np.int64)


def _linear_filter(x, t):
    x = np.abs(x)
    return np.where(x < 1, t(1) - x, t(0)).astype(x.dtype)


def _cubic_filter(x, t):
    # Pillow's bicubic (a = -0.5), not upsample_bicubic2d's -0.75
    a = t(-0.5)
    x = np.abs(x)
    return np.where(x < 1, _cubic1(x, a),
                    np.where(x < 2, _cubic2(x, a), t(0))).astype(x.dtype)


def _lanczos_filter(x, t):
    # Pillow's Lanczos-3: sinc(x) * sinc(x / 3) for |x| < 3; x / 3.0 is a double
    x = np.abs(x)
    third = (x.astype(np.float64) / 3.0).astype(x.dtype)
    return np.where(x < 3, _sinc(x, t) * _sinc(third, t), t(0)).astype(x.dtype)


def _sinc(x, t):
    with np.errstate(invalid="ignore", divide="ignore"):
        px = x * t(np.pi)
        return np.where(x == 0, t(1), np.sin(px) / px).astype(x.dtype)


_FILTERS = {"linear": (2, _linear_filter), "cubic": (4, _cubic_filter),
            "lanczos": (6, _lanczos_filter)}


def antialiased(dtype, in_size, out_size, align_corners, scale, kind):
    """The taps of _upsample_{bilinear,bicubic,lanczos}2d_aa (Pillow's resampling): the
    filter (`kind`: linear, cubic or lanczos) widened by the scale when downsampling, the
    weights normalised to sum 1."""
    dtype = np.dtype(dtype)
    t = dtype.type
    interp_size, aa_filter = _FILTERS[kind]
    s = _area_scale(dtype, in_size, out_size, align_corners, scale)
    support = t(interp_size * 0.5 * float(s)) if s >= 1 else t(interp_size * 0.5)
    max_taps = int(math.ceil(float(support))) * 2 + 1
    invscale = t(1.0 / float(s)) if s >= 1 else t(1)
    i = np.arange(out_size, dtype=np.float64)
    center = (float(s) * (i + 0.5)).astype(dtype)
    # center -/+ support is a float, + 0.5 a double, truncated toward zero
    low = (center - support).astype(np.float64) + 0.5
    high = (center + support).astype(np.float64) + 0.5
    xmin = np.maximum(np.trunc(low).astype(np.int64), 0)
    xsize = np.minimum(np.trunc(high).astype(np.int64), in_size) - xmin
    xsize = np.clip(xsize, 0, max_taps)
    j = np.arange(max_taps)
    # (j + xmin - center) is a float, + 0.5 a double, times invscale a double, then float
    offset = ((j[None, :] + xmin[:, None]).astype(dtype) - center[:, None]).astype(np.float64)
    arg = ((offset + 0.5) * float(invscale)).astype(dtype)
    weights = aa_filter(arg, t)
    live = j[None, :] < xsize[:, None]
    weights = np.where(live, weights, t(0)).astype(dtype)
    total = np.zeros(out_size, dtype)
    for k in range(max_taps):                   # summed in torch's order
        total = (total + weights[:, k]).astype(dtype)
    nonzero = total != 0
    weights[nonzero] = weights[nonzero] / total[nonzero, None]
    index = np.minimum(xmin[:, None] + j[None, :], in_size - 1)
    return index, weights, np.maximum(xsize, 1)

