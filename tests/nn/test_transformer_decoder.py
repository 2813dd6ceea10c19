"""nn.TransformerDecoderLayer, nn.TransformerDecoder and nn.Transformer against torch:
state_dict keys and shapes in torch's order, initialisation, outputs with torch's weights
loaded (eval mode: no dropout) over a seeded sweep of the options and masks, gradients, and
torch's errors."""
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from torch_compare import raises_like


def tol(dtype):
    if dtype == np.float32:
        return dict(rtol=1e-4, atol=1e-4)
    return dict(rtol=1e-10, atol=1e-10)


def load_torch_weights(ours, theirs):
    """torch's state_dict into the fastnn module: same keys in the same order, same
    shapes."""
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    for key, value in ours.state_dict().items():
        assert tuple(value.shape) == state[key].shape, key
    ours.load_state_dict(state)


def half(x):
    return x * 0.5


def _activation(name):
    return half if name == "callable" else name


def _masks(rng, kind, seq, batch, dtype):
    """(attn mask, key padding mask) of one kind (padding never masks a whole row)."""
    mask = None
    if kind == "causal":
        mask = np.triu(np.full((seq, seq), -np.inf, dtype), 1)
    elif kind == "causal_bool":
        mask = np.triu(np.ones((seq, seq), bool), 1)
    elif kind == "bool":
        mask = rng.random((seq, seq)) < 0.3
        mask[:, 0] = False
    elif kind == "float":
        mask = rng.standard_normal((seq, seq)).astype(dtype)
    padding = None
    if rng.random() < 0.5:
        padding = np.zeros((batch, seq), bool)
        padding[0, seq - 2:] = True
        padding[-1, 1] = True
    return mask, padding


def _layer_cases(count):
    rng = np.random.default_rng(1234)
    cases = []
    for i in range(count):
        cases.append(dict(
            dtype=np.float64 if i % 4 == 3 else np.float32,
            batch_first=bool(rng.random() < 0.5), norm_first=bool(rng.random() < 0.5),
            activation=["relu", "gelu", "callable"][i % 3], bias=bool(rng.random() < 0.7),
            tgt_mask=["none", "causal", "causal_bool", "bool", "float"][rng.integers(5)],
            memory_mask=["none", "bool", "float"][rng.integers(3)],
            tgt_is_causal=bool(rng.random() < 0.5), seed=i))
    return cases


LAYER_CASES = _layer_cases(16)


def _case_id(case):
    return "-".join(f"{k}={v.__name__ if isinstance(v, type) else v}"
                    for k, v in case.items() if k != "seed")


def _torch_kwargs(kwargs):
    return kwargs


def _inputs(case, batch=3, tgt_len=5, mem_len=6, d_model=8):
    rng = np.random.default_rng(case["seed"])
    dtype = case["dtype"]

    def seq(length):
        shape = (batch, length) if case["batch_first"] else (length, batch)
        return rng.standard_normal(shape + (d_model,)).astype(dtype)

    tgt, memory = seq(tgt_len), seq(mem_len)
    tgt_mask, tgt_padding = _masks(rng, case["tgt_mask"], tgt_len, batch, dtype)
    memory_mask, memory_padding = _masks(rng, case["memory_mask"], mem_len, batch, dtype)
    if memory_mask is not None:
        memory_mask = memory_mask[:tgt_len]
    forward = dict(tgt_mask=tgt_mask, memory_mask=memory_mask,
                   tgt_key_padding_mask=tgt_padding, memory_key_padding_mask=memory_padding)
    # torch needs a mask for the causal hint, and the hint must be true of it
    if case["tgt_is_causal"] and case["tgt_mask"] in ("causal", "causal_bool"):
        forward["tgt_is_causal"] = True
    return tgt, memory, forward


def _as_torch(torch, forward):
    return {k: torch.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v
            for k, v in forward.items()}


def _layer_kwargs(case):
    return dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.1, layer_norm_eps=1e-6,
                batch_first=case["batch_first"], norm_first=case["norm_first"],
                bias=case["bias"], activation=_activation(case["activation"]))


def _torch_dtype(torch, dtype):
    return torch.float32 if dtype == np.float32 else torch.float64


def _compare(got, want, dtype):
    assert isinstance(got, fastnn.Tensor)
    want = want.detach().numpy()
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(np.asarray(got), want, **tol(dtype))


