"""F.conv_transpose1d/2d/3d and nn.ConvTranspose1d/2d/3d against torch (the oracle)."""
import math

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn.kernels import conv_blocked
from fastnn.nn.functional import _conv_transpose_run as phases
from torch_compare import raises_like

TOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}


def random_config(rng, nd):
    """Arguments for one transposed convolution, valid for torch, drawn over every option."""
    while True:
        groups = int(rng.choice([1, 1, 2, 3]))
        kernel = tuple(int(k) for k in rng.integers(1, 5 if nd < 3 else 4, nd))
        stride = tuple(int(s) for s in rng.integers(1, 4, nd))
        dilation = tuple(int(d) for d in rng.integers(1, 4, nd))
        padding = tuple(int(p) for p in rng.integers(0, 4, nd))
        output_padding = tuple(int(rng.integers(0, max(s, d)))
                               for s, d in zip(stride, dilation))
        sizes = tuple(int(s) for s in rng.integers(1, 7 if nd < 3 else 4, nd))
        out = [(n - 1) * s - 2 * p + d * (k - 1) + o + 1 for n, s, p, d, k, o in
               zip(sizes, stride, padding, dilation, kernel, output_padding)]
        if min(out) >= 1:
            break
    batch = rng.choice([None, 1, 2])
    c_in = groups * int(rng.integers(1, 4))
    shape = (c_in, *sizes) if batch is None else (int(batch), c_in, *sizes)
    kwargs = dict(stride=stride, padding=padding, output_padding=output_padding,
                  groups=groups, dilation=dilation)
    if rng.random() < 0.3:          # the int forms
        kwargs.update(stride=stride[0], padding=padding[0], dilation=dilation[0],
                      output_padding=min(output_padding[0], max(stride[0], dilation[0]) - 1))
        out = [(n - 1) * stride[0] - 2 * padding[0] + dilation[0] * (k - 1)
               + kwargs["output_padding"] + 1 for n, k in zip(sizes, kernel)]
        if min(out) < 1:
            kwargs["padding"] = 0
    return shape, (c_in, int(rng.integers(1, 4)), *kernel), bool(rng.random() < 0.7), kwargs


def run_both(torch, nd, x, w, b, variant=None, **kwargs):
    tf = getattr(torch.nn.functional, f"conv_transpose{nd}d")
    want = tf(*(None if a is None else torch.from_numpy(np.array(a)) for a in (x, w, b)),
              **kwargs).numpy()
    fn = getattr(F, f"conv_transpose{nd}d")
    if variant is None:
        got = fn(x, w, b, **kwargs)
    else:
        with fastnn.backends.use(f"conv_transpose{nd}d", variant):
            got = fn(x, w, b, **kwargs)
    assert isinstance(got, fastnn.Tensor)
    return np.asarray(got), want


def check(torch, nd, x, w, b=None, variant=None, **kwargs):
    got, want = run_both(torch, nd, x, w, b, variant, **kwargs)
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = TOL[np.dtype(x.dtype)]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_random_sweep_matches_torch(torch, nd):
    rng = np.random.default_rng(170 + nd)
    for case in range(16):
        shape, wshape, has_bias, kwargs = random_config(rng, nd)
        dtype = np.float64 if case % 4 == 0 else np.float32
        x = rng.standard_normal(shape).astype(dtype)
        w = rng.standard_normal(wshape).astype(dtype)
        b = rng.standard_normal(wshape[1] * kwargs["groups"]).astype(dtype) if has_bias \
            else None
        check(torch, nd, x, w, b, **kwargs)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_naive_variant_matches_torch(torch, nd):
    rng = np.random.default_rng(7 + nd)
    for _ in range(4):
        shape, wshape, _, kwargs = random_config(rng, nd)
        x = rng.standard_normal(shape)
        w = rng.standard_normal(wshape)
        b = rng.standard_normal(wshape[1] * kwargs["groups"])
        check(torch, nd, x, w, b, variant="naive", **kwargs)


