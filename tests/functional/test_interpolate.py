"""F.interpolate against torch: seeded sweeps over every mode and argument, source indices
exact, non-finite values, every error in torch's type and words."""
import warnings
import zlib

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from torch_compare import assert_like_torch, raises_like

TOL = {np.float32: 1e-4, np.float64: 1e-10}
ND = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3, "lanczos": 2}
WEIGHTED = ("linear", "bilinear", "bicubic", "trilinear")


def _case(rng, mode):
    """(input shape, F.interpolate keywords) drawn for `mode`."""
    nd = ND.get(mode, int(rng.integers(1, 4)))
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4))) + tuple(
        int(v) for v in rng.integers(1, 13, nd))
    kw = {"mode": mode}
    draw = rng.random()
    if draw < 0.35:
        size = tuple(int(v) for v in rng.integers(1, 25, nd))
        kw["size"] = size if rng.random() < 0.8 else size[0]
    else:
        if draw < 0.6:      # integer factors
            factors = tuple(float(rng.integers(1, 4)) for _ in range(nd))
        else:               # non-integer, up and down, a few decimals
            factors = tuple(float(np.round(rng.uniform(0.2, 3.5), int(rng.integers(1, 4))))
                            for _ in range(nd))
        kw["scale_factor"] = factors if rng.random() < 0.7 else factors[0]
        if rng.random() < 0.5:
            kw["recompute_scale_factor"] = bool(rng.random() < 0.5)
    if mode in WEIGHTED and rng.random() < 0.7:
        kw["align_corners"] = bool(rng.random() < 0.5)
    if mode in ("bilinear", "bicubic") and rng.random() < 0.5:
        kw["antialias"] = True
    if mode == "lanczos":
        kw["antialias"] = True          # torch's lanczos is antialiased only
    return shape, kw


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "bilinear", "bicubic",
                                  "trilinear", "lanczos", "area"])
