"""The padding modules (ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad;
1d/2d/3d) against torch: values for int and tuple paddings (negative too) on batched and
unbatched inputs, gradients, torch's errors for wrong ranks and impossible paddings, reprs
and (empty) state dicts; and a torch-free reference (numpy.pad)."""
import itertools

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from torch_compare import same_call

KINDS = ["ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"]
NUMPY_MODES = {"ZeroPad": "constant", "ConstantPad": "constant", "ReflectionPad": "reflect",
               "ReplicationPad": "edge", "CircularPad": "wrap"}


def make(lib, kind, nd, padding, value=2.5):
    cls = getattr(lib.nn, f"{kind}{nd}d")
    return cls(padding, value) if kind == "ConstantPad" else cls(padding)


def paddings(rng, nd, kind):
    """An int, a tuple and a tuple with a negative (cropping) pad, as each mode allows."""
    out = [1, 2, 0, tuple(int(v) for v in rng.integers(0, 3, 2 * nd))]
    crop = list(rng.integers(0, 3, 2 * nd))
    crop[int(rng.integers(0, 2 * nd))] = -1
    out.append(tuple(int(v) for v in crop))
    out.append([1] * (2 * nd))                          # a list is taken as given
    return out


CASES = [(kind, nd) for kind in KINDS for nd in (1, 2, 3)]


