"""The register-tiled conv variants ('blocked', 'grouped_h3', 'pointwise') against torch
and numpy."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import backends
from reference_conv import conv_reference

TOL = {np.float32: 2e-4, np.float64: 1e-10}


def cases(variant, seed, count=24):
    """Seeded random convolutions the variant applies to: dims, channels that are and are
    not multiples of 16, stride, dilation, padding, groups, bias, both dtypes."""
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
        if variant == "grouped_h3":
            args["stride"] = args["stride"][:-2] + (1,) + args["stride"][-1:]
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


@pytest.mark.parametrize("variant", ["blocked", "grouped_h3", "pointwise"])
def test_against_torch(torch, variant):
    for nd, x, w, b, args in cases(variant, seed=len(variant)):
        with backends.use(f"conv{nd}d", variant):
            result = getattr(F, f"conv{nd}d")(x, w, b, **args)
        expected = getattr(torch.nn.functional, f"conv{nd}d")(
            torch.from_numpy(x), torch.from_numpy(w),
            None if b is None else torch.from_numpy(b), **args).numpy()
        assert isinstance(result, fastnn.Tensor) and result.dtype == x.dtype
        tol = TOL[x.dtype.type]
        np.testing.assert_allclose(result, expected, rtol=tol, atol=tol, err_msg=str(args))


@pytest.mark.parametrize("variant", ["blocked", "grouped_h3", "pointwise"])
def test_against_numpy_reference(variant):
    for nd, x, w, b, args in cases(variant, seed=100 + len(variant), count=6):
        with backends.use(f"conv{nd}d", variant):
            result = getattr(F, f"conv{nd}d")(x, w, b, **args)
        tol = TOL[x.dtype.type]
        np.testing.assert_allclose(result, conv_reference(x, w, b, **args), rtol=tol,
                                   atol=tol)


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


def test_default_rule_picks_them():
    x = np.zeros((1, 64, 14, 14), np.float32)
    dense = np.zeros((64, 64, 3, 3), np.float32)
    assert backends.current("conv2d", x, dense, padding=1) == "direct"   # 196 positions
    assert backends.current("conv2d", np.zeros((1, 64, 28, 28), np.float32), dense,
                            padding=1) == "blocked"
    assert backends.current("conv2d", x, np.zeros((128, 2, 3, 3), np.float32), padding=1,
                            groups=32) == "grouped_h3"
    assert backends.current("conv1d", np.zeros((1, 64, 50), np.float32),
                            np.zeros((64, 64, 3), np.float32)) == "pointwise"
    assert backends.current("conv1d", np.zeros((1, 64, 17), np.float32),
                            np.zeros((64, 64, 3), np.float32)) == "direct"   # 15 positions
    with pytest.raises(ValueError, match="it needs groups=1"):
        with backends.use("conv2d", "blocked"):
            F.conv2d(x, np.zeros((64, 2, 3, 3), np.float32), groups=32)
