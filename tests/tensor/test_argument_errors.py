"""Arguments of the wrong type get torch's answer, not numpy's: the operators take a tensor
or a number and return NotImplemented for anything else (``x == None`` is False, ``x * [1,
2]`` a TypeError), and the methods and functions refuse a str, None or a list where torch's
parser wants a number, a tensor or ints, in its words. Against torch, and torch-free."""
import numpy as np
import pytest

import fastnn
from torch_compare import raises_like, same_call

X = np.arange(6, dtype=np.float32).reshape(2, 3) + 0.5
EYE = np.eye(3, dtype=np.float32)


# each refused as torch refuses it: the exception class and the whole message
EXACT = [
    lambda lib, x: x.eq("a"),
    lambda lib, x: lib.eq(x, "a"),
    lambda lib, x: x.ne(None),
    lambda lib, x: lib.gt(x, None),
    lambda lib, x: x.remainder("a"),
    lambda lib, x: x.atan2("a"),
    lambda lib, x: x.add("a"),
    lambda lib, x: lib.add(x, "a"),
    lambda lib, x: x.mul(None),
    lambda lib, x: lib.div(x, "a"),
    lambda lib, x: x.sub_("a"),
    lambda lib, x: x.nan_to_num(nan="a"),
    lambda lib, x: x.nan_to_num(posinf="a"),
    lambda lib, x: lib.nan_to_num(x, neginf=[1]),
    lambda lib, x: x.logit(eps="a"),
    lambda lib, x: x.isclose(x, rtol="a"),
    lambda lib, x: lib.isclose(x, x, atol=None),
    lambda lib, x: lib.isclose(x, x, rtol=-1),
    lambda lib, x: x.xlogy("a"),
    lambda lib, x: lib.xlogy(x, None),
    lambda lib, x: lib.xlogy("a", x),
    lambda lib, x: x.addcmul(x, x, value="a"),
    lambda lib, x: lib.addcdiv(x, x, x, value=None),
    lambda lib, x: x.addmm(x, x.T, beta="a"),
    lambda lib, x: lib.float_power(x, "a"),
    lambda lib, x: x.float_power("a"),
    lambda lib, x: lib.tensordot(x, x.T, dims="x"),
    lambda lib, x: lib.tensordot(x, x.T, dims=1.5),
    lambda lib, x: lib.tensordot(x, x.T, dims=None),
    lambda lib, x: lib.tensordot(x, x.T, dims=[1, 0]),
    lambda lib, x: lib.tensordot(x, x.T, dims=([1], 0)),
    lambda lib, x: lib.tensordot(x, x.T, dims=([1], ["a"])),
    lambda lib, x: lib.tensordot(x, x.T, dims=(1,)),
    lambda lib, x: lib.tensordot(x, x.T, dims=([1], [0], [1])),
    lambda lib, x: lib.tensordot(x, x.T, dims=[]),
    lambda lib, x: x.nansum(dim="a"),
    lambda lib, x: x.nanmean(dim=1.5),
    lambda lib, x: x.nanmean(dim=[0, 1.5]),
    lambda lib, x: lib.cumsum(x, dim="a"),
    lambda lib, x: x.cumprod(dim=1.5),
    lambda lib, x: x.swapaxes(0, "a"),
    lambda lib, x: x.swapaxes("a", 0),
    lambda lib, x: x.argsort("a"),
    lambda lib, x: lib.rot90(x, 1, dims="ab"),
    lambda lib, x: lib.rot90(x, 1, dims=[0, "a"]),
    lambda lib, x: lib.var_mean(x, "a"),
    lambda lib, x: x.unflatten(1, 3),
    lambda lib, x: x.unflatten(1, "ab"),
]

# refused with torch's exception class and the first line of its message (torch lists
# its overloads after it, with details fastnn does not reproduce)
FIRST_LINE = [
    lambda lib, x: x.eq([1, 2]),
    lambda lib, x: x.float_power([1, 2]),
]


@pytest.mark.parametrize("call", EXACT, ids=range(len(EXACT)))
def test_refused_as_torch_refuses(torch, call):
    same_call(call, X)


