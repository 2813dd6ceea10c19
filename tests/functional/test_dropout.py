"""Dropout: statistics, exact scaling, channel masks, reproducibility, torch's rules."""
import math
import re
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn._random import manual_seed


@pytest.fixture(autouse=True)
def seeded():
    """Deterministic masks; the tolerances below still hold for any seed (>= 4 sigma)."""
    manual_seed(0)


def as_tensor(x):
    return np.array(x).view(fastnn.Tensor)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fraction_zeroed_and_exact_scaling(rng, p, dtype):
    x = (rng.random(200_000) + 0.5).astype(dtype)          # no zeros in the input
    out = np.asarray(F.dropout(x, p))
    dropped = out == 0
    # std of the fraction is <= 0.0012: 0.01 is > 8 sigma, and far from any wrong p
    assert abs(dropped.mean() - p) < 0.01
    scale = dtype(1) / dtype(1 - p)
    np.testing.assert_array_equal(out[~dropped], x[~dropped] * scale)
    assert out.dtype == dtype


def test_elements_are_independent(rng):
    x = np.ones(100_000, np.float32)
    kept = np.asarray(F.dropout(x, 0.5)) != 0
    # neighbouring coins agree about half of the time
    assert abs((kept[1:] == kept[:-1]).mean() - 0.5) < 0.01
    again = np.asarray(F.dropout(x, 0.5)) != 0
    assert abs((kept == again).mean() - 0.5) < 0.01      # a fresh mask per call


@pytest.mark.parametrize("fn, shape, batched", [
    (F.dropout1d, (80, 50, 6), True), (F.dropout1d, (4000, 7), False),
    (F.dropout2d, (80, 50, 3, 4), True), (F.dropout3d, (80, 50, 2, 3, 2), True),
    (F.dropout3d, (4000, 2, 3, 2), False),
])
def test_channel_masks(rng, fn, shape, batched):
    x = (rng.random(shape) + 0.5).astype(np.float32)
    p = 0.3
    out = np.asarray(fn(x, p))
    channels = out.reshape(shape[0] * shape[1] if batched else shape[0], -1)
    source = x.reshape(channels.shape)
    zero_rows = (channels == 0).all(axis=1)
    scaled_rows = (channels == source * (np.float32(1) / np.float32(1 - p))).all(axis=1)
    assert (zero_rows | scaled_rows).all()                 # whole channels only
    assert abs(zero_rows.mean() - p) < 0.03                # 4000 channels: 4 sigma


def test_dropout2d_on_3d_input_drops_rows_with_torch_warning(torch):
    x = np.ones((200, 30, 5), np.float32)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.nn.functional.dropout2d(torch.ones(2, 3, 4))
    with pytest.warns(UserWarning) as ours:
        out = np.asarray(F.dropout2d(x, 0.5))
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    rows = out.reshape(-1, 5)
    assert ((rows == 0).all(axis=1) | (rows == 2).all(axis=1)).all()


@pytest.mark.parametrize("name, shape", [("dropout2d", (3,)), ("dropout2d", (2, 3)),
                                         ("dropout2d", (2, 3, 4, 5, 6)), ("dropout3d", (2, 3)),
                                         ("dropout3d", (2, 3, 4))])
def test_rank_warnings_match_torch(torch, name, shape):
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        try:
            getattr(torch.nn.functional, name)(torch.ones(shape))
            their_error = None
        except RuntimeError as e:
            their_error = str(e)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        try:
            getattr(F, name)(np.ones(shape, np.float32))
            our_error = None
        except RuntimeError as e:
            our_error = str(e)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert our_error == their_error


def test_errors_match_torch(torch):
    x = np.ones((2, 3, 4, 5), np.float32)
    for p in (1.5, -0.1):
        message = f"^dropout probability has to be between 0 and 1, but got {p}$"
        for fn in (F.dropout, F.dropout1d, F.dropout2d, F.dropout3d):
            with pytest.raises(ValueError, match=message):
                fn(x[0, 0] if fn is F.dropout1d else x, p)
        for cls in (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d):
            with pytest.raises(ValueError, match=message):
                cls(p)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.dropout1d(torch.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match=f"^{re.escape(str(theirs.value))}$"):
        F.dropout1d(x)
    with pytest.raises(TypeError, match="int64"):
        F.dropout(np.arange(5), 0.5)
    with pytest.raises(ValueError, match="read-only"):
        ro = np.ones(4)
        ro.flags.writeable = False
        F.dropout(ro, 0.5, inplace=True)


SHAPES = {"dropout": (2, 3), "dropout1d": (2, 3, 4), "dropout2d": (2, 3, 2, 2),
          "dropout3d": (2, 3, 2, 2, 2)}


def _outcome(call):
    """None when `call()` returns, else its exception."""
    try:
        call()
    except Exception as error:
        return error
    return None


