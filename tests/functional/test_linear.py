"""F.linear / nn.Linear against torch (the oracle) and a float64 numpy reference."""
import math
import re
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn._random import manual_seed
from fastnn.kernels.conv_pointwise import MIN_POSITIONS
from fastnn.kernels.gemm_packed import panel_width
from fastnn.nn.functional._linear import LINEAR_VARIANTS, _linear, default_variant

VARIANTS = sorted(LINEAR_VARIANTS)
DTYPES = [np.float32, np.float64]
# error allowed, relative to sum_k |x_k w_k| + |b| (the magnitude the rounding scales with)
REL_TOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-11}


def reference(x, w, b=None):
    """The torch-free oracle: x @ w.T + b in float64."""
    out = np.einsum("...k,nk->...n", x.astype(np.float64), np.atleast_2d(w).astype(np.float64))
    if w.ndim == 1:
        out = out[..., 0]
    return out if b is None else out + np.asarray(b, np.float64)


def magnitude(x, w, b=None):
    mag = reference(np.abs(x), np.abs(w))
    return mag if b is None else mag + np.abs(np.asarray(b, np.float64))


def assert_close(result, expected, x, w, b=None):
    result = np.asarray(result)
    expected = np.asarray(expected)
    assert result.shape == expected.shape
    assert result.dtype == x.dtype.newbyteorder("=")
    tol = REL_TOL[result.dtype] * magnitude(x, w, b) + np.finfo(result.dtype).tiny
    err = np.abs(result.astype(np.float64) - expected.astype(np.float64))
    assert np.all(err <= tol), f"max err {err.max()} (tol {tol.max()})"


def linear_by(x, w, b=None, variant=None):
    """`_linear` on `variant`; where 'pointwise' or 'packed' cannot run (fewer output
    features than their tiles' width) the refusal is checked and the rule's variant runs
    instead."""
    n = w.shape[0] if np.ndim(w) == 2 else 1
    least = {"pointwise": MIN_POSITIONS, "packed": panel_width(np.asarray(x).dtype)}
    if variant in least and n < least[variant]:
        message = (f"variant '{variant}' of linear cannot run here: it needs "
                   f"{least[variant]} output features")
        with pytest.raises(ValueError, match=message):
            _linear(x, w, b, variant=variant)
        variant = None
    return _linear(x, w, b, variant=variant)


def torch_linear(torch, x, w, b=None):
    tb = None if b is None else torch.from_numpy(np.ascontiguousarray(b))
    return torch.nn.functional.linear(
        torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(w)),
        tb).numpy()


