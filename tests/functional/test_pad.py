"""F.pad against torch: every mode, negative pads (cropping), and torch's errors."""
import re

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F




def compare(torch, x, pad, mode="constant", value=None):
    """Same result as torch, or the same exception class and message."""
    kwargs = {} if value is None else dict(value=value)
    try:
        expected = torch.nn.functional.pad(torch.from_numpy(x), pad, mode, **kwargs).numpy()
    except Exception as theirs:     # noqa: BLE001
        if "refer to a single memory location" in str(theirs):
            # torch's circular padding fails on its own overlapping copy when a positive pad
            # is wider than what the negative pad of the other side left; fastnn refuses it
            with pytest.raises(RuntimeError, match="wrapping around more than once"):
                F.pad(x, pad, mode, **kwargs)
            return
        with pytest.raises(type(theirs), match=re.escape(str(theirs))):
            F.pad(x, pad, mode, **kwargs)
        return
    if mode == "circular" and _wraps_past_the_crop(x.shape, pad):
        # torch copies from the output's own uninitialised part here; fastnn refuses
        with pytest.raises(RuntimeError, match="wrapping around more than once"):
            F.pad(x, pad, mode, **kwargs)
        return
    result = F.pad(x, pad, mode, **kwargs)
    assert isinstance(result, fastnn.Tensor)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


def _wraps_past_the_crop(shape, pad):
    """A positive circular pad wider than what the other side's negative pad leaves, in a
    non-empty output (an empty output copies nothing: torch and fastnn return it)."""
    out = list(shape)
    for j in range(len(pad) // 2):
        out[len(shape) - 1 - j] += pad[2 * j] + pad[2 * j + 1]
    if min(out) <= 0:
        return False
    for j in range(len(pad) // 2):
        left, right = pad[2 * j], pad[2 * j + 1]
        span = shape[len(shape) - 1 - j] - max(-left, 0) - max(-right, 0)
        if max(left, right, 0) > span:
            return True
    return False


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_random_pads_against_torch(torch, mode):
    rng = np.random.default_rng({"constant": 0, "reflect": 1, "replicate": 2,
                                 "circular": 3}[mode])
    for _ in range(150):
        npad = int(rng.integers(1, 4))
        ndim = npad + int(rng.integers(1, 3)) if mode != "constant" else int(
            rng.integers(npad, 6))
        shape = tuple(int(s) for s in rng.integers(1, 6, ndim))
        pad = [int(p) for p in rng.integers(-3, 5, 2 * npad)]
        dtype = rng.choice([np.float32, np.float64])
        x = rng.standard_normal(shape).astype(dtype)
        value = float(rng.standard_normal()) if mode == "constant" and rng.random() < 0.5 \
            else None
        compare(torch, x, tuple(pad), mode, value)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_edge_cases_against_torch(torch, mode):
    r = np.arange(5.0)
    cases = [
        (r.reshape(1, 1, 5), (-2, 4)), (r.reshape(1, 1, 5), (3, -4)),
        (r.reshape(1, 1, 5), (-2, 1)), (r.reshape(1, 1, 5), (-5, 1)),
        (r.reshape(1, 1, 5), (-6, 1)), (r.reshape(1, 1, 5), (-3, -3)),
        (r.reshape(1, 1, 5), (-3, -2)), (r.reshape(1, 1, 5), (4, 4)),
        (r.reshape(1, 1, 5), (5, 0)), (r.reshape(1, 1, 5), (6, 0)),
        (np.ones((2, 3, 4)), (4, 0, 1, 1)), (np.ones((2, 3, 4)), (1, 1, 0, 3)),
        (np.ones((2, 3, 4)), (1, 1, 0, 5)), (np.ones((2, 3, 4)), (4, 0, 3, 0)),
        (np.ones((2, 3, 4, 4)), (1, 1, 1, 1, 3, 0)), (np.ones((2, 5)), (7, -13)),
        (np.ones((2, 5, 5)), (-3, -2, 1, 1)), (np.ones((1, 2, 5, 5, 5)), (1, 1, 1, 1, -3, -2)),
        (np.ones((0, 5)), (1, 1)), (np.ones((2, 0)), (1, 1)), (np.ones((2, 0)), (0, 0)),
        (np.ones((1, 0, 5, 5)), (1, 1, 1, 1)), (np.ones((0, 2, 5, 5)), (1, 1, 1, 1)),
        (np.ones((1, 2, 9, 9)), (1, 1)), (np.ones((9, 9)), (1, 1, 1, 1)), (np.ones(9), (1, 1)),
        (np.ones((1, 1, 2, 3, 3, 3)), (1, 1, 1, 1, 1, 1)), (np.ones((1, 2, 3, 3, 3)), (1, 1, 1, 1)),
        (np.ones((1, 2, 9, 9)), (1, 1, 1, 1, 1, 1)), (np.ones((1, 2, 5)), ()),
        (np.ones((1, 2, 9, 9)), (1, 2, 3)), (np.ones((1, 2, 9, 9)), (1,) * 10),
        (np.array(1.0), ()), (np.array(1.0), (1, 1)),
    ]
    for x, pad in cases:
        compare(torch, x, pad, mode)


def test_value_rules_against_torch(torch):
    x = np.ones((1, 2, 5))
    for mode in ["reflect", "replicate", "circular"]:
        compare(torch, x, (1, 1), mode, 0.0)           # zero is accepted
        compare(torch, x, (1, 1), mode, 1.5)
        compare(torch, x, (1, 1), mode, float("nan"))
    compare(torch, x, (1, 1), "constant", float("nan"))
    compare(torch, x, (2, -1), "constant", -np.inf)
    compare(torch, x, (1, 1), "foo")


def test_argument_types_like_torch():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match=re.escape(
            "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of "
            "type float at pos 0")):
        F.pad(x, (1.0, 1))
    with pytest.raises(TypeError, match="found element of type bool at pos 0"):
        F.pad(x, (True, 1))
    with pytest.raises(TypeError, match=re.escape(
            "pad(): argument 'pad' (position 2) must be tuple of ints, not int")):
        F.pad(x, 1)
    with pytest.raises(TypeError, match=re.escape(
            "pad(): argument 'mode' (position 3) must be str, not NoneType")):
        F.pad(x, (1, 1), mode=None)
    with pytest.raises(TypeError, match=re.escape(
            "pad(): argument 'value' (position 4) must be float, not str")):
        F.pad(x, (1, 1), value="a")
    assert F.pad(x, [np.int64(1), 1]).shape == (2, 5)
    with pytest.raises(TypeError, match="int64"):
        F.pad(np.arange(5), (1, 1))
    with pytest.raises(RuntimeError, match="can't allocate memory"):
        F.pad(np.ones((2, 5)), (10 ** 12, 10 ** 12))


def test_layouts_inputs_untouched_and_native_output(torch):
    base = np.random.default_rng(0).standard_normal((2, 3, 6, 7))
    readonly = base.copy()
    readonly.flags.writeable = False
    for x in [base[:, ::2, 1:, ::-1], np.asfortranarray(base), readonly, base.astype(">f8"),
              torch.from_numpy(base)]:
        before = np.asarray(x).copy()
        for mode in ["constant", "reflect", "replicate", "circular"]:
            result = F.pad(x, (2, 1, 1, 3), mode)
            expected = torch.nn.functional.pad(
                torch.from_numpy(np.asarray(x).astype(np.float64)), (2, 1, 1, 3),
                mode).numpy()
            np.testing.assert_array_equal(result, expected)
            assert result.dtype.isnative
        np.testing.assert_array_equal(np.asarray(x), before)
