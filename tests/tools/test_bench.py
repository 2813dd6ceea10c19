"""`python -m fastnn bench` on a tiny selection, and the case table the asv suite shares."""
import importlib
import itertools
import pathlib
import sys

import numpy as np
import pytest

from fastnn import _bench, _peakmem, backends
from fastnn.nn import _frozen
from fastnn.__main__ import main

BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"


def test_bench_variants_column_and_chart(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    chart = tmp_path / "speedups.png"
    assert main(["bench", "--only", "k2 n32", "--rounds", "1", "--variants",
                 "--plot", str(chart)]) == 0
    out = capsys.readouterr().out
    assert "[1/1] max_pool2d k2 n32 16ch 56x56" in out          # progress
    lines = [line for line in out.splitlines() if line.startswith("max_pool2d")]
    assert [line.split()[5] for line in lines] == ["separable*", "direct"]
    assert " variant " in out and "GB/s" in out
    assert chart.stat().st_size > 1000


def test_bench_default_variant_only(capsys):
    assert main(["bench", "--only", "linear 1x4096", "--rounds", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith("linear")]
    assert len(rows) == 1 and rows[0].split()[4].endswith("*")


@pytest.mark.skipif(not _peakmem.available(), reason="needs Linux with glibc")
def test_bench_memory_table(capsys):
    assert main(["bench", "--memory", "--only", "conv2d 3x3 p1 n1 64ch"]) == 0
    out = capsys.readouterr().out
    assert "beyond the output" in out
    row = [line for line in out.splitlines() if line.startswith("conv2d")]
    assert len(row) == 1 and row[0].split()[6] == "blocked"
    input_mb, output_mb = (float(v) for v in row[0].split()[7:9])
    assert input_mb == output_mb == 0.80


@pytest.mark.skipif(not _peakmem.available(), reason="needs Linux with glibc")
def test_bench_memory_shows_eager_and_compiled_models(capsys):
    assert main(["bench", "--memory", "--only", "LeNet"]) == 0
    out = capsys.readouterr().out
    assert "whole models" in out
    row = [line for line in out.splitlines() if line.startswith("LeNet batch 1")]
    assert len(row) == 1
    output_mb, eager_mb, optimized_mb, plan_mb = (float(v) for v in row[0].split()[3:7])
    assert plan_mb > 0 and optimized_mb <= eager_mb + 0.5


def test_workload_frozen_freezes_conv_weights_only():
    conv = _bench.find_case("conv2d 3x3 p1 n1 64ch 56x56").make(np.float32)
    assert _frozen.is_frozen(conv.frozen().args[1]) and not _frozen.is_frozen(conv.args[1])
    np.testing.assert_array_equal(conv.frozen().call()(), conv.call()())
    linear = _bench.find_case("linear 1x4096 @ 4096->1000").make(np.float32)
    assert linear.frozen() is linear


def test_time_many_sizes_blocks_from_a_second_call_not_the_first():
    """A first call that sets a library up (longer than a block) must not make the
    blocks one call long: they are sized from the second call."""
    import time
    calls = []

    def slow_first():
        if not calls:
            time.sleep(0.05)
        calls.append(None)
    seconds = _bench.time_many({"f": slow_first}, block_seconds=0.01, rounds=2)["f"]
    assert len(calls) > 100 and seconds < 0.01


def test_time_many_pauses_before_each_block(monkeypatch):
    """Each block starts after `settle_seconds` of sleep and one untimed call, so another
    library's threads still spinning from the block before are not charged to it."""
    events = []
    monkeypatch.setattr(_bench.time, "sleep", lambda seconds: events.append(seconds))
    calls = {name: (lambda name=name: events.append(name)) for name in ("a", "b")}
    _bench.time_many(calls, block_seconds=0, rounds=2, settle_seconds=0.02)
    # two set-up calls each, then per round and block: the pause, the untimed call, the block
    assert events == ["a", "a", "b", "b"] + [0.02, "a", "a", 0.02, "b", "b"] * 2


def test_case_table_labels_families_and_smoke_cases():
    labels = [case.label for case in _bench.CASES]
    assert len(labels) == len(set(labels))
    families = {"conv", "conv_transpose", "pooling", "linear", "normalization", "models",
                "resample", "activation", "attention", "losses", "optim", "conv_backward",
                "pool_backward", "activation_backward", "norm_backward"}
    assert {case.family for case in _bench.CASES} == families
    for family in families:
        assert [c for c in _bench.CASES if c.family == family and c.smoke]
    for case in _bench.CASES:
        assert (case.group in ("model", "optimizer", "conv_backward", "pool_backward",
                               "activation_backward", "norm_backward")
                or case.group in backends.ops())
    with pytest.raises(KeyError):
        _bench.find_case("conv2d no such case")


def test_workload_forces_each_variant():
    workload = _bench.find_case("conv2d 3x3 p1 n1 64ch 56x56").make(np.float32)
    assert {"direct", "im2col_gemm", "naive"} <= set(workload.variants())
    assert "depthwise" not in workload.variants()                     # dense
    assert workload.default_variant() == "blocked"
    expected = np.asarray(workload.call()())
    for variant in ("direct", "blocked", "im2col_gemm"):
        np.testing.assert_allclose(workload.call(variant)(), expected, rtol=1e-3, atol=1e-3)


def _smoke_mode(monkeypatch):
    """The asv suite importable afresh in smoke mode (FASTNN_ASV_SMOKE=1, as CI's)."""
    monkeypatch.setenv("FASTNN_ASV_SMOKE", "1")
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    for name in [m for m in sys.modules if m == "benchmarks" or m.startswith("benchmarks.")]:
        monkeypatch.delitem(sys.modules, name)


def test_asv_parameters_in_smoke_mode(monkeypatch):
    _smoke_mode(monkeypatch)
    conv = importlib.import_module("benchmarks.bench_conv").Conv
    variants, cases, dtypes = conv.params
    assert variants[0] == "default"
    assert {"direct", "depthwise", "im2col_gemm", "naive"} <= set(variants)
    assert cases == ["conv2d 3x3 p1 n1 64ch 56x56"] and dtypes == ["float32"]
    bench = conv()
    with pytest.raises(NotImplementedError, match="depthwise does not apply"):
        bench.setup("depthwise", cases[0], "float32")
    bench.setup("im2col_gemm", cases[0], "float32")
    bench.time_op("im2col_gemm", cases[0], "float32")
    assert bench.track_gflops("im2col_gemm", cases[0], "float32") > 0
    transposed = importlib.import_module("benchmarks.bench_conv").ConvTranspose.params
    assert transposed[0][:3] == ["default", "phased", "naive"]
    assert transposed[1] == ["conv_transpose2d UNet k2 s2 n1 256->128 28x28"]
    assert variants[1] == "frozen"
    bench.setup("frozen", cases[0], "float32")
    bench.peakmem_op("frozen", cases[0], "float32")
    if _peakmem.available():        # im2col_gemm's column buffer: 64*9 rows of 56*56
        bench.setup("im2col_gemm", cases[0], "float32")
        assert bench.track_extra_bytes("im2col_gemm", cases[0], "float32") > 6e6


def test_asv_normalization_cases_run_against_torch(monkeypatch, torch):
    _smoke_mode(monkeypatch)
    norm = importlib.import_module("benchmarks.bench_normalization").Normalization
    variants, cases, dtypes = norm.params
    assert variants == ["default", "torch"] and cases == ["group_norm GroupNorm(32, 256) n1 56x56"]
    ours, theirs = norm(), norm()
    ours.setup("default", cases[0], "float32")
    theirs.setup("torch", cases[0], "float32")
    np.testing.assert_allclose(ours.fn(), theirs.fn().numpy(), rtol=1e-4, atol=1e-4)
    assert ours.track_gbps("default", cases[0], "float32") > 0


# ---------------------------------------------------------------- argument checks

@pytest.mark.parametrize("option, value", [
    ("--threads", "0"), ("--threads", "-2"), ("--threads", "two"), ("--threads", "1.5"),
    ("--rounds", "0"), ("--rounds", "-1"), ("--rounds", "x")])
def test_bench_refuses_bad_counts_as_argparse_errors(capsys, option, value):
    with pytest.raises(SystemExit) as exit_:
        main(["bench", option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: " in err
    assert "must be a positive integer" in err or "invalid positive_int value" in err


def test_bench_only_matching_nothing_lists_the_cases(capsys, monkeypatch):
    monkeypatch.setattr(_bench, "run_cases", _never_timed)
    assert main(["bench", "--only", "no such case"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "error: no case matches --only 'no such case'; the cases are:" in captured.err
    for case in _bench.CASES:
        assert f"\n  {case.label}" in captured.err


def _never_timed(*args, **kwargs):
    raise AssertionError("a case was timed")


def test_bench_plot_without_matplotlib_says_so_before_timing(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)      # import matplotlib fails
    monkeypatch.setattr(_bench, "run_cases", _never_timed)
    assert main(["bench", "--only", "linear 1x4096", "--plot", str(tmp_path / "p.png")]) == 2
    err = capsys.readouterr().err
    assert "--plot needs matplotlib, which is not installed" in err


def test_bench_plot_into_a_missing_folder_says_so_before_timing(tmp_path, capsys,
                                                                monkeypatch):
    monkeypatch.setattr(_bench, "run_cases", _never_timed)
    target = tmp_path / "missing" / "p.png"
    assert main(["bench", "--only", "linear 1x4096", "--plot", str(target)]) == 2
    assert f"the folder {target.parent} does not exist" in capsys.readouterr().err


def _model_row(out, name):
    rows = [line for line in out.splitlines() if line.startswith(name)]
    assert len(rows) == 1, out
    return rows[0][len(name):].split()


def test_models_table_has_torch_onnxruntime_and_fastnn_columns(capsys, torch):
    pytest.importorskip("onnxruntime")
    assert main(["bench", "--only", "LeNet", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "whole models" in out and "ORT ms" in out
    torch_ms, ort_ms, eager_ms, optimized_ms, vs_torch, vs_ort, diff = _model_row(
        out, "LeNet batch 1")
    for value in (torch_ms, ort_ms, eager_ms, optimized_ms):
        assert float(value) > 0
    for other, ratio in ((ort_ms, vs_ort), (torch_ms, vs_torch)):
        assert _printed_ratio_fits(float(ratio[:-1]), float(other), float(optimized_ms))
    assert float(diff) < 1e-5


def _printed_ratio_fits(ratio, other_ms, optimized_ms):
    """`ratio` (printed to 2 decimals) = other / optimized, with both times printed to 2
    decimals (0.005 ms either way)."""
    low = (other_ms - 0.005) / (optimized_ms + 0.005)
    high = (other_ms + 0.005) / max(optimized_ms - 0.005, 1e-9)
    return low - 0.005 <= ratio <= high + 0.005


def test_models_table_without_onnxruntime_leaves_its_column_empty(capsys, monkeypatch,
                                                                  torch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)      # import fails
    assert main(["bench", "--only", "LeNet", "--rounds", "1"]) == 0
    torch_ms, ort_ms, eager_ms, optimized_ms, vs_torch, vs_ort, diff = _model_row(
        capsys.readouterr().out, "LeNet batch 1")
    assert ort_ms == vs_ort == "-" and float(torch_ms) > 0 and float(diff) < 1e-5


def test_onnxruntime_runs_the_exported_twin(torch):
    pytest.importorskip("onnxruntime")
    from fastnn import _bench_models
    case = _bench_models.MODELS[0]
    twin = case.build("torch").eval()
    x = np.random.default_rng(0).standard_normal(case.input_shape).astype(np.float32)
    session = _bench_models.onnxruntime_session(twin, x, threads=1)
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(session.run(None, {"x": x})[0], expected, rtol=1e-5,
                               atol=1e-6)


def test_zoo_cases_time_the_same_model_on_both_sides(torch):
    labels = [case.label for case in _bench.CASES if case.family == "models"]
    assert "model convnext_tiny batch 1 224x224" in labels and "model unet batch 1 224x224" \
        in labels
    workload = _bench._zoo("squeezenet1_1", size=32)(np.float32)   # the makers, small
    ours, theirs = workload.call()(), workload.torch_call()
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-4, atol=1e-5)
    assert np.abs(theirs.numpy()).max() > 0


def test_bench_train_table_times_compares_and_measures_peaks(torch, monkeypatch, capsys):
    """`bench --train` on a LeNet batch of 2: both sides timed, the parameters after three
    steps within float32 noise of torch's, and each side's peak memory per step."""
    from fastnn import _bench_train
    from fastnn._bench_models import _example
    monkeypatch.setattr(_bench_train, "TRAIN_CASES", [
        _bench_train.TrainCase("LeNet batch 2 32x32", _example("lenet"), (2, 1, 32, 32), 10)])
    assert main(["bench", "--train", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("training step"))
    assert header.split()[-8:] == ["torch", "f32", "torch", "peak", "MB", "fastnn", "peak",
                                   "MB"]
    row = next(line for line in lines if line.startswith("LeNet batch 2")).split()
    torch_ms, fastnn_ms, speedup, diff, drift = row[4:9]
    t, f = float(torch_ms), float(fastnn_ms)
    # speedup and times are printed to two decimals: the speedup may differ from the
    # printed times' ratio by their rounding (0.005 ms each, on steps of about 1 ms) and
    # its own (0.005), no more
    rounding = t / f * (0.005 / t + 0.005 / f) + 0.005
    assert abs(float(speedup.rstrip("x")) - t / f) <= rounding * 1.001
    assert float(diff) < 1e-5 and float(drift) < 1e-4
    if _peakmem.available():
        [float(mb) for mb in row[9:11]]        # numbers (a step of batch 2 adds ~0 MB)
    else:
        assert row[9:11] == ["-", "-"]


def test_train_difference_is_relative_to_a_parameters_scale_floored_by_the_models(torch):
    """A parameter is measured against its own largest value, but one that holds only
    rounding noise (a bias whose exact gradient is zero) against SCALE_FLOOR of the model's
    largest parameter: noise of 1e-20 on a 1e-17 bias is not a 100% difference."""
    from fastnn._bench_train import SCALE_FLOOR, _worst
    want = {"w": torch.tensor([2.0, -4.0]), "b": torch.tensor([1e-17, 0.0])}
    got = {"w": torch.tensor([2.0, -4.0]), "b": torch.tensor([2e-17, 0.0])}
    assert _worst(got, want) == pytest.approx(1e-17 / (4 * SCALE_FLOOR))
    got["w"] = torch.tensor([2.0, -3.0])
    assert _worst(got, want) == pytest.approx(0.25)
    assert _worst({"z": torch.zeros(3)}, {"z": torch.zeros(3)}) == 0.0


def _smoke_suite(monkeypatch):
    """The asv suite's modules imported in smoke mode."""
    _smoke_mode(monkeypatch)
    return [importlib.import_module(f"benchmarks.{path.stem}")
            for path in sorted((BENCHMARKS / "benchmarks").glob("bench_*.py"))]


def test_every_asv_time_benchmark_runs_in_smoke_mode(monkeypatch, torch):
    # what `asv run --quick` of the smoke parameters checked, in this process: a process
    # per benchmark class took CI past its 30 minutes (`asv check` in .ci/run still
    # checks that asv finds and parametrises the suite)
    ran = 0
    for module in _smoke_suite(monkeypatch):
        for cls in vars(module).values():
            if not (isinstance(cls, type) and cls.__module__ == module.__name__
                    and hasattr(cls, "time_op")):
                continue
            for args in itertools.product(*cls.params):
                bench = cls()
                try:
                    bench.setup(*args)
                except NotImplementedError:         # asv skips the combination too
                    continue
                bench.time_op(*args)
                if hasattr(bench, "teardown"):
                    bench.teardown(*args)
                ran += 1
    assert ran >= 30, ran


@pytest.mark.parametrize("label", ["conv2d 3x3 p1 n1 64ch 56x56",
                                   "linear 1x4096 @ 4096->1000"])
def test_variants_on_blas_are_timed_apart_after_the_others(monkeypatch, label):
    """OpenBLAS's threads spin after a call: a BLAS variant that is not the default runs
    in blocks of its own, after the other variants and torch have been timed."""
    groups = []

    def recorded(calls, *args, **kwargs):
        groups.append(sorted(calls))
        return {name: 1e-3 for name in calls}
    monkeypatch.setattr(_bench, "time_many", recorded)
    case = next(c for c in _bench.CASES if c.label == label)
    rows = _bench.run_cases([case], rounds=1, all_variants=True)
    default = next(row.variant for row in rows if row.default)
    blas = sorted(name for name in _bench.BLAS_VARIANTS
                  if name in {row.variant for row in rows} and name != default)
    assert blas, "the case offers a BLAS variant besides its default"
    others = {row.variant for row in rows} - set(blas)
    assert groups == [sorted(others | {"torch"}), blas]
