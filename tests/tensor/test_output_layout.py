"""The layout of an element-wise op's output follows its operands' as torch's TensorIterator
lays it out (fastnn/_layout.py): strides against torch's over seeded sweeps of permuted,
broadcast and transposed operands, the kernels such outputs run on against numpy's
values, and writes into the caller's array (``a += b``) in any dense layout."""
import itertools
import operator

import numpy as np
import pytest

import fastnn
from fastnn import _layout, _runtime
from fastnn.kernels import elementwise

pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

OPS = [operator.add, operator.sub, operator.mul]
IN_PLACE = {operator.add: operator.iadd, operator.sub: operator.isub,
            operator.mul: operator.imul}


def _elements(strides, itemsize):
    return tuple(s // itemsize for s in strides)


def _special(rng, shape, dtype=np.float32):
    a = rng.standard_normal(shape).astype(dtype)
    a.reshape(-1)[:4] = [np.nan, np.inf, -np.inf, -0.0]
    return a


# ------------------------------------------------------------------ the rule, torch-free

@pytest.mark.parametrize("shape, strides, others, axes", [
    ((2, 3, 4, 5), (60, 20, 5, 1), [], None),                      # C order
    ((2, 3, 4, 5), (60, 1, 15, 3), [], (0, 2, 3, 1)),              # channels-last
    ((4, 3), (1, 4), [], (1, 0)),                                  # transposed
    ((4, 3), (1, 4), [(4, 3)], (1, 0)),            # the first operand decides
    ((1, 3, 4, 5), (60, 1, 15, 3), [(3, 1, 1)], (0, 2, 3, 1)),     # and a broadcast one
])
def test_output_axes_of_known_layouts(shape, strides, others, axes):
    base = np.zeros(int(np.prod(shape)), np.float32)
    first = np.lib.stride_tricks.as_strided(base, shape, tuple(4 * s for s in strides))
    operands = [first] + [np.zeros(s, np.float32) for s in others] + [2.0]
    assert _layout.output_axes(shape, operands) == axes


def test_broadcast_operands_alone_keep_c_order():
    col = np.zeros((4, 1), np.float32)
    row = np.zeros((1, 5), np.float32).T.T
    assert _layout.output_axes((4, 5), [col, row]) is None
    assert _layout.output_axes((4, 5), [np.zeros((5, 4), np.float32).T[:, :1], row]) is None


def test_empty_in_order_is_dense_in_that_order():
    out = _layout.empty_in_order(*_layout.allocation((2, 3, 4, 5), np.float32, (0, 2, 3, 1)))
    assert out.shape == (2, 3, 4, 5)
    assert _elements(out.strides, 4) == (60, 1, 15, 3)


# ------------------------------------------------------------------ strides against torch

def _permuted(rng, shape, perm):
    """An operand of `shape` whose memory is laid out in axis order `perm`."""
    base = rng.standard_normal(tuple(shape[p] for p in perm)).astype(np.float32)
    return base.transpose(np.argsort(perm))


def _cases(rng, count):
    for _ in range(count):
        ndim = int(rng.integers(2, 5))
        shape = tuple(int(n) for n in rng.integers(2, 6, ndim))
        first = _permuted(rng, shape, rng.permutation(ndim))
        kind = rng.integers(0, 4)
        if kind == 0:        # another layout of the same shape
            second = _permuted(rng, shape, rng.permutation(ndim))
        elif kind == 1:      # broadcast: some axes 1, maybe fewer dims
            small = tuple(n if rng.random() < 0.5 else 1 for n in shape)
            second = rng.standard_normal(small[int(rng.integers(0, ndim)):]).astype(
                np.float32)
        elif kind == 2:      # C order
            second = rng.standard_normal(shape).astype(np.float32)
        else:
            second = 1.5
        yield (first, second) if rng.random() < 0.5 else (second, first)


@pytest.mark.parametrize("op", OPS + [operator.truediv, "maximum"])
def test_output_strides_equal_torchs(torch, op):
    rng = np.random.default_rng(5)
    for a, b in _cases(rng, 60):
        if op == "maximum":     # numpy's ufunc on Tensors, torch.maximum on torch's
            got = np.maximum(*(fastnn.tensor(x) if isinstance(x, np.ndarray) else x
                               for x in (a, b)))
            expected = torch.maximum(*(torch.from_numpy(np.asarray(x, np.float32))
                                       for x in (a, b)))
        else:
            got = op(*(fastnn.tensor(x) if isinstance(x, np.ndarray) else x
                       for x in (a, b)))
            expected = op(*(torch.from_numpy(x) if isinstance(x, np.ndarray) else x
                            for x in (a, b)))
        np.testing.assert_allclose(np.asarray(got), expected.numpy(), rtol=1e-6)
        # a dimension of size 1 has no stride that matters
        mine = [s for n, s in zip(got.shape, _elements(got.strides, 4)) if n > 1]
        theirs = [s for n, s in zip(expected.shape, expected.stride()) if n > 1]
        assert mine == theirs, (a.shape if isinstance(a, np.ndarray) else a,
                                b.shape if isinstance(b, np.ndarray) else b)


def test_a_channels_last_scale_and_residual_as_torch(torch):
    """ConvNeXt's block tail: layer scale times a permuted view, plus the NCHW input in
    place."""
    rng = np.random.default_rng(2)
    y = rng.standard_normal((2, 6, 5, 24)).astype(np.float32)
    gamma = rng.standard_normal((24, 1, 1)).astype(np.float32)
    inp = rng.standard_normal((2, 24, 6, 5)).astype(np.float32)
    got = fastnn.tensor(gamma) * fastnn.tensor(y).permute(0, 3, 1, 2)
    got += fastnn.tensor(inp)
    expected = torch.from_numpy(gamma) * torch.from_numpy(y).permute(0, 3, 1, 2)
    expected += torch.from_numpy(inp)
    np.testing.assert_array_equal(np.asarray(got), expected.numpy())
    assert _elements(got.strides, 4) == expected.stride()


# ------------------------------------------------------------------ kernels

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", OPS)
def test_one_value_per_channel_of_a_channels_last_tensor(rng, launched, op, dtype):
    """Large enough for the kernel (a smaller one runs numpy's loop into the same layout,
    which test_output_strides_equal_torchs covers)."""
    x = _special(rng, (2, 48, 48, 64), dtype).transpose(0, 3, 1, 2)     # channels-last view
    values = _special(rng, (64, 1, 1), dtype)
    for left, right in ((x, values), (values, x)):
        got = np.asarray(op(fastnn.tensor(left), fastnn.tensor(right)))
        expected = op(left, right)
        np.testing.assert_array_equal(got, expected)
        assert np.array_equal(np.signbit(got), np.signbit(expected))
        assert got.strides == expected.strides
    assert launched.count(elementwise.column_binary) == 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape", [(1, 40, 7, 7), (3, 33, 5, 13), (2, 70, 41)])
def test_channels_last_against_nchw(rng, launched, op, dtype, shape):
    """Either side first, either layout the output's (the first operand's), and in place
    into either: each output the op of the same two numbers as numpy's."""
    nchw = _special(rng, shape, dtype)
    moved = (0,) + tuple(range(2, len(shape))) + (1,)
    last = np.ascontiguousarray(_special(rng, shape, dtype).transpose(moved)).transpose(
        np.argsort(moved))
    for left, right in ((nchw, last), (last, nchw)):
        got = np.asarray(op(fastnn.tensor(left), fastnn.tensor(right)))
        np.testing.assert_array_equal(got, op(left, right))
        assert got.strides == left.strides
        target = fastnn.tensor(left)
        kept = target
        target = IN_PLACE[op](target, fastnn.tensor(right))
        assert target is kept
        np.testing.assert_array_equal(np.asarray(target), op(left, right))
    assert launched.count(elementwise.transposed_binary) == 4


@pytest.mark.parametrize("op", OPS)
def test_writes_into_the_caller_run_on_the_kernels(rng, launched, op):
    """``a += b`` and ``out=``: into a C-order array on the parallel kernel, into a
    transposed one as the output's own layout."""
    size = 1 << 18
    a, b = _special(rng, (size,)), _special(rng, (size,))
    x = fastnn.tensor(a)
    x = IN_PLACE[op](x, fastnn.tensor(b))
    np.testing.assert_array_equal(np.asarray(x), op(a, b))
    assert launched == [elementwise.binary]
    a2, b2 = (_special(rng, (512, size // 512)).T for _ in range(2))
    out = fastnn.tensor(np.zeros((size // 512, 512), np.float32).T)
    {operator.add: fastnn.add, operator.sub: fastnn.sub, operator.mul: fastnn.mul}[op](
        fastnn.tensor(a2), fastnn.tensor(b2), out=out)
    np.testing.assert_array_equal(np.asarray(out), op(a2, b2))
    assert launched == [elementwise.binary] * 2


def test_overlapping_writes_stay_numpys(rng, launched):
    """An operand overlapping the output other than by being it (a += a.T) runs on
    numpy's loop, which buffers the overlap."""
    a = rng.standard_normal((600, 600)).astype(np.float32)
    x = fastnn.tensor(a)
    x += x.T
    np.testing.assert_array_equal(np.asarray(x), a + a.T)
    x = fastnn.tensor(a)
    x += x
    np.testing.assert_array_equal(np.asarray(x), a + a)
    assert launched == [elementwise.binary]


@pytest.mark.parametrize("code, op", [(elementwise.ADD, operator.add),
                                      (elementwise.SUBTRACT, operator.sub),
                                      (elementwise.MULTIPLY, operator.mul)])
def test_transposed_binary_kernel_on_block_edges(rng, code, op):
    """Sizes on and off the kernel's blocks, y first or second, in place or apart."""
    tile = elementwise.TRANSPOSE_TILE
    for n, a, b in itertools.product((1, 2), (1, tile - 1, tile + 3), (1, tile, 2 * tile + 5)):
        x = _special(rng, (n, a, b)) if a * b >= 4 else rng.standard_normal((n, a, b))
        x = x.astype(np.float32)
        y = rng.standard_normal((n, b, a)).astype(np.float32)
        for y_first in (False, True):
            expected = op(y.transpose(0, 2, 1), x) if y_first else op(x, y.transpose(0, 2, 1))
            out = np.full_like(x, np.nan)
            _runtime.launch(elementwise.transposed_binary, x, y, out, code, y_first)
            np.testing.assert_array_equal(out, expected)
            inplace = x.copy()
            _runtime.launch(elementwise.transposed_binary, inplace, y, inplace, code, y_first)
            np.testing.assert_array_equal(inplace, expected)
