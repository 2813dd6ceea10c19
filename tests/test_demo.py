"""`python -m fastnn demo` on quick settings."""
import subprocess
import sys

import pytest

import fastnn
from fastnn.__main__ import main

QUICK = ["demo", "--batch-size", "2", "--image-size", "64", "--iterations", "2"]


def test_demo_prints_layer_table_and_throughput(capsys):
    assert main(QUICK) == 0
    out = capsys.readouterr().out
    assert "ResNet-18, seeded random weights (seed 0)" in out
    assert "compiling kernels: layer 1/" in out
    assert "reuse the compiled kernels cached in" in out
    for row in ("conv1 ", "layers.0.0.conv1", "layers.3.1.bn2", "avgpool", "fc ",
                "(between layers)"):
        assert row in out
    assert "(2, 64, 16, 16)" in out          # the stem's output shape at 64x64
    assert "images/s" in out


def test_demo_loads_weights(tmp_path, capsys):
    from fastnn.examples import resnet
    fastnn.manual_seed(3)
    path = tmp_path / "resnet18.pt"
    fastnn.save(resnet.build().state_dict(), path)
    assert main(QUICK + ["--weights", str(path)]) == 0
    assert f"ResNet-18, {path}" in capsys.readouterr().out


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
