"""kernels/conv_pointwise.py called directly (1x1 convolutions as GEMMs over NCHW rows,
1-D convolutions as one shifted GEMM per tap) against torch and a numpy einsum."""
import numpy as np
import pytest

from fastnn._runtime import launch
from fastnn.kernels import conv_pad
from fastnn.kernels._epilogue import NONE
from fastnn.kernels import conv_pointwise as pw
# has_bias as the layers pass it (an int): a bool would compile the kernel again
from fastnn.nn.functional._conv import _bias_args

torch = pytest.importorskip("torch")

TOL = {np.float32: 1e-4, np.float64: 1e-10}


def run_1x1(x, w, b, stride, parts=1):
    """(N, C, H, W) 1x1 convolution the way the functional layer runs it (strided: each
    task gathers its positions into scratch), its tasks balanced for `parts` threads."""
    n, c, h, wd = x.shape
    k = w.shape[0]
    oh, ow = -(-h // stride), -(-wd // stride)
    pack, span = ((pw.PACK_STRIDED, pw.strided_span(x.dtype.itemsize)) if stride > 1
                  else (pw.IN_PLACE, 0))
    out = np.full((n, k, oh, ow), np.nan, x.dtype)    # every output written
    launch(pw.conv_rows, x.reshape(n, c, -1), w.reshape(k, c, 1), *_bias_args(b, x.dtype),
           out.reshape(n, k, -1), np.zeros(1, np.uint64), pack, span, 1, stride, stride, 0,
           h, wd, oh, ow, parts, NONE)
    return out


def run_1d(x, w, b, stride, padding, dilation, parts=1):
    """(N, C, L) 1-D convolution, each task padding and phasing its positions' rows."""
    n, c, length = x.shape
    k, _, kw = w.shape
    ol = (length + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    span = pw.chunk_span(kw, dilation, stride)
    out = np.full((n, k, ol), np.nan, x.dtype)
    launch(pw.conv_rows, x, w, *_bias_args(b, x.dtype), out,
           conv_pad.tap_offsets(kw, dilation, stride, span), pw.PACK_1D, span, 1, 1, stride,
           padding, 1, length, 1, ol, parts, NONE)
    return out


def einsum_1x1(x, w, b, stride):
    x = x[:, :, ::stride, ::stride].astype(np.float64)
    out = np.einsum("kc,nchw->nkhw", w[:, :, 0, 0].astype(np.float64), x)
    return out if b is None else out + b[:, None, None]


def einsum_1d(x, w, b, stride, padding, dilation):
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (padding, padding)))
    ol = (xp.shape[2] - dilation * (w.shape[2] - 1) - 1) // stride + 1
    out = sum(np.einsum("kc,ncl->nkl", w[:, :, t].astype(np.float64),
                        xp[:, :, t * dilation: t * dilation + stride * (ol - 1) + 1: stride])
              for t in range(w.shape[2]))
    return out if b is None else out + b[:, None]


def check(got, ref, theirs, dtype):
    tol = TOL[dtype]
    scale = max(1.0, float(np.abs(ref).max()))
    np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * scale)
    np.testing.assert_allclose(got, theirs, rtol=tol, atol=tol * scale)


# (N, C, K, H, W, stride): P = 16 (the minimum), 20 (< 32: the 16-wide tile), 32, 63 and
# 3136 (not multiples of 32: an overlapping last tile), K not a multiple of 8, C = 1; tasks
# of long rows (LONG_ROWS_*): 529 positions of 4 samples (whole planes), 1,000 of one
# sample of 100 channels (two runs of 20 tiles)
SHAPES_1X1 = [(2, 5, 13, 4, 4, 1), (1, 3, 8, 4, 5, 1), (2, 1, 9, 4, 8, 1), (1, 17, 3, 7, 9, 1),
              (1, 8, 20, 56, 56, 1), (2, 6, 11, 13, 15, 2), (1, 20, 17, 9, 9, 2),
              (4, 3, 13, 23, 23, 1), (1, 100, 20, 25, 40, 1)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES_1X1)
