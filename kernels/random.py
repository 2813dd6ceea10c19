"""Kernels for torch's random transforms (see ``fastnn/_sampling.py``): exact float
arithmetic, one operation for each of the C++ kernel's, so the values are torch's bits.

No fast-math here: LLVM must neither fuse nor reorder. Where torch's compiler fused a
multiply and an add (GCC contracts them at -O2 in its AVX2 build), ``fused_multiply_add``
asks LLVM for ``llvm.fma``, which rounds once on any CPU (in hardware, or libm's fma).
"""
import math

import numpy as np
from llvmlite import ir
from numba import prange
from numba.core import types
from numba.extending import intrinsic

from ._target import njit


@intrinsic
def fused_multiply_add(typingctx, a, b, c):
    """a * b + c with one rounding (``llvm.fma``); a, b and c of one float type."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        kind = args[0].type
        fma = builder.module.declare_intrinsic("llvm.fma", [kind],
                                               ir.FunctionType(kind, [kind] * 3))
        return builder.call(fma, args)

    return a(a, b, c), codegen


@intrinsic
def float32_bits(typingctx, x):
    """The bits of a float32 as a uint32."""
    if x != types.float32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return types.uint32(types.float32), codegen


@intrinsic
def bits_float32(typingctx, x):
    """The float32 whose bits are the low 32 bits of the integer `x` (numba widens
    integer arithmetic to 64 bits)."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        value = args[0]
        if value.type.width > 32:
            value = builder.trunc(value, ir.IntType(32))
        return builder.bitcast(value, ir.FloatType())

    return types.float32(x), codegen


@njit(parallel=True, cache=True)
def fma_scalars(a, b, c, out):
    """out = fma(a, b, c) element-wise for a flat `a` and scalars b, c of a's dtype."""
    for i in prange(a.size):
        out[i] = fused_multiply_add(a[i], b, c)


@njit(parallel=True, cache=True)
def box_muller_libm(u_radius, u_angle, log1p_form, cosines, sines):
    """r = sqrt(-2 log(1 - u)) (or with log1p(-u) when `log1p_form`) of each `u_radius`,
    theta = 2 pi `u_angle`; cosines = r cos(theta), sines = r sin(theta). log, log1p, cos
    and sin are the C library's, as torch's std:: calls are: numpy's own float64 loops
    differ from them in the last bit on CPUs with AVX-512."""
    for i in prange(u_radius.size):
        u = u_radius[i]
        radius = math.sqrt(-2.0 * (math.log1p(-u) if log1p_form else math.log(1.0 - u)))
        theta = (2.0 * math.pi) * u_angle[i]
        cosines[i] = radius * math.cos(theta)
        sines[i] = radius * math.sin(theta)


# avx_mathfun.h's constants (Cephes' logf, sinf and cosf), as float32
_F = np.float32
_ZERO, _ONE, _HALF, _MINUS_TWO = _F(0.0), _F(1.0), _F(0.5), _F(-2.0)
_TWO_PI = _F(2.0 * math.pi)
_MIN_NORM = _F(1.17549435e-38)
_SQRT_HALF = _F(0.707106781186547524)
_LOG_P0, _LOG_P1, _LOG_P2 = _F(7.0376836292E-2), _F(-1.1514610310E-1), _F(1.1676998740E-1)
_LOG_P3, _LOG_P4, _LOG_P5 = _F(-1.2420140846E-1), _F(1.4249322787E-1), _F(-1.6668057665E-1)
_LOG_P6, _LOG_P7, _LOG_P8 = _F(2.0000714765E-1), _F(-2.4999993993E-1), _F(3.3333331174E-1)
_LOG_Q1, _LOG_Q2 = _F(-2.12194440e-4), _F(0.693359375)
_FOUR_OVER_PI = _F(1.27323954473516)
_DP1, _DP2, _DP3 = _F(-0.78515625), _F(-2.4187564849853515625e-4), _F(-3.77489497744594108e-8)
_SIN_P0, _SIN_P1, _SIN_P2 = _F(-1.9515295891E-4), _F(8.3321608736E-3), _F(-1.6666654611E-1)
_COS_P0, _COS_P1 = _F(2.443315711809948E-005), _F(-1.388731625493765E-003)
_COS_P2 = _F(4.166664568298827E-002)
_SIGN, _MAGNITUDE = np.uint32(0x8000_0000), np.uint32(0x7FFF_FFFF)


