"""Every functional op on hostile memory layouts: Fortran-order, non-contiguous, read-only,
byte-swapped, Tensor and torch-tensor arguments give the C-contiguous answer, and no
argument is ever modified. `OPS` is the catalog of ops that the hostile, memory and
non-finite tests sweep."""
import dataclasses

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F


@dataclasses.dataclass(frozen=True)
class Op:
    """One call of a functional op: ``F.<function>(*arrays, **kwargs)`` as in torch."""
    name: str
    function: str
    shapes: tuple              # shape of each array argument; None passes None
    kwargs: dict = dataclasses.field(default_factory=dict)
    positive: tuple = ()       # indices of array arguments that must be > 0 (variances)
    random: bool = False       # draws from the default generator (dropout in training)
    rtol32: float = 1e-5

    def arrays(self, dtype, rng):
        made = []
        for i, shape in enumerate(self.shapes):
            if shape is None:
                made.append(None)
                continue
            a = rng.standard_normal(shape)
            made.append((np.abs(a) + 0.5 if i in self.positive else a).astype(dtype))
        return made

    def call(self, module, arrays):
        if self.random:
            fastnn.manual_seed(0)
        return getattr(module, self.function)(*arrays, **self.kwargs)

    def __str__(self):
        return self.name


_ACTIVATION_SHAPE = ((3, 4, 5),)
OPS = [
    Op("conv1d", "conv1d", ((2, 4, 9), (6, 2, 3), (6,)), dict(stride=2, padding=1, groups=2),
       rtol32=1e-4),
    Op("conv2d", "conv2d", ((2, 3, 7, 6), (4, 3, 3, 2), (4,)),
       dict(padding=1, dilation=(1, 2)), rtol32=1e-4),
    Op("conv2d_same", "conv2d", ((1, 2, 6, 6), (3, 2, 3, 3), None), dict(padding="same"),
       rtol32=1e-4),
    Op("conv2d_depthwise", "conv2d", ((2, 4, 6, 6), (4, 1, 3, 3), (4,)), dict(groups=4),
       rtol32=1e-4),
    Op("conv3d", "conv3d", ((1, 2, 5, 5, 4), (3, 2, 2, 3, 2), (3,)),
       dict(stride=(1, 2, 1), padding=1), rtol32=1e-4),
    *[Op(f"pad_{mode}", "pad", ((2, 3, 5, 6),), dict(pad=(1, 2, 2, 1), mode=mode))
      for mode in ("constant", "reflect", "replicate", "circular")],
    Op("max_pool1d", "max_pool1d", ((2, 3, 9),), dict(kernel_size=3, stride=2, padding=1)),
    Op("max_pool2d", "max_pool2d", ((2, 3, 9, 8),),
       dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    Op("max_pool2d_indices", "max_pool2d", ((2, 3, 8, 8),),
       dict(kernel_size=2, dilation=2, return_indices=True)),
    Op("max_pool3d", "max_pool3d", ((1, 2, 5, 6, 5),), dict(kernel_size=2)),
    Op("avg_pool1d", "avg_pool1d", ((2, 3, 9),), dict(kernel_size=3, stride=2, padding=1)),
    Op("avg_pool2d", "avg_pool2d", ((2, 3, 9, 8),),
       dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    Op("avg_pool3d", "avg_pool3d", ((1, 2, 5, 6, 5),), dict(kernel_size=2, divisor_override=3)),
    Op("adaptive_max_pool1d", "adaptive_max_pool1d", ((2, 3, 9),), dict(output_size=4)),
    Op("adaptive_max_pool2d", "adaptive_max_pool2d", ((2, 3, 9, 7),),
       dict(output_size=(3, 5), return_indices=True)),
    Op("adaptive_max_pool3d", "adaptive_max_pool3d", ((1, 2, 5, 6, 5),),
       dict(output_size=(2, 3, 2))),
    Op("adaptive_avg_pool1d", "adaptive_avg_pool1d", ((2, 3, 9),), dict(output_size=4)),
    Op("adaptive_avg_pool2d", "adaptive_avg_pool2d", ((2, 3, 9, 7),), dict(output_size=(3, 5))),
    Op("adaptive_avg_pool3d", "adaptive_avg_pool3d", ((1, 2, 5, 6, 5),),
       dict(output_size=(2, 3, 2))),
    Op("linear", "linear", ((5, 7), (4, 7), (4,)), rtol32=1e-4),
    Op("linear_3d", "linear", ((2, 3, 7), (4, 7), None), rtol32=1e-4),
    Op("batch_norm_eval", "batch_norm", ((4, 3, 5), (3,), (3,), (3,), (3,)), positive=(2,)),
    Op("batch_norm_train", "batch_norm", ((4, 3, 5, 2), None, None, (3,), (3,)),
       dict(training=True), rtol32=1e-4),
    Op("dropout_eval", "dropout", ((3, 4, 5),), dict(p=0.3, training=False)),
    Op("dropout", "dropout", ((3, 4, 5),), dict(p=0.3), random=True),
    Op("dropout2d", "dropout2d", ((3, 4, 5, 2),), dict(p=0.5), random=True),
    *[Op(name, name, _ACTIVATION_SHAPE) for name in (
        "relu", "relu6", "silu", "sigmoid", "tanh", "hardswish", "hardsigmoid", "gelu")],
    Op("gelu_tanh", "gelu", _ACTIVATION_SHAPE, dict(approximate="tanh")),
    Op("leaky_relu", "leaky_relu", _ACTIVATION_SHAPE, dict(negative_slope=0.2)),
    Op("elu", "elu", _ACTIVATION_SHAPE, dict(alpha=0.5)),
    Op("hardtanh", "hardtanh", _ACTIVATION_SHAPE, dict(min_val=-0.5, max_val=0.7)),
    Op("softmax", "softmax", _ACTIVATION_SHAPE, dict(dim=1)),
    Op("log_softmax", "log_softmax", _ACTIVATION_SHAPE, dict(dim=-1)),
]


def as_tuple(result):
    return tuple(result) if isinstance(result, tuple) else (result,)


def fortran(a):
    return np.asfortranarray(a)


def strided(a):
    """The same values as `a` in a view with gaps between elements in every dim."""
    if a.ndim == 0:
        return a.copy()
    big = np.zeros(tuple(2 * n for n in a.shape), a.dtype)
    view = big[tuple(slice(None, None, 2) for _ in a.shape)]
    view[...] = a
    return view


def read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def byte_swapped(a):
    return a.astype(a.dtype.newbyteorder("S"))


def tensor(a):
    return fastnn.from_numpy(a.copy())


LAYOUTS = {"fortran": fortran, "strided": strided, "read_only": read_only,
           "byte_swapped": byte_swapped, "tensor": tensor}


def snapshot(arrays):
    return [None if a is None else (np.array(a, copy=True), a.dtype, a.strides,
                                    a.flags.writeable) for a in arrays]


def assert_unchanged(arrays, before):
    for a, saved in zip(arrays, before):
        if a is None:
            continue
        values, dtype, strides, writeable = saved
        np.testing.assert_array_equal(np.asarray(a), values, strict=True)
        assert (a.dtype, a.strides, a.flags.writeable) == (dtype, strides, writeable)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("op", OPS, ids=str)
def test_layouts_give_the_contiguous_answer_and_leave_inputs_alone(op, layout, dtype):
    if op.random and layout == "fortran":
        pytest.skip("torch fills dropout's noise in the input's memory order: a Fortran "
                    "input gets another mask (test_random_ops_follow_torch_on_fortran_input)")
    arrays = op.arrays(dtype, np.random.default_rng(0))
    want = as_tuple(op.call(F, arrays))
    hostile = [None if a is None else LAYOUTS[layout](a) for a in arrays]
    before = snapshot(hostile)
    got = as_tuple(op.call(F, hostile))
    assert_unchanged(hostile, before)
    for g, w in zip(got, want):
        assert isinstance(g, fastnn.Tensor)
        # identities (dropout in eval) return the input itself, as torch does
        assert g.dtype.newbyteorder("=") == w.dtype
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


@pytest.mark.parametrize("op", [op for op in OPS if op.random], ids=str)
def test_random_ops_follow_torch_on_fortran_input(op, torch):
    arrays = [fortran(a) for a in op.arrays(np.float32, np.random.default_rng(3))]
    got = as_tuple(op.call(F, arrays))
    import torch.nn.functional as TF
    torch.manual_seed(0)        # op.call seeds fastnn with 0
    want = as_tuple(op.call(TF, [torch.from_numpy(a) for a in arrays]))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.asarray(g), w.numpy())


@pytest.mark.parametrize("op", OPS, ids=str)
def test_torch_tensors_are_accepted_and_left_alone(op, torch):
    arrays = op.arrays(np.float32, np.random.default_rng(1))
    want = as_tuple(op.call(F, arrays))
    tensors = [None if a is None else torch.from_numpy(a.copy()) for a in arrays]
    got = as_tuple(op.call(F, tensors))
    for t, a in zip(tensors, arrays):
        if t is not None:
            np.testing.assert_array_equal(t.numpy(), a)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", [op for op in OPS if not op.random], ids=str)
def test_catalog_matches_torch(op, dtype, torch):
    # the reference answers the layout test compares against are torch's
    arrays = op.arrays(dtype, np.random.default_rng(2))
    got = as_tuple(op.call(F, arrays))
    import torch.nn.functional as TF
    want = as_tuple(op.call(TF, [None if a is None else torch.from_numpy(a) for a in arrays]))
    rtol = op.rtol32 if dtype == np.float32 else 1e-10
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), w.numpy(), rtol=rtol, atol=rtol)
