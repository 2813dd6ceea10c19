"""F.layer_norm, F.group_norm, F.instance_norm against torch: seeded sweeps over every
argument, large means, NaN confined to its row, every error path."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from torch_compare import assert_like_torch, raises_like

TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}
DTYPES = [np.float32, np.float64]


def tt(torch, x, exact=False):
    """x as a torch tensor; `exact`: in float64, for the cases where torch's own float32
    statistics lose more than the tolerance (means near 1e3 over a small spread), so that
    fastnn's (float64) statistics are compared with the exact answer instead."""
    if x is None:
        return None
    x = np.array(x)
    return torch.from_numpy(x.astype(np.float64) if exact else x)


def _far_from_zero(mean, dtype, count):
    """Whether a case with this mean is kept: float32 rows of a few elements far from 0
    are ill-conditioned beyond float32 (torch's own answer is off by more than 1e-4), so
    large means are tried on rows of at least 16 elements."""
    return abs(mean) < 100 or count >= 16 or dtype == np.float64


def _data(rng, shape, dtype, mean=0.0, scale=1.0):
    return (rng.standard_normal(shape) * scale + mean).astype(dtype)


def _check(out, expected, dtype):
    assert isinstance(out, fastnn.Tensor) and out.dtype == dtype
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out, expected.numpy().astype(dtype), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_sweep(torch, rng, dtype):
    cases = [((4, 7), (7,)), ((2, 3, 5), (3, 5)), ((2, 3, 4, 5), (5,)), ((6,), (6,)),
             ((2, 3, 4), (2, 3, 4)), ((3, 9000), (9000,)), ((1, 2, 20000), (2, 20000))]
    for shape, normalized in cases:
        for affine, with_bias, eps, mean in [(True, True, 1e-5, 0.0), (True, False, 1e-3, 1e3),
                                             (False, False, 0.5, -3.0), (False, True, 0.0, 1.0)]:
            if not _far_from_zero(mean, dtype, np.prod(normalized)):
                continue
            x = _data(rng, shape, dtype, mean, 2.0)
            w = _data(rng, normalized, dtype) if affine else None
            b = _data(rng, normalized, dtype) if with_bias else None
            out = F.layer_norm(x, list(normalized), w, b, eps)
            e = abs(mean) > 100
            expected = torch.nn.functional.layer_norm(tt(torch, x, e), normalized,
                                                      tt(torch, w, e), tt(torch, b, e), eps)
            _check(out, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_group_norm_sweep(torch, rng, dtype):
    cases = [((2, 6, 5), 3), ((3, 4), 2), ((2, 8, 3, 4), 4), ((1, 6, 2, 3, 2), 1),
             ((2, 4, 3, 3), 4), ((1, 32, 40, 40), 8), ((1, 4, 100, 100), 2)]
    for shape, groups in cases:
        channels = shape[1]
        for affine, with_bias, eps, mean in [(True, True, 1e-5, 0.0), (True, False, 1e-2, 1e3),
                                             (False, True, 0.3, -5.0), (False, False, 0.0, 0.0)]:
            if not _far_from_zero(mean, dtype, np.prod(shape[1:]) // groups):
                continue
            x = _data(rng, shape, dtype, mean, 3.0)
            w = _data(rng, channels, dtype) if affine else None
            b = _data(rng, channels, dtype) if with_bias else None
            out = F.group_norm(x, groups, w, b, eps)
            e = abs(mean) > 100
            expected = torch.nn.functional.group_norm(tt(torch, x, e), groups, tt(torch, w, e),
                                                      tt(torch, b, e), eps)
            _check(out, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 2, 4, 5), (2, 2, 2, 3, 4), (1, 3, 70, 70)])