@pytest.mark.parametrize("kind, nd", CASES, ids=[f"{k}{n}d" for k, n in CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_padding_modules_match_torch(torch, rng, kind, nd, dtype):
    spatial = [(5,), (4, 5), (3, 4, 5)][nd - 1]
    for batched, padding in itertools.product((True, False), paddings(rng, nd, kind)):
        shape = ((2, 3) if batched else (3,)) + spatial
        x = rng.standard_normal(shape).astype(dtype)
        got, want = same_call(lambda lib, t: make(lib, kind, nd, padding)(t), x)
        assert isinstance(got, fastnn.Tensor)


@pytest.mark.parametrize("kind, nd", CASES, ids=[f"{k}{n}d" for k, n in CASES])
def test_padding_module_gradients_match_torch(torch, rng, kind, nd):
    spatial = [(6,), (4, 5), (3, 4, 5)][nd - 1]
    for batched, padding in itertools.product((True, False), paddings(rng, nd, kind)):
        x = rng.standard_normal(((2, 3) if batched else (3,)) + spatial)
        tx = torch.from_numpy(x).requires_grad_()
        ty = make(torch, kind, nd, padding)(tx)
        g = rng.standard_normal(tuple(ty.shape))
        ty.backward(torch.from_numpy(g))
        fx = fastnn.from_numpy(x.copy()).requires_grad_()
        make(fastnn, kind, nd, padding)(fx).backward(fastnn.from_numpy(g))
        np.testing.assert_allclose(np.asarray(fx.grad), tx.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("kind, nd", CASES, ids=[f"{k}{n}d" for k, n in CASES])
def test_wrong_ranks_get_torchs_errors(torch, rng, kind, nd):
    """Every rank from 0 to 6: circular modules check it themselves (ValueError), the
    others leave it to F.pad (constant pads any rank it can, the rest refuse)."""
    for ndim in range(0, 7):
        x = rng.standard_normal((2,) * ndim).astype(np.float32)
        for padding in (1, (1,) * (2 * nd)):
            same_call(lambda lib, t: make(lib, kind, nd, padding)(t), x)


ERRORS = [
    # reflection pads must be smaller than the dimension
    ("ReflectionPad", 1, 3, (2, 3)), ("ReflectionPad", 1, (0, 3), (2, 3)),
    ("ReflectionPad", 2, (1, 1, 3, 0), (1, 3, 4)), ("ReflectionPad", 2, 4, (2, 4, 4)),
    ("ReflectionPad", 3, (0, 0, 0, 0, 2, 0), (1, 2, 2, 3, 3)),
    ("ReflectionPad", 3, 3, (2, 3, 3, 3)),
    # circular pads wrap around at most once
    ("CircularPad", 1, 4, (2, 3)), ("CircularPad", 2, (0, 0, 5, 0), (1, 3, 4)),
    ("CircularPad", 3, (3, 0, 0, 0, 0, 0), (2, 2, 2, 2)),
    # crops that empty a dimension
    ("ReplicationPad", 1, -3, (2, 5)), ("ReplicationPad", 2, (-2, -2, 0, 0), (1, 3, 4)),
    ("ReflectionPad", 1, (-3, -2), (1, 2, 5)), ("CircularPad", 1, (-3, -2), (1, 2, 5)),
    ("ZeroPad", 2, (-3, -3, 0, 0), (1, 4, 5)), ("ConstantPad", 1, (-4, -2), (2, 5)),
    # empty non-batch dimensions
    ("ReflectionPad", 1, 1, (2, 0, 4)), ("ReplicationPad", 2, 1, (2, 3, 0, 4)),
    # tuples of other lengths reach F.pad as given
    ("ReflectionPad", 2, (1, 1), (2, 3, 4)), ("ReplicationPad", 1, (1, 1, 1), (2, 3, 4)),
    ("ZeroPad", 1, (1, 1, 1, 1), (2, 3, 4)), ("CircularPad", 3, (1, 1), (1, 2, 3, 4)),
    ("ReflectionPad", 1, (1, 1, 1, 1, 1, 1, 1, 1), (2, 3, 4)),
    ("ConstantPad", 3, (1,) * 8, (2, 2, 2)), ("ReplicationPad", 3, (1, 1, 1, 1), (2, 3, 4)),
    # non-int paddings
    ("ZeroPad", 2, 1.5, (1, 3, 4)), ("ReflectionPad", 1, (1.0, 1), (2, 3, 4)),
    ("ReplicationPad", 2, "ab", (1, 3, 4)), ("CircularPad", 1, None, (2, 3)),
]


@pytest.mark.parametrize("kind, nd, padding, shape", ERRORS,
                         ids=[f"{k}{n}d-{p}-{s}" for k, n, p, s in ERRORS])
def test_padding_errors_match_torch(torch, rng, kind, nd, padding, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    same_call(lambda lib, t: make(lib, kind, nd, padding)(t), x)


def test_constant_pad_values_and_dtypes(torch, rng):
    x = rng.standard_normal((2, 3, 4))
    for value in (0, -1, 3.25, float("inf"), float("nan"), True):
        same_call(lambda lib, t: lib.nn.ConstantPad1d((2, 1), value)(t), x)
        same_call(lambda lib, t: lib.nn.ConstantPad2d(1, value)(t), x.astype(np.float32))
    same_call(lambda lib, t: lib.nn.ConstantPad1d(1, "a")(t), x)


REPRS = [(kind, nd, padding) for kind in KINDS for nd in (1, 2, 3)
         for padding in (1, 0, tuple(range(2 * nd)), [2] * (2 * nd))]


@pytest.mark.parametrize("kind, nd, padding", REPRS,
                         ids=[f"{k}{n}d-{p}" for k, n, p in REPRS])
def test_repr_and_state_match_torch(torch, kind, nd, padding):
    for value in ((2.5, 0, -1) if kind == "ConstantPad" else (None,)):
        ours, theirs = (make(lib, kind, nd, padding, value) for lib in (fastnn, torch))
        assert repr(ours) == repr(theirs)
        assert ours.padding == theirs.padding
        assert list(ours.state_dict()) == list(theirs.state_dict()) == []
        assert repr(nn.Sequential(ours)) == repr(torch.nn.Sequential(theirs))


def test_modules_are_exported_and_documented():
    for kind, nd in CASES:
        cls = getattr(nn, f"{kind}{nd}d")
        assert cls.__name__ == f"{kind}{nd}d" and cls.__doc__
        assert issubclass(cls, nn.Module)
    assert issubclass(nn.ZeroPad2d, nn.ConstantPad2d)


# ---------------------------------------------------------------- torch-free reference

@pytest.mark.parametrize("kind, nd", CASES, ids=[f"{k}{n}d" for k, n in CASES])
def test_numpy_reference(rng, kind, nd):
    spatial = [(6,), (4, 5), (3, 4, 5)][nd - 1]
    for batched in (True, False):
        lead = (2, 3) if batched else (3,)
        x = rng.standard_normal(lead + spatial)
        pads = tuple(int(v) for v in rng.integers(0, 3, 2 * nd))
        # F.pad's order: last dim first, (left, right) each
        widths = [(0, 0)] * len(lead) + [(pads[2 * j], pads[2 * j + 1])
                                         for j in reversed(range(nd))]
        mode = NUMPY_MODES[kind]
        kwargs = {"constant_values": 2.5 if kind == "ConstantPad" else 0.0} \
            if mode == "constant" else {}
        want = np.pad(x, widths, mode=mode, **kwargs)
        got = make(fastnn, kind, nd, pads)(fastnn.from_numpy(x))
        assert isinstance(got, fastnn.Tensor)
        np.testing.assert_array_equal(np.asarray(got), want)
    with pytest.raises(ValueError, match=r"^expected 2D or 3D input \(got 4D input\)$"):
        nn.CircularPad1d(1)(np.zeros((1, 2, 3, 4)))
