"""Permuted views of contiguous memory copied by blocks (`fastnn._array.transposed_copy`,
kernels/transpose.py): the copy the kernels' inputs and ``Tensor.contiguous()`` take for
x.permute(0, 2, 3, 1), x.transpose(1, 2) and the like."""
import itertools

import numpy as np
import pytest

import fastnn
from fastnn._array import kernel_array, transposed_copy
from fastnn._runtime import launch
from fastnn.kernels.transpose import BLOCK, transpose

SHAPES = [(2, 3, 40, 50), (1, 33, 17, 18), (4, 5, 6, 7, 8), (3 * BLOCK + 1, 2 * BLOCK - 1),
          (3, 1, 7, 1, 9)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_permutation_copies_exactly_or_is_declined(rng, shape, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    taken = 0
    for perm in itertools.permutations(range(len(shape))):
        view = x.transpose(perm)
        copy = transposed_copy(view)
        if copy is not None:
            taken += 1
            assert copy.flags.c_contiguous and copy.dtype == view.dtype
            np.testing.assert_array_equal(copy, view)
        given = kernel_array(view)
        assert given.flags.c_contiguous
        np.testing.assert_array_equal(given, view)
    assert taken >= min(2, len(shape) - 1)     # swaps of two neighbouring axis runs


@pytest.mark.parametrize("view", [
    lambda x: x[:, ::2].transpose(0, 2, 1),       # a strided slice: not contiguous memory
    lambda x: x[::-1].transpose(0, 2, 1),         # a negative stride
    lambda x: x.transpose(2, 0, 1)[:, :, 1:],     # a part of the memory
    lambda x: x,                                  # already contiguous
])
def test_other_layouts_are_declined(rng, view):
    x = rng.standard_normal((8, 64, 64)).astype(np.float32)
    assert transposed_copy(view(x)) is None


def test_the_common_permutes_are_taken(rng):
    nchw = rng.standard_normal((2, 96, 20, 24)).astype(np.float32)
    heads = rng.standard_normal((2, 12, 30, 64)).astype(np.float32)
    nhwc = np.ascontiguousarray(nchw.transpose(0, 2, 3, 1))
    for view in (nchw.transpose(0, 2, 3, 1), nhwc.transpose(0, 3, 1, 2),
                 heads.transpose(0, 2, 1, 3), heads.transpose(0, 1, 3, 2)):
        copy = transposed_copy(view)
        assert copy is not None
        np.testing.assert_array_equal(copy, view)


def test_contiguous_of_a_permuted_tensor(rng):
    x = fastnn.tensor(rng.standard_normal((4, 12, 50, 64)).astype(np.float32))
    view = x.transpose(1, 2)
    copy = view.contiguous()
    assert copy.flags.c_contiguous and not np.shares_memory(copy, x)
    np.testing.assert_array_equal(copy, np.ascontiguousarray(np.asarray(x).transpose(0, 2, 1, 3)))
    assert x.contiguous() is x


@pytest.mark.parametrize("shape", [(1, BLOCK, BLOCK, 1), (2, 2 * BLOCK + 3, BLOCK - 5, 1),
                                   (3, 17, 40, 4), (1, 1, 3 * BLOCK, 9), (2, 50, 1, 2)])
def test_the_kernel_swaps_runs(rng, shape):
    src = rng.standard_normal(shape).astype(np.float32)
    dst = np.full((shape[0], shape[2], shape[1], shape[3]), np.nan, np.float32)
    launch(transpose, src, dst, work=1 << 30)       # on every thread
    expected = src.transpose(0, 2, 1, 3)
    np.testing.assert_array_equal(dst, expected)
