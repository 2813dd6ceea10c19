"""Hostile arguments for every public functional op and the layer modules' constructors.

Hypothesis draws shapes (zero-sized included), argument values (negative, zero, huge,
floats where ints belong, wrong tuple lengths, wrong types, None, strings), dtypes and
memory layouts. Each case must end in torch's answer (when torch accepts it) or a clear
ValueError/TypeError/RuntimeError/IndexError (when torch refuses it) -- never a crash,
a hang, a silently wrong answer, a changed input, or a MemoryError from an absurd size.
Non-float dtypes may be refused where torch accepts them (fastnn computes in float32/64).
Cases with huge integers are not run through torch (it may try to allocate them); fastnn
must refuse them or answer at once. `ci` profile by default; `HYPOTHESIS_PROFILE=thorough`.
"""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, strategies as st  # noqa: E402

import fastnn  # noqa: E402
import fastnn.nn as nn  # noqa: E402
import fastnn.nn.functional as F  # noqa: E402
from op_catalogue import as_tuple  # noqa: E402
from op_catalogue.layouts import LAYOUTS, assert_unchanged, snapshot  # noqa: E402

torch = pytest.importorskip("torch")
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

# torch's deprecation warnings (implicit softmax dim, dropout ranks) are part of the cases
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

CLEAR_ERRORS = (ValueError, TypeError, RuntimeError, IndexError)
# each far beyond memory as a size (2**31 floats, 8 GiB, is a size torch allocates)
HUGE = [2**36, 2**40, 2**62, 2**63, -2**63 - 1, 10**12]
FLOAT_DTYPES = (np.float32, np.float64)

# ------------------------------------------------------------------ strategies


def hostile(sane, extra=(), none=True):
    """Mostly `sane` values, sometimes a hostile one (`none=False`: never None)."""
    weird = st.one_of(
        st.sampled_from([None] * none + ["2", "same", 1.5, 2.0, float("nan"), True, -1, 0, [], (),
                         np.int64(2), np.float32(2), object(), *extra]),
        st.sampled_from(HUGE),
        st.lists(st.integers(-2, 4), min_size=0, max_size=4).map(tuple))
    return st.one_of(sane, sane, sane, sane, weird)


def small_ints(lo, hi, n):
    """An int or an n-tuple of ints in [lo, hi]."""
    return st.one_of(st.integers(lo, hi), st.tuples(*[st.integers(lo, hi)] * n))


dtypes = st.sampled_from([np.float32] * 6 + [np.float64] * 3 + [
    np.float16, np.int32, np.int64, np.bool_, np.complex64, np.object_, ">f4", ">f8"])
layouts = st.sampled_from(["c"] * 3 + list(LAYOUTS) + ["torch", "list"])


@st.composite
def arrays(draw, shape, dtype=None, positive=False):
    dtype = np.dtype(dtype if dtype is not None else draw(dtypes))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    values = np.asarray(rng.standard_normal(shape))
    if positive:
        values = np.abs(values) + 0.5
    a = values.astype(dtype) if dtype != np.object_ else values.astype(object)
    layout = draw(layouts)
    if layout == "c" or dtype == np.object_:
        return a
    if layout == "torch":
        return _to_torch(a) if a.dtype.isnative else a
    if layout == "list":
        return a.tolist() if a.ndim else a
    if layout == "tensor" and not a.dtype.isnative:
        return a                # from_numpy refuses byte-swapped arrays, as torch does
    return LAYOUTS[layout](a)


def shapes(rank, max_side=6, channels=None):
    """Shapes of `rank` dims (sometimes one more or less), sides in [0, max_side]."""
    side = st.integers(0, max_side) | st.integers(1, max_side)
    rank_st = st.sampled_from([rank] * 6 + [max(rank - 1, 0), rank + 1])
    return rank_st.flatmap(lambda r: st.tuples(*[side] * r))


# ------------------------------------------------------------------ the verdict


def _to_torch(value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.array(value, dtype=value.dtype.newbyteorder("="), copy=True))
    if isinstance(value, fastnn.Tensor):
        return _to_torch(np.asarray(value))
    if isinstance(value, (list, tuple)):
        return type(value)(_to_torch(v) for v in value)
    return value


def _has_huge(values):
    for v in values:
        if isinstance(v, (list, tuple)):
            if _has_huge(v):
                return True
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool) and abs(v) > 2**20:
            return True
    return False