@pytest.mark.parametrize("case", LAYER_CASES, ids=[_case_id(c) for c in LAYER_CASES])
def test_decoder_layer_matches_torch(torch, case):
    kwargs = _layer_kwargs(case)
    dtype = case["dtype"]
    torch.manual_seed(case["seed"])
    theirs = torch.nn.TransformerDecoderLayer(dtype=_torch_dtype(torch, dtype),
                                              **kwargs).eval()
    ours = nn.TransformerDecoderLayer(dtype=dtype, **kwargs).eval()
    load_torch_weights(ours, theirs)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    tgt, memory, forward = _inputs(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # bool padding with a float mask: deprecated
        with torch.no_grad():
            want = theirs(torch.from_numpy(tgt), torch.from_numpy(memory),
                          **_as_torch(torch, forward))
        got = ours(tgt, memory, **forward)
    _compare(got, want, dtype)


DECODER_CASES = LAYER_CASES[:6]


@pytest.mark.parametrize("case", DECODER_CASES, ids=[_case_id(c) for c in DECODER_CASES])
def test_decoder_matches_torch(torch, case):
    """Two layers and a final norm; tgt_is_causal=None detects a causal tgt_mask."""
    kwargs = _layer_kwargs(case)
    dtype = case["dtype"]
    tdtype = _torch_dtype(torch, dtype)
    torch.manual_seed(case["seed"])
    theirs = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(dtype=tdtype, **kwargs), 2,
        norm=torch.nn.LayerNorm(8, dtype=tdtype)).eval()
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(dtype=dtype, **kwargs), 2,
                                 norm=nn.LayerNorm(8, dtype=dtype)).eval()
    load_torch_weights(ours, theirs)
    tgt, memory, forward = _inputs(case)
    forward.pop("tgt_is_causal", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            want = theirs(torch.from_numpy(tgt), torch.from_numpy(memory),
                          **_as_torch(torch, forward))
        got = ours(tgt, memory, **forward)
    _compare(got, want, dtype)


def test_decoder_detects_a_causal_mask_as_torch():
    from fastnn.nn.modules.transformer_decoder import _is_causal_mask
    causal = nn.Transformer.generate_square_subsequent_mask(4)
    assert _is_causal_mask(causal, None, 4)
    assert _is_causal_mask(np.triu(np.ones((4, 4), bool), 1), None, 4)
    assert not _is_causal_mask(causal, None, 5)
    assert not _is_causal_mask(causal, False, 4)
    assert _is_causal_mask(None, True, 4) and not _is_causal_mask(None, None, 4)
    assert not _is_causal_mask(np.zeros((4, 4), np.float32), None, 4)


TRANSFORMER_CASES = [
    dict(dtype=np.float32, batch_first=False, norm_first=False, activation="relu",
         bias=True, src_mask="none", tgt_mask="causal", memory_mask="none", seed=0),
    dict(dtype=np.float32, batch_first=True, norm_first=True, activation="gelu",
         bias=False, src_mask="bool", tgt_mask="causal_bool", memory_mask="float", seed=1),
    dict(dtype=np.float64, batch_first=True, norm_first=False, activation="callable",
         bias=True, src_mask="none", tgt_mask="float", memory_mask="bool", seed=2),
    dict(dtype=np.float64, batch_first=False, norm_first=True, activation="relu",
         bias=True, src_mask="causal", tgt_mask="none", memory_mask="none", seed=3),
]


def _transformer(lib, case, **extra):
    dtype = case["dtype"] if lib is fastnn else _torch_dtype(lib, case["dtype"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # the encoder's nested-tensor notice
        return lib.nn.Transformer(
            d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
            dim_feedforward=16, layer_norm_eps=1e-6, batch_first=case["batch_first"],
            norm_first=case["norm_first"], bias=case["bias"],
            activation=_activation(case["activation"]), dtype=dtype, **extra)


def _transformer_inputs(case):
    rng = np.random.default_rng(case["seed"] + 100)
    dtype, batch = case["dtype"], 3
    src_case = dict(case, tgt_is_causal=False)
    src, _, _ = _inputs(src_case, mem_len=6, tgt_len=6)
    tgt, _, forward = _inputs(dict(case, tgt_is_causal=False), tgt_len=5, mem_len=6)
    src_mask, src_padding = _masks(rng, case["src_mask"], 6, batch, dtype)
    forward.update(src_mask=src_mask, src_key_padding_mask=src_padding)
    return src, tgt, forward


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("case", TRANSFORMER_CASES,
                         ids=[_case_id(c) for c in TRANSFORMER_CASES])
def test_transformer_matches_torch(torch, case, grad):
    """With grad off, batch first and a src padding mask, torch's encoder takes its
    nested-tensor path (padded positions of the memory are zero)."""
    torch.manual_seed(case["seed"])
    theirs = _transformer(torch, case).eval()
    ours = _transformer(fastnn, case).eval()
    load_torch_weights(ours, theirs)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    src, tgt, forward = _transformer_inputs(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.set_grad_enabled(grad):
            want = theirs(torch.from_numpy(src), torch.from_numpy(tgt),
                          **_as_torch(torch, forward))
        with fastnn.set_grad_enabled(grad):
            got = ours(src, tgt, **forward)
    _compare(got, want, case["dtype"])


def test_transformer_state_dict_and_init_as_torch(torch):
    """Same keys, order and shapes; with the same seed, torch's parameters exactly (the
    layers' own init, then xavier_uniform_ on every parameter with more than one dim)."""
    case = TRANSFORMER_CASES[0]
    torch.manual_seed(7)
    theirs = _transformer(torch, case)
    fastnn.manual_seed(7)
    ours = _transformer(fastnn, case)
    want = theirs.state_dict()
    got = ours.state_dict()
    assert list(got) == list(want)
    assert "encoder.norm.weight" in got and "decoder.norm.bias" in got
    assert "decoder.layers.1.multihead_attn.in_proj_weight" in got
    for key, value in got.items():
        assert tuple(value.shape) == tuple(want[key].shape), key
        np.testing.assert_array_equal(np.asarray(value), want[key].numpy(), err_msg=key)
    assert (ours.d_model, ours.nhead, ours.batch_first) == (8, 2, False)


def test_decoder_layer_state_dict_repr_and_init_as_torch(torch):
    kwargs = dict(d_model=8, nhead=2, dim_feedforward=16)
    torch.manual_seed(3)
    theirs = torch.nn.TransformerDecoderLayer(**kwargs)
    fastnn.manual_seed(3)
    ours = nn.TransformerDecoderLayer(**kwargs)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    for (name, got), (_, want) in zip(ours.state_dict().items(),
                                      theirs.state_dict().items()):
        np.testing.assert_array_equal(np.asarray(got), want.numpy(), err_msg=name)
    no_bias = nn.TransformerDecoderLayer(bias=False, **kwargs)
    assert list(no_bias.state_dict()) == list(
        torch.nn.TransformerDecoderLayer(bias=False, **kwargs).state_dict())


def test_decoder_deep_copies_the_layer(torch):
    layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
    decoder = nn.TransformerDecoder(layer, 3)
    theirs = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, 16), 3)
    assert [n for n, _ in decoder.named_children()] == [n for n, _ in
                                                        theirs.named_children()]
    assert list(decoder.state_dict()) == list(theirs.state_dict())
    assert len(decoder.layers) == 3 and decoder.layers[0] is not layer
    assert decoder.norm is None and decoder.num_layers == 3
    assert not np.shares_memory(decoder.layers[0].linear1.weight, layer.linear1.weight)
    np.testing.assert_array_equal(decoder.layers[2].linear1.weight, layer.linear1.weight)


def test_generate_square_subsequent_mask_as_torch(torch):
    for size, dtype, tdtype in ((1, None, None), (5, None, None),
                                (4, np.float64, torch.float64)):
        got = nn.Transformer.generate_square_subsequent_mask(size, dtype=dtype)
        want = torch.nn.Transformer.generate_square_subsequent_mask(size, dtype=tdtype)
        assert isinstance(got, fastnn.Tensor) and got.dtype == want.numpy().dtype
        np.testing.assert_array_equal(np.asarray(got), want.numpy())


def test_custom_encoder_and_decoder_are_kept(torch):
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1,
                                    enable_nested_tensor=False)
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 1)
    model = nn.Transformer(8, 2, custom_encoder=encoder, custom_decoder=decoder)
    assert model.encoder is encoder and model.decoder is decoder
    theirs = torch.nn.Transformer(
        8, 2, custom_encoder=torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(8, 2, 16), 1, enable_nested_tensor=False),
        custom_decoder=torch.nn.TransformerDecoder(
            torch.nn.TransformerDecoderLayer(8, 2, 16), 1))
    assert list(model.state_dict()) == list(theirs.state_dict())


