"""Gradients of the Tensor operations the catalogue sweep cannot reach: indexing (basic,
advanced, boolean masks, repeated indices), ``x[key] = value``, the multi-output ops,
ties, the in-place forms, version counters through views, matmul's shapes, the math
ufuncs, the arguments of the reductions; errors where torch has no derivative; nothing
recorded under no_grad or when no input requires grad. Against torch (float64 1e-10,
float32 1e-4) and, torch-free, central differences."""
import math

import numpy as np
import pytest

import fastnn
from gradcheck import compare_with_torch, numerical_check
from torch_compare import raises_like

RNG = np.random.default_rng(16)
X = RNG.standard_normal((3, 4, 5))
M = RNG.standard_normal((4, 5))


def _same_in_both(fn):
    """A call that reads the same on fastnn and torch tensors."""
    return lambda lib, *t: fn(*t)


# ------------------------------------------------------------------ indexing

_KEYS = [
    (1,), (slice(None), slice(1, None, 2)), (Ellipsis, -1), (None, 0, slice(1, 3)),
    (1, Ellipsis, None), (np.array([0, 2, 0]),), (slice(None), [1, 1, 3]),
    (np.array([[0, 2], [2, 2]]), slice(None), np.array([4, 0])),
    (slice(0, 2), np.array([3, 3, 0]), 1),
]


@pytest.mark.parametrize("key", _KEYS, ids=[str(i) for i in range(len(_KEYS))])
def test_index_gradient_matches_torch(key, torch):
    def call(lib, x):
        if lib is fastnn:
            return x[key]
        return x[tuple(torch.from_numpy(k) if isinstance(k, np.ndarray) else k
                       for k in key)]
    compare_with_torch(call, [X], torch)


def test_boolean_mask_and_repeated_indices(torch):
    mask = X[..., 0] > 0

    def call(lib, x):
        m = mask if lib is fastnn else torch.from_numpy(mask)
        i = np.array([2, 2, 2, 0]) if lib is fastnn else torch.tensor([2, 2, 2, 0])
        return x[m] * 2 + x[:, i].sum(), x[i, ..., i[:1]]
    compare_with_torch(call, [X], torch)
    compare_with_torch(call, [X.astype(np.float32)], torch)


def test_index_torch_free():
    numerical_check(lambda lib, x: x[np.array([1, 1, 0]), 1:3], [X])


# ------------------------------------------------------------------ x[key] = value

def _setitem(key, value_shape=None, number=2.5):
    def call(lib, x, *value):
        y = x * 1
        y[key] = value[0] if value else number
        return y * y
    return call, [X] + ([RNG.standard_normal(value_shape)] if value_shape else [])


@pytest.mark.parametrize("key, value_shape", [
    ((1,), (4, 5)), ((slice(None), 2), (5,)), ((Ellipsis, slice(1, 3)), (1, 2)),
    ((0, 1, 2), ()), ((slice(None), 1), None)])
def test_setitem_gradients_reach_tensor_and_value(key, value_shape, torch):
    call, arrays = _setitem(key, value_shape)
    assert compare_with_torch(call, arrays, torch) == len(arrays)
    numerical_check(call, arrays)


def test_setitem_with_index_tensor_and_mask(torch):
    def call(lib, x, v):
        y = x * 1
        idx = np.array([2, 0]) if lib is fastnn else torch.tensor([2, 0])
        y[idx] = v
        y[y > 1] = 0.0
        return y
    compare_with_torch(call, [X, RNG.standard_normal((4, 5))], torch)


def test_setitem_into_a_tensor_without_grad_records_the_value(torch):
    def call(lib, v):
        y = lib.zeros(3, 4, dtype=lib.float64)
        y[1:] = v
        return y.exp()
    compare_with_torch(call, [RNG.standard_normal((4,))], torch)


