"""torch's order statistics (fastnn._order_statistics, _order_statistic_functions,
_order_statistic_ops): median, nanmedian, kthvalue, mode, quantile and nanquantile against
torch over sweeps of their arguments (values, the exact indices torch picks among equal
values, dtypes, NaNs, errors, ``out=``, gradients); and torch-free, against numpy."""
import itertools

import numpy as np
import pytest

import fastnn
from torch_compare import same_call

RNG = np.random.default_rng(21)
REDUCTIONS = ("median", "nanmedian", "mode", "kthvalue")
INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")
TOL = {np.float32: dict(rtol=1e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


def _repeats(shape, dtype, nan=False, rng=RNG):
    """Small integers (many equal values), NaNs among them on request."""
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    a = rng.integers(0, 4, size=shape).astype(dtype)
    if nan:
        a[rng.random(shape) < 0.25] = np.nan
    return a


SHAPES = [(), (1,), (7,), (3, 1), (4, 6), (2, 3, 5), (1, 40)]


def _reduce(name, lib, x, dim, keepdim, k, function):
    args = (k,) if name == "kthvalue" else ()
    if function:
        return getattr(lib, name)(x, *args, dim, keepdim)
    return getattr(x, name)(*args, dim=dim, keepdim=keepdim)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8,
                                   np.bool_], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_along_a_dim_match_torch(torch, name, dtype):
    for shape, nan in itertools.product(SHAPES, (False, True)):
        if nan and np.dtype(dtype).kind != "f":
            continue
        a = _repeats(shape, dtype, nan)
        ndim = max(len(shape), 1)
        for dim, keepdim, function in itertools.product(range(-ndim, ndim), (False, True),
                                                        (False, True)):
            size = shape[dim] if shape else 1
            for k in (1, (size + 1) // 2, size) if name == "kthvalue" else (None,):
                same_call(lambda lib, x: _reduce(name, lib, x, dim, keepdim, k, function), a)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_long_rows_pick_torchs_index_among_equal_values(torch, name):
    """Rows long enough for every branch of the selection algorithms (partitions, the
    insertion sorts), with few distinct values, sorted and reversed runs, all-NaN rows."""
    rng = np.random.default_rng(5)
    for n, distinct in itertools.product((2, 3, 4, 16, 17, 33, 100, 257), (1, 2, 3, 50)):
        a = rng.integers(0, distinct, size=(3, n)).astype(np.float64)
        rows = [a, np.sort(a, 1), np.sort(a, 1)[:, ::-1].copy(), a.astype(np.int64)]
        nan = a.copy()
        nan[rng.random(nan.shape) < 0.3] = np.nan
        nan[0] = np.nan
        rows.append(nan)
        for x in rows:
            k = int(rng.integers(1, n + 1))
            same_call(lambda lib, t: _reduce(name, lib, t, -1, False, k, True), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.int16,
                                   np.uint8], ids=lambda d: np.dtype(d).name)
def test_median_of_everything_matches_torch(torch, dtype):
    for shape, nan in itertools.product(SHAPES + [(0,), (2, 0)], (False, True)):
        if nan and np.dtype(dtype).kind != "f":
            continue
        a = _repeats(shape, dtype, nan)
        for name in ("median", "nanmedian"):
            same_call(lambda lib, x: getattr(x, name)(), a)
            same_call(lambda lib, x: getattr(lib, name)(x), a)
    same_call(lambda lib, x: x.nanmedian(), np.full((3, 2), np.nan))
    same_call(lambda lib, x: x.median(), np.array([1.0, np.nan, np.inf]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantiles_match_torch(torch, name, dtype):
    rng = np.random.default_rng(8)
    for shape, special in itertools.product([(), (1,), (5,), (3, 1), (3, 4), (2, 3, 4)],
                                            ("none", "nan", "inf")):
        a = rng.standard_normal(shape).astype(dtype)
        if special != "none":
            a[rng.random(shape) < 0.3] = np.nan if special == "nan" else np.inf
        ndim = max(len(shape), 1)
        qs = [0.0, 1.0, 0.5, float(rng.random()), rng.random(3).astype(dtype),
              np.array([], dtype), np.array(0.25, dtype)]
        # every interpolation on a seeded sixth of the (q, dim, keepdim) combinations: the
        # whole product took half a minute
        combos = list(itertools.product(range(len(qs)), [None] + list(range(-ndim, ndim)),
                                        (False, True)))
        for interpolation in INTERPOLATIONS:
            for pick in rng.choice(len(combos), size=-(-len(combos) // 6), replace=False):
                q, dim, keepdim = qs[combos[pick][0]], combos[pick][1], combos[pick][2]

                def call(lib, x):
                    qq = lib.tensor(q) if isinstance(q, np.ndarray) else q
                    if dim is None and not keepdim:
                        return getattr(x, name)(qq, interpolation=interpolation)
                    return getattr(lib, name)(x, qq, dim, keepdim, interpolation=interpolation)
                same_call(call, a, **TOL[dtype])


def test_quantiles_of_all_nan_and_constant_rows_match_torch(torch):
    a = np.array([[np.nan, np.nan, np.nan], [1.0, np.nan, 2.0], [np.inf, np.inf, 1.0],
                  [2.0, 2.0, 2.0]])
    for name, interpolation in itertools.product(("quantile", "nanquantile"), INTERPOLATIONS):
        same_call(lambda lib, x: getattr(lib, name)(x, lib.tensor([0.0, 0.4, 0.5, 1.0],
                                                                  dtype=lib.float64),
                                                    1, interpolation=interpolation), a)


def _errors(lib):
    x = lib.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    long = lib.tensor([[1, 2], [3, 4]])
    empty = lib.empty(0, 3)
    flag = lib.tensor([True, False])
    return [
        lambda: x.median(1, True, False), lambda: lib.median(x, 1, True, False),
        lambda: x.median(1.5), lambda: lib.median(x, 1.5), lambda: x.median(dim=1.5),
        lambda: x.median(None), lambda: x.median(1, keepdim=1), lambda: lib.median(x, 1, 2),
        lambda: x.median(keepdim=True), lambda: x.median(1, foo=2), lambda: x.median(2),
        lambda: x.median(-3), lambda: lib.median(x, True), lambda: lib.median(empty, 0),
        lambda: lib.nanmedian(empty, 0), lambda: flag.median(), lambda: flag.median(0),
        lambda: flag.nanmedian(0), lambda: x.nanmedian(1, True, False),
        lambda: lib.nanmedian(x, 1, True, False), lambda: lib.median(x, out=lib.empty(())),
        lambda: lib.median(lib.tensor(3.0), 1),
        lambda: x.kthvalue(), lambda: lib.kthvalue(x), lambda: x.kthvalue(1, 1, True, 3),
        lambda: lib.kthvalue(x, 1, 1, True, 3), lambda: x.kthvalue(1.5),
        lambda: lib.kthvalue(x, 1.5), lambda: x.kthvalue(1, 1.5), lambda: x.kthvalue(True),
        lambda: x.kthvalue(1, None), lambda: x.kthvalue(1, keepdim=1), lambda: x.kthvalue(0),
        lambda: x.kthvalue(5), lambda: x.kthvalue(4, 0), lambda: x.kthvalue(-1),
        lambda: lib.kthvalue(empty, 1, 0), lambda: lib.kthvalue(lib.tensor(3.0), 2),
        lambda: flag.kthvalue(1), lambda: x.kthvalue(1, 2),
        lambda: x.mode(1, True, 3), lambda: lib.mode(x, 1, True, 3), lambda: x.mode(1.5),
        lambda: lib.mode(x, 1.5), lambda: x.mode(None), lambda: x.mode(keepdim=2),
        lambda: lib.mode(empty, 0), lambda: lib.mode(lib.empty(3, 0), 1), lambda: x.mode(2),
        lambda: x.quantile(), lambda: x.quantile(0.5, 1.5), lambda: x.quantile(0.5, None, 1),
        lambda: x.quantile(0.5, 0, False, "linear"), lambda: x.quantile([0.5]),
        lambda: x.quantile(0.5, interpolation=3), lambda: x.quantile(0.5, foo=1),
        lambda: x.quantile(0.5, q=0.3), lambda: x.quantile(0.5, dim=0, dim2=1),
        lambda: lib.quantile(x, 0.5, interpolation=None),
        lambda: lib.quantile(x, 0.5, dim=1, keepdim=1), lambda: lib.quantile(x, 0.5, 1.0),
        lambda: lib.quantile(x, "a"), lambda: lib.nanquantile(x, 0.5, foo=3),
        lambda: x.nanquantile(0.5, 1.5),
        lambda: x.quantile(1.5), lambda: x.quantile(-0.5), lambda: x.quantile(float("nan")),
        lambda: x.quantile(1e20), lambda: x.quantile(-1e-7), lambda: lib.nanquantile(x, 2.0),
        lambda: x.quantile(lib.tensor([0.5, 1.5])),
        lambda: x.quantile(lib.tensor([0.5, float("nan")])),
        lambda: x.quantile(lib.tensor([[0.5]])), lambda: x.quantile(lib.tensor([0.5]).double()),
        lambda: x.quantile(lib.tensor([1, 0])), lambda: long.quantile(0.5),
        lambda: long.quantile(lib.tensor([0.5])), lambda: x.half().quantile(0.5),
        lambda: lib.empty(0).quantile(0.5), lambda: empty.quantile(0.5, 1),
        lambda: lib.empty(0).quantile(0.5, 5), lambda: x.quantile(0.5, interpolation="foo"),
        lambda: long.quantile(0.5, interpolation="foo"),
        lambda: x.quantile(2.0, interpolation="foo"), lambda: x.quantile(0.5, 2),
        lambda: x.quantile(lib.tensor([2.0]), 5), lambda: x.quantile(lib.tensor(0.5), 1.5),
        lambda: x.quantile(lib.tensor([2.0]).double(), 5),
        lambda: lib.quantile(x, 0.5, out=3), lambda: x.nanquantile(0.5, interpolation="x"),
    ]


def test_errors_match_torch(torch):
    for ours, theirs in zip(_errors(fastnn), _errors(torch)):
        same_call(lambda lib, _: (ours if lib is fastnn else theirs)(), np.zeros(1))


def test_a_too_large_quantile_input_is_refused_as_torch_refuses_it(torch):
    a = np.zeros(2 ** 24 + 1, np.float32)
    same_call(lambda lib, x: lib.quantile(x, 0.5), a)


def _outs(lib, x):
    f64, long, f32, i32 = lib.float64, lib.long, lib.float32, lib.int32
    return [
        lambda: lib.median(x, 0, out=(lib.empty(4, dtype=f64), lib.empty(4, dtype=long))),
        lambda: lib.median(x, 0, out=(lib.empty(4), lib.empty(4, dtype=i32))),
        lambda: lib.nanmedian(x, 0, out=(lib.empty(4, dtype=f64), lib.empty(4, dtype=i32))),
        lambda: lib.median(x, 0, out=(lib.empty(4),)), lambda: lib.median(x, 0, out=(1, 2)),
        lambda: lib.median(x, 0, out=lib.empty(4)), lambda: lib.mode(x, 0, out=lib.empty(4)),
        lambda: lib.median(x, 0, out=(lib.empty(4), lib.empty(4, dtype=long), lib.empty(4))),
        lambda: lib.kthvalue(x, 1, 0, out=(1, 2)), lambda: lib.mode(x, 0, out=(lib.empty(4), 2)),
        lambda: lib.kthvalue(x, 1, 0, out=(lib.empty(4, dtype=f64), lib.empty(4, dtype=i32))),
        lambda: lib.kthvalue(x, 1, 0, out=(lib.empty(4), lib.empty(4, dtype=i32))),
        lambda: lib.kthvalue(x, 9, 0, out=(lib.empty(4, dtype=f64), lib.empty(4, dtype=long))),
        lambda: lib.mode(x, 0, out=(lib.empty(4, dtype=f64), lib.empty(4, dtype=i32))),
        lambda: lib.mode(x, 0, out=(lib.empty(4), lib.empty(4, dtype=i32))),
        lambda: lib.median(lib.empty(0, 3), 0, out=(lib.empty(3, dtype=f64),
                                                    lib.empty(3, dtype=long))),
        lambda: lib.median(lib.tensor([True]), 0, out=(lib.empty((), dtype=lib.bool),
                                                       lib.empty((), dtype=long))),
        lambda: lib.quantile(x, 0.5, out=lib.empty((), dtype=f64)),
        lambda: lib.quantile(x.long(), 0.5, out=lib.empty(())),
        lambda: lib.quantile(x, 2.0, out=lib.empty(())),
        lambda: lib.nanquantile(x, lib.tensor([0.5], dtype=f32), out=lib.empty(1, dtype=f64)),
    ]


def test_out_checks_match_torch(torch):
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    for ours, theirs in zip(_outs(fastnn, fastnn.tensor(a)), _outs(torch, torch.tensor(a))):
        same_call(lambda lib, _: (ours if lib is fastnn else theirs)(), np.zeros(1))


def test_out_is_written_and_returned(torch):
    a = _repeats((3, 5), np.float64, nan=True)
    for name, args in (("median", (1,)), ("nanmedian", (0, True)), ("kthvalue", (2, 1)),
                       ("mode", (0,))):
        def call(lib, x):
            expected = getattr(lib, name)(x, *args)
            values = lib.empty(expected.values.shape, dtype=x.dtype)
            indices = lib.empty(expected.indices.shape, dtype=lib.long)
            result = getattr(lib, name)(x, *args, out=(values, indices))
            assert result.values is values and result.indices is indices
            assert type(result).__name__ in (name, name + "_out")
            return values, indices
        same_call(call, a)
    for name in ("quantile", "nanquantile"):
        def call(lib, x):
            out = lib.empty(2, 5, dtype=x.dtype)
            assert getattr(lib, name)(x, lib.tensor([0.2, 0.6], dtype=x.dtype), 0,
                                      out=out) is out
            return out
        same_call(call, a)


GRADIENT_CALLS = [
    ("median", lambda lib, x: x.median()),
    ("median", lambda lib, x: lib.median(x, 1)[0]),
    ("median", lambda lib, x: x.median(0, keepdim=True).values),
    ("nanmedian", lambda lib, x: x.nanmedian()),
    ("nanmedian", lambda lib, x: lib.nanmedian(x, -1).values),
    ("kthvalue", lambda lib, x: x.kthvalue(3, 1).values),
    ("kthvalue", lambda lib, x: lib.kthvalue(x, 2, 0, True)[0]),
    ("mode", lambda lib, x: x.mode(0).values),
    ("mode", lambda lib, x: lib.mode(x, keepdim=True).values),
    ("quantile", lambda lib, x: x.quantile(0.3)),
    ("quantile", lambda lib, x: lib.quantile(x, lib.tensor([0.2, 0.9], dtype=lib.float64), 1,
                                             interpolation="midpoint")),
    ("quantile", lambda lib, x: x.quantile(0.7, 0, True, interpolation="nearest")),
    ("nanquantile", lambda lib, x: x.nanquantile(0.7, 0, True)),
    ("nanquantile", lambda lib, x: lib.nanquantile(x, lib.tensor([0.2, 0.5],
                                                                 dtype=lib.float64), 1)),
]


@pytest.mark.parametrize("index", range(len(GRADIENT_CALLS)),
                         ids=[name for name, _ in GRADIENT_CALLS])
def test_gradients_match_torch(torch, index):
    name, call = GRADIENT_CALLS[index]
    rng = np.random.default_rng(index)
    for nan in (False, True):
        if name.endswith("quantile"):
            # distinct values: the gradient follows sort's indices, and among equal values
            # (NaNs too) fastnn's stable sort and torch's sort order them differently
            a = rng.standard_normal((4, 6))
            if nan:
                a[1, 2] = np.nan
                a[2, ::3] = np.nan if name == "nanquantile" else a[2, ::3]
        else:
            a = _repeats((4, 6), np.float64, nan, rng) + rng.integers(0, 2, (4, 6)) * 0.5

        def grad(lib, x):
            x = x.detach().requires_grad_()
            y = call(lib, x)
            weights = lib.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)))
            (y * weights).nansum().backward()
            return x.grad
        same_call(grad, a, rtol=1e-10, atol=1e-10)


def test_quantile_gradient_reaches_q(torch):
    def grad(lib, x):
        q = lib.tensor([0.3, 0.65], dtype=lib.float64).requires_grad_()
        lib.quantile(x, q, 1).sum().backward()
        return q.grad
    same_call(grad, RNG.standard_normal((3, 5)), rtol=1e-10, atol=1e-10)


def test_plain_array_outs_are_written():
    x = fastnn.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], dtype=fastnn.float64)
    values, indices = np.empty(2), np.empty(2, np.int64)
    result = fastnn.median(x, 1, out=(values, indices))
    assert result.values is values and result.indices is indices
    np.testing.assert_array_equal(values, [2.0, 4.0])
    np.testing.assert_array_equal(indices, [2, 2])
    out = np.empty(3)
    assert fastnn.quantile(x, 0.5, 0, out=out) is out
    np.testing.assert_array_equal(out, [1.5, 3.0, 3.0])


