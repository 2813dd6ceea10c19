"""Pooling against torch: seeded sweeps over every argument, errors word for word, modules."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F

TOL = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-12}


def _data(rng, shape, dtype):
    x = np.asarray(rng.standard_normal(shape), dtype=dtype)
    if rng.random() < 0.5 and x.size:
        u = rng.random(shape)
        x[u < 0.05] = np.nan
        x[(u >= 0.05) & (u < 0.1)] = -np.inf
        x[(u >= 0.1) & (u < 0.12)] = np.inf
    if rng.random() < 0.2:
        x = np.asarray(np.round(x))          # ties: torch keeps the first maximum
    return x


def _assert_same(got, want, exact):
    """fastnn's result (array or (values, indices)) against torch's."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == 2
        np.testing.assert_array_equal(got[1], want[1].numpy())
        assert got[1].dtype == np.int64
        got, want = got[0], want[0]
    want = want.numpy()
    assert isinstance(got, fastnn.Tensor)
    assert got.shape == want.shape and got.dtype == want.dtype
    if exact:
        np.testing.assert_array_equal(got, want)
    else:
        tol = TOL[got.dtype]
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def _window(rng, nd, dilated, kernel_fits_input):
    k = [int(rng.integers(1, 5)) for _ in range(nd)]
    s = [int(rng.integers(1, 4)) for _ in range(nd)]
    d = [int(rng.integers(1, 4)) if dilated else 1 for _ in range(nd)]
    p = [int(rng.integers(0, kk // 2 + 1)) for kk in k]
    low = [max(1, (kk - 1) * dd + 1 - 2 * pp, kk if kernel_fits_input else 1)
           for kk, dd, pp in zip(k, d, p)]
    return k, s, p, d, [int(rng.integers(lo, lo + 8)) for lo in low]


def _lead(rng):
    batch = (int(rng.integers(0 if rng.random() < 0.05 else 1, 3)),) if rng.random() < 0.8 else ()
    return batch + (int(rng.integers(1, 4)),)


# ---------------------------------------------------------------- value sweeps (~400 configs)

@pytest.mark.parametrize("seed", range(120))
def test_max_pool_sweep(torch, seed):
    rng = np.random.default_rng(seed)
    nd, dtype = seed % 3 + 1, (np.float32, np.float64)[seed // 3 % 2]
    k, s, p, d, spatial = _window(rng, nd, dilated=True, kernel_fits_input=False)
    x = _data(rng, _lead(rng) + tuple(spatial), dtype)
    stride = None if rng.random() < 0.2 else s
    args = (k, stride, p, d, bool(rng.integers(2)), bool(rng.integers(2)))
    got = getattr(F, f"max_pool{nd}d")(x, *args)
    want = getattr(torch.nn.functional, f"max_pool{nd}d")(torch.from_numpy(x), *args)
    _assert_same(got, want, exact=True)


@pytest.mark.parametrize("seed", range(120))
def test_avg_pool_sweep(torch, seed):
    rng = np.random.default_rng(1000 + seed)
    nd, dtype = seed % 3 + 1, (np.float32, np.float64)[seed // 3 % 2]
    k, s, p, _, spatial = _window(rng, nd, dilated=False, kernel_fits_input=nd == 3)
    x = _data(rng, _lead(rng) + tuple(spatial), dtype)
    args = [k, s, p, bool(rng.integers(2)), bool(rng.integers(2))]
    if nd > 1:
        args.append(None if rng.random() < 0.6 else int(rng.choice([-3, 1, 2, 5])))
    got = getattr(F, f"avg_pool{nd}d")(x, *args)
    want = getattr(torch.nn.functional, f"avg_pool{nd}d")(torch.from_numpy(x), *args)
    _assert_same(got, want, exact=False)


@pytest.mark.parametrize("seed", range(120))
def test_adaptive_pool_sweep(torch, seed):
    rng = np.random.default_rng(2000 + seed)
    nd, dtype = seed % 3 + 1, (np.float32, np.float64)[seed // 3 % 2]
    x = _data(rng, _lead(rng) + tuple(int(rng.integers(1, 12)) for _ in range(nd)), dtype)
    size = [int(rng.integers(1, 14)) if rng.random() < 0.85 else None for _ in range(nd)]
    size = [1 if v is None and nd == 1 else v for v in size]
    if rng.random() < 0.2:
        size = size[0] if size[0] is not None else 1
    t = torch.from_numpy(x)
    if seed % 2:
        ret = bool(rng.integers(2))
        got = getattr(F, f"adaptive_max_pool{nd}d")(x, size, ret)
        want = getattr(torch.nn.functional, f"adaptive_max_pool{nd}d")(t, size, ret)
        _assert_same(got, want, exact=True)
    else:
        got = getattr(F, f"adaptive_avg_pool{nd}d")(x, size)
        _assert_same(got, getattr(torch.nn.functional, f"adaptive_avg_pool{nd}d")(t, size),
                     exact=False)


def test_nan_and_inf_rules(torch):
    x = np.array([[[[1., np.nan, 3., np.nan, -1., 2.],
                    [-np.inf, -np.inf, -np.inf, -np.inf, 5., np.inf]]]], np.float32)
    t = torch.from_numpy(x)
    for k in [(1, 6), (2, 2), (1, 3), (2, 1)]:
        _assert_same(F.max_pool2d(x, k, return_indices=True),
                     torch.nn.functional.max_pool2d(t, k, return_indices=True), exact=True)
        _assert_same(F.max_pool2d(x, k), torch.nn.functional.max_pool2d(t, k), exact=True)
        _assert_same(F.avg_pool2d(x, k), torch.nn.functional.avg_pool2d(t, k), exact=False)
    _assert_same(F.adaptive_max_pool2d(x, (1, 2), True),
                 torch.nn.functional.adaptive_max_pool2d(t, (1, 2), True), exact=True)
    _assert_same(F.max_pool1d(x[0], 6), torch.nn.functional.max_pool1d(t[0], 6), exact=True)


@pytest.mark.parametrize("shape, ceil_mode", [((3, 4, 8, 10), False), ((2, 9, 7), False),
                                              ((2, 3, 7, 9), True), ((1, 1, 2, 2), False)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_2x2_stride_2_windows_pick_torchs_indices(torch, shape, ceil_mode, dtype):
    """2x2 windows at stride 2 run on a kernel of their own (`pool_argmax.
    max_pool2x2_argmax`; with ceil_mode over an odd size, the separable one): values,
    indices and the values-only gradient as torch's, with ties (the first kept), several
    NaNs in a window (the last kept) and infinities."""
    rng = np.random.default_rng(sum(shape))
    x = rng.integers(-2, 3, shape).astype(dtype)          # many ties
    x.flat[::5], x.flat[2::9], x.flat[1::13] = np.nan, -np.inf, np.inf
    t = torch.from_numpy(x)
    _assert_same(F.max_pool2d(x, 2, ceil_mode=ceil_mode, return_indices=True),
                 torch.nn.functional.max_pool2d(t, 2, ceil_mode=ceil_mode, return_indices=True),
                 exact=True)
    ours = fastnn.tensor(x, requires_grad=True)
    F.max_pool2d(ours, 2, ceil_mode=ceil_mode).sum().backward()
    theirs = t.clone().requires_grad_()
    torch.nn.functional.max_pool2d(theirs, 2, ceil_mode=ceil_mode).sum().backward()
    np.testing.assert_array_equal(np.asarray(ours.grad), theirs.grad.numpy())


def test_3d_pooling_over_2x2_planes_keeps_every_depth(torch):
    """A 3-D pooling with a (1, 2, 2) window at stride (1, 2, 2) has a 2-D 2x2 window's
    geometry but several depths: every depth's maxima and indices (d * H * W + h * W + w),
    as torch's, with grad mode on (the recorded forward) and off."""
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, (2, 3, 4, 6, 8)).astype(np.float32)
    x.flat[::7] = np.nan
    t = torch.from_numpy(x)
    for window in [(1, 2, 2), 2]:
        _assert_same(F.max_pool3d(x, window, return_indices=True),
                     torch.nn.functional.max_pool3d(t, window, return_indices=True), exact=True)
        ours = fastnn.tensor(x, requires_grad=True)
        F.max_pool3d(ours, window).sum().backward()
        theirs = t.clone().requires_grad_()
        torch.nn.functional.max_pool3d(theirs, window).sum().backward()
        np.testing.assert_array_equal(np.asarray(ours.grad), theirs.grad.numpy())


@pytest.mark.parametrize("name,size,shape", [
    ("adaptive_avg_pool2d", 1, (8, 64, 7, 7)), ("adaptive_avg_pool2d", 1, (5, 9)),
    ("adaptive_avg_pool2d", 1, (2, 3, 4, 0)), ("adaptive_avg_pool3d", 1, (2, 3, 2, 5, 6)),
    ("adaptive_avg_pool3d", (1, 1, 1), (7, 2, 3, 4, 5, 6)), ("adaptive_avg_pool1d", 1, (3, 33))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_global_average_is_torchs_mean(torch, name, size, shape, dtype):
    # torch takes input.mean(...) for an all-ones output_size: any rank, empty -> NaN
    x = _data(np.random.default_rng(len(shape)), shape, dtype)
    if shape[0] == 8:
        x[0, 0, 0, :2], x[1, 1, 1, :2] = np.nan, [np.inf, -np.inf]
    got = getattr(F, name)(x, size)
    _assert_same(got, getattr(torch.nn.functional, name)(torch.from_numpy(x), size), False)


@pytest.mark.parametrize("layout", ["channels_last", "strided", "torch"])
def test_torch_layouts_and_tensors_as_input(torch, layout):
    t = torch.randn(2, 8, 9, 11, generator=torch.Generator().manual_seed(0))
    src = {"channels_last": t.contiguous(memory_format=torch.channels_last),
           "strided": t[:, ::2, :, 1:], "torch": t}[layout]
    x = src if layout == "torch" else src.numpy()
    _assert_same(F.max_pool2d(x, 3, 2, 1, return_indices=True),
                 torch.nn.functional.max_pool2d(src, 3, 2, 1, return_indices=True), exact=True)
    _assert_same(F.avg_pool2d(x, 3, 2, 1), torch.nn.functional.avg_pool2d(src, 3, 2, 1),
                 exact=False)


# ---------------------------------------------------------------- errors, word for word

def _run(fn):
    try:
        return "ok", fn()
    except Exception as exc:  # noqa: BLE001 - comparing whatever both libraries raise
        return type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""


def _weird(rng, nd, low, high, may_be_none=False):
    r = rng.random()
    if may_be_none and r < 0.2:
        return None
    if r < 0.35:
        choices = [(), [], (1,) * (nd + 1), [2] * max(nd - 1, 1), 2.0, (2, 2.0)[:max(nd, 2)],
                   2 ** 31, -1, True, 0, "2", [True], np.int64(2)]
        return choices[rng.integers(len(choices))]
    if r < 0.65:
        return int(rng.integers(low, high))
    return tuple(int(rng.integers(low, high)) for _ in range(nd))


def _weird_shape(rng, nd):
    r = rng.random()
    rank = nd + 2 if r < 0.55 else nd + 1 if r < 0.8 else int(rng.choice([0, 1, nd, nd + 3]))
    shape = [int(rng.integers(1, 7)) for _ in range(rank)]
    if rank and rng.random() < 0.15:
        shape[rng.integers(rank)] = 0
    return tuple(shape)


def _weird_call(rng, op, nd):
    """(fastnn function, torch function name, args) with arguments often out of range."""
    if op in ("max", "avg"):
        k, s, p = _weird(rng, nd, -1, 5), _weird(rng, nd, -1, 4, True), _weird(rng, nd, -1, 3)
        ceil = bool(rng.integers(2)) if rng.random() < 0.9 else 1
        if op == "max":
            d = _weird(rng, nd, 0, 4)
            if nd == 1 and 2 ** 31 in (k, s, p, d):
                d = 1     # torch's own max_pool1d can loop for ages on such windows
            return f"max_pool{nd}d", (k, s, p, d, ceil, bool(rng.random() < 0.4))
        args = (k, s, p, ceil, bool(rng.integers(2)))
        if nd > 1 and rng.random() < 0.3:
            args += ([None, 0, 3, -2, 2.0, True][rng.integers(6)],)
        return f"avg_pool{nd}d", args
    sizes = [int(rng.integers(-1, 6)), tuple(int(rng.integers(0, 6)) for _ in range(nd)),
             tuple([None, 1, 3][rng.integers(3)] for _ in range(nd)), 1, (1,) * nd,
             (2,) * (nd + 1), (3,), 2.0, None, np.int64(2)]
    size = sizes[rng.integers(len(sizes))]
    if op == "amax":
        return f"adaptive_max_pool{nd}d", (size, bool(rng.integers(2)))
    return f"adaptive_avg_pool{nd}d", (size,)


@pytest.mark.parametrize("seed", range(40))
def test_errors_and_edge_arguments_match_torch(torch, seed):
    """15 random calls per seed, mostly invalid: same exception class and message as torch
    (fastnn refusing non-float dtypes aside), same result when torch succeeds."""
    rng = np.random.default_rng(5000 + seed)
    for _ in range(15):
        op = ("max", "avg", "aavg", "amax")[rng.integers(4)]
        nd = int(rng.integers(1, 4))
        name, args = _weird_call(rng, op, nd)
        x = _data(rng, _weird_shape(rng, nd), (np.float32, np.float64)[rng.integers(2)])
        got = _run(lambda: getattr(F, name)(x, *args))
        want = _run(lambda: getattr(torch.nn.functional, name)(torch.from_numpy(x), *args))
        assert got[0] == want[0], (name, x.shape, args, got, want)
        if want[0] == "ok":
            _assert_same(got[1], want[1], exact=op in ("max", "amax"))
        else:
            assert got[1] == want[1], (name, x.shape, args)


x4 = np.zeros((2, 3, 8, 8), np.float32)
x3 = np.zeros((2, 3, 8), np.float32)
x5 = np.zeros((1, 2, 4, 8, 8), np.float32)

ERROR_CASES = [
    # (function, args, kwargs, exception, message regex)
    ("max_pool2d", (x4, 0), {}, RuntimeError, "stride should not be zero"),
    ("max_pool2d", (x4, -1), {}, RuntimeError,
     r"kernel size should be greater than zero, but got kH: -1 kW: -1"),
    ("max_pool2d", (x4, 2, -1), {}, RuntimeError, "stride should be greater than zero"),
    ("max_pool2d", (x4, 2, 2, -1), {}, RuntimeError, "pad must be non-negative, but got pad: -1"),
    ("max_pool2d", (x4, 2, 2, 2), {}, RuntimeError,
     r"pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 "
     r"and dilation=1"),
    ("max_pool2d", (x4, (1, 2), 1, (0, 3), (1, 5)), {}, RuntimeError,
     r"pad should be smaller than or equal to half of kernel size, but got padW = 3"),
    ("max_pool2d", (x4, 3, 1, 1, 0), {}, RuntimeError, "pad should be at most half"),
    ("max_pool2d", (x4, 3, 1, 0, -1), {}, RuntimeError, "dilation should be greater than zero"),
    ("max_pool2d", (np.zeros((8, 8), np.float32), 2), {}, RuntimeError,
     r"non-empty 3D or 4D \(batch mode\) tensor expected for input"),
    ("max_pool2d", (np.zeros((2, 0, 8, 8), np.float32), 2), {}, RuntimeError,
     r"Expected 3D or 4D \(batch mode\) tensor with optional 0 dim batch size for input, "
     r"but got:\[2, 0, 8, 8\]"),
    ("max_pool2d", (np.zeros((1, 64, 2, 2), np.float32), 3), {}, RuntimeError,
     r"Given input size: \(64x2x2\). Calculated output size: \(64x0x0\). Output size is too "
     "small"),
    ("max_pool2d", (x4, (2, 2, 2)), {}, RuntimeError,
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    ("max_pool2d", (x4, 2, (2, 2, 2)), {}, RuntimeError, "max_pool2d: stride must either be"),
    ("max_pool2d", (x4, 2, 2, (0, 0, 0)), {}, RuntimeError, "max_pool2d: padding must either"),
    ("max_pool2d", (x4, 2, 2, 0, (1, 1, 1)), {}, RuntimeError, "max_pool2d: dilation must be"),
    ("max_pool2d", (x4, 2.0), {}, TypeError,
     r"max_pool2d\(\): argument 'kernel_size' \(position 2\) must be tuple of ints, not float"),
    ("max_pool2d", (x4, 2, 2, 0, 1, 1), {}, TypeError, "argument 'ceil_mode' .* must be bool"),
    ("max_pool2d", (x4, 2 ** 31), {}, RuntimeError,
     "value cannot be converted to type int without overflow"),
    ("max_pool1d", (x3, 0), {}, RuntimeError,
     r"max_pool1d\(\) kernel_size must be greater than zero, but got 0"),
    ("max_pool1d", (x3, 2, 2, 2), {}, RuntimeError,
     r"max_pool1d\(\) padding should be at most half of kernel size"),
    ("max_pool1d", (np.zeros(8, np.float32), 2), {}, RuntimeError,
     r"max_pool1d: Expected 2D or 3D \(batch mode\) tensor"),
    ("max_pool1d", (np.zeros((1, 4, 2), np.float32), 3), {}, RuntimeError,
     r"max_pool1d\(\) Invalid computed output size: 0"),
    ("max_pool1d", (np.zeros((1, 4, 2), np.float32), 3), {"return_indices": True}, RuntimeError,
     r"Given input size: \(4x1x2\). Calculated output size: \(4x1x0\)"),
    ("max_pool1d", (x3, (2, 2)), {"return_indices": True}, RuntimeError,
     r"max_pool1d\(\) argument 'kernel_size' should contain one int \(got 2\)"),
    ("max_pool3d", (x3, 2), {}, RuntimeError, "non-empty 4D or 5D"),
    ("max_pool3d", (np.zeros((1, 2, 1, 8, 8), np.float32), 2), {}, RuntimeError,
     r"Given input size: \(2x1x8x8\). Calculated output size: \(2x0x4x4\)"),
    ("max_pool3d", (np.zeros((1, 0, 4, 4, 4), np.float32), 2), {}, RuntimeError,
     "Expected input's non-batch dimensions to have positive length"),
    ("avg_pool2d", (x4, 2), {"divisor_override": 0}, RuntimeError, "divisor must be not zero"),
    ("avg_pool2d", (np.zeros((8, 8), np.float32), 2), {}, IndexError, "Dimension out of range"),
    ("avg_pool1d", (np.zeros(8, np.float32), 2), {}, RuntimeError,
     r"Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' "
     r"\(while checking arguments for avg_pool1d\)"),
    ("avg_pool3d", (np.zeros((1, 2, 2, 3, 3), np.float32), 3, 1, 1), {}, RuntimeError,
     r"input image \(T: 2 H: 3 W: 3\) smaller than kernel size \(kT: 3 kH: 3 kW: 3\)"),
    ("avg_pool3d", (x5, (2, 2)), {}, RuntimeError,
     "avg_pool3d: kernel_size must be a single int, or a tuple of three ints"),
    ("adaptive_avg_pool2d", (x4, -1), {}, RuntimeError,
     r"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
     r"received \{-1, -1\}"),
    ("adaptive_avg_pool2d", (x4, (2, 2, 2)), {}, RuntimeError,
     "adaptive_avg_pool2d: output_size must be 2"),
    ("adaptive_avg_pool2d", (np.zeros((8, 8), np.float32), (2, 2)), {}, ValueError,
     "Input dimension should be at least 3"),
    ("adaptive_avg_pool2d", (np.zeros((1, 2, 0, 4), np.float32), 2), {}, RuntimeError,
     "Expected input to have non-zero size for non-batch dimensions"),
    ("adaptive_avg_pool1d", (x3, (2, 2)), {}, RuntimeError,
     r"adaptive_avg_pool1d\(\) argument 'output_size' should contain one int \(got 2\)"),
    ("adaptive_max_pool2d", (x4, (2, -1)), {}, RuntimeError,
     r"Trying to create tensor with negative dimension -1: \[2, 3, 2, -1\]"),
    ("adaptive_max_pool2d", (np.zeros((8, 8), np.float32), 2), {}, RuntimeError,
     r"adaptive_max_pool2d\(\): Expected 3D or 4D tensor, but got: \[8, 8\]"),
    ("adaptive_max_pool3d", (x5, (3,)), {}, RuntimeError,
     r"adaptive_max_pool3d\(\): internal error: output_size.size\(\) must be 3"),
]


@pytest.mark.parametrize("name,args,kwargs,exc,match", ERROR_CASES)
def test_error_messages(torch, name, args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        getattr(torch.nn.functional, name)(torch.from_numpy(args[0]), *args[1:], **kwargs)
    with pytest.raises(exc, match=match):
        getattr(F, name)(*args, **kwargs)


@pytest.mark.parametrize("name,args", [
    ("max_pool2d", (2,)), ("avg_pool1d", (2,)), ("adaptive_avg_pool3d", (1,)),
    ("adaptive_max_pool1d", (2, True))])
@pytest.mark.parametrize("dtype", [np.int32, np.float16, np.int64, np.bool_])
def test_non_float_dtypes_are_refused_by_name(name, args, dtype):
    x = np.zeros((1, 2, 4, 4, 4)[-(int(name[-2]) + 2):], dtype)
    with pytest.raises(TypeError, match=np.dtype(dtype).name):
        getattr(F, name)(x, *args)


def test_absurd_adaptive_sizes_are_refused_before_allocating():
    with pytest.raises(RuntimeError, match="can't allocate memory"):
        F.adaptive_avg_pool2d(x4, 2 ** 20)
    with pytest.raises(RuntimeError, match="Storage size calculation overflowed"):
        F.adaptive_max_pool2d(x4, 2 ** 40)


# ---------------------------------------------------------------- modules

MODULES = [
    ("MaxPool1d", (3,), {}), ("MaxPool1d", (4, 2, 1, 2), {"ceil_mode": True}),
    ("MaxPool2d", (3, 2, 1), {}), ("MaxPool2d", ((2, 3),), {"return_indices": True}),
    ("MaxPool3d", (2,), {}), ("MaxPool3d", ((1, 2, 2), None, 0, (1, 1, 2)), {"ceil_mode": True}),
    ("AvgPool1d", (3, 2, 1), {"count_include_pad": False}), ("AvgPool1d", ([2],), {}),
    ("AvgPool2d", (3, 2, 1), {"ceil_mode": True}), ("AvgPool2d", (2,), {"divisor_override": 3}),
    ("AvgPool3d", ((2, 2, 1),), {}), ("AvgPool3d", (3, 2, 1), {"count_include_pad": False}),
    ("AdaptiveMaxPool1d", (5,), {}), ("AdaptiveMaxPool2d", ((None, 3), True), {}),
    ("AdaptiveMaxPool3d", (2,), {}), ("AdaptiveAvgPool1d", (4,), {}),
    ("AdaptiveAvgPool2d", (1,), {}), ("AdaptiveAvgPool3d", ((2, None, 3),), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_modules_match_torch(torch, name, args, kwargs, dtype):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    nd = int(name[-2])
    shape = (2, 3, 5, 7, 9)[-(nd + 2):]
    x = np.random.default_rng(nd).standard_normal(shape).astype(dtype)
    _assert_same(ours(x), theirs(torch.from_numpy(x)), exact="Max" in name)
