"""Variant decisions measured on this machine (fastnn._tuning, fastnn._tuning_store):
shape classes, the file per CPU, its failure modes, precedence, `benchmark`, measuring on
first use, `fastnn.backends.tuned`/`reset_tuned` and `python -m fastnn tune`."""
import json
import logging
import os
import time

import numpy as np
import pytest

import fastnn
import fastnn.backends as backends
import fastnn.nn.functional as F
from fastnn import _dispatch, _info, _tuning, _tuning_store
from fastnn import __main__ as cli
from fastnn._registry import OPS, Variant

# float32 (4, 64) @ (64, 32): the linear rule picks numba_gemm (K >= 16, few rows)
X = np.random.default_rng(0).standard_normal((4, 64)).astype(np.float32)
W = np.random.default_rng(1).standard_normal((32, 64)).astype(np.float32)
LINEAR_CLASS = "float32 m<=4 k=64 n=32 no bias"


@pytest.fixture(autouse=True)
def store_dir(tmp_path, monkeypatch):
    """Each test has its own empty store and nothing measured on first use."""
    folder = tmp_path / "store"
    monkeypatch.setenv("FASTNN_TUNING_DIR", str(folder))
    monkeypatch.setenv("FASTNN_TUNE_ON_FIRST_USE", "0")
    _tuning.reload()
    yield folder
    backends.benchmark = False
    for op in backends.ops():
        backends.set_default(op, None)
    _tuning.reload()


def shape_class(op, *args, **kwargs):
    entry, inputs, attrs, _, _ = _dispatch.checked(op, args, kwargs)
    return _tuning.shape_class(entry, inputs, attrs)


def linear_key():
    return ("linear", f"{LINEAR_CLASS} threads={fastnn.get_num_threads()}")


def store_decision(op, cls, variant, ident=None):
    """Write one decision to this process's file, as another run would have."""
    record = {"variant": variant, "rule": "numba_gemm", "ms": {}}
    _tuning_store.write(_tuning_store.path(), ident or _tuning_store.identity(),
                        {op: {cls: record}})
    _tuning.reload()


def slowed(op, name, monkeypatch, seconds=0.003):
    """Make variant `name` of `op` sleep before running."""
    variant = OPS[op].variants[name]

    def run(*args):
        time.sleep(seconds)
        return variant.run(*args)
    monkeypatch.setitem(OPS[op].variants, name, Variant(name, run, variant.applies,
                                                        variant.auto))


# ------------------------------------------------------------------ shape classes

def test_bucket_rounds_up_to_a_power_of_two():
    assert [_tuning.bucket(n) for n in (0, 1, 2, 3, 4, 5, 8, 9, 224)] == \
        [0, 1, 2, 4, 4, 8, 8, 16, 256]
    assert _tuning.dims((3, 64, 28, 30), exact=(1,)) == "[<=4, 64, <=32, <=32]"
    assert _tuning.bucketed("m", 1) == "m=1" and _tuning.bucketed("m", 200) == "m<=256"


def test_conv_class_buckets_batch_and_space_keeps_channels_kernel_and_arguments():
    w = np.zeros((8, 4, 3, 3), np.float32)

    def conv(n, h, wd, c=4, weight=w, **kw):
        return shape_class("conv2d", np.zeros((n, c, h, wd), np.float32), weight, **kw)

    base = conv(3, 28, 28)
    assert base.startswith("float32 x=[<=4, 4, <=32, <=32] w=[8, 4, 3, 3] no bias "
                           "stride=1x1 padding=0x0 dilation=1x1 groups=1 threads=")
    assert conv(4, 30, 17) == base                      # same buckets
    assert conv(5, 28, 28) != base                      # batch bucket 8
    assert conv(3, 33, 28) != base                      # spatial bucket 64
    assert conv(3, 28, 28, stride=2) != base
    assert conv(3, 28, 28, padding=1) != base
    assert conv(3, 28, 28, dilation=2) != base
    assert conv(3, 28, 28, c=8, weight=np.zeros((8, 8, 3, 3), np.float32)) != base
    assert conv(3, 28, 28, c=8, weight=np.zeros((8, 4, 3, 3), np.float32), groups=2) != base
    unbatched = shape_class("conv2d", np.zeros((4, 28, 28), np.float32), w)
    assert unbatched == conv(1, 28, 28)
    assert shape_class("conv2d", np.zeros((3, 4, 28, 28)), w.astype(np.float64)) != base


