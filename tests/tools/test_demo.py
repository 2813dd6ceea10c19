"""`python -m fastnn demo` on quick settings."""
import io
import re
import subprocess
import sys
import time

import pytest

import fastnn
import fastnn.nn as nn
from fastnn import _compile_notice, _demo
from fastnn.__main__ import build_parser, main
from fastnn.kernels import elementwise
from numba.core import event

QUICK = ["demo", "--batch-size", "2", "--image-size", "64", "--iterations", "2"]


def test_demo_prints_layer_table_and_throughput(capsys):
    assert main(QUICK) == 0
    out = capsys.readouterr().out
    assert "ResNet-18, seeded random weights (seed 0)" in out
    assert "\r" not in out                   # captured output is not a terminal
    assert re.search(r"first batch \((compiled \d+ kernels?|kernels loaded, nothing "
                     r"compiled)\): [\d.]+ s", out)
    # a row per node of the compiled graph: BatchNorm folded, relu and + fused
    for row in ("conv1 ", "layer1.0.conv1", "layer4.1.conv2", "avgpool", "fc ",
                "(between layers)", "conv2d+relu", "conv2d+add+relu"):
        assert row in out
    # the table of the compiled graph, not the progress lines above it, which name a layer
    # (bn1 too) while its kernels compile on a cold cache
    table = out[out.index("\nlayer "):]
    assert "bn1" not in table and "BatchNorm2d" not in table
    assert "(2, 64, 16, 16)" in out          # the stem's output shape at 64x64
    assert "images/s" in out


def test_time_between_layers_is_each_runs_own():
    # per run: 7 - 6, 11 - 10, 7 - 6; the median total less the layers' medians, 7 - 10,
    # is negative (a layer that did not run has no times)
    records = [[1.0, 5.0, 5.0], [5.0, 5.0, 1.0], []]
    assert _demo._between(records, [7.0, 11.0, 7.0]) == 1.0


def test_demo_loads_weights(tmp_path, capsys):
    from fastnn.examples import resnet
    fastnn.manual_seed(3)
    path = tmp_path / "resnet18.pt"
    fastnn.save(resnet.build().state_dict(), path)
    assert main(QUICK + ["--weights", str(path)]) == 0
    assert f"ResNet-18, {path}" in capsys.readouterr().out


def test_demo_runs_another_zoo_model_with_its_weights(tmp_path, capsys):
    from fastnn import models
    fastnn.manual_seed(3)
    path = tmp_path / "mobilenet_v2.pt"
    fastnn.save(models.mobilenet_v2().state_dict(), path)
    args = ["demo", "--batch-size", "1", "--image-size", "32", "--iterations", "1"]
    assert main(args + ["--model", "mobilenet_v2", "--weights", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"MobileNetV2, {path}" in out
    assert "features.1.conv.0.0" in out and "top-1 classes" in out


def test_demo_lists_the_models_and_refuses_an_unknown_one(capsys):
    assert main(["demo", "--list-models"]) == 0
    names = capsys.readouterr().out.split()
    assert "resnet18" in names and "convnext_tiny" in names and "unet" in names
    assert main(["demo", "--model", "resnet19"]) == 2
    assert "unknown model 'resnet19'" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--batch-size", "0"], ["--iterations", "-1"],
                                 ["--image-size", "x"]])
