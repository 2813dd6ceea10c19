"""Flatten, Unflatten and Identity against torch: shapes, values, reprs and errors."""
import itertools

import numpy as np
import pytest

import fastnn
import fastnn.nn as fnn


def _torch_error(fn):
    with pytest.raises(Exception) as err:
        fn()
    # torch appends C++ frames to some messages; the first part is the message itself.
    return type(err.value), str(err.value).split("\nException raised from")[0]


def _assert_same_error(torch_call, fastnn_call):
    cls, message = _torch_error(torch_call)
    with pytest.raises(Exception) as err:
        fastnn_call()
    assert type(err.value) is cls
    assert str(err.value) == message


SHAPES = [(), (3,), (2, 3), (2, 1, 4), (2, 3, 1, 2), (0, 2, 3)]


@pytest.mark.parametrize("shape", SHAPES)
def test_flatten_all_dim_pairs_match_torch(torch, shape):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    n = max(len(shape), 1)
    dims = range(-n - 1, n + 1)                       # includes one out of range each side
    for start, end in itertools.product(dims, dims):
        t_layer, f_layer = torch.nn.Flatten(start, end), fnn.Flatten(start, end)
        assert repr(f_layer) == repr(t_layer)
        try:
            expected = t_layer(torch.from_numpy(x)).numpy()
        except Exception:                             # noqa: BLE001
            _assert_same_error(lambda: t_layer(torch.from_numpy(x)), lambda: f_layer(x))
            continue
        out = f_layer(x)
        assert isinstance(out, fastnn.Tensor)
        assert out.shape == expected.shape, (start, end)
        np.testing.assert_array_equal(out, expected)


def test_flatten_defaults_and_views():
    x = np.arange(24.0).reshape(2, 3, 4)
    out = fnn.Flatten()(x)
    assert out.shape == (2, 12) and np.shares_memory(out, x)
    assert fnn.Flatten(0)(x).shape == (24,)
    assert fnn.Flatten(0, 1)(x).shape == (6, 4)
    assert repr(fnn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


@pytest.mark.parametrize("layout", ["transposed", "fortran", "readonly", "byteswapped",
                                    "tensor", "int64", "torch"])
def test_flatten_accepts_any_layout_without_touching_input(torch, layout):
    base = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    x = {"transposed": base.transpose(2, 0, 1),
         "fortran": np.asfortranarray(base),
         "readonly": base.copy(),
         "byteswapped": base.astype(">f8"),
         "tensor": base.view(fastnn.Tensor),
         "int64": base.astype(np.int64),
         "torch": torch.from_numpy(base.copy())}[layout]
    if layout == "readonly":
        x.flags.writeable = False
    before = np.asarray(x).copy()
    out = fnn.Flatten()(x)
    native = np.asarray(x).astype(np.asarray(x).dtype.newbyteorder("="))
    expected = torch.from_numpy(native).flatten(1).numpy()
    assert isinstance(out, fastnn.Tensor)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(np.asarray(x), before)


@pytest.mark.parametrize("start,end", [(1.0, -1), (True, -1), (0, 1.5), ("1", 2)])
def test_flatten_argument_types_match_torch(torch, start, end):
    x = np.zeros((2, 3, 4), np.float32)
    _assert_same_error(lambda: torch.nn.Flatten(start, end)(torch.from_numpy(x)),
                       lambda: fnn.Flatten(start, end)(x))


UNFLATTEN_CASES = [
    ((2, 12), 1, (3, 4)), ((2, 12), 1, (-1, 4)), ((2, 12), -1, (2, 2, 3)),
    ((2, 12), 0, (1, 2)), ((2, 12), 1, [12]), ((2, 12), 1, (3, -1, 2)),
    ((2, 0), 1, (2, 0)), ((2, 0), 1, (0, 5)), ((4,), 0, (2, -1)), ((2, 3, 4), 1, (3, 1)),
    # errors
    ((2, 12), 1, (5, 5)), ((2, 12), 1, (-1, 5)), ((2, 12), 1, (-1, -1)),
    ((2, 12), 1, (3, -2)), ((2, 12), 1, ()), ((2, 12), 2, (3, 4)), ((2, 12), -3, (3, 4)),
    ((2, 0), 1, (0, -1)), ((2, 0), 1, (-1, 0)), ((2, 12), 1, (-1, 0)), ((2, 12), 1, (0, 4)),
    ((), 0, (1,)), ((), -1, (-1,)), ((), 1, (1,)), ((2, 12), 1.0, (3, 4)),
    ((2, 12), 1, (True, 12)),
]


@pytest.mark.parametrize("shape,dim,sizes", UNFLATTEN_CASES)
def test_unflatten_matches_torch(torch, shape, dim, sizes):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    t_layer, f_layer = torch.nn.Unflatten(dim, sizes), fnn.Unflatten(dim, sizes)
    assert repr(f_layer) == repr(t_layer)
    try:
        expected = t_layer(torch.from_numpy(x)).numpy()
    except Exception:                                 # noqa: BLE001
        _assert_same_error(lambda: t_layer(torch.from_numpy(x)), lambda: f_layer(x))
        return
    out = f_layer(x)
    assert isinstance(out, fastnn.Tensor) and out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("sizes", [3, (3, 1.0), [np.int64(3), 4], "34", None])
def test_unflatten_size_type_errors_match_torch(torch, sizes):
    _assert_same_error(lambda: torch.nn.Unflatten(1, sizes), lambda: fnn.Unflatten(1, sizes))


def test_identity_matches_torch(torch):
    t_layer, f_layer = torch.nn.Identity(54, unused="x"), fnn.Identity(54, unused="x")
    assert repr(f_layer) == repr(t_layer) == "Identity()"
    x = np.arange(3.0).view(fastnn.Tensor)
    assert f_layer(x) is x
    plain = np.arange(3.0)
    out = f_layer(plain)
    assert isinstance(out, fastnn.Tensor) and np.shares_memory(out, plain)
    _assert_same_error(lambda: t_layer(torch.zeros(1), 2), lambda: f_layer(x, 2))


def test_shape_layers_without_torch():
    x = np.arange(24.0).reshape(2, 3, 4)
    y = fnn.Unflatten(1, (3, 4))(fnn.Flatten()(x))
    np.testing.assert_array_equal(y, x)
    assert repr(fnn.Unflatten(1, [3, 4])) == "Unflatten(dim=1, unflattened_size=[3, 4])"
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[5, 5\] don't multiply "
                                           r"up to the size of dim 1 \(12\) in the input tensor"):
        fnn.Unflatten(1, (5, 5))(x.reshape(2, 12))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-3, 2\], but got 3\)"):
        fnn.Flatten(3)(x)
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        fnn.Flatten(2, 1)(x)