def test_linear_and_pool_classes():
    w = np.zeros((32, 64), np.float32)
    rows = [shape_class("linear", np.zeros(shape, np.float32), w)
            for shape in ((129, 64), (256, 64), (2, 100, 64), (257, 64))]
    assert rows[0] == rows[1] == rows[2] != rows[3]
    assert rows[0].startswith("float32 m<=256 k=64 n=32 no bias threads=")
    assert shape_class("linear", np.zeros((4, 64), np.float32), w,
                       np.zeros(32, np.float32)) != shape_class(
        "linear", np.zeros((4, 64), np.float32), w)
    pool = shape_class("max_pool2d", np.zeros((2, 3, 20, 20), np.float32), 3, 2, 1)
    assert pool.startswith("float32 planes<=8 size=[<=32, <=32] kernel_size=3x3 stride=2x2 "
                           "padding=1x1 dilation=1x1 ceil_mode=False")
    assert pool == shape_class("max_pool2d", np.zeros((1, 5, 32, 17), np.float32), 3, 2, 1)
    assert pool != shape_class("max_pool2d", np.zeros((2, 3, 20, 20), np.float32), 2)


def test_class_holds_per_thread_count():
    before = fastnn.get_num_threads()
    one = shape_class("linear", X, W)
    try:
        fastnn.set_num_threads(1)
        assert shape_class("linear", X, W).endswith("threads=1")
    finally:
        fastnn.set_num_threads(before)
    assert one.endswith(f"threads={before}")


# ------------------------------------------------------------------ the store

def test_measured_decision_round_trips_through_the_file(store_dir):
    backends.benchmark = True
    assert backends.current("linear", X, W) in ("numba_gemm", "blas", "pointwise", "packed")
    tuned = backends.tuned()
    assert list(tuned.decisions) == [linear_key()]
    record = tuned.records[linear_key()]
    assert record["rule"] == "numba_gemm"
    assert set(record["ms"]) == {"numba_gemm", "blas", "pointwise", "packed"}
    assert all(ms > 0 for ms in record["ms"].values())
    data = json.loads(open(tuned.path).read())
    assert os.path.dirname(tuned.path) == str(store_dir)
    assert data["cpu"] == _tuning_store.identity()["cpu"]
    assert data["decisions"]["linear"][linear_key()[1]]["variant"] == \
        tuned.decisions[linear_key()]
    assert [p.name for p in store_dir.iterdir()] == [os.path.basename(tuned.path)]  # no temp
    backends.benchmark = False
    _tuning.reload()                         # as a new process: read back from the file
    assert backends.tuned().decisions == tuned.decisions


def test_stored_decision_is_used_without_benchmark_for_the_whole_class():
    assert backends.current("linear", X, W) == "numba_gemm"          # the rule
    store_decision("linear", linear_key()[1], "blas")
    assert backends.current("linear", X, W) == "blas"
    x3 = np.random.default_rng(2).standard_normal((3, 64)).astype(np.float32)  # same class
    assert backends.current("linear", x3, W) == "blas"
    np.testing.assert_allclose(F.linear(x3, W), x3 @ W.T, rtol=1e-5, atol=1e-5)
    assert backends.current("linear", np.zeros((5, 64), np.float32), W) == "numba_gemm"


def test_stored_variant_that_cannot_run_gives_way_to_the_rule():
    store_decision("linear", linear_key()[1], "no_such_variant")
    assert backends.current("linear", X, W) == "numba_gemm"


def test_precedence_use_then_set_default_then_stored_then_rule():
    store_decision("linear", linear_key()[1], "blas")
    assert backends.current("linear", X, W) == "blas"
    backends.set_default("linear", "numba_gemm")
    assert backends.current("linear", X, W) == "numba_gemm"
    with backends.use("linear", "blas"):
        assert backends.current("linear", X, W) == "blas"
    backends.set_default("linear", None)
    assert backends.current("linear", X, W) == "blas"
    backends.reset_tuned()
    assert backends.current("linear", X, W) == "numba_gemm"


def test_decision_for_another_cpu_is_ignored():
    other = dict(_tuning_store.identity(), features="+sse2,-avx")
    assert _tuning_store.file_name(other) != _tuning_store.file_name(
        _tuning_store.identity())
    # even under this CPU's file name (a copied file) another identity is not used
    store_decision("linear", linear_key()[1], "blas", ident=other)
    assert backends.current("linear", X, W) == "numba_gemm"
    assert backends.tuned().decisions == {}