def test_1x1(shape, dtype):
    n, c, k, h, wd, stride = shape
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    w = rng.standard_normal((k, c, 1, 1)).astype(dtype)
    for b in (None, rng.standard_normal(k).astype(dtype)):
        theirs = torch.nn.functional.conv2d(
            torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b),
            stride=stride).numpy()
        check(run_1x1(x, w, b, stride), einsum_1x1(x, w, b, stride), theirs, dtype)


# (N, C, K, H, W, stride) at batch 1: 196 positions (7 tiles of 32, the last one 16 wide
# where the target's tile is 32), 784 (25 tiles), 49 (2 tiles: one task, its blocks split
# into a run per thread), 196 gathered at stride 2;
# K of 5 blocks of 8 and of 1; 8 samples of 784 positions run as whole planes for 2 and
# 3 threads
SHAPES_PARTS = [(1, 24, 40, 14, 14, 1), (1, 16, 24, 28, 28, 1), (1, 24, 40, 7, 7, 1),
                (1, 20, 40, 27, 27, 2), (1, 9, 3, 14, 14, 1), (2, 24, 40, 14, 14, 1),
                (8, 16, 20, 28, 28, 1)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES_PARTS)
def test_1x1_split_for_threads(shape, dtype):
    """Whichever way the tasks split for 2 or 3 threads (channel runs over every position,
    or chunks of positions), every output is the same sum in the same order."""
    n, c, k, h, wd, stride = shape
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    w = rng.standard_normal((k, c, 1, 1)).astype(dtype)
    b = rng.standard_normal(k).astype(dtype)
    one = run_1x1(x, w, b, stride)
    check(one, einsum_1x1(x, w, b, stride), one, dtype)
    for parts in (2, 3):
        np.testing.assert_array_equal(run_1x1(x, w, b, stride, parts), one)
    x1 = np.ascontiguousarray(x.reshape(n, c, -1)[:, :, :150])
    w1 = rng.standard_normal((k, c, 3)).astype(dtype)
    one = run_1d(x1, w1, b, 1, 1, 2)
    check(one, einsum_1d(x1, w1, b, 1, 1, 2), one, dtype)
    np.testing.assert_array_equal(run_1d(x1, w1, b, 1, 1, 2, parts=2), one)


# (N, C, K, L, kernel, stride, padding, dilation)
SHAPES_1D = [(2, 5, 13, 40, 3, 1, 4, 4), (1, 1, 8, 16, 1, 1, 0, 1), (2, 17, 9, 33, 2, 1, 8, 8),
             (1, 6, 7, 50, 3, 2, 1, 3), (2, 9, 16, 70, 5, 1, 2, 1), (1, 4, 3, 100, 4, 3, 0, 2)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES_1D)
def test_1d(shape, dtype):
    n, c, k, length, kw, stride, padding, dilation = shape
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal((n, c, length)).astype(dtype)
    w = rng.standard_normal((k, c, kw)).astype(dtype)
    for b in (None, rng.standard_normal(k).astype(dtype)):
        theirs = torch.nn.functional.conv1d(
            torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b),
            stride=stride, padding=padding, dilation=dilation).numpy()
        check(run_1d(x, w, b, stride, padding, dilation),
              einsum_1d(x, w, b, stride, padding, dilation), theirs, dtype)


