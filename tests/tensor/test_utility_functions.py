"""isin, unique_consecutive, combinations, broadcast_tensors/broadcast_shapes,
tril/triu_indices, unravel_index, argwhere, aminmax, inner, result_type, promote_types,
can_cast, is_nonzero, is_same_size, scalar_tensor: against torch (values, dtypes, errors
with torch's whole message, gradients in float64) over seeded sweeps; and torch-free,
against numpy."""
import itertools

import numpy as np
import pytest

import fastnn
from torch_compare import raises_like, same_call

RNG = np.random.default_rng(0)
DTYPES = [np.float32, np.float64, np.int64, np.int32, np.int16, np.int8, np.uint8,
          np.float16]


def ints(shape, low=0, high=4, dtype=np.int64):
    return RNG.integers(low, high, shape).astype(dtype)


def test_isin_sweep():
    for d1, d2 in itertools.product(DTYPES, DTYPES):
        for shape, tshape in [((3, 4), (5,)), ((), (2, 2)), ((0,), (3,)), ((2, 3), (0,)),
                              ((6,), ())]:
            a, b = ints(shape, 0, 6, d1), ints(tshape, 0, 6, d2)
            for unique, invert in itertools.product((False, True), repeat=2):
                same_call(lambda lib, x, y: lib.isin(x, y, assume_unique=unique,
                                                     invert=invert), a, b)
    floats = np.array([[0.5, np.nan, -0.0, np.inf], [2.0, 1.0, -np.inf, 3.0]])
    same_call(lambda lib, x, y: lib.isin(x, y), floats, np.array([np.nan, 0.0, np.inf, 1.0]))


def test_isin_with_numbers_and_errors(torch):
    a = ints((3, 4), 0, 5)
    for element, test in [(2, None), (2.5, None), (None, 3), (None, 2.0), (None, 3.5)]:
        same_call(lambda lib, x: lib.isin(x if element is None else element,
                                          x if test is None else test), a)
    same_call(lambda lib, x: lib.isin(x.to(lib.float64), 2.0, invert=True), a)
    for args, kwargs in [((2, 3), {}), ((2.0, [1]), {}), (("a", "TENSOR"), {}),
                         (("TENSOR", "TENSOR"), {"assume_unique": 1}),
                         (("TENSOR", "TENSOR"), {"invert": None})]:
        def call(lib):
            t = lib.ones(2)
            return lib.isin(*[t if v == "TENSOR" else v for v in args], **kwargs)
        raises_like(lambda: call(torch), lambda: call(fastnn))
    same_call(lambda lib, x, y: lib.isin(x, y), np.array([True, False]), np.array([1]))
    same_call(lambda lib, x, y: lib.isin(x, y), np.ones(2), np.array([True]))
    same_call(lambda lib, x: lib.isin(True, x), np.ones(2))
    same_call(lambda lib, x: lib.isin(x, True), np.ones(2))
    same_call(lambda lib, x, y: lib.isin(x, y), np.ones(2, np.complex64), np.ones(2))


def test_unique_consecutive_sweep():
    arrays = [ints((12,), 0, 3), ints((5, 4), 0, 2), ints((3, 2, 4), 0, 2, np.uint8),
              RNG.integers(0, 2, (6, 3)).astype(np.float32), np.array(3.0), np.zeros(0),
              np.zeros((0, 2)), np.zeros((2, 0)), np.array([np.nan, np.nan, 1.0, 1.0]),
              np.array([True, True, False]), np.array([[1, 1], [1, 1], [2, 3]])]
    for a in arrays:
        for inverse, counts in itertools.product((False, True), repeat=2):
            for dim in (None, 0, 1, -1, 2, -3):
                # torch's function reads its flags from the wrong positions (see
                # fastnn._set_functions): positional and keyword calls differ, as torch's
                same_call(lambda lib, x: lib.unique_consecutive(x, inverse, counts, dim), a)
                same_call(lambda lib, x: lib.unique_consecutive(
                    x, return_inverse=inverse, return_counts=counts, dim=dim), a)
                same_call(lambda lib, x: lib.unique_consecutive(x, inverse, dim=dim), a)
                same_call(lambda lib, x: x.unique_consecutive(return_inverse=inverse,
                                                              return_counts=counts, dim=dim), a)
    same_call(lambda lib, x: lib.unique_consecutive(x, dim=1.5), np.ones(2))


