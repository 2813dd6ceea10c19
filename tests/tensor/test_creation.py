"""Factories, dtype rules, the shape functions and the top-level namespace, against torch."""
import importlib
import re
import threading

import numpy as np
import pytest

import fastnn
from fastnn import Tensor
from torch_compare import assert_same, raises_like

# numpy warns that torch's __array__ lacks numpy 2's copy keyword; not ours to fix
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy:UserWarning")]






@pytest.fixture
def default_float64():
    fastnn.set_default_dtype(fastnn.float64)
    try:
        yield
    finally:
        fastnn.set_default_dtype(fastnn.float32)


# ---------------------------------------------------------------- namespace

def test_tensor_is_the_factory_not_the_submodule():
    assert callable(fastnn.tensor) and fastnn.tensor.__name__ == "tensor"
    importlib.import_module("fastnn.tensor")
    from fastnn.tensor import Tensor as again
    assert again is Tensor
    assert fastnn.tensor is fastnn._creation.tensor
    assert fastnn.Tensor is Tensor


def test_dtypes_are_numpy_dtypes_named_as_torch(torch):
    names = ["float32", "float", "float64", "double", "float16", "half", "int64", "long",
             "int32", "int", "int16", "short", "int8", "uint8", "bool", "complex64",
             "complex128"]
    for name in names:
        ours, theirs = getattr(fastnn, name), getattr(torch, name)
        assert isinstance(ours, np.dtype)
        assert f"torch.{ours.name}" == str(theirs), name
    assert fastnn.zeros(1).dtype == fastnn.float32 == np.float32


def test_star_import_keeps_the_builtins():
    namespace = {}
    exec("from fastnn import *", namespace)
    assert "float" not in namespace and "int" not in namespace and "bool" not in namespace
    assert "max" not in namespace and "round" not in namespace and "sum" not in namespace
    for name in ("median", "isin", "cdist", "index_add", "erfc", "conv2d", "nn", "optim"):
        assert namespace[name] is getattr(fastnn, name), name
    assert namespace["tensor"] is fastnn.tensor and namespace["float32"] == np.float32
    for name in fastnn.__all__:
        assert hasattr(fastnn, name), name


def test_cuda_namespace():
    assert fastnn.cuda.is_available() is False and fastnn.cuda.device_count() == 0


# ---------------------------------------------------------------- tensor / as_tensor

