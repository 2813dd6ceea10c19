"""fastnn.Tensor against torch.Tensor: methods, both sides of every numpy clash, errors."""
import pickle
import re

import numpy as np
import pytest

import fastnn
from fastnn import Tensor
from torch_compare import assert_same, raises_like


def as_fast(arr):
    return np.array(arr).view(Tensor)






def sample(rng, torch, shape, dtype=np.float32):
    arr = rng.standard_normal(shape).astype(dtype)
    return as_fast(arr), torch.from_numpy(arr.copy())


SHAPES = [(6,), (2, 3), (2, 3, 4), (1, 3, 1, 2), (4, 1, 2, 1, 3)]


# ---------------------------------------------------------------- view / reshape

@pytest.mark.parametrize("shape", SHAPES)
def test_view_matches_torch_and_shares_memory(torch, rng, shape):
    x, t = sample(rng, torch, shape)
    n = x.numel()
    for target in [(n,), (-1,), (1, n), (n, -1), (-1, 1, 1)] + [
            (d, -1) for d in range(1, n + 1) if n % d == 0]:
        assert_same(x.view(*target), t.view(*target))
        assert_same(x.view(target), t.view(target))
        assert_same(x.view(list(target)), t.view(list(target)))
    y = x.view(-1)
    y[0] = 123.0
    assert x.flat[0] == 123.0 and np.shares_memory(x, y)


def test_view_errors_match_torch(torch):
    x, t = as_fast(np.arange(6.0).reshape(2, 3)), torch.arange(6.0).view(2, 3)
    for shape in [(3, 5), (-1, -1), (-2, 3), (0, -1), (4, -1)]:
        raises_like(lambda: t.view(*shape), lambda: x.view(*shape))
    raises_like(lambda: t.t().view(6), lambda: x.transpose(0, 1).view(6))
    raises_like(lambda: torch.ones(0).view(-1, 0), lambda: as_fast(np.ones(0)).view(-1, 0))
    raises_like(lambda: torch.ones(2, 3).view(2, 3.0), lambda: x.view(2, 3.0),
                "must be tuple of ints,but got float")


def test_view_numpy_side(rng):
    x = as_fast(rng.standard_normal((2, 4)).astype(np.float32))
    reinterpreted = x.view(np.int32)
    np.testing.assert_array_equal(reinterpreted, np.asarray(x).view(np.int32))
    assert reinterpreted.dtype == np.int32 and np.shares_memory(reinterpreted, x)
    assert x.view("float32").dtype == np.float32
    assert type(x.view(np.ndarray)) is np.ndarray
    assert x.view(dtype=np.uint8).shape == (2, 16)
    assert type(x.view()) is Tensor and np.shares_memory(x.view(), x)


def test_view_on_non_contiguous_that_fits(torch, rng):
    x, t = sample(rng, torch, (4, 6))
    assert_same(x[:, ::2].view(4, 3, 1), t[:, ::2].view(4, 3, 1))
    assert_same(x[::2].view(2, 2, 3), t[::2].view(2, 2, 3))   # each row stays contiguous
    raises_like(lambda: t[::2].view(12), lambda: x[::2].view(12))


@pytest.mark.parametrize("shape", SHAPES)
def test_reshape_matches_torch(torch, rng, shape):
    x, t = sample(rng, torch, shape)
    for target in [(-1,), (x.numel(), 1), (1, -1)]:
        assert_same(x.reshape(*target), t.reshape(*target))
        assert_same(x.reshape(target), t.reshape(target))
        dims = list(reversed(range(t.dim())))
        assert_same(x.permute(dims).reshape(target), t.permute(dims).reshape(target))
    assert_same(x.reshape(shape=(-1,)), t.reshape(shape=(-1,)))
    raises_like(lambda: t.reshape(7, -1), lambda: x.reshape(7, -1))


def test_reshape_numpy_side(rng):
    arr = rng.standard_normal((2, 3))
    x = as_fast(arr)
    np.testing.assert_array_equal(x.reshape(3, 2, order="F"), arr.reshape(3, 2, order="F"))
    with pytest.raises(ValueError):
        x.T.reshape(6, copy=False)
    assert type(x.reshape(6, order="C")) is Tensor