@pytest.mark.parametrize("case", [
    dict(k=2, stride=2),                                     # merged: one 1x1 GEMM
    dict(k=(2, 3), stride=(2, 3)),                           # merged, uneven phases
    dict(k=4, stride=2, padding=1),                          # DCGAN / UNet upsampling
    dict(k=4, stride=2, padding=1, output_padding=1),        # stacked, uneven phases
    dict(k=3, stride=2, padding=1, output_padding=1),
    dict(k=3, stride=2, padding=1),                          # odd width: phases of 6 and 5
    dict(k=1, stride=3, output_padding=2),                   # phases no input reaches
    dict(k=3, stride=2, dilation=2, output_padding=1),       # every tap in one phase
    dict(k=3, stride=2, padding=5),                          # padding crops the input
    dict(k=3, padding=1),                                    # stride 1: one phase
    dict(k=3, stride=2, groups=4),                           # depthwise-like phases
    dict(k=2, stride=2, groups=2),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_phase_shapes(torch, case, dtype):
    case = dict(case)
    k = case.pop("k")
    groups = case.get("groups", 1)
    rng = np.random.default_rng(3)
    kernel = k if isinstance(k, tuple) else (k, k)
    x = rng.standard_normal((2, 4, 5, 6)).astype(dtype)
    w = rng.standard_normal((4, 12 // groups if groups < 4 else 2, *kernel)).astype(dtype)
    b = rng.standard_normal(w.shape[1] * groups).astype(dtype)
    check(torch, 2, x, w, b, **case)
    check(torch, 2, x, w, None, **case)


def test_the_merged_plan_is_taken():
    plan = phases.plan((1, 8, 1, 5, 5), (8, 4, 1, 2, 2), (1, 4, 1, 10, 10), (1, 2, 2),
                       (0, 0, 0), (1, 1, 1), 1)
    assert plan.merged and len(plan.live) == 4 and not plan.empty
    plan = phases.plan((1, 8, 1, 5, 5), (8, 4, 1, 1, 1), (1, 4, 1, 9, 9), (1, 2, 2),
                       (0, 0, 0), (1, 1, 1), 1)
    assert len(plan.live) == 1 and len(plan.empty) == 3


@pytest.mark.parametrize("nd, kernel, stride, interleaved", [
    (2, (2, 2), (2, 2), True),              # UNet's upsampling
    (3, (2, 2, 2), (2, 2, 2), True),
    (1, (3,), (3,), True),
    (2, (2, 3), (2, 3), True),
    (2, (2, 2), (3, 3), True),              # phases no input reaches: the bias alone
    (2, (4, 4), (2, 2), False),             # 2x2 taps per phase
    (2, (2, 2), (1, 2), False),             # stride 1 along H: two taps in its phase
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_tap_phases_stack_interleaved(torch, nd, kernel, stride, interleaved, dtype):
    """Where every phase reads one tap, phase i tap i, the stack's weight is the weight
    transposed and its channels run (channel, phase): the plan says so, and the outputs,
    with and without a bias and with non-finite weights, are torch's."""
    rng = np.random.default_rng(sum(kernel) + sum(stride) + nd)
    sizes = (4, 5, 3)[:nd]
    x = rng.standard_normal((2, 6) + sizes).astype(dtype)
    w = rng.standard_normal((6, 5) + kernel).astype(dtype)
    b = rng.standard_normal(5).astype(dtype)
    out = tuple((n - 1) * s + k for n, s, k in zip(sizes, stride, kernel))
    pad = (1,) * (3 - nd)
    plan = phases.plan((2, 6) + pad + sizes, (6, 5) + pad + kernel, (2, 5) + pad + out,
                       pad + stride, (0, 0, 0), (1, 1, 1), 1)
    assert plan.interleaved is interleaved
    check(torch, nd, x, w, b, stride=stride)
    check(torch, nd, x, w, None, stride=stride)
    w[2, 3].flat[-1], w[4, 0].flat[0] = np.inf, np.nan
    check(torch, nd, x, w, b, stride=stride)


def _numpy_phase_weight(w, phase, groups):
    """The phase's convolution weight made by numpy: each group's channels swapped, the
    phase's taps picked by index."""
    c_in, c_out_g = w.shape[:2]
    split = w.reshape((groups, c_in // groups, c_out_g) + w.shape[2:])
    wt = split.swapaxes(1, 2).reshape((groups * c_out_g, c_in // groups) + w.shape[2:])
    for axis, a in enumerate(phase):
        wt = wt.take(list(a.taps), axis=2 + axis)
    return wt


@pytest.mark.parametrize("w_shape, stride, dilation, groups", [
    ((40, 24, 3, 3, 3), (1, 1, 1), (1, 1, 1), 1),
    ((17, 33, 1, 3, 5), (1, 1, 1), (1, 2, 1), 1),
    ((20, 18, 1, 1, 4), (1, 1, 1), (1, 1, 1), 1),
    ((20, 18, 1, 3, 3), (1, 1, 1), (1, 1, 1), 2),              # grouped
    ((21, 6, 1, 3, 3), (1, 2, 2), (1, 1, 1), 3),               # grouped, phases of some taps
    ((20, 18, 1, 3, 3), (1, 2, 2), (1, 1, 1), 1),              # phases of some taps
    ((8, 5, 2, 5, 4), (2, 3, 2), (1, 2, 1), 1),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_phase_weights_equal_numpy_and_are_checked(w_shape, stride, dilation, groups, dtype):
    """kernels/phase_weight.py makes each phase's weight as numpy's transposed, indexed
    copy; it returns NaN exactly when a weight of those taps is NaN or inf, 0 when the
    non-finite weight lies in a tap the phase does not read."""
    rng = np.random.default_rng(sum(w_shape))
    w = rng.standard_normal(w_shape).astype(dtype)
    g_shape = (2, w_shape[0], 3, 4, 5)
    out = tuple((i - 1) * s + d * (k - 1) + 1
                for i, s, d, k in zip(g_shape[2:], stride, dilation, w_shape[2:]))
    plan = phases.plan(g_shape, w_shape, (2, w_shape[1] * groups) + out, stride, (0, 0, 0),
                       dilation, groups)
    for phase in plan.live:
        made = np.empty(phases._phase_shape(w, phase, groups), dtype)
        assert phases._phase_weight(w, made, phase, groups) == 0.0
        np.testing.assert_array_equal(made, _numpy_phase_weight(w, phase, groups))
        for value in (np.inf, -np.inf, np.nan):
            tap = tuple(int(rng.choice(a.taps)) for a in phase)
            bad = w.copy()
            bad[(int(rng.integers(w_shape[0])), int(rng.integers(w_shape[1]))) + tap] = value
            assert np.isnan(phases._phase_weight(bad, made, phase, groups))
        unread = [t for t in np.ndindex(*w_shape[2:])
                  if any(i not in a.taps for i, a in zip(t, phase))]
        if unread:
            bad = w.copy()
            bad[(0, 0) + unread[0]] = np.inf
            assert phases._phase_weight(bad, made, phase, groups) == 0.0


@pytest.mark.parametrize("stride, output_padding", [(1, 0), (2, 1), (3, 2)])
def test_one_by_one_kernels_with_special_weights_match_torch(torch, stride, output_padding):
    """A 1x1 kernel's phase weight is its transpose (made in blocks, unchecked where the
    phase reads no padding: a weight's inf then meets only real inputs, as in torch):
    ungrouped, strided with output padding (outputs no input reaches get the bias), with
    inf and NaN weights and a NaN input, against torch."""
    rng = np.random.default_rng(40 + stride)
    x = rng.standard_normal((2, 24, 5, 6)).astype(np.float32)
    w = rng.standard_normal((24, 20, 1, 1)).astype(np.float32)
    b = rng.standard_normal(20).astype(np.float32)
    kwargs = dict(stride=stride, output_padding=output_padding)
    check(torch, 2, x, w, b, **kwargs)
    w[3, 5, 0, 0], w[7, 2, 0, 0] = np.inf, np.nan
    x[1, 4, 2, 3] = np.nan
    check(torch, 2, x, w, b, **kwargs)
    made = np.empty((20, 24, 1, 1, 1), np.float32)
    phase = phases.plan((2, 24, 1, 5, 6), (24, 20, 1, 1, 1), (2, 20, 1, 5, 6), (1, 1, 1),
                        (0, 0, 0), (1, 1, 1), 1).live[0]
    assert phases._phase_weight(w.reshape(24, 20, 1, 1, 1), made, phase, 1) == 0.0
    np.testing.assert_array_equal(made.reshape(20, 24), w.reshape(24, 20).T)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("w_shape", [(48, 32, 1, 3, 3), (17, 40, 2, 3, 4), (16, 16, 1, 1, 5)])
def test_flipped_pack_equals_packing_the_flipped_weight(w_shape, dtype):
    """kernels/conv_blocked.py `pack_weight_flipped` gives `pack_weight` of the weight with
    its channels swapped and its taps reversed (edge blocks included); it returns NaN
    exactly when a weight is NaN or inf."""
    rng = np.random.default_rng(sum(w_shape))
    w = rng.standard_normal(w_shape).astype(dtype)
    flipped = np.ascontiguousarray(w.swapaxes(0, 1)[:, :, ::-1, ::-1, ::-1])
    want = np.empty(conv_blocked.packed_weight_shape(flipped.shape), dtype)
    conv_blocked.pack_weight(flipped, want)
    got = np.full_like(want, np.nan)
    assert conv_blocked.pack_weight_flipped(w, got) == 0.0
    np.testing.assert_array_equal(got, want)
    for value in (np.inf, -np.inf, np.nan):
        bad = w.copy()
        bad[tuple(int(rng.integers(n)) for n in w_shape)] = value
        assert np.isnan(conv_blocked.pack_weight_flipped(bad, got))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, kernel, padding, dilation", [
    ((2, 32, 6, 7), (3, 3), (1, 1), (1, 1)),
    ((1, 48, 5, 9), (3, 2), (0, 1), (2, 1)),
    ((2, 40, 3, 4, 5), (2, 3, 3), (1, 1, 0), (1, 1, 1)),
])
def test_stride_one_packs_its_weight_flipped(torch, x_shape, kernel, padding, dilation, dtype,
                                             monkeypatch):
    """A stride-1 ungrouped transposed convolution that runs on 'blocked' packs its weight
    straight from the one given (`_run_packed`) and gives torch's output; with an inf
    weight it runs exact, as torch's NaN and inf."""
    nd = len(kernel)
    rng = np.random.default_rng(sum(x_shape))
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((x_shape[1], 36) + kernel).astype(dtype)
    b = rng.standard_normal(36).astype(dtype)
    launched = []
    launch = phases.launch
    monkeypatch.setattr(phases, "launch", lambda kernel, *args, **kw: (
        launched.append(kernel.__name__), launch(kernel, *args, **kw))[1])
    check(torch, nd, x, w, b, padding=padding, dilation=dilation)
    assert launched == ["pack_weight_flipped"]
    w[(3, 5) + (0,) * nd] = np.inf
    x[(0, 1) + (2,) * nd] = np.nan
    check(torch, nd, x, w, b, padding=padding, dilation=dilation)


def test_the_gathered_plan_is_taken():
    """Unequal phases (k3 s2: 2x2, 2x1, 1x2, 1x1 taps) on planes and volumes whose
    products (36 per input position here) fit GATHER_MAX_PRODUCTS, or of one sample of
    GATHER_MIN_CHANNELS input channels, run gathered; more products, 1-D rows and groups
    stay phases."""
    def gathered(x_shape, groups=1, **kwargs):
        w_shape = (x_shape[1], 4 // groups, 1) + (3,) * 2 if x_shape[3] > 1 else (
            x_shape[1], 4 // groups, 1, 1, 3)
        out = x_shape[:1] + (4,) + tuple(1 if s == 1 else 2 * s for s in x_shape[2:])
        stride = tuple(1 if s == 1 else 2 for s in x_shape[2:])
        plan = phases.plan(x_shape, w_shape, out, stride, tuple(s - 1 for s in stride),
                           (1, 1, 1), groups, **kwargs)
        return bool(plan.gathered)
    assert gathered((1, 8, 1, 6, 6))
    assert gathered((1, 8, 1, 90, 90))
    assert gathered((2, 8, 1, 6, 6))
    assert phases.GATHER_MAX_PRODUCTS == 1 << 20
    assert gathered((2, 8, 1, 120, 120))            # 1,036,800 products
    assert not gathered((2, 8, 1, 121, 121))        # 1,054,152
    assert not gathered((1, 8, 1, 171, 171))        # 1,052,676
    assert phases.GATHER_MIN_CHANNELS == 64
    assert gathered((1, 64, 1, 171, 171))
    assert not gathered((1, 63, 1, 171, 171))
    assert not gathered((2, 64, 1, 121, 121))
    assert not gathered((1, 8, 1, 1, 12))
    assert not gathered((1, 8, 1, 6, 6), groups=2)
    assert gathered((1, 8, 6, 6, 6))
    assert gathered((2, 8, 6, 6, 6))
    assert gathered((2, 8, 1, 6, 6), gather=True)
    assert not gathered((1, 8, 1, 6, 6), gather=False)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_gathered_plan_matches_torch(torch, nd):
    """The gathered form, forced on every configuration, against torch: rows narrower and
    wider than a register, taps that reach no input, strides 1-3, dilation, batches."""
    rng = np.random.default_rng(90 + nd)
    for case in range(12):
        shape, wshape, has_bias, kwargs = random_config(rng, nd)
        kwargs["groups"] = 1
        shape = (int(rng.integers(1, 3)), wshape[0]) + tuple(
            int(rng.integers(1, 40 if nd < 3 else 9)) for _ in range(nd))
        dtype = np.float64 if case % 3 == 0 else np.float32
        x = rng.standard_normal(shape).astype(dtype)
        w = rng.standard_normal(wshape).astype(dtype)
        b = rng.standard_normal(wshape[1]).astype(dtype) if has_bias else None
        tf = getattr(torch.nn.functional, f"conv_transpose{nd}d")
        try:
            want = tf(torch.from_numpy(x), torch.from_numpy(w),
                      None if b is None else torch.from_numpy(b), **kwargs).numpy()
        except RuntimeError:        # output too small for this padding
            continue
        as3 = (lambda v, one: (one,) * (3 - nd) + (v if isinstance(v, tuple) else (v,) * nd))
        x5 = x.reshape(shape[:2] + (1,) * (3 - nd) + shape[2:])
        w5 = w.reshape(wshape[:2] + (1,) * (3 - nd) + wshape[2:])
        got = np.empty(want.shape, dtype)
        out5 = got.reshape(want.shape[:2] + (1,) * (3 - nd) + want.shape[2:])
        plan = phases.plan(x5.shape, w5.shape, out5.shape, as3(kwargs["stride"], 1),
                           as3(kwargs["padding"], 0), as3(kwargs["dilation"], 1), 1,
                           gather=True)
        phases.run(x5, w5, b, out5, plan)
        tol = TOL[np.dtype(dtype)]
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def _nonfinite(rng, x_shape, w_shape):
    """Seeded input and weight with a NaN and a -inf input and an inf weight."""
    x = rng.standard_normal(x_shape)
    x[0, 1, -1, -1] = np.nan
    x[0, 2, 1, 0] = -np.inf
    w = rng.standard_normal(w_shape)
    w[1, 0, 0, 2] = np.inf
    return x, w


def test_gathered_nonfinite_like_torch(torch):
    """The gathered form multiplies only real inputs: an inf weight gives NaN only where
    torch's does, an inf or NaN input spreads where it reaches; rows of 20."""
    rng = np.random.default_rng(11)
    x, w = _nonfinite(rng, (1, 3, 4, 20), (3, 2, 3, 3))
    check(torch, 2, x, w, rng.standard_normal(2), stride=2, padding=1, output_padding=1)
    check(torch, 2, x, w, None, stride=(2, 3), padding=1, dilation=(1, 2))


@pytest.mark.parametrize("packed", [False, True])
def test_gathered_products_both_ways_match_torch(torch, monkeypatch, packed):
    """One sample's taps' products on the 1x1 convolution and on linear's packed operands
    (`_packed_products`), each forced, against torch: channels around the packed tile's
    rows, planes whose positions end inside a panel, dilation, bias, both dtypes."""
    asked = []
    monkeypatch.setattr(phases, "_products_packed",
                        lambda x, rows: asked.append(rows) or packed)
    rng = np.random.default_rng(310 + packed)
    for case in range(10):
        nd = 2 if case % 5 else 3
        k = int(rng.choice([3, 5]))
        kwargs = dict(stride=2, padding=int(rng.integers(0, k)),
                      output_padding=int(rng.integers(0, 2)),
                      dilation=int(rng.choice([1, 3])))
        sizes = ((int(rng.integers(4, 13)), int(rng.integers(8, 21))) if nd == 2 else
                 (int(rng.integers(2, 5)), 4, int(rng.integers(4, 9))))
        c_in, c_out = int(rng.integers(1, 40)), int(rng.integers(1, 20))
        dtype = np.float64 if case % 3 == 0 else np.float32
        x = rng.standard_normal((1, c_in) + sizes).astype(dtype)
        w = rng.standard_normal((c_in, c_out) + (k,) * nd).astype(dtype)
        b = rng.standard_normal(c_out).astype(dtype) if case % 2 else None
        asked.clear()
        check(torch, nd, x, w, b, **kwargs)
        assert asked == [c_out * k ** nd]          # the gathered form ran


def test_packed_products_nonfinite_like_torch(torch, monkeypatch):
    """The packed products multiply only real inputs too: an inf weight gives NaN only
    where torch's does, an inf or NaN input spreads where it reaches (a 16x16 plane)."""
    monkeypatch.setattr(phases, "_products_packed", lambda x, rows: True)
    ran = []
    packed_products = phases._packed_products
    monkeypatch.setattr(phases, "_packed_products",
                        lambda *args: ran.append(1) or packed_products(*args))
    x, w = _nonfinite(np.random.default_rng(12), (1, 5, 16, 16), (5, 3, 3, 3))
    for dtype in (np.float32, np.float64):
        check(torch, 2, x.astype(dtype), w.astype(dtype), None, stride=2, padding=1,
              output_padding=1)
    assert len(ran) == 2


def test_products_packed_for_one_sample_where_linear_packs():
    """The taps' products go to the packed GEMM for one sample whose plane's rows alias
    (a multiple of ALIAS_BYTES), where linear's rule would give it their product."""
    from fastnn.kernels.conv_pointwise import ALIAS_BYTES
    from fastnn.nn.functional._linear import default_variant
    assert ALIAS_BYTES == 1024
    for shape, rows, alias in (((1, 128, 1, 32, 32), 576, True), ((1, 8, 1, 6, 6), 36, False),
                               ((1, 64, 8, 8, 8), 864, True),
                               ((1, 256, 1, 14, 14), 1152, False),
                               ((1, 128, 1, 16, 16), 1600, True)):
        for dtype in (np.float32, np.float64):
            x = np.empty(shape, dtype)
            linear = default_variant(rows, math.prod(shape[2:]), shape[1], np.dtype(dtype))
            assert phases._products_packed(x, rows) == (alias and linear == "packed")
            assert not phases._products_packed(np.empty((2,) + shape[1:], dtype), rows)


@pytest.mark.parametrize("kwargs", [
    dict(stride=2, padding=1),                               # k4: taps of q-1, q / q, q+1
    dict(stride=2, padding=2),                               # a margin of two positions
    dict(stride=3, padding=1, output_padding=2),
    dict(stride=2, padding=1, dilation=3, output_padding=1),
])
@pytest.mark.parametrize("length", [1, 2, 5, 40])
def test_rows_stack_matches_torch(torch, kwargs, length):
    """1-D phases of equal taps run as one unpadded stacked convolution, the outputs of
    its positions that would read padding made apart (`_run_rows_stack`)."""
    rng = np.random.default_rng(length)
    x = rng.standard_normal((2, 6, length)).astype(np.float32)
    w = rng.standard_normal((6, 3, 4)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    size = ((length - 1) * kwargs["stride"] - 2 * kwargs["padding"]
            + kwargs.get("dilation", 1) * 3 + kwargs.get("output_padding", 0) + 1)
    if size < 1:                    # output too small for this padding
        return
    check(torch, 1, x, w, b, **kwargs)
    check(torch, 1, x, w, None, **kwargs)
    x[0, 1, -1] = np.nan
    check(torch, 1, x, w, b, **kwargs)


def test_the_rows_stack_is_taken():
    plan = phases.plan((4, 64, 1, 1, 1024), (64, 32, 1, 1, 4), (4, 32, 1, 1, 2048),
                       (1, 1, 2), (0, 0, 1), (1, 1, 1), 1)
    assert plan.merged and phases._margin(plan.stack) == 2


def test_noncontiguous_and_foreign_inputs(torch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 7, 4, 2)).astype(np.float32).transpose(3, 2, 1, 0)
    w = rng.standard_normal((3, 2, 3, 4)).astype(np.float32).transpose(3, 2, 1, 0)[:, ::2]
    b = rng.standard_normal(4).astype(np.float32)[::2]
    assert not x.flags.c_contiguous and not w.flags.c_contiguous
    check(torch, 2, x, w, b, stride=2, padding=1)
    got = F.conv_transpose2d(torch.from_numpy(np.ascontiguousarray(x)),
                             torch.from_numpy(np.ascontiguousarray(w)), stride=2)
    want = torch.nn.functional.conv_transpose2d(torch.from_numpy(np.ascontiguousarray(x)),
                                                torch.from_numpy(np.ascontiguousarray(w)),
                                                stride=2)
    np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-4, atol=1e-4)


def test_inputs_untouched():
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((1, 4, 3, 3)), rng.standard_normal((4, 2, 2, 2)), \
        rng.standard_normal(2)
    copies = [a.copy() for a in (x, w, b)]
    F.conv_transpose2d(x, w, b, stride=2)
    for a, c in zip((x, w, b), copies):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("nd", [1, 2])
def test_bias_of_another_dtype_is_cast_as_torch_does(torch, nd):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 4) + (5,) * nd).astype(np.float32)
    w = rng.standard_normal((4, 3) + (3,) * nd).astype(np.float32)
    check(torch, nd, x, w, rng.standard_normal(3), stride=2)
    check(torch, nd, x, w, np.arange(3), stride=2)


@pytest.mark.parametrize("variant", [None, "naive"])
def test_nonfinite_like_torch(torch, variant):
    """Only real inputs are multiplied: an inf weight whose products fall outside the
    output leaves no NaN at the border; an inf or NaN input spreads where it reaches."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 2, 4, 4))
    x[0, 0, 0, 0] = 0.0
    x[0, 1, 3, 2] = np.nan
    x[0, 1, 1, 3] = np.inf
    w = rng.standard_normal((2, 3, 3, 3))
    w[0, 1, 0, 0] = np.inf
    # stride 3 = kernel 3: the merged plan (one 1x1 GEMM), which keeps an inf weight
    for kwargs in (dict(stride=2, padding=1), dict(padding=2), dict(stride=3, dilation=2),
                   dict(stride=3)):
        check(torch, 2, x, w, None, variant, **kwargs)
        check(torch, 2, x, np.where(np.isinf(w), 1.0, w), None, variant, **kwargs)


def test_empty_batch_and_unbatched(torch):
    rng = np.random.default_rng(6)
    w = rng.standard_normal((4, 3, 3, 3))
    check(torch, 2, np.zeros((0, 4, 5, 5)), w, stride=2)
    check(torch, 2, np.zeros((0, 4, 5, 5)), w, output_padding=1)   # unchecked when empty
    check(torch, 2, rng.standard_normal((4, 5, 5)), w, rng.standard_normal(3), stride=2)
    check(torch, 3, rng.standard_normal((0, 4, 2, 2, 2)), w[..., None], None, stride=2)


def _error_cases(nd):
    """(name, x shape, w shape, bias shape or dtype, kwargs): each breaks one rule."""
    sp = (5,) * nd
    k = (3,) * nd
    ok = ((1, 4) + sp, (4, 3) + k)
    return [
        ("padding<0", *ok, None, dict(padding=-1)),
        ("output_padding<0", *ok, None, dict(output_padding=-1)),
        ("stride<=0", *ok, None, dict(stride=0)),
        ("dilation<0", *ok, None, dict(dilation=-1)),
        ("dilation=0", *ok, None, dict(dilation=0)),
        ("groups=0", *ok, None, dict(groups=0)),
        ("groups>weight", *ok, None, dict(groups=8)),
        ("groups not dividing", *ok, None, dict(groups=3)),
        ("channels", (1, 3) + sp, ok[1], None, {}),
        ("unbatched channels", (3,) + sp, ok[1], None, {}),
        ("bias size", *ok, (4,), {}),
        ("bias 2-D", *ok, (3, 1), {}),
        ("output_padding >= stride and dilation", *ok, None, dict(stride=2, output_padding=2)),
        ("output_padding >= stride", *ok, None, dict(stride=1, output_padding=1)),
        ("negative output size", *ok, None, dict(padding=5)),
        ("zero output size", ok[0], (4, 3) + (2,) * nd, None, dict(padding=3)),
        ("empty spatial", (1, 4, 0) + sp[1:], ok[1], None, {}),
        ("zero kernel", ok[0], (4, 3, 0) + k[1:], None, {}),
        ("no output channels", ok[0], (4, 0) + k, None, {}),
        ("zero input channels", (1, 0) + sp, (0, 3) + k, None, {}),
        ("input rank", (1, 1, 4) + sp, ok[1], None, {}),
        ("input rank low", sp, ok[1], None, {}),
        ("weight rank", ok[0], (4, 3) + k + (3,), None, {}),
        ("weight 2-D", ok[0], (4, 3), None, {}),
        ("stride length", *ok, None, dict(stride=(1,) * (nd + 1))),
        ("padding length", *ok, None, dict(padding=(1,) * (nd + 1))),
        ("output_padding length", *ok, None, dict(output_padding=(0,) * (nd + 1))),
        ("dilation length", *ok, None, dict(dilation=(1,) * (nd + 1))),
        ("weight dtype", *ok, "float64 weight", {}),
        ("empty batch, negative size", (0, 4) + sp, ok[1], None, dict(padding=9)),
        # two faults: the one torch reports first
        ("zero kernel, dilation 0", ok[0], (4, 3, 0) + k[1:], None, dict(dilation=0)),
        ("zero kernel, output_padding", ok[0], (4, 3, 0) + k[1:], None,
         dict(output_padding=1)),
        ("no output channels, output_padding", ok[0], (4, 0) + k, None,
         dict(output_padding=1)),
        ("no output channels, negative size", ok[0], (4, 0) + k, None, dict(padding=9)),
        ("dilation 0, output_padding", *ok, None, dict(dilation=0, output_padding=1)),
        ("output_padding, negative size", *ok, None, dict(output_padding=1, padding=9)),
        ("empty spatial, zero kernel", (1, 4, 0) + sp[1:], (4, 3, 0) + k[1:], None, {}),
        ("channels, negative padding", (1, 3) + sp, ok[1], None, dict(padding=-1)),
    ]


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_errors_like_torch(torch, nd):
    tf = getattr(torch.nn.functional, f"conv_transpose{nd}d")
    fn = getattr(F, f"conv_transpose{nd}d")
    for name, xs, ws, bias, kwargs in _error_cases(nd):
        x, w = np.ones(xs, np.float32), np.ones(ws, np.float32)
        b = None
        if bias == "float64 weight":
            w = w.astype(np.float64)
        elif bias is not None:
            b = np.ones(bias, np.float32)
        tensors = [None if a is None else torch.from_numpy(a) for a in (x, w, b)]
        try:
            raises_like(lambda: tf(*tensors, **kwargs), lambda: fn(x, w, b, **kwargs))
        except BaseException as error:
            raise AssertionError(f"conv_transpose{nd}d {name}: {error}") from error


def test_bias_dtype_errors_in_3d(torch):
    x, w = np.ones((1, 4, 2, 2, 2), np.float32), np.ones((4, 3, 2, 2, 2), np.float32)
    for b in (np.ones(3), np.ones(3, np.int64)):
        raises_like(lambda: torch.nn.functional.conv_transpose3d(
            torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)),
            lambda: F.conv_transpose3d(x, w, b))


def test_type_errors():
    x, w = np.ones((1, 4, 5, 5), np.float32), np.ones((4, 3, 3, 3), np.float32)
    with pytest.raises(TypeError):
        F.conv_transpose2d(x.astype(np.int32), w.astype(np.int32))
    with pytest.raises(TypeError):
        F.conv_transpose2d(x, w, groups=1.0)
    with pytest.raises(TypeError):
        F.conv_transpose2d(x, w, stride=1.5)
    with pytest.raises(TypeError):
        F.conv_transpose2d(x, w, output_padding="1")


# ------------------------------------------------------------------ modules

MODULE_ARGS = [
    (1, (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2)),
    (2, (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2, bias=False,
                        dilation=2)),
    (2, (3, 5, (2, 3)), dict(stride=(2, 1))),
    (3, (2, 4, 3), dict(stride=2, padding=(1, 0, 1), output_padding=(1, 0, 0))),
]


@pytest.mark.parametrize("nd, args, kwargs", MODULE_ARGS)
def test_module_like_torch(torch, nd, args, kwargs):
    cls = f"ConvTranspose{nd}d"
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls)(*args, **kwargs)
    fastnn.manual_seed(0)
    ours = getattr(nn, cls)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape)
        np.testing.assert_array_equal(np.asarray(ours.state_dict()[key]), value.numpy())
    assert ours.transposed and ours.output_padding == theirs.output_padding
    x = np.random.default_rng(0).standard_normal((2, args[0]) + (4,) * nd).astype(np.float32)
    with torch.no_grad():
        want = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.asarray(ours(x)), want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(ours(x[0])), want[0], rtol=1e-4, atol=1e-4)


def test_module_loads_torch_state_dict(torch):
    theirs = torch.nn.ConvTranspose2d(3, 4, 3, stride=2, dtype=torch.float64)
    ours = nn.ConvTranspose2d(3, 4, 3, stride=2, dtype=np.float64)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((1, 3, 5, 5))
    with torch.no_grad():
        want = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np.asarray(ours(x)), want, rtol=1e-10, atol=1e-10)


def test_output_size_like_torch(torch):
    torch.manual_seed(1)
    theirs = torch.nn.ConvTranspose2d(4, 3, 3, stride=(2, 3), padding=1, dilation=(1, 2))
    ours = nn.ConvTranspose2d(4, 3, 3, stride=(2, 3), padding=1, dilation=(1, 2))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((2, 4, 5, 5)).astype(np.float32)
    tx = torch.from_numpy(x)
    for size in ([9, 15], [10, 17], (2, 3, 10, 16), torch.Size([2, 3, 9, 17])):
        with torch.no_grad():
            want = theirs(tx, output_size=size).numpy()
        got = ours(x, output_size=list(size))
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        want = theirs(tx[0], output_size=[3, 10, 16]).numpy()
    np.testing.assert_allclose(np.asarray(ours(x[0], output_size=[3, 10, 16])), want,
                               rtol=1e-4, atol=1e-4)
    for size in ([8, 15], [9, 18], [9], [1, 2, 3, 9, 15]):
        raises_like(lambda: theirs(tx, output_size=size), lambda: ours(x, output_size=size))
    raises_like(lambda: theirs(tx[0], output_size=[1, 3, 9, 15]),
                lambda: ours(x[0], output_size=[1, 3, 9, 15]))


@pytest.mark.parametrize("args, kwargs", [
    ((4, 3, 3), dict(padding_mode="reflect")),
    ((4, 3, 3), dict(padding_mode="foo")),
    ((4, 3, 3), dict(groups=0)),
    ((4, 3, 3), dict(groups=3)),
    ((3, 4, 3), dict(groups=3)),
])
def test_module_construction_errors(torch, args, kwargs):
    raises_like(lambda: torch.nn.ConvTranspose2d(*args, **kwargs),
                lambda: nn.ConvTranspose2d(*args, **kwargs))


@pytest.mark.parametrize("kwargs", [dict(stride=2), dict(stride=2, padding=1)])
def test_frozen_weight_keeps_its_phase_weights(torch, kwargs):
    """optimize_for_inference's frozen weights: the phases' weights are made once."""
    from fastnn.nn import _frozen
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 4, 5, 5)).astype(np.float32)
    w = rng.standard_normal((4, 3, 2 + kwargs.get("padding", 0) * 2, 3)).astype(np.float32)
    frozen = _frozen.freeze(w)
    for _ in range(2):
        check(torch, 2, x, frozen, None, **kwargs)
    forms = _frozen.frozen_forms(_frozen.kernel_weight(frozen))
    assert [key for key in forms if key[0] == "conv_transpose"]
