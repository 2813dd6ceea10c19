"""Tensor + - * on large float arrays run on all threads (fastnn/_ufunc_parallel.py): the
same values as numpy's and torch's loops, NaN and inf included, and numpy's loop wherever
the parallel kernel does not apply (other layouts: tests/tensor/test_output_layout.py)."""
import operator

import numpy as np
import pytest

import fastnn
from fastnn import _ufunc_parallel
from fastnn.kernels import elementwise

# the expected values (inf - inf) come from numpy, which warns; fastnn, as torch, does not
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

OPS = [operator.add, operator.sub, operator.mul]
SIZE = _ufunc_parallel.PARALLEL_MIN_SIZE


def _operands(rng, shape, dtype):
    a, b = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    a.reshape(-1)[:4] = [np.nan, np.inf, -np.inf, 0.0]
    b.reshape(-1)[:4] = [1.0, np.inf, np.inf, -0.0]
    return a, b


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(SIZE,), (3, SIZE // 2 + 7)])
def test_large_operands_run_on_the_kernel_with_numpys_values(rng, launched, op, dtype,
                                                             shape):
    a, b = _operands(rng, shape, dtype)
    out = op(fastnn.tensor(a), fastnn.tensor(b))
    assert elementwise.binary in launched
    assert out.dtype == np.dtype(dtype) and out.shape == shape
    np.testing.assert_array_equal(np.asarray(out), op(a, b))
    assert np.array_equal(np.signbit(np.asarray(out)), np.signbit(op(a, b)))


@pytest.mark.parametrize("op", OPS)
def test_values_equal_torchs(torch, rng, op):
    a, b = _operands(rng, (2, SIZE), "float32")
    got = op(fastnn.tensor(a), fastnn.tensor(b))
    np.testing.assert_array_equal(np.asarray(got),
                                  op(torch.from_numpy(a), torch.from_numpy(b)).numpy())


@pytest.mark.parametrize("case", ["small", "broadcast", "mixed dtypes", "small in place",
                                  "in place of another dtype", "integers"])
@pytest.mark.parametrize("op", OPS)
def test_everything_else_stays_numpys(rng, launched, case, op):
    a, b = _operands(rng, (SIZE,), "float32")
    if case.startswith("small"):
        a, b = a[:SIZE - 1], b[:SIZE - 1]
    elif case == "broadcast":
        b = b[:1]
    elif case == "mixed dtypes":
        b = b.astype(np.float64)
    elif case == "in place of another dtype":
        a = a.astype(np.float64)
    elif case == "integers":
        a, b = (rng.integers(-9, 9, SIZE) for _ in range(2))
    expected = op(a, b)
    x, y = fastnn.tensor(a), fastnn.tensor(b)
    if "in place" in case:
        out = {operator.add: operator.iadd, operator.sub: operator.isub,
               operator.mul: operator.imul}[op](x, y)
    else:
        out = op(x, y)
    assert launched == []
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-6 if case ==
                               "mixed dtypes" else 0)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("full, values", [((1, 40, 7, 7), (1, 40, 1, 1)),
                                          ((3, 24, 9, 11), (3, 24, 1, 1)),
                                          ((2, 300, 70), (2, 300, 1)),
                                          ((5, 6, 2, 3, 4), (5, 1, 1, 1, 1)),
                                          ((1, 40, 7, 7), (40, 1, 1))])
def test_one_value_per_leading_index_runs_on_the_row_kernel(rng, launched, op, dtype, full,
                                                            values):
    """A squeeze-and-excitation gate (N, C, 1, 1) against (N, C, H, W), either side first:
    numpy's and torch's values (NaN, inf, the sign of zero)."""
    a, _ = _operands(rng, full, dtype)
    s = rng.standard_normal(values).astype(dtype)
    s.reshape(-1)[:3] = [np.inf, -0.0, np.nan]
    for left, right in ((a, s), (s, a)):
        got = np.asarray(op(fastnn.tensor(left), fastnn.tensor(right)))
        expected = op(left, right)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
        assert np.array_equal(np.signbit(got), np.signbit(expected))
    assert launched.count(elementwise.row_binary) == 2


@pytest.mark.parametrize("values", [(1, 40, 1, 7), (1, 1, 1, 1)])
def test_other_broadcasts_stay_numpys(rng, launched, values):
    a = rng.standard_normal((1, 40, 7, 7)).astype(np.float32)
    s = rng.standard_normal(values).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(fastnn.tensor(a) * fastnn.tensor(s)), a * s)
    assert elementwise.row_binary not in launched


def test_row_kernel_values_equal_torchs(torch, rng):
    a = rng.standard_normal((2, 96, 14, 14)).astype(np.float32)
    s = rng.standard_normal((2, 96, 1, 1)).astype(np.float32)
    for op in OPS:
        got = op(fastnn.tensor(s), fastnn.tensor(a))
        np.testing.assert_array_equal(np.asarray(got),
                                      op(torch.from_numpy(s), torch.from_numpy(a)).numpy())


