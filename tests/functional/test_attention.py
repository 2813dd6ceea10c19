"""F.scaled_dot_product_attention, F.embedding and F.multi_head_attention_forward against
torch: seeded random cases of every argument, dropout (torch's draws and statistics), and
every error torch raises, with its class and words."""
import math

import numpy as np
import pytest

import fastnn
import fastnn.nn.functional as F
from torch_compare import raises_like

DTYPES = [np.float32, np.float64]


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10,
                                                                         atol=1e-10)


def tensors(torch, arrays):
    return [None if a is None else torch.from_numpy(np.array(a, copy=True)) for a in arrays]


def assert_close(got, want, dtype):
    assert isinstance(got, fastnn.Tensor)
    want = want.detach().numpy()
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(np.asarray(got), want, equal_nan=True, **tol(dtype))


# ------------------------------------------------------------ scaled_dot_product_attention

def _mask(rng, kind, shape, dtype):
    if len(shape) < 2:
        return rng.standard_normal(shape).astype(dtype)
    if kind == "bool":
        mask = rng.random(shape) > 0.3
        mask[..., 1, :] = False                      # a row that sees no key
        return mask
    mask = rng.standard_normal(shape).astype(dtype)
    mask[..., 0, :2] = -np.inf
    return mask


# (q shape, k shape, v shape, mask: None or (kind, shape), keyword arguments)
SDPA_CASES = {
    "plain": ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6), None, {}),
    "causal_short_query": ((2, 2, 4, 3), (2, 2, 6, 3), (2, 2, 6, 3), None,
                           dict(is_causal=True)),
    "causal_long_query": ((1, 2, 9, 3), (1, 2, 6, 3), (1, 2, 6, 2), None,
                          dict(is_causal=True)),
    "bool_mask": ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4), ("bool", (5, 7)), {}),
    "float_mask_broadcast": ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4),
                             ("float", (3, 1, 7)), {}),
    "bool_mask_per_batch": ((2, 3, 40, 4), (2, 3, 37, 4), (2, 3, 37, 5),
                            ("bool", (2, 1, 40, 37)), {}),
    "scale": ((2, 5, 4), (2, 7, 4), (2, 7, 3), None, dict(scale=0.3)),
    "batch_broadcast": ((2, 3, 5, 4), (3, 7, 4), (1, 3, 7, 2), None, {}),
    "unbatched": ((5, 4), (7, 4), (7, 3), ("float", (5, 7)), {}),
    "gqa": ((2, 4, 5, 4), (2, 2, 7, 4), (2, 1, 7, 3), None, dict(enable_gqa=True)),
    "gqa_3d": ((4, 5, 4), (2, 7, 4), (2, 7, 4), None, dict(enable_gqa=True, is_causal=True)),
    "no_keys": ((2, 5, 4), (2, 0, 4), (2, 0, 3), None, {}),
    "no_features": ((2, 5, 0), (2, 3, 0), (2, 3, 2), None, {}),
    "no_queries": ((2, 0, 4), (2, 3, 4), (2, 3, 2), None, {}),
    "mask_1d_3d_inputs": ((2, 5, 4), (2, 7, 4), (2, 7, 3), ("float", (7,)), {}),
    "mask_1d_dropout": ((1, 2, 5, 4), (1, 2, 7, 4), (1, 2, 7, 3), ("float", (7,)),
                        dict(dropout_p=1.0)),
    "mask_0d": ((2, 5, 4), (2, 7, 4), (2, 7, 3), ("float", ()), {}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(SDPA_CASES))
def test_sdpa_matches_torch(torch, rng, case, dtype):
    q_shape, k_shape, v_shape, mask, kwargs = SDPA_CASES[case]
    q, k, v = (rng.standard_normal(s).astype(dtype) for s in (q_shape, k_shape, v_shape))
    mask = None if mask is None else _mask(rng, *mask, dtype)
    before = [a.copy() for a in (q, k, v) + (() if mask is None else (mask,))]
    got = F.scaled_dot_product_attention(q, k, v, mask, **kwargs)
    want = torch.nn.functional.scaled_dot_product_attention(*tensors(torch, (q, k, v, mask)),
                                                            **kwargs)
    assert_close(got, want, dtype)
    for a, b in zip((q, k, v, mask), before):
        np.testing.assert_array_equal(a, b)