def test_combinations_sweep():
    for n, r, repl in itertools.product((0, 1, 3, 5), (0, 1, 2, 3, 6), (False, True)):
        for dtype in (np.float32, np.int64, np.bool_):
            a = ints((n,), 0, 9).astype(dtype)
            same_call(lambda lib, x: lib.combinations(x, r, repl), a)
    for args in [(np.ones((2, 2)), 2, False), (np.array(1.0), 2, False),
                 (np.ones(3), -1, False), (np.ones(3), 2.0, False), (np.ones(3), 2, 1)]:
        same_call(lambda lib, x: lib.combinations(x, *args[1:]), args[0])


def test_broadcast_tensors_and_shapes(torch):
    for shapes in [[(2, 1), (3,)], [(), (2, 3), (1, 3)], [(4,)], [(0, 1), (1, 5)],
                   [(2, 1), (3, 3)], [(2, 3, 1), (5,)]]:
        arrays = [RNG.standard_normal(s) for s in shapes]
        got = same_call(lambda lib, *xs: lib.broadcast_tensors(*xs), *arrays)
        want = None if got is None else tuple(got[1][0].shape)
        if want is not None:
            assert tuple(fastnn.broadcast_shapes(*shapes)) == want
    assert fastnn.broadcast_tensors() == () == torch.broadcast_tensors()
    x = fastnn.ones(2, 1)
    assert np.shares_memory(fastnn.broadcast_tensors(x, fastnn.ones(3))[0], x)
    for bad in ([fastnn.ones(2)], 1):
        raises_like(lambda: torch.broadcast_tensors(torch.ones(2), bad if bad == 1 else [
            torch.ones(2)]), lambda: fastnn.broadcast_tensors(fastnn.ones(2), bad))
    for shapes in [((2, 1), (3,)), (2, (3, 1)), (), ((2,), None, (1,)), ([2, 1], (4, 1, 1)),
                   ((2, 3), (4, 2, 3), (1,)), (fastnn.Size([2, 1]), [3]), ((0,), (1,))]:
        got = fastnn.broadcast_shapes(*shapes)
        assert isinstance(got, fastnn.Size) and list(got) == list(
            torch.broadcast_shapes(*[torch.Size(s) if isinstance(s, fastnn.Size) else s
                                     for s in shapes]))
    for shapes in [((2,), (3,)), ((2, 3), (3, 3)), ((-1,), (3,)), (2.0,), ((2,), [3, 4])]:
        raises_like(lambda: torch.broadcast_shapes(*shapes),
                    lambda: fastnn.broadcast_shapes(*shapes))


def test_triangle_indices(torch):
    for fn, row, col, offset in itertools.product(("tril_indices", "triu_indices"),
                                                  (0, 1, 3, 5), (0, 2, 4), (-10, -1, 0, 2, 7)):
        for dtype in ({}, {"dtype": "int32"}, {"dtype": "int64"}):
            kw = {k: getattr(torch, v) for k, v in dtype.items()}
            want = getattr(torch, fn)(row, col, offset, **kw).numpy()
            got = getattr(fastnn, fn)(row, col, offset,
                                      **{k: getattr(fastnn, v) for k, v in dtype.items()})
            assert isinstance(got, fastnn.Tensor) and got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
    for fn in ("tril_indices", "triu_indices"):
        for args, kwargs in [((-1, 3), {}), ((3, -1), {}), ((3.0, 3), {}), ((3, 3, 1.5), {}),
                             ((3, 3), {"dtype": "float32"}), ((3, 3), {"dtype": "int16"}),
                             ((3, 3), {"dtype": "uint8"}), ((3, 3), {"dtype": "bool"}),
                             ((3, 3), {"dtype": "float64"}), ((3, 3), {"dtype": "int8"}),
                             ((3, 3), {"dtype": "float16"})]:
            raises_like(lambda: getattr(torch, fn)(*args, **{
                k: getattr(torch, v) for k, v in kwargs.items()}),
                lambda: getattr(fastnn, fn)(*args, **{
                    k: getattr(fastnn, v) for k, v in kwargs.items()}))


