"""fastnn.backends: forcing, thread-local `use`, `set_default`, `current`, autotuning and
the refusals. Every variant against torch and the numpy references: test_variants.py, over
the op catalogue."""
import threading
import time

import numpy as np
import pytest

import fastnn
import fastnn.backends as backends
import fastnn.nn.functional as F
from fastnn import _registry as registry

TOL = {np.float32: 2e-4, np.float64: 1e-10}
CONV_VARIANTS = ["direct", "depthwise", "im2col_gemm", "naive"]


@pytest.fixture(autouse=True)
def clean_backends():
    """Every test starts and ends with no forced variant and autotuning off."""
    yield
    backends.benchmark = False
    backends.clear_tuned()
    for op in backends.ops():
        backends.set_default(op, None)


def run_variant(op, variant, *inputs, **args):
    with backends.use(op, variant):
        return getattr(F, op)(*inputs, **args)


def test_variant_lists():
    for nd in (1, 2, 3):
        # (other variants may be registered later: these four, in this order)
        assert [v for v in backends.variants(f"conv{nd}d") if v in CONV_VARIANTS] == \
            CONV_VARIANTS
        assert backends.variants(f"max_pool{nd}d") == ["separable", "direct"]
    assert backends.variants("linear") == ["numba_gemm", "blas", "pointwise", "packed"]
    assert {"conv2d", "max_pool2d", "linear"} <= set(backends.ops())
    assert fastnn.backends is backends and "backends" in fastnn.__all__


def test_im2col_gemm_layouts_and_plain_1x1(torch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 8, 6, 7)).astype(np.float32)
    w = rng.standard_normal((6, 4, 1, 1)).astype(np.float32)
    hostile = [x, np.asfortranarray(x), x[:, :, ::-1], x.astype(">f4")]
    readonly = x.copy()
    readonly.flags.writeable = False
    hostile.append(readonly)
    for arr in hostile:                      # 1x1 stride 1: the input is the column matrix
        before = np.array(arr, copy=True)
        result = run_variant("conv2d", "im2col_gemm", arr, w, groups=2)
        expected = torch.nn.functional.conv2d(torch.from_numpy(np.array(arr, "=f4")),
                                              torch.from_numpy(w), groups=2).numpy()
        np.testing.assert_allclose(result, expected, rtol=2e-4, atol=2e-4)
        np.testing.assert_array_equal(arr, before)


def test_im2col_gemm_non_finite_like_torch(torch):
    x = np.ones((1, 2, 5, 5), np.float32)
    x[0, 0, 2, 2] = np.nan
    w = np.ones((3, 2, 3, 3), np.float32)
    w[1, 0, 0, 0] = np.inf
    result = run_variant("conv2d", "im2col_gemm", x, w, padding=1)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                          padding=1).numpy()
    np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
    np.testing.assert_allclose(result, expected, rtol=1e-5)


def test_current_follows_the_default_rules():
    x = np.zeros((1, 8, 10, 10), np.float32)
    assert backends.current("conv2d", x, np.zeros((8, 8, 3, 3), np.float32)) == "direct"
    depthwise = np.zeros((8, 1, 3, 3), np.float32)
    assert backends.current("conv2d", x, depthwise, groups=8) == "depthwise"
    depthwise[0, 0, 0, 0] = np.inf           # torch skips padding taps: the exact loops
    assert backends.current("conv2d", x, depthwise, groups=8) == "naive"
    assert backends.current("max_pool2d", x, 3, 2, 1) == "separable"
    # a window far wider than the row (legal in max_pool1d): the row buffer would not fit
    assert backends.current("max_pool1d", np.zeros((1, 2, 4), np.float32), 20001, 1,
                            10000) == "direct"
    assert backends.current("linear", np.zeros((1, 3), np.float32),
                            np.zeros((4, 3), np.float32)) == "blas"           # K < 16
    assert backends.current("linear", np.zeros((1, 64), np.float32),
                            np.zeros((4, 64), np.float32)) == "numba_gemm"


def test_set_default_and_none_and_precedence():
    x = np.zeros((1, 4, 6, 6), np.float32)
    w = np.zeros((4, 4, 3, 3), np.float32)
    backends.set_default("conv2d", "im2col_gemm")
    assert backends.current("conv2d", x, w) == "im2col_gemm"
    assert backends.current("conv1d", x[:, :, 0], w[..., 0]) == "direct"   # per op
    with backends.use("conv2d", "naive"):
        assert backends.current("conv2d", x, w) == "naive"              # use wins
        with backends.use("conv2d", "direct"):
            assert backends.current("conv2d", x, w) == "direct"
        assert backends.current("conv2d", x, w) == "naive"              # nested restore
    assert backends.current("conv2d", x, w) == "im2col_gemm"
    backends.set_default("conv2d", None)
    assert backends.current("conv2d", x, w) == "direct"


def test_use_is_local_to_the_calling_thread():
    x = np.zeros((1, 4, 6, 6), np.float32)
    w = np.zeros((4, 4, 3, 3), np.float32)
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def forcing():
        with backends.use("conv2d", "im2col_gemm"):
            seen["forcing"] = backends.current("conv2d", x, w)
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=forcing)
    thread.start()
    assert inside.wait(10)
    seen["other"] = backends.current("conv2d", x, w)
    release.set()
    thread.join(10)
    assert seen == {"forcing": "im2col_gemm", "other": "direct"}