DATA = [1.5, [1.5, 2.0], [1, 2], [True, False], [1, 2.5], [True, 2], [], [[]], 3,
        [[1, 2], [3, 4]], [np.float64(1.5)], np.float64(1.5), [np.int32(1), 2],
        [np.float16(1), 2], [np.float16(1), 2.5], np.array([1, 2], np.float16),
        np.array([[1.0]], np.float64), np.array([1, 2], np.int32), [1j], np.array(True),
        [np.array([1.0, 2.0]), np.array([3.0, 4.0])]]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_dtype_rules_match_torch(torch, data):
    assert_same(fastnn.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("data", [1.5, [1, 2], [1, 2.5], [1j], np.float32(2)], ids=repr)
def test_tensor_dtype_rules_under_float64_default(torch, default_float64, data):
    torch.set_default_dtype(torch.float64)
    try:
        assert_same(fastnn.tensor(data), torch.tensor(data))
        assert repr(fastnn.tensor([1.5])) == "tensor([1.5000])"
        assert repr(fastnn.tensor([1.5], dtype=fastnn.float32)) == repr(
            torch.tensor([1.5], dtype=torch.float32)).replace("torch.", "fastnn.")
    finally:
        torch.set_default_dtype(torch.float32)


def test_tensor_copies_and_converts(torch, rng):
    arr = rng.standard_normal((2, 3))
    x = fastnn.tensor(arr)
    assert x.dtype == np.float64 and not np.shares_memory(x, arr)
    assert_same(fastnn.tensor(arr, dtype=fastnn.float32),
                torch.tensor(arr, dtype=torch.float32))
    assert_same(fastnn.tensor(torch.ones(2, dtype=torch.float64)),
                torch.ones(2, dtype=torch.float64))
    assert_same(fastnn.tensor([[1, 2]], dtype=fastnn.float64),
                torch.tensor([[1, 2]], dtype=torch.float64))
    assert fastnn.tensor([1.0], device="cpu", requires_grad=True).shape == (1,)


def test_tensor_errors_match_torch(torch):
    for data in [[[1, 2], [3]], [[1, 2], 3], [1, [2]], "a", [None]]:
        raises_like(lambda: torch.tensor(data), lambda: fastnn.tensor(data))
    raises_like(lambda: torch.from_numpy(np.array([object()])),
                lambda: fastnn.tensor(np.array([object()])))
    with pytest.raises(RuntimeError, match="fastnn runs on the CPU only"):
        fastnn.tensor([1.0], device="cuda")


def test_as_tensor_shares_when_it_can(torch):
    arr = np.arange(4.0)
    x = fastnn.as_tensor(arr)
    assert type(x) is Tensor and np.shares_memory(x, arr)
    assert fastnn.as_tensor(x) is x
    converted = fastnn.as_tensor(arr, dtype=fastnn.float32)
    assert converted.dtype == np.float32 and not np.shares_memory(converted, arr)
    assert_same(fastnn.as_tensor([1, 2]), torch.as_tensor([1, 2]))
    t = torch.arange(3.0)
    assert np.shares_memory(fastnn.as_tensor(t), t.numpy())


def test_from_numpy(torch):
    arr = np.arange(6, dtype=np.int32).reshape(2, 3)
    x = fastnn.from_numpy(arr)
    assert type(x) is Tensor and np.shares_memory(x, arr) and x.dtype == np.int32
    x[0, 0] = 100
    assert arr[0, 0] == 100
    assert np.shares_memory(fastnn.from_numpy(arr.T), arr)
    for bad in [[1], np.array([1.0], ">f4"), np.array([object()])]:
        raises_like(lambda: torch.from_numpy(bad), lambda: fastnn.from_numpy(bad))


# ---------------------------------------------------------------- sized factories

SIZE_FORMS = [((2, 3), {}), (((2, 3),), {}), (([2, 3],), {}), ((np.int64(2), 3), {}),
              ((), {"size": (2, 3)}), ((fastnn.Size([2, 3]),), {}), (((),), {})]


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_sized_factories_match_torch(torch, name):
    fast, ref = getattr(fastnn, name), getattr(torch, name)
    for args, kwargs in SIZE_FORMS:
        result, expected = fast(*args, **kwargs), ref(*args, **kwargs)
        assert type(result) is Tensor
        assert result.shape == tuple(expected.shape) and result.dtype == np.float32
        if name in ("zeros", "ones"):
            assert_same(result, expected)
    for dtype in ("float64", "float16"):
        assert fast(2, dtype=getattr(fastnn, dtype)).dtype == np.dtype(dtype)
    for device in (None, "cpu", "cpu:0", fastnn.device("cpu")):
        assert fast(2, device=device, requires_grad=True).shape == (2,)
    raises_like(lambda: ref(-1, 2), lambda: fast(-1, 2))
    raises_like(lambda: ref(2.5), lambda: fast(2.5))
    raises_like(lambda: ref((2, 2.5)), lambda: fast((2, 2.5)))
    raises_like(lambda: ref("a"), lambda: fast("a"))
    raises_like(lambda: ref(True), lambda: fast(True))
    if name not in ("rand", "randn"):     # torch words those two differently
        raises_like(lambda: ref(), lambda: fast())
    raises_like(lambda: ref(2, device="foo"), lambda: fast(2, device="foo"))
    with pytest.raises(RuntimeError, match="fastnn runs on the CPU only; device 'cuda'"):
        fast(2, device="cuda")
    with pytest.raises(TypeError, match="must be a fastnn dtype"):
        fast(2, dtype=object)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_absurd_sizes_are_refused_before_allocating(torch, name):
    fast, ref = getattr(fastnn, name), getattr(torch, name)
    raises_like(lambda: ref(2 ** 40, 2 ** 40), lambda: fast(2 ** 40, 2 ** 40))
    with pytest.raises(RuntimeError, match="DefaultCPUAllocator: can't allocate memory: you "
                                           "tried to allocate 4000000000000 bytes"):
        fast(10 ** 12)


def test_default_dtype(torch, default_float64):
    assert fastnn.get_default_dtype() == np.float64
    assert fastnn.zeros(1).dtype == np.float64 and fastnn.randn(1).dtype == np.float64
    assert fastnn.arange(0, 1, 0.5).dtype == np.float64
    assert fastnn.full((1,), 1.5).dtype == np.float64
    raises_like(lambda: torch.set_default_dtype(torch.int64),
                lambda: fastnn.set_default_dtype(fastnn.int64))
    fastnn.set_default_dtype(fastnn.float16)
    assert fastnn.get_default_dtype() == np.float16 and fastnn.ones(1).dtype == np.float16


def test_random_factories_reproducible_and_distributed():
    fastnn.manual_seed(0)
    a, b = fastnn.rand(1000), fastnn.randn(1000, dtype=fastnn.float64)
    fastnn.manual_seed(0)
    np.testing.assert_array_equal(a, fastnn.rand(1000))
    np.testing.assert_array_equal(b, fastnn.randn(1000, dtype=fastnn.float64))
    assert a.min() >= 0 and a.max() < 1 and abs(a.mean() - 0.5) < 0.05
    assert abs(b.mean()) < 0.1 and abs(b.std() - 1) < 0.1
    assert not np.array_equal(fastnn.rand(1000), a)


def test_random_factories_refuse_integer_dtypes(torch):
    raises_like(lambda: torch.rand(2, dtype=torch.long), lambda: fastnn.rand(2, dtype=fastnn.long))
    raises_like(lambda: torch.randn(2, dtype=torch.long),
                lambda: fastnn.randn(2, dtype=fastnn.long))
    raises_like(lambda: torch.rand_like(torch.ones(2, dtype=torch.long)),
                lambda: fastnn.rand_like(fastnn.ones(2, dtype=fastnn.long)))


@pytest.mark.parametrize("value", [1, 1.5, True, np.float64(2.5), np.int32(3)], ids=repr)
def test_full_dtype_matches_torch(torch, value):
    assert_same(fastnn.full((2, 3), value), torch.full((2, 3), value))
    assert_same(fastnn.full([2], value, dtype=fastnn.float64),
                torch.full([2], value, dtype=torch.float64))


def test_full_errors(torch):
    raises_like(lambda: torch.full(2, 1.0), lambda: fastnn.full(2, 1.0))
    raises_like(lambda: torch.full((2,), "a"), lambda: fastnn.full((2,), "a"))
    raises_like(lambda: torch.full((-1,), 1.0), lambda: fastnn.full((-1,), 1.0))


ARANGE_ARGS = [(5,), (0,), (2, 9), (2, 9, 3), (10, 1, -3), (0.0, 1.0, 0.1), (1, 4, 0.5),
               (-1.5, 2.25, 0.25), (0.5, 5), (np.float32(0.1), 1), (True,), (3, 3),
               (0, 1, 1e-3), (1e6, 1e6 + 1, 0.125)]


@pytest.mark.parametrize("args", ARANGE_ARGS, ids=repr)
def test_arange_matches_torch(torch, args):
    result, expected = fastnn.arange(*args), torch.arange(*args)
    assert result.dtype == expected.numpy().dtype and result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result, expected.numpy(), rtol=1e-6, atol=1e-6)
    for dtype in ("float64", "int64", "float32"):
        try:
            expected = torch.arange(*args, dtype=getattr(torch, dtype))
        except ValueError:    # a float step that truncates to 0 for an integer dtype
            raises_like(lambda: torch.arange(*args, dtype=getattr(torch, dtype)),
                        lambda: fastnn.arange(*args, dtype=getattr(fastnn, dtype)))
            continue
        result = fastnn.arange(*args, dtype=getattr(fastnn, dtype))
        assert result.shape == tuple(expected.shape) and result.dtype == np.dtype(dtype)
        np.testing.assert_allclose(result, expected.numpy(), rtol=1e-6, atol=1e-6)


