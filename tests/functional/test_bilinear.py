"""F.bilinear and nn.Bilinear against torch: values over shapes and dtypes, torch's
initialisation, gradients of every input, and torch's errors in its words."""
import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from torch_compare import raises_like


def tol(dtype):
    if dtype == np.float32:
        return dict(rtol=1e-5, atol=1e-5)
    return dict(rtol=1e-10, atol=1e-10)


SHAPES = [((2,), 3, 4, 5), ((), 3, 4, 5), ((2, 7), 3, 4, 5), ((0,), 3, 4, 2),
          ((3, 1, 2), 1, 6, 3)]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lead, in1, in2, out", SHAPES)
def test_bilinear_matches_torch(torch, rng, lead, in1, in2, out, dtype, bias):
    x1 = rng.standard_normal(lead + (in1,)).astype(dtype)
    x2 = rng.standard_normal(lead + (in2,)).astype(dtype)
    w = rng.standard_normal((out, in1, in2)).astype(dtype)
    b = rng.standard_normal(out).astype(dtype) if bias else None
    want = torch.nn.functional.bilinear(
        *(torch.from_numpy(a) for a in (x1, x2, w)),
        None if b is None else torch.from_numpy(b)).numpy()
    got = F.bilinear(x1, x2, w, b)
    assert isinstance(got, fastnn.Tensor)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(np.asarray(got), want, **tol(dtype))


@pytest.mark.parametrize("bias", [True, False])
def test_module_init_repr_and_state_dict_as_torch(torch, bias):
    torch.manual_seed(4)
    theirs = torch.nn.Bilinear(3, 4, 5, bias=bias)
    fastnn.manual_seed(4)
    ours = nn.Bilinear(3, 4, 5, bias=bias)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (name, got), (_, want) in zip(ours.state_dict().items(),
                                      theirs.state_dict().items()):
        assert tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(np.asarray(got), want.numpy(), err_msg=name)
    bound = 1 / np.sqrt(3)
    assert np.abs(np.asarray(ours.weight)).max() <= bound
    assert (ours.in1_features, ours.in2_features, ours.out_features) == (3, 4, 5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_module_forward_with_torchs_weights(torch, rng, dtype):
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    theirs = torch.nn.Bilinear(3, 4, 5, dtype=tdtype)
    ours = nn.Bilinear(3, 4, 5, dtype=dtype)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x1 = rng.standard_normal((6, 2, 3)).astype(dtype)
    x2 = rng.standard_normal((6, 2, 4)).astype(dtype)
    with torch.no_grad():
        want = theirs(torch.from_numpy(x1), torch.from_numpy(x2)).numpy()
    got = ours(x1, x2)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(np.asarray(got), want, **tol(dtype))


@pytest.mark.parametrize("lead", [(4,), (2, 3), ()])
def test_gradients_match_torch(torch, rng, lead):
    arrays = [rng.standard_normal(lead + (3,)), rng.standard_normal(lead + (4,)),
              rng.standard_normal((5, 3, 4)), rng.standard_normal(5)]
    weights = rng.standard_normal(lead + (5,))
    results = []
    for lib in (fastnn, torch):
        leaves = [lib.from_numpy(a.copy()).requires_grad_() for a in arrays]
        out = lib.nn.functional.bilinear(*leaves)
        (out * lib.from_numpy(weights.copy())).sum().backward()
        results.append([a.grad for a in leaves])
    for got, want in zip(*results):
        np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-8, atol=1e-8)


def test_module_gradients_match_torch(torch, rng):
    theirs = torch.nn.Bilinear(3, 4, 2, dtype=torch.float64)
    ours = nn.Bilinear(3, 4, 2, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x1, x2 = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    for lib, m in ((fastnn, ours), (torch, theirs)):
        m(lib.from_numpy(x1.copy()), lib.from_numpy(x2.copy())).pow(2).sum().backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(np.asarray(p.grad), q.grad.numpy(), rtol=1e-8,
                                   atol=1e-8, err_msg=name)


def _f32(*shape):
    return np.ones(shape, np.float32)


ERRORS = {
    "dims": ((2, 7, 3), (2, 4), (5, 3, 4), (5,)),
    "batch": ((2, 7, 3), (2, 6, 4), (5, 3, 4), (5,)),
    "batch0": ((2, 3), (3, 4), (5, 3, 4), (5,)),
    "in1": ((2, 2), (2, 4), (5, 3, 4), (5,)),
    "in2": ((2, 3), (2, 5), (5, 3, 4), (5,)),
    "bias": ((2, 3), (2, 4), (5, 3, 4), (4,)),
    "bias_2d": ((2, 3), (2, 4), (5, 3, 4), (2, 5)),
    "bias_0d": ((2, 3), (2, 4), (5, 3, 4), ()),
    "weight_2d": ((2, 3), (2, 4), (5, 3), (5,)),
    "weight_4d": ((2, 3), (2, 4), (5, 3, 4, 1), (5,)),
    "input_0d": ((), (), (5, 3, 4), (5,)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_torch(torch, name):
    shapes = ERRORS[name]
    arrays = [_f32(*s) for s in shapes]
    raises_like(lambda: torch.nn.functional.bilinear(*(torch.from_numpy(a) for a in arrays)),
                lambda: F.bilinear(*arrays))


@pytest.mark.parametrize("which", [0, 1, 2, 3])
def test_dtype_mismatch_as_torch(torch, which):
    arrays = [_f32(2, 3), _f32(2, 4), _f32(5, 3, 4), _f32(5)]
    arrays[which] = arrays[which].astype(np.float64)
    raises_like(lambda: torch.nn.functional.bilinear(*(torch.from_numpy(a) for a in arrays)),
                lambda: F.bilinear(*arrays))


@pytest.mark.parametrize("args", [(0, 4, 5), (3.0, 4, 5), (3, 4.0, 5), (3, 4, 5.0),
                                  (3, 4, True), (3, 4, -1), (3, -2, 5), (-1, -2, 5)])
def test_module_constructor_errors_as_torch(torch, args):
    raises_like(lambda: torch.nn.Bilinear(*args), lambda: nn.Bilinear(*args))
