"""nn.RNN, nn.LSTM, nn.GRU and their cells against torch: parameter names, shapes and order,
initialisation, outputs and final states over sweeps of the arguments, gradients, dropout
between layers, torch's errors, repr; and a torch-free numpy step of the LSTM and GRU."""
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
from torch_compare import raises_like

DTYPES = [np.float32, np.float64]


def tol(dtype):
    if dtype == np.float32:
        return dict(rtol=1e-5, atol=1e-6)
    return dict(rtol=1e-12, atol=1e-12)


def pair(torch, name, args, kwargs, dtype):
    """The same layer in fastnn and torch, torch's weights copied into fastnn."""
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(torch.nn, name)(*args, **kwargs, dtype=tdtype)
        ours = getattr(nn, name)(*args, **kwargs, dtype=dtype)
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    names = [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_parameters()] == names
    for key, value in ours.state_dict().items():
        assert value.shape == state[key].shape and value.dtype == state[key].dtype, key
    ours.load_state_dict(state)
    return ours, theirs


def close(got, want, dtype):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            close(g, w, dtype)
        return
    assert isinstance(got, fastnn.Tensor), type(got)
    want = want.detach().numpy()
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape)
    np.testing.assert_allclose(np.asarray(got), want, **tol(dtype))


def configs(name, count, seed):
    """Seeded sweeps of the constructor arguments and of the input's form."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        kw = dict(num_layers=int(rng.integers(1, 4)), bidirectional=bool(rng.integers(2)),
                  batch_first=bool(rng.integers(2)), bias=bool(i % 4))
        if name == "LSTM" and rng.integers(2):
            kw["proj_size"] = int(rng.integers(1, 4))
        if name == "RNN" and rng.integers(2):
            kw["nonlinearity"] = "relu"
        out.append((kw, bool(i % 3), bool(rng.integers(2)), int(rng.integers(1000))))
    return out


def inputs(module, batched, with_h0, seed, dtype):
    rng = np.random.default_rng(seed)
    seq, batch = 4, 3
    shape = (batch, seq) if module.batch_first else (seq, batch)
    x = rng.standard_normal((shape if batched else (seq,)) + (module.input_size,))
    hidden = [] if not with_h0 else [
        rng.standard_normal((module.num_layers * (1 + module.bidirectional),)
                            + ((batch,) if batched else ()) + (size,))
        for size in ([module.proj_size or module.hidden_size, module.hidden_size]
                     if module.mode == "LSTM" else [module.hidden_size])]
    return [a.astype(dtype) for a in [x, *hidden]]


def call(lib, module, arrays, mode):
    x, *hidden = [lib.from_numpy(a.copy()) for a in arrays]
    if not hidden:
        return module(x)
    return module(x, tuple(hidden) if mode == "LSTM" else hidden[0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_outputs_and_states_match_torch(torch, name, dtype):
    for kw, batched, with_h0, seed in configs(name, 12, seed=len(name)):
        ours, theirs = pair(torch, name, (5, 6), kw, dtype)
        arrays = inputs(ours, batched, with_h0, seed, dtype)
        close(call(fastnn, ours, arrays, ours.mode), call(torch, theirs, arrays, ours.mode),
              dtype)


def test_state_dict_loads_into_torch(torch):
    ours = nn.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=2)
    theirs = torch.nn.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=2)
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in
                            ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 2, 4)).astype(np.float32)
    close(ours(x), theirs(torch.from_numpy(x)), np.float32)
    assert list(ours.state_dict())[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                           "bias_hh_l0", "weight_hr_l0"]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
def test_init_is_torchs(torch, name):
    kwargs = {"proj_size": 2} if name == "LSTM" else {}
    fastnn.manual_seed(5)
    ours = getattr(nn, name)(3, 4, **kwargs)
    torch.manual_seed(5)
    theirs = getattr(torch.nn, name)(3, 4, **kwargs)
    for (n1, a), (n2, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n1 == n2
        np.testing.assert_array_equal(np.asarray(a), b.detach().numpy())
    assert np.abs(np.asarray(ours.weight_hh_l0 if "Cell" not in name
                             else ours.weight_hh)).max() <= 0.5


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(torch, name, dtype):
    rng = np.random.default_rng(1)
    for bias in (True, False):
        for batched in (True, False):
            for with_h in (True, False):
                kw = dict(bias=bias)
                if name == "RNNCell" and not with_h:
                    kw["nonlinearity"] = "relu"
                ours, theirs = pair(torch, name, (5, 6), kw, dtype)
                lead = (3,) if batched else ()
                x = rng.standard_normal(lead + (5,)).astype(dtype)
                hs = [rng.standard_normal(lead + (6,)).astype(dtype)
                      for _ in range(2 if name == "LSTMCell" else 1)] if with_h else []

                def run(lib, m):
                    args = [lib.from_numpy(a.copy()) for a in [x, *hs]]
                    if len(args) == 3:
                        return m(args[0], (args[1], args[2]))
                    return m(*args)
                close(run(fastnn, ours), run(torch, theirs), dtype)


def _grad_case(torch, name, kw, batched, cell=False):
    ours, theirs = pair(torch, name, (4, 5), kw, np.float64)
    if cell:
        rng = np.random.default_rng(2)
        lead = (3,) if batched else ()
        arrays = [rng.standard_normal(lead + (4,))] + [
            rng.standard_normal(lead + (5,)) for _ in range(2 if name == "LSTMCell" else 1)]
        mode = "LSTM" if name == "LSTMCell" else "x"
    else:
        arrays = inputs(ours, batched, True, 3, np.float64)
        mode = ours.mode
    results = []
    for lib, m in ((fastnn, ours), (torch, theirs)):
        leaves = [lib.from_numpy(a.copy()).requires_grad_() for a in arrays]
        x, *hidden = leaves
        out = m(x, tuple(hidden) if mode == "LSTM" else hidden[0])
        flat = [out] if not isinstance(out, tuple) else \
            [out[0], *out[1]] if isinstance(out[1], tuple) else list(out)
        if cell and mode == "LSTM":
            flat = list(out)
        loss = 0
        for k, t in enumerate(flat):
            weights = np.random.default_rng(k).standard_normal(tuple(t.shape))
            loss = loss + (t * lib.from_numpy(weights)).sum()
        loss.backward()
        results.append([a.grad for a in leaves] + [p.grad for _, p in m.named_parameters()])
    for got, want in zip(*results):
        np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name, kw, batched", [
    ("RNN", dict(num_layers=2, bidirectional=True, nonlinearity="relu"), True),
    ("RNN", dict(batch_first=True, bias=False), False),
    ("LSTM", dict(num_layers=2, bidirectional=True, proj_size=2), True),
    ("LSTM", dict(batch_first=True), False),
    ("GRU", dict(num_layers=3, bidirectional=True, batch_first=True), True),
    ("GRU", dict(bias=False), False),
])
def test_gradients_match_torch(torch, name, kw, batched):
    _grad_case(torch, name, kw, batched)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_gradients_match_torch(torch, name):
    _grad_case(torch, name, {}, True, cell=True)


def test_dropout_between_layers(torch):
    ours, theirs = pair(torch, "LSTM", (4, 6), dict(num_layers=2, dropout=0.5), np.float64)
    x = np.random.default_rng(0).standard_normal((5, 3, 4))
    ours.eval()
    theirs.eval()
    close(ours(x), theirs(torch.from_numpy(x)), np.float64)
    ours.train()
    first, second = ours(x), ours(x)
    assert not np.allclose(np.asarray(first[0]), np.asarray(second[0]))   # random masks
    assert first[0].shape == (5, 3, 6)
    # the first layer is untouched by dropout: its final state equals eval mode's
    ours.eval()
    want = ours(x)[1]
    np.testing.assert_allclose(np.asarray(first[1][0][0]), np.asarray(want[0][0]))
    np.testing.assert_allclose(np.asarray(first[1][1][0]), np.asarray(want[1][0]))
    # p=1 zeroes the second layer's input: its states then only see the biases
    one, _ = pair(torch, "GRU", (4, 6), dict(num_layers=2, dropout=1.0, bias=False),
                  np.float64)
    _, h = one.train()(x)
    np.testing.assert_array_equal(np.asarray(h[1]), 0)


def test_repr_matches_torch(torch):
    cases = [("RNN", (3, 4), {}), ("RNN", (3, 4, 2, "relu"), dict(bias=False)),
             ("LSTM", (3, 4), dict(proj_size=2, num_layers=2, batch_first=True,
                                   dropout=0.5, bidirectional=True)),
             ("GRU", (3, 4), dict(dropout=0.25, num_layers=3)),
             ("RNNCell", (3, 4), dict(bias=False, nonlinearity="relu")),
             ("LSTMCell", (3, 4), {}), ("GRUCell", (3, 4), dict(bias=False))]
    for name, args, kwargs in cases:
        assert repr(getattr(nn, name)(*args, **kwargs)) == \
            repr(getattr(torch.nn, name)(*args, **kwargs))


# ------------------------------------------------------------------ errors

CONSTRUCTOR_ERRORS = [
    ("RNN", (3, 4), dict(dropout=1.5)), ("RNN", (3, 4), dict(dropout=True)),
    ("GRU", (3, 4), dict(dropout="x")), ("RNN", (3, 4), dict(bias=1)),
    ("LSTM", (3, 4), dict(batch_first=None)), ("RNN", (3.0, 4), {}), ("RNN", (0, 4), {}),
    ("GRU", (3, "4"), {}), ("GRU", (3, 0), {}), ("LSTM", (3, 4, 0), {}),
    ("LSTM", (3, 4), dict(proj_size=-1)), ("LSTM", (3, 4), dict(proj_size=4)),
    ("RNN", (3, 4), dict(proj_size=2)), ("GRU", (3, 4), dict(proj_size=2)),
    ("RNN", (3, 4), dict(nonlinearity="gelu")), ("RNN", (3, 4, 1, "sigmoid"), {}),
]


@pytest.mark.parametrize("name, args, kwargs", CONSTRUCTOR_ERRORS)
def test_constructor_errors_are_torchs(torch, name, args, kwargs):
    raises_like(lambda: getattr(torch.nn, name)(*args, **kwargs),
                lambda: getattr(nn, name)(*args, **kwargs))


def test_dropout_with_one_layer_warns_as_torch(torch):
    with pytest.warns(UserWarning) as want:
        torch.nn.GRU(3, 4, dropout=0.2)
    with pytest.warns(UserWarning) as got:
        nn.GRU(3, 4, dropout=0.2)
    assert str(got[0].message) == str(want[0].message)
    assert got[0].filename == __file__


def _f64(*shape):
    return np.zeros(shape)


FORWARD_ERRORS = [
    ("RNN", {}, (_f64(2),), None), ("GRU", {}, (_f64(1, 2, 3, 3),), None),
    ("LSTM", {}, (_f64(2),), None),
    ("RNN", {}, (_f64(5, 3),), (_f64(1, 1, 4),)), ("GRU", {}, (_f64(5, 2, 3),), (_f64(1, 4),)),
    ("LSTM", {}, (_f64(5, 2, 3),), (_f64(1, 4), _f64(1, 2, 4))),
    ("LSTM", {}, (_f64(5, 3),), (_f64(1, 2, 4), _f64(1, 4))),
    ("RNN", {}, (_f64(5, 2, 7),), None), ("LSTM", {}, (_f64(5, 7),), None),
    ("RNN", {}, (_f64(5, 2, 3),), (_f64(1, 3, 4),)),
    ("GRU", dict(num_layers=2), (_f64(5, 2, 3),), (_f64(1, 2, 4),)),
    ("RNN", dict(bidirectional=True, batch_first=True), (_f64(5, 2, 3),), (_f64(2, 2, 4),)),
    ("LSTM", dict(proj_size=2), (_f64(5, 2, 3),), (_f64(1, 2, 4), _f64(1, 2, 4))),
    ("LSTM", dict(proj_size=2), (_f64(5, 2, 3),), (_f64(1, 2, 2), _f64(1, 2, 2))),
    ("LSTM", {}, (np.zeros((5, 2, 3), np.float32),), None),      # dtype (module float64)
]


@pytest.mark.parametrize("name, kwargs, x, hidden", FORWARD_ERRORS)
def test_forward_errors_are_torchs(torch, name, kwargs, x, hidden):
    def run(lib, dtype):
        m = getattr(lib.nn, name)(3, 4, **kwargs, dtype=dtype)
        args = [lib.from_numpy(a.copy()) for a in x]
        if hidden is not None:
            h = [lib.from_numpy(a.copy()) for a in hidden]
            args.append(tuple(h) if name == "LSTM" else h[0])
        return m(*args)
    raises_like(lambda: run(torch, torch.float64), lambda: run(fastnn, np.float64))


CELL_ERRORS = [
    ("RNNCell", (_f64(2, 3, 3),), None), ("GRUCell", (_f64(2, 3),), (_f64(1, 2, 4),)),
    ("LSTMCell", (_f64(2, 3),), (_f64(2, 4), _f64(2, 2, 4))),
    ("RNNCell", (_f64(2, 5),), None), ("LSTMCell", (_f64(2, 5),), None),
    ("GRUCell", (_f64(2, 3),), (_f64(3, 4),)), ("GRUCell", (_f64(2, 3),), (_f64(2, 5),)),
    ("LSTMCell", (_f64(2, 3),), (_f64(2, 4), _f64(3, 4))),
    ("RNNCell", (_f64(3),), (_f64(2, 4),)), ("RNNCell", (_f64(4, 3),), (_f64(4),)),
    ("GRUCell", (np.zeros((2, 3), np.float32),), None),
]


@pytest.mark.parametrize("name, x, hidden", CELL_ERRORS)
def test_cell_errors_are_torchs(torch, name, x, hidden):
    def run(lib, dtype):
        m = getattr(lib.nn, name)(3, 4, dtype=dtype)
        args = [lib.from_numpy(a.copy()) for a in x]
        if hidden is not None:
            h = [lib.from_numpy(a.copy()) for a in hidden]
            args.append(tuple(h) if name == "LSTMCell" else h[0])
        return m(*args)
    raises_like(lambda: run(torch, torch.float64), lambda: run(fastnn, np.float64))


def test_packed_sequence_is_refused(torch):
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(4, 2, 3), [4, 2])
    for name in ("RNN", "LSTM", "GRU"):
        with pytest.raises(NotImplementedError, match="PackedSequence"):
            getattr(nn, name)(3, 4)(packed)


# ------------------------------------------------------------------ torch-free reference

def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_lstm_and_gru_step_against_numpy():
    rng = np.random.default_rng(4)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), \
        rng.standard_normal((2, 4))
    lstm = nn.LSTM(3, 4, dtype=np.float64)
    w_ih, w_hh = np.asarray(lstm.weight_ih_l0), np.asarray(lstm.weight_hh_l0)
    b = np.asarray(lstm.bias_ih_l0) + np.asarray(lstm.bias_hh_l0)
    gates = x @ w_ih.T + h @ w_hh.T + b
    i, f, g, o = np.split(gates, 4, axis=1)
    c_want = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h_want = _sigmoid(o) * np.tanh(c_want)
    out, (h_n, c_n) = lstm(x[None], (h[None], c[None]))
    np.testing.assert_allclose(np.asarray(out[0]), h_want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(c_n[0]), c_want, rtol=1e-12, atol=1e-12)

    gru = nn.GRU(3, 4, dtype=np.float64)
    gi = x @ np.asarray(gru.weight_ih_l0).T + np.asarray(gru.bias_ih_l0)
    gh = h @ np.asarray(gru.weight_hh_l0).T + np.asarray(gru.bias_hh_l0)
    (i_r, i_z, i_n), (h_r, h_z, h_n_) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
    r, z = _sigmoid(i_r + h_r), _sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n_)
    want = (1 - z) * n + z * h
    out, h_n = gru(x[None], h[None])
    np.testing.assert_allclose(np.asarray(h_n[0]), want, rtol=1e-12, atol=1e-12)
