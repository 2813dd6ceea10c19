"""F.grid_sample and F.affine_grid against torch (values, gradients, NaN, every error and
warning) and against a torch-free per-point reference."""
import itertools
import math
import warnings
import zlib

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from tests.torch_compare import same_call

MODES = ("bilinear", "nearest", "bicubic")
PADDINGS = ("zeros", "border", "reflection")
TOL = {np.float32: 1e-5, np.float64: 1e-12}


def _case(rng, nd, dtype, scale=1.7):
    xs, gs = ((2, 3, 5, 6), (2, 4, 7, 2)) if nd == 2 else ((2, 3, 4, 5, 6), (2, 3, 4, 5, 3))
    return (rng.standard_normal(xs).astype(dtype),
            (rng.standard_normal(gs) * scale).astype(dtype))


def _sweep():
    dtypes = (np.float32, np.float64)
    for nd, mode, pad, ac, dtype in itertools.product((2, 3), MODES, PADDINGS, (False, True),
                                                      dtypes):
        if not (nd == 3 and mode == "bicubic"):
            yield pytest.param(nd, mode, pad, ac, dtype,
                               id=f"{nd}d-{mode}-{pad}-{ac}-{np.dtype(dtype).name}")


@pytest.mark.parametrize("nd, mode, pad, ac, dtype", list(_sweep()))
def test_matches_torch(torch, nd, mode, pad, ac, dtype):
    rng = np.random.default_rng(zlib.crc32(repr((nd, mode, pad, ac)).encode()))
    x, g = _case(rng, nd, dtype)
    tol = TOL[dtype]
    same_call(lambda lib, a, b: lib.nn.functional.grid_sample(
        a, b, mode=mode, padding_mode=pad, align_corners=ac), x, g, rtol=tol, atol=tol)


@pytest.mark.parametrize("nd, mode, pad, ac", [
    (nd, m, p, ac) for nd, m, p, ac in itertools.product((2, 3), MODES, PADDINGS, (False, True))
    if not (nd == 3 and m == "bicubic")])