def test_demo_rejects_bad_options(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo"] + bad)
    assert exit_info.value.code == 2


def test_demo_help_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "fastnn", "demo", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "--weights PATH" in out and "per-layer timing table" in out


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _quick_args():
    return build_parser().parse_args(QUICK)


def test_warmup_progress_on_a_terminal_rewrites_one_line():
    out = Terminal()
    progress = _demo.WarmupProgress(3, out)
    progress.layer_started(0, "conv1")
    progress.layer_started(1, "bn1")
    progress.compile_started("batch_norm")
    progress.compile_started("relu")              # the same layer: shown once
    progress.finish()
    assert out.getvalue() == (
        "\r  loading kernels: " + "layer 1/3 conv1".ljust(40)
        + "\r  loading kernels: " + "layer 2/3 bn1".ljust(40)
        + "\r  compiling kernels: " + "layer 2/3 bn1".ljust(40)
        + "\r" + " " * 70 + "\r")


def test_warmup_progress_elsewhere_prints_a_plain_line_per_compiling_layer():
    out = io.StringIO()
    progress = _demo.WarmupProgress(3, out)
    progress.compile_started("pack")              # before any layer
    progress.layer_started(0, "conv1")
    progress.layer_started(1, "bn1")
    progress.compile_started("batch_norm")
    progress.compile_started("relu")
    progress.layer_started(2, "fc")
    progress.finish()
    assert out.getvalue() == ("  compiling kernels: before the first layer\n"
                              "  compiling kernels: layer 2/3 bn1\n")


def _fake_compile():
    """What Numba announces when it compiles a kernel (nothing is compiled here)."""
    with event.trigger_event("numba:compile", data={"dispatcher": elementwise.clamp}):
        time.sleep(0.2)             # long enough for the notice, were it not suppressed


def test_demo_says_compiling_only_for_the_layers_that_compiled(monkeypatch, caplog):
    _demo.run(_quick_args(), stream=io.StringIO())    # every kernel is now in memory
    forward = nn.MaxPool2d.forward

    calls = []

    def compiling_forward(self, *args):
        if not calls:                             # a kernel compiles on its first call
            _fake_compile()
        calls.append(1)
        return forward(self, *args)

    monkeypatch.setattr(nn.MaxPool2d, "forward", compiling_forward)
    monkeypatch.setattr(_compile_notice, "NOTICE_AFTER", 0.0)
    monkeypatch.setattr(_compile_notice, "_announced", set())
    out = io.StringIO()
    with caplog.at_level("WARNING", logger="fastnn"):
        _demo.run(_quick_args(), stream=out)
    lines = out.getvalue().splitlines()
    assert [line for line in lines if "compiling" in line] == [
        "  compiling kernels: layer 4/52 maxpool"]   # torchvision's ResNet-18: 52 leaf modules
    assert any(line.startswith("first batch (compiled 1 kernel): ") for line in lines)
    assert "\r" not in out.getvalue()
    assert caplog.records == []                   # the demo reports, not the logger
    with caplog.at_level("WARNING", logger="fastnn"):
        _fake_compile()                           # outside the demo the logger speaks
    assert [r.getMessage() for r in caplog.records] == [
        "fastnn: compiling clamp kernel for the first use, cached afterwards"]


def test_demo_on_a_terminal_with_everything_loaded_says_loading():
    _demo.run(_quick_args(), stream=io.StringIO())
    out = Terminal()
    _demo.run(_quick_args(), stream=out)
    text = out.getvalue()
    assert "\r  loading kernels: layer 1/52 conv1" in text
    assert "compiling" not in text
    assert "first batch (kernels loaded, nothing compiled): " in text


def test_demo_in_a_new_process_loads_the_cached_kernels(run_python):
    main(QUICK)                                   # this process compiled or loaded them
    result = run_python("import sys\nfrom fastnn.__main__ import main\n"
                        f"sys.exit(main({QUICK!r}))", timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "compiling" not in result.stdout + result.stderr
    assert "\r" not in result.stdout
    assert "first batch (kernels loaded, nothing compiled): " in result.stdout


def test_demo_output_names_no_directory_of_the_machine(capsys):
    """The demo's output is pasted into READMEs and issues: no path of the machine in it."""
    from fastnn import _info
    assert main(QUICK) == 0
    out = capsys.readouterr().out
    assert _info.kernel_cache_dir() not in out
    assert not re.search(r"(^|\s)/\w", out)            # no absolute path at all