def test_an_out_of_another_shape_is_refused():
    """torch resizes such an `out`; fastnn cannot resize an array other arrays may view,
    and refuses it as the op door does (docs/OPS.md)."""
    x = fastnn.tensor([[3.0, 1.0, 2.0]], dtype=fastnn.float64)
    for call in (lambda: fastnn.kthvalue(x, 1, out=(fastnn.empty(2, dtype=fastnn.float64),
                                                    fastnn.empty(2, dtype=fastnn.long))),
                 lambda: fastnn.quantile(x, 0.5, out=fastnn.empty(2, dtype=fastnn.float64))):
        with pytest.raises(RuntimeError, match="fastnn cannot resize it"):
            call()


def test_results_are_named_tuples():
    x = fastnn.tensor([[3.0, 1.0, 2.0]])
    for name, result in (("median", x.median(1)), ("nanmedian", fastnn.nanmedian(x, 1)),
                         ("kthvalue", x.kthvalue(1)), ("mode", fastnn.mode(x))):
        assert type(result).__name__ == name
        assert result.values is result[0] and result.indices is result[1]
        assert repr(result).startswith(f"fastnn.return_types.{name}(")


@pytest.mark.filterwarnings("ignore:All-NaN slice")
def test_against_numpy():
    """Torch-free: values by numpy, indices pointing at them."""
    a = RNG.standard_normal((4, 7))
    x = fastnn.tensor(a)
    lower = np.sort(a, 1)[:, 3]
    values, indices = x.median(1)
    np.testing.assert_array_equal(np.asarray(values), lower)
    np.testing.assert_array_equal(a[np.arange(4), np.asarray(indices)], lower)
    assert float(x.median()) == np.sort(a.ravel())[(a.size - 1) // 2]
    values, indices = x.kthvalue(2, 0)
    np.testing.assert_array_equal(np.asarray(values), np.sort(a, 0)[1])
    np.testing.assert_array_equal(a[np.asarray(indices), np.arange(7)], np.sort(a, 0)[1])
    counts = fastnn.tensor([[1, 2, 2, 3, 3, 3, 0], [5, 5, 4, 4, 1, 1, 2]])
    values, indices = counts.mode(1)
    np.testing.assert_array_equal(np.asarray(values), [3, 1])
    np.testing.assert_array_equal(np.asarray(counts)[[0, 1], np.asarray(indices)], [3, 1])
    nan = a.copy()
    nan[:, ::2] = np.nan
    np.testing.assert_array_equal(np.asarray(fastnn.tensor(nan).median(1).values),
                                  np.full(4, np.nan))
    np.testing.assert_array_equal(np.asarray(fastnn.tensor(nan).nanmedian(1).values),
                                  np.sort(a[:, 1::2], 1)[:, 1])
    for interpolation in INTERPOLATIONS:
        for dim in (None, 0, 1):
            np.testing.assert_allclose(
                np.asarray(x.quantile(fastnn.tensor([0.1, 0.5, 1.0], dtype=fastnn.float64), dim,
                                      interpolation=interpolation)),
                np.quantile(a, [0.1, 0.5, 1.0], axis=dim, method=interpolation),
                rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(
                np.asarray(fastnn.nanquantile(fastnn.tensor(nan), 0.4, dim, True,
                                              interpolation=interpolation)),
                np.nanquantile(nan, 0.4, axis=dim, keepdims=True, method=interpolation),
                rtol=1e-12, atol=1e-12)