def test_arange_keywords_and_errors(torch):
    assert_same(fastnn.arange(end=3), torch.arange(end=3))
    assert_same(fastnn.arange(start=1, end=3), torch.arange(start=1, end=3))
    for args in [(0, 1, 0), (0, 1, -1), (0, float("inf"))]:
        raises_like(lambda: torch.arange(*args), lambda: fastnn.arange(*args))
    with pytest.raises(TypeError, match="must be Number"):
        fastnn.arange("a")


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                  "randn_like"])
def test_like_factories(torch, name, rng):
    arr = rng.standard_normal((2, 3))
    fast, ref = getattr(fastnn, name), getattr(torch, name)
    for source in (arr, arr.view(Tensor), torch.from_numpy(arr)):
        result, expected = fast(source), ref(torch.from_numpy(arr))
        assert type(result) is Tensor and result.shape == (2, 3) and result.dtype == np.float64
        if name in ("zeros_like", "ones_like"):
            assert_same(result, expected)
    assert fast(arr, dtype=fastnn.float32).dtype == np.float32
    np.testing.assert_array_equal(arr, rng.__class__(np.random.PCG64(0)).standard_normal(
        (2, 3)))   # the input is untouched
    with pytest.raises(TypeError, match=re.escape(
            f"{name}(): argument 'input' (position 1) must be Tensor, not list")):
        fast([1.0])