@pytest.mark.parametrize("op", OPS)
def test_the_route_remembered_for_a_shape_holds_for_its_layout_only(rng, launched, op):
    """The kernel route is decided once per call key: a C-contiguous pair of a shape runs
    on the kernel, and a transposed pair of the same shape and dtype after it (another
    key) must not reuse that route (the kernel reads its operands flat)."""
    rows, cols = 64, SIZE // 64
    a, b = (rng.standard_normal((rows, cols)).astype(np.float32) for _ in range(2))
    np.testing.assert_array_equal(np.asarray(op(fastnn.tensor(a), fastnn.tensor(b))),
                                  op(a, b))
    assert launched == [elementwise.binary]
    c, d = (rng.standard_normal((cols, rows)).astype(np.float32).T for _ in range(2))
    assert c.shape == a.shape and not c.flags.c_contiguous
    got = op(fastnn.tensor(c), fastnn.tensor(d))
    np.testing.assert_array_equal(np.asarray(got), op(c, d))
    # the transposed pair's output is transposed too, as torch's (tests/tensor/
    # test_output_layout.py): the kernel runs on the three seen in memory order
    assert got.strides == c.strides
    assert launched == [elementwise.binary] * 2


NUMBERS = [0.1, 3, -0.0, True, float("inf"), float("nan"), 1e300]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("number", NUMBERS)
def test_a_python_number_runs_on_the_number_kernel(rng, launched, op, dtype, number):
    """``x * 0.5``, ``1 - x``: the number cast to the tensor's dtype as numpy's loop casts
    it (1e300 overflows float32 to inf there too), either side first; numpy's values, NaN,
    inf and the sign of zero; a transposed tensor keeps its layout. (A bool is subtracted
    from nothing: torch's error.)"""
    a, _ = _operands(rng, (2, SIZE // 2 + 3), dtype)
    if number is True and op is operator.sub:
        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool"):
            op(fastnn.tensor(a), number)
        return
    for tensor in (a, np.ascontiguousarray(a.T).T):
        for number_first in (False, True):
            args = (number, fastnn.tensor(tensor)) if number_first else (fastnn.tensor(tensor),
                                                                         number)
            with np.errstate(over="ignore"):
                expected = op(number, tensor) if number_first else op(tensor, number)
            got = np.asarray(op(*args))
            assert got.dtype == expected.dtype == np.dtype(dtype)
            assert got.strides == tensor.strides
            np.testing.assert_array_equal(got, expected)
            assert np.array_equal(np.signbit(got), np.signbit(expected))
    assert launched == [elementwise.scalar_binary] * 4


@pytest.mark.parametrize("op", [operator.iadd, operator.isub, operator.imul])
@pytest.mark.parametrize("number", [0.5, -2, float("nan")])
def test_in_place_with_a_python_number_runs_on_the_number_kernel(rng, launched, op, number):
    a, _ = _operands(rng, (SIZE + 5,), "float32")
    x = fastnn.tensor(a.copy())
    buffer = np.asarray(x).ctypes.data
    y = op(x, number)
    assert np.asarray(y).ctypes.data == buffer
    np.testing.assert_array_equal(np.asarray(y), op(a.copy(), np.float32(number)))
    assert launched == [elementwise.scalar_binary]


@pytest.mark.parametrize("op", OPS)
def test_number_values_equal_torchs(torch, rng, op):
    a, _ = _operands(rng, (2, SIZE), "float32")
    for number in (0.1, 7, -0.0):
        np.testing.assert_array_equal(np.asarray(op(fastnn.tensor(a), number)),
                                      op(torch.from_numpy(a), number).numpy())
        np.testing.assert_array_equal(np.asarray(op(number, fastnn.tensor(a))),
                                      op(number, torch.from_numpy(a)).numpy())


@pytest.mark.parametrize("number", [2.0, 1 << 60, np.float64(2.0), np.float32(2.0)])
def test_other_numbers_and_small_tensors_stay_numpys(rng, launched, number):
    """Below PARALLEL_MIN_SIZE, an int beyond 2**53 and numpy scalars (typed: numpy's
    promotion decides their result) run numpy's loop."""
    a = rng.standard_normal(SIZE - 1).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(fastnn.tensor(a) * number), a * number)
    if type(number) is not float:
        big = rng.standard_normal(SIZE).astype(np.float32)
        np.testing.assert_array_equal(np.asarray(fastnn.tensor(big) * number), big * number)
    assert launched == []


@pytest.mark.parametrize("shape", [(1, 20, 1, 1), (2, 8, 1, 1), (1, 1, 5, 1)])
def test_same_shape_c_order_pairs_with_unit_axes_stay_numpys(rng, launched, shape):
    """Two C-contiguous small tensors of one shape with axes of size 1 (a squeeze-and-
    excitation branch's (N, C, 1, 1)) are not one value per row of each other, nor
    transposed against each other, though their strides allow both readings: numpy's
    loop, no kernel launch."""
    a, b = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
    for op in OPS:
        np.testing.assert_array_equal(np.asarray(op(fastnn.tensor(a), fastnn.tensor(b))),
                                      op(a, b))
    assert launched == []