def test_sdpa_fully_masked_rows_are_zeros_as_torchs(torch, rng):
    q, k, v = (rng.standard_normal((1, 3, 4, 2)) for _ in range(3))
    mask = np.ones((4, 4), bool)
    mask[2] = False
    got = np.asarray(F.scaled_dot_product_attention(q, k, v, mask))
    want = torch.nn.functional.scaled_dot_product_attention(
        *tensors(torch, (q, k, v, mask))).numpy()
    np.testing.assert_array_equal(got[..., 2, :], want[..., 2, :])
    assert not np.any(got[..., 2, :])


def test_sdpa_float32_mask_with_float64_inputs(torch, rng):
    q, k, v = (rng.standard_normal((2, 3, 4)) for _ in range(3))
    mask = rng.standard_normal((3, 3)).astype(np.float32)
    got = F.scaled_dot_product_attention(q, k, v, mask)
    want = torch.nn.functional.scaled_dot_product_attention(*tensors(torch, (q, k, v, mask)))
    assert_close(got, want, np.float64)


def test_sdpa_nan_propagates_to_its_row(torch, rng):
    q, k, v = (rng.standard_normal((1, 4, 3)).astype(np.float32) for _ in range(3))
    q[0, 1, 0] = np.nan
    got = F.scaled_dot_product_attention(q, k, v)
    want = torch.nn.functional.scaled_dot_product_attention(*tensors(torch, (q, k, v)))
    assert_close(got, want, np.float32)
    assert np.isnan(got[0, 1]).all() and np.isfinite(np.delete(got[0], 1, axis=0)).all()


@pytest.mark.parametrize("scale", [-1.0, 0.0, 0.5])
@pytest.mark.parametrize("shape", [(1, 2, 5, 3), (2, 5, 3)])
def test_sdpa_causal_scale_sign_as_torch(torch, rng, scale, shape):
    """torch quirk: its CPU flash kernel (4-D inputs) scales the -inf of hidden keys, so a
    scale <= 0 makes every causal row that hides a key NaN; its reference path (3-D) not."""
    q, k, v = (rng.standard_normal(shape).astype(np.float32) for _ in range(3))
    got = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
    want = torch.nn.functional.scaled_dot_product_attention(
        *tensors(torch, (q, k, v)), is_causal=True, scale=scale)
    assert_close(got, want, np.float32)


@pytest.mark.parametrize("p", [0.3, 1.0])
def test_sdpa_dropout_draws_torchs_mask(torch, rng, p):
    """After the same seed the same weights are dropped as in torch's reference path."""
    q, k, v = (rng.standard_normal((2, 3, 6, 4)) for _ in range(3))
    mask = rng.random((6, 6)) > 0.2
    fastnn.manual_seed(5)
    got = F.scaled_dot_product_attention(q, k, v, mask, dropout_p=p)
    torch.manual_seed(5)
    want = torch.nn.functional.scaled_dot_product_attention(*tensors(torch, (q, k, v, mask)),
                                                            dropout_p=p)
    assert_close(got, want, np.float64)


def test_sdpa_dropout_statistics(rng):
    """Uniform weights over 64 keys of value 1: each output is kept/(64 (1-p)); its mean
    over 4096 rows is 1 within 0.02 (the standard error is 0.0015), the dropped fraction
    is p, and the functional form drops regardless of any training mode."""
    p, keys = 0.4, 64
    q = np.zeros((4096, 2), np.float32)
    k = np.zeros((keys, 2), np.float32)
    v = np.ones((keys, 1), np.float32)
    out = np.asarray(F.scaled_dot_product_attention(q, k, v, dropout_p=p))[:, 0]
    assert abs(out.mean() - 1) < 0.02
    kept = out * keys * (1 - p)
    np.testing.assert_allclose(kept, np.round(kept), atol=1e-3)
    assert abs(1 - kept.sum() / (4096 * keys) - p) < 0.01


