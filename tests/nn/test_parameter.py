"""nn.Parameter against torch.nn.Parameter: memory, types of derived tensors, copies, repr."""
import copy
import pickle
import re

import numpy as np
import pytest

import fastnn
from fastnn import Tensor
from fastnn.nn import Parameter

# what torch returns for each operation on a Parameter (checked live in the torch test)
OPERATIONS = {
    "add": lambda p: p + 1, "rmul": lambda p: 2 * p, "neg": lambda p: -p,
    "compare": lambda p: p > 0, "slice": lambda p: p[0], "view": lambda p: p.view(6),
    "reshape": lambda p: p.reshape(3, 2), "T": lambda p: p.T,
    "sum_dim": lambda p: p.sum(dim=0), "detach": lambda p: p.detach(),
    "clone": lambda p: p.clone(), "data": lambda p: p.data, "double": lambda p: p.double(),
    "unsqueeze": lambda p: p.unsqueeze(0), "float": lambda p: p.float(),
    "contiguous": lambda p: p.contiguous(), "flatten_same_dim": lambda p: p.flatten(1),
    "to_cpu": lambda p: p.to("cpu"), "copy": copy.copy, "deepcopy": copy.deepcopy,
    "pickle": lambda p: pickle.loads(pickle.dumps(p)),
}
EXPECTED_TYPES = {
    "float": "Parameter", "contiguous": "Parameter", "flatten_same_dim": "Parameter",
    "to_cpu": "Parameter", "copy": "Parameter", "deepcopy": "Parameter", "pickle": "Parameter",
}


def make(shape=(2, 3), dtype=np.float32):
    return Parameter(np.arange(np.prod(shape), dtype=dtype).reshape(shape))


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_result_types_match_torch(torch, name):
    ours = OPERATIONS[name](make())
    theirs = OPERATIONS[name](torch.nn.Parameter(torch.ones(2, 3)))
    assert type(ours).__name__ == type(theirs).__name__ == EXPECTED_TYPES.get(name, "Tensor")


def test_result_types_without_torch():
    p = make()
    for name, operation in OPERATIONS.items():
        expected = Parameter if EXPECTED_TYPES.get(name) == "Parameter" else Tensor
        assert type(operation(p)) is expected, name
    for result in [np.exp(p), p.astype(np.float64), p.copy(), np.concatenate([p, p]),
                   p.view(Tensor), p.ravel(), p.sum(axis=0), p.max(dim=1).values]:
        assert type(result) is Tensor


def test_shares_memory_with_data():
    data = np.zeros((2, 3), np.float32)
    p = Parameter(data)
    assert np.shares_memory(p, data) and p.requires_grad is True
    with fastnn.no_grad():      # torch refuses the write into a leaf requiring grad else
        p[0, 0] = 5.0
    assert data[0, 0] == 5.0
    tensor = fastnn.zeros(3)
    assert np.shares_memory(Parameter(tensor), tensor)
    again = Parameter(p)
    assert type(again) is Parameter and np.shares_memory(again, data)
    assert np.shares_memory(p.data, data) and np.shares_memory(p.detach(), data)
    assert isinstance(p, Tensor) and fastnn.is_tensor(p)


def test_in_place_updates_keep_the_parameter():
    p = make()
    before = p
    with fastnn.no_grad():      # torch refuses in-place writes into a leaf requiring grad
        p += 1
        p *= 2
        assert p is before and type(p) is Parameter
        assert p.fill_(3.0) is p and p.zero_() is p and p.normal_() is p
        assert p.uniform_() is p
        assert p.copy_(np.ones((2, 3))) is p and np.all(p == 1)
    assert type(p) is Parameter and p.requires_grad


def test_defaults_and_requires_grad(torch):
    empty = Parameter()
    assert empty.shape == (0,) and empty.dtype == np.float32 and empty.requires_grad
    assert tuple(torch.nn.Parameter().shape) == empty.shape
    frozen = Parameter(fastnn.ones(2), requires_grad=False)
    assert frozen.requires_grad is False
    assert Parameter(fastnn.ones(2, dtype=fastnn.int64), requires_grad=False).dtype == np.int64
    with pytest.raises(RuntimeError) as expected:
        torch.nn.Parameter(torch.ones(2, dtype=torch.long))
    with pytest.raises(RuntimeError, match=re.escape(str(expected.value))):
        Parameter(fastnn.ones(2, dtype=fastnn.int64))
    with pytest.raises(TypeError, match="argument 'data' must be a Tensor, not list"):
        Parameter([1.0, 2.0])


def test_numpy_requires_detach_as_torch(torch):
    p = make()
    with pytest.raises(RuntimeError) as expected:
        torch.nn.Parameter(torch.ones(2)).numpy()
    with pytest.raises(RuntimeError, match=re.escape(str(expected.value))):
        p.numpy()
    arr = p.detach().numpy()
    assert type(arr) is np.ndarray and np.shares_memory(arr, p)
    assert type(Parameter(fastnn.ones(2), requires_grad=False).numpy()) is np.ndarray
    assert np.shares_memory(np.asarray(p), p)


@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip(protocol):
    for requires_grad in (True, False):
        p = Parameter(np.asfortranarray(np.arange(6.0).reshape(2, 3)), requires_grad)
        back = pickle.loads(pickle.dumps(p, protocol=protocol))
        assert type(back) is Parameter and back.requires_grad is requires_grad
        np.testing.assert_array_equal(back, p)
        assert not np.shares_memory(back, p)


def test_copies(torch):
    p = make()
    deep = copy.deepcopy(p)
    assert type(deep) is Parameter and deep.requires_grad and not np.shares_memory(deep, p)
    np.testing.assert_array_equal(deep, p)
    frozen = Parameter(fastnn.ones(2), requires_grad=False)
    assert copy.deepcopy(frozen).requires_grad is False
    pair = copy.deepcopy([p, p])
    assert pair[0] is pair[1]                         # the memo keeps sharing
    shallow = copy.copy(p)
    tp = torch.nn.Parameter(torch.ones(2))
    assert (copy.copy(tp).data_ptr() == tp.data_ptr()) == np.shares_memory(shallow, p)
    assert type(shallow) is Parameter


def test_repr_matches_torch(torch):
    for requires_grad in (True, False):
        ours = Parameter(fastnn.tensor([[1.5, 2.0], [3.0, 4.0]]), requires_grad)
        theirs = torch.nn.Parameter(torch.tensor([[1.5, 2.0], [3.0, 4.0]]), requires_grad)
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert repr(Parameter(fastnn.ones(2, dtype=fastnn.float64))) == repr(
        torch.nn.Parameter(torch.ones(2, dtype=torch.float64))).replace("torch.", "fastnn.")
    assert repr(Parameter()) == repr(torch.nn.Parameter())


def test_torch_methods_on_parameters(torch):
    p = make((2, 3))
    tp = torch.nn.Parameter(torch.arange(6.0).view(2, 3))
    assert p.size() == tp.size() and p.dim() == tp.dim() and p.numel() == tp.numel()
    np.testing.assert_array_equal(p.view(3, 2), tp.detach().view(3, 2).numpy())
    np.testing.assert_array_equal(p.max(dim=1).values, tp.detach().max(dim=1).values.numpy())
    assert p.size == 6 and p.is_contiguous() and p.device == fastnn.device("cpu")
