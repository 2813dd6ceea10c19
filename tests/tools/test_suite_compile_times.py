"""benchmarks/suite_compile_times.py: the cold run's compile report sums what it should."""
import importlib.util
import pathlib

import pytest

PATH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "suite_compile_times.py"


@pytest.fixture
def tool(monkeypatch):
    spec = importlib.util.spec_from_file_location("suite_compile_times", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "_rows", [])
    return module


F32 = "(Array(float32, 4, 'C', False, aligned=True), int64)"
F32_READ_ONLY = "(Array(float32, 4, 'C', True, aligned=True), int64)"
F64 = "(Array(float64, 4, 'C', False, aligned=True), int64)"


def test_report_sums_each_kind_of_second_compile(tool, capsys):
    rows = [dict(kernel="k.conv", args=F32, depth=0, seconds=10.0),
            dict(kernel="k.conv", args=F32_READ_ONLY, depth=0, seconds=8.0),
            dict(kernel="k.conv", args=F64, depth=0, seconds=6.0),
            dict(kernel="k.conv", args=F32, depth=0, seconds=4.0),        # another worker
            dict(kernel="k.conv_serial", args=F32, depth=0, seconds=3.0),
            dict(kernel="k.tile", args=F32, depth=1, seconds=100.0)]      # inside k.conv
    tool.report(rows, top=10)
    out = capsys.readouterr().out
    assert "5 top-level compiles, 31 s" in out
    assert "    28.0    4  k.conv\n" in out and "k.tile" not in out
    assert "     8.0 s  read-only argument" in out
    assert "     6.0 s  float64" in out
    assert "     4.0 s  same signature again" in out
    assert "     3.0 s  serial twin" in out


def test_record_keeps_real_compiles_and_skips_faked_events(tool):
    from fastnn.kernels import elementwise
    tool.record({"dispatcher": elementwise.clamp, "args": F32}, 1.5, 0)
    tool.record({"dispatcher": elementwise.clamp}, 1.0, 0)       # no args: a test's fake
    tool.record(None, 1.0, 0)
    assert tool._rows == [dict(kernel="fastnn.kernels.elementwise.clamp", args=F32, depth=0,
                               seconds=1.5)]