@pytest.mark.parametrize("p", [0.0, -0.5, math.nan])
def test_sdpa_dropout_off_is_exact(rng, p):
    q, k, v = (rng.standard_normal((2, 5, 3)) for _ in range(3))
    state = fastnn.random.get_rng_state() if hasattr(fastnn, "random") else None
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, dropout_p=p),
                                  F.scaled_dot_product_attention(q, k, v))
    if state is not None:
        np.testing.assert_array_equal(fastnn.random.get_rng_state(), state)


def _sdpa_errors(rng):
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)   # noqa: E731
    q, k, v = f32(2, 4, 8), f32(2, 5, 8), f32(2, 5, 6)
    q4 = f32(2, 4, 4, 8)
    return {
        "dtypes": ((q, k, v.astype(np.float64)), {}),
        "int_dtypes": ((q.astype(np.int32), k, v), {}),
        "mask_long": ((q, k, v, np.ones((4, 5), np.int64)), {}),
        "mask_double": ((q, k, v, np.ones((4, 5))), {}),
        "mask_int_before_causal": ((q, k, v, np.ones((4, 5), np.int32)),
                                   dict(is_causal=True, dropout_p=2.0)),
        "dims": ((q[0, 0], k, v), {}),
        "causal_and_mask": ((q, k, v, np.ones((4, 5), bool)), dict(is_causal=True)),
        "mask_1d": ((q4, f32(2, 4, 5, 8), f32(2, 4, 5, 6), np.ones(5, bool)), {}),
        "mask_0d": ((q4, f32(2, 4, 5, 8), f32(2, 4, 5, 6), np.ones((), bool)), {}),
        "feature_mismatch": ((q, k[..., :3], v), {}),
        "key_value_lengths": ((q, k[:, :4], v[:, :3]), {}),
        "batch_mismatch": ((q, f32(3, 5, 8), f32(3, 5, 6)), {}),
        "mask_shape": ((q, k, v, np.ones((4, 4), bool)), {}),
        "mask_batch": ((q, k, v, np.ones((3, 4, 5), bool)), {}),
        "mask_too_many_dims": ((q4, f32(2, 4, 5, 8), f32(2, 4, 5, 6),
                                np.ones((2, 1, 1, 4, 5), bool)), {}),
        "gqa_heads": ((q4, f32(2, 3, 5, 8), f32(2, 3, 5, 6)), dict(enable_gqa=True)),
        "no_gqa_heads": ((q4, f32(2, 2, 5, 8), f32(2, 2, 5, 6)), {}),
        "dropout_above_one": ((q, k, v), dict(dropout_p=1.5)),
        "dropout_type": ((q, k, v, None, "a"), {}),
        "causal_type": ((q, k, v, None, 0.0, 1), {}),
        "causal_none": ((q, k, v), dict(is_causal=None)),
        "scale_type": ((q, k, v), dict(scale="a")),
        "gqa_type": ((q, k, v), dict(enable_gqa=1)),
        "mask_type": ((q, k, v, "a"), {}),
        "keyword_only": ((q, k, v, None, 0.0, False, None), {}),
    }


@pytest.mark.parametrize("case", sorted(_sdpa_errors(np.random.default_rng(0))))
def test_sdpa_errors_as_torch(torch, rng, case):
    args, kwargs = _sdpa_errors(rng)[case]
    raises_like(
        lambda: torch.nn.functional.scaled_dot_product_attention(
            *[torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args],
            **kwargs),
        lambda: F.scaled_dot_product_attention(*args, **kwargs))


def test_sdpa_refuses_other_float_widths(rng):
    q = rng.standard_normal((2, 3)).astype(np.float16)
    with pytest.raises(TypeError, match="float16"):
        F.scaled_dot_product_attention(q, q, q)