def test_view_as_reshape_as_expand(torch, rng):
    x, t = sample(rng, torch, (2, 1, 3))
    other = torch.zeros(3, 2)
    assert_same(x.view_as(np.zeros((3, 2))), t.view_as(other))
    assert_same(x.reshape_as(other), t.reshape_as(other))
    assert_same(x.expand(4, 2, 5, 3), t.expand(4, 2, 5, 3))
    assert_same(x.expand(-1, 2, -1), t.expand(-1, 2, -1))
    assert_same(x.expand_as(torch.zeros(2, 2, 3)), t.expand_as(torch.zeros(2, 2, 3)))
    raises_like(lambda: t.expand(3, 3, 3), lambda: x.expand(3, 3, 3))
    raises_like(lambda: t.expand(-1, 2, 2, 3), lambda: x.expand(-1, 2, 2, 3))
    with pytest.raises(RuntimeError, match=r"the number of sizes provided \(1\) must be "
                                           r"greater or equal"):
        x.expand(3)


# ---------------------------------------------------------------- size and friends

def test_size_is_an_int_and_a_method(torch, rng):
    x, t = sample(rng, torch, (2, 3, 4))
    assert x.size == 24 and x.size + 1 == 25 and len(range(x.size)) == 24
    assert isinstance(x.size, int) and np.prod(x.shape) == x.size
    assert x.size() == t.size() and isinstance(x.size(), fastnn.Size)
    for d in range(-3, 3):
        assert x.size(d) == t.size(d)
        assert x.size(dim=d) == t.size(dim=d)
    assert x.size()[1:] == t.size()[1:] and isinstance(x.size()[1:], fastnn.Size)
    assert pickle.loads(pickle.dumps(x.size)) == 24
    raises_like(lambda: t.size(3), lambda: x.size(3))
    raises_like(lambda: t.size(-4), lambda: x.size(-4))
    raises_like(lambda: t.size(1.0), lambda: x.size(1.0))
    raises_like(lambda: torch.tensor(1.0).size(0), lambda: as_fast(1.0).size(0))


def test_dim_numel(torch, rng):
    for shape in [(), (0,), (2, 3), (1, 0, 4)]:
        x, t = sample(rng, torch, shape)
        assert x.dim() == t.dim() == x.ndimension()
        assert x.numel() == t.numel() == x.nelement()
        assert x.size() == t.size()


def test_size_type():
    size = fastnn.Size([2, 3])
    assert size == (2, 3) and repr(size) == "fastnn.Size([2, 3])"
    assert size.numel() == 6 and fastnn.Size().numel() == 1
    assert isinstance(size + (4,), fastnn.Size) and size + (4,) == (2, 3, 4)
    assert pickle.loads(pickle.dumps(size)) == size
    assert fastnn.Size([np.int64(2)]) == (2,)
    with pytest.raises(TypeError, match=r"takes an iterable of 'int' \(item 0 is 'float'\)"):
        fastnn.Size([2.5])


# ---------------------------------------------------------------- dims

def test_unsqueeze_every_dim(torch, rng):
    for shape in [(), (3,), (2, 3)]:
        x, t = sample(rng, torch, shape)
        for d in range(-len(shape) - 1, len(shape) + 1):
            assert_same(x.unsqueeze(d), t.unsqueeze(d))
            assert np.shares_memory(x.unsqueeze(d), x)
        raises_like(lambda: t.unsqueeze(len(shape) + 1), lambda: x.unsqueeze(len(shape) + 1))
        raises_like(lambda: t.unsqueeze(-len(shape) - 2), lambda: x.unsqueeze(-len(shape) - 2))
    raises_like(lambda: t.unsqueeze(1.5), lambda: x.unsqueeze(1.5))


def test_squeeze_torch_side(torch, rng):
    x, t = sample(rng, torch, (1, 3, 1, 2))
    for d in range(-4, 4):
        assert_same(x.squeeze(d), t.squeeze(d))      # dims 1 and 3 (size 3, 2) stay
        assert_same(x.squeeze(dim=d), t.squeeze(dim=d))
    assert_same(x.squeeze(), t.squeeze())
    assert_same(x.squeeze((0, 1, 2)), t.squeeze((0, 1, 2)))
    raises_like(lambda: t.squeeze(4), lambda: x.squeeze(4))
    raises_like(lambda: t.squeeze((0, 0)), lambda: x.squeeze((0, 0)))
    assert_same(as_fast(2.0).squeeze(0), torch.tensor(2.0, dtype=torch.float64).squeeze(0))


