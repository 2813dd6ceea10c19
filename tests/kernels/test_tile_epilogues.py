"""Fused epilogues of the register-tiled kernels (kernels/_epilogue.py).

Each family's kernel gets the very arguments the functional layer gives it for a plain
call (recorded, not run, as the codegen probe does) but the relu or relu6 epilogue code,
and must give torch's relu(conv(...)) / relu(linear(...)), and bit for bit relu of the
plain call's output: the arithmetic is the same, only the store differs; and one compiled
kernel serves both. Inputs hold a NaN (relu(NaN) = NaN, which max(x, 0) may drop) and a
-inf.
"""
import inspect

import numpy as np
import pytest
from numba import njit

import fastnn.nn.functional as F
from codegen_probe import recorded_launches
from fastnn._runtime import _call
from fastnn.kernels import (_epilogue, _shapes, tiles_blocked, tiles_depthwise,
                            tiles_direct, tiles_gemm, tiles_gemm_packed, tiles_grouped,
                            tiles_pointwise)
from kernel_args import kernel_argument

TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}

# (family, op, variant, shapes of input / weight / bias, keywords, the tiled kernel)
CASES = [
    ("blocked", "conv2d", "blocked", ((1, 16, 9, 9), (20, 16, 3, 3), (20,)),
     dict(padding=1), "conv3d_blocked"),
    # a 2 KiB plane: the tiles store through the kernel's stage (`stage_pays`)
    ("blocked_staged", "conv2d", "blocked", ((1, 16, 16, 32), (20, 16, 3, 3), (20,)),
     dict(padding=1), "conv3d_blocked"),
    ("direct", "conv2d", "direct", ((1, 3, 17, 19), (7, 3, 7, 7), (7,)),
     dict(stride=2, padding=3), "conv3d_direct"),
    ("direct_wide", "conv2d", "direct", ((1, 4, 9, 11), (13, 4, 3, 3), None),
     dict(padding=1), "conv3d_direct"),
    ("pointwise", "conv2d", "pointwise", ((1, 16, 5, 7), (12, 16, 1, 1), (12,)), {},
     "conv_rows"),
    ("depthwise_h3", "conv2d", "depthwise", ((1, 4, 10, 19), (4, 1, 3, 3), (4,)),
     dict(padding=1, groups=4), "conv3d_depthwise"),
    ("depthwise_rows", "conv2d", "depthwise", ((1, 3, 13, 12), (3, 1, 3, 3), (3,)),
     dict(stride=2, padding=1, groups=3), "conv3d_depthwise"),
    ("depthwise_blocked", "conv2d", "depthwise_blocked",
     ((1, 20, 9, 11), (20, 1, 3, 3), (20,)), dict(stride=2, padding=1, groups=20),
     "conv2d_depthwise_blocked"),
    # stride 1 along rows of 8 or more: the sliding tile (32 vector registers)
    ("depthwise_blocked_sliding", "conv2d", "depthwise_blocked",
     ((1, 20, 6, 13), (20, 1, 5, 5), (20,)), dict(padding=2, groups=20),
     "conv2d_depthwise_blocked"),
    ("grouped", "conv2d", "grouped_h3", ((1, 16, 6, 10), (16, 4, 3, 3), (16,)),
     dict(padding=1, groups=4), "conv3d_grouped_h3"),
    ("gemm", "linear", "numba_gemm", ((7, 33), (10, 33), (10,)), {}, "gemm_nt"),
    # a last block of rows cut short, a last panel overlapping the one before it
    ("gemm_packed", "linear", "packed", ((29, 33), (40, 33), (40,)), {}, "gemm_packed"),
]