# ------------------------------------------------------------ embedding

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
@pytest.mark.parametrize("shape", [(2, 3), (), (0, 4), (7,)])
def test_embedding_matches_torch(torch, rng, dtype, index_dtype, shape):
    weight = rng.standard_normal((6, 5)).astype(dtype)
    indices = rng.integers(0, 6, shape).astype(index_dtype)
    got = F.embedding(indices, weight, padding_idx=-1)
    want = torch.nn.functional.embedding(*tensors(torch, (indices, weight)), padding_idx=-1)
    assert_close(got, want, dtype)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf])
@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_max_norm_renormalises_in_place_as_torch(torch, rng, norm_type, dtype):
    weight = (rng.standard_normal((8, 4)) * 2).astype(dtype)
    indices = np.array([[1, 3, 3], [7, 0, 1]])
    tweight = torch.from_numpy(weight.copy())
    got = F.embedding(indices, weight, max_norm=1.5, norm_type=norm_type)
    want = torch.nn.functional.embedding(torch.from_numpy(indices), tweight, max_norm=1.5,
                                         norm_type=norm_type)
    assert_close(got, want, dtype)
    np.testing.assert_allclose(weight, tweight.numpy(), **tol(dtype))
    untouched = [2, 4, 5, 6]
    assert not np.allclose(weight[[0, 1, 3, 7]], 0)
    np.testing.assert_array_equal(weight[untouched], tweight.numpy()[untouched])


def test_embedding_renorm_stops_at_a_bad_index_as_torch(torch, rng):
    weight = (rng.standard_normal((5, 3)) * 3).astype(np.float32)
    tweight = torch.from_numpy(weight.copy())
    indices = np.array([0, 9, 2])
    raises_like(lambda: torch.nn.functional.embedding(torch.from_numpy(indices), tweight,
                                                      max_norm=1.0),
                lambda: F.embedding(indices, weight, max_norm=1.0))
    np.testing.assert_allclose(weight, tweight.numpy(), rtol=1e-6)
    assert np.linalg.norm(weight[0]) == pytest.approx(1.0, rel=1e-5)


def _embedding_errors():
    w = np.ones((5, 3), np.float32)
    idx = np.array([0, 1])
    return {
        "too_large": ((np.array([0, 5]), w), {}),
        "negative": ((np.array([0, -1]), w), {}),
        "float_indices": ((np.array([0.0, 1.0], np.float32), w), {}),
        "double_indices": ((np.array([0.0, 1.0]), w), {}),
        "bool_indices": ((np.array([True]), w), {}),
        "short_indices": ((np.array([0, 1], np.int16), w), {}),
        "byte_indices": ((np.array([0, 1], np.uint8), w), {}),
        "weight_1d": ((idx, w[0]), {}),
        "weight_3d": ((idx, np.ones((5, 3, 2), np.float32)), {}),
        "padding_too_large": ((idx, w), dict(padding_idx=5)),
        "padding_too_small": ((idx, w), dict(padding_idx=-6)),
        "indices_type": (([0, 1], w), {}),
        "weight_type": ((idx, [[1.0]]), {}),
        "max_norm_type": ((idx, w), dict(max_norm="a")),
        "norm_type_type": ((idx, w), dict(max_norm=1.0, norm_type="a")),
        "renorm_float_indices": ((np.array([0.0, 1.0], np.float32), w), dict(max_norm=1.0)),
    }


@pytest.mark.parametrize("case", sorted(_embedding_errors()))
def test_embedding_errors_as_torch(torch, case):
    args, kwargs = _embedding_errors()[case]
    targs = [torch.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a for a in args]
    raises_like(lambda: torch.nn.functional.embedding(*targs, **kwargs),
                lambda: F.embedding(*[a.copy() if isinstance(a, np.ndarray) else a
                                      for a in args], **kwargs))


# ------------------------------------------------------------ multi_head_attention_forward