def test_squeeze_numpy_side(rng):
    x = as_fast(rng.standard_normal((1, 3, 1)))
    assert x.squeeze(axis=0).shape == (3, 1)
    with pytest.raises(ValueError):
        x.squeeze(axis=1)           # numpy refuses a non-1 axis; torch's dim leaves it


@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 3, 4), (2, 0, 3), (2, 1, 3, 2)])
def test_flatten_torch_side(torch, rng, shape):
    x, t = sample(rng, torch, shape)
    nd = max(len(shape), 1)
    for start in range(-nd, nd):
        for end in range(-nd, nd):
            if (start % nd) <= (end % nd):
                assert_same(x.flatten(start, end), t.flatten(start, end))
                assert_same(x.flatten(start_dim=start, end_dim=end),
                            t.flatten(start_dim=start, end_dim=end))
            else:
                raises_like(lambda: t.flatten(start, end), lambda: x.flatten(start, end))
        assert_same(x.flatten(start), t.flatten(start))
    raises_like(lambda: t.flatten(nd), lambda: x.flatten(nd))
    raises_like(lambda: t.flatten(0.5), lambda: x.flatten(0.5))


def test_flatten_torch_side_is_a_view_numpy_side_a_copy(rng):
    x = as_fast(rng.standard_normal((2, 3, 4)))
    assert np.shares_memory(x.flatten(1), x)
    copied = x.flatten()
    assert copied.shape == (24,) and not np.shares_memory(copied, x)
    np.testing.assert_array_equal(x.flatten("F"), np.asarray(x).flatten("F"))
    np.testing.assert_array_equal(x.flatten(order="F"), np.asarray(x).flatten("F"))


def test_permute(torch, rng):
    x, t = sample(rng, torch, (2, 3, 4))
    for dims in [(0, 1, 2), (2, 0, 1), (1, 2, 0), (-1, 0, -2)]:
        assert_same(x.permute(*dims), t.permute(*dims))
        assert_same(x.permute(dims), t.permute(dims))
        assert np.shares_memory(x.permute(dims), x)
    for dims in [(0, 1), (0, 0, 1), (0, 1, 3)]:
        raises_like(lambda: t.permute(*dims), lambda: x.permute(*dims))
    raises_like(lambda: t.permute(0, 1.5, 2), lambda: x.permute(0, 1.5, 2))


def test_transpose_torch_side(torch, rng):
    x, t = sample(rng, torch, (2, 3, 4))
    for d0 in range(-3, 3):
        for d1 in range(-3, 3):
            assert_same(x.transpose(d0, d1), t.transpose(d0, d1))
    square, tsquare = sample(rng, torch, (2, 3))
    assert_same(square.transpose(0, 1), tsquare.transpose(0, 1))   # numpy: identity
    raises_like(lambda: t.transpose(0, 3), lambda: x.transpose(0, 3))
    raises_like(lambda: t.transpose(0, 1.5), lambda: x.transpose(0, 1.5))


def test_transpose_numpy_side(rng):
    arr = rng.standard_normal((2, 3, 4))
    x = as_fast(arr)
    np.testing.assert_array_equal(x.transpose(), arr.transpose())
    np.testing.assert_array_equal(x.transpose((1, 0, 2)), arr.transpose((1, 0, 2)))
    np.testing.assert_array_equal(x.transpose(2, 0, 1), arr.transpose(2, 0, 1))
    np.testing.assert_array_equal(np.transpose(x), arr.T)
    with pytest.warns(UserWarning, match="dimension other than 2"):   # torch's deprecation
        np.testing.assert_array_equal(x.T, arr.T)
    assert type(x.transpose()) is Tensor


def test_contiguous(torch, rng):
    x, t = sample(rng, torch, (3, 4))
    views = [(x, t), (x.T, t.T), (x[:, :2], t[:, :2]), (x[::2], t[::2]),
             (x[:1].T, t[:1].T)]
    for fast, ref in views:
        assert fast.is_contiguous() == ref.is_contiguous()
        assert_same(fast.contiguous(), ref.contiguous())
        assert fast.contiguous().is_contiguous()
    assert x.contiguous() is x


