"""Arithmetic and comparisons on Tensors take torch's result dtype and torch's errors: a
sweep over dtype pairs x {tensor, 0-d tensor, Python scalar, numpy scalar} x operators,
against torch itself (fastnn._ufunc_rules)."""
import itertools
import operator
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import Tensor
from fastnn._ufunc_rules import result_type
from torch_compare import raises_like

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "complex64"]
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
             "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
             "==": operator.eq, "!=": operator.ne, "&": operator.and_, "|": operator.or_,
             "^": operator.xor}
_VALUES = {"b": [True, False, True], "u": [1, 2, 3], "i": [3, 1, 2], "f": [1.5, 2.0, 3.25],
           "c": [1.5 + 1j, 2.0, 3.25 - 2j]}


def _tensors(torch, dtype, zero_dim):
    values = _VALUES[np.dtype(dtype).kind]
    arr = np.array(values[0] if zero_dim else values, dtype=dtype)
    return arr.view(Tensor), torch.from_numpy(arr.copy())


def operands(torch):
    """(label, fastnn operand, torch operand) for every dtype and kind of operand."""
    for dtype in DTYPES:
        yield (f"tensor {dtype}", *_tensors(torch, dtype, False))
        yield (f"0-d {dtype}", *_tensors(torch, dtype, True))
    for scalar in (True, 2, 2.5, 1 + 2j, np.bool_(True), np.int32(2), np.float32(2.5),
                   np.float64(2.5)):
        yield f"scalar {type(scalar).__module__}.{type(scalar).__name__}", scalar, scalar


def _pairs(torch):
    items = list(operands(torch))
    for left, right in itertools.product(items, items):
        if left[0].startswith("scalar") and right[0].startswith("scalar"):
            continue
        yield left, right


def _compare(op, left, right):
    (label_a, fa, ta), (label_b, fb, tb) = left, right
    try:
        want = op(ta, tb)
    except Exception as error:      # noqa: BLE001 - torch's refusal is the expectation
        if "ComplexHalf" in str(error):             # numpy has no complex32
            return None
        with pytest.raises(type(error)) as got:
            op(fa, fb)
        return str(error).splitlines()[0], str(got.value).splitlines()[0]
    got = op(fa, fb)
    assert type(got) is Tensor, (label_a, label_b)
    if str(want.dtype) == "torch.complex32":        # numpy has no complex32: complex64
        assert got.dtype == np.complex64
        return None
    want = want.numpy()
    assert got.dtype == want.dtype, (label_a, label_b, got.dtype, want.dtype)
    assert got.shape == want.shape, (label_a, label_b)
    tol = 1e-3 if got.dtype in (np.float16,) else 1e-6
    np.testing.assert_allclose(np.asarray(got), want, rtol=tol, atol=tol, equal_nan=True)
    return None


# Known differences, kept small and named: a bool tensor to the power of a Python bool
# (torch answers bool, fastnn refuses: numpy has no bool power loop); a numpy float64
# scalar compared with a 0-d complex tensor (numpy converts the scalar before fastnn sees
# it, so the error names ComplexDouble where torch names ComplexFloat); numpy bool scalars,
# which torch reads as floats and fastnn as bools (numpy's own functions pass np.True_ to
# ufuncs on Tensors and must keep working).
KNOWN = {(symbol, "scalar numpy.float64", "0-d complex64") for symbol in ("<", "<=", ">", ">=")}
KNOWN_OPERANDS = {"scalar numpy.bool"}
KNOWN_POWER = {("tensor bool", "scalar builtins.bool"), ("0-d bool", "scalar builtins.bool")}


@pytest.mark.parametrize("symbol", list(OPERATORS))
def test_operator_sweep_matches_torch(torch, symbol):
    op = OPERATORS[symbol]
    messages = []
    for left, right in _pairs(torch):
        if ((symbol, left[0], right[0]) in KNOWN or KNOWN_OPERANDS & {left[0], right[0]}
                or (symbol == "**" and (left[0], right[0]) in KNOWN_POWER)):
            continue
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")     # torch and numpy: ComplexWarning, overflow
            pair = _compare(op, left, right)
        if pair is not None:
            messages.append(pair)
    # the refusals torch words in ways fastnn copies carry torch's message
    for want, got in messages:
        assert want == got


def test_result_type_matches_torch(torch):
    items = list(operands(torch))
    for left, right in itertools.product(items, items):
        if left[0].startswith("scalar") and right[0].startswith("scalar") or (
                KNOWN_OPERANDS & {left[0], right[0]}):
            continue
        fast = [x.view(np.ndarray) if isinstance(x, Tensor) else x for x in (left[1], right[1])]
        want = torch.result_type(left[2], right[2])
        got = result_type(fast)
        if want == torch.complex32:                 # numpy has no complex32: complex64
            want = torch.complex64
        assert str(want).replace("torch.", "") == got.name, (left[0], right[0])