def test_blas_settings_name_another_file(monkeypatch):
    plain = _tuning_store.file_name(_tuning_store.identity())
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Prescott")
    assert _tuning_store.file_name(_tuning_store.identity()) != plain


@pytest.mark.parametrize("content", ["{not json", '{"format": 1, "decisions": []}', "[]"])
def test_corrupt_file_falls_back_to_the_rule_with_one_warning(content, caplog):
    path = _tuning_store.path()
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as f:
        f.write(content)
    with caplog.at_level(logging.WARNING, logger="fastnn.tuning"):
        assert backends.current("linear", X, W) == "numba_gemm"
        assert backends.tuned().decisions == {}
        assert backends.current("linear", X, W) == "numba_gemm"
    warnings = [r for r in caplog.records if r.name == "fastnn.tuning"]
    assert len(warnings) == 1 and "ignoring the tuning file" in warnings[0].getMessage()
    backends.benchmark = True                   # a new decision replaces the corrupt file
    backends.current("linear", X, W)
    assert json.loads(open(path).read())["decisions"]["linear"]


def test_unwritable_directory_keeps_decisions_in_memory_with_one_warning(
        tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("FASTNN_TUNING_DIR", str(blocker / "store"))   # under a file
    _tuning.reload()
    with caplog.at_level(logging.WARNING, logger="fastnn.tuning"):
        assert backends.current("linear", X, W) == "numba_gemm"       # reads: nothing
        backends.benchmark = True
        chosen = backends.current("linear", X, W)
        backends.current("linear", np.zeros((64, 64), np.float32), W)  # a second class
    warnings = [r for r in caplog.records if r.name == "fastnn.tuning"]
    assert len(warnings) == 1 and "cannot write the tuning file" in warnings[0].getMessage()
    assert backends.tuned().decisions[linear_key()] == chosen
    assert len(backends.tuned().decisions) == 2
    assert not os.path.exists(blocker / "store")
    backends.reset_tuned()
    assert backends.tuned().decisions == {}


def test_two_writers_merge_and_never_leave_a_partial_file():
    path = _tuning_store.path()
    ident = _tuning_store.identity()
    for i in range(20):
        assert _tuning_store.write(path, ident, {"linear": {f"class {i}": {"variant": "blas"}}})
    data = json.loads(open(path).read())
    assert sorted(data["decisions"]["linear"]) == sorted(f"class {i}" for i in range(20))
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]


def test_reset_tuned_forgets_memory_and_file():
    backends.benchmark = True
    backends.current("linear", X, W)
    path = backends.tuned().path
    assert os.path.exists(path)
    backends.reset_tuned()
    assert not os.path.exists(path)
    assert backends.tuned().decisions == {}
    backends.benchmark = False
    assert backends.current("linear", X, W) == "numba_gemm"
    assert backends.clear_tuned is backends.reset_tuned