def test_stride(torch, rng):
    """stride() and stride(dim) of views (transposed, sliced, stepped, expanded, 0-d) as
    torch's, errors included."""
    x, t = sample(rng, torch, (3, 4, 5))
    views = [(x, t), (x.permute(2, 0, 1), t.permute(2, 0, 1)), (x[:, 1:3], t[:, 1:3]),
             (x[::2, :, ::3], t[::2, :, ::3]),
             (x[:, :1].expand(3, 6, 5), t[:, :1].expand(3, 6, 5)), (x[0, 0, 0], t[0, 0, 0])]
    for fast, ref in views:
        assert fast.stride() == ref.stride()
        for dim in range(-fast.dim(), fast.dim()):
            assert fast.stride(dim) == ref.stride(dim)
    for (fast, ref), dim in (((x, t), 3), ((x, t), -4), ((x[0, 0, 0], t[0, 0, 0]), 0),
                             ((x, t), "0")):
        raises_like(lambda: ref.stride(dim), lambda: fast.stride(dim))


# ---------------------------------------------------------------- conversions

def test_numpy_item_tolist(torch, rng):
    x, t = sample(rng, torch, (2, 3))
    arr = x.numpy()
    assert type(arr) is np.ndarray and np.shares_memory(arr, x)
    np.testing.assert_array_equal(arr, t.numpy())
    assert x.tolist() == t.tolist()
    one, tone = sample(rng, torch, (1, 1))
    assert one.item() == tone.item() and type(one.item()) is float
    assert as_fast(np.int64(3)).item() == 3
    raises_like(lambda: t.item(), lambda: x.item())
    assert x.item(4) == np.asarray(x).item(4)     # numpy's item(index)
    assert x.item((1, 2)) == np.asarray(x)[1, 2]


def test_detach_clone(torch, rng):
    x, t = sample(rng, torch, (2, 3))
    d = x.detach()
    assert type(d) is Tensor and np.shares_memory(d, x) and d.requires_grad is False
    c = x.clone()
    assert_same(c, t.clone())
    assert not np.shares_memory(c, x)
    assert x.T.clone().flags.f_contiguous     # clone keeps the layout (preserve_format)
    assert x.detach_() is x


def test_dtype_conversions(torch, rng):
    x, t = sample(rng, torch, (2, 3))
    assert x.float() is x and x.to(fastnn.float32) is x and x.to("cpu") is x
    assert x.cpu() is x and x.to(fastnn.device("cpu")) is x
    for name in ["double", "half", "long", "int", "bool", "float"]:
        assert_same(getattr(x, name)(), getattr(t, name)())
    assert_same(x.to(fastnn.float64), t.to(torch.float64))
    assert_same(x.to("cpu", fastnn.float64), t.to("cpu", torch.float64))
    assert_same(x.to(dtype=fastnn.float64, device="cpu"), t.to(dtype=torch.float64,
                                                                device="cpu"))
    assert_same(x.to(np.zeros(1, np.float64)), t.to(torch.zeros(1, dtype=torch.float64)))
    assert_same(x.type_as(np.zeros(1, np.int64)), t.type_as(torch.zeros(1,
                                                                         dtype=torch.long)))
    copied = x.to(fastnn.float32, copy=True)
    assert copied is not x and not np.shares_memory(copied, x)
    raises_like(lambda: t.to(1), lambda: x.to(1))
    raises_like(lambda: t.to("foo"), lambda: x.to("foo"))
    with pytest.raises(RuntimeError, match="fastnn runs on the CPU only; device 'cuda'"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()
    with pytest.raises(TypeError, match="must be a fastnn dtype"):
        x.to(np.str_)
    with pytest.raises(TypeError, match="invalid combination of arguments"):
        x.to(object())


def test_device():
    cpu = fastnn.device("cpu")
    assert repr(cpu) == "device(type='cpu')" and str(cpu) == "cpu"
    assert cpu.type == "cpu" and cpu.index is None
    assert fastnn.device("cpu:0") == fastnn.device("cpu", 0) != cpu
    assert repr(fastnn.device("cpu", 0)) == "device(type='cpu', index=0)"
    assert cpu != "cpu"                       # as torch: a device is not its string
    assert fastnn.device(cpu) == cpu and hash(fastnn.device("cpu")) == hash(cpu)
    assert pickle.loads(pickle.dumps(cpu)) == cpu
    assert as_fast([1.0]).device == cpu and not as_fast([1.0]).is_cuda
    assert fastnn.device("cuda").type == "cuda"     # a name; placing data there fails
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda, .* device type at "
                                           "start of device string: foo"):
        fastnn.device("foo")
    with pytest.raises(RuntimeError, match=re.escape("Invalid device string: 'cpu:x'")):
        fastnn.device("cpu:x")


