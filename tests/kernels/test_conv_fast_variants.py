"""The register-tiled conv variants ('blocked', 'grouped_h3', 'pointwise'): band splits,
per-task scratch edges, NaN/inf placement and the default rule. Their random sweeps
against torch and numpy run over the op catalogue (test_variants.py)."""
import types

import numpy as np
import pytest

import fastnn.nn.functional as F
from fastnn import backends
from fastnn.kernels import conv as conv_kernels
from kernel_args import kernel_argument

TOL = {np.float32: 2e-4, np.float64: 1e-10}


# 'blocked' splits each output plane into bands of rows, one task and one packed scratch
# each: (x shape, w shape, arguments) x bands per plane (1, 3 = not dividing the 7 or 5
# output rows, None = one row per band).
BAND_CASES = [
    ((2, 20, 7, 9), (33, 20, 3, 3), dict(padding=1)),                          # 7 rows
    ((1, 17, 15, 13), (16, 17, 3, 2), dict(stride=(2, 3), dilation=(2, 2), padding=(2, 1))),
    ((1, 16, 3, 4), (20, 16, 2, 3), dict(padding=(4, 5))),     # padding beyond the reach
    ((1, 17, 3, 3), (18, 17, 2, 2)),                           # 4 positions: under one tile
    ((1, 16, 13, 11), (32, 16, 3, 3), dict(padding=4, dilation=4)),   # tap rows skipped
    ((1, 17, 5, 6, 7), (20, 17, 2, 3, 2), dict(stride=(2, 1, 2), dilation=(2, 1, 1),
                                               padding=(1, 2, 0))),
    ((2, 16, 4, 9, 5), (16, 16, 3, 1, 3), dict(padding=(3, 0, 2), dilation=(1, 1, 2))),
    # rows packed 16 columns at a time, then the rest; a last input block of one channel
    ((1, 33, 6, 37), (32, 33, 3, 3), dict(padding=1)),
]


@pytest.mark.parametrize("staged", [False, True])
@pytest.mark.parametrize("parts", [1, 2, 3])
@pytest.mark.parametrize("bands", [1, 3, None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape, args", [c + ({},) * (len(c) == 2)
                                                    for c in BAND_CASES])