def test_setitem_on_a_leaf_that_requires_grad_raises_as_torch(torch):
    x = fastnn.tensor(X).requires_grad_()
    t = torch.from_numpy(X.copy()).requires_grad_()
    raises_like(lambda: t.__setitem__(0, 1.0), lambda: x.__setitem__(0, 1.0))
    with fastnn.no_grad():
        x[0] = 1.0              # allowed under no_grad, as in torch
    assert np.all(np.asarray(x[0]) == 1.0) and x.grad_fn is None


def test_setitem_bumps_the_version_a_saved_tensor_is_checked_against():
    x = fastnn.tensor(X).requires_grad_()
    y = x * 1
    z = y * y                   # saves y
    y[0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_write_into_a_view_of_a_leaf_raises_as_torch(torch):
    x = fastnn.tensor(M).requires_grad_()
    t = torch.from_numpy(M.copy()).requires_grad_()
    raises_like(lambda: t[1].fill_(0.0), lambda: x[1].fill_(0.0))
    raises_like(lambda: t[0:2].__setitem__(0, 1.0), lambda: x[0:2].__setitem__(0, 1.0))
    for key in (0, (slice(None), 1), Ellipsis, slice(None), slice(0, 2),
                np.array([0, 1])):
        tkey = torch.from_numpy(key) if isinstance(key, np.ndarray) else key
        raises_like(lambda: t.__setitem__(tkey, 1.0), lambda: x.__setitem__(key, 1.0))


def test_version_counter_through_views():
    x = fastnn.tensor(X).requires_grad_()
    y = x * 1
    z = y.exp() * y             # multiply saves y
    view = y[1:]
    view.fill_(3.0)             # the view shares y's storage: y's version moves too
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    w = x * 1
    u = w * w
    w.view(-1)[:4] = 1.0        # a write through a view of a view
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        u.sum().backward()


# ------------------------------------------------------------------ multi-output, ties

def test_split_and_chunk_with_unused_parts(torch):
    compare_with_torch(lambda lib, x: x.split([1, 3], dim=1)[1] * 2, [X], torch)
    compare_with_torch(lambda lib, x: x.chunk(3, dim=-1)[0:2], [X], torch)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.max(dim=1).values, lambda lib, x: x.min(-1, keepdim=True)[0],
    lambda lib, x: x.max(), lambda lib, x: x.min(), lambda lib, x: lib.amax(x, (0, 2)),
    lambda lib, x: lib.amin(x, -1, keepdim=True), lambda lib, x: lib.amax(x),
    lambda lib, x: lib.maximum(x, x.flip(0)) if lib is not fastnn
    else np.maximum(x, x[::-1]),
    lambda lib, x: lib.minimum(x, x.flip(0)) if lib is not fastnn
    else np.minimum(x, x[::-1]),
    lambda lib, x: x.sort(dim=1, stable=True)[0],
], ids=["max_dim", "min_keepdim", "max_all", "min_all", "amax_dims", "amin_keepdim",
        "amax_all", "maximum", "minimum", "sort"])
def test_ties_split_as_torch(call, torch):
    ties = np.round(X * 0.6)            # many equal values (and maxima)
    ties[1] = ties[1, :, :1]
    compare_with_torch(call, [ties], torch)


def test_maximum_minimum_with_nan(torch):
    a = np.array([1.0, np.nan, 2.0, np.nan, 3.0])
    b = np.array([1.0, 0.0, np.nan, np.nan, 1.0])
    compare_with_torch(lambda lib, x, y: (np.maximum(x, y), np.minimum(x, y))
                       if lib is fastnn else (lib.maximum(x, y), lib.minimum(x, y)),
                       [a, b], torch)
    compare_with_torch(lambda lib, x: x.max(), [a], torch)


# ------------------------------------------------------------------ in-place forms

