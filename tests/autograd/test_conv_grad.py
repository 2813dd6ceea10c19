"""Backward of conv1d/2d/3d and conv_transpose1d/2d/3d (fastnn/nn/functional/_conv_grad.py)
against torch: seeded random sweeps over every argument (small shapes), the paths the
catalogue's samples do not reach (the GEMM weight gradient over several chunks of samples,
the plain 1x1 one, the strided depthwise kernels, float32), zero-size edges, ctx.needs,
and a torch-free check against central differences."""
import math
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn.nn.functional import _conv_grad
from gradcheck import compare_with_torch, numerical_check


def _conv_call(nd, **kwargs):
    def call(lib, x, w, b):
        fn = getattr(F if lib is fastnn else lib.nn.functional, f"conv{nd}d")
        return fn(x, w, b, **kwargs)
    return call


def _transpose_call(nd, **kwargs):
    def call(lib, x, w, b):
        fn = getattr(F if lib is fastnn else lib.nn.functional, f"conv_transpose{nd}d")
        return fn(x, w, b, **kwargs)
    return call


def _arrays(rng, x_shape, w_shape, bias, dtype=np.float64):
    b_len = w_shape[0] if bias is True else bias
    return [rng.standard_normal(x_shape).astype(dtype),
            rng.standard_normal(w_shape).astype(dtype),
            None if not bias else rng.standard_normal(b_len).astype(dtype)]