def random_case(rng, dtype, lead_ndim=None):
    lead_ndim = rng.integers(0, 4) if lead_ndim is None else lead_ndim
    lead = tuple(int(s) for s in rng.integers(0, 6 if lead_ndim > 1 else 300, lead_ndim))
    k, n = (int(s) for s in rng.integers(1, 300, 2))
    x = rng.standard_normal(lead + (k,)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    b = rng.standard_normal(n).astype(dtype) if rng.random() < 0.7 else None
    return x, w, b


# --------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", VARIANTS + [None])
def test_sweep_against_torch(torch, variant, dtype):
    rng = np.random.default_rng(1234)
    for _ in range(25):
        x, w, b = random_case(rng, dtype)
        result = linear_by(x, w, b, variant=variant)
        assert isinstance(result, fastnn.Tensor)
        assert_close(result, torch_linear(torch, x, w, b), x, w, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_sweep_against_numpy_reference(variant, dtype):
    """Torch-free: odd sizes around the 4x4 tile and the 64x64 block edges."""
    rng = np.random.default_rng(99)
    for m in (1, 2, 3, 4, 5, 63, 64, 65, 131):
        for n in (1, 3, 4, 7, 64, 65):
            k = int(rng.integers(1, 70))
            x = rng.standard_normal((m, k)).astype(dtype)
            w = rng.standard_normal((n, k)).astype(dtype)
            b = rng.standard_normal(n).astype(dtype)
            assert_close(linear_by(x, w, b, variant=variant), reference(x, w, b), x, w, b)
            assert_close(linear_by(x, w, variant=variant), reference(x, w), x, w)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("x_shape, w_shape, b_shape, out_shape", [
    ((20,), (30, 20), (30,), (30,)),
    ((20,), (30, 20), None, (30,)),
    ((2, 3, 20), (20,), None, (2, 3)),
    ((20,), (20,), None, ()),
    ((0, 7), (3, 7), (3,), (0, 3)),
    ((2, 0, 3, 7), (3, 7), None, (2, 0, 3, 3)),
    ((5, 0), (3, 0), (3,), (5, 3)),
    ((5, 0), (3, 0), None, (5, 3)),
    ((5, 4), (0, 4), (0,), (5, 0)),
    ((5, 4), (0, 4), None, (5, 0)),
    ((2, 2, 2, 9), (5, 9), (5,), (2, 2, 2, 5)),
])
def test_shapes(torch, variant, x_shape, w_shape, b_shape, out_shape):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = None if b_shape is None else rng.standard_normal(b_shape).astype(np.float32)
    result = linear_by(x, w, b, variant=variant)
    assert result.shape == out_shape
    expected = torch_linear(torch, x, w, b)
    assert expected.shape == out_shape
    assert_close(result, expected, x, w, b)
    assert_close(result, reference(x, w, b), x, w, b)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("x_shape, b_shape, contiguous", [
    ((7, 5), (), True), ((7, 5), (1,), True), ((7, 5), (1, 6), True), ((7, 5), (7, 6), True),
    ((7, 5), (7, 1), True), ((2, 3, 5), (), True), ((2, 3, 5), (3, 6), True),
    ((2, 3, 5), (2, 1, 6), True), ((2, 3, 5), (1, 1, 6), False), ((2, 3, 5), (2, 3, 6), False), ((2, 2, 3, 5), (2, 3, 6), True), ((5,), (1, 6), True),
])
def test_bias_broadcasting(torch, variant, x_shape, b_shape, contiguous):
    """Bias shapes torch accepts beyond (out_features,), on both of its paths."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal(x_shape[::-1]).astype(np.float64).T
    if contiguous:
        x = np.ascontiguousarray(x)
    w = rng.standard_normal((6, 5))
    b = rng.standard_normal(b_shape)
    tx = torch.from_numpy(x)
    assert tx.is_contiguous() == contiguous or x.ndim == 1
    expected = torch.nn.functional.linear(tx, torch.from_numpy(w), torch.from_numpy(b))
    bias_bound = np.full(expected.shape, np.abs(b).max())
    assert_close(linear_by(x, w, b, variant=variant), expected.numpy(), x, w, bias_bound)


@pytest.mark.parametrize("bias_dtype", DTYPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_bias_dtype_cast_on_add_path(torch, dtype, bias_dtype):
    """Non-contiguous 3-D input: torch adds the bias in place, casting it to the output."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((9, 3, 2)).astype(dtype).transpose(2, 1, 0)
    w = rng.standard_normal((4, 9)).astype(dtype)
    b = rng.standard_normal((3, 4)).astype(bias_dtype)
    expected = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(w),
                                          torch.from_numpy(b))
    result = F.linear(x, w, b)
    assert result.dtype == expected.numpy().dtype
    assert_close(result, expected.numpy(), x, w, b)


@pytest.mark.parametrize("variant", VARIANTS)
def test_nan_and_inf_propagate(torch, variant):
    x = np.ones((6, 40), np.float32)
    w = np.ones((9, 40), np.float32)
    x[0, 3] = np.nan
    x[1, 5] = np.inf
    x[2, 5] = -np.inf
    w[4, 5] = -1.0           # inf * -1 -> -inf in column 4 of rows 1 and 2
    w[7, 0] = np.inf
    x[3, 0] = -0.5           # -inf in column 7 of row 3, +inf elsewhere
    w[8, 1] = np.inf
    x[4, 1] = 0.0            # 0 * inf = nan in column 8 of row 4
    b = np.zeros(9, np.float32)
    b[6] = np.inf
    result = np.asarray(linear_by(x, w, b, variant=variant))
    expected = torch_linear(torch, x, w, b)
    assert np.isnan(expected).any() and np.isinf(expected).any()
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    np.testing.assert_array_equal(result[np.isinf(expected)], expected[np.isinf(expected)])
    finite = np.isfinite(expected)
    np.testing.assert_allclose(result[finite], expected[finite], rtol=1e-6)


@pytest.mark.parametrize("variant", VARIANTS)
def test_input_layouts_and_inputs_unchanged(variant):
    rng = np.random.default_rng(8)
    base = rng.standard_normal((40, 3, 33))
    w64 = rng.standard_normal((17, 33))
    b64 = rng.standard_normal(17)
    expected = reference(base[::2, 1], w64, b64)
    xs = {
        "strided": base[::2, 1],
        "fortran": np.asfortranarray(base[::2, 1]),
        "byteswapped": base[::2, 1].astype(">f8"),
        "readonly": np.ascontiguousarray(base[::2, 1]),
        "tensor": fastnn.Tensor.__new__(fastnn.Tensor, (20, 33), buffer=np.ascontiguousarray(
            base[::2, 1])),
    }
    xs["readonly"].flags.writeable = False
    ws = [w64, w64.T.copy().T, w64.astype(">f8"), w64[:, ::-1][:, ::-1]]
    for name, x in xs.items():
        for w in ws:
            for b in (b64, b64.astype(">f8"), np.stack([b64, b64], 1)[:, 0]):
                copies = [a.copy() for a in (x, w, b)]
                result = linear_by(x, w, b, variant=variant)
                assert_close(result, expected, x.astype(np.float64), w64, b64)
                for a, c in zip((x, w, b), copies):
                    np.testing.assert_array_equal(a, c, err_msg=name)


def test_accepts_torch_tensors(torch):
    x, w, b = torch.randn(4, 6), torch.randn(3, 6), torch.randn(3)
    result = F.linear(x, w, b)
    assert isinstance(result, fastnn.Tensor)
    np.testing.assert_allclose(result, torch.nn.functional.linear(x, w, b).numpy(),
                               rtol=1e-5, atol=1e-5)


def test_variants_agree_and_rule_names_a_variant():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((37, 129)).astype(np.float32)
    w = rng.standard_normal((65, 129)).astype(np.float32)
    results = [np.asarray(_linear(x, w, variant=v)) for v in VARIANTS]
    for r in results[1:]:
        assert_close(r, results[0], x, w)
    for m in (1, 4, 64, 256, 4096):
        for k in (1, 64, 1024):
            for n in (1, 10, 1000):
                for dtype in DTYPES:
                    assert default_variant(m, n, k, np.dtype(dtype)) in LINEAR_VARIANTS


def test_thread_count_does_not_change_values():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((130, 77)).astype(np.float32)
    w = rng.standard_normal((70, 77)).astype(np.float32)
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        one = np.asarray(_linear(x, w, variant="numba_gemm"))
        fastnn.set_num_threads(2)
        two = np.asarray(_linear(x, w, variant="numba_gemm"))
    finally:
        fastnn.set_num_threads(before)
    np.testing.assert_array_equal(one, two)


# --------------------------------------------------------------------------------------
# errors: torch 2.13's class and wording (checked against torch too when it is installed)
# --------------------------------------------------------------------------------------

f32, f64 = np.float32, np.float64
ERROR_CASES = [
    # (x shape, x dtype, w shape, w dtype, bias shape or None, bias dtype, x contiguous,
    #  exception, message)
    ((128, 20), f32, (30, 21), f32, None, f32, True, RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (128x20 and 21x30)"),
    ((20,), f32, (30, 21), f32, None, f32, True, RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (1x20 and 21x30)"),
    ((2, 3, 20), f32, (30, 21), f32, (30,), f32, True, RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (6x20 and 21x30)"),
    ((5, 20), f32, (30, 21), f32, (31,), f32, True, RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (5x20 and 21x30)"),
    ((128, 20), f32, (30, 20), f64, None, f32, True, RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    ((2, 3, 20), f64, (30, 20), f32, None, f32, False, RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: double != float"),
    ((5, 20), f32, (30, 20), f64, (30,), f64, True, RuntimeError,
     "mat1 and mat2 must have the same dtype, but got Float and Double"),
    ((5, 20), f32, (30, 20), f32, (30,), f64, True, RuntimeError,
     "self and mat2 must have the same dtype, but got Double and Float"),
    ((5, 20), f64, (30, 20), f64, (), f32, True, RuntimeError,
     "self and mat2 must have the same dtype, but got Float and Double"),
    ((5, 20), f32, (30, 20), f32, (31,), f32, True, RuntimeError,
     "The expanded size of the tensor (30) must match the existing size (31) at "
     "non-singleton dimension 1.  Target sizes: [5, 30].  Tensor sizes: [31]"),
    ((2, 3, 20), f32, (30, 20), f32, (31,), f32, True, RuntimeError,
     "The expanded size of the tensor (30) must match the existing size (31) at "
     "non-singleton dimension 1.  Target sizes: [6, 30].  Tensor sizes: [31]"),
    ((5, 20), f32, (30, 20), f32, (3, 30), f32, True, RuntimeError,
     "The expanded size of the tensor (5) must match the existing size (3) at "
     "non-singleton dimension 0.  Target sizes: [5, 30].  Tensor sizes: [3, 30]"),
    ((5, 20), f32, (30, 20), f32, (1, 1, 30), f32, True, RuntimeError,
     "expand(torch.FloatTensor{[1, 1, 30]}, size=[5, 30]): the number of sizes provided (2) "
     "must be greater or equal to the number of dimensions in the tensor (3)"),
    ((2, 3, 20), f32, (30, 20), f32, (5, 30), f32, True, RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (5) at non-singleton "
     "dimension 1"),
    ((2, 3, 20), f32, (30, 20), f32, (4, 1, 1, 30), f32, False, RuntimeError,
     "output with shape [2, 3, 30] doesn't match the broadcast shape [4, 2, 3, 30]"),
    ((20,), f32, (30, 20), f32, (5, 30), f32, True, RuntimeError,
     "output with shape [30] doesn't match the broadcast shape [5, 30]"),
    ((128, 20), f32, (20,), f32, (1,), f32, True, RuntimeError,
     "mat2 must be a matrix, got 1-D tensor"),
    ((128, 20), f32, (21,), f32, None, f32, True, RuntimeError,
     "size mismatch, got input (128), mat (128x20), vec (21)"),
    ((5, 20), f64, (20,), f32, None, f32, True, RuntimeError,
     "addmv input tensors must have the same dtype, but got Float, Double, and Float"),
    ((20,), f32, (21,), f32, None, f32, True, RuntimeError,
     "inconsistent tensor size, expected tensor [20] and src [21] to have the same number "
     "of elements, but got 20 and 21 elements respectively"),
    ((20,), f32, (20,), f64, None, f32, True, RuntimeError,
     "dot : expected both vectors to have same dtype, but found Float and Double"),
    ((128, 20), f32, (), f32, None, f32, True, RuntimeError,
     "both arguments to linear need to be at least 1D, but they are 2D and 0D"),
    ((), f32, (3, 1), f32, None, f32, True, RuntimeError,
     "both arguments to linear need to be at least 1D, but they are 0D and 2D"),
    ((3, 20), f32, (2, 30, 20), f32, (30,), f32, True, RuntimeError,
     "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    ((3, 20), f32, (30, 20), np.int64, None, f32, True, RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != long int"),
    ((3, 20), f32, (30, 20), np.float16, (30,), np.float16, True, RuntimeError,
     "mat1 and mat2 must have the same dtype, but got Float and Half"),
]


def make_error_case(x_shape, x_dtype, w_shape, w_dtype, b_shape, b_dtype, contiguous):
    x = np.ones(x_shape[::-1], x_dtype).T
    if contiguous:
        x = x.copy(order="C")
    w = np.ones(w_shape, w_dtype)
    b = None if b_shape is None else np.ones(b_shape, b_dtype)
    return x, w, b


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: c[-1][:40])
def test_errors(case):
    *arrays, exc, message = case
    x, w, b = make_error_case(*arrays)
    for variant in VARIANTS:
        with pytest.raises(exc, match=f"^{re.escape(message)}$"):
            _linear(x, w, b, variant=variant)


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: c[-1][:40])
def test_error_wording_is_torchs(torch, case):
    *arrays, exc, message = case
    x, w, b = make_error_case(*arrays)
    tx = torch.from_numpy(x)
    assert tx.is_contiguous() == x.flags.c_contiguous
    with pytest.raises(exc, match=f"^{re.escape(message)}$"):
        torch.nn.functional.linear(tx, torch.from_numpy(w),
                                   None if b is None else torch.from_numpy(b))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float16, np.bool_, np.complex64])
def test_non_float_dtypes_are_refused(dtype):
    x = np.ones((3, 4), dtype)
    w = np.ones((2, 4), dtype)
    with pytest.raises(TypeError, match=np.dtype(dtype).name):
        F.linear(x, w)
    with pytest.raises(TypeError, match="bias must be float32 or float64, got int64"):
        F.linear(np.ones((3, 4, 2)).transpose(0, 2, 1), np.ones((2, 4)),
                 np.ones((1, 1, 2), np.int64))


def test_non_arrays_are_refused():
    with pytest.raises(TypeError, match="weight must be a Tensor or array, not NoneType"):
        F.linear(np.ones((2, 3)), None)
    with pytest.raises(TypeError, match="input must be a Tensor or array, not list"):
        F.linear([[1.0, 2.0]], np.ones((2, 2)))


def test_absurd_output_is_refused_before_allocating():
    x = np.empty((10**6, 0), np.float32)
    w = np.empty((10**7, 0), np.float32)
    with pytest.raises(RuntimeError, match="DefaultCPUAllocator: can't allocate memory: you "
                       "tried to allocate 40000000000000 bytes"):
        F.linear(x, w)


# --------------------------------------------------------------------------------------
# nn.Linear
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs", [
    ((20, 30), {}), ((20, 30), {"bias": False}), ((1, 1), {}), ((0, 3), {}),
    ((3, 0), {"bias": False}), ((np.int64(4), 5), {}), ((True, 2), {}),
])
def test_repr_matches_torch(torch, args, kwargs):
    expected = f"Linear(in_features={args[0]}, out_features={args[1]}, " \
               f"bias={kwargs.get('bias', True)})"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # zero-element weights: torch's "no-op" warning
        assert repr(nn.Linear(*args, **kwargs)) == repr(torch.nn.Linear(*args, **kwargs))
        assert repr(nn.Linear(*args, **kwargs)) == expected


@pytest.mark.parametrize("dtype", DTYPES)
def test_init_statistics(dtype):
    manual_seed(0)
    in_features, out_features = 400, 300
    layer = nn.Linear(in_features, out_features, dtype=dtype)
    bound = 1 / math.sqrt(in_features)
    for param, size in ((layer.weight, (out_features, in_features)),
                        (layer.bias, (out_features,))):
        assert isinstance(param, nn.Parameter) and param.requires_grad
        assert param.shape == size and param.dtype == dtype
        values = np.asarray(param, np.float64)
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.95 * bound
        n = values.size
        # U(-bound, bound): mean 0, variance bound^2 / 3; 6-sigma limits
        assert abs(values.mean()) < 6 * bound / math.sqrt(3 * n)
        assert abs(values.var() - bound**2 / 3) < 6 * bound**2 * math.sqrt(4 / 45 / n)


def test_init_is_seeded_and_resettable():
    manual_seed(3)
    first = nn.Linear(5, 4)
    manual_seed(3)
    second = nn.Linear(5, 4)
    np.testing.assert_array_equal(first.weight, second.weight)
    np.testing.assert_array_equal(first.bias, second.bias)
    old = np.array(first.weight)
    first.reset_parameters()
    assert not np.array_equal(old, first.weight)


def test_zero_in_features_as_torch():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        layer = nn.Linear(0, 3)
    np.testing.assert_array_equal(layer.bias, np.zeros(3, np.float32))
    out = layer(np.ones((2, 0), np.float32))
    np.testing.assert_array_equal(out, np.zeros((2, 3), np.float32))


def test_module_forward_matches_torch_with_same_weights(torch):
    manual_seed(1)
    layer = nn.Linear(33, 21)
    ref = torch.nn.Linear(33, 21)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(np.asarray(layer.weight)))
        ref.bias.copy_(torch.from_numpy(np.asarray(layer.bias)))
    x = np.random.default_rng(2).standard_normal((4, 5, 33)).astype(np.float32)
    result = layer(x)
    assert isinstance(result, fastnn.Tensor)
    expected = ref(torch.from_numpy(x)).detach().numpy()
    assert_close(result, expected, x, layer.weight, layer.bias)
    assert list(layer.state_dict()) == list(ref.state_dict())


