"""nn.Embedding, nn.MultiheadAttention, nn.TransformerEncoderLayer and
nn.TransformerEncoder against torch: parameter names and shapes, initialisation, outputs
with torch's weights loaded (eval mode: no dropout), masks, and torch's errors."""
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from torch_compare import raises_like

DTYPES = [np.float32, np.float64]


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10,
                                                                         atol=1e-10)


def torch_dtype(torch, dtype):
    return torch.float32 if dtype == np.float32 else torch.float64


def load_torch_weights(ours, theirs):
    """torch's state_dict into the fastnn module (as numpy): the key lists must agree."""
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    assert sorted(ours.state_dict()) == sorted(state)
    for key, value in ours.state_dict().items():
        assert tuple(value.shape) == state[key].shape, key
    ours.load_state_dict(state)


def as_torch(torch, value):
    return torch.from_numpy(np.array(value, copy=True)) if isinstance(value, np.ndarray) \
        else value


def assert_close(got, want, dtype):
    if want is None:
        assert got is None
        return
    assert isinstance(got, fastnn.Tensor)
    want = want.detach().numpy()
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(np.asarray(got), want, equal_nan=True, **tol(dtype))


# ------------------------------------------------------------ Embedding

def test_embedding_init_is_torchs(torch):
    fastnn.manual_seed(3)
    ours = nn.Embedding(7, 4, padding_idx=-2)
    torch.manual_seed(3)
    theirs = torch.nn.Embedding(7, 4, padding_idx=-2)
    np.testing.assert_array_equal(ours.weight, theirs.weight.detach().numpy())
    assert ours.padding_idx == theirs.padding_idx == 5
    assert not np.any(ours.weight[5])
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == ["weight"]