def test_device_messages_match_torch(torch):
    raises_like(lambda: torch.device("foo"), lambda: fastnn.device("foo"))
    raises_like(lambda: torch.device("cpu:x"), lambda: fastnn.device("cpu:x"))
    raises_like(lambda: torch.device(1), lambda: fastnn.device(1))


# ---------------------------------------------------------------- in-place initialisers

def test_fill_zero_copy(torch, rng):
    x, t = sample(rng, torch, (2, 3))
    assert x.fill_(2.5) is x
    assert_same(x, t.fill_(2.5))
    assert_same(x.fill_(as_fast(np.float32(7))), t.fill_(torch.tensor(7.0)))
    assert x.zero_() is x
    assert_same(x, t.zero_())
    src, tsrc = sample(rng, torch, (3,))
    assert x.copy_(src) is x
    assert_same(x, t.copy_(tsrc))
    assert_same(x.copy_(np.ones((2, 1), np.float64)), t.copy_(torch.ones(2, 1,
                                                                         dtype=torch.float64)))
    x.copy_(torch.full((2, 3), 4.0))                   # anything with __array__
    assert np.all(x == 4.0)
    raises_like(lambda: t.fill_(torch.ones(2)), lambda: x.fill_(as_fast(np.ones(2))))
    raises_like(lambda: t.copy_(torch.ones(4)), lambda: x.copy_(np.ones(4)))
    raises_like(lambda: t.copy_(torch.ones(3, 2)), lambda: x.copy_(np.ones((3, 2))))
    raises_like(lambda: torch.ones(3).copy_(torch.ones(2, 3)),
                lambda: as_fast(np.ones(3)).copy_(np.ones((2, 3))))
    with pytest.raises(TypeError, match="fill_"):
        x.fill_("a")


def test_inplace_writes_through_non_contiguous_views(rng):
    base = as_fast(np.zeros((4, 6), np.float32))
    base[:, ::2].fill_(1.0)
    assert base[:, ::2].sum() == 12 and base[:, 1::2].sum() == 0
    base.T[:3].normal_()
    assert np.count_nonzero(base[:, :3] == 1.0) == 0
    base[1:3, 1:3].copy_(np.full((2, 2), 9.0))
    assert np.all(base[1:3, 1:3] == 9.0)
    overlapping = as_fast(np.arange(6.0))
    overlapping[1:].copy_(overlapping[:-1])            # numpy resolves the overlap
    np.testing.assert_array_equal(overlapping, [0, 0, 1, 2, 3, 4])


def test_random_initialisers(torch):
    fastnn.manual_seed(3)
    x = as_fast(np.empty((200, 100), np.float32))
    assert x.normal_(2.0, 0.5) is x
    assert abs(x.mean() - 2.0) < 0.01 and abs(x.std() - 0.5) < 0.01
    assert x.dtype == np.float32
    assert x.uniform_(-3.0, 1.0) is x
    assert x.min() >= -3.0 and x.max() < 1.0 and abs(x.mean() + 1.0) < 0.02
    x.uniform_(**{"from": 4.0, "to": 5.0})
    assert x.min() >= 4.0 and x.max() < 5.0
    fastnn.manual_seed(7)
    a = as_fast(np.empty(5)).normal_()
    fastnn.manual_seed(7)
    b = as_fast(np.empty(5)).normal_()
    np.testing.assert_array_equal(a, b)
    assert as_fast(np.empty(5)).normal_(generator=np.random.default_rng(0)).shape == (5,)
    t = torch.empty(3)
    raises_like(lambda: t.normal_(0, -1), lambda: x.normal_(0, -1))
    raises_like(lambda: t.uniform_(1, 0), lambda: x.uniform_(1, 0))
    ints, tints = as_fast(np.zeros(2, np.int64)), torch.zeros(2, dtype=torch.long)
    raises_like(lambda: tints.normal_(), lambda: ints.normal_())
    raises_like(lambda: tints.uniform_(), lambda: ints.uniform_())