def _grads(lib, module, arrays, forward):
    leaves = [lib.from_numpy(a.copy()).requires_grad_() for a in arrays]
    kwargs = {k: lib.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v
              for k, v in forward.items()}
    out = module(*leaves, **kwargs)
    weights = np.random.default_rng(5).standard_normal(tuple(out.shape))
    (out * lib.from_numpy(weights)).sum().backward()
    return [a.grad for a in leaves] + [(n, p.grad) for n, p in module.named_parameters()]


@pytest.mark.parametrize("which", ["layer", "transformer"])
def test_gradients_match_torch(torch, which):
    if which == "layer":
        case = dict(LAYER_CASES[3], norm_first=True)
        assert case["dtype"] == np.float64
        kwargs = _layer_kwargs(case)
        torch.manual_seed(0)
        theirs = torch.nn.TransformerDecoderLayer(dtype=torch.float64, **kwargs).eval()
        ours = nn.TransformerDecoderLayer(dtype=np.float64, **kwargs).eval()
        tgt, memory, forward = _inputs(case)
        arrays = (tgt, memory)
    else:
        case = TRANSFORMER_CASES[2]
        torch.manual_seed(0)
        theirs = _transformer(torch, case).eval()
        ours = _transformer(fastnn, case).eval()
        src, tgt, forward = _transformer_inputs(case)
        arrays = (src, tgt)
    load_torch_weights(ours, theirs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = _grads(fastnn, ours, arrays, forward)
        want = _grads(torch, theirs, arrays, forward)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(g, tuple):
            assert g[0] == w[0]
            g, w = g[1], w[1]
        assert g is not None and w is not None, (g, w)
        np.testing.assert_allclose(np.asarray(g), w.numpy(), rtol=1e-8, atol=1e-8)


def test_dropout_in_training(rng):
    layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.5)
    tgt = rng.standard_normal((4, 2, 8)).astype(np.float32)
    memory = rng.standard_normal((5, 2, 8)).astype(np.float32)
    fastnn.manual_seed(0)
    first = np.asarray(layer(tgt, memory))
    fastnn.manual_seed(1)
    assert not np.allclose(first, layer(tgt, memory))
    layer.eval()
    np.testing.assert_array_equal(layer(tgt, memory), layer(tgt, memory))