def test_inplace_forms_on_non_leaves(torch):
    index = np.array([[0, 2, 1, 0, 1]])

    def call(lib, x, s):
        i = lib.from_numpy(index.copy())
        y = x * 1
        y.scatter_(0, i, s[:1])
        z = x + 1
        z.scatter_add_(0, i, s[:1])
        z[1:3].scatter_(1, i[:, :2].repeat(2, 1), s[:2, :2])     # into a view
        w = x * 2
        w[1].fill_(1.5)
        w[2].zero_()
        w[3][1:].__setitem__(slice(0, 2), s[1, :2])
        v = x * 3
        v.copy_(s[0])
        u = x * 4
        u[:, 1] += s[2, :4]
        u.t()[2] *= s[3, :4]
        return y + z + w + v + u
    compare_with_torch(call, [M, RNG.standard_normal((4, 5))], torch)


def test_augmented_assignment_through_views_of_the_whole_tensor(torch):
    def call(lib, x, s):
        y = x * 1
        y[:] += s               # y[:] is written, then written back into y: two tensors
        y[...] *= s             # on the same memory
        y[0] -= s[1]
        return y
    compare_with_torch(call, [M, RNG.standard_normal((4, 5))], torch)


# ------------------------------------------------------------------ ops with no derivative

@pytest.mark.filterwarnings("ignore:The reduce argument")    # both warn as torch does
def test_floor_divide_and_scatter_reduce_raise_as_torch(torch):
    for make in (lambda lib, a, b: a // b,
                 lambda lib, a, b: lib.scatter(a, 0, lib.from_numpy(np.zeros((1, 5), np.int64)),
                                               b, reduce="add")):
        grads = []
        for lib, tensor in ((fastnn, fastnn.tensor), (torch, torch.from_numpy)):
            a, b = (tensor(M.copy()).requires_grad_(), tensor(M.copy()).requires_grad_())
            grads.append(make(lib, a, b).sum())
        raises_like(grads[1].backward, grads[0].backward)


def test_scatter_src_larger_than_index_refused_as_torch(torch):
    index = np.zeros((1, 5), np.int64)
    got = fastnn.scatter_add(fastnn.tensor(M), 0, fastnn.tensor(index),
                             fastnn.tensor(M).requires_grad_())
    want = torch.scatter_add(torch.from_numpy(M.copy()), 0, torch.from_numpy(index),
                             torch.from_numpy(M.copy()).requires_grad_())
    with pytest.raises(RuntimeError, match=r"Function ScatterAddBackward0 returned an invalid "
                       r"gradient at index \d - got \[1, 5\] but expected shape compatible "
                       r"with \[4, 5\]"):
        got.sum().backward()
    with pytest.raises(RuntimeError, match="ScatterAddBackward0 returned an invalid"):
        want.sum().backward()


def test_non_differentiable_outputs_do_not_require_grad():
    x = fastnn.tensor(X).requires_grad_()
    for out in (x > 0, x == x, x.argmax(), x.argmin(1), (x > 0).any(), x.max(1).indices,
                x.sort(0)[1], x.topk(2)[1], x.long(), fastnn.isnan(x), x.nonzero()):
        assert not out.requires_grad and out.grad_fn is None


# ------------------------------------------------------------------ matmul and ufuncs

@pytest.mark.parametrize("shapes", [((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)),
                                    ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)),
                                    ((2, 3, 4), (4,))])
def test_matmul_shapes(shapes, torch):
    arrays = [RNG.standard_normal(s) for s in shapes]
    compare_with_torch(lambda lib, a, b: a @ b, arrays, torch)
    compare_with_torch(lambda lib, a, b: a @ b, [a.astype(np.float32) for a in arrays], torch)


_UNARY = {"absolute": "abs", "exp": "exp", "exp2": "exp2", "expm1": "expm1", "log": "log",
          "log2": "log2", "log10": "log10", "log1p": "log1p", "sqrt": "sqrt",
          "square": "square", "reciprocal": "reciprocal", "sin": "sin", "cos": "cos",
          "tan": "tan", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh", "arcsin": "asin",
          "arccos": "acos", "arctan": "atan", "arcsinh": "asinh", "arccosh": "acosh",
          "arctanh": "atanh", "deg2rad": "deg2rad", "rad2deg": "rad2deg", "sign": "sign",
          "floor": "floor", "ceil": "ceil", "rint": "round", "trunc": "trunc",
          "positive": "positive", "negative": "neg"}