def test_instance_norm_sweep(torch, rng, dtype, shape):
    channels = shape[1]
    for stats, use_input, affine, momentum, eps, mean in [
            (False, True, False, 0.1, 1e-5, 0.0), (True, True, True, 0.3, 1e-3, 1e3),
            (True, False, True, 0.1, 1e-5, 2.0), (True, True, False, 0.0, 0.2, -1.0),
            (False, True, True, 1.0, 0.0, 0.0), (True, False, False, 0.5, 0.1, 0.0)]:
        if not _far_from_zero(mean, dtype, np.prod(shape[2:])):
            continue
        x = _data(rng, shape, dtype, mean, 2.0)
        w = _data(rng, channels, dtype) if affine else None
        b = _data(rng, channels, dtype) if affine else None
        rm = _data(rng, channels, dtype) if stats else None
        rv = (rng.random(channels) + 0.5).astype(dtype) if stats else None
        e = abs(mean) > 100
        trm, trv = tt(torch, rm, e), tt(torch, rv, e)
        out = F.instance_norm(x, rm, rv, w, b, use_input, momentum, eps)
        expected = torch.nn.functional.instance_norm(tt(torch, x, e), trm, trv, tt(torch, w, e),
                                                     tt(torch, b, e), use_input, momentum, eps)
        _check(out, expected, dtype)
        if stats:
            np.testing.assert_allclose(rm, trm.numpy(), **TOL[dtype])
            np.testing.assert_allclose(rv, trv.numpy(), **TOL[dtype])


def test_instance_norm_running_stats_of_another_dtype(torch, rng):
    x = _data(rng, (2, 3, 6), np.float32)
    rm, rv = np.zeros(3), np.ones(3)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    out = F.instance_norm(x, rm, rv, momentum=0.4)
    _check(out, torch.nn.functional.instance_norm(tt(torch, x), trm, trv, momentum=0.4),
           np.float32)
    np.testing.assert_allclose(rm, trm.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(rv, trv.numpy(), rtol=1e-6, atol=1e-7)


def test_instance_norm_updates_torch_tensors_in_place(torch, rng):
    x = _data(rng, (3, 2, 8), np.float32)
    before = x.copy()
    rm, rv = torch.zeros(2), torch.ones(2)
    F.instance_norm(x, rm, rv, momentum=0.5)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(rm.numpy(), 0.5 * x.mean(axis=(0, 2)), rtol=1e-5, atol=1e-6)


def test_float32_statistics_are_exact_for_large_means(torch, rng):
    """Values near 1e4 with unit spread: float64 statistics give what float64 gives."""
    x = _data(rng, (4, 8, 300), np.float32, 1e4, 1.0)
    exact = torch.nn.functional.group_norm(tt(torch, x.astype(np.float64)), 4)
    np.testing.assert_allclose(F.group_norm(x, 4), exact.numpy(), rtol=0, atol=2e-3)
    exact = torch.nn.functional.layer_norm(tt(torch, x.astype(np.float64)), (300,))
    np.testing.assert_allclose(F.layer_norm(x, (300,)), exact.numpy(), rtol=0, atol=2e-3)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nonfinite_stays_in_its_row(torch, value):
    x = np.random.default_rng(1).standard_normal((2, 4, 30)).astype(np.float32)
    x[0, 1, 7] = value
    tx = tt(torch, x)
    calls = [(lambda a: F.group_norm(a, 2), lambda a: torch.nn.functional.group_norm(a, 2)),
             (lambda a: F.layer_norm(a, (30,)), lambda a: torch.nn.functional.layer_norm(a, (30,))),
             (lambda a: F.instance_norm(a), lambda a: torch.nn.functional.instance_norm(a)),
             (lambda a: F.local_response_norm(a, 3),
              lambda a: torch.nn.functional.local_response_norm(a, 3))]
    for ours, theirs in calls:
        out = np.asarray(ours(x))
        expected = theirs(tx).numpy()
        np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4, equal_nan=True)
        assert np.isfinite(out[1]).all()


def test_long_rows_split_into_pieces_match(torch, rng):
    """Few long rows run as pieces over the threads; the result is the same as torch's."""
    x = _data(rng, (1, 2, 50000), np.float64, 5.0)
    _check(F.group_norm(x, 2), torch.nn.functional.group_norm(tt(torch, x), 2), np.float64)
    _check(F.layer_norm(x, (50000,)),
           torch.nn.functional.layer_norm(tt(torch, x), (50000,)), np.float64)
    w, b = _data(rng, (50000,), np.float64), _data(rng, (50000,), np.float64)
    _check(F.layer_norm(x, (50000,), w, b),
           torch.nn.functional.layer_norm(tt(torch, x), (50000,), tt(torch, w), tt(torch, b)),
           np.float64)
    _check(F.instance_norm(x), torch.nn.functional.instance_norm(tt(torch, x)), np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 96, 7, 9), (2, 13, 5, 6), (3, 40, 17), (1, 8, 3, 3, 5)])