def test_unravel_index(torch):
    for shape in [(2, 3), (4,), 6, (2, 3, 4), [3, 1, 2], (), (1,), (2 ** 20, 2 ** 20)]:
        for dtype in (np.int64, np.int32, np.int16, np.uint8, np.int8):
            for idx in [np.array([4, 5, 0]), np.array(3), np.array([[1], [5]]), np.zeros(0),
                        np.array([-1, -7, 6])]:
                if dtype == np.uint8 and (idx < 0).any():
                    continue
                same_call(lambda lib, x: lib.unravel_index(x, shape), idx.astype(dtype))
    same_call(lambda lib, x: lib.unravel_index(x, torch.Size([2, 3]) if lib is torch
                                               else fastnn.Size([2, 3])), np.array([5]))
    for idx, shape in [(np.array([1.0]), (2, 3)), (np.array([True]), (2, 3)),
                       (np.array([1]), (2, -3)), (np.array([1]), (2.0, 3)),
                       (np.array([1]), (2, 0)), (np.array([1]), np.array([2, 3]))]:
        same_call(lambda lib, x: lib.unravel_index(x, shape), idx)
    raises_like(lambda: torch.unravel_index(3, (2, 3)), lambda: fastnn.unravel_index(3, (2, 3)))


def test_argwhere_and_aminmax(torch):
    arrays = [RNG.standard_normal((3, 4)) > 0, ints((2, 3, 2), 0, 2), np.array(2.0),
              np.array(0.0), np.zeros((2, 0)), RNG.standard_normal((4, 5)).astype(np.float32),
              np.array([[1.0, np.nan], [2.0, 0.5]]), np.array([True, False]),
              np.zeros((0, 3)), ints((3, 3), -5, 5, np.int8)]
    for a in arrays:
        same_call(lambda lib, x: lib.argwhere(x), a)
        for dim, keepdim in itertools.product((None, 0, 1, -1, 2, -2), (False, True)):
            same_call(lambda lib, x: lib.aminmax(x, dim=dim, keepdim=keepdim), a)
            same_call(lambda lib, x: x.aminmax(dim=dim, keepdim=keepdim), a)
    for kwargs in [{"dim": 1.0}, {"keepdim": 1}]:
        same_call(lambda lib, x: lib.aminmax(x, **kwargs), np.ones((2, 3)))
    raises_like(lambda: torch.argwhere([1, 2]), lambda: fastnn.argwhere([1, 2]))
    result = fastnn.aminmax(fastnn.tensor([3.0, 1.0]))
    assert (result.min, result.max) == (1.0, 3.0) and "aminmax(\nmin=" in repr(result)


def test_inner_sweep(torch):
    for sa, sb in [((2, 3), (4, 3)), ((3,), (3,)), ((2, 1, 3), (3,)), ((), (4, 2)),
                   ((2, 3), ()), ((0,), (0,)), ((2, 0), (3, 0)), ((2, 3), (4, 2)),
                   ((0, 3), (3,))]:
        for d1, d2 in [(np.float64, np.float64), (np.float32, np.float32), (np.int64, np.int64),
                       (np.int32, np.float32), (np.int32, np.int64), (np.bool_, np.bool_),
                       (np.uint8, np.uint8)]:
            a, b = ints(sa, -3, 4).astype(d1), ints(sb, -3, 4).astype(d2)
            same_call(lambda lib, x, y: lib.inner(x, y), a, b, rtol=1e-6, atol=1e-6)
    raises_like(lambda: torch.inner(torch.ones(3), 2.0), lambda: fastnn.inner(fastnn.ones(3), 2.0))


