"""lp_pool1d/2d/3d and max_unpool1d/2d/3d (functional and modules) against torch."""
import math

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from torch_compare import assert_like_torch, raises_like

NORMS = [1, 2, 3, 1.5, 0.5, -2, math.inf, -math.inf]


def lp_tolerance(dtype):
    # avg pooling sums in another order than torch's; p = 1 sums of mixed signs cancel
    return dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lp_pool_random_sweep_matches_torch(torch, nd, dtype):
    rng = np.random.default_rng(nd)
    ours, theirs = getattr(F, f"lp_pool{nd}d"), getattr(torch.nn.functional, f"lp_pool{nd}d")
    for case in range(12):
        batch = tuple(rng.integers(1, 3, size=rng.integers(0, 2) + 1))
        spatial = tuple(int(v) for v in rng.integers(3, 8, size=nd))
        x = rng.standard_normal(batch + spatial).astype(dtype)
        if case % 3 == 0:
            x = np.abs(x)                  # positive windows: every norm is finite
        kernel = int(rng.integers(1, 4)) if nd == 1 or case % 2 else tuple(
            int(v) for v in rng.integers(1, 4, size=nd))
        stride = None if case % 4 == 0 else int(rng.integers(1, 3))
        ceil_mode = bool(case % 5 == 1)
        norm = NORMS[case % len(NORMS)]
        assert_like_torch(lambda: ours(x, norm, kernel, stride, ceil_mode),
                          lambda: theirs(torch.from_numpy(x), norm, kernel, stride, ceil_mode),
                          **lp_tolerance(dtype))


def test_lp_pool_sign_quirks_match_torch(torch):
    tf = torch.nn.functional
    for values in ([-1.0, -2.0, -3.0, -4.0], [-0.0] * 4, [np.nan, 2.0, 3.0, 4.0],
                   [np.inf, 1.0, 1.0, 1.0], [-np.inf, 1.0, 1.0, 1.0], [0.0] * 4):
        x = np.array(values, np.float32).reshape(1, 1, 2, 2)
        for norm in (3, 1, 2, -2, 0.5, math.inf, -math.inf):
            got = F.lp_pool2d(x, norm, 2)
            want = tf.lp_pool2d(torch.from_numpy(x), norm, 2).numpy()
            np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_lp_pool_argument_errors_match_torch(torch, rng):
    tf = torch.nn.functional
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    x1 = rng.standard_normal((2, 3, 7)).astype(np.float32)
    cases2 = [(2, (2, 2, 2)), (2, "a"), (2, "ab"), (2, 2.0), ("2", 2), ([2], 2), (0, 2),
              (None, 2), (2, 7), (2, 2, 0), (2, 3, None, 1), (2, 3, 2, 1),
              (math.inf, 3, None, 1), (2, (2, 0))]
    for args in cases2:
        for arr in (x, x[0], x[0, 0]):
            raises_like(lambda: tf.lp_pool2d(torch.from_numpy(arr), *args),
                        lambda: F.lp_pool2d(arr, *args))
    for args in [(2, (3,)), (2, [3]), (2, "3"), (2, 3, 2, 1), (0, 3), (2, 8), (None, 3)]:
        raises_like(lambda: tf.lp_pool1d(torch.from_numpy(x1), *args),
                    lambda: F.lp_pool1d(x1, *args))
    for arr in (x, x1[0, 0]):
        raises_like(lambda: tf.lp_pool1d(torch.from_numpy(arr), 2, 3),
                    lambda: F.lp_pool1d(arr, 2, 3))
    raises_like(lambda: tf.lp_pool3d(torch.from_numpy(x), 2, (2, 2)),
                lambda: F.lp_pool3d(x, 2, (2, 2)))
    # the p = inf branch returns before the tuple-kernel failure of lp_pool1d
    assert_like_torch(lambda: F.lp_pool1d(x1, math.inf, (3,)),
                      lambda: tf.lp_pool1d(torch.from_numpy(x1), math.inf, (3,)))
    assert_like_torch(lambda: F.lp_pool2d(x, np.float64(2.0), 2),
                      lambda: tf.lp_pool2d(torch.from_numpy(x), np.float64(2.0), 2), rtol=1e-6)
    # 1.0 / 0 raises for a Python number only
    for ours, theirs in ((fastnn.tensor(0.0), torch.tensor(0.0)),
                         (fastnn.tensor(-0.0), torch.tensor(-0.0)),
                         (np.float64(0.0), np.float64(0.0)), (np.int64(0), np.int64(0))):
        with np.errstate(divide="ignore"):
            assert_like_torch(lambda: F.lp_pool2d(np.abs(x), ours, 2),
                              lambda: tf.lp_pool2d(torch.from_numpy(np.abs(x)), theirs, 2))
    with pytest.raises(TypeError, match="got int64"):       # torch pools integers
        F.lp_pool2d(x.astype(np.int64), 2, 2)