@pytest.mark.parametrize("name", list(SHAPES))
def test_argument_types_are_refused_like_torch(torch, name):
    """torch's parser wants a float `p` and a real bool `training`; a NaN `p` passes its
    Python range check and fails its C++ one (RuntimeError), in eval mode too."""
    x = np.ones(SHAPES[name], np.float32)
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    flags = [True, False, None, "2", "", 1, 0, 1.0, np.True_, np.array(True)]
    probabilities = [(p, p) for p in [0.5, 0.0, 1.0, math.nan, "2", None, True, 1, 2**70,
                                      math.inf, -0.0, 1 + 0j, np.float32(0.5), np.array(0.5),
                                      [0.5]]]
    probabilities += [(fastnn.tensor(0.5), torch.tensor(0.5)),
                      (fastnn.tensor([0.5]), torch.tensor([0.5]))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p, their_p in probabilities:
            for training in flags:
                for inplace in (False, True):
                    expected = _outcome(lambda: theirs(torch.ones(SHAPES[name]), their_p,
                                                       training, inplace))
                    got = _outcome(lambda: ours(x.copy(), p, training, inplace))
                    if expected is None:
                        assert got is None, (p, training, got)
                    else:
                        assert isinstance(got, type(expected)), (p, training, got, expected)
                        assert str(got) == str(expected)


@pytest.mark.parametrize("name", ["dropout", "dropout2d", "dropout3d"])
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_0d_input_gives_a_0d_tensor_or_torch_error(torch, name, p):
    for dtype in (np.float32, ">f8"):
        x = np.array(-2.5, dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                want = getattr(torch.nn.functional, name)(torch.tensor(-2.5), p).numpy()
            except RuntimeError as error:
                with pytest.raises(RuntimeError, match=f"^{re.escape(str(error))}$"):
                    getattr(F, name)(x, p)
                continue
            got = getattr(F, name)(x, p)
            assert isinstance(got, fastnn.Tensor) and got.shape == ()
            if p != 0.5:          # 0.5: a random draw
                np.testing.assert_array_equal(got, want)
                assert np.signbit(got) == np.signbit(want)


def test_identity_cases_return_the_input_itself(torch):
    t = as_tensor(np.arange(6.0).reshape(2, 3))
    assert F.dropout(t, 0.5, training=False) is t
    assert F.dropout(t, 0.0) is t
    t4 = as_tensor(np.ones((1, 2, 3, 3)))
    assert F.dropout2d(t4, 0.5, training=False) is t4
    tt = torch.ones(2, 3)
    assert torch.nn.functional.dropout(tt, 0.5, training=False) is tt     # torch does so too
    ints = np.arange(4)
    np.testing.assert_array_equal(F.dropout(ints, 0.5, training=False), ints)
    m = nn.Dropout().eval()
    assert m(t) is t
    empty = np.ones((0, 3), np.float32)
    assert F.dropout(empty, 0.5).shape == (0, 3)


def test_p_one_multiplies_by_zero_like_torch(torch):
    x = np.array([np.nan, np.inf, -2.0, 3.0], np.float32)
    expected = torch.nn.functional.dropout(torch.from_numpy(x.copy()), 1.0).numpy()
    out = np.asarray(F.dropout(x, 1.0))
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))
    y = x.copy()
    F.dropout(y, 1.0, inplace=True)
    np.testing.assert_array_equal(y, expected)
    # dropped NaN/inf become NaN (x * 0), as in torch's mask multiplication
    big = np.full(10_000, np.inf, np.float32)
    out = np.asarray(F.dropout(big, 0.5))
    assert set(np.unique(np.isnan(out))) == {True, False}
    assert np.isinf(out[~np.isnan(out)]).all()


def test_inplace_writes_into_the_input(rng):
    x = (rng.random((4, 50)) + 0.5).astype(np.float32)
    t = as_tensor(x)
    assert F.dropout(t, 0.5, inplace=True) is t
    assert ((np.asarray(t) == 0) | (np.asarray(t) == 2 * x)).all() and (t == 0).any()
    base = np.ones((8, 100), np.float32)
    view = base[::2]
    F.dropout(view, 0.5, inplace=True)
    assert (base[::2] == 0).any() and (base[1::2] == 1).all()
    c = as_tensor(np.ones((2, 30, 4), np.float32))
    assert nn.Dropout1d(0.5, inplace=True)(c) is c
    rows = np.asarray(c).reshape(-1, 4)
    assert ((rows == 0).all(axis=1) | (rows == 2).all(axis=1)).all() and (rows == 0).any()


def test_input_untouched_when_not_inplace(rng):
    x = rng.random((3, 40)).astype(np.float32)
    before = x.copy()
    for fn in (F.dropout, F.dropout1d, F.dropout2d):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(x, 0.5)
    np.testing.assert_array_equal(x, before)


def test_reproducible_after_manual_seed_and_thread_count_independent():
    x = np.ones((16, 64), np.float32)
    threads = fastnn.get_num_threads()
    try:
        manual_seed(123)
        a = np.asarray(F.dropout(x, 0.4))
        b = np.asarray(F.dropout2d(x.reshape(4, 4, 8, 8), 0.4))
        fastnn.set_num_threads(1)
        manual_seed(123)
        np.testing.assert_array_equal(F.dropout(x, 0.4), a)
        np.testing.assert_array_equal(F.dropout2d(x.reshape(4, 4, 8, 8), 0.4), b)
    finally:
        fastnn.set_num_threads(threads)
    manual_seed(124)
    assert not np.array_equal(F.dropout(x, 0.4), a)


def test_modules_repr_train_eval_and_torch_input(torch):
    for cls, args in [("Dropout", ()), ("Dropout", (0.2, True)), ("Dropout1d", ()),
                      ("Dropout2d", (0.1,)), ("Dropout3d", (0.5, True)), ("Dropout", (1,))]:
        assert repr(getattr(nn, cls)(*args)) == repr(getattr(torch.nn, cls)(*args))
    m = nn.Dropout(0.5)
    x = torch.ones(1000)
    out = np.asarray(m(x))
    assert set(np.unique(out)) == {0.0, 2.0}
    m.eval()
    np.testing.assert_array_equal(m(x), np.ones(1000))