def test_gradients_match_torch(torch):
    """aminmax, combinations, inner, broadcast_tensors: torch's gradients (float64)."""
    data = RNG.standard_normal((4, 3)).round(0)

    def chain(lib, v):
        lo, hi = lib.aminmax(v, dim=1, keepdim=True)
        lo2, hi2 = v.aminmax()
        pairs = lib.combinations(v[:, 0], 2, with_replacement=True)      # (10, 2)
        return (lib.inner(v, v[:3]).sum() + (lo * hi).sum() + lo2 * hi2
                + (pairs[:, :1] * pairs[:, 1:]).sum()
                + (lib.broadcast_tensors(v[:, :1], v)[0] * v).sum())

    x = fastnn.tensor(data, requires_grad=True)
    t = torch.from_numpy(data.copy()).requires_grad_()
    chain(fastnn, x).backward()
    chain(torch, t).backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)
    # torch has no backward for unique_consecutive; fastnn's is its ops' (index_select):
    # the gradient of each kept value goes to the first element of its run
    y = fastnn.tensor([1.0, 1.0, 2.0, 1.0], requires_grad=True)
    (fastnn.unique_consecutive(y) * fastnn.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(y.grad, [1.0, 0.0, 2.0, 3.0])
    with pytest.raises(NotImplementedError, match="unique_consecutive"):
        torch.unique_consecutive(torch.ones(2, requires_grad=True)).sum().backward()


def test_result_type_promote_types_can_cast(torch):
    # torch promotes float16 with a complex number to complex32, which numpy (so fastnn)
    # lacks: fastnn answers complex64 there
    all_dtypes = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
                  "float64", "complex64", "complex128"]
    for a, b in itertools.product(all_dtypes, all_dtypes):
        ta, tb = getattr(torch, a), getattr(torch, b)
        fa, fb = getattr(fastnn, a), getattr(fastnn, b)
        assert fastnn.promote_types(fa, fb) == np.dtype(
            str(torch.promote_types(ta, tb)).replace("torch.", "")), (a, b)
        assert fastnn.can_cast(fa, fb) is torch.can_cast(ta, tb), (a, b)
        for sa, sb in [((2,), (2,)), ((), (2,)), ((2,), ()), ((), ())]:
            want = torch.result_type(torch.zeros(sa, dtype=ta), torch.zeros(sb, dtype=tb))
            got = fastnn.result_type(fastnn.zeros(sa, dtype=fa), fastnn.zeros(sb, dtype=fb))
            if want == torch.complex32:
                assert got == np.complex64
                continue
            assert got == np.dtype(str(want).replace("torch.", "")), (a, b, sa, sb)
        for number in (True, 2, -1, 2.5) + ((1 + 2j,) if a != "float16" else ()):
            for shape in ((2,), ()):
                want = torch.result_type(torch.zeros(shape, dtype=ta), number)
                got = fastnn.result_type(fastnn.zeros(shape, dtype=fa), number)
                assert got == np.dtype(str(want).replace("torch.", "")), (a, number)
                want = torch.result_type(number, torch.zeros(shape, dtype=ta))
                assert fastnn.result_type(number, fastnn.zeros(shape, dtype=fa)) == np.dtype(
                    str(want).replace("torch.", ""))
    for p, q in itertools.product((True, 2, 2.5, 1j), repeat=2):
        assert fastnn.result_type(p, q) == np.dtype(
            str(torch.result_type(p, q)).replace("torch.", ""))
    for args in [("TENSOR", "a"), ("a", "TENSOR"), (2, "a"), ("TENSOR", [1])]:
        raises_like(lambda: torch.result_type(*[torch.ones(2) if v == "TENSOR" else v
                                                for v in args]),
                    lambda: fastnn.result_type(*[fastnn.ones(2) if v == "TENSOR" else v
                                                 for v in args]))
    for fn, args in [("promote_types", ("DT", "a")), ("promote_types", (1, "DT")),
                     ("can_cast", ("DT", 1)), ("can_cast", (None, "DT"))]:
        raises_like(lambda: getattr(torch, fn)(*[torch.float32 if v == "DT" else v
                                                 for v in args]),
                    lambda: getattr(fastnn, fn)(*[fastnn.float32 if v == "DT" else v
                                                  for v in args]))