@pytest.mark.parametrize("kwargs", [
    dict(), dict(padding_idx=0), dict(max_norm=1.0, norm_type=1.0),
    dict(scale_grad_by_freq=True, sparse=True, padding_idx=2)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_forward_and_repr_as_torch(torch, rng, kwargs, dtype):
    ours = nn.Embedding(6, 3, dtype=dtype, **kwargs)
    theirs = torch.nn.Embedding(6, 3, dtype=torch_dtype(torch, dtype), **kwargs)
    load_torch_weights(ours, theirs)
    indices = rng.integers(0, 6, (2, 5))
    assert_close(ours(indices), theirs(torch.from_numpy(indices)), dtype)
    np.testing.assert_allclose(ours.weight, theirs.weight.detach().numpy(), **tol(dtype))
    assert repr(ours) == repr(theirs)
    assert (ours.scale_grad_by_freq, ours.sparse) == (theirs.scale_grad_by_freq,
                                                      theirs.sparse)


@pytest.mark.parametrize("freeze", [True, False])
def test_embedding_from_pretrained_shares_and_freezes(torch, rng, freeze):
    table = fastnn.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    ours = nn.Embedding.from_pretrained(table, freeze=freeze, padding_idx=1)
    theirs = torch.nn.Embedding.from_pretrained(torch.from_numpy(np.asarray(table).copy()),
                                                freeze=freeze, padding_idx=1)
    assert ours.weight.requires_grad == theirs.weight.requires_grad == (not freeze)
    assert np.shares_memory(ours.weight, table)
    assert np.any(ours.weight[1])                 # the padding row is left as given
    assert repr(ours) == repr(theirs)
    indices = np.array([3, 1, 0])
    assert_close(ours(indices), theirs(torch.from_numpy(indices)), np.float32)


def test_embedding_given_weight_is_shared(rng):
    weight = rng.standard_normal((3, 2))
    emb = nn.Embedding(3, 2, _weight=weight, _freeze=True)
    assert np.shares_memory(emb.weight, weight) and not emb.weight.requires_grad


@pytest.mark.parametrize("call", [
    lambda nn, t: nn.Embedding(5, 3, padding_idx=5),
    lambda nn, t: nn.Embedding(5, 3, padding_idx=-6),
    lambda nn, t: nn.Embedding(5, 3, _weight=t(np.ones((4, 3), np.float32))),
    lambda nn, t: nn.Embedding.from_pretrained(t(np.ones(4, np.float32))),
    lambda nn, t: nn.Embedding(5.0, 3),
    lambda nn, t: nn.Embedding(-1, 3),
    lambda nn, t: nn.Embedding(5, 3)(t(np.array([5]))),
    lambda nn, t: nn.Embedding(5, 3)(t(np.array([1.0]))),
], ids=["padding_high", "padding_low", "weight_shape", "pretrained_1d", "float_size",
        "negative_size", "index_range", "float_index"])
def test_embedding_errors_as_torch(torch, call):
    raises_like(lambda: call(torch.nn, torch.from_numpy),
                lambda: call(nn, lambda a: a))


# ------------------------------------------------------------ MultiheadAttention

MHA_CONFIGS = {
    "default": dict(),
    "batch_first": dict(batch_first=True),
    "kdim_vdim": dict(kdim=5, vdim=7),
    "bias_kv_zero_attn": dict(add_bias_kv=True, add_zero_attn=True),
    "no_bias": dict(bias=False, batch_first=True),
}


def _mha_inputs(rng, config, dtype, batched=True):
    tgt, src, batch = 4, 6, 3
    first = config.get("batch_first", False)

    def make(length, features):
        shape = ((batch, length) if first else (length, batch)) if batched else (length,)
        return rng.standard_normal(shape + (features,)).astype(dtype)
    return (make(tgt, 8), make(src, config.get("kdim", 8)), make(src, config.get("vdim", 8)),
            rng.random((batch, src) if batched else (src,)) < 0.3,
            rng.random((tgt, src)) < 0.2)


FORWARD_KWARGS = {
    "weights": lambda kpm, am: dict(),
    "no_weights": lambda kpm, am: dict(need_weights=False),
    "padding": lambda kpm, am: dict(key_padding_mask=kpm),
    "mask_per_head": lambda kpm, am: dict(attn_mask=am, average_attn_weights=False),
    "both_sdpa": lambda kpm, am: dict(attn_mask=am, key_padding_mask=kpm,
                                      need_weights=False),
    "float_masks": lambda kpm, am: dict(attn_mask=np.where(am, -1e9, 0.5).astype(np.float32),
                                        key_padding_mask=np.where(kpm, -2.0, 0.0).astype(
                                            np.float32)),
    "causal_hint": lambda kpm, am: dict(attn_mask=np.triu(np.ones(am.shape, bool), 1),
                                        is_causal=True, need_weights=False),
}


def _sweep(configs, forwards, float64_configs):
    """(dtype, config, forward): every pair in float32, float64 for a few configs (CI
    time: float64 follows the same code)."""
    return [pytest.param(dtype, config, forward, id=f"{dtype.__name__}-{config}-{forward}")
            for dtype in DTYPES for config in sorted(configs) for forward in sorted(forwards)
            if dtype == np.float32 or config in float64_configs]


@pytest.mark.parametrize("dtype, config, forward",
                         _sweep(MHA_CONFIGS, FORWARD_KWARGS, ("default", "kdim_vdim")))
def test_multihead_attention_matches_torch(torch, rng, config, forward, dtype):
    kwargs = MHA_CONFIGS[config]
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, dtype=torch_dtype(torch, dtype),
                                         **kwargs).eval()
    ours = nn.MultiheadAttention(8, 2, dtype=dtype, **kwargs).eval()
    load_torch_weights(ours, theirs)
    q, k, v, kpm, am = _mha_inputs(rng, kwargs, dtype)
    fkw = FORWARD_KWARGS[forward](kpm, am)
    if dtype == np.float64:
        fkw = {n: m.astype(np.float64) if m.dtype == np.float32 else m for n, m in fkw.items()
               if isinstance(m, np.ndarray)} | {n: m for n, m in fkw.items()
                                                 if not isinstance(m, np.ndarray)}
    with torch.no_grad():
        want = theirs(*(as_torch(torch, x) for x in (q, k, v)),
                      **{n: as_torch(torch, m) for n, m in fkw.items()})
    got = ours(q, k, v, **fkw)
    assert_close(got[0], want[0], dtype)
    assert_close(got[1], want[1], dtype)


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_unbatched(torch, rng, need_weights):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, batch_first=True).eval()
    ours = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    load_torch_weights(ours, theirs)
    q, k, v, kpm, am = _mha_inputs(rng, {}, np.float32, batched=False)
    head_mask = np.repeat(am[None], 2, axis=0)
    with torch.no_grad():
        want = theirs(*(as_torch(torch, x) for x in (q, k, v)), as_torch(torch, kpm),
                      need_weights, as_torch(torch, head_mask))
    got = ours(q, k, v, kpm, need_weights, head_mask)
    assert_close(got[0], want[0], np.float32)
    assert_close(got[1], want[1], np.float32)