def test_blocked_bands(torch, monkeypatch, staged, parts, bands, dtype, x_shape, w_shape,
                       args):
    # and each band's output blocks split into `parts` runs (3: more runs than groups),
    # the tiles storing into the output or through the stage
    from fastnn.kernels import conv_blocked
    monkeypatch.setattr(conv_blocked, "stage_pays", lambda *shapes: staged)
    rng = np.random.default_rng(len(x_shape) * 100 + x_shape[2])
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    op = f"conv{x.ndim - 2}d"
    expected = getattr(torch.nn.functional, op)(torch.from_numpy(x), torch.from_numpy(w),
                                                torch.from_numpy(b), **args).numpy()
    rows = expected.shape[-2] if x.ndim > 3 else 1
    monkeypatch.setattr(conv_blocked, "band_count",
                        lambda *shapes: min(rows, bands or rows))
    monkeypatch.setattr(conv_blocked, "channel_parts", lambda *shapes: parts)
    with backends.use(op, "blocked"):
        result = getattr(F, op)(x, w, b, **args)
    tol = TOL[dtype]
    np.testing.assert_allclose(result, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("staged", [False, True])
@pytest.mark.parametrize("planes", [2, 5])
@pytest.mark.parametrize("bands", [1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape, args", [
    c + ({},) * (len(c) == 2) for c in BAND_CASES if c[0][0] > 1 or len(c[0]) == 5])
def test_blocked_runs_passes_of_several_bands(torch, monkeypatch, frozen, staged, planes,
                                              bands, dtype, x_shape, w_shape, args):
    """Each chunk packing `planes` bands (samples, depth planes, bands of rows) into slots
    of its scratch and running every group over them (passes cut short at the chunk's
    end: 5 bands per pass where chunks have fewer), each group's weights packed by the
    pass's first band (or, frozen, packed whole once), gives torch's numbers."""
    from fastnn.kernels import conv_blocked
    from fastnn.nn._frozen import freeze
    monkeypatch.setattr(conv_blocked, "stage_pays", lambda *shapes: staged)
    monkeypatch.setattr(conv_blocked, "channel_parts", lambda *shapes: 1)
    monkeypatch.setattr(conv_blocked, "planes_per_pass", lambda *shapes: planes)
    rng = np.random.default_rng(len(x_shape) * 10 + planes)
    x, w = (rng.standard_normal(s).astype(dtype) for s in (x_shape, w_shape))
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    op = f"conv{x.ndim - 2}d"
    expected = getattr(torch.nn.functional, op)(torch.from_numpy(x), torch.from_numpy(w),
                                                torch.from_numpy(b), **args).numpy()
    monkeypatch.setattr(conv_blocked, "band_count",
                        lambda *shapes: min(expected.shape[-2], bands))
    with backends.use(op, "blocked"):
        result = getattr(F, op)(x, freeze(w.copy()) if frozen else w, b, **args)
    np.testing.assert_allclose(result, expected, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_blocked_planes_per_pass(threads):
    """Passes of several bands only where the packed weights outgrow L2_BYTES and the
    channels are not split; at most a chunk's bands, and as many as fit in L2_BYTES beside
    one group's weights."""
    from fastnn.kernels import _shapes
    from fastnn.kernels._target import target
    from fastnn.kernels.conv_blocked import L2_BYTES, planes_per_pass, scratch_size
    one = (1, 1, 1)
    blocks = _shapes.blocked_shape(target().vector_bits, 4)[0]
    for n, c, size in [(8, 512, 4), (8, 256, 7), (8, 128, 14), (2, 512, 7), (64, 512, 4),
                       (8, 1024, 14), (1, 512, 7)]:
        x_shape = out_shape = (n, c, 1, size, size)
        w_shape = (c, c, 1, 3, 3)
        planes = planes_per_pass(x_shape, w_shape, out_shape, one, one, 1, 1, 4, threads)
        assert planes_per_pass(x_shape, w_shape, out_shape, one, one, 1, 2, 4, threads) == 1
        assert 1 <= planes <= -(-n // threads)
        if c * c * 9 * 4 <= L2_BYTES:
            assert planes == 1
        if planes > 1:
            group = blocks * (c // 16) * 9 * 256 * 4
            assert group + planes * scratch_size(w_shape, out_shape, one, one, 1) * 4 <= L2_BYTES
    assert planes_per_pass((8, 512, 1, 4, 4), (512, 512, 1, 3, 3), (8, 512, 1, 4, 4), one, one,
                           1, 1, 4, 2) == 4


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, w_shape, args", [
    c + ({},) * (len(c) == 2) for c in BAND_CASES if len(c[0]) == 4 and c[0][0] == 1])
def test_blocked_packs_a_given_weight_group_by_group_at_batch_1(
        torch, monkeypatch, dtype, x_shape, w_shape, args):
    """One plane, one band, the output channels split over the threads: the weight is
    packed group by group inside the kernel, with the same numbers, bit for bit, as when
    it is packed whole first (any other thread count) and torch's within tolerance."""
    from fastnn.kernels import conv_blocked
    from fastnn.nn.functional import _conv
    rng = np.random.default_rng(x_shape[1] + w_shape[0])
    x, w = (rng.standard_normal(s).astype(dtype) for s in (x_shape, w_shape))
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    grouped = []
    launch = _conv.launch

    def spy(kernel, *kernel_args, **kwargs):
        if kernel.__name__ == "conv3d_blocked":
            grouped.append(kernel_argument(kernel, kernel_args, "group_weights").shape[1] > 0)
        return launch(kernel, *kernel_args, **kwargs)
    monkeypatch.setattr(_conv, "launch", spy)
    monkeypatch.setattr(conv_blocked, "band_count", lambda *shapes: 1)
    monkeypatch.setattr(conv_blocked, "channel_parts", lambda *shapes: 2)
    results = []
    for threads in (2, 3):
        monkeypatch.setattr(_conv, "get_num_threads", lambda: threads)
        with backends.use("conv2d", "blocked"):
            results.append(F.conv2d(x, w, b, **args))
    assert grouped == [True, False]
    assert results[0].tobytes() == results[1].tobytes()
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                          torch.from_numpy(b), **args).numpy()
    np.testing.assert_allclose(results[0], expected, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("threads", [1, 2, 3, 4])
def test_blocked_band_count(threads):
    from fastnn.kernels.conv_blocked import L2_BYTES, band_count
    for x_shape, w_shape, out_shape in [
            ((1, 64, 1, 56, 56), (64, 64, 1, 3, 3), (1, 64, 1, 56, 56)),
            ((1, 256, 1, 33, 33), (256, 256, 1, 3, 3), (1, 256, 1, 31, 31)),
            ((3, 64, 16, 28, 28), (64, 64, 3, 3, 3), (3, 64, 14, 26, 26)),
            ((1, 16, 1, 1, 9), (16, 16, 1, 1, 3), (1, 16, 1, 1, 7)),
            ((1, 1024, 1, 28, 28), (512, 1024, 1, 3, 3), (1, 512, 1, 28, 28))]:
        bands = band_count(x_shape, w_shape, out_shape, (1, 1, 1), (1, 1, 1), 4, threads)
        tasks = out_shape[0] * out_shape[2] * bands
        assert 1 <= bands <= out_shape[3]
        if bands < out_shape[3]:    # else: single rows, as many tasks as there can be
            assert tasks % threads == 0 or tasks >= 8 * threads
            rows = -(-out_shape[3] // bands) + w_shape[3] - 1
            scratch = x_shape[1] * w_shape[2] * rows * (out_shape[4] + w_shape[4] - 1) * 4
            weights = 2 * 16 * x_shape[1] * np.prod(w_shape[2:]) * 4
            # weights over half of L2 stream from L3 whatever the bands: not counted
            assert scratch + weights * (weights <= L2_BYTES // 2) <= L2_BYTES
    assert band_count((1, 1024, 1, 28, 28), (512, 1024, 1, 3, 3), (1, 512, 1, 28, 28),
                      (1, 1, 1), (1, 1, 1), 4, 1) < 28


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape, kernel, args", [
    ((1, 960, 7, 7), 3, dict(padding=1)),
    ((2, 37, 14, 13), 3, dict(stride=2, padding=1)),           # a last block of 5 channels
    ((1, 20, 9, 11), 5, dict(stride=(2, 3), padding=2)),
    ((1, 17, 8, 8), 3, dict(padding=3, dilation=2)),           # padding past the reach
    ((1, 16, 5, 6), (2, 3), dict(stride=(2, 1), padding=(0, 3))),
    ((3, 33, 2), 3, dict(stride=2, padding=1)),                 # 1-D
])
def test_depthwise_blocked_matches_torch(torch, dtype, x_shape, kernel, args):
    """Channels in the lanes, 16 per task: every stride, padding, dilation and kernel
    shape, a last block of fewer channels, 1-D; with and without bias."""
    rng = np.random.default_rng(x_shape[1])
    c = x_shape[1]
    kernel = kernel if isinstance(kernel, tuple) else (kernel,) * (len(x_shape) - 2)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((c, 1) + kernel).astype(dtype)
    b = rng.standard_normal(c).astype(dtype)
    op = f"conv{x.ndim - 2}d"
    for bias in (b, None):
        with backends.use(op, "depthwise_blocked"):
            got = getattr(F, op)(x, w, bias, groups=c, **args)
        t = [None if a is None else torch.from_numpy(a) for a in (x, w, bias)]
        expected = getattr(torch.nn.functional, op)(*t, groups=c, **args).numpy()
        np.testing.assert_allclose(got, expected, rtol=TOL[dtype], atol=TOL[dtype])


def test_depthwise_blocked_rule():
    """'depthwise_blocked' for depthwise layers onto 7x7 planes, strided ones onto planes
    of at most 14x14 and 5x5 or larger kernels at stride 1, one output channel per group;
    'depthwise' for 3x3 kernels at stride 1 onto larger planes, strided ones onto larger
    ones, with a channel multiplier and in 3-D."""
    def picked(x_shape, w_shape, stride, groups=None):
        x = np.zeros(x_shape, np.float32)
        w = np.ones(w_shape, np.float32)
        op = f"conv{x.ndim - 2}d"
        return backends.current(op, x, w, stride=stride, padding=1,
                                groups=groups or x_shape[1])
    assert picked((1, 576, 14, 14), (576, 1, 3, 3), 2) == "depthwise_blocked"
    assert picked((1, 192, 28, 28), (192, 1, 3, 3), 2) == "depthwise_blocked"
    assert picked((1, 144, 56, 56), (144, 1, 3, 3), 2) == "depthwise"     # 28x28 out
    assert picked((1, 960, 7, 7), (960, 1, 3, 3), 1) == "depthwise_blocked"
    assert picked((1, 768, 7, 7), (768, 1, 7, 7), 1) == "depthwise_blocked"
    assert picked((1, 480, 14, 14), (480, 1, 3, 3), 1) == "depthwise"
    assert picked((1, 240, 28, 28), (240, 1, 5, 5), 1) == "depthwise_blocked"   # slides
    assert picked((1, 72, 56, 56), (72, 1, 5, 5), 2) == "depthwise"
    assert picked((1, 64, 14, 14), (128, 1, 3, 3), 2) == "depthwise"      # multiplier 2
    assert picked((1, 32, 8, 8, 8), (32, 1, 3, 3, 3), 2) == "depthwise"   # 3-D
    assert "depthwise_blocked" not in backends.variants("conv3d")


def test_blocked_stage_rule():
    """The tiles store through the stage where an output plane is a multiple of 2 KiB."""
    from fastnn.kernels.conv_blocked import stage_pays
    assert stage_pays((1, 64, 1, 224, 224), 4) and stage_pays((1, 64, 1, 32, 32), 4)
    assert stage_pays((1, 64, 1, 16, 32), 4) and stage_pays((2, 8, 4, 8, 8), 8)
    assert not stage_pays((1, 64, 1, 223, 223), 4) and not stage_pays((1, 64, 1, 56, 56), 4)
    assert not stage_pays((1, 64, 1, 112, 112), 4)      # 4 sets apart: 8 rows in each


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocked_stores_an_aliased_plane_through_its_stage(torch, monkeypatch, dtype):
    """A 16x32 plane (2 KiB of float32) and the stage's layout as the kernel gets it: a row
    per thread, each channel's run an odd number of 64-byte lines; torch's numbers."""
    from fastnn.kernels import conv_blocked
    from fastnn.nn.functional import _conv
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 40, 16, 32)).astype(dtype)
    w = rng.standard_normal((50, 40, 3, 3)).astype(dtype)
    b = rng.standard_normal(50).astype(dtype)
    stages = []
    launch = _conv.launch

    def spy(kernel, *kernel_args, **kwargs):
        if kernel.__name__ == "conv3d_blocked":
            stages.append(kernel_argument(kernel, kernel_args, "stage").shape)
        return launch(kernel, *kernel_args, **kwargs)
    monkeypatch.setattr(_conv, "launch", spy)
    with backends.use("conv2d", "blocked"):
        result = F.conv2d(x, w, b, padding=1)
    threads, size = stages[0]
    assert threads == _conv.get_num_threads()
    bands = conv_blocked.band_count(
        (1, 40, 1, 16, 32), (50, 40, 1, 3, 3), (1, 50, 1, 16, 32), (1, 1, 1), (1, 1, 1),
        x.itemsize, threads // conv_blocked.channel_parts(
            (1, 40, 1, 16, 32), (50, 40, 1, 3, 3), (1, 50, 1, 16, 32), x.itemsize, threads))
    assert size == conv_blocked.stage_size((1, 50, 1, 16, 32), bands, x.itemsize)
    from fastnn.kernels import _shapes
    from fastnn.kernels._target import target
    blocks = _shapes.blocked_shape(target().vector_bits, x.itemsize)[0]
    run = size // (blocks * 16)                  # one channel's stride in the stage
    assert size == blocks * 16 * run and run * x.itemsize % 64 == 0
    assert (run * x.itemsize // 64) % 2 == 1 and run >= -(-16 // bands) * 32
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                          torch.from_numpy(b), padding=1).numpy()
    np.testing.assert_allclose(result, expected, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_blocked_channel_parts(threads):
    from fastnn.kernels import _shapes
    from fastnn.kernels._target import target
    from fastnn.kernels.conv_blocked import channel_parts
    blocks = _shapes.blocked_shape(target().vector_bits, 4)[0]

    def parts(n, k, od=1):
        return channel_parts((n, 64, od, 14, 14), (k, 64, 1, 3, 3), (n, k, od, 14, 14), 4,
                             threads)
    many = 16 * blocks * threads     # output channels enough for a group per thread
    assert parts(1, many) == threads        # batch 1: the threads share the channels
    assert parts(threads, many) == 1        # a plane per thread: bands split
    assert parts(1, many, od=threads) == 1
    assert parts(1, 16) == 1                # one group of output blocks
    if threads > 1:
        assert parts(1, many - 16 * blocks) == 1    # fewer groups than threads


@pytest.mark.parametrize("size, pad, dilation, stride, rows, splits", [
    (33, 6, 6, 1, 17, True),      # DeepLab d6: a third of the taps on 12 rows and columns
    (33, 2, 2, 1, 17, True),      # DeepLab d2
    (56, 1, 1, 1, 28, False),     # ResNet 3x3 p1: one-wide borders cost more in rounding
    (28, 1, 1, 2, 14, False),     # 3x3 s2 p1
    (14, 0, 1, 1, 12, False),     # no padding: nothing to skip
])
def test_blocked_splits_bands_where_it_saves_steps(size, pad, dilation, stride, rows,
                                                   splits):
    from fastnn.kernels.conv_blocked import _borders, _split_pays
    out = (size + 2 * pad - dilation * 2 - 1) // stride + 1
    top, bottom = _borders(out, size, stride, pad, dilation, 3)
    left, right = _borders(out, size, stride, pad, dilation, 3)
    assert _split_pays(top, bottom, left, right, 0, rows, out, out, size, size, stride,
                       stride, pad, pad, dilation, dilation, 3, 3, 8) == splits


@pytest.mark.parametrize("variant, groups", [("blocked", 1), ("grouped_h3", 4)])
def test_nan_and_inf_land_where_torch_puts_them(torch, variant, groups):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 8 * groups if groups > 1 else 32, 9, 9)).astype(np.float32)
    w = rng.standard_normal((16 if groups == 1 else 4 * groups, x.shape[1] // groups, 3, 3)
                            ).astype(np.float32)
    x[0, 1, 4, 4] = np.nan
    x[0, 2, 0, 0] = np.inf
    w[1, 0, 1, 1] = -np.inf      # the centre tap: torch's paths differ on padding x inf
    with backends.use("conv2d", variant):
        result = np.asarray(F.conv2d(x, w, padding=1, groups=groups))
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                          padding=1, groups=groups).numpy()
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(result), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(result[finite], expected[finite], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("bits", [512, 256])
def test_grouped_rule_follows_the_tiles(monkeypatch, bits):
    """'grouped_h3' takes 2-64 input channels per group where its tile holds as many
    accumulators as 'direct''s (AVX-512); where it holds fewer (AVX2), only stride-1
    convolutions of up to 8 channels per group and 2 samples."""
    from fastnn.nn.functional import _conv
    monkeypatch.setattr(_conv, "target", lambda: types.SimpleNamespace(vector_bits=bits))
    wide = bits == 512

    def pick(n, groups, cin, size, cout=None, **kw):
        cout = cin if cout is None else cout
        return backends.current("conv2d", np.zeros((n, groups * cin, size, size), np.float32),
                                np.zeros((groups * cout, cin, 3, 3), np.float32), padding=1,
                                groups=groups, **kw)
    for args in ((1, 32, 2, 14, 4), (1, 32, 8, 28), (2, 32, 8, 28), (2, 13, 8, 28, 12)):
        assert pick(*args) == "grouped_h3"
    for args, kw in (((3, 32, 8, 28), {}),                    # three samples
                     ((1, 13, 9, 28, 12), {}),                # nine channels per group
                     ((1, 32, 32, 7), {}),                    # ResNeXt's last stage
                     ((1, 16, 64, 7), {}),
                     ((1, 32, 8, 56), dict(stride=2))):       # ResNeXt's strided layer
        assert pick(*args, **kw) == ("grouped_h3" if wide else "direct"), (args, kw)
    assert pick(1, 8, 128, 7) == "direct"                     # 128 per group: even
    assert pick(1, 32, 8, 56, stride=3) == "direct"           # beyond the tiles' strides


def test_default_rule_picks_them():
    x = np.zeros((1, 64, 14, 14), np.float32)
    dense = np.zeros((64, 64, 3, 3), np.float32)
    # 'blocked' on any plane, however few its positions (the weights are packed per call)
    assert backends.current("conv2d", x, dense, padding=1) == "blocked"
    assert backends.current("conv2d", np.zeros((1, 64, 2, 2), np.float32), dense,
                            padding=1) == "blocked"
    assert backends.current("conv2d", np.zeros((1, 16, 5, 5), np.float32),
                            np.zeros((16, 16, 3, 3), np.float32)) == "direct"   # 16 channels
    assert backends.current("conv2d", np.zeros((1, 64, 28, 28), np.float32), dense,
                            padding=1) == "blocked"
    assert backends.current("conv2d", x, np.zeros((128, 2, 3, 3), np.float32), padding=1,
                            groups=32) == "grouped_h3"
    strided = np.zeros((1, 256, 56, 56), np.float32)     # ResNeXt's strided layer
    assert backends.current("conv2d", strided, np.zeros((256, 8, 3, 3), np.float32),
                            stride=3, padding=1, groups=32) == "direct"
    with pytest.raises(ValueError, match="stride 1 or 2 and dilation 1 along H"):
        with backends.use("conv2d", "grouped_h3"):
            F.conv2d(strided, np.zeros((256, 8, 3, 3), np.float32), stride=3, groups=32)
    assert backends.current("conv1d", np.zeros((1, 64, 50), np.float32),
                            np.zeros((64, 64, 3), np.float32)) == "pointwise"
    assert backends.current("conv1d", np.zeros((1, 64, 17), np.float32),
                            np.zeros((64, 64, 3), np.float32)) == "direct"   # 15 positions
    with pytest.raises(ValueError, match="it needs groups=1"):
        with backends.use("conv2d", "blocked"):
            F.conv2d(x, np.zeros((64, 2, 3, 3), np.float32), groups=32)


# 'direct' tasks of several pairs of output rows (`pairs_per_task`), the last one short
# or ending in a lone row: (x shape, w shape, arguments)
SEVERAL_PAIRS = [
    ((8, 3, 17, 12), (5, 3, 3, 3), dict(padding=1)),                      # 9 pairs by 4
    ((4, 4, 19, 15), (6, 2, 3, 3), dict(groups=2, stride=2, dilation=(1, 2), padding=2)),
    ((2, 3, 4, 9, 8), (4, 3, 2, 3, 3), dict(padding=1)),                # 5 pairs by 3
    ((8, 2, 14, 10), (3, 2, 3, 3), dict(dilation=2, padding=2)),        # 7 pairs by 3
]


@pytest.mark.parametrize("x_shape, w_shape, args", SEVERAL_PAIRS)
def test_direct_tasks_take_several_row_pairs(x_shape, w_shape, args):
    """The SEVERAL_PAIRS cases (run against torch in test_per_task_scratch_edges) give
    tasks of several pairs and a last task with fewer; a wide scratch row takes one."""
    out = F.conv2d if len(x_shape) == 4 else F.conv3d
    out_shape = out(np.zeros(x_shape), np.zeros(w_shape), **args).shape
    groups = args.get("groups", 1)
    stride = np.broadcast_to(args.get("stride", 1), 2)[0]
    dilation = np.broadcast_to(args.get("dilation", 1), 2)[0]
    planes = out_shape[0] * groups * (out_shape[2] if len(x_shape) == 5 else 1)
    pairs = (out_shape[-2] + 1) // 2
    chunk = conv_kernels.pairs_per_task(planes, pairs, 1, w_shape[-2], stride, dilation)
    assert 1 < chunk and (pairs % chunk or out_shape[-2] % 2)
    assert conv_kernels.pairs_per_task(planes, pairs, 20000, 3, 1, 1) == 1


@pytest.mark.parametrize("wide", [4, 6, 8])
def test_direct_channel_blocks_cover_a_group_once(wide):
    """Wide blocks first, then narrow ones, every channel once; 6 + 2 and 6 + 1 go as
    two narrow blocks; a rest above the narrow tile is one partial wide block."""
    narrow = conv_kernels.NARROW_BLOCK
    for channels in range(1, 40):
        wide_blocks, blocks = conv_kernels.channel_blocks(channels, wide)
        sizes = [wide] * wide_blocks + [narrow] * (blocks - wide_blocks)
        starts = np.cumsum([0] + sizes[:-1])
        kept = [min(size, channels - start) for size, start in zip(sizes, starts)]
        assert sum(kept) == channels and min(kept) > 0, channels
        assert all(k > narrow for k in kept[:wide_blocks] if wide > narrow), channels
    assert conv_kernels.channel_blocks(8, 6) == (0, 2)
    assert conv_kernels.channel_blocks(13, 6) == (1, 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_direct_every_group_width(torch, dtype):
    """'direct' over output channels per group 1..17 (every split `channel_blocks` makes
    on this target), two groups, against torch."""
    rng = np.random.default_rng(4)
    for per_group in range(1, 18):
        x = rng.standard_normal((1, 6, 7, 11)).astype(dtype)
        w = rng.standard_normal((2 * per_group, 3, 3, 3)).astype(dtype)
        b = rng.standard_normal(2 * per_group).astype(dtype)
        with backends.use("conv2d", "direct"):
            got = np.asarray(F.conv2d(x, w, b, padding=1, groups=2))
        want = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                          torch.from_numpy(b), padding=1, groups=2).numpy()
        np.testing.assert_allclose(got, want, rtol=TOL[dtype], atol=TOL[dtype])


# What per-task scratch makes special: tasks at the first and last rows (odd OH, a lone
# row), padding wider than the kernel's reach, strided + dilated, OH == 1, one output
# position, rows shorter than a register, channel blocks split across tasks, input read
# in place. (variant, x shape, w shape, conv arguments)
SCRATCH_CASES = [
    ("direct", (1, 3, 5, 6), (5, 3, 3, 3), dict(padding=4)),
    ("direct", (2, 4, 11, 13), (6, 4, 3, 2), dict(stride=(2, 3), dilation=(2, 3), padding=(1, 2))),
    ("direct", (1, 3, 3, 20), (9, 3, 3, 3), {}),
    ("direct", (1, 5, 40), (12, 5, 3), dict(stride=2, padding=3)),
    ("direct", (1, 3, 3, 3), (4, 3, 3, 3), {}),
    ("direct", (2, 3, 5), (4, 3, 5), {}),
    ("direct", (1, 2, 9, 9), (17, 2, 3, 3), dict(padding=1)),
    ("direct", (1, 32, 4, 4), (40, 32, 3, 3), dict(padding=1, stride=2)),
    ("direct", (1, 3, 15, 15), (8, 3, 3, 3), dict(dilation=3, padding=2)),
    ("direct", (1, 3, 10, 40), (8, 3, 3, 3), {}),
    ("direct", (1, 4, 5, 6, 7), (8, 2, 3, 2, 3),
     dict(groups=2, padding=(1, 0, 2), stride=(2, 1, 2))),
    ("direct", (1, 4, 30, 45), (8, 4, 7, 7), dict(stride=3, padding=3)),
] + [("direct",) + case for case in SEVERAL_PAIRS] + [
    ("grouped_h3", (1, 8, 6, 7), (16, 2, 3, 3), dict(groups=4, padding=(3, 4))),
    ("grouped_h3", (2, 8, 6, 20), (16, 2, 3, 3), dict(groups=4, stride=(1, 2), dilation=(1, 2),
                                                      padding=1)),
    ("grouped_h3", (1, 6, 19, 9), (12, 2, 3, 3), dict(groups=3, padding=(0, 1))),
    ("grouped_h3", (1, 8, 70, 12), (16, 2, 3, 3), dict(groups=4, padding=1)),   # 3 bands
    ("grouped_h3", (2, 4, 67, 10), (8, 2, 3, 3), dict(groups=2)),   # a last band of 1 row
    ("grouped_h3", (1, 8, 4, 5, 6), (8, 4, 2, 3, 3), dict(groups=2, padding=1, stride=(2, 1, 1))),
    ("grouped_h3", (1, 8, 141, 9), (16, 2, 3, 3), dict(groups=4, stride=2, padding=1)),
    ("grouped_h3", (1, 8, 21, 10), (16, 2, 3, 3), dict(groups=4, stride=(2, 1))),  # in place
    ("grouped_h3", (2, 4, 131, 10), (8, 2, 3, 3), dict(groups=2, stride=(2, 1))),  # 1-row band
    ("grouped_h3", (1, 128, 7, 7), (64, 32, 3, 3), dict(groups=4, padding=1)),   # the rule's
    ("grouped_h3", (2, 128, 9, 11), (128, 64, 3, 3), dict(groups=2, padding=(1, 0))),  # widest
    ("pointwise", (1, 3, 20), (5, 3, 2), dict(padding=6)),
    ("pointwise", (2, 4, 300), (9, 4, 3), dict(stride=3, dilation=5, padding=7)),
    ("pointwise", (1, 6, 333), (20, 6, 4), dict(stride=2, dilation=3, padding=2)),
    ("pointwise", (1, 20, 9, 33), (12, 20, 1, 1), dict(stride=(2, 3))),
    ("pointwise", (1, 6, 5, 9, 9), (10, 6, 1, 1, 1), dict(stride=2)),
    ("pointwise", (2, 8, 40, 17), (9, 8, 1, 1), dict(stride=(2, 1))),
    ("pointwise", (1, 200, 28, 28), (140, 200, 1, 1), dict(stride=2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("variant, xshape, wshape, args", SCRATCH_CASES)
def test_per_task_scratch_edges(torch, variant, xshape, wshape, args, dtype):
    rng = np.random.default_rng(len(xshape) + sum(wshape))
    x = rng.standard_normal(xshape).astype(dtype)
    w = rng.standard_normal(wshape).astype(dtype)
    b = rng.standard_normal(wshape[0]).astype(dtype)
    nd = x.ndim - 2
    with backends.use(f"conv{nd}d", variant):
        result = np.asarray(getattr(F, f"conv{nd}d")(x, w, b, **args))
    expected = getattr(torch.nn.functional, f"conv{nd}d")(
        torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **args).numpy()
    tol = TOL[x.dtype.type]
    np.testing.assert_allclose(result, expected, rtol=tol, atol=tol * 10, err_msg=str(args))