def _with_nonfinite(rng, shape, dtype):
    a = rng.standard_normal(shape).astype(dtype)
    flat = a.reshape(-1)
    spots = rng.choice(flat.size, 3, replace=False)
    flat[spots] = (np.nan, np.inf, -np.inf)
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("where", ["input", "weight"])
def test_nonfinite_like_torch(where, dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 6, 5, 7)).astype(dtype)
    w = rng.standard_normal((10, 6, 1, 1)).astype(dtype)
    x1 = rng.standard_normal((2, 6, 30)).astype(dtype)
    w1 = rng.standard_normal((10, 6, 3)).astype(dtype)
    if where == "input":
        x, x1 = _with_nonfinite(rng, x.shape, dtype), _with_nonfinite(rng, x1.shape, dtype)
    else:
        w, w1 = _with_nonfinite(rng, w.shape, dtype), _with_nonfinite(rng, w1.shape, dtype)
    b = rng.standard_normal(10).astype(dtype)
    tb = torch.from_numpy(b)
    with np.errstate(invalid="ignore"):
        theirs = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), tb)
        np.testing.assert_allclose(run_1x1(x, w, b, 1), theirs.numpy(), rtol=TOL[dtype],
                                   atol=TOL[dtype] * 10, equal_nan=True)
        theirs = torch.nn.functional.conv1d(torch.from_numpy(x1), torch.from_numpy(w1), tb,
                                            padding=2, dilation=2).numpy()
        got = run_1d(x1, w1, b, 1, 2, 2)
        # padding taps multiply the zeros (an inf weight gives NaN there); torch does too in
        # float64 but skips them in float32 (tests/functional/test_nonfinite.py: either is torch's)
        either = np.zeros(got.shape, bool)
        either[:, :, :2] = either[:, :, -2:] = True
        either &= np.isnan(got) != np.isnan(theirs)
        np.testing.assert_allclose(np.where(either, 0, got), np.where(either, 0, theirs),
                                   rtol=TOL[dtype], atol=TOL[dtype] * 10, equal_nan=True)


def test_rows_alias_rule():
    """Rows a multiple of 1 KiB apart, too many channels for long rows (more than 128
    float32 or 64 float64 ones): copied into longer rows."""
    assert pw.rows_alias(129, 256, 4) and pw.rows_alias(2048, 1024, 4)
    assert pw.rows_alias(65, 128, 8)
    assert not pw.rows_alias(128, 256, 4)         # long rows
    assert not pw.rows_alias(64, 4096, 8)
    assert not pw.rows_alias(129, 255, 4) and not pw.rows_alias(1024, 196, 4)


# (N, C, K, H, W, dtype): rows of 1 KiB and 4 KiB, with channels beyond long rows
SHAPES_ALIAS = [(1, 130, 20, 16, 16, np.float32), (2, 129, 9, 32, 32, np.float32),
                (1, 66, 11, 8, 16, np.float64)]


@pytest.mark.parametrize("shape", SHAPES_ALIAS)
def test_1x1_rows_that_alias_are_copied_longer(shape, monkeypatch):
    """A 1x1 layer whose rows alias runs on rows one line longer: the same tiles in the
    same order as on the rows in place (equal bit for bit), and torch's numbers."""
    from fastnn.nn.functional import _conv
    n, c, k, h, wd, dtype = shape
    rng = np.random.default_rng(sum(shape[:5]))
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    w = rng.standard_normal((k, c, 1, 1)).astype(dtype)
    b = rng.standard_normal(k).astype(dtype)
    copies = []

    def padded_rows(rows):
        copies.append(rows.shape)
        return padded(rows)
    padded = _conv._padded_rows
    monkeypatch.setattr(_conv, "_padded_rows", padded_rows)
    out = np.full((n, k, 1, h, wd), np.nan, dtype)
    _conv._run_pointwise(x[:, :, None], w[:, :, None], b, out, (1, 1, 1), (0, 0, 0),
                         (0, 0, 0), (1, 1, 1), 1)
    assert copies == [(n, c, h * wd)]
    np.testing.assert_array_equal(out[:, :, 0], run_1x1(x, w, b, 1))
    theirs = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                        torch.from_numpy(b)).numpy()
    check(out[:, :, 0], einsum_1x1(x, w, b, 1), theirs, dtype)