def test_sweep_matches_torch(torch, mode, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{mode} {np.dtype(dtype).name}".encode()))
    for _ in range(60):
        shape, kw = _case(rng, mode)
        x = rng.standard_normal(shape).astype(dtype)
        tol = TOL[dtype]
        assert_like_torch(lambda: F.interpolate(x, **kw),
                          lambda: torch.nn.functional.interpolate(torch.from_numpy(x), **kw),
                          rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest_indices_exact_on_long_rows(torch, mode, dtype):
    """A ramp shows every source index: non-integer factors and sizes on rows up to 400
    (float32 and float64 scales differ, torch's 2-D nearest halves a doubled size)."""
    rng = np.random.default_rng(1)
    for _ in range(150):
        nd = int(rng.integers(1, 4))
        n = int(rng.integers(1, 400))
        shape = (1, 1) + (1,) * (nd - 1) + (n,)
        x = np.arange(n, dtype=dtype).reshape(shape)
        if rng.random() < 0.5:
            kw = {"size": (1,) * (nd - 1) + (int(rng.integers(1, 800)),)}
        else:
            factor = float(np.round(rng.uniform(0.1, 4), int(rng.integers(1, 4))))
            kw = {"scale_factor": (1.0,) * (nd - 1) + (factor,)}
        assert_like_torch(lambda: F.interpolate(x, mode=mode, **kw),
                          lambda: torch.nn.functional.interpolate(torch.from_numpy(x),
                                                                  mode=mode, **kw))


@pytest.mark.parametrize("mode, shape, kw", [
    ("nearest", (1, 1, 1, 225), dict(scale_factor=(1.0, 0.12))),     # float32 scale
    ("nearest", (1, 1, 1, 2), dict(size=(1, 94))),
    ("nearest-exact", (1, 1, 1, 76), dict(size=(1, 122))),
    ("nearest", (1, 1, 40, 58), dict(scale_factor=2.01)),           # generic: no shortcut
    ("nearest", (1, 1, 6, 58), dict(scale_factor=2.01)),            # small: halves
    ("nearest", (2, 3, 60, 30), dict(scale_factor=(1.05, 1.02))),   # generic: no copy
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_2d_nearest_follows_torchs_two_kernels(torch, mode, shape, kw, dtype):
    """torch's 2-D nearest modes run a channels-last kernel (float32 scale, 1x/2x
    shortcuts) for small outputs (height + width <= 128) and channels-last inputs of more
    than 3 channels, its generic kernel (the input's dtype, no shortcuts) otherwise."""
    x = np.arange(shape[-1], dtype=dtype) * np.ones(shape, dtype)
    assert_like_torch(lambda: F.interpolate(x, mode=mode, **kw),
                      lambda: torch.nn.functional.interpolate(torch.from_numpy(x), mode=mode,
                                                              **kw))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "trilinear"])
def test_channels_last_3d_input_as_torch(torch, mode):
    rng = np.random.default_rng(7)
    base = rng.standard_normal((1, 4, 6, 30, 5))
    for x in (base.transpose(0, 4, 1, 2, 3), np.ascontiguousarray(base.transpose(0, 4, 1, 2, 3))):
        assert_like_torch(lambda: F.interpolate(x, mode=mode, scale_factor=2.01),
                          lambda: torch.nn.functional.interpolate(
                              torch.from_numpy(x), mode=mode, scale_factor=2.01),
                          rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic"])
def test_channels_last_input_as_torch(torch, mode):
    """A channels-last input of 4+ channels takes torch's channels-last kernel at any size,
    a C-contiguous one of the same shape the generic kernel: both as torch."""
    rng = np.random.default_rng(5)
    base = rng.standard_normal((2, 70, 66, 5))
    for x in (base.transpose(0, 3, 1, 2), np.ascontiguousarray(base.transpose(0, 3, 1, 2))):
        for kw in (dict(scale_factor=2.01), dict(scale_factor=(1.05, 0.7)), dict(size=(141, 67))):
            assert_like_torch(lambda: F.interpolate(x, mode=mode, **kw),
                              lambda: torch.nn.functional.interpolate(torch.from_numpy(x),
                                                                      mode=mode, **kw),
                              rtol=1e-10, atol=1e-10)


def _sprinkle(rng, x, values):
    flat = x.reshape(-1)
    for k in rng.integers(0, flat.size, 3):
        flat[k] = rng.choice(values)
    return x


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "bilinear", "bicubic",
                                  "trilinear", "lanczos"])
def test_nan_and_inf_land_where_torch_puts_them(torch, mode):
    rng = np.random.default_rng(2)
    for _ in range(40):
        shape, kw = _case(rng, mode)
        # a weight of exactly 0 makes 0 * inf = NaN, a weight of 1e-17 keeps inf: the
        # weights must round as torch's (fused multiply-adds included) to agree here
        x = _sprinkle(rng, rng.standard_normal(shape), [np.nan, np.inf, -np.inf])
        assert_like_torch(lambda: F.interpolate(x, **kw),
                          lambda: torch.nn.functional.interpolate(torch.from_numpy(x), **kw),
                          rtol=1e-10, atol=1e-10)


def test_antialias_to_width_one_repeats_the_first_row_as_torch(torch):
    """torch 2.13's antialiased vertical pass into a width-1 output writes each plane's
    first row everywhere; followed."""
    x = np.arange(2 * 2 * 7 * 3, dtype=np.float64).reshape(2, 2, 7, 3)
    for mode in ("bilinear", "bicubic", "lanczos"):
        got = F.interpolate(x, size=(14, 1), mode=mode, antialias=True)
        want = torch.nn.functional.interpolate(torch.from_numpy(x), size=(14, 1), mode=mode,
                                               antialias=True)
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)
        assert np.all(got == got[:, :, :1])