def test_layer_norm_of_a_channels_last_view(torch, rng, dtype, shape):
    """ConvNeXt's ``x.permute(0, 2, 3, 1)`` then LayerNorm(C): the view is read as it is
    (kernels/normalization.py's layer_norm_columns), with torch's values and bit for bit
    the values of its contiguous copy; a NaN stays in its position's row."""
    x = _data(rng, shape, dtype, 3.0)
    x[0, 1, 2] = np.nan
    moved = (0,) + tuple(range(2, len(shape))) + (1,)
    view = fastnn.tensor(x).permute(*moved)
    c = shape[1]
    for w, b in ((None, None), (_data(rng, (c,), dtype), _data(rng, (c,), dtype))):
        got = F.layer_norm(view, (c,), w, b, eps=1e-6)
        expected = torch.nn.functional.layer_norm(
            tt(torch, x).permute(*moved), (c,), tt(torch, w), tt(torch, b), eps=1e-6)
        _check(got, expected, dtype)
        copied = F.layer_norm(fastnn.tensor(np.ascontiguousarray(view)), (c,), w, b,
                              eps=1e-6)
        np.testing.assert_array_equal(np.asarray(got), np.asarray(copied))
        assert np.isnan(np.asarray(got)[0, 2]).all()
        assert np.isfinite(np.asarray(got)[0, 1]).all()