def test_multihead_attention_fully_masked_rows_as_torch(torch, rng):
    """need_weights: torch's plain softmax gives NaN; without: zeros (before out_proj)."""
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(4, 2).eval()
    ours = nn.MultiheadAttention(4, 2).eval()
    load_torch_weights(ours, theirs)
    x = rng.standard_normal((3, 2, 4)).astype(np.float32)
    mask = np.zeros((3, 3), bool)
    mask[1] = True
    for need_weights in (True, False):
        with torch.no_grad():
            want = theirs(*(torch.from_numpy(x),) * 3, attn_mask=torch.from_numpy(mask),
                          need_weights=need_weights)
        got = ours(x, x, x, attn_mask=mask, need_weights=need_weights)
        assert_close(got[0], want[0], np.float32)
        assert_close(got[1], want[1], np.float32)


def test_multihead_attention_parameters_and_init_as_torch(torch):
    for kwargs in MHA_CONFIGS.values():
        torch.manual_seed(1)
        theirs = torch.nn.MultiheadAttention(8, 2, **kwargs)
        fastnn.manual_seed(1)
        ours = nn.MultiheadAttention(8, 2, **kwargs)
        assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p, q.detach().numpy(), rtol=1e-6, atol=1e-7,
                                       err_msg=name)
        assert repr(ours) == repr(theirs)
        assert isinstance(ours.out_proj, nn.Linear)


def test_multihead_attention_dropout_in_training(rng):
    mha = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = rng.standard_normal((5, 2, 8)).astype(np.float32)
    _, weights = mha(x, x, x, average_attn_weights=False)
    dropped = np.asarray(weights) == 0
    assert 0.3 < dropped.mean() < 0.7
    mha.eval()
    _, weights = mha(x, x, x, average_attn_weights=False)
    np.testing.assert_allclose(np.asarray(weights).sum(-1), 1, rtol=1e-5)


def _mha_errors(rng):
    f = lambda *s: rng.standard_normal(s).astype(np.float32)   # noqa: E731
    x = f(4, 2, 8)
    return {
        "init_zero_dim": (dict(embed_dim=0, num_heads=2), None),
        "init_divisible": (dict(embed_dim=9, num_heads=2), None),
        "query_4d": ({}, ((f(1, 4, 2, 8), x, x), {})),
        "key_2d": ({}, ((x, x[:, 0], x), {})),
        "unbatched_key_3d": ({}, ((x[:, 0], x, x), {})),
        "padding_3d": ({}, ((x, x, x), dict(key_padding_mask=np.zeros((2, 4, 1), bool)))),
        "unbatched_padding_2d": ({}, ((x[:, 0], x[:, 0], x[:, 0]),
                                      dict(key_padding_mask=np.zeros((1, 4), bool)))),
        "mask_4d": ({}, ((x, x, x), dict(attn_mask=np.zeros((1, 2, 4, 4), bool)))),
        "unbatched_mask_shape": ({}, ((x[:, 0], x[:, 0], x[:, 0]),
                                      dict(attn_mask=np.zeros((3, 4, 4), bool)))),
        "mask_2d_shape": ({}, ((x, x, x), dict(attn_mask=np.zeros((4, 3), bool)))),
        "mask_3d_shape": ({}, ((x, x, x), dict(attn_mask=np.zeros((2, 4, 4), bool)))),
        "padding_shape": ({}, ((x, x, x), dict(key_padding_mask=np.zeros((2, 3), bool)))),
        "padding_batch": ({}, ((x, x, x), dict(key_padding_mask=np.zeros((3, 4), bool)))),
        "padding_int": ({}, ((x, x, x), dict(key_padding_mask=np.zeros((2, 4), np.int64)))),
        "mask_int": ({}, ((x, x, x), dict(attn_mask=np.zeros((4, 4), np.int32)))),
        "causal_without_mask": ({}, ((x, x, x), dict(is_causal=True))),
        "embed_dim": ({}, ((f(4, 2, 6), x, x), {})),
        "key_value_shapes": ({}, ((x, x, x[:3]), {})),
        "separate_key_value": (dict(kdim=5, vdim=8),
                               ((x, f(4, 2, 5), f(3, 2, 8)), {})),
        "separate_key_width": (dict(kdim=5, vdim=8), ((x, x, x), {})),
    }