def unpool_case(torch, nd, rng, dtype=np.float32, **pool):
    shape = {1: (2, 3, 9), 2: (2, 3, 7, 6), 3: (1, 2, 5, 4, 6)}[nd]
    x = torch.from_numpy(rng.standard_normal(shape).astype(dtype))
    return getattr(torch.nn.functional, f"max_pool{nd}d")(x, return_indices=True, **pool)


@pytest.mark.parametrize("nd, dtype", [(1, np.float32), (2, np.float32), (3, np.float32),
                                       (2, np.float64)])
def test_max_unpool_inverts_max_pool_like_torch(torch, rng, nd, dtype):
    ours, theirs = getattr(F, f"max_unpool{nd}d"), getattr(torch.nn.functional,
                                                          f"max_unpool{nd}d")
    for pool, original_size in [(dict(kernel_size=2), False),
                                (dict(kernel_size=3, stride=2, padding=1), True),
                                (dict(kernel_size=2, stride=1), False),
                                (dict(kernel_size=2), True)]:
        tv, ti = unpool_case(torch, nd, rng, dtype, **pool)
        v, i = tv.numpy(), ti.numpy()
        args = (pool["kernel_size"], pool.get("stride"), pool.get("padding", 0))
        # the pooled input's own size: the indices may point past the default output size
        size = {1: (9,), 2: (7, 6), 3: (5, 4, 6)}[nd] if original_size else None
        assert_like_torch(lambda: ours(v, i, *args, output_size=size),
                          lambda: theirs(tv, ti, *args, output_size=size))
        if original_size:
            continue
        # unbatched input, non-contiguous values and indices
        assert_like_torch(lambda: ours(v[0], i[0], *args),
                          lambda: theirs(tv[0], ti[0], *args))
        vt, it = np.swapaxes(v, 0, 1), np.swapaxes(i, 0, 1)
        assert_like_torch(lambda: ours(vt, it, *args),
                          lambda: theirs(torch.from_numpy(vt.copy()),
                                         torch.from_numpy(it.copy()), *args))


def test_max_unpool_duplicate_indices_keep_the_last_value(torch):
    # torch's answer depends on its thread count (its docs call the op nondeterministic
    # for repeated indices); on one thread it keeps the last value, as fastnn always does
    v = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], np.float32)
    i = np.array([[[[0, 0], [0, 5]]]])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert_like_torch(lambda: F.max_unpool2d(v, i, 2),
                          lambda: torch.nn.functional.max_unpool2d(torch.from_numpy(v),
                                                                   torch.from_numpy(i), 2))
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(F.max_unpool2d(v, i, 2)[0, 0, 0, :2], [3.0, 0.0])


def test_max_unpool2d_errors_match_torch(torch, rng):
    tf = torch.nn.functional
    tv, ti = unpool_case(torch, 2, rng, kernel_size=2)
    v, i = tv.numpy(), ti.numpy()
    bad = i.copy()
    bad[1, 2, 1, 1] = 99
    negative = i.copy()
    negative[0, 0, 0, 0] = -3
    cases = [
        ((v, i, 2), dict(output_size=(8, 7))), ((v, i, 2), dict(output_size=(2, 3, 7, 7))),
        ((v, i, 2), dict(output_size=(9, 6))), ((v, i, 2), dict(output_size=(1, 6, 6))),
        ((v, i, 2), dict(output_size=9)), ((v, i, 2), dict(output_size=(6.0, 6))),
        ((v, i, 2), dict(output_size="ab")), ((v, i, 2), dict(stride="a")),
        ((v, i, 2), dict(padding=-1)), ((v, i, 2), dict(padding=5)),
        ((v, i, (2, 2, 2)), {}), ((v, i, "a"), {}), ((v, i, 2.5), {}), ((v, i, 0), {}),
        ((v, i.astype(np.int32), 2), {}), ((v, i.astype(np.float32), 2), {}),
        ((v, i[:, :, :2], 2), {}), ((v, bad, 2), {}), ((v, negative, 2), {}),
        ((v[None], i[None], 2), {}), ((v[0, 0], i[0, 0], 2), {}),
        ((v[0, 0, 0], i[0, 0, 0], 2), {}), ((v[:0], i[:0], 2), {}),
        ((v[:, :0], i[:, :0], 2), {}), ((v.astype(np.float64), i, 2), {}),
        ((v[:, :1, :1, :1], i[:, :1, :1, :1], 1), dict(stride=3, padding=1))]
    for (a, b, k), kw in cases:
        assert_like_torch(lambda: F.max_unpool2d(a, b, k, **kw),
                          lambda: tf.max_unpool2d(torch.from_numpy(a), torch.from_numpy(b), k,
                                                  **kw))
    raises_like(lambda: tf.max_unpool2d(tv, [1], 2), lambda: F.max_unpool2d(v, [1], 2))
    with pytest.raises(TypeError, match="got int64"):
        F.max_unpool2d(v.astype(np.int64), i, 2)