# ---------------------------------------------------------------- data / requires_grad

def test_data_clash():
    x = as_fast(np.arange(4.0))
    assert x.data is not x and np.shares_memory(x.data, x)   # torch: a new detached tensor
    assert not x.requires_grad_().data.requires_grad
    assert bytes(memoryview(x)) == np.asarray(x).tobytes()   # numpy's buffer
    x.data = np.ones(4)
    np.testing.assert_array_equal(x.detach(), 1.0)
    with pytest.raises(RuntimeError, match="same shape and dtype"):
        x.data = np.ones(3)


def test_requires_grad_and_hash():
    x = as_fast(np.ones(2))
    assert x.requires_grad is False and x.grad is None
    x.requires_grad = True
    assert "requires_grad=True" in repr(x)
    assert x.requires_grad_(False) is x and not x.requires_grad
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can "
                                           "require gradients"):
        as_fast(np.ones(2, np.int64)).requires_grad_()
    y = as_fast(np.ones(2))
    table = {x: "x", y: "y"}                             # hash by identity, as torch
    assert table[x] == "x" and table[y] == "y" and len({x, y, x}) == 2


# ---------------------------------------------------------------- reductions

@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_dim_reductions_match_torch(torch, rng, shape):
    x, t = sample(rng, torch, shape, np.float64)
    for d in range(-len(shape), len(shape)):
        for keepdim in (False, True):
            for name in ("sum", "mean", "argmax", "argmin"):
                expected = getattr(t, name)(dim=d, keepdim=keepdim)
                np.testing.assert_allclose(getattr(x, name)(dim=d, keepdim=keepdim),
                                           expected.numpy(), rtol=1e-12, atol=1e-12)
                assert isinstance(getattr(x, name)(dim=d, keepdim=keepdim), Tensor)
            for name in ("max", "min"):
                values, indices = getattr(x, name)(dim=d, keepdim=keepdim)
                expected = getattr(t, name)(dim=d, keepdim=keepdim)
                assert_same(values, expected.values)
                assert_same(indices, expected.indices)
                assert getattr(x, name)(dim=d).values.shape == expected.values.shape or keepdim
    np.testing.assert_allclose(x.sum(dim=tuple(range(len(shape)))),
                               t.sum(dim=tuple(range(len(shape)))).numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.mean(dim=[0], keepdim=True),
                               t.mean(dim=[0], keepdim=True).numpy(), rtol=1e-12)
    assert_same(x.argmax(dim=None, keepdim=True), t.argmax(dim=None, keepdim=True))
    for name in ("sum", "mean", "max", "argmax"):
        raises_like(lambda: getattr(t, name)(dim=len(shape)),
                    lambda: getattr(x, name)(dim=len(shape)))


def test_reductions_nan_ties_and_empty(torch):
    x = as_fast(np.array([1.0, np.nan, 3.0], np.float32))
    t = torch.tensor([1.0, float("nan"), 3.0])
    for name in ("max", "min"):
        values, indices = getattr(x, name)(dim=0)
        expected = getattr(t, name)(dim=0)
        np.testing.assert_array_equal(values, expected.values.numpy())
        assert indices == expected.indices.item()
    assert x.argmin(dim=0) == t.argmin(dim=0).item()
    ties, tties = as_fast(np.array([3.0, 1.0, 3.0])), torch.tensor([3.0, 1.0, 3.0])
    assert ties.max(dim=0).indices == tties.max(dim=0).indices.item() == 0
    empty, tempty = as_fast(np.ones((0, 3))), torch.ones(0, 3)
    raises_like(lambda: tempty.max(dim=0), lambda: empty.max(dim=0))
    raises_like(lambda: tempty.argmax(dim=0), lambda: empty.argmax(dim=0))
    assert_same(empty.max(dim=1).values, tempty.max(dim=1).values.double())
    raises_like(lambda: t.sum(dim=(0, 0)), lambda: x.sum(dim=(0, 0)))
    raises_like(lambda: torch.tensor([1, 2]).mean(dim=0),
                lambda: as_fast(np.array([1, 2])).mean(dim=0))


