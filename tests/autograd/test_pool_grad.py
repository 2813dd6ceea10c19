"""Gradients of the pooling ops against torch's: seeded sweeps over their arguments (window,
stride, padding, dilation, ceil_mode, count_include_pad, divisor_override, output sizes),
batched and unbatched inputs, ties and NaN in max pooling, and the torch-free float64
check. The catalogue sweep (test_grad_catalogue.py) covers one sample per op; this file
reaches the arguments it does not.
"""
import numpy as np
import pytest

import fastnn
from gradcheck import compare_with_torch, numerical_check

SEED = 20261203


def _functional(lib):
    return lib.nn.functional


def _shape(rng, nd, batched, low=3, high=8):
    lead = (2, 3) if batched else (3,)
    return lead + tuple(int(v) for v in rng.integers(low, high, nd))


def _window_args(rng, nd, spatial, dilated):
    k = [int(v) for v in rng.integers(1, 4, nd)]
    s = [int(v) for v in rng.integers(1, 4, nd)]
    d = [int(v) for v in rng.integers(1, 3, nd)] if dilated else [1] * nd
    p = [int(rng.integers(0, kk // 2 + 1)) for kk in k]
    # keep at least one output along every dim
    for i in range(nd):
        while spatial[i] + 2 * p[i] < d[i] * (k[i] - 1) + 1:
            k[i] -= 1
            p[i] = min(p[i], k[i] // 2)
    return k, s, p, d


def _max_pool_cases():
    rng = np.random.default_rng(SEED)
    cases = []
    for i in range(18):
        nd = 1 + i % 3
        batched = bool(rng.integers(0, 2))
        shape = _shape(rng, nd, batched)
        k, s, p, d = _window_args(rng, nd, shape[-nd:], dilated=True)
        ceil = bool(rng.integers(0, 2))
        indices = bool(rng.integers(0, 2))
        ties = i % 2 == 0
        cases.append((nd, shape, dict(kernel_size=k, stride=s, padding=p, dilation=d,
                                      ceil_mode=ceil, return_indices=indices), ties))
    return cases


def _inputs(rng, shape, ties):
    if ties:      # small integers: many equal values in a window
        return rng.integers(-2, 3, shape).astype(np.float64)
    return rng.standard_normal(shape)


@pytest.mark.parametrize("nd, shape, kwargs, ties", _max_pool_cases())
def test_max_pool_gradients_match_torch(nd, shape, kwargs, ties, torch):
    x = _inputs(np.random.default_rng(len(shape) + sum(shape)), shape, ties)
    compare_with_torch(
        lambda lib, t: getattr(_functional(lib), f"max_pool{nd}d")(t, **kwargs), [x], torch)


def test_max_pool_ceil_windows_starting_in_the_padding(torch):
    # ceil_mode adds a last window that starts inside the right padding's reach
    x = np.random.default_rng(1).standard_normal((2, 2, 6, 7))
    for nd, kwargs in ((2, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
                       (2, dict(kernel_size=2, stride=3, padding=1, ceil_mode=True)),
                       (1, dict(kernel_size=4, stride=3, padding=2, ceil_mode=True))):
        arr = x if nd == 2 else x[0]
        compare_with_torch(
            lambda lib, t: getattr(_functional(lib), f"max_pool{nd}d")(t, **kwargs), [arr],
            torch)


def test_max_pool_nan_and_minus_inf_follow_torch(torch):
    x = np.random.default_rng(2).integers(-1, 2, (2, 3, 7, 8)).astype(np.float64)
    x[0, 0, 1:3, 2:5] = np.nan
    x[0, 1, 4, 4] = np.nan
    x[1, 2] = -np.inf                       # whole windows of -inf: the first element
    x[1, 1, :3, :3] = -np.inf
    for kwargs in (dict(kernel_size=3, stride=1, padding=1),
                   dict(kernel_size=(2, 3), stride=2, dilation=(2, 1), ceil_mode=True)):
        for indices in (False, True):
            compare_with_torch(lambda lib, t: _functional(lib).max_pool2d(
                t, return_indices=indices, **kwargs), [x], torch)


def test_max_pool_float32_and_window_loop_path(torch):
    x = np.random.default_rng(3).standard_normal((2, 4, 9, 11)).astype(np.float32)
    compare_with_torch(lambda lib, t: _functional(lib).max_pool2d(t, 3, 2, 1), [x], torch)
    # a window this much wider than the input takes torch's index loop in the forward;
    # ties make several windows pick one element
    x1 = np.random.default_rng(4).integers(-2, 3, (2, 3, 10)).astype(np.float64)
    for stride, indices in ((1, False), (3, True)):
        compare_with_torch(lambda lib, t: _functional(lib).max_pool1d(
            t, 10000, stride, 5000, return_indices=indices), [x1], torch)


def test_values_only_op_finds_the_argmax_again(torch):
    # F.max_pool* records the op with indices; the values-only op, called at the door,
    # finds each argmax again: separably, or window by window for rows far longer than
    # the input (`max_pool3d_backward_direct`)
    from fastnn._dispatch import dispatch
    x = np.random.default_rng(5).integers(-1, 2, (2, 3, 7, 8)).astype(np.float64)
    x[0, 0, 1:3, 2:5] = np.nan
    x[1, 2] = -np.inf
    x1 = np.random.default_rng(4).integers(-2, 3, (2, 3, 10)).astype(np.float64)
    for arr, nd, args in ((x, 2, (3, 2, 1)), (x, 2, ((2, 3), 2, 0, (2, 1), True)),
                          (x1, 1, (10000, 1, 5000))):
        def call(lib, t):
            if lib is fastnn:
                return dispatch(f"max_pool{nd}d", t, *args)
            return getattr(lib.nn.functional, f"max_pool{nd}d")(t, *args)
        compare_with_torch(call, [arr], torch)


def _avg_pool_cases():
    rng = np.random.default_rng(SEED + 1)
    cases = []
    for i in range(15):
        nd = 1 + i % 3
        batched = bool(rng.integers(0, 2))
        shape = _shape(rng, nd, batched)
        k, s, p, _ = _window_args(rng, nd, shape[-nd:], dilated=False)
        kwargs = dict(kernel_size=k, stride=s, padding=p, ceil_mode=bool(rng.integers(0, 2)),
                      count_include_pad=bool(rng.integers(0, 2)))
        if nd > 1 and i % 4 == 1:
            kwargs["divisor_override"] = int(rng.integers(1, 7))
        cases.append((nd, shape, kwargs))
    return cases


@pytest.mark.parametrize("nd, shape, kwargs", _avg_pool_cases())
def test_avg_pool_gradients_match_torch(nd, shape, kwargs, torch):
    x = np.random.default_rng(sum(shape)).standard_normal(shape)
    compare_with_torch(
        lambda lib, t: getattr(_functional(lib), f"avg_pool{nd}d")(t, **kwargs), [x], torch)


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_adaptive_pool_gradients_match_torch(kind, nd, torch):
    rng = np.random.default_rng(nd)
    for batched, size in ((True, (7, 5, 6)), (False, (4, 9, 3))):
        shape = ((2, 3) if batched else (3,)) + size[:nd]
        x = rng.integers(-2, 3, shape).astype(np.float64) if kind == "max" else \
            rng.standard_normal(shape)
        for out in ((3, 4, 2)[:nd], (1,) * nd, size[:nd], (5, 2, 7)[:nd]):
            for indices in ((False, True) if kind == "max" else (False,)):
                def call(lib, t, out=out, indices=indices):
                    f = getattr(_functional(lib), f"adaptive_{kind}_pool{nd}d")
                    return f(t, out, return_indices=True) if indices else f(t, out)
                compare_with_torch(call, [x], torch)


def test_avg_pool_gradient_of_rows_no_window_covers_and_of_negative_zero():
    """Rows and columns between windows (stride past the kernel) get zero, and a -0.0
    gradient gives +0.0, as torch's sum into zeros does (the kernel writes an input row's
    first share instead of adding it to a zeroed row)."""
    x = fastnn.zeros(1, 1, 5, 5, requires_grad=True)
    y = fastnn.nn.functional.avg_pool2d(x, 1, stride=2)
    g = np.arange(1.0, 10.0, dtype=np.float32).reshape(1, 1, 3, 3)
    (gx,) = fastnn.autograd.grad(y, x, fastnn.tensor(g))
    expected = np.zeros((1, 1, 5, 5), np.float32)
    expected[..., ::2, ::2] = g
    np.testing.assert_array_equal(np.asarray(gx), expected)
    y = fastnn.nn.functional.avg_pool2d(x, 2)
    (gx,) = fastnn.autograd.grad(y, x, fastnn.full((1, 1, 2, 2), -0.0))
    assert not np.signbit(np.asarray(gx)).any()
    np.testing.assert_array_equal(np.asarray(gx), 0.0)


def test_global_average_pooling_float32(torch):
    x = np.random.default_rng(5).standard_normal((3, 16, 7, 7)).astype(np.float32)
    compare_with_torch(lambda lib, t: _functional(lib).adaptive_avg_pool2d(t, 1), [x], torch)
    compare_with_torch(lambda lib, t: _functional(lib).avg_pool2d(t, 2), [x], torch)


@pytest.mark.parametrize("norm_type", [1, 2, 3, 1.5, float("inf"), -float("inf")])
def test_lp_pool_gradients_match_torch(norm_type, torch):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 7, 8))
    if isinstance(norm_type, float) and abs(norm_type) != float("inf"):
        x = np.abs(x) + 0.1        # x ** 1.5 of a negative x is NaN
    x[0, 0, :2, :2] = 0.0          # a window whose sum of powers is zero
    for nd, kwargs in ((2, dict(kernel_size=2)),
                       (2, dict(kernel_size=(3, 2), stride=2, ceil_mode=True)),
                       (1, dict(kernel_size=3, stride=2, ceil_mode=True)),
                       (3, dict(kernel_size=2, stride=1))):
        arr = {1: x[0], 2: x, 3: x[None, 0]}[nd]
        compare_with_torch(lambda lib, t: getattr(_functional(lib), f"lp_pool{nd}d")(
            t, norm_type, **kwargs), [arr], torch)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool_gradients_match_torch(nd, torch):
    x = np.random.default_rng(7).standard_normal((2, 3) + (6, 7, 4)[:nd])

    def call(lib, t):
        f = _functional(lib)
        values, indices = getattr(f, f"max_pool{nd}d")(t, 2, stride=2, return_indices=True)
        return getattr(f, f"max_unpool{nd}d")(values, indices, 2, stride=2,
                                              output_size=t.shape[2:])
    compare_with_torch(call, [x], torch)


def test_max_unpool_of_given_values_and_repeated_indices(torch):
    # every value whose index repeats gets the gradient at that index (torch's gather)
    values = np.random.default_rng(8).standard_normal((1, 2, 4))
    indices = np.array([[[0, 0, 3, 5], [1, 1, 1, 7]]])

    def call(lib, v):
        idx = lib.tensor(indices) if lib is fastnn else lib.from_numpy(indices)
        return _functional(lib).max_unpool1d(v, idx, 2)
    compare_with_torch(call, [values], torch)


@pytest.mark.parametrize("op, kwargs", [
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("adaptive_max_pool2d", dict(output_size=(2, 3))),
    ("adaptive_avg_pool2d", dict(output_size=(3, 2))),
    ("lp_pool2d", dict(norm_type=2, kernel_size=2)),
])
def test_pooling_gradients_match_central_differences(op, kwargs):
    # distinct values: central differences of a max are smooth only away from ties
    x = np.random.default_rng(9).permutation(2 * 5 * 6).reshape(1, 2, 5, 6) / 7.0
    numerical_check(lambda lib, t: getattr(_functional(lib), op)(t, **kwargs), [x])


@pytest.mark.parametrize("call, saves_input, saves_output", [
    (lambda F, t: F.max_pool2d(t, 2), False, True),           # runs with its indices
    (lambda F, t: F.lp_pool2d(t, float("inf"), 2), True, False),  # the argmax found again
    (lambda F, t: F.max_pool2d(t, 2, return_indices=True)[0], False, True),
    (lambda F, t: F.avg_pool2d(t, 2), False, False),
    (lambda F, t: F.adaptive_avg_pool2d(t, 1), False, False),
    (lambda F, t: F.adaptive_max_pool2d(t, 2), True, False),
    (lambda F, t: F.lp_pool2d(t, 2, 2), True, False),
])
def test_only_what_the_backward_reads_is_saved(call, saves_input, saves_output):
    x = fastnn.tensor(np.random.default_rng(10).standard_normal((1, 2, 6, 6)),
                      requires_grad=True)
    ctx = call(fastnn.nn.functional, x * 1).grad_fn._ctx
    assert (ctx.inputs[0] is not None) == saves_input
    assert (ctx.output is not None) == saves_output
