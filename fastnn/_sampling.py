"""torch's CPU samplers, vectorised over a ``fastnn.Generator``'s 32-bit words.

Each function reproduces one ATen CPU kernel: the same words drawn in the same order and
the same floating-point operations, so the values equal torch's bit for bit. torch's build
fuses ``x * y + z`` into one rounding wherever its compiler could (measured: uniform's
``x * (to - from) + from``, normal's ``* std + mean``); ``fma`` does the same here.

- uniform: ``(word & (2**digits - 1)) * 2**-digits * (to - from) + from``, fused, in
  float32 (one 32-bit word, 24 bits; also for float16 tensors, cast down) or float64 (one
  64-bit draw, 53 bits); a value that rounds up to ``to`` becomes ``from``.
- normal, >= 16 contiguous elements: all uniforms first, then Box-Muller over blocks of 16
  (element j pairs with j + 8); a size that is not a multiple of 16 draws 16 more uniforms
  and recomputes the last 16 elements from them (float16: one float32 buffer of 16 fresh
  uniforms per block, so nothing is drawn for the elements past the last full block).
  float32 runs torch's AVX2 kernel (``avx_mathfun.h``'s log and sincos polynomials, fused
  multiply-adds), rewritten lane by lane in ``kernels/random.py``: what torch runs on AVX2
  CPUs. torch's generic kernel (``ATEN_CPU_CAPABILITY=default``, or AVX-512 CPUs) differs
  from its AVX2 one in the last bits, and so from fastnn.
- normal, otherwise: the scalar Box-Muller of ``at::normal_distribution<double>``, which
  caches its second value in the generator for the next call.
- integers: ``word % range + low``, a 32-bit word below a range of 2**28, a 64-bit draw from
  there on (torch 2.13's threshold, measured).
- permutation: the swap loop of ``randperm_cpu`` (one 32-bit word per position).
- bernoulli (dropout's masks): one 53-bit uniform per element, kept when below p.
"""
import functools

import numpy as np

from ._random import resolve
from ._runtime import launch
from .kernels import random as _kernels

_F32 = np.float32
_WORD64_RANGE = 1 << 28


def _holding_lock(sampler):
    """Runs `sampler(gen, ...)` holding the generator's lock: one call's draws stay
    consecutive when several threads share a generator."""
    @functools.wraps(sampler)
    def locked(gen, *args, **kwargs):
        with gen.lock:
            return sampler(gen, *args, **kwargs)
    return locked


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


@_holding_lock
def uniform(gen, n, dtype, low, high):
    """`n` samples of U[low, high) in `dtype`, as ``uniform_`` draws them: computed in
    float32 (float16 and float32 tensors) or float64 with the bounds cast to that type,
    then cast to `dtype`; a value that rounded up to `high` becomes `low` (torch's clamp)."""
    dtype = np.dtype(dtype)
    compute = np.dtype(np.float64 if dtype == np.float64 else np.float32)
    words = gen.random64(n) if compute == np.float64 else gen.random32(n)
    start, stop = compute.type(low), compute.type(high)
    values = fma(_unit_float(words, compute), stop - start, start).astype(dtype, copy=False)
    values[values == dtype.type(high)] = dtype.type(low)
    return values


@_holding_lock
def normal(gen, n, dtype, mean, std, contiguous=True):
    """`n` samples of N(mean, std^2) in `dtype`, as ``normal_`` draws them."""
    dtype = np.dtype(dtype)
    if n >= 16 and contiguous and dtype == np.float32:
        return _blocked_normal(gen, n, dtype, _box_muller_avx2, _F32(mean), _F32(std))
    if n >= 16 and contiguous and dtype == np.float64:
        return _blocked_normal(gen, n, dtype, _box_muller_double, float(mean), float(std))
    if n >= 16 and contiguous and dtype == np.float16:
        return _blocked_normal_half(gen, n, _F32(mean), _F32(std))
    return _scalar_normal(gen, n, float(mean), float(std)).astype(dtype)