def test_full_like(torch):
    assert_same(fastnn.full_like(np.ones(2, np.int64), 2.7),
                torch.full_like(torch.ones(2, dtype=torch.long), 2.7))
    assert_same(fastnn.full_like(np.ones((2, 2), np.float32), 3, dtype=fastnn.float64),
                torch.full_like(torch.ones(2, 2), 3, dtype=torch.float64))


# ---------------------------------------------------------------- shape functions

CAT_CASES = [([(2, 3), (4, 3)], 0), ([(2, 3), (2, 5)], 1), ([(2, 3), (2, 1)], -1),
             ([(2, 3, 4)] * 3, 2), ([(1, 2), (0, 2)], 0), ([(3,), (4,)], 0)]


@pytest.mark.parametrize("shapes, dim", CAT_CASES)
def test_cat_matches_torch(torch, rng, shapes, dim):
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    expected = torch.cat([torch.from_numpy(a) for a in arrays], dim)
    assert_same(fastnn.cat(arrays, dim), expected)
    assert_same(fastnn.cat(tuple(a.view(Tensor) for a in arrays), dim=dim), expected)
    assert_same(fastnn.concat(arrays, dim), expected)
    assert_same(fastnn.cat([torch.from_numpy(a) for a in arrays], dim), expected)


# inputs of SERIAL_MAX_WORK elements or more are copied by `kernels.block_copy` on every
# thread, runs of smaller ones by numpy: large and small mixed, along every dim, a batch
# of several rows, and the inputs that stay numpy's (mixed dtypes, a strided view, a
# byte-swapped array)
BIG = 1 << 17
LARGE_CAT_CASES = [([(1, 8, BIG // 4), (1, 1, BIG // 4), (1, 2, BIG // 4), (1, 4, BIG // 4),
                     (1, 1, BIG // 4)], 1, None),
                   ([(3, 2, BIG // 4), (3, 5, BIG // 4)], 1, None),
                   ([(4, BIG // 2), (1, BIG // 2), (2, BIG // 2)], 0, "float64"),
                   ([(4, BIG // 8, 1), (4, BIG // 8, 3)], 2, None),
                   ([(2, BIG), (1, BIG)], 0, "strided"),
                   ([(2, BIG), (1, BIG)], 0, "swapped"),
                   ([(2, BIG), (1, BIG)], 0, "mixed")]


@pytest.mark.parametrize("shapes, dim, kind", LARGE_CAT_CASES)
def test_large_cat_matches_torch(torch, rng, shapes, dim, kind):
    arrays = [rng.standard_normal(s).astype(np.float64 if kind == "float64" else np.float32)
              for s in shapes]
    if kind == "strided":
        arrays[0] = np.repeat(arrays[0], 2, axis=-1)[..., ::2]
    elif kind == "swapped":
        arrays[1] = arrays[1].astype(arrays[1].dtype.newbyteorder(">"))
    elif kind == "mixed":
        arrays[1] = arrays[1].astype(np.float64)
    expected = torch.cat([torch.from_numpy(np.ascontiguousarray(a).astype(
        a.dtype.newbyteorder("="))) for a in arrays], dim)
    assert_same(fastnn.cat([fastnn.tensor(a) if kind != "swapped" else a for a in arrays],
                           dim), expected)


def test_cat_promotion_and_legacy_empty(torch):
    pairs = [(torch.float32, torch.float64), (torch.int64, torch.float32),
             (torch.bool, torch.int32), (torch.uint8, torch.int8), (torch.int64, torch.float16)]
    for a, b in pairs:
        ta, tb = torch.ones(2, 2, dtype=a), torch.ones(1, 2, dtype=b)
        assert_same(fastnn.cat([ta.numpy(), tb.numpy()]), torch.cat([ta, tb]))
        assert_same(fastnn.stack([ta.numpy(), ta.numpy().astype(tb.numpy().dtype)]),
                    torch.stack([ta, ta.to(b)]))
    legacy = [torch.ones(2, 2), torch.ones(0)]
    assert_same(fastnn.cat([t.numpy() for t in legacy]), torch.cat(legacy))
    assert_same(fastnn.cat([np.ones(0, np.float32)] * 2), torch.cat([torch.ones(0)] * 2))


def test_cat_errors_match_torch(torch):
    cases = [[], torch.ones(2), [torch.ones(2, 2), torch.ones(2, 3)],
             [torch.ones(2, 2), torch.ones(2, 2, 2)], [torch.tensor(1.0), torch.tensor(2.0)],
             [torch.ones(2, 2), [1, 2]]]
    for tensors in cases:
        fast_input = tensors if not isinstance(tensors, list) else [
            t.numpy() if isinstance(t, torch.Tensor) else t for t in tensors]
        if isinstance(tensors, torch.Tensor):
            fast_input = tensors.numpy().view(Tensor)
        raises_like(lambda: torch.cat(tensors), lambda: fastnn.cat(fast_input))
    two = [torch.ones(2, 2)] * 2
    raises_like(lambda: torch.cat(two, dim=2), lambda: fastnn.cat([t.numpy() for t in two], 2))
    raises_like(lambda: torch.cat(two, dim=1.0),
                lambda: fastnn.cat([t.numpy() for t in two], 1.0))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_stack_matches_torch(torch, rng, shape):
    arrays = [rng.standard_normal(shape).astype(np.float32) for _ in range(3)]
    tensors = [torch.from_numpy(a) for a in arrays]
    for dim in range(-len(shape) - 1, len(shape) + 1):
        assert_same(fastnn.stack(arrays, dim), torch.stack(tensors, dim))
    raises_like(lambda: torch.stack(tensors, len(shape) + 2),
                lambda: fastnn.stack(arrays, len(shape) + 2))


def test_stack_errors_match_torch(torch):
    raises_like(lambda: torch.stack([]), lambda: fastnn.stack([]))
    raises_like(lambda: torch.stack([torch.ones(2, 3), torch.ones(2, 4)]),
                lambda: fastnn.stack([np.ones((2, 3)), np.ones((2, 4))]))


def test_module_shape_functions(torch, rng):
    arr = rng.standard_normal((2, 1, 3, 4)).astype(np.float32)
    t = torch.from_numpy(arr)
    for source in (arr, arr.view(Tensor), t):
        assert_same(fastnn.flatten(source), torch.flatten(t))
        assert_same(fastnn.flatten(source, 1), torch.flatten(t, 1))
        assert_same(fastnn.flatten(source, start_dim=1, end_dim=2),
                    torch.flatten(t, start_dim=1, end_dim=2))
        assert_same(fastnn.unsqueeze(source, -1), torch.unsqueeze(t, -1))
        assert_same(fastnn.squeeze(source), torch.squeeze(t))
        assert_same(fastnn.squeeze(source, 1), torch.squeeze(t, 1))
        assert_same(fastnn.squeeze(source, 0), torch.squeeze(t, 0))
        assert fastnn.numel(source) == torch.numel(t)
    assert np.shares_memory(fastnn.flatten(arr), arr)      # torch: a view when possible
    assert_same(fastnn.flatten(np.float32(3.0)), torch.flatten(torch.tensor(3.0)))
    raises_like(lambda: torch.unsqueeze(t, 5), lambda: fastnn.unsqueeze(arr, 5))
    raises_like(lambda: torch.numel([1]), lambda: fastnn.numel([1]))
    assert fastnn.is_tensor(arr.view(Tensor)) and not fastnn.is_tensor(arr)
    assert fastnn.is_tensor(fastnn.nn.Parameter(fastnn.ones(1)))
    assert fastnn.is_floating_point(arr) and not fastnn.is_floating_point(np.ones(1, int))


def test_view_functions_match_torch(torch, rng):
    """The top-level forms of permute, transpose (and its aliases), reshape and clone: the
    same values, shapes and view-or-copy as torch's, over every permutation and dim pair,
    with torch's errors; a gradient flows through them as through the methods."""
    import itertools
    arr = rng.standard_normal((2, 3, 4)).astype(np.float32)
    t = torch.from_numpy(arr)
    for source in (arr, arr.view(Tensor), t):
        for dims in itertools.permutations(range(3)):
            assert_same(fastnn.permute(source, dims), torch.permute(t, dims))
        assert_same(fastnn.permute(source, (-1, 0, 1)), torch.permute(t, (-1, 0, 1)))
        for d0, d1 in itertools.product(range(-3, 3), repeat=2):
            assert_same(fastnn.transpose(source, d0, d1), torch.transpose(t, d0, d1))
            assert_same(fastnn.swapaxes(source, d0, d1), torch.swapaxes(t, d0, d1))
            assert_same(fastnn.swapdims(source, d0, d1), torch.swapdims(t, d0, d1))
        for shape in [(6, 4), (-1,), (4, -1, 2), (2, 3, 4), (24, 1)]:
            assert_same(fastnn.reshape(source, shape), torch.reshape(t, shape))
        assert_same(fastnn.clone(source), torch.clone(t))
    view = fastnn.permute(arr, (2, 0, 1))
    assert np.shares_memory(view, arr)
    assert np.shares_memory(fastnn.reshape(arr, (6, 4)), arr)             # a view
    copied = fastnn.reshape(fastnn.transpose(arr, 0, 2), (-1,))            # a copy, as torch
    assert not np.shares_memory(copied, arr)
    assert_same(copied, torch.reshape(torch.transpose(t, 0, 2), (-1,)))
    cloned = fastnn.clone(arr)
    assert not np.shares_memory(cloned, arr)
    raises_like(lambda: torch.permute(t, (0, 1)), lambda: fastnn.permute(arr, (0, 1)))
    raises_like(lambda: torch.permute(t, (0, 0, 1)), lambda: fastnn.permute(arr, (0, 0, 1)))
    raises_like(lambda: torch.transpose(t, 0, 3), lambda: fastnn.transpose(arr, 0, 3))
    raises_like(lambda: torch.reshape(t, (5, -1)), lambda: fastnn.reshape(arr, (5, -1)))
    raises_like(lambda: torch.reshape(t, (-1, -1)), lambda: fastnn.reshape(arr, (-1, -1)))
    # squeeze and unsqueeze too: their top-level forms once dropped the graph
    x = fastnn.tensor(arr, requires_grad=True)
    y = fastnn.squeeze(fastnn.unsqueeze(x, 0), 0)
    y = fastnn.clone(fastnn.reshape(fastnn.transpose(fastnn.permute(y, (1, 2, 0)), 0, 1),
                                    (4, 6)))
    (y * fastnn.tensor(np.arange(24.0, dtype=np.float32).reshape(4, 6))).sum().backward()
    tx = t.clone().requires_grad_()
    ty = torch.squeeze(torch.unsqueeze(tx, 0), 0)
    ty = torch.clone(torch.reshape(torch.transpose(torch.permute(ty, (1, 2, 0)), 0, 1),
                                   (4, 6)))
    (ty * torch.arange(24.0).reshape(4, 6)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_shape_functions_against_numpy_reference(rng):
    """Torch-free: the module-level functions equal plain numpy computations."""
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((4, 3))
    np.testing.assert_array_equal(fastnn.cat([a, b]), np.concatenate([a, b]))
    np.testing.assert_array_equal(fastnn.stack([a, a], -1), np.stack([a, a], -1))
    np.testing.assert_array_equal(fastnn.flatten(b[None], 1), b.reshape(1, 12))
    assert fastnn.cat([a.astype(np.int64), a.astype(np.float32)]).dtype == np.float32
    assert fastnn.tensor([1, 2.5]).dtype == np.float32 and fastnn.tensor([1]).dtype == np.int64
    assert fastnn.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    with pytest.raises(RuntimeError, match=re.escape(
            "Sizes of tensors must match except in dimension 0. Expected size 3 but got "
            "size 2 for tensor number 1 in the list.")):
        fastnn.cat([a, np.ones((1, 2))])


# ---------------------------------------------------------------- grad modes

def test_grad_modes_follow_torch(torch):
    def trace(lib):
        seen = [lib.is_grad_enabled()]
        with lib.no_grad():
            seen.append(lib.is_grad_enabled())
            with lib.enable_grad():
                seen.append(lib.is_grad_enabled())
            seen.append(lib.is_grad_enabled())
        seen.append(lib.is_grad_enabled())
        lib.set_grad_enabled(False)
        seen.append(lib.is_grad_enabled())
        lib.set_grad_enabled(True)
        with lib.set_grad_enabled(False):
            seen.append(lib.is_grad_enabled())
        seen.append(lib.is_grad_enabled())
        with lib.inference_mode():
            seen += [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
        with lib.inference_mode(False):
            seen += [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
        seen.append(lib.is_inference_mode_enabled())

        @lib.no_grad()
        def called():
            return lib.is_grad_enabled()

        @lib.no_grad
        def bare():
            return lib.is_grad_enabled()

        @lib.inference_mode
        def bare_inference():
            return lib.is_inference_mode_enabled()

        @lib.set_grad_enabled(False)
        def decorated():
            return lib.is_grad_enabled()

        seen += [called(), bare(), bare_inference(), lib.is_grad_enabled(), decorated(),
                 lib.is_grad_enabled(), called.__name__]
        return seen

    assert trace(fastnn) == trace(torch)
    raises_like(lambda: torch.set_grad_enabled("a"), lambda: fastnn.set_grad_enabled("a"))


def test_grad_mode_is_per_thread():
    seen = []
    with fastnn.no_grad():
        worker = threading.Thread(target=lambda: seen.append(fastnn.is_grad_enabled()))
        worker.start()
        worker.join()
        assert fastnn.is_grad_enabled() is False
    assert seen == [True] and fastnn.is_grad_enabled()


def test_manual_seed_is_fastnn_generator():
    from fastnn import _random
    assert fastnn.manual_seed is _random.manual_seed
    fastnn.manual_seed(5)
    first = fastnn.randn(3)
    fastnn.manual_seed(5)
    np.testing.assert_array_equal(first, fastnn.randn(3))
