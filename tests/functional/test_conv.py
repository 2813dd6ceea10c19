"""F.conv1d/2d/3d and nn.Conv1d/2d/3d against torch (the oracle)."""
import re
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn import backends
from torch_compare import error_of

TOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}
MODES = ["zeros", "reflect", "replicate", "circular"]


def conv_name(nd):
    return f"conv{nd}d"


def random_config(rng):
    """Arguments for one convolution, valid for torch, drawn over every option."""
    nd = int(rng.integers(1, 4))
    kind = rng.choice(["dense", "grouped", "depthwise"], p=[0.5, 0.25, 0.25])
    cg = 1 if kind == "depthwise" else int(rng.integers(1, 5))
    groups = 1 if kind == "dense" else int(rng.integers(2, 5))
    kg = int(rng.choice([1, 2, 3, 4, 5, 9]))
    kernel = tuple(int(k) for k in rng.integers(1, 5 if nd < 3 else 4, nd))
    dilation = tuple(int(d) for d in rng.integers(1, 3, nd))
    mode = rng.choice(MODES, p=[0.55, 0.15, 0.15, 0.15])
    pick = rng.random()
    if pick < 0.15:
        padding, stride = "same", (1,) * nd
    elif pick < 0.25:
        padding, stride = "valid", tuple(int(s) for s in rng.integers(1, 4, nd))
    else:
        stride = tuple(int(s) for s in rng.integers(1, 4, nd))
        padding = tuple(int(p) for p in rng.integers(0, 3, nd))
        if rng.random() < 0.3:
            padding = padding[0]                        # the int form
            if isinstance(stride, tuple) and rng.random() < 0.5:
                stride = stride[0]
    pads = (0,) * nd if padding == "valid" else (
        tuple(d * (k - 1) // 2 + 1 for d, k in zip(dilation, kernel)) if padding == "same"
        else (padding,) * nd if isinstance(padding, int) else padding)
    sizes = []
    for i in range(nd):
        reach = dilation[i] * (kernel[i] - 1) + 1
        low = max(1, reach - 2 * pads[i], pads[i] + 1)   # reflect needs pad < size
        spread = (30 if i == nd - 1 else 5) if nd < 3 else 6
        sizes.append(low + int(rng.integers(0, spread)))
    batch = rng.choice([None, 0, 1, 2, 3], p=[0.15, 0.05, 0.4, 0.3, 0.1])
    shape = (cg * groups, *sizes) if batch is None else (int(batch), cg * groups, *sizes)
    return dict(nd=nd, shape=shape, weight=(kg * groups, cg, *kernel),
                bias=bool(rng.random() < 0.7), stride=stride, padding=padding,
                dilation=dilation, groups=groups, mode=str(mode))


def run_both(torch, cfg, dtype, rng):
    x = rng.standard_normal(cfg["shape"]).astype(dtype)
    w = rng.standard_normal(cfg["weight"]).astype(dtype)
    b = rng.standard_normal(cfg["weight"][0]).astype(dtype) if cfg["bias"] else None
    args = (cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    tb = None if b is None else torch.from_numpy(b)
    name = conv_name(cfg["nd"])
    if cfg["mode"] == "zeros":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")             # torch's 'same' + even kernel note
            expected = getattr(torch.nn.functional, name)(tx, tw, tb, *args).numpy()
        return getattr(F, name)(x, w, b, *args), expected
    kwargs = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"],
                  groups=cfg["groups"], bias=cfg["bias"], padding_mode=cfg["mode"])
    cls = f"Conv{cfg['nd']}d"
    mine = getattr(nn, cls)(w.shape[1] * cfg["groups"], w.shape[0], w.shape[2:],
                            dtype=dtype, **kwargs)
    theirs = getattr(torch.nn, cls)(w.shape[1] * cfg["groups"], w.shape[0], w.shape[2:],
                                    dtype=torch.from_numpy(x).dtype, **kwargs)
    mine.weight.data[...] = w            # as torch, outside autograd
    theirs.weight.data = tw
    if b is not None:
        mine.bias.data[...] = b
        theirs.bias.data = tb
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs(tx).detach().numpy()
    return mine(x), expected


def test_random_sweep_against_torch(torch):
    rng = np.random.default_rng(2024)
    for i in range(320):
        cfg = random_config(rng)
        for dtype in (np.float32, np.float64):
            result, expected = run_both(torch, cfg, dtype, rng)
            assert isinstance(result, fastnn.Tensor), cfg
            assert result.dtype == dtype and result.shape == expected.shape, cfg
            tol = TOL[np.dtype(dtype)]
            np.testing.assert_allclose(result, expected, rtol=tol, atol=tol, err_msg=str(cfg))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_empty_batch_and_zero_channels_follow_torch(torch, nd):
    sp = (6,) * nd
    cases = [((0, 4, *sp), (3, 4, *(3,) * nd), 1), ((2, 0, *sp), (4, 0, *(3,) * nd), 1),
             ((0, *sp), (4, 0, *(3,) * nd), 1), ((1, 0, *sp), (4, 0, *(3,) * nd), 2)]
    for shape, wshape, groups in cases:
        x, w = np.zeros(shape, np.float32), np.ones(wshape, np.float32)
        b = np.ones(wshape[0], np.float32)
        expected = getattr(torch.nn.functional, conv_name(nd))(
            torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), groups=groups)
        result = getattr(F, conv_name(nd))(x, w, b, groups=groups)
        assert result.shape == tuple(expected.shape)




