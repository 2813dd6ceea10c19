"""The generated register tiles (kernels/tiles_*.py) are what tools/gen_tiles.py makes."""
import importlib.util
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
GEN = ROOT / "tools" / "gen_tiles.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_tiles", GEN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_files_are_fresh():
    done = subprocess.run([sys.executable, str(GEN), "--check"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_stale_file_is_reported(tmp_path, monkeypatch, capsys):
    gen = _generator()
    stale = tmp_path / "tiles_blocked.py"
    stale.write_text(gen.blocked_module().replace("def tile_", "def stale_tile_", 1))
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    monkeypatch.setattr(gen, "GENERATED", {"tiles_blocked.py": gen.blocked_module})
    assert gen.main(["--check"]) == 1
    assert "tiles_blocked.py" in capsys.readouterr().out
    assert gen.main([]) == 0 and gen.main(["--check"]) == 0


def test_every_shape_a_target_picks_is_generated():
    from fastnn.kernels import _shapes, tiles_blocked, tiles_grouped, tiles_pointwise
    for bits in _shapes.BITS:
        for size in _shapes.ITEMSIZES:
            assert _shapes.blocked_shape(bits, size) in tiles_blocked.TILES
            channels, runs = _shapes.pointwise_shape(bits, size)
            assert (channels, runs) in tiles_pointwise.TILES
            assert (channels, 1) in tiles_pointwise.TILES
            for stride in _shapes.GROUPED_ROW_STRIDES:
                assert _shapes.grouped_shape(bits, size) + (stride,) in tiles_grouped.TILES