def test_inputs_stay_untouched_and_layouts_are_read(torch):
    rng = np.random.default_rng(3)
    base = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    x = base.transpose(0, 1, 3, 2)                       # not contiguous
    before = x.copy()
    got = F.interpolate(x, scale_factor=1.5, mode="bicubic", align_corners=True)
    want = torch.nn.functional.interpolate(torch.from_numpy(before), scale_factor=1.5,
                                           mode="bicubic", align_corners=True)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(x, before)
    t = torch.from_numpy(before)
    np.testing.assert_allclose(F.interpolate(t, size=5, mode="bilinear"),
                               torch.nn.functional.interpolate(t, size=5, mode="bilinear"),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape, kw", [
    ((1, 2, 20000), dict(size=30011, mode="linear", align_corners=True)),
    ((1, 1, 3, 20000), dict(size=(2, 7001), mode="bicubic", antialias=True)),
    ((1, 1, 3, 20000), dict(size=(5, 30001), mode="bicubic")),
])
def test_rows_too_long_for_the_blocks(torch, shape, kw):
    x = np.random.default_rng(6).standard_normal(shape)
    x.reshape(-1)[::997] = np.inf
    assert_like_torch(lambda: F.interpolate(x, **kw),
                      lambda: torch.nn.functional.interpolate(torch.from_numpy(x), **kw),
                      rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("planes, in_dhw, out_dhw", [
    (64, (3, 11, 13), (5, 33, 41)),         # 26 chunks of rows, starting mid-plane
    (1, (1, 300, 7), (1, 900, 97)),         # 5 chunks of one plane, rows repeated
])
def test_nearest_gather_over_chunks_matches_numpy(planes, in_dhw, out_dhw):
    """The kernel steps each row's (plane, d, h) from the row before, within its chunk
    of rows: against numpy's fancy indexing, with index tables that repeat and skip."""
    from fastnn.kernels.pooling import num_chunks
    from fastnn.kernels.resample import nearest3d
    rng = np.random.default_rng(planes)
    x = rng.standard_normal((planes,) + in_dhw).astype(np.float32)
    tables = [np.sort(rng.integers(0, i, o)).astype(np.int64)
              for i, o in zip(in_dhw, out_dhw)]
    out = np.empty((planes,) + out_dhw, np.float32)
    assert num_chunks(out.size // out_dhw[2], out.size) > 4
    nearest3d(x, out, *tables)
    expected = x[:, tables[0]][:, :, tables[1]][:, :, :, tables[2]]
    np.testing.assert_array_equal(out, expected)


def test_empty_batch(torch):
    for mode in ("nearest", "bilinear", "bicubic"):
        x = np.zeros((0, 2, 5, 5), np.float32)
        assert_like_torch(lambda: F.interpolate(x, scale_factor=2, mode=mode),
                          lambda: torch.nn.functional.interpolate(torch.from_numpy(x),
                                                                  scale_factor=2, mode=mode))


ERRORS = [
    ((1, 2, 5, 5), dict(scale_factor=0.1)),
    ((1, 2, 5, 5), dict(size=0)),
    ((1, 2, 5, 5), dict(size=-1)),
    ((1, 2, 5), dict(scale_factor=0.1, mode="linear")),
    ((1, 2, 5, 5, 5), dict(scale_factor=0.1, mode="trilinear")),
    ((1, 2, 5, 5), dict(size=(2.5, 2))),
    ((1, 2, 5, 5), dict(size=(2, None))),
    ((1, 2, 5, 5), dict(scale_factor=-2.0, mode="bilinear")),
    ((1, 2, 5, 5), dict(scale_factor=(2, None))),
    ((1, 0, 5, 5), dict(scale_factor=2)),
    ((1, 0, 5, 5), dict(scale_factor=2, mode="bicubic", antialias=True)),
    ((1, 2, 0, 5), dict(scale_factor=2)),
    ((1, 0, 0, 5), dict(scale_factor=2, mode="bilinear")),
    ((1, 2, 5, 5), dict(scale_factor=2, mode="foo")),
    ((2, 5), dict(scale_factor=2)),
    ((1, 2, 5, 5), dict(size=2, scale_factor=2)),
    ((1, 2, 5, 5), dict()),
    ((1, 2, 5, 5), dict(size=2, recompute_scale_factor=True)),
    ((1, 2, 5, 5), dict(size=[2])),
    ((1, 2, 5, 5), dict(scale_factor=[2])),
    ((1, 2, 5, 5), dict(size=3, align_corners=False)),
    ((1, 2, 5, 5), dict(size=3, mode="area", align_corners=True)),
    ((1, 2, 5, 5), dict(size=3, mode="nearest-exact", align_corners=False)),
    ((1, 2, 5, 5), dict(size=3, antialias=True)),
    ((1, 2, 5, 5, 5), dict(size=3, mode="bilinear", antialias=True)),
    ((1, 2, 5), dict(size=3, mode="bilinear")),
    ((1, 2, 5), dict(size=3, mode="trilinear")),
    ((1, 2, 5, 5), dict(size=3, mode="linear")),
    ((1, 2, 5, 5), dict(size=3, mode="trilinear")),
    ((1, 2, 5, 5, 5), dict(size=3, mode="linear")),
    ((1, 2, 5, 5, 5), dict(size=3, mode="bilinear")),
    ((1, 2, 5, 5), dict(size=3, mode="lanczos", align_corners=True, antialias=True)),
    ((1, 2, 5, 5), dict(size=3, mode="lanczos")),
    ((1, 2, 5), dict(size=3, mode="lanczos", antialias=True)),
    ((1, 2, 5), dict(size=3, mode="lanczos")),
    ((1, 2, 5, 5, 5), dict(size=3, mode="lanczos")),
    ((1, 2, 5, 5), dict(scale_factor=float("nan"))),
    ((1, 2, 5, 5), dict(scale_factor=float("inf"))),
    ((1, 2, 5, 5), dict(scale_factor=float("nan"), recompute_scale_factor=True)),
    ((1, 2, 5, 5), dict(scale_factor=float("inf"), recompute_scale_factor=True)),
    ((1, 2, 5, 5), dict(scale_factor=-1.5, recompute_scale_factor=True)),
    ((1, 2, 5, 5), dict(scale_factor=-1.0, mode="area")),
    ((1, 2, 5, 5), dict(size=(2, 3), mode="area", antialias=True)),
]


@pytest.mark.parametrize("shape, kw", ERRORS)
def test_errors_are_torchs(torch, shape, kw):
    x = np.zeros(shape, np.float32)
    raises_like(lambda: torch.nn.functional.interpolate(torch.from_numpy(x), **kw),
                lambda: F.interpolate(x, **kw))


@pytest.mark.parametrize("kw, head", [
    (dict(size=2.5), "upsample_nearest2d() received an invalid combination of arguments - "
                     "got (Tensor, list, NoneType), but expected one of:"),
    (dict(scale_factor="a"), "upsample_nearest2d() received an invalid combination of "
                             "arguments - got (Tensor, NoneType, list), but expected one of:"),
    (dict(size=(3, 4), mode="bilinear", align_corners=1),
     "upsample_bilinear2d() received an invalid combination of arguments - got (Tensor, "
     "tuple, int, NoneType), but expected one of:"),
])
def test_argument_parser_errors_start_like_torchs(torch, kw, head):
    x = np.zeros((1, 2, 5, 5), np.float32)
    raises_like(lambda: torch.nn.functional.interpolate(torch.from_numpy(x), **kw),
                lambda: F.interpolate(x, **kw), message=head)


def test_integer_input_refused():
    with pytest.raises(TypeError, match="input must be float32 or float64, got int32"):
        F.interpolate(np.zeros((1, 1, 2, 2), np.int32), scale_factor=2)


@pytest.mark.parametrize("name, kw", [
    ("upsample", dict(scale_factor=2, mode="bilinear")),
    ("upsample_nearest", dict(scale_factor=2)),
    ("upsample_bilinear", dict(size=(3, 7))),
])
def test_deprecated_aliases_warn_and_agree(torch, name, kw):
    x = np.random.default_rng(4).standard_normal((1, 2, 4, 5)).astype(np.float32)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        want = getattr(torch.nn.functional, name)(torch.from_numpy(x), **kw)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        got = getattr(F, name)(x, **kw)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert isinstance(got, fastnn.Tensor)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-5)