def test_reductions_numpy_side(rng):
    arr = rng.standard_normal((3, 4))
    x = as_fast(arr)
    np.testing.assert_array_equal(x.max(axis=0), arr.max(axis=0))   # numpy keywords
    np.testing.assert_array_equal(x.sum(axis=0), arr.sum(0))
    np.testing.assert_array_equal(x.argmax(axis=1), arr.argmax(1))
    np.testing.assert_allclose(x.mean(axis=1, keepdims=True), arr.mean(axis=1, keepdims=True))
    assert x.sum() == arr.sum() and type(x.sum()) is Tensor and x.sum().ndim == 0
    assert np.max(x) == arr.max() and np.argmax(x) == arr.argmax()
    assert np.std(x) == arr.std()


def test_std_var(torch, rng):
    x, t = sample(rng, torch, (3, 5), np.float64)
    for name in ("std", "var"):
        fast, ref = getattr(x, name), getattr(t, name)
        np.testing.assert_allclose(fast(), ref().item(), rtol=1e-12)
        assert_close = np.testing.assert_allclose
        assert_close(fast(1), ref(1).numpy(), rtol=1e-12)
        assert_close(fast(1, False), ref(1, False).numpy(), rtol=1e-12)
        assert_close(fast(False), ref(False).numpy(), rtol=1e-12)
        assert_close(fast(dim=0, keepdim=True), ref(dim=0, keepdim=True).numpy(), rtol=1e-12)
        assert_close(fast(dim=1, correction=0), ref(dim=1, correction=0).numpy(), rtol=1e-12)
        # numpy's keywords keep numpy's biased default
        assert_close(fast(axis=1), getattr(np, name)(np.asarray(x), axis=1), rtol=1e-12)
        assert_close(fast(ddof=1), ref().item(), rtol=1e-12)


# ---------------------------------------------------------------- operations, repr, ctor

def test_tensors_pickle_and_copy(rng):
    import copy
    x = as_fast(rng.standard_normal((2, 3)))
    for back in (pickle.loads(pickle.dumps(x)), copy.deepcopy(x), copy.copy(x)):
        assert type(back) is Tensor and not np.shares_memory(back, x)
        np.testing.assert_array_equal(back, x)


def test_operations_return_tensors(rng):
    x = as_fast(rng.standard_normal((2, 3)))
    for result in [x + 1, 2 * x, x @ x.T, np.exp(x), x[0], x[:, 1:], x > 0, -x, x.T,
                   x.astype(np.float32), x.copy(), np.concatenate([x, x]) + 0,
                   np.asarray(x) + x, x.sum(axis=0), np.maximum(x, 0)]:
        assert type(result) is Tensor
    element = x[0, 0]                                            # a 0-d view, as torch
    assert type(element) is Tensor and element.shape == () and np.shares_memory(element, x)
    out = as_fast(np.empty((2, 3)))
    assert np.add(x, 1, out=out) is out


@pytest.mark.parametrize("values, dtype", [
    ([1.0, 2.0], "float32"), ([1.5, 2.25], "float32"), ([1.5, 2.25], "float64"),
    ([1, 2], "int64"), ([1, 2], "int32"), ([True, False], "bool"), (2.5, "float32"),
    ([[1.5, 2.0]] * 3, "float32"), ([1e-5, 1e5], "float32"), ([1.5, float("nan")], "float32"),
    (list(range(2000)), "float32")])
def test_repr_reads_like_torch(torch, values, dtype):
    expected = repr(torch.tensor(values, dtype=getattr(torch, dtype)))
    result = repr(fastnn.tensor(values, dtype=getattr(fastnn, dtype)))
    assert result == expected.replace("torch.", "fastnn.")
    assert str(fastnn.tensor(values, dtype=getattr(fastnn, dtype))) == result