@pytest.mark.parametrize("need_weights", [True, False])
def test_multi_head_attention_forward_matches_torch(torch, rng, need_weights):
    """The separate-projection form with static keys and values (the module tests cover
    the packed form)."""
    embed, heads, tgt, src, batch = 6, 2, 4, 5, 3
    q = rng.standard_normal((tgt, batch, embed))
    k = rng.standard_normal((src, batch, 4))
    v = rng.standard_normal((src, batch, 5))
    weights = [rng.standard_normal(s) for s in ((embed, embed), (embed, 4), (embed, 5),
                                                 (3 * embed,), (embed, embed), (embed,))]
    static_k, static_v = (rng.standard_normal((batch * heads, src, embed // heads))
                          for _ in range(2))
    mask = rng.random((tgt, src)) < 0.2

    def call(fn, arrays, to):
        q, k, v, wq, wk, wv, b, wo, bo, sk, sv, m = [to(a) for a in arrays]
        return fn(q, k, v, embed, heads, None, b, None, None, False, 0.0, wo, bo,
                  training=False, need_weights=need_weights, attn_mask=m,
                  use_separate_proj_weight=True, q_proj_weight=wq, k_proj_weight=wk,
                  v_proj_weight=wv, static_k=sk, static_v=sv)

    arrays = [q, k, v, *weights, static_k, static_v, mask]
    got = call(F.multi_head_attention_forward, arrays, lambda a: a)
    want = call(torch.nn.functional.multi_head_attention_forward, arrays,
                lambda a: torch.from_numpy(a.copy()))
    assert_close(got[0], want[0], np.float64)
    if need_weights:
        assert_close(got[1], want[1], np.float64)
    else:
        assert got[1] is None and want[1] is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, keys", [(70, 70), (70, 50), (45, 90), (33, 1)])
def test_sdpa_causal_skips_hidden_keys_with_torchs_values(torch, rng, dtype, rows, keys):
    """Finite inputs: a causal row's hidden keys are neither scored nor summed (their
    weights are exactly 0); rows across several 32-row blocks, more or fewer keys than
    rows."""
    q = rng.standard_normal((2, 3, rows, 8)).astype(dtype)
    k = rng.standard_normal((2, 3, keys, 8)).astype(dtype)
    v = rng.standard_normal((2, 3, keys, 5)).astype(dtype)
    got = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    want = torch.nn.functional.scaled_dot_product_attention(*tensors(torch, (q, k, v)),
                                                            is_causal=True)
    assert_close(got, want, dtype)


@pytest.mark.parametrize("where", ["k", "v"])
@pytest.mark.parametrize("value", [np.inf, np.nan])
def test_sdpa_causal_non_finite_hidden_key_reaches_rows_as_torchs(torch, rng, where, value):
    """A NaN or inf anywhere keeps every key in the sums: the rows that hide it get NaN
    (0 * inf), as torch's reference path (3-D inputs) gives."""
    q, k, v = (rng.standard_normal((2, 40, 8)) for _ in range(3))
    (k if where == "k" else v)[0, 35, 1] = value
    got = np.asarray(F.scaled_dot_product_attention(q, k, v, is_causal=True))
    want = torch.nn.functional.scaled_dot_product_attention(*tensors(torch, (q, k, v)),
                                                            is_causal=True).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert np.isnan(got[0, :35]).any()


def test_attention_kernel_skip_gives_the_full_sums_values_and_zero_weights(rng):
    """The kernel with and without skipping hidden keys: the same outputs (to rounding) and
    weights, hidden ones exactly 0, with dropout multipliers."""
    from fastnn.kernels import attention as kernel
    rows = keys = 70
    q, k = (rng.standard_normal((1, rows, 8)) for _ in range(2))
    v = rng.standard_normal((1, keys, 5))
    drop = (rng.random((1, rows, keys)) > 0.3) / 0.7
    index = np.zeros(1, np.int64)
    results = []
    for skip in (False, True):
        out, weights = np.empty((1, rows, 5)), np.empty((1, rows, keys))
        kernel.attention(q, k, v, np.empty((0, 0, 0)), drop, index, index, index,
                         np.empty(0, np.int64), 0.3, True, False, skip, True, out, weights)
        results.append((out, weights))
    (full, full_w), (skipped, skipped_w) = results
    np.testing.assert_allclose(skipped, full, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(skipped_w, full_w, rtol=1e-12, atol=0)
    assert not np.triu(skipped_w[0], 1).any()