@pytest.fixture
def fake_op():
    """An op whose variants record their runs: 'slow', 'fast', 'refusing' (never applies)
    and 'reference' (auto=False)."""
    runs = []

    def normalize(size, flag=False):
        return (), registry.Attrs(size=size, flag=flag)

    def meta(inputs, attrs):
        return (1,), np.dtype(np.float64)

    def kernel_args(inputs, attrs, out, plan):
        return attrs.size, out

    def variant(name, seconds):
        def run(size, out):
            runs.append(name)
            time.sleep(seconds)
            out[0] = size
        return run

    registry.register_op("fake", normalize, meta, kernel_args=kernel_args,
                         rule=lambda size, out: "slow")
    registry.register_variant("fake", "slow", variant("slow", 0.004))
    registry.register_variant("fake", "fast", variant("fast", 0.0))
    registry.register_variant("fake", "refusing", variant("refusing", 0.0),
                              lambda size, out: "it never applies")
    registry.register_variant("fake", "reference", variant("reference", 0.0), auto=False)
    yield runs
    del registry.OPS["fake"]


def test_benchmark_autotunes_once_per_key_over_applicable_variants(fake_op):
    assert backends.current("fake", 1) == "slow"
    assert backends.applicable("fake", 1) == ["slow", "fast", "reference"]
    backends.benchmark = True
    assert backends.current("fake", 1) == "fast"
    assert "refusing" not in fake_op and "reference" not in fake_op
    assert set(fake_op) == {"slow", "fast"}
    fake_op.clear()
    assert backends.run("fake", 1)[0] == 1
    assert fake_op == ["fast"]                    # remembered: no new timing
    fake_op.clear()
    backends.current("fake", 2)                   # a new key is tuned again
    assert set(fake_op) == {"slow", "fast"}
    with backends.use("fake", "slow"):            # forcing still wins
        assert backends.current("fake", 1) == "slow"
    backends.benchmark = False
    assert backends.current("fake", 1) == "fast"  # a measured decision outlives benchmark
    backends.reset_tuned()
    assert backends.current("fake", 1) == "slow"


def test_benchmark_on_real_ops_matches_torch(torch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 6, 9, 9)).astype(np.float32)
    w = rng.standard_normal((6, 1, 3, 3)).astype(np.float32)
    backends.benchmark = True
    # whichever timed fastest of the variants that apply (the naive reference is never timed)
    timed = set(backends.applicable("conv2d", x, w, padding=1, groups=6)) - {"naive"}
    assert backends.current("conv2d", x, w, padding=1, groups=6) in timed
    w[0, 0, 0, 0] = np.inf               # the rule's exact choice holds under autotuning
    assert backends.current("conv2d", x, w, padding=1, groups=6) == "naive"
    result = F.conv2d(x, w, padding=1, groups=6)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w),
                                          padding=1, groups=6).numpy()
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-4)
    y = rng.standard_normal((1, 2, 16, 16)).astype(np.float32)
    assert backends.current("max_pool2d", y, 2) in ("separable", "direct")
    np.testing.assert_array_equal(F.max_pool2d(y, 2), torch.nn.functional.max_pool2d(
        torch.from_numpy(y), 2).numpy())


def test_unknown_op_and_variant_list_the_valid_names():
    with pytest.raises(ValueError, match=r"unknown op 'conv4d'; expected one of: .*conv2d"):
        backends.variants("conv4d")
    with pytest.raises(ValueError, match="unknown op"):
        backends.set_default("nope", None)
    message = ("unknown variant 'winograd' for conv2d; expected one of: direct, depthwise, "
               ".*im2col_gemm.*naive")
    with pytest.raises(ValueError, match=message):
        with backends.use("conv2d", "winograd"):
            pass
    with pytest.raises(ValueError, match="expected one of: numba_gemm, blas, pointwise, packed"):
        backends.set_default("linear", "mkl")
    with pytest.raises(ValueError, match="unknown op"):
        backends.current("pool", np.zeros(3))


def test_forced_variant_that_does_not_apply_refuses_with_the_reason():
    x = np.ones((1, 4, 5, 5), np.float32)
    w = np.ones((4, 2, 3, 3), np.float32)
    with backends.use("conv2d", "depthwise"):
        with pytest.raises(ValueError, match="variant 'depthwise' of conv2d cannot run here: "
                                             "it needs one input channel per group"):
            F.conv2d(x, w, groups=2)
    backends.set_default("max_pool1d", "separable")
    with pytest.raises(ValueError, match="'separable' of max_pool1d cannot run here: its "
                                         "row buffer"):
        F.max_pool1d(np.zeros((1, 2, 4), np.float32), 20001, 1, 10000)
    assert backends.applicable("max_pool1d", np.zeros((1, 2, 4)), 20001, 1, 10000) == \
        ["direct"]


def test_conv_rule_sends_1x1_to_pointwise_and_tiny_planes_to_gemm():
    x = np.zeros((2, 32, 28, 28), np.float32)
    w = np.zeros((64, 32, 1, 1), np.float32)
    assert backends.current("conv2d", x, w) == "pointwise"
    assert backends.current("conv2d", x, w, stride=2) == "pointwise"
    assert backends.current("conv2d", x, w, padding=1) != "pointwise"
    assert backends.current("conv2d", x, np.zeros((64, 16, 1, 1), np.float32),
                            groups=2) == "direct"
    big = np.zeros((1, 256, 56, 56), np.float32)           # 51M multiply-adds per sample
    assert backends.current("conv2d", big, np.zeros((64, 256, 1, 1), np.float32)) == \
        "pointwise"
    tiny = np.zeros((2, 32, 3, 3), np.float32)             # 9 positions: below a tile
    assert backends.current("conv2d", tiny, w) == "im2col_gemm"
    with pytest.raises(ValueError, match="it needs 16 output positions per plane"):
        with backends.use("conv2d", "pointwise"):
            F.conv2d(tiny, w)