def test_store_is_not_read_at_import(run_python, tmp_path):
    folder = tmp_path / "lazy"
    code = ("import fastnn, fastnn.nn.functional\n"
            "from fastnn import _tuning\n"
            "print(_tuning._loaded is None, _tuning._first_use is None)\n")
    result = run_python(code, env={"FASTNN_TUNING_DIR": str(folder)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
    assert not folder.exists()


def test_info_shows_the_file_and_its_decisions():
    assert _info.tuning_file() == f"{_tuning_store.path()}, 0 decisions"
    store_decision("linear", linear_key()[1], "blas")
    assert _info.tuning_file() == f"{_tuning_store.path()}, 1 decisions (linear)"
    assert ("tuning file", _info.tuning_file()) in _info.report()


# ------------------------------------------------------------------ measuring

def test_benchmark_never_picks_a_slow_variant(monkeypatch):
    backends.benchmark = True
    slowed("linear", "blas", monkeypatch)
    assert backends.current("linear", X, W) == "numba_gemm"
    record = backends.tuned().records[linear_key()]
    assert record["ms"]["blas"] > 3 > record["ms"]["numba_gemm"]
    backends.reset_tuned()
    monkeypatch.undo()
    monkeypatch.setenv("FASTNN_TUNING_DIR", str(_tuning_store.directory()))
    slowed("linear", "numba_gemm", monkeypatch)
    assert backends.current("linear", X, W) == "blas"
    result = F.linear(X, W)                      # runs the decision
    np.testing.assert_allclose(result, X @ W.T, rtol=1e-5, atol=1e-5)


def test_rule_kept_unless_another_variant_is_faster_by_the_margin():
    assert _tuning.pick({"rule": 1.0, "other": 0.97}, "rule") == "rule"
    assert _tuning.pick({"rule": 1.0, "other": 0.94}, "rule") == "other"
    assert _tuning.pick({"rule": 1.0, "other": 1.5}, "rule") == "rule"
    assert _tuning.pick({"a": 2.0, "b": 1.0}, "refused") == "b"


def test_benchmark_measures_once_per_class(monkeypatch):
    runs = []
    variant = OPS["linear"].variants["blas"]

    def counting(*args):
        runs.append(1)
        return variant.run(*args)
    monkeypatch.setitem(OPS["linear"].variants, "blas", Variant("blas", counting))
    backends.benchmark = True
    backends.current("linear", X, W)
    assert len(runs) >= 2                       # a warm-up and timed calls
    runs.clear()
    F.linear(np.zeros((3, 64), np.float32), W)  # same class: no new measurement
    F.linear(X, W)
    assert len(runs) <= 2


def test_first_use_measures_only_when_asked(monkeypatch):
    assert backends.tune_on_first_use == ()     # the fixture's FASTNN_TUNE_ON_FIRST_USE=0
    F.linear(X, W)
    assert backends.tuned().decisions == {}
    monkeypatch.delenv("FASTNN_TUNE_ON_FIRST_USE")
    _tuning.reload()
    assert backends.tune_on_first_use == ()     # the default
    F.linear(X, W)
    assert backends.tuned().decisions == {}
    monkeypatch.setenv("FASTNN_TUNE_ON_FIRST_USE", "linear")
    _tuning.reload()
    assert backends.tune_on_first_use == ("linear",)
    F.linear(X, W)
    assert list(backends.tuned().decisions) == [linear_key()]
    backends.tune_on_first_use = ()
    backends.reset_tuned()
    F.linear(X, W)
    assert backends.tuned().decisions == {}
    with pytest.raises(ValueError, match="unknown op 'conv4d'"):
        backends.tune_on_first_use = ("conv4d",)


# ------------------------------------------------------------------ python -m fastnn tune

def test_tune_cli_on_lenet_writes_decisions_that_tuned_shows(capsys):
    assert cli.main(["tune", "lenet", "--batch-size", "2"]) == 0
    out = capsys.readouterr().out
    tuned = backends.tuned()
    ops = sorted({op for op, _ in tuned.decisions})
    assert ops == ["conv2d", "linear", "max_pool2d"]
    assert len(tuned.decisions) == 7           # 2 conv, 2 pool, 3 linear classes
    assert f"7 decisions kept in {tuned.path}" in out
    for (op, cls), variant in tuned.decisions.items():
        assert f"{op:<11} {cls}\n{'':<11} -> {variant} (" in out
    assert "x=[<=2, 1, <=32, <=32] w=[6, 1, 5, 5]" in out
    _tuning.reload()                           # kept for later runs
    assert backends.tuned().decisions == tuned.decisions


def test_tune_cli_bench_cases_and_argument_errors(capsys):
    assert cli.main(["tune", "--bench", "--only", "linear 1x4096"]) == 0
    out = capsys.readouterr().out
    assert "tuning 1 bench cases" in out and "m=1 k=4096 n=1000 bias" in out
    for argv, message in [
            (["tune"], "give either a MODEL or --bench"),
            (["tune", "lenet", "--bench"], "give either a MODEL or --bench"),
            (["tune", "lenet", "--image-size", "64"], "--image-size does not apply to lenet"),
            (["tune", "lenet", "--only", "x"], "--only applies to --bench"),
            (["tune", "--bench", "--batch-size", "2"], "apply to a MODEL"),
            (["tune", "--bench", "--only", "nothing"], "no case matches --only 'nothing'")]:
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("python -m fastnn tune: error: ") and message in err
    with pytest.raises(SystemExit):
        cli.main(["tune", "vgg"])
    assert "invalid choice: 'vgg'" in capsys.readouterr().err


def test_tune_help_names_no_file_outside_the_repository(capsys):
    with pytest.raises(SystemExit):
        cli.main(["tune", "--help"])
    out = capsys.readouterr().out
    assert "/" not in out.replace("--", "").replace("python -m fastnn", "")