def _inputs(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    x, w, b = (None if s is None else rng.standard_normal(s).astype(dtype) for s in shapes)
    x.reshape(-1)[3] = np.nan
    x.reshape(-1)[-5] = -np.inf
    return x, w, b


def _run(op, variant, x, w, b, kwargs, name, epilogue):
    """`op` through the functional layer, its tiled kernel `name` given the code of
    `epilogue` (its last argument): the output, and how many signatures the kernel has
    compiled."""
    args = (x, w) if b is None else (x, w, b)
    launches = recorded_launches(op, variant, args, kwargs)
    result = None
    for kernel, kernel_args in launches:
        if kernel.__name__ == name:
            assert kernel_args[-1] == _epilogue.NONE
            kernel_args = (*kernel_args[:-1], _epilogue.code(epilogue))
            result = kernel_argument(kernel, kernel_args, "out"), kernel
        _call(kernel, kernel_args)
    assert result is not None, f"{name} was not launched"
    out, kernel = result
    return out, len(kernel.signatures)


def _torch_activation(torch, op, x, w, b, kwargs, epilogue):
    t = [None if a is None else torch.from_numpy(a) for a in (x, w, b)]
    activation = torch.relu if epilogue == "relu" else torch.nn.functional.relu6
    return activation(getattr(torch.nn.functional, op)(*t, **kwargs)).numpy()


# what the tiles do to the plain output: NaN and -0.0 kept; relu6 clamps at 6 too
_OF_PLAIN = {"relu": lambda v: np.where(v < 0, v.dtype.type(0), v),
             "relu6": lambda v: np.where(v < 0, v.dtype.type(0),
                                         np.where(v > 6, v.dtype.type(6), v))}


# float32 only: float64 runs the same generated source
@pytest.mark.parametrize("dtype", [np.float32])
@pytest.mark.parametrize("epilogue", ["relu", "relu6"])
@pytest.mark.parametrize("family, op, variant, shapes, kwargs, name", CASES,
                         ids=[case[0] for case in CASES])
def test_epilogue_matches_torch(torch, family, op, variant, shapes, kwargs, name, epilogue,
                                dtype):
    x, w, b = _inputs(shapes, dtype, seed=len(family))
    fused, compiled = _run(op, variant, x, w, b, kwargs, name, epilogue)
    plain, compiled_after = _run(op, variant, x, w, b, kwargs, name, "none")
    assert compiled_after == compiled       # no kernel compiled per epilogue
    fused, plain = fused.reshape(-1), plain.reshape(-1)
    expected = _torch_activation(torch, op, x, w, b, kwargs, epilogue).reshape(-1)
    assert np.isnan(fused).any() and (expected == 0).any() and (plain < 0).any()
    if epilogue == "relu6":
        assert (plain > 6).any() and (expected == 6).any()
    np.testing.assert_array_equal(np.isnan(fused), np.isnan(expected))
    np.testing.assert_allclose(fused, expected, **TOL[dtype])
    assert fused.tobytes() == _OF_PLAIN[epilogue](plain).tobytes()


def test_plain_output_keeps_negative_values():
    """A plain call applies no epilogue after a fused one ran."""
    x, w, b = _inputs(((1, 3, 17, 19), (7, 3, 7, 7), (7,)), np.float32, seed=1)
    _run("conv2d", "direct", x, w, b, dict(stride=2, padding=3), "conv3d_direct", "relu")
    assert (np.asarray(F.conv2d(x, w, b, stride=2, padding=3)) < 0).any()


def test_epilogue_codes():
    assert [_epilogue.code(name) for name in _epilogue.EPILOGUES] == [
        _epilogue.NONE, _epilogue.RELU, _epilogue.RELU6]
    with pytest.raises(ValueError, match="unknown epilogue 'gelu'"):
        _epilogue.code("gelu")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("epilogue", ["relu", "relu6"])
def test_clamp_keeps_nan_and_signed_zero(torch, epilogue, dtype):
    """The compiled clamp, to the compiled ceiling of each epilogue, is torch's activation
    bit for bit (NaN kept, -0.0 kept, inf clamped by relu6 only)."""
    values = np.array([-1.5, -0.0, 0.0, 2.0, 6.0, 6.5, np.nan, -np.inf, np.inf], dtype)
    got = _clamp_all(values, _epilogue.code(epilogue))
    expected = getattr(torch.nn.functional, epilogue)(torch.from_numpy(values)).numpy()
    assert got.dtype == dtype and got.tobytes() == expected.tobytes()


@njit
def _clamp_all(values, epilogue):
    out = np.empty_like(values)
    hi = _epilogue.ceiling(epilogue, values.dtype)
    for i in range(values.size):
        out[i] = _epilogue.clamp(values[i], hi)
    return out


def test_every_shape_is_generated_with_an_epilogue_argument():
    wanted = {tiles_direct: _shapes.direct_shapes(), tiles_gemm: _shapes.gemm_shapes(),
              tiles_depthwise: _shapes.depthwise_shapes(),
              tiles_blocked: _shapes.blocked_shapes(),
              tiles_grouped: _shapes.grouped_shapes(),
              tiles_pointwise: _shapes.pointwise_shapes(),
              tiles_gemm_packed: _shapes.gemm_packed_shapes()}
    for module, shapes in wanted.items():
        assert set(module.TILES) == shapes, module.__name__
        for tile in module.TILES.values():
            assert list(inspect.signature(tile.py_func).parameters)[-1] == "epilogue"
    for bits in _shapes.BITS:
        for size in _shapes.ITEMSIZES:
            assert _shapes.direct_shape(bits, size) in tiles_direct.TILES
            assert _shapes.gemm_shape(bits, size) in tiles_gemm.TILES
            assert _shapes.gemm_packed_shape(bits, size) in tiles_gemm_packed.TILES
