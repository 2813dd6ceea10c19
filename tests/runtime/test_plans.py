"""Memoised argument checks (fastnn/nn/_plans.py): a call that reuses a remembered plan
must behave exactly as the first, fully checked call would -- errors, layouts, results."""
import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import _plans
from fastnn._plans import Plans, call_key, value_key


def test_value_key_tells_apart_what_torch_tells_apart():
    keys = [value_key(v) for v in (1, True, "1", (1,), (1, 1), 1.0, np.ones((2, 3)),
                                   np.ones((2, 3), np.float32), np.ones((3, 2)).T, (True,))]
    assert keys[8] != keys[6]                   # same shape and dtype, not C-contiguous
    assert None not in keys[:9]
    assert len(set(keys[:9])) == 9
    assert keys[9] is None                      # a tuple holding a bool: never remembered
    assert value_key([1, 2]) == value_key((1, 2))  # torch parses a list as a tuple
    for value in (np.int64(1), (1, 1.0), (1, np.int64(2)), object(), np.array(1.0)):
        assert value_key(value) is None         # a 0-d array may be a scalar argument


def test_call_key_is_none_when_one_argument_has_no_key():
    x = np.ones((2, 3))
    assert call_key("op", (x, None, 2), {"flag": True}) == call_key("op", (x, None, 2),
                                                                   {"flag": True})
    assert call_key("op", (x, 2), {}) != call_key("other", (x, 2), {})
    assert call_key("op", (x, object()), {}) is None
    assert call_key("op", (x,), {"dim": np.int64(1)}) is None
    transposed = np.ones((3, 2)).T
    assert call_key("op", (transposed,), {}) != call_key("op", (x,), {})
    assert call_key("op", (transposed,), {}, layout=False) == call_key("op", (x,), {},
                                                                       layout=False)


def test_plans_are_bounded():
    plans = Plans()
    for i in range(_plans.MAX_PLANS + 5):
        assert plans.plan((i,), lambda i: i * 2, i) == i * 2
    assert len(plans) <= _plans.MAX_PLANS
    assert plans.plan(None, lambda: "not stored") == "not stored"
    assert None not in plans
    last = _plans.MAX_PLANS + 4
    assert plans.plan((last,), lambda: "checked again") == 2 * last     # remembered


# (torch function name, fastnn function, arrays, a good call's arguments, bad arguments
# that hash like the good ones)
CASES = [
    ("conv2d", F.conv2d, ((1, 2, 6, 6), (3, 2, 3, 3)),
     dict(stride=1, padding=1),
     [dict(stride=True, padding=1), dict(stride=1.0, padding=1), dict(stride=1, padding=True),
      dict(stride=(True, 1), padding=1), dict(stride=(1, True), padding=1),
      dict(stride=1, padding=1, groups=True),
      dict(stride=1, padding=1.0)]),
    ("max_pool2d", F.max_pool2d, ((1, 2, 6, 6),),
     dict(kernel_size=2, stride=2),
     [dict(kernel_size=2, stride=True), dict(kernel_size=2.0, stride=2),
      dict(kernel_size=(2, True), stride=2), dict(kernel_size=(True, 2), stride=2),
      dict(kernel_size=2, stride=2, ceil_mode=1),
      dict(kernel_size=2, stride=2, padding=False)]),
]


@pytest.mark.parametrize("name, fast, shapes, good, bads", CASES, ids=[c[0] for c in CASES])
def test_a_remembered_plan_does_not_hide_an_error(name, fast, shapes, good, bads, torch):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    theirs = getattr(torch.nn.functional, name)
    for kwargs in [good] + bads + [good]:
        try:
            want = theirs(*map(torch.from_numpy, arrays), **kwargs).numpy()
        except Exception as error:
            # the class; conv's messages are fastnn's own (torch lists its overloads)
            with pytest.raises(type(error)):
                fast(*arrays, **kwargs)
            continue
        np.testing.assert_allclose(np.asarray(fast(*arrays, **kwargs)), want,
                                   rtol=1e-5, atol=1e-5)


def test_a_remembered_plan_does_not_hide_an_error_torch_free():
    x = np.ones((1, 2, 6, 6), np.float32)
    w = np.ones((3, 2, 3, 3), np.float32)
    F.conv2d(x, w, stride=1)
    with pytest.raises(TypeError, match="bool"):
        F.conv2d(x, w, stride=True)
    F.max_pool2d(x, 2)
    with pytest.raises(TypeError):
        F.max_pool2d(x, 2.0)


LAYOUTS = {
    "transposed": lambda a: np.swapaxes(np.swapaxes(a, -1, -2).copy(), -1, -2),
    "readonly": lambda a: _readonly(a),
    "byteswapped": lambda a: a.astype(a.dtype.newbyteorder(">")),
    "fortran": np.asfortranarray,
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_remembered_plan_serves_every_layout(layout, torch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 7)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    lw = rng.standard_normal((5, 7)).astype(np.float32)
    tf = torch.nn.functional
    calls = [
        (lambda x: F.conv2d(x, w, b, padding=1),
         lambda t: tf.conv2d(t, torch.from_numpy(w), torch.from_numpy(b), padding=1)),
        (lambda x: F.max_pool2d(x, 3, 2, 1), lambda t: tf.max_pool2d(t, 3, 2, 1)),
        (lambda x: F.linear(x, lw), lambda t: tf.linear(t, torch.from_numpy(lw))),
    ]
    odd = LAYOUTS[layout](x)
    assert odd.shape == x.shape and not (odd.flags.c_contiguous and odd.flags.writeable
                                         and odd.dtype.isnative)
    for fast, theirs in calls:
        fast(x)                                     # remembers the plan for this shape
        got = fast(odd)
        want = theirs(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


def _readonly(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def test_a_remembered_plan_allocates_a_new_output_each_call():
    x = np.ones((1, 1, 4, 4), np.float32)
    first = F.max_pool2d(x, 2)
    second = F.max_pool2d(x * 2, 2)
    assert first is not second and not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, 1)
    np.testing.assert_array_equal(second, 2)
    assert isinstance(second, fastnn.Tensor)