def x_(*shape, dtype=np.float32):
    return np.ones(shape, dtype)


# (name, conv, input shape, weight shape, keyword arguments): torch raises on each
ERROR_CASES = [
    ("channels", 2, (1, 2, 9, 9), (4, 3, 5, 5), {}),
    ("channels grouped", 2, (1, 4, 9, 9), (4, 3, 5, 5), dict(groups=2)),
    ("channels unbatched", 2, (3, 9, 9), (4, 2, 3, 3), {}),
    ("groups zero", 2, (1, 2, 9, 9), (4, 2, 3, 3), dict(groups=0)),
    ("groups negative", 1, (1, 2, 9), (4, 2, 3), dict(groups=-1)),
    ("groups split weight", 2, (1, 3, 9, 9), (4, 1, 3, 3), dict(groups=3)),
    ("kernel too big", 2, (1, 3, 2, 2), (4, 3, 3, 3), {}),
    ("dilated kernel too big", 2, (1, 3, 5, 5), (4, 3, 3, 3), dict(dilation=3)),
    ("kernel too big 1d", 1, (1, 3, 2), (4, 3, 3), {}),
    ("kernel too big 3d", 3, (1, 3, 2, 4, 4), (4, 3, 3, 3, 3), {}),
    ("zero spatial", 2, (1, 2, 0, 9), (4, 2, 3, 3), {}),
    ("padding string", 2, (1, 2, 9, 9), (4, 2, 3, 3), dict(padding="x")),
    ("same strided", 2, (1, 2, 9, 9), (4, 2, 3, 3), dict(padding="same", stride=2)),
    ("same strided tuple", 2, (1, 2, 9, 9), (4, 2, 3, 3), dict(padding="same", stride=(1, 2))),
    ("negative padding", 2, (1, 2, 9, 9), (4, 2, 3, 3), dict(padding=-1)),
    ("negative padding tuple", 2, (1, 2, 9, 9), (4, 2, 3, 3), dict(padding=(0, -1))),
    ("zero stride", 2, (1, 2, 9, 9), (4, 2, 3, 3), dict(stride=0)),
    ("negative stride", 3, (1, 2, 5, 5, 5), (4, 2, 3, 3, 3), dict(stride=(1, -1, 1))),
    ("zero dilation", 2, (1, 2, 9, 9), (4, 2, 3, 3), dict(dilation=0)),
    ("zero dilation 1d", 1, (1, 2, 9), (4, 2, 3), dict(dilation=0)),
    ("zero dilation 3d", 3, (1, 2, 9, 9, 9), (4, 2, 3, 3, 3), dict(dilation=(1, 0, 1))),
    ("zero kernel", 2, (1, 2, 9, 9), (4, 2, 0, 3), {}),
    ("zero kernel 1d", 1, (1, 2, 9), (4, 2, 0), {}),
    ("zero kernel 3d", 3, (1, 2, 9, 9, 9), (4, 2, 3, 0, 3), {}),
    ("zero out channels", 2, (1, 2, 9, 9), (0, 2, 3, 3), {}),
    ("input rank low", 2, (2, 9), (4, 2, 3, 3), {}),
    ("input rank high", 2, (1, 1, 2, 9, 9), (4, 2, 3, 3), {}),
    ("input rank 1d", 1, (9,), (4, 2, 3), {}),
    ("input rank 3d", 3, (2, 9, 9), (4, 2, 3, 3, 3), {}),
    ("weight rank 2", 2, (1, 2, 9, 9), (4, 2), {}),
    ("weight rank 1d", 1, (1, 2, 9), (4, 2), {}),
    ("weight rank 3 for 2d", 2, (1, 2, 9, 9), (4, 2, 3), {}),
    ("weight rank 5 for 2d", 2, (1, 2, 9, 9), (4, 2, 3, 3, 3), {}),
    ("weight rank 4 for 3d", 3, (1, 2, 9, 9, 9), (4, 2, 3, 3), {}),
    ("padding tuple length", 2, (1, 2, 9, 9), (4, 2, 3, 3), dict(padding=(1, 1, 1))),
    ("stride tuple length", 2, (1, 2, 9, 9), (4, 2, 3, 3), dict(stride=(1, 1, 1))),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_match_torch(torch, case):
    _, nd, shape, wshape, kwargs = case
    x, w = x_(*shape), x_(*wshape)
    theirs = error_of(lambda: getattr(torch.nn.functional, conv_name(nd))(
        torch.from_numpy(x), torch.from_numpy(w), **kwargs))
    with pytest.raises(type(theirs), match=re.escape(str(theirs))):
        getattr(F, conv_name(nd))(x, w, **kwargs)


def test_bias_and_dtype_errors_match_torch(torch):
    x, w = x_(1, 2, 9, 9), x_(4, 2, 3, 3)
    T = torch.from_numpy
    cases = [
        ((x, w, x_(3)), "Given weight of size [4, 2, 3, 3], expected bias to be "
                        "1-dimensional with 4 elements, but got bias of size [3] instead"),
        ((x, w, x_(4, 1)), "expected bias to be 1-dimensional with 4 elements, but got "
                           "bias of size [4, 1] instead"),
        ((x, w.astype(np.float64)), "expected scalar type Float but found Double"),
        ((x.astype(np.float64), w), "expected scalar type Double but found Float"),
        ((x, w, x_(4, dtype=np.float64)),
         "Input type (float) and bias type (double) should be the same"),
    ]
    for args, words in cases:
        theirs = error_of(lambda: torch.nn.functional.conv2d(*map(T, args)))
        assert words in str(theirs)
        with pytest.raises(type(theirs), match=re.escape(str(theirs))):
            F.conv2d(*args)


def test_absurd_outputs_are_refused_before_allocating():
    x, w = x_(1, 2, 3, 3), x_(4, 2, 1, 1)
    # torch words it so too (about its own intermediate sizes)
    with pytest.raises(RuntimeError, match=r"Storage size calculation overflowed with "
                                           r"sizes=\[1, 4, 2000000003, 2000000003\]"):
        F.conv2d(x, w, padding=10 ** 9)
    with pytest.raises(RuntimeError, match="can't allocate memory: you tried to allocate"):
        F.conv2d(x, w, padding=10 ** 5)
    with pytest.raises(RuntimeError, match="can't allocate memory"):
        F.conv1d(x_(1, 2, 3), x_(4, 2, 1), padding=10 ** 12)


def test_fastnn_only_refusals():
    x, w = x_(1, 2, 9, 9), x_(4, 2, 3, 3)
    with pytest.raises(TypeError, match="int32"):
        F.conv2d(x.astype(np.int32), w.astype(np.int32))
    with pytest.raises(TypeError, match="float16"):
        F.conv2d(x.astype(np.float16), w)
    with pytest.raises(TypeError, match="groups must be an int, not bool"):
        F.conv2d(x, w, groups=True)
    with pytest.raises(TypeError, match="padding must be an int or a tuple of ints"):
        F.conv2d(x, w, padding=1.0)
    with pytest.raises(TypeError, match="input must be a Tensor or array, not str"):
        F.conv2d("x", w)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_and_inf_propagate_like_torch(torch, dtype):
    rng = np.random.default_rng(9)
    configs = [  # (input shape, weight shape, groups, padding)
        ((2, 4, 7, 21), (6, 4, 3, 3), 1, 1), ((2, 4, 7, 21), (8, 2, 3, 3), 2, (1, 2)),
        ((2, 4, 7, 21), (4, 1, 3, 3), 4, 1), ((1, 3, 30), (5, 3, 4), 1, "same"),
        ((1, 2, 4, 5, 18), (3, 2, 2, 3, 3), 1, 1), ((1, 4, 9, 9), (8, 1, 3, 3), 4, 2)]
    for shape, wshape, groups, padding in configs:
        nd = len(shape) - 2
        x = rng.standard_normal(shape).astype(dtype)
        flat = x.reshape(-1)
        flat[rng.choice(flat.size, 6, replace=False)] = [np.nan, np.inf, -np.inf] * 2
        x[(0, 0) + (0,) * nd] = np.inf                   # a corner, read with padding
        w = rng.standard_normal(wshape).astype(dtype)
        expected = getattr(torch.nn.functional, conv_name(nd))(
            torch.from_numpy(x), torch.from_numpy(w), padding=padding, groups=groups).numpy()
        result = getattr(F, conv_name(nd))(x, w, padding=padding, groups=groups)
        assert np.isnan(expected).any() and np.isinf(expected).any()
        np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_non_finite_weights_at_the_border_like_torch(torch, groups):
    """torch multiplies dense padding (an inf weight gives NaN at the border) but skips it
    in depthwise convolutions (0 there); both are followed."""
    x = np.ones((1, 4, 5, 18), np.float32)
    for value in (np.inf, np.nan):
        w = np.zeros((4, 4 // groups, 3, 3), np.float32)
        w[0, 0, 0, 0] = value
        expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                              padding=1, groups=groups).numpy()
        result = F.conv2d(x, w, padding=1, groups=groups)
        np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("tap", [(0, 0), (0, 1), (1, 0), (1, 2), (2, 2)])
def test_dilated_border_skips_padding_taps(torch, tap):
    """On DeepLab's 3x3 d6 p6, 'blocked' skips the kernel rows and, on its border column
    segments, the kernel columns that read only padding, so an inf weight there leaves
    the border finite (a tile that multiplied them would give NaN on six border rows or
    columns). torch's paths differ there: its AVX-512 oneDNN convolution skips those taps
    too (the same output, bit for bit), its AVX2 one multiplies them (NaN); everywhere
    else the outputs are equal."""
    x = np.ones((1, 128, 33, 33), np.float32)
    w = np.zeros((128, 128, 3, 3), np.float32)
    w[(0, 0) + tap] = np.inf
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                          padding=6, dilation=6).numpy()
    with backends.use("conv2d", "blocked"):
        result = np.asarray(F.conv2d(x, w, padding=6, dilation=6))
    assert not np.isnan(result).any()
    assert np.isinf(result[0, 0]).sum() >= 21 * 21
    defined = ~np.isnan(expected)
    np.testing.assert_array_equal(result[defined], expected[defined])


def test_layouts_and_foreign_inputs(torch):
    rng = np.random.default_rng(4)
    base = rng.standard_normal((2, 6, 9, 40)).astype(np.float32)
    w = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    expected = lambda x: torch.nn.functional.conv2d(     # noqa: E731
        torch.from_numpy(np.asarray(x).astype(np.float32)), torch.from_numpy(w),
        torch.from_numpy(b), padding=1, groups=2).numpy()
    readonly = base.copy()
    readonly.flags.writeable = False
    inputs = [base[:, :, ::2, 3:-4], np.asfortranarray(base), readonly,
              base.astype(">f4"), base.transpose(0, 1, 3, 2), torch.from_numpy(base),
              fastnn.from_numpy(base)]
    for x in inputs:
        before = np.asarray(x).copy()
        result = F.conv2d(x, np.asfortranarray(w), torch.from_numpy(b), padding=1, groups=2)
        np.testing.assert_allclose(result, expected(np.asarray(x)), rtol=1e-4, atol=1e-4)
        np.testing.assert_array_equal(np.asarray(x), before)         # input untouched
    swapped_w = w.astype(">f4")
    np.testing.assert_allclose(F.conv2d(base, swapped_w, b, padding=1, groups=2),
                               expected(base), rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------------------
# modules
# ----------------------------------------------------------------------------------------

MODULE_CASES = [
    ("Conv1d", (4, 6, 3), {}),
    ("Conv1d", (4, 6, 5), dict(stride=2, padding=2, dilation=2, bias=False)),
    ("Conv1d", (4, 4, 3), dict(padding="same", padding_mode="circular", groups=4)),
    ("Conv2d", (3, 2, 3), {}),
    ("Conv2d", (3, 2, (3, 1)), dict(stride=(2, 1), padding=(1, 0))),
    ("Conv2d", (4, 8, 3), dict(padding="valid", groups=2, padding_mode="reflect")),
    ("Conv2d", (4, 8, 4), dict(padding="same", dilation=(1, 2), padding_mode="replicate")),
    ("Conv2d", (2, 2, 1), dict(padding=0, dilation=1, groups=1, bias=True)),
    ("Conv3d", (2, 4, 3), dict(padding=1, padding_mode="reflect")),
    ("Conv3d", (2, 4, (1, 2, 3)), dict(stride=(1, 2, 1), padding=(0, 1, 1), bias=False)),
]
ATTRIBUTES = ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
              "groups", "padding_mode", "output_padding", "transposed",
              "_reversed_padding_repeated_twice"]


@pytest.mark.parametrize("case", MODULE_CASES, ids=[f"{c[0]}{c[1]}{c[2]}" for c in MODULE_CASES])
def test_module_matches_torch(torch, case):
    name, args, kwargs = case
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    mine = getattr(nn, name)(*args, **kwargs)
    assert repr(mine) == repr(theirs)
    for attr in ATTRIBUTES:
        assert getattr(mine, attr) == getattr(theirs, attr), attr
    assert mine.weight.shape == tuple(theirs.weight.shape)
    assert isinstance(mine.weight, nn.Parameter) and mine.weight.dtype == np.float32
    assert (mine.bias is None) == (theirs.bias is None)
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    mine.weight.data[...] = theirs.weight.detach().numpy()
    if theirs.bias is not None:
        mine.bias.data[...] = theirs.bias.detach().numpy()
    nd = int(name[4])
    x = np.random.default_rng(0).standard_normal((2, args[0]) + (7,) * nd).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs(torch.from_numpy(x)).detach().numpy()
        expected_unbatched = theirs(torch.from_numpy(x[1])).detach().numpy()
    np.testing.assert_allclose(mine(x), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mine(x[1]), expected_unbatched, rtol=1e-4, atol=1e-5)


def test_module_float64_and_device():
    m = nn.Conv2d(2, 3, 3, dtype=np.float64, device="cpu")
    assert m.weight.dtype == np.float64 and m.bias.dtype == np.float64
    assert m(np.ones((1, 2, 5, 5))).dtype == np.float64
    with pytest.raises(RuntimeError, match="CPU only.*'cuda'"):
        nn.Conv2d(2, 3, 3, device="cuda")
    with pytest.raises(TypeError, match="int32"):
        nn.Conv2d(2, 3, 3, dtype=np.int32)


def test_module_init_distribution():
    fastnn.manual_seed(0)
    m = nn.Conv2d(16, 64, 3, groups=2)
    fan_in = 8 * 9
    bound = 1 / np.sqrt(fan_in)        # kaiming_uniform_(a=sqrt(5)) and the bias bound
    w = np.asarray(m.weight)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.mean()) < 0.05 * bound
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.05
    b = np.asarray(m.bias)
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.8 * bound
    fastnn.manual_seed(0)
    again = nn.Conv2d(16, 64, 3, groups=2)
    np.testing.assert_array_equal(again.weight, w)
    again.reset_parameters()
    assert not np.array_equal(again.weight, w)