def test_repr_of_empty_tensors(torch):
    assert repr(fastnn.zeros(2, 0)) == repr(torch.zeros(2, 0))
    assert repr(fastnn.zeros(0)) == repr(torch.zeros(0))


def test_tensor_constructor(torch):
    assert_same(Tensor(2, 3).fill_(0), torch.Tensor(2, 3).fill_(0))
    assert_same(Tensor([1, 2]), torch.Tensor([1, 2]))
    assert_same(Tensor((2, 3)), torch.Tensor((2, 3)))          # data, as torch
    assert Tensor().shape == (0,) and Tensor().dtype == np.float32
    numpy_style = Tensor(shape=(2,), dtype=np.int16)           # numpy's keywords
    assert numpy_style.shape == (2,) and numpy_style.dtype == np.int16


def test_new_factories(torch, rng):
    x, t = sample(rng, torch, (2, 3), np.float64)
    assert_same(x.new_zeros(2, 4), t.new_zeros(2, 4))
    assert_same(x.new_zeros((2, 4)), t.new_zeros((2, 4)))
    assert_same(x.new_ones(3), t.new_ones(3))
    assert_same(x.new_full((2,), 1), t.new_full((2,), 1))
    assert_same(x.new_tensor([1, 2]), t.new_tensor([1, 2]))
    assert x.new_empty(4).shape == (4,) and x.new_empty(4).dtype == np.float64
    assert x.new_zeros(2, dtype=fastnn.float32).dtype == np.float32
    assert x.is_floating_point() and not x.long().is_floating_point()


def test_unusual_layouts_are_read_and_not_modified(torch, rng):
    arr = rng.standard_normal((3, 4)).astype(np.float32)
    layouts = [np.asfortranarray(arr), arr.astype(arr.dtype.newbyteorder(">")),
               arr.copy(), arr[:, ::-1].copy()[:, ::-1]]
    layouts[2].flags.writeable = False
    for source in layouts:
        before = source.copy()
        x, t = source.view(Tensor), torch.from_numpy(np.array(source, np.float32))
        assert_same(x.reshape(-1).astype(np.float32), t.reshape(-1))
        assert_same(x.flatten(0).astype(np.float32), t.flatten(0))
        assert_same(x.permute(1, 0).astype(np.float32), t.permute(1, 0))
        assert_same(x.unsqueeze(1).astype(np.float32), t.unsqueeze(1))
        assert_same(x.contiguous().astype(np.float32), t.contiguous())
        np.testing.assert_allclose(x.sum(dim=1), t.sum(dim=1).numpy(), rtol=1e-6)
        np.testing.assert_array_equal(x.clone(), before)
        assert repr(x).startswith("tensor([[")
        np.testing.assert_array_equal(source, before)


def test_methods_against_a_numpy_reference(rng):
    """Torch-free: the torch-style methods equal plain numpy computations."""
    arr = rng.standard_normal((2, 3, 4))
    x = as_fast(arr)
    np.testing.assert_array_equal(x.view(6, -1), arr.reshape(6, 4))
    np.testing.assert_array_equal(x.flatten(1), arr.reshape(2, 12))
    np.testing.assert_array_equal(x.flatten(0, 1), arr.reshape(6, 4))
    np.testing.assert_array_equal(x.permute(2, 0, 1), arr.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.transpose(0, 2), arr.swapaxes(0, 2))
    np.testing.assert_array_equal(x.unsqueeze(-1), arr[..., None])
    np.testing.assert_array_equal(x.sum(dim=1), arr.sum(axis=1))
    values, indices = x.max(dim=2, keepdim=True)
    np.testing.assert_array_equal(values, arr.max(axis=2, keepdims=True))
    np.testing.assert_array_equal(indices, arr.argmax(axis=2)[..., None])
    np.testing.assert_allclose(x.std(dim=0), arr.std(axis=0, ddof=1))
    assert x.size() == (2, 3, 4) and x.size(-1) == 4 and x.size == 24
    with pytest.raises(RuntimeError, match=re.escape("shape '[5, -1]' is invalid for input "
                                                     "of size 24")):
        x.view(5, -1)
    with pytest.raises(IndexError, match=re.escape("expected to be in range of [-3, 2], but "
                                                   "got 3")):
        x.sum(dim=3)