def _blocked_normal_half(gen, n, mean, std):
    """normal_fill for float16: float32 blocks of 16 fresh uniforms each (no uniforms for
    the elements past the last full block), the tail block drawn fresh, cast down."""
    full = n // 16 * 16
    data = _unit_float(gen.random32(full + (16 if n % 16 else 0)), np.dtype(np.float32))
    blocks = _box_muller_avx2(data.reshape(-1, 16), mean, std).reshape(-1)
    out = np.empty(n, np.float16)
    out[:full] = blocks[:full]
    if n % 16:
        out[n - 16:] = blocks[full:]
    return out


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
    """``normal_fill_16<double>``: log, cos and sin are the C library's, as torch's
    std::log is (`kernels/random.py` `box_muller_libm`), the final ``* std + mean``
    fused."""
    cosines, sines = _polar(blocks[:, :8], blocks[:, 8:], log1p_form=False)
    out = np.empty_like(blocks)
    out[:, :8] = fma(cosines, std, mean).reshape(-1, 8)
    out[:, 8:] = fma(sines, std, mean).reshape(-1, 8)
    return out


def _polar(u_radius, u_angle, log1p_form):
    """Box-Muller's r cos(theta) and r sin(theta), flat (`box_muller_libm`)."""
    u_radius = np.ascontiguousarray(u_radius).reshape(-1)
    u_angle = np.ascontiguousarray(u_angle).reshape(-1)
    cosines, sines = np.empty_like(u_radius), np.empty_like(u_radius)
    launch(_kernels.box_muller_libm, u_radius, u_angle, log1p_form, cosines, sines,
           work=u_radius.size * 40)
    return cosines, sines


def _box_muller_avx2(blocks, mean, std):
    """``normal_fill_16_AVX2``: float32 Box-Muller with avx_mathfun's polynomials."""
    launch(_kernels.box_muller_avx2, blocks, _F32(mean), _F32(std), work=blocks.size * 40)
    return blocks


def fma(a, b, c):
    """``fma(a, b, c)`` element-wise in a's float dtype (rounded once), b and c scalars."""
    a = np.ascontiguousarray(a)
    out = np.empty_like(a)
    kind = a.dtype.type
    launch(_kernels.fma_scalars, a.reshape(-1), kind(b), kind(c), out.reshape(-1),
           work=a.size)
    return out


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
        both = np.empty(2 * pairs)
        both[0::2], both[1::2] = _polar(uniforms[1::2], uniforms[0::2], log1p_form=True)
        out[start:] = both[:n - start]
        if (n - start) % 2:
            gen.next_double_normal = float(both[-1])
    return fma(out, std, mean)


@_holding_lock
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


@_holding_lock
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


def _native(dtype):
    """`dtype` in this machine's byte order: a byte-swapped array draws what a native one
    does (torch has no byte order)."""
    return dtype.newbyteorder("=")


def uniform_fill(arr, low, high, generator):
    """Fills the float array `arr` as ``arr.uniform_(low, high, generator=)`` does."""
    gen = resolve(generator)
    if isinstance(gen, np.random.Generator):
        compute = np.float64 if arr.dtype == np.float64 else np.float32
        values = gen.random(arr.shape, dtype=compute) * (high - low) + low
        np.copyto(arr, values, casting="unsafe")
    else:
        fill_in_memory_order(arr, uniform(gen, arr.size, _native(arr.dtype), low, high))
    return arr


def normal_fill(arr, mean, std, generator):
    """Fills the float array `arr` as ``arr.normal_(mean, std, generator=)`` does."""
    gen = resolve(generator)
    if isinstance(gen, np.random.Generator):
        compute = np.float64 if arr.dtype == np.float64 else np.float32
        values = gen.standard_normal(arr.shape, dtype=compute) * std + mean
        np.copyto(arr, values, casting="unsafe")
    else:
        values = normal(gen, arr.size, _native(arr.dtype), mean, std,
                        arr.flags.c_contiguous)
        fill_in_memory_order(arr, values)
    return arr


@_holding_lock
def bernoulli(gen, n, p):
    """`n` draws of ``bernoulli_(p)`` (scalar p) as booleans: a 53-bit uniform below `p`."""
    return _unit_float(gen.random64(n), np.dtype(np.float64)) < p