def sorted_sets(message):
    """torch prints Python sets, whose order follows the string hash seed."""
    return re.sub(r"\{[^}]*\}", lambda m: str(sorted(m.group(0)[1:-1].split(", "))), message)


def test_module_errors_match_torch(torch):
    cases = [
        dict(groups=0), dict(in_channels=3, groups=2), dict(out_channels=3, groups=2),
        dict(padding="same", stride=2), dict(padding_mode="foo"), dict(in_channels=-1),
        dict(padding="x"),
    ]
    for kwargs in cases:
        args = dict(in_channels=2, out_channels=4, kernel_size=3)
        args.update(kwargs)
        theirs = error_of(lambda: torch.nn.Conv2d(**args))
        mine = error_of(lambda: nn.Conv2d(**args))
        assert type(mine) is type(theirs)
        assert sorted_sets(str(mine)) == sorted_sets(str(theirs))


def test_module_forward_errors_match_torch(torch):
    x = np.ones((1, 2, 9, 9), np.float32)
    for kwargs in [dict(padding=-1), dict(stride=0), dict(dilation=0), dict(kernel_size=0),
                   dict(padding=9, padding_mode="reflect"),
                   dict(padding=10, padding_mode="circular")]:
        args = dict(in_channels=2, out_channels=4, kernel_size=3)
        args.update(kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = error_of(lambda: torch.nn.Conv2d(**args)(torch.from_numpy(x)))
            mine = nn.Conv2d(**args)            # kernel_size=0 warns, as in torch
        with pytest.raises(type(theirs), match=re.escape(str(theirs))):
            mine(x)