def _is_float(value):
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return True
    if isinstance(dtype, np.dtype):
        return dtype.newbyteorder("=") in (np.float32, np.float64)
    return dtype in (torch.float32, torch.float64)


def _torch_dtype_name(t):
    return str(t.dtype).replace("torch.", "")


COUNTS = None


@pytest.fixture(autouse=True)
def _count_into(case_counts):
    global COUNTS
    COUNTS = case_counts


def verdict(test, fast, torch_fn, args, kwargs, inplace=False):
    """Run the case through fastnn and torch and judge it (see the module docstring)."""
    counts = COUNTS
    arrays_in = [a for a in args if isinstance(a, np.ndarray) and a.dtype != object]
    before = snapshot(arrays_in)
    try:
        torch_args = _to_torch(list(args))      # before fastnn can change them in place
    except Exception as error:
        torch_args = error
    try:
        got, fast_error = fast(*args, **kwargs), None
    except MemoryError as error:
        pytest.fail(f"MemoryError instead of a clear refusal: {error}")
    except CLEAR_ERRORS as error:
        got, fast_error = None, error
    if not inplace:
        assert_unchanged(arrays_in, before)

    if _has_huge(list(args) + list(kwargs.values())):
        counts[test, "huge"] += 1
        if fast_error is None:
            assert all(np.asarray(g).size < 10**8 for g in as_tuple(got))
        return
    try:
        if isinstance(torch_args, Exception):
            raise torch_args
        want, torch_error = torch_fn(*torch_args, **kwargs), None
    except Exception as error:       # torch's own classes, compared below
        want, torch_error = None, error

    if torch_error is not None and torch_args is torch_error:
        counts[test, "torch cannot take the input"] += 1       # e.g. object arrays
        return
    if torch_error is not None:
        assert fast_error is not None, (
            f"fastnn accepted what torch refuses ({type(torch_error).__name__}: "
            f"{torch_error})")
        same = isinstance(fast_error, type(torch_error)) or (
            type(torch_error) is NotImplementedError and
            isinstance(fast_error, NotImplementedError))
        counts[test, "both refuse" + ("" if same else f" (torch {type(torch_error).__name__}"
                                            f", fastnn {type(fast_error).__name__})")] += 1
        return
    if fast_error is not None:
        if inplace and isinstance(fast_error, ValueError) and not args[0].flags.writeable:
            counts[test, "read-only in place refused"] += 1     # numpy's clear refusal
            return
        all_float = all(_is_float(a) for a in args if hasattr(a, "dtype"))
        assert not all_float, f"fastnn refused what torch accepts: {fast_error!r}"
        counts[test, "dtype refused"] += 1
        return
    counts[test, "compared"] += 1
    for g, w in zip(as_tuple(got), as_tuple(want)):
        assert isinstance(g, fastnn.Tensor)
        g = np.asarray(g)
        w = w.numpy()
        assert g.shape == w.shape
        assert g.dtype.newbyteorder("=").name == _torch_dtype_name(torch.from_numpy(w))
        tol = 1e-3 if g.dtype.newbyteorder("=") in (np.float32, np.float16) else 1e-9
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, equal_nan=True)


def _call(fn):
    return lambda *a, **k: fn(*a, **k)


# ------------------------------------------------------------------ convolution