@pytest.mark.parametrize("layout", ["fortran", "byteswapped", "strided", "readonly"])
def test_unusual_layouts(rng, layout):
    x = rng.standard_normal((2, 4, 5, 6))
    if layout == "fortran":
        arg = np.asfortranarray(x)
    elif layout == "byteswapped":
        arg = x.astype(x.dtype.newbyteorder(">"))
    elif layout == "strided":
        big = np.zeros((2, 8, 5, 12))
        big[:, ::2, :, ::2] = x
        arg = big[:, ::2, :, ::2]
    else:
        arg = x.copy()
        arg.flags.writeable = False
    for fn in (lambda a: F.group_norm(a, 2), lambda a: F.layer_norm(a, (5, 6)),
               lambda a: F.instance_norm(a), lambda a: F.local_response_norm(a, 2)):
        np.testing.assert_allclose(fn(arg), fn(x), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("shape", [(0, 3, 4), (2, 0, 4), (2, 3, 0)])
def test_empty_inputs_like_torch(torch, shape):
    x = np.zeros(shape, np.float32)
    tx = tt(torch, x)
    tnf = torch.nn.functional
    assert_like_torch(lambda: F.group_norm(x, 3), lambda: tnf.group_norm(tx, 3))
    assert_like_torch(lambda: F.instance_norm(x), lambda: tnf.instance_norm(tx))
    assert_like_torch(lambda: F.layer_norm(x, shape[-1:]), lambda: tnf.layer_norm(tx, shape[-1:]))
    assert_like_torch(lambda: F.local_response_norm(x, 2),
                      lambda: tnf.local_response_norm(tx, 2))


# ------------------------------------------------------------------ errors

def _errors(torch, rng):
    f32, f64 = np.float32, np.float64
    x = rng.standard_normal((2, 3, 4)).astype(f32)

    def a(shape, dtype=f32):
        return np.ones(shape, dtype)

    layer = [((x, [5]), {}), ((x, [3, 5]), {}), ((x, []), {}), ((x, 4), {}), ((x, "4"), {}),
             ((x, (4,), a(5)), {}), ((x, (4,), None, a(5)), {}), ((x, (4,), a((2, 2))), {}),
             ((x, (2, 3, 4, 1)), {}), ((x, [4.0]), {}), ((x, (True,)), {}), ((x, [-4]), {}),
             ((x, (4,), 3), {}), ((x, (4,), None, 5), {}), ((x, (4,)), dict(eps="a")),
             ((x[0, 0, 0, ...], (1,)), {}), ((x[0, 0, 0, ...], ()), {})]
    group = [((x, 2), {}), ((x, 0), {}), ((x, -1), {}), ((x, 4), {}), ((x[0, 0], 1), {}),
             ((x, 3, a(2)), {}), ((x, 3, None, a(2)), {}), ((x, 3, a(3), a(2)), {}),
             ((x, 3, a((1, 3))), {}), ((x[:1, :, :1], 3), {}), ((x[:1, :, 0], 3), {}),
             ((x, 1.0), {}), ((x, True), {}), ((x, "a"), {}), ((x, 3, 5), {}),
             ((x, 3, None, 5), {}), ((x, 3), dict(eps="a"))]
    instance = [((x[:, :, :1],), {}), ((x[0],), {}), ((x[0, 0],), {}),
                ((x, a(3), None), {}), ((x, None, a(3)), {}), ((x,), dict(use_input_stats=False)),
                ((x, a(2), a(2)), {}), ((x, a(6), a(6)), {}), ((x, None, None, a(2)), {}),
                ((x, None, None, a(3), a(2)), {}), ((x, None, None, a((1, 3))), {}),
                ((x,), dict(momentum="a")), ((x,), dict(use_input_stats=1)),
                ((x,), dict(eps=None)), ((x, None, None, 5), {}), ((x, 5, a(3)), {})]
    lrn = [((x[0], 2), {}), ((x, 0), {}), ((x, -1), {}), ((x, -3), {}), ((x, 2.5), {}),
           ((x, True), {}), ((x, None), {}), ((x[None], 0), {}), ((x[None], -1), {}),
           ((x[None], 2.5), {}), ((x[None], True), {}), ((x, 3), dict(alpha="a")),
           ((x, 3), dict(k="a")), ((x, 3), dict(beta="a")), ((x, 3), dict(alpha=None))]
    for dtypes in [(f32, None, f64), (f32, f32, f64), (f32, f64, None), (f32, f64, f32),
                   (f64, None, f32), (f64, f32, None), (f64, f32, f64), (f64, f64, f32)]:
        xi, w, b = dtypes
        weights = [None if d is None else a(n, d) for d, n in ((w, 3), (b, 3))]
        group.append(((x.astype(xi), 3, *weights), {}))
        instance.append(((x.astype(xi), None, None, *weights), {}))
        weights = [None if d is None else a(4, d) for d in (w, b)]
        layer.append(((x.astype(xi), (4,), *weights), {}))
    return [("layer_norm", c) for c in layer] + [("group_norm", c) for c in group] + \
        [("instance_norm", c) for c in instance] + [("local_response_norm", c) for c in lrn]


def test_errors_match_torch(torch, rng):
    for name, (args, kwargs) in _errors(torch, rng):
        targs = [torch.from_numpy(np.array(v)) if isinstance(v, np.ndarray) else v
                 for v in args]
        raises_like(lambda: getattr(torch.nn.functional, name)(*targs, **kwargs),
                    lambda: getattr(F, name)(*args, **kwargs))


def test_integer_input_is_refused_naming_the_dtype():
    x = np.ones((2, 3, 4), np.int32)
    for call in (lambda: F.layer_norm(x, (4,)), lambda: F.group_norm(x, 3),
                 lambda: F.instance_norm(x), lambda: F.local_response_norm(x, 2)):
        with pytest.raises(TypeError, match="int32"):
            call()


@pytest.mark.parametrize("dtype", DTYPES)
def test_local_response_norm_sweep(torch, rng, dtype):
    shapes = [(2, 5, 7), (2, 6, 4, 5), (1, 4, 2, 3, 3), (1, 3, 2, 2, 2, 2), (2, 1, 9)]
    for shape in shapes:
        for size, alpha, beta, k in [(1, 1e-4, 0.75, 1.0), (2, 0.5, 0.5, 2.0),
                                     (3, 1.0, 1.5, 0.5), (5, 2e-2, 0.75, 1.0),
                                     (8, 0.3, 0.0, 1.0), (4, -0.1, 2.0, 3)]:
            x = _data(rng, shape, dtype, 0.0, 2.0)
            out = F.local_response_norm(x, size, alpha, beta, k)
            expected = torch.nn.functional.local_response_norm(tt(torch, x), size, alpha,
                                                               beta, k)
            _check(out, expected, dtype)


def test_local_response_norm_takes_0d_tensors_as_torch(torch, rng):
    x = _data(rng, (2, 4, 3), np.float32)
    out = F.local_response_norm(x, fastnn.tensor(3), fastnn.tensor(0.5), 0.75,
                                fastnn.tensor(2.0))
    expected = torch.nn.functional.local_response_norm(tt(torch, x), torch.tensor(3),
                                                       torch.tensor(0.5), 0.75,
                                                       torch.tensor(2.0))
    _check(out, expected, np.float32)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nonfinite_parameters_land_where_torchs_do(torch, rng, value):
    """torch's x * (rstd * w) + (b - mean * rstd * w): an infinite weight gives inf or NaN
    by the signs of x and the mean; fastnn computes the same form."""
    x = _data(rng, (2, 4, 6), np.float64, 0.5)
    w, b = _data(rng, 4, np.float64), _data(rng, 4, np.float64)
    rm, rv = _data(rng, 4, np.float64), rng.random(4) + 0.5
    tnf = torch.nn.functional
    for target in (w, b, rm, rv):
        saved = target[1]
        target[1] = value
        pairs = [(F.group_norm(x, 2, w, b), tnf.group_norm(tt(torch, x), 2, tt(torch, w),
                                                           tt(torch, b))),
                 (F.instance_norm(x, rm.copy(), rv.copy(), w, b, False),
                  tnf.instance_norm(tt(torch, x), tt(torch, rm), tt(torch, rv), tt(torch, w),
                                    tt(torch, b), False)),
                 (F.layer_norm(x, (6,), None, None), tnf.layer_norm(tt(torch, x), (6,)))]
        for out, expected in pairs:
            expected = expected.numpy()
            np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
            np.testing.assert_array_equal(np.isinf(out), np.isinf(expected))
            np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10, equal_nan=True)
        target[1] = saved


