"""The weight gradient of convolutions with few input channels, taps gathered from the
padded input (kernels/conv_weight_grad_gather.py, `_conv_grad._weight_grad_gather`):
against torch over seeded random arguments with the path forced, runs of positions cut
short and a batch run a sample at a time, against the im2col path without torch (also on
inf and NaN), and the rule that picks it."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn.kernels import conv_weight_grad_gather as _gather
from fastnn.nn.functional import _conv_grad

TOL = {np.float32: 1e-4, np.float64: 1e-10}


def _random_case(seed):
    """(nd, x shape, w shape, keywords, dtype) of a dense convolution with few input
    channels: every stride, padding and dilation, output channels on either side of a
    tile's 64."""
    rng = np.random.default_rng(seed)
    nd = int(rng.integers(1, 4))
    kernel = tuple(int(v) for v in rng.integers(1, 6 if nd < 3 else 4, nd))
    stride = tuple(int(v) for v in rng.integers(1, 4, nd))
    dilation = tuple(int(v) for v in rng.integers(1, 3, nd))
    padding = tuple(int(v) for v in rng.integers(0, 4, nd))
    reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    spatial = tuple(max(1, r - 2 * p) + int(rng.integers(0, 12 if nd < 3 else 5))
                    for r, p in zip(reach, padding))
    n, c, k = int(rng.integers(1, 4)), int(rng.integers(1, 16)), int(rng.integers(1, 90))
    dtype = np.float32 if rng.random() < 0.5 else np.float64
    keywords = dict(stride=stride, padding=padding, dilation=dilation)
    return nd, (n, c) + spatial, (k, c) + kernel, keywords, dtype


def _weight_grad(lib, nd, x, w, g, keywords):
    """The weight gradient of conv{nd}d(x, w) for the output gradient g, through autograd."""
    if lib is fastnn:
        xt, wt = fastnn.tensor(x), fastnn.tensor(w, requires_grad=True)
        F.__dict__[f"conv{nd}d"](xt, wt, **keywords).backward(fastnn.tensor(g))
        return wt.grad.numpy()
    xt, wt = lib.from_numpy(x), lib.from_numpy(w).requires_grad_()
    getattr(lib.nn.functional, f"conv{nd}d")(xt, wt, **keywords).backward(lib.from_numpy(g))
    return wt.grad.numpy()


def _spied(monkeypatch):
    """Force the gathered path; the list records each of its calls."""
    ran = []
    run = _conv_grad._weight_grad_gather

    def spy(*args):
        ran.append(True)
        return run(*args)
    monkeypatch.setattr(_conv_grad, "_gather_pays", lambda *args: True)
    monkeypatch.setattr(_conv_grad, "_weight_grad_gather", spy)
    return ran


@pytest.mark.parametrize("cut", ["none", "runs", "passes"])
@pytest.mark.parametrize("seed", range(16))
def test_random_arguments_match_torch(seed, cut, torch, monkeypatch):
    # "runs": tasks of 3 positions cut every output row; "passes" pads and runs one
    # sample at a time, adding into the sums of the last
    nd, x_shape, w_shape, keywords, dtype = _random_case(seed)
    rng = np.random.default_rng(seed + 100)
    x, w = (rng.standard_normal(s).astype(dtype) for s in (x_shape, w_shape))
    out_shape = F.__dict__[f"conv{nd}d"](x, w, **keywords).shape
    g = rng.standard_normal(out_shape).astype(dtype)
    ran = _spied(monkeypatch)
    if cut == "runs":
        monkeypatch.setattr(_gather, "segment_length", lambda kp, itemsize: 3)
    if cut == "passes":
        monkeypatch.setattr(_conv_grad, "COLS_MAX", 1)
    ours = _weight_grad(fastnn, nd, x, w, g, keywords)
    assert ran == [True]
    theirs = _weight_grad(torch, nd, x, w, g, keywords)
    scale = np.abs(theirs).max()
    np.testing.assert_allclose(ours, theirs, rtol=TOL[dtype], atol=TOL[dtype] * scale)


def _five(nd, x_shape, w_shape, keywords):
    """(x, g, weight shape, stride, padding, dilation) of a case, 5-D, float64."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(x_shape)
    out = F.__dict__[f"conv{nd}d"](x, rng.standard_normal(w_shape), **keywords)
    g = rng.standard_normal(out.shape)
    lead = (1,) * (3 - nd)
    x5, g5 = (a.reshape(a.shape[:2] + lead + a.shape[2:]) for a in (x, g))
    w5 = w_shape[:2] + lead + w_shape[2:]
    stride, padding, dilation = ((1,) * (3 - nd) + tuple(keywords[name])
                                 for name in ("stride", "padding", "dilation"))
    return x5, g5, w5, stride, tuple(p if i >= 3 - nd else 0 for i, p in enumerate(padding)), \
        dilation


@pytest.mark.parametrize("seed", range(6))
def test_equals_the_im2col_path_without_torch(seed):
    x, g, w_shape, stride, padding, dilation = _five(*_random_case(seed)[:4])
    gathered, im2col = np.empty(w_shape), np.empty(w_shape)
    _conv_grad._weight_grad_gather(x, g, gathered, stride, padding, dilation)
    _conv_grad._weight_grad_gemm(x, g, im2col, stride, padding, dilation, 1)
    np.testing.assert_allclose(gathered, im2col, rtol=1e-12,
                               atol=1e-12 * np.abs(im2col).max())


@pytest.mark.parametrize("where, value", [("input", np.inf), ("input", np.nan),
                                          ("grad", np.inf), ("grad", -np.inf)])
def test_inf_and_nan_as_on_the_im2col_path(where, value):
    """Padding taps are multiplied like any other, as the im2col path multiplies them: the
    same taps come out inf or NaN (a sum holding inf and NaN is order-free)."""
    x, g, w_shape, stride, padding, dilation = _five(
        2, (2, 3, 9, 11), (20, 3, 3, 3), dict(stride=(2, 1), padding=(1, 2),
                                              dilation=(1, 1)))
    (x if where == "input" else g)[1, 2, 0, 0, 3] = value
    gathered, im2col = np.empty(w_shape), np.empty(w_shape)
    _conv_grad._weight_grad_gather(x, g, gathered, stride, padding, dilation)
    _conv_grad._weight_grad_gemm(x, g, im2col, stride, padding, dilation, 1)
    assert not np.isfinite(im2col).all()
    np.testing.assert_array_equal(np.isnan(gathered), np.isnan(im2col))
    np.testing.assert_array_equal(np.isposinf(gathered), np.isposinf(im2col))
    finite = np.isfinite(im2col)
    np.testing.assert_allclose(gathered[finite], im2col[finite], rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("w_shape, row, groups, expected", [
    ((64, 3, 1, 7, 7), 112, 1, True),       # ResNet's stem
    ((64, 15, 1, 3, 3), 12, 1, True),
    ((64, 6, 1, 5, 5), 10, 1, False),       # rows too short
    ((64, 16, 1, 3, 3), 56, 1, False),      # lanes enough for the shifted and im2col paths
    ((16, 6, 1, 5, 5), 10, 1, False),       # LeNet's: most of the tile's lanes idle
    ((64, 3, 1, 3, 3), 56, 2, False),       # grouped
])
def test_rule(w_shape, row, groups, expected, monkeypatch):
    monkeypatch.setattr(_gather, "padded_channels", lambda k, itemsize: 64)
    g_shape = (8, w_shape[0], 1, row, row)
    assert _conv_grad._gather_pays(w_shape, g_shape, groups, 4) is expected