def test_is_nonzero_is_same_size_scalar_tensor(torch):
    for a in [np.array([0.0]), np.array([]), np.array([1.0, 2.0]), np.array(np.nan),
              np.array([[True]]), np.array(0, np.int8), np.array([-0.0])]:
        same_call(lambda lib, x: lib.is_nonzero(x), a)
    raises_like(lambda: torch.is_nonzero(2), lambda: fastnn.is_nonzero(2))
    for sa, sb in [((2,), (2,)), ((2,), (2, 1)), ((), ()), ((0, 3), (0, 3))]:
        same_call(lambda lib, x, y: lib.is_same_size(x, y), np.zeros(sa), np.ones(sb))
    for a, b in [(np.ones(2), 2), (2, np.ones(2))]:
        raises_like(lambda: torch.is_same_size(*[torch.from_numpy(v) if isinstance(
            v, np.ndarray) else v for v in (a, b)]),
            lambda: fastnn.is_same_size(*[fastnn.from_numpy(v) if isinstance(
                v, np.ndarray) else v for v in (a, b)]))
    for s in (2, True, 2.5, -3, 1e30):
        for dtype in (None, "float64", "int32", "int64", "bool", "complex64", "float16"):
            same_call(lambda lib, _: lib.scalar_tensor(s, dtype=None if dtype is None
                                                       else getattr(lib, dtype)), np.zeros(1))
    for s in (np.array(2.0), np.array([2.0]), "a", 1 + 2j):
        same_call(lambda lib, x: lib.scalar_tensor(x if isinstance(s, np.ndarray) else s),
                  s if isinstance(s, np.ndarray) else np.zeros(1))
    same_call(lambda lib, _: lib.scalar_tensor(300, dtype=lib.uint8), np.zeros(1))
    assert fastnn.scalar_tensor(2.0, requires_grad=True).requires_grad


def test_against_numpy_reference():
    """Torch-free: the same as numpy's isin, tril/triu_indices, unravel_index, argwhere,
    min/max, inner, broadcast_arrays and promotion of two arrays."""
    a, b = ints((4, 5), 0, 9), ints((6,), 0, 9)
    np.testing.assert_array_equal(fastnn.isin(a, b), np.isin(a, b))
    np.testing.assert_array_equal(fastnn.isin(a, b, invert=True), np.isin(a, b, invert=True))
    np.testing.assert_array_equal(fastnn.tril_indices(4, 5, 1), np.stack(np.tril_indices(4, 1, 5)))
    np.testing.assert_array_equal(fastnn.triu_indices(4, 3), np.stack(np.triu_indices(4, 0, 3)))
    for got, want in zip(fastnn.unravel_index(fastnn.tensor([7, 19]), (4, 5)),
                         np.unravel_index([7, 19], (4, 5))):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(fastnn.argwhere(a > 4), np.argwhere(a > 4))
    lo, hi = fastnn.aminmax(a, dim=0)
    np.testing.assert_array_equal(lo, a.min(0))
    np.testing.assert_array_equal(hi, a.max(0))
    f = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(fastnn.inner(f, f[:2]), np.inner(f, f[:2]), rtol=1e-12)
    for got, want in zip(fastnn.broadcast_tensors(f[:, :1], f[0]),
                         np.broadcast_arrays(f[:, :1], f[0])):
        np.testing.assert_array_equal(got, want)
    runs = fastnn.unique_consecutive(fastnn.tensor([1, 1, 2, 2, 2, 1]), return_counts=True)
    assert runs[0].tolist() == [1, 2, 1] and runs[1].tolist() == [2, 3, 1]
    assert fastnn.combinations(fastnn.tensor([1, 2, 3])).tolist() == [[1, 2], [1, 3], [2, 3]]
    assert fastnn.promote_types(fastnn.float32, fastnn.float64) == np.float64
    assert fastnn.result_type(fastnn.ones(2, dtype=fastnn.uint8),
                              fastnn.ones(2, dtype=fastnn.int8)) == np.int16
    assert fastnn.is_nonzero(fastnn.tensor([3])) and not fastnn.is_nonzero(fastnn.tensor(0.0))
    assert fastnn.scalar_tensor(3).dtype == fastnn.get_default_dtype()