@pytest.mark.parametrize("name", sorted(_UNARY))
def test_math_ufuncs_match_torch(name, torch):
    x = np.array([0.0, 0.3, -0.7, 0.9, 1.7, -2.2])
    if name in ("log", "log2", "log10", "sqrt", "reciprocal"):
        x = np.abs(x) + 0.1
    elif name == "arccosh":
        x = np.abs(x) + 1.1
    elif name in ("arcsin", "arccos", "arctanh"):
        x = np.clip(x, -0.9, 0.9)
    ufunc, ref = getattr(np, name), _UNARY[name]
    call = (lambda lib, t: ufunc(t) if lib is fastnn else getattr(lib, ref)(t))
    compare_with_torch(call, [x], torch)
    compare_with_torch(call, [x.astype(np.float32)], torch)


def test_edges_of_abs_and_sqrt(torch):
    zero = np.array([0.0, 1.0, -0.0, 4.0])
    compare_with_torch(lambda lib, x: abs(x), [zero], torch)        # 0 at 0
    x = fastnn.tensor(np.abs(zero)).requires_grad_()
    t = torch.from_numpy(np.abs(zero)).requires_grad_()
    fastnn.sqrt(x).sum().backward()
    torch.sqrt(t).sum().backward()
    assert np.isinf(np.asarray(x.grad)[[0, 2]]).all()                  # inf at 0, as torch
    np.testing.assert_array_equal(np.asarray(x.grad), t.grad.numpy())


@pytest.mark.parametrize("op", ["remainder", "fmod", "arctan2", "hypot", "logaddexp",
                                "fmax", "fmin", "power"])
def test_binary_ufuncs_match_torch(op, torch):
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((4,))
    if op == "power":
        a = np.abs(a) + 0.5
    ref = {"arctan2": "atan2", "power": "pow"}.get(op, op)
    compare_with_torch(lambda lib, x, y: getattr(np, op)(x, y) if lib is fastnn
                       else getattr(lib, ref)(x, y), [a, b], torch)


def test_binary_ufuncs_torch_free():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4)) + 3
    for op in ("remainder", "fmod", "arctan2", "hypot", "logaddexp", "maximum", "cbrt"):
        ufunc = getattr(np, op)
        numerical_check((lambda lib, x, y: ufunc(x) * y) if ufunc.nin == 1
                        else (lambda lib, x, y: ufunc(x, y)), [a, b])


# ------------------------------------------------------------------ reductions' arguments

@pytest.mark.parametrize("call", [
    lambda lib, x: x.std(dim=(0, -1), correction=0, keepdim=True),
    lambda lib, x: x.var(-2, correction=2), lambda lib, x: x.std(),
    lambda lib, x: lib.var(x, dim=1, keepdim=True),
    lambda lib, x: x.prod(-1, keepdim=True), lambda lib, x: x.prod(1),
    lambda lib, x: x.prod(),
    lambda lib, x: x.sum((0, -1), keepdim=True), lambda lib, x: x.mean(-2),
    lambda lib, x: lib.roll(x, (1, -2), (0, -1)), lambda lib, x: x.repeat(2, 1, 3, 1),
    lambda lib, x: lib.cat([x, x * 2, x[:, :1]], 1),
    lambda lib, x: lib.stack([x, x * 3], -1),
    lambda lib, x: x.to(lib.float32) if lib is not fastnn else x.to(np.float32),
    lambda lib, x: lib.index_select(x, -1, lib.from_numpy(np.array([4, 4, 0]))),
    lambda lib, x: lib.gather(x, 2, lib.from_numpy(np.array([[[4, 4, 0]] * 4] * 3))),
], ids=["std_dims", "var_correction", "std_all", "var_keepdim", "prod_keepdim", "prod_dim",
        "prod_all", "sum_dims", "mean_negative", "roll", "repeat", "cat", "stack", "to32",
        "index_select", "gather_repeated"])