@njit(cache=True)
def _log_avx(x):
    """``log256_ps`` for one lane (x > 0), fused where GCC fused it."""
    if x < _MIN_NORM:
        x = _MIN_NORM
    bits = float32_bits(x)
    e = _F(np.int32(bits >> np.uint32(23)) - np.int32(0x7F)) + _ONE
    x = bits_float32((bits & np.uint32(0x807F_FFFF)) | np.uint32(0x3F00_0000))
    below = x < _SQRT_HALF
    tmp = x if below else _ZERO
    x = x - _ONE
    e = e - (_ONE if below else _ZERO)
    x = x + tmp
    z = x * x
    y = fused_multiply_add(_LOG_P0, x, _LOG_P1)
    y = fused_multiply_add(y, x, _LOG_P2)
    y = fused_multiply_add(y, x, _LOG_P3)
    y = fused_multiply_add(y, x, _LOG_P4)
    y = fused_multiply_add(y, x, _LOG_P5)
    y = fused_multiply_add(y, x, _LOG_P6)
    y = fused_multiply_add(y, x, _LOG_P7)
    y = fused_multiply_add(y, x, _LOG_P8)
    y = y * x
    y = fused_multiply_add(y, z, e * _LOG_Q1)
    y = y - z * _HALF
    return fused_multiply_add(e, _LOG_Q2, x + y)


@njit(cache=True)
def _sincos_avx(x):
    """``sincos256_ps`` for one lane, fused where GCC fused it; returns (sin, cos)."""
    bits = float32_bits(x)
    sign_sin = bits & _SIGN
    x = bits_float32(bits & _MAGNITUDE)
    j = (np.int32(x * _FOUR_OVER_PI) + np.int32(1)) & np.int32(-2)
    y = _F(j)
    sign_sin ^= np.uint32(j & np.int32(4)) << np.uint32(29)
    sine_polynomial = (j & np.int32(2)) == 0
    sign_cos = np.uint32(~(j - np.int32(2)) & np.int32(4)) << np.uint32(29)
    x = fused_multiply_add(y, _DP1, x)
    x = fused_multiply_add(y, _DP2, x)
    x = fused_multiply_add(y, _DP3, x)
    z = x * x
    yc = fused_multiply_add(_COS_P0, z, _COS_P1)
    yc = fused_multiply_add(yc, z, _COS_P2)
    yc = yc * z
    yc = fused_multiply_add(yc, z, -(z * _HALF))
    yc = yc + _ONE
    ys = fused_multiply_add(_SIN_P0, z, _SIN_P1)
    ys = fused_multiply_add(ys, z, _SIN_P2)
    ys = ys * z
    ys = fused_multiply_add(ys, x, x)
    # the vector code selects with and/andnot masks and adds the zeroed lane back in
    sin_from_sine = ys if sine_polynomial else _ZERO
    sin_from_cosine = _ZERO if sine_polynomial else yc
    sin = sin_from_cosine + sin_from_sine
    cos = (yc - sin_from_cosine) + (ys - sin_from_sine)
    return (bits_float32(float32_bits(sin) ^ sign_sin),
            bits_float32(float32_bits(cos) ^ sign_cos))


@njit(parallel=True, cache=True)
def box_muller_avx2(blocks, mean, std):
    """``normal_fill_16_AVX2`` in place on (blocks, 16) float32 uniforms: element j pairs
    with j + 8; mean and std are float32."""
    for b in prange(blocks.shape[0]):
        for j in range(8):
            radius = np.sqrt(_MINUS_TWO * _log_avx(_ONE - blocks[b, j]))
            sin, cos = _sincos_avx(_TWO_PI * blocks[b, j + 8])
            blocks[b, j] = fused_multiply_add(radius * cos, std, mean)
            blocks[b, j + 8] = fused_multiply_add(radius * sin, std, mean)
