"""Backward of linear, bmm and einsum end to end (Tensor.backward through the door)
against torch: seeded sweeps over shapes, bias forms, leading dims and einsum equations."""
import numpy as np
import pytest

from gradcheck import compare_with_torch, numerical_check

DTYPES = [np.float64, np.float32]


def _arrays(rng, dtype, *shapes):
    return [None if s is None else rng.standard_normal(s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear(torch, dtype):
    rng = np.random.default_rng(0)
    cases = [((5, 7), (4, 7), (4,)), ((2, 3, 7), (4, 7), (4,)), ((7,), (4, 7), (4,)),
             ((2, 3, 7), (7,), None), ((5, 7), (4, 7), None), ((2, 3, 7), (4, 7), (3, 4)),
             ((2, 3, 7), (4, 7), (1, 4)), ((2, 3, 7), (4, 7), ()), ((6, 20), (30, 20), (30,)),
             ((0, 7), (4, 7), (4,))]
    for shapes in cases if dtype == np.float64 else cases[::3]:
        for mask in ([True] * 3, [False, True, True], [True, False, False]):
            arrays = _arrays(rng, dtype, *shapes)
            compare_with_torch(lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), arrays,
                               torch, mask)


def test_linear_transposed_input(torch):
    rng = np.random.default_rng(1)
    x = np.asfortranarray(rng.standard_normal((2, 3, 7)))
    compare_with_torch(lambda lib, x, w, b: lib.nn.functional.linear(x, w, b),
                       [x, rng.standard_normal((4, 7)), rng.standard_normal((2, 1, 4))], torch)


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_one_sample_weight_gradient_is_an_outer_product(torch, dtype):
    """From one sample the weight's gradient is g.T x, one product per element: torch's
    keeps the sign of a zero product, and so must fastnn's."""
    import fastnn
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 7)).astype(dtype)
    x[0, ::2] = 0.0
    w = rng.standard_normal((4, 7)).astype(dtype)
    g = np.array([[-1.0, 2.0, -3.0, 0.5]], dtype)
    grads = []
    for lib in (fastnn, torch):
        weight = lib.tensor(w, requires_grad=True)
        lib.nn.functional.linear(lib.tensor(x), weight).backward(lib.tensor(g))
        grads.append(np.asarray(weight.grad.detach().numpy()))
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(np.signbit(grads[0]), np.signbit(grads[1]))
    assert np.signbit(grads[1]).any() and (grads[1] == 0).any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_bmm(torch, dtype):
    rng = np.random.default_rng(2)
    for shapes in [((3, 4, 5), (3, 5, 2)), ((1, 1, 3), (1, 3, 1)), ((2, 0, 3), (2, 3, 4))]:
        compare_with_torch(lambda lib, a, b: lib.bmm(a, b), _arrays(rng, dtype, *shapes), torch)


EINSUM = [("ij,jk->ik", [(3, 4), (4, 5)]), ("ij->ji", [(3, 4)]), ("ii->i", [(3, 3)]),
          ("ii", [(3, 3)]), ("ij->i", [(3, 4)]), ("i,j->ij", [(3,), (4,)]),
          ("...ij,...jk", [(2, 3, 4), (4, 5)]), ("...ij,...jk->...ik", [(1, 3, 4), (2, 4, 5)]),
          ("ij,ij->", [(3, 4), (1, 4)]), ("iij,jk->ik", [(3, 3, 4), (4, 2)]),
          ("i,i,i->", [(3,), (3,), (3,)]), ("bhld,bhsd->bhls", [(2, 3, 4, 5), (2, 3, 6, 5)]),
          ("i...->...", [(3, 2, 4)]), ("ab,cd->", [(2, 3), (4, 5)]),
          ("...,...->...", [(2, 3), (3,)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
          ("bij,jk", [(2, 3, 4), (4, 1)])]


@pytest.mark.parametrize("equation, shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(torch, equation, shapes):
    rng = np.random.default_rng(3)
    compare_with_torch(lambda lib, *ops: lib.einsum(equation, *ops),
                       _arrays(rng, np.float64, *shapes), torch)


def test_einsum_float32_and_central_differences(torch):
    rng = np.random.default_rng(4)
    arrays = _arrays(rng, np.float32, (2, 3, 4), (2, 4, 5))
    compare_with_torch(lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b), arrays, torch)
    numerical_check(lambda lib, a, b: lib.einsum("iij,jk->ik", a, b),
                    _arrays(rng, np.float64, (3, 3, 2), (2, 2)))