def test_top_level_functions_as_torchs(torch, rng):
    """fastnn.layer_norm/group_norm/instance_norm take torch's top-level signatures and,
    like torch's, skip the Python checks of torch.nn.functional."""
    x = _data(rng, (2, 4, 6), np.float32)
    w, b = _data(rng, 4, np.float32), _data(rng, 4, np.float32)
    rm, rv = np.zeros(4, np.float32), np.ones(4, np.float32)
    trm, trv = torch.zeros(4), torch.ones(4)
    _check(fastnn.layer_norm(x, (6,), None, None, 1e-3, False),
           torch.layer_norm(tt(torch, x), (6,), None, None, 1e-3, False), np.float32)
    _check(fastnn.group_norm(x, 2, w, b), torch.group_norm(tt(torch, x), 2, tt(torch, w),
                                                           tt(torch, b)), np.float32)
    _check(fastnn.instance_norm(x, w, b, rm, rv, True, 0.2, 1e-5, False),
           torch.instance_norm(tt(torch, x), tt(torch, w), tt(torch, b), trm, trv, True, 0.2,
                               1e-5, False), np.float32)
    np.testing.assert_allclose(rm, trm.numpy(), rtol=1e-5, atol=1e-6)
    one = _data(rng, (2, 3, 1), np.float32)         # refused by the F forms, not here
    np.testing.assert_allclose(fastnn.group_norm(one[:, :, 0], 3), 0, atol=1e-4)
    np.testing.assert_allclose(
        fastnn.instance_norm(one, None, None, None, None, True, 0.1, 1e-5, False),
        torch.instance_norm(tt(torch, one), None, None, None, None, True, 0.1, 1e-5,
                            False).numpy(), atol=1e-4)
    for args in [("group_norm", x[0, 0], 1), ("group_norm", x[0, 0, 0, ...], 1),
                 ("group_norm", x, 0), ("group_norm", x, 2, None, None, 1e-5, 1),
                 ("layer_norm", x, (6,), None, None, 1e-5, 1), ("layer_norm", x, 6),
                 ("instance_norm", x[0, 0], None, None, None, None, True, 0.1, 1e-5, False),
                 ("instance_norm", x, None, None, None, None, True, 0.1, 1e-5, 1),
                 ("instance_norm", x, None, None, None, None, False, 0.1, 1e-5, False)]:
        name, *rest = args
        targs = [tt(torch, a) if isinstance(a, np.ndarray) else a for a in rest]
        raises_like(lambda: getattr(torch, name)(*targs),
                    lambda: getattr(fastnn, name)(*rest))


@pytest.mark.parametrize("shape", [(0, 3, 4), (2, 3, 0)])
def test_instance_norm_running_stats_of_empty_input_as_torch(torch, shape):
    """torch averages the N updated copies of the running stats: over N = 0, NaN."""
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    trm, trv = torch.zeros(3), torch.ones(3)
    F.instance_norm(np.zeros(shape, np.float32), rm, rv, momentum=0.5)
    torch.nn.functional.instance_norm(torch.zeros(shape), trm, trv, momentum=0.5)
    np.testing.assert_array_equal(rm, trm.numpy())
    np.testing.assert_array_equal(rv, trv.numpy())