def test_module_without_bias_and_float64():
    layer = nn.Linear(6, 4, bias=False, dtype=np.float64)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    x = np.random.default_rng(3).standard_normal((3, 6))
    result = layer(x)
    assert result.dtype == np.float64
    assert_close(result, reference(x, layer.weight), x, layer.weight)


def test_weight_changes_take_effect():
    """Nothing derived from the weight is cached: in-place edits and reassignment count."""
    layer = nn.Linear(8, 5)
    x = np.ones((2, 8), np.float32)
    layer(x)
    layer.weight.data[...] = 0.0
    np.testing.assert_array_equal(layer(x), np.broadcast_to(layer.bias, (2, 5)))
    layer.weight = nn.Parameter(np.ones((5, 8), np.float32))
    np.testing.assert_allclose(layer(x), 8.0 + np.broadcast_to(layer.bias, (2, 5)))


@pytest.mark.parametrize("args, exc, message", [
    ((3.0, 3), TypeError, "empty(): argument 'size' failed to unpack the object at pos 2 "
     "with error \"type must be tuple of ints,but got float\""),
    ((None, 3), TypeError, "empty(): argument 'size' failed to unpack the object at pos 2 "
     "with error \"type must be tuple of ints,but got NoneType\""),
    ((3, 3.0), TypeError, "empty(): argument 'size' (position 1) must be tuple of ints, but "
     "found element of type float at pos 0"),
    ((0, True), TypeError, "empty(): argument 'size' (position 1) must be tuple of ints, "
     "but found element of type bool at pos 0"),
    ((0, 2**36), RuntimeError, "DefaultCPUAllocator: can't allocate memory: you tried to "
     "allocate 274877906944 bytes"),
    ((-1, 3), RuntimeError, "Trying to create tensor with negative dimension -1: [3, -1]"),
    ((3, -1), RuntimeError, "Trying to create tensor with negative dimension -1: [-1, 3]"),
    ((2**62, 4), RuntimeError,
     "Storage size calculation overflowed with sizes=[4, 4611686018427387904]"),
    ((10**6, 10**6), RuntimeError, "DefaultCPUAllocator: can't allocate memory: you tried "
     "to allocate 4000000000000 bytes. Error code 12 (Cannot allocate memory)"),
])
def test_module_size_errors(args, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        nn.Linear(*args)


def test_module_size_errors_are_torchs(torch):
    for args, message in [((3.0, 3), "failed to unpack the object at pos 2"),
                          ((3, 3.0), "must be tuple of ints, but found element of type float"),
                          ((0, True), "must be tuple of ints, but found element of type bool"),
                          ((-1, 3), "negative dimension -1: [3, -1]"),
                          ((2**62, 4), "overflowed with sizes=[4, 4611686018427387904]")]:
        with pytest.raises((TypeError, RuntimeError), match=re.escape(message)):
            torch.nn.Linear(*args)


def test_module_dtype_errors():
    with pytest.raises(TypeError, match="int32"):
        nn.Linear(3, 4, dtype=np.int32)


# --------------------------------------------------------------------------------------
# 'pointwise': the 1x1 convolution's tiles, w.T as its input and the bias along positions
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_pointwise_edges_against_numpy_reference(dtype):
    """Rows around the tiles' channel block (8), columns around their 16 and 32 positions
    (a plane's last tile overlaps the one before), with and without a bias."""
    _edges_against_reference("pointwise", dtype, (1, 7, 8, 9, 130),
                             (16, 17, 31, 32, 33, 47, 100), seed=17)


def _edges_against_reference(variant, dtype, rows, columns, seed):
    """`variant` on every (rows, columns) pair with a random K, with and without a bias,
    against the float64 reference (a variant's refusal checked where it cannot run)."""
    rng = np.random.default_rng(seed)
    for m in rows:
        for n in columns:
            k = int(rng.integers(1, 90))
            x = rng.standard_normal((m, k)).astype(dtype)
            w = rng.standard_normal((n, k)).astype(dtype)
            b = rng.standard_normal(n).astype(dtype)
            assert_close(linear_by(x, w, b, variant=variant), reference(x, w, b), x, w, b)
            assert_close(linear_by(x, w, variant=variant), reference(x, w), x, w)


def test_rule_gives_packed_and_pointwise_their_products():
    """Where the target has 32 vector registers (AVX-512: `tests/runtime/test_codegen.py`
    compiles for other targets), and for float32 with AVX2 (6 x 16 tiles of 12
    accumulator registers), 'packed' takes products of 196 rows or more, 96 columns or
    more and K >= 64, and 'pointwise' (float32) the many-row products left with K <= 384;
    elsewhere the Numba GEMM."""
    from fastnn.kernels._target import target
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    wide = target().registers == 32
    wide32 = wide or target().vector_bits == 256

    def rule(m, k, n, dtype=f32):
        return default_variant(m, n, k, dtype)
    assert rule(3136, 384, 96) == ("packed" if wide32 else "numba_gemm")
    assert rule(196, 1536, 384, f64) == ("packed" if wide else "numba_gemm")
    assert rule(196, 64, 96) == ("packed" if wide32 else "numba_gemm")
    assert rule(8192, 64, 64) == ("pointwise" if wide32 else "numba_gemm")
    assert rule(3136, 32, 384) == ("pointwise" if wide32 else "numba_gemm")
    assert rule(3136, 32, 384, f64) == "numba_gemm"     # pointwise's 8 x 16 tile
    assert rule(195, 384, 1536) == "numba_gemm"         # few rows
    assert rule(196, 384, 95) == "numba_gemm"           # few columns
    assert rule(196, 63, 384) == "numba_gemm"           # short K


def test_pointwise_refusal():
    x = np.ones((600, 32), np.float32)
    with pytest.raises(ValueError, match="it needs 16 output features"):
        _linear(x, np.ones((15, 32), np.float32), variant="pointwise")


def test_pointwise_fused_relu_and_frozen_weight(torch):
    """The inference compiler's relu epilogue runs in the tiles; a frozen weight keeps its
    transposed copy (made once), which goes when the weight is un-frozen."""
    from fastnn._dispatch import dispatch
    from fastnn.nn._frozen import freeze, frozen_forms, kernel_weight
    rng = np.random.default_rng(5)
    x = rng.standard_normal((70, 40)).astype(np.float32)
    w = freeze(rng.standard_normal((50, 40)).astype(np.float32))
    b = rng.standard_normal(50).astype(np.float32)
    expected = torch.relu(torch.nn.functional.linear(
        torch.from_numpy(x), torch.from_numpy(np.array(w)), torch.from_numpy(b))).numpy()
    with fastnn.backends.use("linear", "pointwise"):
        got = dispatch("linear", x, w, b, activation="relu")
        forms = frozen_forms(kernel_weight(w))
        assert list(forms) == [("linear", "transposed")]
        kept = forms[("linear", "transposed")]
        again = dispatch("linear", x, w, b, activation="relu")
    assert_close(got, expected, x, np.array(w), b)
    np.testing.assert_array_equal(again, got)
    np.testing.assert_array_equal(kept, np.array(w).T)
    w.base.flags.writeable = True                  # un-frozen: the copy is dropped
    with fastnn.backends.use("linear", "pointwise"):
        dispatch("linear", x, w, b)
    assert not forms


def _backward_against_torch(torch, rows, seed):
    """F.linear's gradients of a (rows, 96) input and a (128, 96) weight against torch's."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, 96)).astype(np.float32)
    w = rng.standard_normal((128, 96)).astype(np.float32)
    g = rng.standard_normal((rows, 128)).astype(np.float32)
    fx = fastnn.tensor(x, requires_grad=True)
    fw = fastnn.tensor(w, requires_grad=True)
    F.linear(fx, fw).backward(fastnn.tensor(g))
    tx = torch.from_numpy(x).requires_grad_()
    tw = torch.from_numpy(w).requires_grad_()
    torch.nn.functional.linear(tx, tw).backward(torch.from_numpy(g))
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(fw.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-2)


def test_pointwise_backward_matches_torch(torch, monkeypatch):
    """Linear's backward products on 'pointwise' (the rule's pick for these shapes where its
    tiles are wide, forced here on any target): the input's gradient g @ w reads w as its
    (K, N) input as it is."""
    from fastnn import _linalg_grad
    monkeypatch.setattr(_linalg_grad, "default_variant", lambda *shape: "pointwise")
    calls = []
    run = _linalg_grad.pointwise_kn
    monkeypatch.setattr(_linalg_grad, "pointwise_kn", lambda *a: calls.append(1) or run(*a))
    _backward_against_torch(torch, 600, seed=6)
    assert len(calls) == 2          # g @ w and g.T @ x ran on it


# --------------------------------------------------------------------------------------
# 'packed': the weight in panels, the input in blocks of rows (kernels/gemm_packed.py)
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_packed_edges_against_numpy_reference(dtype):
    """Rows around the tile's blocks (12 or 10 rows with AVX-512, 4 with AVX2), columns
    around the panels' 16 and 32 (the last panel overlaps the one before it), with and
    without a bias, the parts a few panels split their rows into, and an empty reduction
    (the bias alone)."""
    _edges_against_reference("packed", dtype, (1, 3, 4, 5, 9, 10, 11, 12, 13, 25, 200),
                             (16, 17, 31, 32, 33, 47, 64, 100), seed=18)
    x, w, b = np.ones((5, 0), dtype), np.ones((40, 0), dtype), np.arange(40, dtype=dtype)
    np.testing.assert_array_equal(linear_by(x, w, b, variant="packed"), np.tile(b, (5, 1)))
    np.testing.assert_array_equal(linear_by(x, w, variant="packed"), np.zeros((5, 40)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_packed_in_chunks_of_rows_against_numpy_reference(monkeypatch, dtype):
    """An input with more rows than PACKED_ROWS_BYTES holds runs a launch per chunk of
    rows, into the same scratch: every chunk, the last one short, lands in its rows."""
    from fastnn.kernels.gemm_packed import block_rows
    from fastnn.nn.functional import _linear as linear_module
    rng = np.random.default_rng(19)
    k, n = 40, 70
    rows = block_rows(dtype)
    two_blocks = 2 * rows * k * np.dtype(dtype).itemsize
    monkeypatch.setattr(linear_module, "PACKED_ROWS_BYTES", two_blocks)
    launches = []
    real = linear_module.launch
    monkeypatch.setattr(linear_module, "launch", lambda *a, **kw: launches.append(a[0]) or
                        real(*a, **kw))
    # five blocks and part of a sixth (a block's rows depend on dtype and target): two
    # chunks of two blocks, then a short one
    x = rng.standard_normal((5 * rows + max(1, rows - 1), k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    assert_close(linear_by(x, w, b, variant="packed"), reference(x, w, b), x, w, b)
    assert len(launches) == 1 + 3          # the weight's panels, then three chunks of rows


def test_packed_packs_a_weight_given_as_it_is_in_its_tasks(monkeypatch):
    """A weight not frozen, its rows in one launch: the kernel gets it as it is (N, K) and
    each task packs its own panel; a frozen weight's panels are packed once and kept, and
    the kernel gets those (panels, K, W); both give the same numbers."""
    from fastnn.nn import _frozen
    from fastnn.nn.functional import _linear as linear_module
    launches = []
    real = linear_module.launch
    monkeypatch.setattr(linear_module, "launch", lambda *a, **kw: launches.append(
        (a[0].__name__, a[2].ndim)) or real(*a, **kw))
    rng = np.random.default_rng(20)
    x = rng.standard_normal((30, 50)).astype(np.float32)
    w = rng.standard_normal((70, 50)).astype(np.float32)
    b = rng.standard_normal(70).astype(np.float32)
    eager = linear_by(x, w, b, variant="packed")
    assert launches == [("gemm_packed", 2)]
    launches.clear()
    frozen = linear_by(x, _frozen.freeze(w), b, variant="packed")
    assert launches == [("pack_panels", 3), ("gemm_packed", 3)]   # pack_panels(w, panels)
    assert_close(eager, reference(x, w, b), x, w, b)
    np.testing.assert_array_equal(eager, frozen)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("per_pass", [1, 2, 3])
def test_packed_pass_order_against_numpy_reference(monkeypatch, dtype, per_pass):
    """The pass order (`gemm_packed.pass_blocks` forced: 1-3 blocks per pass) gives the
    panel order's numbers bit for bit and the reference's: row counts that split into
    uneven parts and passes, the last block short, the last panel overlapping, with and
    without a bias, a fused ReLU, a frozen weight, and an input in chunks of rows."""
    from fastnn.kernels import gemm_packed as packed_kernels
    from fastnn.kernels.gemm_packed import block_rows
    from fastnn.nn import _frozen
    from fastnn.nn.functional import _linear as linear_module
    rng = np.random.default_rng(21 + per_pass)
    rows = block_rows(dtype)
    passes = []
    real = linear_module.launch

    def recording(kernel, *args, **kwargs):
        if kernel is packed_kernels.gemm_packed:
            passes.append(args[7])
        return real(kernel, *args, **kwargs)
    monkeypatch.setattr(linear_module, "launch", recording)
    for m in (rows + 1, 5 * rows - 1, 7 * rows + 3):
        for n in (panel_width(dtype), 2 * panel_width(dtype) + 5):
            k = int(rng.integers(1, 70))
            x = rng.standard_normal((m, k)).astype(dtype)
            w = rng.standard_normal((n, k)).astype(dtype)
            b = rng.standard_normal(n).astype(dtype)
            panel_order = [linear_by(x, w, b, variant="packed"),
                           linear_by(x, w, variant="packed")]
            monkeypatch.setattr(packed_kernels, "pass_blocks", lambda *args: per_pass)
            passes.clear()
            got = linear_by(x, w, b, variant="packed")
            assert passes == [per_pass]
            np.testing.assert_array_equal(got, panel_order[0])
            np.testing.assert_array_equal(linear_by(x, w, variant="packed"), panel_order[1])
            np.testing.assert_array_equal(
                linear_by(x, _frozen.freeze(w), b, variant="packed"), panel_order[0])
            with fastnn.backends.use("linear", "packed"):
                relu = F.relu(F.linear(x, w, b))
            assert_close(relu, np.maximum(reference(x, w, b), 0), x, w, b)
            assert_close(got, reference(x, w, b), x, w, b)
            monkeypatch.setattr(linear_module, "PACKED_ROWS_BYTES",
                                2 * rows * k * np.dtype(dtype).itemsize)
            np.testing.assert_array_equal(linear_by(x, w, b, variant="packed"),
                                          panel_order[0])
            monkeypatch.undo()
            monkeypatch.setattr(linear_module, "launch", recording)


def test_pass_order_rule():
    """`pass_blocks`: half of L2 of packed rows per pass, on two threads or more, with
    PASS_MIN_BLOCKS row blocks per thread, a weight no larger than the input and the
    weight's reads per pass, twice over, within the input's reads per panel; else 0."""
    from fastnn.kernels.gemm_packed import PASS_MIN_BLOCKS, block_rows, pass_blocks
    rows = block_rows(np.float32)
    width = panel_width(np.float32)
    l2 = 2 << 20
    m = 2 * PASS_MIN_BLOCKS * rows
    assert pass_blocks(m, 96, m, 4, 2, l2) == l2 // 2 // (rows * 96 * 4)
    assert pass_blocks(m, 96, m, 4, 1, l2) == 0                     # one thread
    fewer = m - 2 * rows                                            # 15 blocks a thread
    assert pass_blocks(fewer, 96, width, 4, 2, l2) == 0
    assert pass_blocks(fewer + 1, 96, width, 4, 2, l2) > 0          # 16 for one of them
    assert pass_blocks(m, 96, m + 1, 4, 2, l2) == 0                 # a weight larger
    assert pass_blocks(m, 96, m, 4, 2, 1 << 30) > 0                 # one pass a thread
    # K = 3072: one block a pass with this L2, 16 passes a thread: the weight read
    # 2 x 32 times outweighs the input read once per panel
    assert pass_blocks(m, 3072, m, 4, 2, 12 * 3072 * 4 * 2) == 0
    assert pass_blocks(m, 3072, m, 4, 2, 12 * 3072 * 4 * 2 * 8) > 0


def test_l2_size_read_from_sysfs(tmp_path):
    """kernels/_caches.py: the level-2 data or unified cache's size, in K or M; None
    where sysfs says nothing; l2_bytes() falls back to DEFAULT_L2_BYTES."""
    from fastnn.kernels import _caches
    for index, (level, kind, size) in enumerate([("1", "Data", "48K"),
                                                 ("1", "Instruction", "32K"),
                                                 ("2", "Unified", "2048K"),
                                                 ("3", "Unified", "480M")]):
        folder = tmp_path / f"index{index}"
        folder.mkdir()
        for name, text in (("level", level), ("type", kind), ("size", size)):
            (folder / name).write_text(text + "\n")
    assert _caches.read_l2_bytes(tmp_path) == 2 << 20
    (tmp_path / "index2" / "size").write_text("1M\n")
    assert _caches.read_l2_bytes(tmp_path) == 1 << 20
    (tmp_path / "index2" / "level").unlink()
    assert _caches.read_l2_bytes(tmp_path) is None
    assert _caches.read_l2_bytes(tmp_path / "missing") is None
    assert _caches._size_bytes("512K") == 512 << 10 and _caches._size_bytes("x") is None
    assert _caches.l2_bytes() == (_caches.read_l2_bytes() or _caches.DEFAULT_L2_BYTES)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pack_columns_packs_the_transpose(dtype):
    """`pack_columns(x)` makes the panels `pack_panels` makes of x.T, the last panel ending
    at the last column (N not a multiple of the width)."""
    from fastnn.kernels.gemm_packed import pack_columns, pack_panels
    width = panel_width(dtype)
    x = np.random.default_rng(5).standard_normal((7, 3 * width + 5)).astype(dtype)
    panels = -(-x.shape[1] // width)
    got = np.full((panels, 7, width), np.nan, dtype)
    want = np.full_like(got, np.nan)
    pack_columns(x, got)
    pack_panels(np.ascontiguousarray(x.T), want)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got[-1], x[:, -width:])


def test_packed_refusal_and_row_parts():
    from fastnn.kernels.gemm_packed import block_rows, row_parts
    width = panel_width(np.float32)
    x = np.ones((300, 32), np.float32)
    with pytest.raises(ValueError, match=f"it needs {width} output features"):
        _linear(x, np.ones((width - 1, 32), np.float32), variant="packed")
    rows = block_rows(np.float32)
    assert row_parts(3136, width, 4, 2) == 4          # one panel: two tasks per thread
    assert row_parts(3136, 8 * width, 4, 2) == 1      # panels enough
    assert row_parts(rows, width, 4, 2) == 1          # one block of rows


@pytest.mark.parametrize("activation", ["relu", "relu6"])
def test_packed_fused_activation_and_frozen_weight(torch, activation):
    """The inference compiler's epilogue runs in the tiles; a frozen weight keeps its
    panels (packed once), which go when the weight is un-frozen."""
    from fastnn._dispatch import dispatch
    from fastnn.nn._frozen import freeze, frozen_forms, kernel_weight
    rng = np.random.default_rng(7)
    x = (3 * rng.standard_normal((70, 40))).astype(np.float32)
    w = freeze(rng.standard_normal((50, 40)).astype(np.float32))
    b = rng.standard_normal(50).astype(np.float32)
    out = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(np.array(w)),
                                     torch.from_numpy(b))
    expected = (torch.relu(out) if activation == "relu" else torch.nn.functional.relu6(out))
    with fastnn.backends.use("linear", "packed"):
        got = dispatch("linear", x, w, b, activation=activation)
        forms = frozen_forms(kernel_weight(w))
        assert list(forms) == [("linear", "panels")]
        kept = forms[("linear", "panels")]
        again = dispatch("linear", x, w, b, activation=activation)
    assert_close(got, expected.numpy(), x, np.array(w), b)
    np.testing.assert_array_equal(again, got)
    width = panel_width(np.float32)
    assert kept.shape == (-(-50 // width), 40, width)
    np.testing.assert_array_equal(kept[0], np.array(w)[:width].T)
    np.testing.assert_array_equal(kept[-1], np.array(w)[50 - width:].T)   # overlaps
    w.base.flags.writeable = True                  # un-frozen: the panels are dropped
    with fastnn.backends.use("linear", "packed"):
        dispatch("linear", x, w, b)
    assert not forms


def test_packed_backward_matches_torch(torch, monkeypatch):
    """Linear's backward products on 'packed' (forced on any target): g @ w reads w through
    a transposed copy."""
    from fastnn import _linalg_grad
    monkeypatch.setattr(_linalg_grad, "default_variant", lambda *shape: "packed")
    calls = []
    run = LINEAR_VARIANTS["packed"]
    monkeypatch.setitem(_linalg_grad.LINEAR_VARIANTS, "packed",
                        lambda *a: calls.append(1) or run(*a))
    _backward_against_torch(torch, 300, seed=8)
    assert len(calls) == 2          # g @ w and g.T @ x ran on it, through transposed copies


@pytest.mark.parametrize("rows", [3, 64, 300])
def test_backward_products_leave_blas_alone(torch, monkeypatch, rows):
    """Products the rule gives the Numba GEMM run there through a transposed copy, not on
    BLAS, whose threads spin after a large product and take the cores from the kernels
    after it (`python benchmarks/blas_threads.py`)."""
    from fastnn import _linalg_grad
    blas = []
    matmul = np.matmul
    monkeypatch.setattr(_linalg_grad.np, "matmul", lambda *a, **k: blas.append(1) or
                        matmul(*a, **k))
    monkeypatch.setattr(_linalg_grad, "default_variant", lambda *shape: "numba_gemm")
    _backward_against_torch(torch, rows, seed=9)
    assert not blas


def test_short_reductions_go_to_blas_only_where_it_runs_them_on_one_thread():
    """K < 16: BLAS for products up to BLAS_SERIAL_MAX_MACS (OpenBLAS's own bound for one
    thread) and for fewer than 16 columns (the 'pointwise' tiles' least), 'pointwise'
    otherwise (a classifier's weight gradient at batch 8: larger products would leave
    OpenBLAS's threads spinning)."""
    from fastnn.nn.functional._linear import BLAS_SERIAL_MAX_MACS
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    assert default_variant(1000, 512, 8, f32) == "pointwise"      # ResNet-18's fc, batch 8
    assert default_variant(1000, 1280, 8, f64) == "pointwise"     # MobileNetV2's
    assert default_variant(64, 512, 8, f32) == "blas"             # 262,144: one thread
    assert 64 * 512 * 8 == BLAS_SERIAL_MAX_MACS
    assert default_variant(65, 512, 8, f32) == "pointwise"
    assert default_variant(100000, 15, 8, f32) == "blas"          # too few columns
    assert default_variant(300, 512, 16, f32) == "numba_gemm"


@pytest.mark.parametrize("batch", [8, 15])
def test_classifier_weight_gradient_at_a_small_batch_leaves_blas_alone(torch, monkeypatch,
                                                                       batch):
    """gw = g.T @ x of a 512 -> 1000 classifier at batch 8 (K = 8) runs on 'pointwise', not
    numpy's matmul, and matches torch's; so does gx."""
    from fastnn import _linalg_grad
    blas = []
    matmul = np.matmul
    monkeypatch.setattr(_linalg_grad.np, "matmul", lambda *a, **k: blas.append(1) or
                        matmul(*a, **k))
    rng = np.random.default_rng(20)
    x = rng.standard_normal((batch, 512)).astype(np.float32)
    w = rng.standard_normal((1000, 512)).astype(np.float32)
    b = rng.standard_normal(1000).astype(np.float32)
    g = rng.standard_normal((batch, 1000)).astype(np.float32)
    fx, fw, fb = (fastnn.tensor(a, requires_grad=True) for a in (x, w, b))
    F.linear(fx, fw, fb).backward(fastnn.tensor(g))
    tx, tw, tb = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    torch.nn.functional.linear(tx, tw, tb).backward(torch.from_numpy(g))
    assert not blas
    for got, expected in ((fx, tx), (fw, tw), (fb, tb)):
        np.testing.assert_allclose(got.grad.numpy(), expected.grad.numpy(), rtol=1e-4,
                                   atol=1e-4)


def test_backward_reads_a_weight_as_it_is_where_the_rule_picks_the_numba_gemm(torch,
                                                                             monkeypatch):
    """gx = g @ w of a classifier at batch 8: the rule's Numba GEMM would read w through a
    transposed copy; the 'pointwise' tiles read it as it is (no copy is made), with
    torch's numbers. A right operand that is a transposed view already keeps the GEMM."""
    from fastnn import _linalg_grad
    copies, pointwise = [], []
    real_copy, real_pointwise = _linalg_grad.kernel_array, _linalg_grad.pointwise_kn
    monkeypatch.setattr(_linalg_grad, "kernel_array",
                        lambda *a: copies.append(1) or real_copy(*a))
    monkeypatch.setattr(_linalg_grad, "pointwise_kn",
                        lambda *a: pointwise.append(a[1].shape) or real_pointwise(*a))
    rng = np.random.default_rng(21)
    a = rng.standard_normal((8, 1000)).astype(np.float32)
    b = rng.standard_normal((1000, 512)).astype(np.float32)
    assert default_variant(8, 512, 1000, np.dtype(np.float32)) == "numba_gemm"
    got = _linalg_grad._matmul(a, b)
    assert pointwise == [(1000, 512)] and not copies
    np.testing.assert_allclose(got, (torch.from_numpy(a) @ torch.from_numpy(b)).numpy(),
                               rtol=1e-4, atol=1e-3)
    _linalg_grad._matmul(a, np.ascontiguousarray(b.T).T)         # already transposed
    assert len(pointwise) == 1 and copies == [1]