def test_gradients_match_torch(torch, nd, mode, pad, ac):
    rng = np.random.default_rng(7)
    x, g = _case(rng, nd, np.float64)
    xt, gt = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, g))
    out = torch.nn.functional.grid_sample(xt, gt, mode=mode, padding_mode=pad, align_corners=ac)
    upstream = rng.standard_normal(out.shape)
    out.backward(torch.from_numpy(upstream))
    xf, gf = (fastnn.tensor(a).requires_grad_() for a in (x, g))
    F.grid_sample(xf, gf, mode=mode, padding_mode=pad, align_corners=ac).backward(
        fastnn.tensor(upstream))
    np.testing.assert_allclose(np.asarray(xf.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.asarray(gf.grad), gt.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("nd", (2, 3))
@pytest.mark.parametrize("ac", (False, True))
def test_affine_grid_and_its_gradient(torch, nd, ac):
    rng = np.random.default_rng(3)
    size = (2, 3, 5, 7) if nd == 2 else (2, 3, 4, 5, 6)
    theta = rng.standard_normal((2, nd, nd + 1))
    same_call(lambda lib, t: lib.nn.functional.affine_grid(t, size, align_corners=ac),
              theta.astype(np.float32), rtol=1e-6, atol=1e-6)
    tt = torch.from_numpy(theta.copy()).requires_grad_()
    x = rng.standard_normal(size)
    torch.nn.functional.grid_sample(torch.from_numpy(x), torch.nn.functional.affine_grid(
        tt, size, align_corners=ac), align_corners=ac).sum().backward()
    tf = fastnn.tensor(theta).requires_grad_()
    F.grid_sample(x, F.affine_grid(tf, size, align_corners=ac), align_corners=ac).sum().backward()
    np.testing.assert_allclose(np.asarray(tf.grad), tt.grad.numpy(), rtol=1e-10, atol=1e-10)


def _exact_grid(nd, ac, dtype):
    """Points on pixel centres and half-way between them (exact in float32)."""
    size = 4
    steps = np.arange(-2, 2 * size + 2) / 2.0                 # pixel coordinates
    coords = steps * 2 / (size - 1) - 1 if ac else (steps * 2 + 1) / size - 1
    pts = np.array(list(itertools.product(coords, repeat=nd)))
    return pts.reshape((1,) + (1,) * (nd - 1) + (len(pts), nd)).astype(dtype)


@pytest.mark.parametrize("nd, mode, pad, ac", [
    (nd, m, p, ac) for nd, m, p, ac in itertools.product((2, 3), MODES, PADDINGS, (False, True))
    if not (nd == 3 and m == "bicubic")])
def test_exact_and_half_way_points(torch, nd, mode, pad, ac):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2) + (4,) * nd).astype(np.float32)
    g = _exact_grid(nd, ac, np.float32)
    same_call(lambda lib, a, b: lib.nn.functional.grid_sample(
        a, b, mode=mode, padding_mode=pad, align_corners=ac), x, g, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("nd, mode, pad, ac", [
    (nd, m, p, ac) for nd, m, p, ac in itertools.product((2, 3), MODES, PADDINGS, (False, True))
    if not (nd == 3 and m == "bicubic")])
def test_non_finite_grid_points(torch, nd, mode, pad, ac):
    """torch's 2-D kernel clips NaN to 0, its 3-D kernel to size - 1; followed."""
    nan, inf = float("nan"), float("inf")
    pts = [[nan] + [0.0] * (nd - 1), [0.0] * (nd - 1) + [nan], [inf] + [0.0] * (nd - 1),
           [-inf] + [0.5] * (nd - 1), [0.3, inf] + [0.0] * (nd - 2), [nan] * nd]
    g = np.array(pts).reshape((1,) + (1,) * (nd - 1) + (len(pts), nd)).astype(np.float32)
    x = np.arange(2 * 4 ** nd, dtype=np.float32).reshape((1, 2) + (4,) * nd)
    same_call(lambda lib, a, b: lib.nn.functional.grid_sample(
        a, b, mode=mode, padding_mode=pad, align_corners=ac), x, g, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layout", ("channels_last", "transposed_grid"))
def test_non_contiguous_inputs(torch, layout):
    rng = np.random.default_rng(5)
    x, g = _case(rng, 2, np.float64)
    if layout == "channels_last":
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    else:
        g = np.ascontiguousarray(g.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)
    want = torch.nn.functional.grid_sample(torch.from_numpy(x), torch.from_numpy(g),
                                           mode="bicubic", padding_mode="reflection",
                                           align_corners=False)
    got = F.grid_sample(x, g, mode="bicubic", padding_mode="reflection", align_corners=False)
    np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-12, atol=1e-12)


def _call(x_shape, g_shape, x_dtype=np.float32, g_dtype=np.float32, **kwargs):
    kwargs.setdefault("align_corners", False)
    x = np.zeros(x_shape, x_dtype)
    g = np.zeros(g_shape, g_dtype)
    return lambda lib, a, b: lib.nn.functional.grid_sample(a, b, **kwargs), x, g


@pytest.mark.parametrize("args", [
    _call((1, 2, 3, 4), (1, 2, 2, 2), mode="foo"),
    _call((1, 2, 3, 4), (1, 2, 2, 2), mode=None),
    _call((1, 2, 3, 4), (1, 2, 2, 2), padding_mode="foo"),
    _call((1, 2, 3, 4), (1, 2, 2, 2), mode="bicubic", padding_mode="foo"),
    _call((1, 2, 3, 4, 5), (1, 2, 2, 2, 3), mode="bicubic"),
    _call((1, 2, 3, 4), (1, 2, 2, 2), g_dtype=np.float64),
    _call((1, 2, 3, 4), (1, 2, 2, 2), x_dtype=np.float64),
    _call((1, 2, 3, 4), (1, 2, 2, 2), g_dtype=np.int32),
    _call((1, 2, 3, 4), (1, 2, 2, 2), x_dtype=np.int32, g_dtype=np.int32),
    _call((1, 2, 3, 4, 5), (1, 2, 2, 2, 3), x_dtype=np.int32, g_dtype=np.int32),
    _call((1, 2, 3, 4), (2, 2, 2, 2)),
    _call((1, 2, 3, 4), (1, 2, 2, 3)),
    _call((1, 2, 3, 4), (1, 2, 2)),
    _call((2, 3), (2, 2, 2)),
    _call((3, 4), (1, 2, 2, 2)),
    _call((1, 2, 3), (1, 2, 1)),
    _call((1, 2, 3, 4, 5), (1, 2, 2, 2)),
    _call((1, 2, 3, 4), (1, 2, 2, 2, 2)),
    _call((1, 2, 3, 4, 5, 6), (1, 2, 2, 2, 2, 4)),
    _call((1, 2, 0, 4), (1, 2, 2, 2)),
    _call((1, 2, 0, 4), (1, 2, 2, 3)),
    _call((1, 2, 3, 4), (), ),
    _call((1, 2, 3, 4), (1, 2, 2, 2), align_corners=1),
    _call((0, 2, 3, 4), (0, 2, 2, 2)),
    _call((1, 0, 3, 4), (1, 2, 2, 2)),
    _call((1, 2, 3, 4), (1, 0, 2, 2), x_dtype=np.float64, g_dtype=np.float64),
])
def test_errors_and_empty_sizes_match_torch(torch, args):
    call, x, g = args
    same_call(call, x, g)


def _affine(theta_shape, size, dtype=np.float32, **kwargs):
    kwargs.setdefault("align_corners", False)
    return lambda lib, t: lib.nn.functional.affine_grid(t, size, **kwargs), \
        np.ones(theta_shape, dtype)


@pytest.mark.parametrize("args", [
    _affine((1, 2, 3), (1, 2, 3, 4, 5)),
    _affine((1, 3, 4), (1, 2, 3, 4)),
    _affine((2, 3), (1, 2, 3, 4)),
    _affine((1, 2, 3), (2, 2, 3, 4)),
    _affine((3, 3, 4), (1, 2, 3, 4, 5)),
    _affine((1, 2, 3), (1, 2, 3)),
    _affine((1, 2, 3), (1, 2, 3, 0)),
    _affine((1, 2, 3), (1, 2, 3, -1)),
    _affine((1, 2, 3), (1, 2, 0, 4), align_corners=True),
    _affine((1, 2, 3), [1, 2, 3, 4]),
    _affine((1, 2, 3), (1, 2, 3, 4), dtype=np.int32),
    _affine((1, 2, 3), (1, 2, 3, 4), align_corners=1),
])
def test_affine_grid_errors_match_torch(torch, args):
    call, theta = args
    same_call(call, theta, rtol=1e-6, atol=1e-6)


def test_align_corners_none_warns_as_torch(torch):
    x = np.zeros((1, 1, 3, 3), np.float32)
    g = np.zeros((1, 2, 2, 2), np.float32)
    messages = []
    for lib in (torch, fastnn):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.nn.functional.grid_sample(lib.from_numpy(x), lib.from_numpy(g))
            lib.nn.functional.affine_grid(lib.from_numpy(np.ones((1, 2, 3), np.float32)),
                                          (1, 1, 3, 3))
            lib.nn.functional.affine_grid(lib.from_numpy(np.ones((1, 2, 3), np.float32)),
                                          (1, 1, 1, 3), align_corners=True)
        messages.append([(str(w.message), w.category, w.filename) for w in caught])
    assert [m[:2] for m in messages[0]] == [m[:2] for m in messages[1]]
    assert len(messages[1]) == 3 and all(f == __file__ for _, _, f in messages[1])


def test_nothing_warns_when_align_corners_is_given():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(np.zeros((1, 1, 3, 3)), np.zeros((1, 2, 2, 2)), align_corners=False)


# ---------------------------------------------------------------- torch-free reference

def _reference(x, g, mode, align_corners):
    """Per point, zeros padding: bilinear from the four corners, nearest rounding halves to
    even (np.rint)."""
    n_, c_, h_, w_ = x.shape
    out = np.zeros((n_, c_) + g.shape[1:3], x.dtype)
    for n, i, j in itertools.product(range(n_), range(g.shape[1]), range(g.shape[2])):
        gx, gy = (float(v) for v in g[n, i, j])
        if align_corners:
            px, py = (gx + 1) / 2 * (w_ - 1), (gy + 1) / 2 * (h_ - 1)
        else:
            px, py = ((gx + 1) * w_ - 1) / 2, ((gy + 1) * h_ - 1) / 2
        taps = ([(int(np.rint(py)), int(np.rint(px)), 1.0)] if mode == "nearest" else
                [(math.floor(py) + dy, math.floor(px) + dx,
                  (1 - abs(py - math.floor(py) - dy)) * (1 - abs(px - math.floor(px) - dx)))
                 for dy in (0, 1) for dx in (0, 1)])
        for yy, xx, w in taps:
            if 0 <= yy < h_ and 0 <= xx < w_:
                out[n, :, i, j] += w * x[n, :, yy, xx]
    return out


@pytest.mark.parametrize("mode", ("bilinear", "nearest"))
@pytest.mark.parametrize("ac", (False, True))
def test_matches_a_numpy_reference(mode, ac):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 5, 6))
    g = rng.uniform(-1.4, 1.4, (2, 4, 3, 2))
    got = F.grid_sample(x, g, mode=mode, align_corners=ac)
    assert isinstance(got, fastnn.Tensor)
    np.testing.assert_allclose(np.asarray(got), _reference(x, g, mode, ac), rtol=1e-12,
                               atol=1e-12)


def test_affine_identity_grid_resamples_to_the_input():
    x = np.random.default_rng(2).standard_normal((1, 2, 5, 7))
    theta = np.array([[[1.0, 0, 0], [0, 1, 0]]])
    for ac in (False, True):
        grid = F.affine_grid(theta, x.shape, align_corners=ac)
        np.testing.assert_allclose(np.asarray(F.grid_sample(x, grid, align_corners=ac)), x,
                                   rtol=1e-12, atol=1e-12)