def test_the_cases_that_broke_torch_code(torch):
    image = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    assert (fastnn.from_numpy(image).permute(2, 0, 1) / 255.0).dtype == np.float32
    x = fastnn.ones(3)
    for other in (2.5, np.float64(2.5), fastnn.tensor(2.5, dtype=fastnn.float64),
                  fastnn.tensor([1, 2, 3])):
        assert (x * other).dtype == np.float32 and (other * x).dtype == np.float32
    ints = fastnn.tensor([1, 2, 3])
    assert (ints / 2).dtype == np.float32 and (ints + 0.5).dtype == np.float32
    assert (ints // 2).dtype == np.int64 and (ints ** 2).dtype == np.int64
    assert (ints > 1.5).dtype == np.bool_
    fastnn.set_default_dtype(fastnn.float64)
    try:
        assert (ints / 2).dtype == np.float64 and ints.exp().dtype == np.float64
    finally:
        fastnn.set_default_dtype(fastnn.float32)
    assert (ints / 2).dtype == np.float32


def test_integer_wraparound_as_torch(torch):
    for dtype, value in (("uint8", 300), ("uint8", -3), ("int8", 1000)):
        x = np.array([1, 2], dtype=dtype)
        want = torch.from_numpy(x.copy()) + value
        got = x.view(Tensor) + value
        assert got.dtype == x.dtype
        np.testing.assert_array_equal(got, want.numpy())


def test_value_errors_as_torch(torch):
    ints, tints = fastnn.tensor([1, 2]), torch.tensor([1, 2])
    raises_like(lambda: tints // 0, lambda: ints // 0)
    raises_like(lambda: tints % torch.tensor([1, 0]), lambda: ints % fastnn.tensor([1, 0]))
    raises_like(lambda: tints ** -1, lambda: ints ** -1)
    np.testing.assert_array_equal(fastnn.tensor([1.0]) // 0, (torch.tensor([1.0]) // 0).numpy())
    bools, tbools = fastnn.tensor([True]), torch.tensor([True])
    raises_like(lambda: tbools - tbools, lambda: bools - bools)
    raises_like(lambda: -tbools, lambda: -bools)
    raises_like(lambda: ~torch.tensor([1.0]), lambda: ~fastnn.tensor([1.0]))
    assert (-ints).dtype == np.int64 and (~bools).dtype == np.bool_


def test_in_place_operators(torch):
    x, t = fastnn.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    x += fastnn.tensor([1.0, 1.0], dtype=fastnn.float64)
    t += torch.tensor([1.0, 1.0], dtype=torch.float64)
    assert x.dtype == np.float32 and type(x) is Tensor
    np.testing.assert_array_equal(x, t.numpy())
    ints, tints = fastnn.tensor([1, 2]), torch.tensor([1, 2])

    def add_half(a):
        a += 0.5

    raises_like(lambda: add_half(tints), lambda: add_half(ints))
    out = fastnn.empty(2)
    assert np.add(x, 1, out=out) is out


def _door_signature(call):
    with fastnn.ops.record() as calls:
        call()
    (recorded,) = calls
    return recorded.attrs.get("signature")


@pytest.mark.parametrize("case, named", [
    ("float32 + float32", False), ("int64 * int64", False), ("float64 < float64", False),
    ("int64 / int64", True), ("int32 + float32", True), ("float32 + 0-d float64", True),
    ("float32 + float32 into float64", True), ("float32 += float32", False)])
def test_the_loop_is_named_only_where_numpys_own_is_not_torchs(case, named):
    """Tensor arithmetic passes numpy its loop (`signature`) only where numpy would pick
    another one itself: naming it costs time on every small op."""
    f32, f64 = fastnn.ones(3), fastnn.ones(3, dtype=fastnn.float64)
    i64, i32 = fastnn.tensor([1, 2, 3]), fastnn.tensor([1, 2, 3], dtype=fastnn.int32)
    calls = {"float32 + float32": lambda: f32 + f32, "int64 * int64": lambda: i64 * i64,
             "float64 < float64": lambda: f64 < f64, "int64 / int64": lambda: i64 / i64,
             "int32 + float32": lambda: i32 + f32,
             "float32 + 0-d float64": lambda: f32 + fastnn.tensor(1.0, dtype=fastnn.float64),
             "float32 + float32 into float64": lambda: np.add(f32, f32, out=f64),
             "float32 += float32": lambda: np.add(f32, f32, out=f32)}
    signature = _door_signature(calls[case])
    assert (signature is not None) == named
    if named:       # the loop named is torch's result dtype throughout
        assert len(set(signature[:2])) == 1


def test_unary_float_functions_promote_integers(torch):
    ints, tints = fastnn.tensor([1, 2]), torch.tensor([1, 2])
    for name in ("exp", "log", "sqrt", "sin", "tanh"):
        got = getattr(np, name)(ints)
        want = getattr(torch, name)(tints)
        assert got.dtype == np.float32 == want.numpy().dtype
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-6)


def test_numpy_dtype_requests_stay_numpy():
    x = fastnn.tensor([1, 2])
    assert np.add(x, 1, dtype=np.float64).dtype == np.float64
    assert np.asarray(x).dtype == np.int64 and type(np.asarray(x)) is np.ndarray


def test_matmul_as_torch(torch):
    rng = np.random.default_rng(0)
    for a_shape, b_shape in [((3,), (3,)), ((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)),
                             ((2, 2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)), ((2, 3), (4, 5)),
                             ((3,), (4,)), ((2, 3, 4), (5,)), ((4,), (2, 5, 6)),
                             ((2, 3, 4), (3, 4, 6)), ((), (3,)), ((2, 3, 4), (2, 5, 6))]:
        a = rng.standard_normal(a_shape).astype(np.float32)
        b = rng.standard_normal(b_shape).astype(np.float32)
        fa, fb = a.view(Tensor), b.view(Tensor)
        ta, tb = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
        for ours, theirs in ((lambda: fa @ fb, lambda: ta @ tb),
                             (lambda: fastnn.matmul(fa, fb), lambda: torch.matmul(ta, tb))):
            try:
                want = theirs()
            except RuntimeError:
                raises_like(theirs, ours)
                continue
            got = ours()
            assert type(got) is Tensor and got.shape == tuple(want.shape)
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-5)
    raises_like(lambda: torch.ones(2, 3) @ torch.ones(3, 2, dtype=torch.float64),
                lambda: fastnn.ones(2, 3) @ fastnn.ones(3, 2, dtype=fastnn.float64))
