"""Seeded random cases for the ops with several kernel variants (convolution, max pooling,
linear): the catalogue's ``reference_inputs``. The variant sweep runs every variant that
applies on each case, against torch and the torch-free references.

Each generator is ``inputs(nd)`` -> ``cases()`` yielding ``(arrays, kwargs)``; the seeds
are fixed, so every run sees the same cases.
"""
import numpy as np


def _random_conv(rng, nd, depthwise=False):
    groups = int(rng.integers(1, 4))
    group_in = 1 if depthwise else int(rng.integers(1, 4))
    group_out = int(rng.integers(1, 3))
    spatial = tuple(int(v) for v in rng.integers(4, 9, nd))
    kernel = tuple(int(v) for v in rng.integers(1, 4, nd))
    stride = tuple(int(v) for v in rng.integers(1, 3, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    padding = tuple(int(v) for v in rng.integers(0, 3, nd))
    dtype = rng.choice([np.float32, np.float64])
    x = rng.standard_normal((2, group_in * groups) + spatial).astype(dtype)
    w = rng.standard_normal((group_out * groups, group_in) + kernel).astype(dtype)
    b = rng.standard_normal(group_out * groups).astype(dtype) if rng.random() < 0.7 else None
    return x, w, b, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def _fits(x, w, args):
    reach = [d * (k - 1) + 1 for d, k in zip(args["dilation"], w.shape[2:])]
    padded = [s + 2 * p for s, p in zip(x.shape[2:], args["padding"])]
    return all(p >= r for p, r in zip(padded, reach))


def _general_convs(seed, count):
    """Any convolution: 1-3 dims, groups, a third depthwise, both dtypes."""
    rng = np.random.default_rng(seed)
    found = 0
    while found < count:
        nd = int(rng.integers(1, 4))
        x, w, b, args = _random_conv(rng, nd, depthwise=found % 3 == 0)
        if _fits(x, w, args):
            found += 1
            yield nd, x, w, b, args


def _tiled_convs(variant, seed, count):
    """Convolutions the register-tiled variant ('blocked', 'grouped_h3', 'pointwise')
    applies to: channels that are and are not multiples of 16, stride, dilation, padding,
    groups, bias, both dtypes."""
    from fastnn import backends
    rng = np.random.default_rng(seed)
    found = 0
    while found < count:
        dense = variant in ("blocked", "pointwise")
        nd = int(rng.integers(1 if dense else 2, 4))
        dtype = (np.float32, np.float64)[found % 2]
        groups = 1 if dense else int(rng.choice([2, 4]))
        cg = int(rng.choice([1, 3, 5, 16, 17, 20])) if dense else int(rng.integers(2, 9))
        kg = int(rng.choice([1, 4, 8, 16, 33])) if dense else 4 * int(rng.integers(1, 3))
        kernel = tuple(int(k) for k in rng.integers(1, 4, nd))
        if variant == "grouped_h3":
            kernel = kernel[:-2] + (3,) + kernel[-1:]
        args = dict(stride=tuple(int(s) for s in rng.integers(1, 3, nd)),
                    padding=tuple(int(p) for p in rng.integers(0, 2, nd)),
                    dilation=tuple(int(d) for d in rng.integers(1, 3, nd)), groups=groups)
        if variant == "grouped_h3":      # stride 1 or 2 along H: each has its own tile
            args["dilation"] = args["dilation"][:-2] + (1,) + args["dilation"][-1:]
        sizes = rng.integers(6, 12, nd)
        if variant == "pointwise":     # 1x1 (any stride, no padding) or 1-D, >= 16 positions
            sizes = rng.integers(16, 40, nd) if nd == 1 else sizes
            if nd > 1:
                kernel, args["padding"] = (1,) * nd, (0,) * nd
        x = rng.standard_normal((int(rng.integers(1, 3)), cg * groups) +
                                tuple(int(v) for v in sizes)).astype(dtype)
        w = rng.standard_normal((kg * groups, cg) + kernel).astype(dtype)
        b = rng.standard_normal(kg * groups).astype(dtype) if rng.random() < 0.7 else None
        if variant in backends.applicable(f"conv{nd}d", x, w, b, **args):
            found += 1
            yield nd, x, w, b, args


def conv_inputs(nd):
    """The `nd`-dimensional convolutions among a fixed set of seeded random ones."""
    def cases():
        streams = [_general_convs(seed, 12) for seed in range(4)]
        streams += [_general_convs(seed, 6) for seed in range(10, 14)]
        for variant in ("blocked", "grouped_h3", "pointwise"):
            streams.append(_tiled_convs(variant, len(variant), 24))
            streams.append(_tiled_convs(variant, 100 + len(variant), 6))
        for stream in streams:
            for n, x, w, b, args in stream:
                if n == nd:
                    yield [x, w, b], args
    return cases


def max_pool_inputs(nd):
    """Seeded random `nd`-dimensional max pools, NaN included; some have too small an
    output (torch refuses them; so must every variant)."""
    def cases():
        rng = np.random.default_rng(7)
        for _ in range(48):
            n = int(rng.integers(1, 4))
            spatial = tuple(int(v) for v in rng.integers(3, 10, n))
            kernel = tuple(int(v) for v in rng.integers(1, 4, n))
            dilation = tuple(int(v) for v in rng.integers(1, 3, n))
            padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
            stride = tuple(int(v) for v in rng.integers(1, 4, n))
            dtype = rng.choice([np.float32, np.float64])
            x = rng.standard_normal((2, 3) + spatial).astype(dtype)
            x[x > 2.2] = np.nan
            ceil_mode = bool(rng.random() < 0.5)
            if n == nd:
                yield [x], dict(kernel_size=kernel, stride=stride, padding=padding,
                                dilation=dilation, ceil_mode=ceil_mode)
    return cases


def linear_inputs():
    """GEMM sizes around the tile edges, both dtypes."""
    rng = np.random.default_rng(11)
    for m, k, n in [(1, 7, 3), (5, 33, 17), (64, 130, 65), (3, 4, 1)]:
        for dtype in (np.float32, np.float64):
            x = rng.standard_normal((m, k)).astype(dtype)
            w = rng.standard_normal((n, k)).astype(dtype)
            b = rng.standard_normal(n).astype(dtype)
            yield [x, w, b], {}