def test_max_unpool1d_and_3d_errors_match_torch(torch, rng):
    tf = torch.nn.functional
    tv, ti = unpool_case(torch, 1, rng, kernel_size=3, stride=2, padding=1)
    v, i = tv.numpy(), ti.numpy()
    bad = i.copy()
    bad[1, 1, 1] = 50
    for (a, b), kw in [((v, i), dict(output_size=[10])), ((v, i), dict(output_size=5)),
                       ((v, i), dict(output_size=(2, 3, 8))), ((v, bad), {}),
                       ((v[None], i[None]), {}), ((v[0, 0], i[0, 0]), {}), ((v, i[:1]), {}),
                       ((v, i.astype(np.int32)), {}), ((v[:, :0], i[:, :0]), {})]:
        assert_like_torch(lambda: F.max_unpool1d(a, b, 3, 2, 1, **kw),
                          lambda: tf.max_unpool1d(torch.from_numpy(a), torch.from_numpy(b),
                                                  3, 2, 1, **kw))
    tv, ti = unpool_case(torch, 3, rng, kernel_size=2)
    v, i = tv.numpy(), ti.numpy()
    bad = i.copy()
    bad[0, 1, 0, 1, 1] = 999
    for (a, b, k), kw in [
            ((v, i, 2), dict(output_size=(5, 5, 7))), ((v, i, 2), dict(stride=0)),
            ((v, i, 2), dict(padding=-1)), ((v, i, 2), dict(stride=(2, 2))),
            ((v, i, 2), dict(padding=(0, 0))), ((v, i, (2, 2)), {}), ((v, i, (2, 2, 2, 2)), {}),
            ((v, bad, 2), {}), ((v, i[:, :1], 2), {}), ((v[0, 0], i[0, 0], 2), {}),
            ((v[None], i[None], 2), {}), ((v, i.astype(np.int32), 2), {}),
            ((v[:0], i[:0], 2), {}), ((v[:, :0], i[:, :0], 2), {}), ((v[0], i[0], 2), {})]:
        assert_like_torch(lambda: F.max_unpool3d(a, b, k, **kw),
                          lambda: tf.max_unpool3d(torch.from_numpy(a), torch.from_numpy(b), k,
                                                  **kw))


def test_modules_repr_and_forward_match_torch(torch, rng):
    tnn = torch.nn
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    for ours, theirs in [(nn.LPPool2d(2, 3), tnn.LPPool2d(2, 3)),
                         (nn.LPPool2d(1.5, (2, 3), (1, 2), True),
                          tnn.LPPool2d(1.5, (2, 3), (1, 2), True)),
                         (nn.LPPool1d(2.5, 3, 2, True), tnn.LPPool1d(2.5, 3, 2, True)),
                         (nn.LPPool3d(1, 2), tnn.LPPool3d(1, 2))]:
        assert repr(ours) == repr(theirs)
        arr = {"LPPool1d": x[0], "LPPool2d": x, "LPPool3d": x}[type(ours).__name__]
        assert_like_torch(lambda: ours(arr), lambda: theirs(torch.from_numpy(arr)),
                          rtol=1e-5, atol=1e-6)
    raises_like(lambda: tnn.LPPool2d("a", 3)(torch.from_numpy(x)),
                lambda: nn.LPPool2d("a", 3)(x))
    for ours, theirs in [(nn.MaxUnpool2d(2), tnn.MaxUnpool2d(2)),
                         (nn.MaxUnpool1d(3, 2, 1), tnn.MaxUnpool1d(3, 2, 1)),
                         (nn.MaxUnpool3d((2, 2, 1)), tnn.MaxUnpool3d((2, 2, 1))),
                         (nn.MaxUnpool2d((2, 3), stride=1, padding=(0, 1)),
                          tnn.MaxUnpool2d((2, 3), stride=1, padding=(0, 1)))]:
        assert repr(ours) == repr(theirs)
    pool, unpool = tnn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    tv, ti = pool(torch.from_numpy(np.pad(x, ((0, 0), (0, 0), (0, 1), (0, 1)))))
    got = unpool(tv.numpy(), ti.numpy(), output_size=(2, 3, 7, 7))
    assert isinstance(got, fastnn.Tensor)
    assert_like_torch(lambda: got, lambda: tnn.MaxUnpool2d(2)(tv, ti, output_size=(2, 3, 7, 7)))
