"""Python's protocols on a Tensor (bool, int, float, complex, index, len, iter, in), the
metadata methods (is_complex, is_signed, element_size, storage_offset, data_ptr), round,
dist, and fastnn.finfo / iinfo, against torch and torch-free."""
import re

import numpy as np
import pytest

import fastnn
from torch_compare import same_call

RNG = np.random.default_rng(23)
DTYPES = [np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_]
SHAPES = [(), (1,), (1, 1), (3,), (2, 3), (0,)]


def _array(shape, dtype):
    values = RNG.standard_normal(shape) * 3
    return (values > 0) if dtype == np.bool_ else np.abs(values).astype(dtype) \
        if dtype == np.uint8 else values.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_conversions_match_torch(torch, shape, dtype):
    a = _array(shape, dtype)
    for convert in (bool, int, float, complex, len, list, lambda x: [10, 20, 30, 40][x],
                    lambda x: x.element_size(), lambda x: x.is_complex(),
                    lambda x: x.is_signed(), lambda x: x.is_floating_point()):
        def call(lib, x):
            got = convert(x)
            # a list of 0-d tensors: compare their values
            return [v.item() for v in got] if isinstance(got, list) else got
        same_call(call, a)


def test_membership_matches_torch(torch):
    a = np.array([[1.5, 2.0], [3.0, np.nan]], np.float32)
    for element in (2, 2.0, 7, np.nan, True):
        same_call(lambda lib, x: element in x, a)
    same_call(lambda lib, x: x[0] in x, a)
    same_call(lambda lib, x: lib.tensor([9.0, 3.0]) in x, a)
    for refused in ("a", None, [2.0]):
        same_call(lambda lib, x: refused in x, a)


def test_iteration_of_zero_d_and_one_d_matches_torch(torch):
    same_call(lambda lib, x: [v.item() for v in x], np.arange(3.0))
    same_call(lambda lib, x: iter(x), np.float32(2.5))
    same_call(lambda lib, x: len(x), np.float32(2.5))
    same_call(lambda lib, x: [tuple(row.shape) for row in x], np.ones((2, 3)))


def test_storage_offset_and_data_ptr_match_torch(torch):
    a = np.arange(24.0).reshape(2, 3, 4)
    for view in (lambda x: x, lambda x: x[1], lambda x: x[:, 1:], lambda x: x[1, 2, 3:],
                 lambda x: x.transpose(0, 2)[2], lambda x: x.reshape(6, 4)[3:].t()):
        same_call(lambda lib, x: view(x).storage_offset(), a)

        def distance(lib, x):
            return view(x).data_ptr() - x.data_ptr()
        same_call(distance, a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_round_matches_torch(torch, dtype):
    a = (RNG.standard_normal((4, 5)) * 100).astype(dtype)
    a[0, :4] = [2.5, 3.5, -2.5, 0.125]
    for decimals in (0, 1, 2, 3, -1, -2):
        same_call(lambda lib, x: x.round(decimals=decimals), a, rtol=1e-6, atol=0)
        same_call(lambda lib, x: lib.round(x, decimals=decimals), a, rtol=1e-6, atol=0)
    same_call(lambda lib, x: x.round(), a)
    same_call(lambda lib, x: x.long().round(), a)
    for refused in (lambda lib, x: x.long().round(decimals=1), lambda lib, x: x.bool().round(),
                    lambda lib, x: x.round(decimals=1.5), lambda lib, x: x.round(decimals="a")):
        same_call(refused, a)

    def gradient(lib, x):
        x = x.detach().requires_grad_()
        (x.round(decimals=1) * x).sum().backward()
        return x.grad
    same_call(gradient, a, rtol=1e-6)


def test_dist_matches_torch(torch):
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((4,))
    for p in (2, 1, 0, 3.5, float("inf"), -float("inf")):
        same_call(lambda lib, x, y: x.dist(y, p), a, b, rtol=1e-12)
        same_call(lambda lib, x, y: lib.dist(x, y, p=p), a, b, rtol=1e-12)
    same_call(lambda lib, x, y: x.dist(y, "a"), a, b)
    same_call(lambda lib, x, y: lib.dist(x, 2), a, b)

    def gradient(lib, x, y):
        x, y = x.detach().requires_grad_(), y.detach().requires_grad_()
        x.dist(y, 3).backward()
        return x.grad, y.grad
    same_call(gradient, a, b, rtol=1e-10)


def test_type_info_matches_torch(torch):
    for lib_dtype in ("float32", "float64", "float16", "complex64", None):
        def info(lib):
            got = lib.finfo() if lib_dtype is None else lib.finfo(getattr(lib, lib_dtype))
            return (got.bits, got.eps, got.max, got.min, got.tiny, got.smallest_normal,
                    got.resolution, got.dtype, repr(got))
        assert info(fastnn) == info(torch)
    for lib_dtype in ("int64", "int32", "int16", "int8", "uint8"):
        def integer_info(lib):
            got = lib.iinfo(getattr(lib, lib_dtype))
            return got.bits, got.min, got.max, got.dtype, repr(got)
        assert integer_info(fastnn) == integer_info(torch)
    for refused in (lambda lib: lib.finfo(lib.int32), lambda lib: lib.iinfo(lib.float32),
                    lambda lib: lib.iinfo(lib.bool), lambda lib: lib.iinfo(None)):
        with pytest.raises(TypeError) as expected:
            refused(torch)
        with pytest.raises(TypeError, match=f"^{re.escape(str(expected.value))}$"):
            refused(fastnn)


def test_without_torch():
    x = fastnn.tensor([[2.7]])
    assert int(x) == 2 and float(x) == pytest.approx(2.7) and bool(x) is True
    assert [10, 20, 30][fastnn.tensor([2])] == 30
    for refused, error in ((lambda: bool(fastnn.ones(2)), RuntimeError),
                           (lambda: float(fastnn.ones(2)), ValueError),
                           (lambda: len(fastnn.tensor(1.0)), TypeError),
                           (lambda: "a" in fastnn.ones(2), RuntimeError),
                           (lambda: divmod(fastnn.ones(2), 2), TypeError)):
        with pytest.raises(error):
            refused()
    a = np.array([0.125, 2.5, 3.5, -17.0])
    np.testing.assert_array_equal(np.asarray(fastnn.tensor(a).round(decimals=1)),
                                  np.rint(a * 10) / 10)
    assert fastnn.tensor(np.arange(12.0)).reshape(3, 4)[1:].storage_offset() == 4
    assert fastnn.finfo(fastnn.float32).eps == float(np.finfo(np.float32).eps)
    assert fastnn.iinfo(fastnn.int8).min == -128
    assert float(fastnn.tensor([3.0, 4.0]).dist(fastnn.zeros(2))) == 5.0