@pytest.mark.parametrize("case", sorted(_mha_errors(np.random.default_rng(0))))
def test_multihead_attention_errors_as_torch(torch, rng, case):
    init, call = _mha_errors(rng)[case]
    init = dict(dict(embed_dim=8, num_heads=2), **init)

    def run(lib, to):
        module = lib.nn.MultiheadAttention(**init)
        args, kwargs = call
        return module(*(to(a) for a in args),
                      **{n: to(m) if isinstance(m, np.ndarray) else m
                         for n, m in kwargs.items()})
    raises_like(lambda: run(torch, torch.from_numpy), lambda: run(fastnn, lambda a: a))


def test_multihead_attention_mismatched_mask_types_warn_as_torch(torch):
    x = np.zeros((3, 1, 4), np.float32)
    kwargs = dict(key_padding_mask=np.zeros((1, 3), bool),
                  attn_mask=np.zeros((3, 3), np.float32))
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                      "attn_mask is deprecated") as ours:
        nn.MultiheadAttention(4, 2)(x, x, x, **kwargs)
    assert ours[0].filename == __file__


# ------------------------------------------------------------ TransformerEncoderLayer

LAYER_CONFIGS = {
    "default": dict(),
    "gelu_batch_first": dict(batch_first=True, activation="gelu"),
    "norm_first_no_bias": dict(norm_first=True, bias=False),
    "callable_odd_heads": dict(batch_first=True, nhead=3, d_model=12,
                               activation=lambda x: x * 0.5),
}


def _layer_kwargs(config):
    kwargs = dict(d_model=8, nhead=2, dim_feedforward=16, layer_norm_eps=1e-6)
    kwargs.update(LAYER_CONFIGS[config])
    return kwargs


def _torch_layer_kwargs(torch, kwargs):
    if callable(kwargs.get("activation")):
        return dict(kwargs, activation=lambda x: x * 0.5)
    return kwargs


def _layer_input(rng, kwargs, dtype):
    batch, seq = 3, 5
    shape = (batch, seq) if kwargs.get("batch_first") else (seq, batch)
    x = rng.standard_normal(shape + (kwargs["d_model"],)).astype(dtype)
    padding = np.zeros((batch, seq), bool)
    padding[0, 3:] = True
    padding[2, 4] = True
    return x, padding


LAYER_FORWARDS = {
    "plain": lambda padding, seq: dict(),
    "padding": lambda padding, seq: dict(src_key_padding_mask=padding),
    "mask": lambda padding, seq: dict(src_mask=np.random.default_rng(1).random((seq, seq))
                                      < 0.2),
    "causal": lambda padding, seq: dict(src_mask=np.triu(np.full((seq, seq), -np.inf), 1),
                                        is_causal=True),
}


@pytest.mark.parametrize("dtype, config, forward",
                         _sweep(LAYER_CONFIGS, LAYER_FORWARDS, ("norm_first_no_bias",)))