@pytest.mark.parametrize("call", FIRST_LINE, ids=range(len(FIRST_LINE)))
def test_refused_with_torch_class_and_first_line(torch, call):
    def torch_call():
        return call(torch, torch.from_numpy(X.copy()))
    try:
        torch_call()
    except TypeError as error:
        first_line = str(error).splitlines()[0]
    raises_like(torch_call, lambda: call(fastnn, fastnn.tensor(X)), first_line)


def test_function_forms_name_the_argument(torch):
    """torch's function forms list their overloads where the method names the argument:
    fastnn gives the method's wording (the class is torch's)."""
    x = fastnn.tensor(X)
    with pytest.raises(TypeError, match="^addmm\\(\\): argument 'alpha' must be Number, not str$"):
        fastnn.addmm(x, x, x.T, alpha="a")
    with pytest.raises(TypeError, match="^count_nonzero\\(\\): argument 'dim' must be tuple of "
                                        "ints, not str$"):
        x.count_nonzero(dim="a")
    with pytest.raises(TypeError):
        torch.addmm(torch.ones(2, 2), torch.ones(2, 3), torch.ones(3, 2), alpha="a")


def test_index_protocol_matches_torch(torch):
    for value in ([1], 2, [[1]], True, 1.0, [1, 2]):
        same_call(lambda lib, x: [10, 20, 30][lib.tensor(value)], X)


OPERATORS = [
    lambda x: x == None,          # noqa: E711 - torch's answer to the comparison is tested
    lambda x: x != None,          # noqa: E711
    lambda x: x == "a",
    lambda x: "a" != x,
    lambda x: x == [1, 2, 3],
    lambda x: x == (1, 2, 3),
    lambda x: x == object(),
    lambda x: x + None,
    lambda x: x - "a",
    lambda x: "a" * x,
    lambda x: x / object(),
    lambda x: x < "a",
    lambda x: None >= x,
    lambda x: x ** "a",
    lambda x: x @ "a",
    lambda x: x.bool() & "a",
    lambda x: x.long() << None,
]


@pytest.mark.parametrize("operator", OPERATORS, ids=range(len(OPERATORS)))
def test_operators_answer_as_torch(torch, operator):
    same_call(lambda lib, x: operator(x), X)


def test_in_place_operator_refuses_as_torch(torch):
    def add_in_place(lib, x):
        x += "a"
        return x
    same_call(add_in_place, X)


def test_operands_torch_takes_still_work(torch):
    """Numbers of every kind, numpy scalars and tensors, on both sides."""
    for other in (2, 2.5, True, np.float32(1.5), np.int64(3), np.bool_(True)):
        same_call(lambda lib, x: (x + other, other * x, x ** other, x == other, other > x),
                  X, rtol=1e-6)
    same_call(lambda lib, x: (x @ x.T, x - x, x.long() & x.long(), x.long() >> 1), X)


def test_without_torch():
    """The same answers, torch-free: what the operators return and the classes raised."""
    x = fastnn.tensor(X)
    assert (x == None) is False and (x != None) is True      # noqa: E711
    assert (x == [1.5, 2.5, 3.5]) is False and ("a" != x) is True
    for bad in (lambda: x + None, lambda: x * [1, 2, 3], lambda: x < "a", lambda: x.eq("a"),
                lambda: x.add("a"), lambda: x.nan_to_num(nan="a"), lambda: x.logit("a"),
                lambda: x.xlogy("a"), lambda: x.addcmul(x, x, value="a"),
                lambda: fastnn.float_power(x, "a"), lambda: fastnn.cumsum(x, "a"),
                lambda: x.unflatten(1, 3), lambda: x.nansum("a"), lambda: x.argsort("a")):
        with pytest.raises(TypeError):
            bad()
    with pytest.raises(RuntimeError, match="tensordot expects dims to be int"):
        fastnn.tensordot(x, x.T, dims="x")
    np.testing.assert_array_equal(np.asarray(x * np.float32(2)), X * 2)
    np.testing.assert_array_equal(np.asarray(2 ** fastnn.tensor(EYE)), 2 ** EYE)