@pytest.mark.parametrize("nd", [1, 2, 3])
@given(data=st.data())
def test_conv(nd, data):
    draw = data.draw
    shape = draw(shapes(nd + 2, max_side=5 if nd < 3 else 4))
    cin = shape[1] if len(shape) > 1 else 1
    groups = draw(hostile(st.sampled_from([1, 1, 1, cin or 1])))
    g = groups if type(groups) is int and 0 < groups <= 8 else 1
    cout = draw(st.sampled_from([g, 2 * g, 3]))
    k = draw(st.tuples(*[st.integers(1, 3)] * nd))
    wshape = draw(st.sampled_from([(cout, max(cin // g, 1)) + k, (cout, cin) + k,
                                   (cout, max(cin // g, 1)) + k[:-1]]))
    dtype = draw(dtypes)
    x = draw(arrays(shape, dtype))
    w = draw(arrays(wshape, draw(st.sampled_from([dtype, dtype, np.float64]))))
    b = draw(st.one_of(st.none(), arrays((cout,), dtype), arrays((cout + 1,), dtype)))
    kwargs = dict(
        stride=draw(hostile(small_ints(1, 3, nd), extra=(0, -2))),
        padding=draw(hostile(small_ints(0, 2, nd) | st.sampled_from(["same", "valid"]),
                             extra=("full", -1))),
        dilation=draw(hostile(small_ints(1, 2, nd), extra=(0,))),
        groups=groups)
    fn = f"conv{nd}d"
    verdict(fn, getattr(F, fn), getattr(TF, fn), (x, w, b), kwargs)


# ------------------------------------------------------------------ padding

@given(data=st.data())
def test_pad(data):
    draw = data.draw
    x = draw(arrays(draw(shapes(draw(st.integers(1, 5)), max_side=5))))
    pad = draw(hostile(st.lists(st.integers(-3, 3), min_size=0, max_size=7).map(tuple)))
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular", "zeros"]))
    kwargs = dict(mode=mode)
    if draw(st.booleans()):
        kwargs["value"] = draw(st.sampled_from([None, 0.0, 1.5, -np.inf, 2, "x"]))
    verdict("pad", F.pad, TF.pad, (x, pad), kwargs)


# ------------------------------------------------------------------ pooling

@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kind", ["max", "avg"])
@given(data=st.data())
def test_pool(kind, nd, data):
    draw = data.draw
    x = draw(arrays(draw(shapes(nd + 2, max_side=7 if nd < 3 else 5))))
    kwargs = dict(
        kernel_size=draw(hostile(small_ints(1, 4, nd), extra=(0, -1))),
        stride=draw(hostile(st.none() | small_ints(1, 3, nd), extra=(0,))),
        padding=draw(hostile(small_ints(0, 2, nd), extra=(-1, 3))),
        ceil_mode=draw(hostile(st.booleans(), extra=(1,))))
    if kind == "max":
        kwargs["dilation"] = draw(hostile(small_ints(1, 2, nd), extra=(0,)))
        kwargs["return_indices"] = draw(st.booleans())
    else:
        kwargs["count_include_pad"] = draw(st.booleans())
        if nd > 1:
            kwargs["divisor_override"] = draw(hostile(st.none() | st.integers(1, 4),
                                                      extra=(0, -1)))
    fn = f"{kind}_pool{nd}d"
    verdict(fn, getattr(F, fn), getattr(TF, fn), (x,), kwargs)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kind", ["max", "avg"])
@given(data=st.data())
def test_adaptive_pool(kind, nd, data):
    draw = data.draw
    x = draw(arrays(draw(shapes(nd + 2, max_side=7 if nd < 3 else 5))))
    size = st.integers(0, 5) | st.integers(1, 4)
    sizes = size if nd == 1 else st.one_of(size, st.tuples(*[st.none() | size] * nd))
    kwargs = dict(output_size=draw(hostile(sizes, extra=(-1,))))
    if kind == "max":
        kwargs["return_indices"] = draw(st.booleans())
    fn = f"adaptive_{kind}_pool{nd}d"
    verdict(fn, getattr(F, fn), getattr(TF, fn), (x,), kwargs)


# ------------------------------------------------------------------ linear, batch norm

@given(data=st.data())
def test_linear(data):
    draw = data.draw
    shape = draw(shapes(draw(st.integers(0, 4)), max_side=6))
    features = shape[-1] if shape else 3
    out = draw(st.integers(0, 5))
    dtype = draw(dtypes)
    x = draw(arrays(shape, dtype))
    w = draw(arrays(draw(st.sampled_from([(out, features), (out, features + 1), (features,),
                                          (out, features, 1)])),
                    draw(st.sampled_from([dtype, dtype, np.float64]))))
    b = draw(st.one_of(st.none(), arrays((out,), dtype), arrays((out + 1,), dtype),
                       arrays((), dtype)))
    verdict("linear", F.linear, TF.linear, (x, w, b), {})


@given(data=st.data())
def test_batch_norm(data):
    draw = data.draw
    shape = draw(shapes(draw(st.integers(1, 5)), max_side=4))
    c = shape[1] if len(shape) > 1 else 2
    dtype = draw(dtypes)
    training = draw(st.booleans())
    stats = [draw(st.none() | arrays(draw(st.sampled_from([(c,), (c,), (c + 1,)])),
                                     dtype, positive=True)) for _ in range(4)]
    if not training and (stats[0] is None or stats[1] is None):
        stats[0] = stats[1] = None         # torch needs them in eval (or both None)
    running = [np.array(s, copy=True) if isinstance(s, np.ndarray) else s for s in stats[:2]]
    kwargs = dict(training=training,
                  momentum=draw(st.floats(0, 1) | st.sampled_from([-0.5, None])),  # KNOWN
                  eps=draw(hostile(st.sampled_from([1e-5, 0.0, 1.0]), extra=(-1.0,))))
    x = draw(arrays(shape, dtype))
    # the running statistics are updated in place in training: give each side its own copy
    verdict("batch_norm",
            lambda x, *s, **k: F.batch_norm(x, *running, *s[2:], **k),
            lambda x, *s, **k: TF.batch_norm(x, *_to_torch(
                [np.array(a, copy=True) if isinstance(a, np.ndarray) else a
                 for a in stats[:2]]), *s[2:], **k),
            (x, *stats), kwargs, inplace=training)


# ------------------------------------------------------------------ dropout

@pytest.mark.parametrize("fn", ["dropout", "dropout1d", "dropout2d", "dropout3d"])
@given(data=st.data())
def test_dropout(fn, data):
    draw = data.draw
    x = draw(arrays(draw(shapes(draw(st.integers(0, 5)), max_side=4))))
    p = draw(hostile(st.sampled_from([0.0, 0.3, 0.5, 1.0]), extra=(-0.1, 1.1, 2)))
    training = draw(hostile(st.booleans(), extra=(1, "2")))
    inplace = draw(st.booleans())
    random_case = training is True and isinstance(p, float) and 0 < p < 1

    def fast(x, **k):
        scale = np.array(x, dtype=np.float64) / (1 - p) if random_case else None
        out = getattr(F, fn)(x, **k)
        if random_case:        # random mask: compare the kept/dropped structure only
            kept = np.asarray(out) != 0
            np.testing.assert_allclose(np.asarray(out)[kept], scale[kept], rtol=1e-5)
            dtype = np.asarray(out).dtype.newbyteorder("=")
            return fastnn.from_numpy(np.zeros(np.shape(out), dtype))
        return out

    def theirs(x, **k):
        out = getattr(TF, fn)(x, **k)
        return torch.zeros_like(out) if random_case else out

    verdict(fn, fast, theirs, (x,), dict(p=p, training=training,
                                                      inplace=inplace), inplace=inplace)


# ------------------------------------------------------------------ activations, softmax

ACTIVATIONS = {
    "relu": {}, "relu6": {}, "silu": {}, "sigmoid": {}, "tanh": {}, "hardswish": {},
    "hardsigmoid": {},
    "gelu": dict(approximate=st.sampled_from(["none", "tanh", "exact", None])),
    "leaky_relu": dict(negative_slope=hostile(st.floats(-2, 2))),
    "elu": dict(alpha=hostile(st.floats(-2, 2))),
    "hardtanh": dict(min_val=hostile(st.floats(-2, 2)), max_val=hostile(st.floats(-2, 2))),
    "mish": {}, "selu": {}, "logsigmoid": {}, "softsign": {}, "tanhshrink": {},
    "celu": dict(alpha=hostile(st.floats(-2, 2))),
    "softplus": dict(beta=hostile(st.floats(-2, 2)), threshold=hostile(st.floats(-30, 30))),
    "threshold": dict(threshold=hostile(st.floats(-2, 2)), value=hostile(st.floats(-2, 2))),
    "hardshrink": dict(lambd=hostile(st.floats(-2, 2))),
    "softshrink": dict(lambd=hostile(st.floats(-2, 2))),
}
INPLACE = {"relu", "relu6", "silu", "hardswish", "hardsigmoid", "leaky_relu", "elu",
           "hardtanh", "mish", "selu", "celu", "threshold"}


@pytest.mark.parametrize("fn", list(ACTIVATIONS))
@given(data=st.data())
def test_activation(fn, data):
    draw = data.draw
    x = draw(arrays(draw(shapes(draw(st.integers(0, 4)), max_side=5))))
    kwargs = {name: draw(strategy) for name, strategy in ACTIVATIONS[fn].items()}
    inplace = fn in INPLACE and draw(st.booleans())
    if inplace:
        kwargs["inplace"] = True
    verdict(fn, getattr(F, fn), getattr(TF, fn), (x,), kwargs, inplace=inplace)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax(fn, data):
    draw = data.draw
    x = draw(arrays(draw(shapes(draw(st.integers(0, 4)), max_side=5))))
    kwargs = dict(dim=draw(hostile(st.integers(-4, 3), extra=(5,))))
    if draw(st.booleans()):
        kwargs["dtype"] = draw(st.sampled_from([None, "float64", "float32"]))
        if kwargs["dtype"] is not None:
            kwargs["dtype"] = (getattr(fastnn, kwargs["dtype"]), getattr(torch, kwargs["dtype"]))
    dtype_pair = kwargs.pop("dtype", None)
    if dtype_pair is None:
        verdict(fn, getattr(F, fn), getattr(TF, fn), (x,), kwargs)
        return
    verdict(fn, lambda x, **k: getattr(F, fn)(x, dtype=dtype_pair[0], **k),
            lambda x, **k: getattr(TF, fn)(x, dtype=dtype_pair[1], **k), (x,), kwargs)


# ------------------------------------------------------------------ module constructors

def _module_verdict(name, args, kwargs):
    counts = COUNTS
    test = f"nn.{name}()"
    try:
        ours, fast_error = getattr(nn, name)(*args, **kwargs), None
    except MemoryError as error:
        pytest.fail(f"MemoryError instead of a clear refusal: {error}")
    except CLEAR_ERRORS as error:
        ours, fast_error = None, error
    if _has_huge(list(args) + list(kwargs.values())):
        counts[test, "huge"] += 1
        assert fast_error is not None or all(
            np.asarray(p).size < 10**8 for p in ours.parameters())
        return
    try:
        theirs, torch_error = getattr(tnn, name)(*args, **kwargs), None
    except Exception as error:
        theirs, torch_error = None, error
    if torch_error is not None:
        assert fast_error is not None, f"fastnn accepted what torch refuses: {torch_error!r}"
        same = isinstance(fast_error, type(torch_error))
        counts[test, "both refuse" + ("" if same else f" (torch {type(torch_error).__name__}"
                                            f", fastnn {type(fast_error).__name__})")] += 1
        return
    if fast_error is not None:
        # fastnn checks in __init__ what torch only checks in forward: fine if torch's
        # module then fails on an input of the right shape
        assert _forward_fails(theirs, name, args), (
            f"fastnn refused what torch accepts: {fast_error!r}")
        counts[test, "refused at construction (torch: at forward)"] += 1
        return
    counts[test, "compared"] += 1
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
           [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert [(n, tuple(b.shape)) for n, b in ours.named_buffers()] == \
           [(n, tuple(b.shape)) for n, b in theirs.named_buffers()]


def _forward_fails(module, name, args):
    nd = int(name[-2]) if name[-2].isdigit() else 1
    channels = args[0] if args and type(args[0]) is int and 0 < args[0] < 10 else 2
    shape = (2, channels) + (6,) * (nd if "Conv" in name or "Pool" in name else 0)
    try:
        module(torch.randn(*shape))
    except Exception:
        return True
    return False


@pytest.mark.parametrize("nd", [1, 2, 3])
@given(data=st.data())
def test_conv_module_constructor(nd, data):
    draw = data.draw
    args = (draw(hostile(st.integers(0, 4), extra=(-1,))),
            draw(hostile(st.integers(0, 4), extra=(-1,))),
            draw(hostile(small_ints(0, 3, nd), extra=(-1,))))
    kwargs = dict(stride=draw(hostile(small_ints(1, 2, nd), extra=(0,))),
                  padding=draw(hostile(small_ints(0, 2, nd) | st.sampled_from(
                      ["same", "valid"]), extra=("full",))),
                  dilation=draw(hostile(small_ints(1, 2, nd))),
                  groups=draw(hostile(st.integers(1, 3), extra=(0,))),
                  bias=draw(st.booleans()),
                  padding_mode=draw(st.sampled_from(
                      ["zeros", "reflect", "replicate", "circular", "bogus"])))
    _module_verdict(f"Conv{nd}d", args, kwargs)


@pytest.mark.parametrize("name", [f"{kind}Pool{nd}d" for kind in ("Max", "Avg")
                                  for nd in (1, 2, 3)])
@given(data=st.data())
def test_pool_module_constructor(name, data):
    draw = data.draw
    nd = int(name[-2])
    kwargs = dict(kernel_size=draw(hostile(small_ints(0, 3, nd), extra=(-1,))),
                  stride=draw(hostile(st.none() | small_ints(1, 2, nd))),
                  padding=draw(hostile(small_ints(0, 2, nd))),
                  ceil_mode=draw(hostile(st.booleans())))
    if name.startswith("Max"):
        kwargs["dilation"] = draw(hostile(small_ints(1, 2, nd)))
        kwargs["return_indices"] = draw(st.booleans())
    else:
        kwargs["count_include_pad"] = draw(st.booleans())
    _module_verdict(name, (), kwargs)


@pytest.mark.parametrize("name", [f"Adaptive{kind}Pool{nd}d" for kind in ("Max", "Avg")
                                  for nd in (1, 2, 3)])
@given(data=st.data())
def test_adaptive_pool_module_constructor(name, data):
    size = data.draw(hostile(st.integers(0, 4) | st.tuples(st.integers(1, 3), st.none())))
    _module_verdict(name, (size,), {})


@given(data=st.data())
def test_linear_module_constructor(data):
    draw = data.draw
    args = (draw(hostile(st.integers(0, 5), extra=(-1,))),
            draw(hostile(st.integers(0, 5), extra=(-1,))))
    _module_verdict("Linear", args, dict(bias=draw(hostile(st.booleans()))))


@pytest.mark.parametrize("nd", [1, 2, 3])
@given(data=st.data())
def test_batch_norm_module_constructor(nd, data):
    draw = data.draw
    kwargs = dict(eps=draw(hostile(st.sampled_from([1e-5, 0.0]))),
                  momentum=draw(hostile(st.none() | st.floats(0, 1))),
                  affine=draw(st.booleans()),
                  track_running_stats=draw(st.booleans()))
    num = draw(hostile(st.integers(0, 5), extra=(-1,)))
    _module_verdict(f"BatchNorm{nd}d", (num,), kwargs)


@pytest.mark.parametrize("name", ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"])
@given(data=st.data())
def test_dropout_module_constructor(name, data):
    p = data.draw(hostile(st.sampled_from([0.0, 0.5, 1.0]), extra=(-0.1, 1.5)))
    _module_verdict(name, (p,), dict(inplace=data.draw(st.booleans())))


# ------------------------------------------------------------------ known bugs, pinned
# Found by the sweeps above (which skip these cases); each xfail turns into a failure
# (strict) once the owner fixes it, so the exclusion above can then be dropped.

KNOWN_BUGS = pytest.mark.xfail(strict=True, reason="known bug, see the test's docstring")


@pytest.mark.parametrize("flag", [None, "2", 1])
def test_dropout_refuses_a_non_bool_training_flag(flag):
    """F.dropout(x, 0.5, training=None or "2") is accepted (all four dropouts); torch:
    TypeError "dropout(): argument 'train' (position 3) must be bool, not NoneType"."""
    with pytest.raises(TypeError, match="must be bool, not"):
        F.dropout(np.ones(4, np.float32), 0.5, training=flag)


def test_hardtanh_of_integers_with_huge_bounds_is_a_clear_error():
    """F.hardtanh(np.ones(3, np.int32), 2**36, 2**37) raises OverflowError from np.clip;
    torch raises RuntimeError (value cannot be converted to type int without overflow)."""
    with pytest.raises(RuntimeError):
        F.hardtanh(np.ones(3, np.int32), 2**36, 2**37)


@pytest.mark.parametrize("build", [
    pytest.param(lambda: nn.Conv3d(2**36, 1, 1), id="conv_in"),
    pytest.param(lambda: nn.Conv2d(1, 1, 2**18), id="conv_k"),
    pytest.param(lambda: nn.BatchNorm1d(2**36), id="batch_norm"),
    pytest.param(lambda: nn.Linear(0, 2**36), id="linear_bias")])
def test_absurd_layer_sizes_are_refused_before_allocating(build):
    """nn.Conv3d(2**36, 1, 1), nn.BatchNorm1d(2**36) and nn.Linear(0, 2**36) (the weight
    is empty, the bias is not guarded) ask numpy for 256 GiB and raise
    MemoryError (on a machine with overcommit they could even succeed and be OOM-killed
    on first touch); torch raises RuntimeError "DefaultCPUAllocator: can't allocate
    memory". fastnn.nn.functional._linear.refuse_huge_allocation does this for Linear."""
    with pytest.raises(RuntimeError, match="can't allocate memory"):
        build()


@pytest.mark.parametrize("value", [None, "2", ()])
@pytest.mark.parametrize("fn", ["leaky_relu", "elu"])
def test_activation_scalar_of_the_wrong_type_is_refused(fn, value):
    """F.leaky_relu(x, None) silently returns NaN where x < 0 (None is cast to NaN),
    F.leaky_relu(x, "2") uses 2.0, and F.elu(x, ()) raises numba's TypingError; torch: TypeError "leaky_relu(): argument
    'negative_slope' (position 2) must be Number, not NoneType" (elu: 'alpha')."""
    with pytest.raises(TypeError, match="must be Number, not"):
        getattr(F, fn)(-np.ones(4, np.float32), value)


def test_dropout_refuses_a_nan_probability():
    """F.dropout(x, float('nan')) is accepted; torch: RuntimeError "dropout probability
    has to be between 0 and 1, but got nan"."""
    with pytest.raises((RuntimeError, ValueError), match="between 0 and 1, but got nan"):
        F.dropout(np.ones(4, np.float32), float("nan"))


def test_clamping_activation_of_0d_int_returns_a_tensor():
    """F.relu(np.array(0, np.int32)) returns a numpy scalar (np.clip of a 0-d array), not
    a fastnn Tensor."""
    assert isinstance(F.relu(np.array(-3, np.int32)), fastnn.Tensor)


def test_batch_norm_refuses_a_string_momentum():
    """F.batch_norm(..., momentum='2') is accepted in eval mode; torch: TypeError
    "argument 'momentum' (position 7) must be float, not str"."""
    x = np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match="must be float, not str"):
        F.batch_norm(x, np.zeros(3, np.float32), np.ones(3, np.float32), momentum="2")




def test_hardtanh_of_integers_truncates_fractional_bounds_as_torch():
    """F.hardtanh(np.array([0, 1, -1], np.int32), 0.5, 1.0) gives [1, 1, 1] (bounds taken
    by ceil/floor); torch converts the bounds to the integer type (0) and gives [0, 1, 0]."""
    out = F.hardtanh(np.array([0, 1, -1], np.int32), 0.5, 1.0)
    np.testing.assert_array_equal(np.asarray(out), [0, 1, 0])


def test_linear_module_refuses_bool_sizes():
    """nn.Linear(0, True) is accepted; torch: TypeError "empty(): argument 'size'
    (position 1) must be tuple of ints, but found element of type bool at pos 0"."""
    with pytest.raises(TypeError, match="found element of type bool"):
        nn.Linear(0, True)


@pytest.mark.parametrize("features", [None, "2"])
def test_batch_norm_module_without_tensors_takes_any_num_features(features):
    """nn.BatchNorm1d('2', affine=False, track_running_stats=False) works in torch."""
    nn.BatchNorm1d(features, affine=False, track_running_stats=False)


# Found by one `thorough` run (not excluded from the sweeps: the ci profile's fixed
# examples do not reach them; a thorough run reports them until they are fixed).

def test_linear_follows_torch_where_its_checks_depend_on_the_input_layout():
    """A torch quirk kept on purpose: with a 1-D weight and a bias of shape (1,), torch
    2.13 takes its addmm path (and raises "mat2 must be a matrix") only for a contiguous
    input; a Fortran-order input goes through matmul and broadcasts the bias."""
    x = np.asfortranarray(np.ones((1, 2, 2), np.float32))
    assert F.linear(x, np.ones(2, np.float32), np.ones(1, np.float32)).shape == (1, 2)
    with pytest.raises(RuntimeError, match="mat2 must be a matrix"):
        F.linear(np.ascontiguousarray(x), np.ones(2, np.float32), np.ones(1, np.float32))


def test_circular_pad_of_an_empty_input():
    """F.pad(np.zeros((0, 1, 0)), (0, 0, 1, -1), mode='circular') raises "Padding value
    causes wrapping around more than once."; torch returns an empty tensor."""
    out = F.pad(np.zeros((0, 1, 0), np.float32), (0, 0, 1, -1), mode="circular")
    assert out.shape == (0, 1, 0)


def test_batch_norm_of_an_empty_5d_input_without_channels():
    """F.batch_norm(np.zeros((0,) * 5), None, None, weight=empty, bias=empty) returns an
    empty tensor; torch raises IndexError (select(): index 0 out of range)."""
    e = np.zeros(0, np.float32)
    with pytest.raises(IndexError):
        F.batch_norm(np.zeros((0,) * 5, np.float32), None, None, e, e, training=False)


def test_dropout2d_of_a_0d_input_returns_a_tensor():
    """F.dropout2d(np.array(0.5, np.float32), 1.0) returns a numpy float32, not a Tensor."""
    assert isinstance(F.dropout2d(np.array(0.5, np.float32), 1.0), fastnn.Tensor)


def test_hardtanh_with_a_nan_bound_gives_nan_as_torch():
    """F.hardtanh(np.array(0.1257, np.float32), nan, 0.0) gives 0.0; torch gives NaN."""
    assert np.isnan(np.asarray(F.hardtanh(np.array(0.1257, np.float32), float("nan"), 0.0)))


def test_batch_norm_module_without_tensors_takes_a_negative_num_features():
    """nn.BatchNorm1d(-1, affine=False, track_running_stats=False) works in torch;
    fastnn raises RuntimeError (negative dimension)."""
    nn.BatchNorm1d(-1, affine=False, track_running_stats=False)


# ------------------------------------------------------------------ absurd but legal

ABSURD = [dict(stride=10**12), dict(stride=2**40), dict(stride=2**62),
          dict(dilation=10**12), dict(padding=2**31), dict(padding=10**12)]


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kwargs", ABSURD, ids=repr)
def test_conv_absurd_arguments(nd, kwargs):
    """Huge strides are legal (torch: one output position per dimension); huge dilations
    and paddings must be refused at once, never crash inside a kernel or allocate."""
    rng = np.random.default_rng(nd)
    x = rng.standard_normal((2, 3) + (5,) * nd).astype(np.float32)
    w = rng.standard_normal((4, 3) + (3,) * nd).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    fn = f"conv{nd}d"
    if "stride" in kwargs:
        for stride in (kwargs["stride"], (1,) * (nd - 1) + (kwargs["stride"],)):
            got = getattr(F, fn)(x, w, b, stride=stride)
            want = getattr(TF, fn)(*map(torch.from_numpy, (x, w, b)), stride=stride)
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-5)
    else:
        with pytest.raises(RuntimeError):
            getattr(F, fn)(x, w, b, **kwargs)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("stride", [10**12, 2**62])
def test_pool_absurd_stride(kind, nd, stride):
    """torch's answer, or its error (2-D and 3-D pools narrow the stride to a C int)."""
    x = np.random.default_rng(nd).standard_normal((2, 3) + (5,) * nd).astype(np.float32)
    fn = f"{kind}_pool{nd}d"
    try:
        want = getattr(TF, fn)(torch.from_numpy(x), 2, stride)
    except RuntimeError as error:
        with pytest.raises(RuntimeError, match=f"^{error}$"):
            getattr(F, fn)(x, 2, stride)
    else:
        got = getattr(F, fn)(x, 2, stride)
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["LPPool1d", "LPPool2d", "LPPool3d", "MaxUnpool1d",
                                  "MaxUnpool2d", "MaxUnpool3d"])
@given(data=st.data())
def test_lp_pool_and_unpool_module_constructors(name, data):
    draw = data.draw
    nd = int(name[-2])
    kwargs = dict(kernel_size=draw(hostile(small_ints(0, 3, nd), extra=(-1,))),
                  stride=draw(hostile(st.none() | small_ints(1, 2, nd))))
    if name.startswith("LP"):
        args = (draw(hostile(st.sampled_from([1, 2, 1.5, float("inf")]), extra=(0,))),)
        kwargs["ceil_mode"] = draw(hostile(st.booleans()))
    else:
        args = ()
        kwargs["padding"] = draw(hostile(small_ints(0, 2, nd)))
    _module_verdict(name, args, kwargs)


@given(data=st.data())
def test_prelu_module_constructor(data):
    draw = data.draw
    _module_verdict("PReLU", (draw(hostile(st.integers(0, 4), extra=(-1,))),),
                    dict(init=draw(hostile(st.floats(-1, 1)))))