def test_encoder_layer_matches_torch(torch, rng, config, forward, dtype):
    kwargs = _layer_kwargs(config)
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(dtype=torch_dtype(torch, dtype),
                                              **_torch_layer_kwargs(torch, kwargs)).eval()
    ours = nn.TransformerEncoderLayer(dtype=dtype, **kwargs).eval()
    load_torch_weights(ours, theirs)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    x, padding = _layer_input(rng, kwargs, dtype)
    fkw = LAYER_FORWARDS[forward](padding, 5)
    fkw = {n: m.astype(dtype) if isinstance(m, np.ndarray) and m.dtype.kind == "f" else m
           for n, m in fkw.items()}
    with torch.no_grad():
        want = theirs(torch.from_numpy(x), **{n: as_torch(torch, m) for n, m in fkw.items()})
    assert_close(ours(x, **fkw), want, dtype)


def test_encoder_layer_repr_and_activation_kinds(torch):
    kwargs = dict(d_model=8, nhead=2, dim_feedforward=16)
    assert repr(nn.TransformerEncoderLayer(**kwargs)) == repr(
        torch.nn.TransformerEncoderLayer(**kwargs))
    for activation, kind in (("relu", 1), ("gelu", 2), (nn.GELU(), 2), (nn.ReLU(), 1),
                             (np.tanh, 0)):
        layer = nn.TransformerEncoderLayer(activation=activation, **kwargs)
        assert layer.activation_relu_or_gelu == kind
    raises_like(lambda: torch.nn.TransformerEncoderLayer(activation="tanh", **kwargs),
                lambda: nn.TransformerEncoderLayer(activation="tanh", **kwargs))


def test_encoder_layer_dropout_in_training(rng):
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.5)
    x = rng.standard_normal((5, 2, 8)).astype(np.float32)
    fastnn.manual_seed(0)
    first = np.asarray(layer(x))
    fastnn.manual_seed(1)
    assert not np.allclose(first, layer(x))
    layer.eval()
    np.testing.assert_array_equal(layer(x), layer(x))


# ------------------------------------------------------------ TransformerEncoder

@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("forward", sorted(LAYER_FORWARDS))
@pytest.mark.parametrize("config", ["default", "gelu_batch_first"])
def test_encoder_matches_torch(torch, rng, config, forward, grad):
    """Includes torch's nested-tensor path (batch first, eval, padding, no grad), which
    zeroes the padded positions."""
    kwargs = _layer_kwargs(config)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(**kwargs), 2,
            norm=torch.nn.LayerNorm(8)).eval()
        ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(**kwargs), 2,
                                     norm=nn.LayerNorm(8)).eval()
    load_torch_weights(ours, theirs)
    x, padding = _layer_input(rng, kwargs, np.float32)
    fkw = LAYER_FORWARDS[forward](padding, 5)
    fkw = {("mask" if n == "src_mask" else n): m.astype(np.float32)
           if isinstance(m, np.ndarray) and m.dtype.kind == "f" else m
           for n, m in fkw.items()}
    with torch.set_grad_enabled(grad):
        want = theirs(torch.from_numpy(x), **{n: as_torch(torch, m) for n, m in fkw.items()})
    with fastnn.set_grad_enabled(grad):
        got = ours(x, **fkw)
    assert_close(got, want, np.float32)


def test_encoder_deep_copies_the_layer_and_warns_as_torch(torch):
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    with pytest.warns(UserWarning) as ours:
        encoder = nn.TransformerEncoder(layer, 3)
    with pytest.warns(UserWarning) as theirs:
        torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16), 3)
    assert str(ours[0].message) == str(theirs[0].message)
    assert [n for n, _ in encoder.named_children()] == ["layers"]
    assert len(encoder.layers) == 3 and encoder.layers[0] is not layer
    assert not np.shares_memory(encoder.layers[0].linear1.weight, layer.linear1.weight)
    np.testing.assert_array_equal(encoder.layers[2].linear1.weight, layer.linear1.weight)


def test_encoder_layer_compiles_for_inference(rng):
    """Every step of the self-attention passes the door, so the traced graph reproduces
    the layer (no eager fallback, whose warning would fail this test)."""
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True).eval()
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = fastnn.optimize_for_inference(layer, example_input=x)
        other = rng.standard_normal((2, 5, 8)).astype(np.float32)
        np.testing.assert_allclose(compiled(other), layer(other), rtol=1e-6, atol=1e-6)