def _error_cases(torch):
    x = np.zeros((5, 3, 8), np.float32)
    x_batch2 = np.zeros((4, 2, 8), np.float32)
    x_wide = np.zeros((4, 3, 6), np.float32)

    def model(lib):
        return _transformer(lib, TRANSFORMER_CASES[0])

    def t(a):
        return torch.from_numpy(a)

    def f(a):
        return a
    return {
        "not_divisible": (lambda lib: lib.nn.TransformerDecoderLayer(10, 3)),
        "transformer_not_divisible": (lambda lib: lib.nn.Transformer(10, 3, 1, 1, 16)),
        "bad_activation": (lambda lib: lib.nn.TransformerDecoderLayer(
            8, 2, 16, activation="tanh")),
        "transformer_bad_activation": (lambda lib: lib.nn.Transformer(
            8, 2, 1, 1, 16, activation="swish")),
        "batch_mismatch": (lambda lib: model(lib)(*(
            (t if lib is torch else f)(a) for a in (x, x_batch2)))),
        "feature_mismatch": (lambda lib: model(lib)(*(
            (t if lib is torch else f)(a) for a in (x, x_wide)))),
        "src_feature_mismatch": (lambda lib: model(lib)(*(
            (t if lib is torch else f)(a) for a in (x_wide, x)))),
        "memory_batch_mismatch": (lambda lib: lib.nn.TransformerDecoderLayer(8, 2, 16)(*(
            (t if lib is torch else f)(a) for a in (x, x_batch2)))),
        "causal_hint_without_mask": (lambda lib: lib.nn.TransformerDecoderLayer(8, 2, 16)(
            *((t if lib is torch else f)(a) for a in (x, x)), tgt_is_causal=True)),
    }


ERRORS = ["not_divisible", "transformer_not_divisible", "bad_activation",
          "transformer_bad_activation", "batch_mismatch", "feature_mismatch",
          "src_feature_mismatch", "memory_batch_mismatch", "causal_hint_without_mask"]


@pytest.mark.parametrize("name", ERRORS)
def test_errors_as_torch(torch, name):
    call = _error_cases(torch)[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_like(lambda: call(torch), lambda: call(fastnn))