def test_reduction_and_copy_arguments(call, torch):
    compare_with_torch(call, [X], torch)


@pytest.mark.parametrize("zeros", [1, 2])
def test_prod_with_zeros(zeros, torch):
    x = X.copy()
    x[0, 1, :zeros] = 0.0
    x[2, 3, 4] = 0.0
    for call in (lambda lib, t: t.prod(2), lambda lib, t: t.prod(0, keepdim=True),
                 lambda lib, t: t[2].prod()):
        compare_with_torch(call, [x], torch)
        numerical_check(call, [x])


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, math.inf, -math.inf, "fro", "nuc"])
def test_norm_every_order(p, torch):
    x = X.copy()
    x[0, 0] = 0.0                       # a zero norm over the last dim
    dims = (1, 2) if isinstance(p, str) else -1
    compare_with_torch(lambda lib, t: lib.norm(t, p, dim=dims), [x], torch)
    compare_with_torch(lambda lib, t: lib.norm(t[1:], p, dim=dims, keepdim=True), [x], torch)
    if not isinstance(p, str) and p not in (0,):
        compare_with_torch(lambda lib, t: lib.norm(t[1:], p), [x], torch)


def test_norm_fro_over_three_dims_and_float32(torch):
    compare_with_torch(lambda lib, t: lib.norm(t, "fro"), [X], torch)
    compare_with_torch(lambda lib, t: lib.norm(t, 3, dim=1), [X.astype(np.float32)], torch)


# ------------------------------------------------------------------ recording or not

def _every_op(x, v):
    """One call of each op this file covers on `x` (and `v`, a (4, 5) tensor)."""
    i = fastnn.tensor(np.array([[0, 2, 1, 0, 1]]))
    y = x * 1
    y[0] = v
    return [x[1], x[:, np.array([0, 0])], abs(x), np.exp(x), np.maximum(x, 0.5), x % 2,
            x @ v.t(), x.prod(1), x.max(1)[0], x.max(), fastnn.amax(x, 0), x.std(1), x.var(),
            fastnn.norm(x, 3), fastnn.norm(x, "nuc", dim=(1, 2)), x.sort(1)[0],
            x.topk(2)[0], x.float(), fastnn.cat([x, x]), fastnn.stack([x, x]),
            x.split(2, 1)[0], x.chunk(2)[1], x.repeat(1, 2, 1), fastnn.roll(x, 1, 0),
            fastnn.gather(x[0], 0, i), fastnn.index_select(x, 0, fastnn.tensor([1, 1])),
            fastnn.scatter(x[0], 0, i, v[:1]), fastnn.scatter_add(x[0], 0, i, v[:1]),
            x.clone().fill_(1.0), y]


def test_no_grad_records_nothing():
    x = fastnn.tensor(X).requires_grad_()
    v = fastnn.tensor(M).requires_grad_()
    with fastnn.no_grad():
        results = _every_op(x, v)
    assert all(r.grad_fn is None and not r.requires_grad for r in results)
    results = _every_op(x, v)           # and with grad mode on, every one is recorded
    assert all(r.grad_fn is not None for r in results)


def test_inference_without_grad_costs_no_node():
    x, v = fastnn.tensor(X), fastnn.tensor(M)
    fastnn.tensor(M).requires_grad_()   # autograd is live in this process
    assert all(r.grad_fn is None and not r.requires_grad for r in _every_op(x, v))


def test_identity_ops_leave_a_leaf_a_leaf():
    x = fastnn.tensor(X).requires_grad_()
    assert x.contiguous() is x and x.double() is x
    assert x.is_leaf and x.grad_fn is None