def _random_conv(seed):
    """(nd, x shape, w shape, bias, kwargs, grad_mask) of a random valid convolution."""
    rng = np.random.default_rng(seed)
    nd = int(rng.integers(1, 4))
    kind = rng.choice(["dense", "grouped", "depthwise"])
    groups = {"dense": 1, "grouped": 2, "depthwise": int(rng.integers(2, 4))}[kind]
    cg = 1 if kind == "depthwise" else int(rng.integers(1, 3))
    k = groups * (int(rng.integers(1, 3)) if kind != "dense" else int(rng.integers(1, 4)))
    kernel = tuple(int(v) for v in rng.integers(1, 4, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    padding_kind = rng.choice(["int", "same", "valid"])
    if padding_kind == "same":
        stride, padding = 1, "same"
    else:
        stride = tuple(int(v) for v in rng.integers(1, 5, nd))   # stride > kernel too
        padding = "valid" if padding_kind == "valid" else tuple(
            int(v) for v in rng.integers(0, 3, nd))
    reach = [d * (kk - 1) + 1 for d, kk in zip(dilation, kernel)]
    spatial = tuple(r + int(rng.integers(0, 5)) for r in reach)
    batch = () if rng.random() < 0.25 else (int(rng.integers(1, 3)),)
    x_shape = batch + (groups * cg,) + spatial
    w_shape = (k, cg) + kernel
    mask = [True, True, True] if rng.random() < 0.6 else [bool(v) for v in rng.integers(0, 2, 3)]
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return nd, x_shape, w_shape, bool(rng.random() < 0.6), kwargs, mask


def _random_transpose(seed):
    rng = np.random.default_rng(seed)
    nd = int(rng.integers(1, 4))
    groups = int(rng.integers(1, 4))
    c_in = groups * int(rng.integers(1, 3))
    c_out_g = int(rng.integers(1, 3))
    kernel = tuple(int(v) for v in rng.integers(1, 4, nd))
    stride = tuple(int(v) for v in rng.integers(1, 4, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    padding = tuple(int(rng.integers(0, (d * (kk - 1)) // 2 + 1))
                    for d, kk in zip(dilation, kernel))
    spatial = tuple(int(v) for v in rng.integers(1, 5, nd))
    batch = () if rng.random() < 0.25 else (int(rng.integers(1, 3)),)
    kwargs = dict(stride=stride, padding=padding, output_padding=output_padding,
                  groups=groups, dilation=dilation)
    return (nd, batch + (c_in,) + spatial, (c_in, c_out_g) + kernel,
            c_out_g * groups if rng.random() < 0.6 else 0, kwargs)


@pytest.mark.parametrize("seed", range(24))
def test_conv_random_arguments_match_torch(seed, torch):
    nd, x_shape, w_shape, bias, kwargs, mask = _random_conv(seed)
    arrays = _arrays(np.random.default_rng(seed), x_shape, w_shape, bias)
    with warnings.catch_warnings():   # torch's note on 'same' with even kernels
        warnings.simplefilter("ignore", UserWarning)
        checked = compare_with_torch(_conv_call(nd, **kwargs), arrays, torch, grad_mask=mask)
    assert checked == sum(m for m, a in zip(mask, arrays) if a is not None)


@pytest.mark.parametrize("seed", range(16))
def test_conv_transpose_random_arguments_match_torch(seed, torch):
    nd, x_shape, w_shape, bias, kwargs = _random_transpose(seed)
    arrays = _arrays(np.random.default_rng(seed), x_shape, w_shape, bias)
    checked = compare_with_torch(_transpose_call(nd, **kwargs), arrays, torch)
    assert checked == 2 + bool(bias)


@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((3, 16, 6, 7), (32, 16, 3, 3), dict(padding=1)),                 # GEMM, dense
    ((3, 32, 5, 5), (32, 16, 3, 2), dict(stride=2, groups=2)),        # GEMM per group
    ((3, 16, 4, 5), (24, 16, 1, 1), {}),                              # plain 1x1
    ((2, 16, 9, 8), (16, 16, 3, 2), dict(stride=(2, 3), padding=(1, 2), dilation=(2, 1))),
    ((2, 6, 9, 8), (12, 1, 3, 3), dict(stride=2, padding=1, groups=6)),   # strided depthwise
])
def test_gemm_chunks_and_direct_paths_match_torch(x_shape, w_shape, kwargs, torch,
                                                  monkeypatch):
    # a small im2col buffer makes the GEMM path accumulate over several chunks of samples
    monkeypatch.setattr(_conv_grad, "COLS_MAX", 1)
    arrays = _arrays(np.random.default_rng(1), x_shape, w_shape, True)
    assert compare_with_torch(_conv_call(2, **kwargs), arrays, torch) == 3


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, kwargs, split", [
    ((3, 2, 9, 9), (12, 2, 3, 3), dict(padding=1), True),              # parts of 3 outputs
    ((2, 4, 9, 8), (12, 2, 3, 3), dict(stride=2, padding=1, groups=2), True),  # grouped
    ((2, 64, 9, 9), (128, 2, 3, 3), dict(stride=2, padding=1, groups=32), False),
])
def test_direct_weight_grad_split_over_output_channels(x_shape, w_shape, kwargs, split,
                                                       dtype, torch):
    """The direct weight gradient's tasks: an input channel and a part of its group's
    output channels (several parts where the input has few channels), with the bias."""
    groups = kwargs.get("groups", 1)
    before = fastnn.get_num_threads()
    fastnn.set_num_threads(2)
    try:
        cparts, kparts = _conv_grad.direct_parts(groups, w_shape[1], w_shape[0] // groups)
        assert (kparts > 1) == (split and fastnn.get_num_threads() > 1)
        assert (cparts > 1) == (split and fastnn.get_num_threads() > 1)
        assert _conv_grad.weight_grad_path(
            (x_shape[0], x_shape[1], 1) + x_shape[2:], (x_shape[0], w_shape[0], 1, 1, 1),
            (w_shape[0], w_shape[1], 1) + w_shape[2:], (1, 1, 1), (0, 0, 0), (1, 1, 1),
            groups, np.dtype(dtype).itemsize) == "direct"
        arrays = _arrays(np.random.default_rng(5), x_shape, w_shape, True, dtype)
        assert compare_with_torch(_conv_call(2, **kwargs), arrays, torch) == 3
    finally:
        fastnn.set_num_threads(before)


def _random_padding_and_spatial(rng, dilation, kernel, extra):
    """A padding of up to half the dilated kernel plus one, and a spatial size of the
    dilated kernel plus fewer than `extra` positions, per dimension."""
    padding = tuple(int(rng.integers(0, (d * (k - 1)) // 2 + 2))
                    for d, k in zip(dilation, kernel))
    spatial = tuple(d * (k - 1) + 1 + int(rng.integers(0, extra))
                    for d, k in zip(dilation, kernel))
    return padding, spatial


def _random_direct(seed):
    """(nd, x shape, w shape, kwargs, dtype) of a random convolution whose weight
    gradient the direct kernel takes by its rule: several taps, few channel pairs per
    group; output channels per group around its blocks of four (1 to 11), input channels
    per group 1 to 5, groups 1 to 6 (fewer and more than the threads' tasks)."""
    rng = np.random.default_rng(seed + 500)
    nd = int(rng.integers(1, 4))
    groups = int(rng.integers(1, 7))
    cg, kg = int(rng.integers(1, 6)), int(rng.integers(1, 12))
    while True:
        kernel = tuple(int(v) for v in rng.integers(1, 4, nd))
        if math.prod(kernel) > 1:
            break
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    stride = tuple(int(v) for v in rng.integers(1, 4, nd))
    padding, spatial = _random_padding_and_spatial(rng, dilation, kernel, 7)
    batch = int(rng.integers(1, 4))
    dtype = np.float64 if rng.random() < 0.5 else np.float32
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return (nd, (batch, groups * cg) + spatial, (groups * kg, cg) + kernel, kwargs, dtype)


def _direct_path_args(nd, x_shape, w_shape, kwargs):
    """`_conv_grad.weight_grad_path`'s arguments for conv{nd}d(x, w, **kwargs) (5-D)."""
    lead = 3 - nd
    stride, padding, dilation = ((one,) * lead + tuple(kwargs[name]) for name, one in
                                 (("stride", 1), ("padding", 0), ("dilation", 1)))
    out = tuple((s + 2 * p - d * (k - 1) - 1) // st + 1 for s, p, d, k, st in
                zip(x_shape[2:], padding[lead:], dilation[lead:], w_shape[2:], stride[lead:]))
    five = (1,) * lead
    return (x_shape[:2] + five + x_shape[2:], (x_shape[0], w_shape[0]) + five + out,
            w_shape[:2] + five + w_shape[2:], stride, padding, dilation, kwargs["groups"], 4)


@pytest.mark.parametrize("seed", range(20))
def test_direct_weight_grad_random_arguments_match_torch(seed, torch):
    """The direct weight gradient (four output channels by three taps at a time, then the
    channels left, a task per group and part of its input and output channels), with the
    bias gradient it sums, over random groups, channels, kernels, strides, paddings,
    dilations, 1-D to 3-D, both dtypes, on two threads."""
    nd, x_shape, w_shape, kwargs, dtype = _random_direct(seed)
    path_args = _direct_path_args(nd, x_shape, w_shape, kwargs)
    assert _conv_grad.weight_grad_path(*path_args) == "direct"
    before = fastnn.get_num_threads()
    fastnn.set_num_threads(2)
    try:
        arrays = _arrays(np.random.default_rng(seed), x_shape, w_shape, True, dtype)
        assert compare_with_torch(_conv_call(nd, **kwargs), arrays, torch,
                                  grad_mask=[False, True, True]) == 2
    finally:
        fastnn.set_num_threads(before)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_direct_weight_grad_non_finite_input_as_torch(dtype, value, torch):
    """A grouped weight gradient on the direct kernel's blocks of four output channels
    (six a group: a block and two left) and input channels split in parts of one and two,
    with an inf or NaN at the input's border: the taps that meet it only through padding
    stay finite, as torch's (the blocks multiply padding, and their (output, input) pairs
    that are not finite are computed again without it). An inf in the output gradient is
    left out: torch's own paths differ there (its float32 grouped weight gradient
    multiplies it by the padding, its depthwise one does not); fastnn skips the padding."""
    arrays = _arrays(np.random.default_rng(9), (2, 12, 7, 6), (12, 6, 3, 3), True, dtype)
    arrays[0][1, 4, 0, 5] = value
    arrays[0][0, 9, 6, 0] = value
    assert _conv_grad.weight_grad_path((2, 12, 1, 7, 6), (2, 12, 1, 4, 3), (12, 6, 1, 3, 3),
                                       (1, 2, 2), (0, 1, 1), (1, 1, 1), 2, 4) == "direct"
    atol = 1e-9 if dtype == np.float64 else 1e-4
    before = fastnn.get_num_threads()
    fastnn.set_num_threads(2)
    try:
        assert _conv_grad.direct_parts(2, 6, 6) == (4, 1)
        assert compare_with_torch(_conv_call(2, stride=2, padding=1, groups=2), arrays, torch,
                                  atol=atol, grad_mask=[False, True, True]) == 2
    finally:
        fastnn.set_num_threads(before)


@pytest.mark.parametrize("nd, x_shape, w_shape, kwargs, dtype", [
    (2, (2, 8, 9, 8), (8, 4, 3, 3), dict(stride=2, padding=1, groups=2), np.float64),
    (2, (2, 8, 10, 9), (12, 4, 3, 3),
     dict(stride=(3, 2), padding=(1, 2), dilation=(1, 2), groups=2), np.float32),
    (3, (1, 8, 5, 6, 7), (4, 4, 3, 3, 3), dict(stride=(2, 2, 1), padding=1, groups=2),
     np.float64),
])
def test_strided_grouped_input_grad_non_finite_weight(nd, x_shape, w_shape, kwargs, dtype,
                                                      torch):
    """The strided grouped input gradient on the direct kernel (`_direct_input_pays`),
    input sizes the stride does not divide (trailing positions no output reads)
    included; with a weight that is not finite, the planes of its input channel add only
    the products that land inside them, as torch's."""
    arrays = _arrays(np.random.default_rng(9), x_shape, w_shape, True, dtype)
    five = lambda shape: shape[:2] + (1,) * (5 - len(shape)) + shape[2:]   # noqa: E731
    given = kwargs["stride"]
    stride = _conv_grad._triple((given,) * nd if isinstance(given, int) else given, 1)
    assert _conv_grad._direct_input_pays(five(w_shape), stride, kwargs["groups"])
    assert compare_with_torch(_conv_call(nd, **kwargs), arrays, torch) == 3
    arrays[1][1, 2, 0, 1] = np.inf
    atol = 1e-9 if dtype == np.float64 else 1e-4
    assert compare_with_torch(_conv_call(nd, **kwargs), arrays, torch, atol=atol,
                              grad_mask=[True, False, False]) == 1


@pytest.mark.parametrize("seed", range(12))
def test_strided_grouped_gradients_match_torch(seed, torch):
    """The strided grouped input gradient on the direct kernel (four output channels a
    pass, then those left: 1 to 8 a group) and the weight gradient, over the strided
    depthwise sweep's geometries with 2 to 4 input channels a group."""
    nd, x_shape, w_shape, kwargs, dtype = _random_strided_depthwise(seed + 40)
    rng = np.random.default_rng(seed + 900)
    cg, kg = int(rng.integers(2, 5)), int(rng.integers(1, 9))
    groups = kwargs["groups"]
    x_shape = (x_shape[0], groups * cg) + x_shape[2:]
    w_shape = (groups * kg, cg) + w_shape[2:]
    assert _conv_grad._direct_input_pays(
        w_shape[:2] + (1,) * (5 - len(w_shape)) + w_shape[2:],
        (1,) * (3 - nd) + kwargs["stride"], groups) == (groups > 1)
    arrays = _arrays(np.random.default_rng(seed), x_shape, w_shape, False, dtype)
    assert compare_with_torch(_conv_call(nd, **kwargs), arrays, torch,
                              grad_mask=[True, True, False]) == 2


def _random_strided_depthwise(seed):
    """(nd, x shape, w shape, kwargs, dtype) of a random depthwise convolution with a
    stride > 1 somewhere: the strided depthwise input gradient (`input_grad_direct`)."""
    rng = np.random.default_rng(seed)
    nd = int(rng.integers(1, 4))
    channels = int(rng.integers(1, 5)) if rng.random() < 0.5 else int(rng.integers(60, 90))
    multiplier = int(rng.integers(1, 3))
    kernel = tuple(int(v) for v in rng.integers(1, 6, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    stride = tuple(int(v) for v in rng.integers(1, 4, nd))
    if all(s == 1 for s in stride):
        stride = stride[:-1] + (int(rng.integers(2, 5)),)   # W's stride, 4 beyond kernels
    padding, spatial = _random_padding_and_spatial(rng, dilation, kernel, 9)
    batch = int(rng.integers(1, 3))
    dtype = np.float64 if rng.random() < 0.5 else np.float32
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=channels)
    return (nd, (batch, channels) + spatial, (channels * multiplier, 1) + kernel, kwargs,
            dtype)


@pytest.mark.parametrize("seed", range(16))
def test_strided_depthwise_gradients_match_torch(seed, torch):
    """The strided depthwise input and weight gradients over random strides (along W or
    not, past the kernel), paddings, dilations, kernels, channel multipliers, 1-D to 3-D,
    and planes and channels fewer and more than the kernels' chunks of tasks
    (`conv_grad.IG_CHUNKS`, `WG_CHUNKS`)."""
    nd, x_shape, w_shape, kwargs, dtype = _random_strided_depthwise(seed)
    arrays = _arrays(np.random.default_rng(seed), x_shape, w_shape, False, dtype)
    assert compare_with_torch(_conv_call(nd, **kwargs), arrays, torch,
                              grad_mask=[True, True, False]) == 2


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, padding", [((2, 6, 9, 8), 1), ((2, 6, 10, 10), 0)])
def test_strided_depthwise_input_grad_non_finite_weight_as_torch(value, dtype, x_shape,
                                                                 padding, torch):
    """A weight that is not finite: its planes take only the products that land inside
    them (the grid's gaps, which reach the last row and column no output reads when the
    stride leaves them, times inf would be NaN), the others the grid's fast route in the
    same call; torch's values, NaN where torch has NaN."""
    arrays = _arrays(np.random.default_rng(4), x_shape, (12, 1, 3, 3), False, dtype)
    arrays[1][3, 0, 1, 2] = value
    arrays[1][7, 0, 0, 0] = value
    call = _conv_call(2, stride=2, padding=padding, groups=6)
    atol = 1e-9 if dtype == np.float64 else 1e-4
    assert compare_with_torch(call, arrays, torch, atol=atol,
                              grad_mask=[True, False, False]) == 1


@pytest.mark.parametrize("nd, x_shape, w_shape, kwargs", [
    (2, (2, 16, 8, 8), (32, 16, 3, 3), dict(padding=1)),
    (2, (2, 8, 9, 9), (8, 1, 3, 3), dict(stride=2, padding=1, groups=8)),
    (2, (2, 8, 9, 9), (8, 1, 3, 3), dict(padding=1, groups=8)),
    (1, (2, 4, 12), (6, 4, 4), dict(padding="same")),
])
def test_conv_float32_matches_torch(nd, x_shape, w_shape, kwargs, torch):
    arrays = _arrays(np.random.default_rng(2), x_shape, w_shape, True, np.float32)
    assert compare_with_torch(_conv_call(nd, **kwargs), arrays, torch) == 3


def test_conv_transpose_float32_matches_torch(torch):
    arrays = _arrays(np.random.default_rng(3), (2, 16, 5, 6), (16, 8, 3, 3), 8, np.float32)
    call = _transpose_call(2, stride=2, padding=1, output_padding=1)
    assert compare_with_torch(call, arrays, torch) == 3


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("where, dtype", [("input", np.float64),
                                          ("output gradient", np.float32)])
def test_depthwise_non_finite_values_skip_padding_as_torch(stride, where, dtype, torch):
    # an inf at the border: the taps and positions that meet it only through padding stay
    # finite, as torch's (the fast kernels multiply padding and must fall back). Torch's
    # float64 weight gradient multiplies an inf of the output gradient by the padding
    # (NaN) where its float32 one skips it: fastnn skips it in both.
    arrays = _arrays(np.random.default_rng(8), (2, 3, 7, 6), (3, 1, 3, 3), True, dtype)
    scale = np.ones((2, 3, 6 // stride + 1, 5 // stride + 1), dtype)
    if where == "input":
        arrays[0][1, 2, 0, 5] = np.inf
    else:
        scale[0, 1, -1, 0] = np.inf

    def call(lib, x, w, b):
        fn = F.conv2d if lib is fastnn else lib.nn.functional.conv2d
        return fn(x, w, b, stride=stride, padding=1, groups=3) * (
            fastnn.tensor(scale) if lib is fastnn else lib.from_numpy(scale))
    # an explicit atol: the default scales with the largest gradient, here inf
    atol = 1e-9 if dtype == np.float64 else 1e-4
    assert compare_with_torch(call, arrays, torch, atol=atol) == 3


@pytest.mark.parametrize("transposed, x_shape, w_shape, bias", [
    (False, (0, 3, 5, 5), (4, 3, 3, 3), 4),      # empty batch
    (False, (2, 0, 5, 5), (4, 0, 3, 3), 4),      # zero input channels (torch's quirk)
    (True, (0, 4, 5, 5), (4, 3, 3, 3), 3),
])
def test_zero_size_matches_torch(transposed, x_shape, w_shape, bias, torch):
    arrays = _arrays(np.random.default_rng(4), x_shape, w_shape, bias)
    call = (_transpose_call if transposed else _conv_call)(2)
    assert compare_with_torch(call, arrays, torch) >= 1


def test_module_parameters_get_torch_gradients(torch):
    rng = np.random.default_rng(5)
    conv = fastnn.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)
    ref = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2).double()
    conv.double()
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(np.asarray(conv.weight)))
        ref.bias.copy_(torch.from_numpy(np.asarray(conv.bias)))
    x = rng.standard_normal((2, 4, 7, 7))
    (conv(fastnn.tensor(x)) ** 2).sum().backward()
    (ref(torch.from_numpy(x)) ** 2).sum().backward()
    np.testing.assert_allclose(conv.weight.grad, ref.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(conv.bias.grad, ref.bias.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("transposed", [False, True])
def test_only_needed_gradients_are_computed(transposed, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("computed a gradient nobody needs")
    needless = "convolution" if transposed else "input_grad"
    monkeypatch.setattr(_conv_grad, needless, refuse)
    rng = np.random.default_rng(6)
    x = fastnn.tensor(rng.standard_normal((1, 2, 5, 5)))
    w = fastnn.tensor(rng.standard_normal((2, 2, 3, 3)), requires_grad=True)
    y = (F.conv_transpose2d if transposed else F.conv2d)(x, w)
    y.sum().backward()
    assert x.grad is None and w.grad is not None


@pytest.mark.parametrize("transposed, nd, x_shape, w_shape, kwargs", [
    (False, 2, (1, 2, 5, 4), (2, 1, 2, 3), dict(stride=(2, 1), padding=(1, 0), groups=2)),
    (False, 1, (2, 5), (3, 2, 2), dict(padding="same", dilation=1)),
    (True, 2, (1, 2, 3, 3), (2, 2, 2, 3), dict(stride=2, padding=1, output_padding=1)),
    (True, 3, (1, 2, 2, 2, 2), (2, 1, 2, 1, 2), dict(stride=(2, 1, 1), groups=2)),
])
def test_gradients_match_central_differences(transposed, nd, x_shape, w_shape, kwargs):
    bias = w_shape[1] * kwargs.get("groups", 1) if transposed else w_shape[0]
    arrays = _arrays(np.random.default_rng(7), x_shape, w_shape, bias)
    call = (_transpose_call if transposed else _conv_call)(nd, **kwargs)
    assert numerical_check(call, arrays) == 3
