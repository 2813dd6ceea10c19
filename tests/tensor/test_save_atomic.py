"""fastnn.save to a path writes a temporary file beside it and renames it over the path
once complete: a failed save leaves no partial file and an earlier file unchanged."""
import io
import os
import stat

import numpy as np
import pytest

import fastnn
from fastnn import _pt_writer

FAILING = {"a": np.ones(3, np.float32), "b": np.zeros((2, 2)), "bad": object()}


def _folder_listing(path):
    return sorted(os.listdir(path))


@pytest.mark.parametrize("name", ["model.pt", "model.pth", "weights.bin"])
def test_an_unsupported_value_after_some_tensors_leaves_no_file(tmp_path, name):
    with pytest.raises(TypeError, match="cannot store an object of type object"):
        fastnn.save(FAILING, tmp_path / name)
    assert _folder_listing(tmp_path) == []


@pytest.mark.parametrize("name, bad", [("w.npz", {"a": np.ones(2), "b": object()}),
                                       ("w.pt", FAILING)])
def test_a_failed_save_leaves_an_earlier_file_unchanged(tmp_path, name, bad):
    path = tmp_path / name
    fastnn.save({"a": np.arange(4.0)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        fastnn.save(bad, path)
    assert path.read_bytes() == before
    assert _folder_listing(tmp_path) == [name]
    assert np.array_equal(fastnn.load(path)["a"], np.arange(4.0))


def test_a_failure_after_bytes_were_written_removes_them(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    path.write_bytes(b"earlier")
    real = _pt_writer._aligned_info
    calls = []

    def fail_on_the_fourth_record(*args):
        calls.append(args)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return real(*args)

    monkeypatch.setattr(_pt_writer, "_aligned_info", fail_on_the_fourth_record)
    with pytest.raises(OSError, match="No space left"):
        fastnn.save({"w": np.ones(1000, np.float32)}, path)
    assert len(calls) == 4                       # three records had been written
    assert path.read_bytes() == b"earlier"
    assert _folder_listing(tmp_path) == ["m.pt"]


def test_an_interrupted_save_removes_its_temporary_file(tmp_path, monkeypatch):
    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(_pt_writer, "_aligned_info", interrupt)
    with pytest.raises(KeyboardInterrupt):
        fastnn.save({"w": np.ones(3)}, tmp_path / "m.pt")
    assert _folder_listing(tmp_path) == []


def test_a_successful_save_replaces_the_file_with_the_usual_permissions(tmp_path):
    path = tmp_path / "m.pt"
    fastnn.save({"w": np.ones(3)}, path)
    fastnn.save({"w": np.zeros(3)}, str(path))
    assert np.array_equal(fastnn.load(path)["w"], np.zeros(3))
    assert _folder_listing(tmp_path) == ["m.pt"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_a_save_through_a_symlink_writes_the_target(tmp_path):
    target = tmp_path / "real.pt"
    fastnn.save({"w": np.ones(3)}, target)
    link = tmp_path / "link.pt"
    link.symlink_to(target)
    fastnn.save({"w": np.full(3, 2.0)}, link)
    assert link.is_symlink()
    assert np.array_equal(fastnn.load(target)["w"], np.full(3, 2.0))


def test_a_file_object_gets_the_error(tmp_path):
    buffer = io.BytesIO()
    with pytest.raises(TypeError, match="cannot store an object of type object"):
        fastnn.save(FAILING, buffer)
