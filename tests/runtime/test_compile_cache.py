"""The kernels' compile cache: NUMBA_CACHE_DIR honoured, a read-only install falling back
to the user-wide cache, two processes compiling at once, corrupt cache files recompiled.

Each test compiles one kernel quick to compile (relu's clamp) in fresh subprocesses."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fastnn
import fastnn.kernels

SOURCE = Path(fastnn.__file__).resolve().parent
KERNELS = Path(fastnn.kernels.__file__).resolve().parent

COMPILE_ONCE = r'''
import warnings
import numpy as np
import fastnn.nn.functional as F
from fastnn._info import kernel_cache_dir
x = np.arange(2 * 3 * 8 * 8, dtype=np.float32).reshape(2, 3, 8, 8)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    total = float(np.asarray(F.relu(x - 100)).sum())
recompiled = any("could not be read" in str(w.message) for w in caught)
print(total, recompiled, kernel_cache_dir())
'''
EXPECTED_TOTAL = "40186.0"


def _cache_files(root):
    return sorted(p for p in Path(root).rglob("*") if p.suffix in (".nbi", ".nbc"))


def _run(run_python, cache_dir, **kwargs):
    result = run_python(COMPILE_ONCE, env={"NUMBA_CACHE_DIR": str(cache_dir)}, **kwargs)
    assert result.returncode == 0, result.stderr[-3000:]
    total, recompiled, where = result.stdout.split(None, 2)
    assert total == EXPECTED_TOTAL
    return recompiled == "True", where.strip()


def test_numba_cache_dir_is_honoured(run_python, tmp_path):
    cache = tmp_path / "cache"
    recompiled, where = _run(run_python, cache)
    assert not recompiled
    assert where.startswith(str(cache))
    files = _cache_files(cache)
    assert any(p.name.startswith("elementwise.clamp") and p.suffix == ".nbi" for p in files)
    assert any(p.suffix == ".nbc" for p in files)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_cache_files_are_recompiled(run_python, tmp_path, damage):
    cache = tmp_path / "cache"
    _run(run_python, cache)
    files = _cache_files(cache)
    assert files
    for path in files:
        # 0xff opens no pickle: about 3 in 10,000 random 200-byte strings load as one,
        # which Numba takes for another version's index and silently recompiles
        path.write_bytes(b"\xff" + os.urandom(199) if damage == "garbage" else b"")
    recompiled, _ = _run(run_python, cache)
    assert recompiled
    # the cache was rewritten: the next process loads it without complaint
    recompiled, _ = _run(run_python, cache)
    assert not recompiled


def test_two_processes_compiling_at_once(tmp_path):
    cache = tmp_path / "cache"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    env.pop("NUMBA_THREADING_LAYER", None)
    script = tmp_path / "pool_once.py"
    script.write_text(COMPILE_ONCE)
    procs = [subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        outputs = [proc.communicate(timeout=300) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err[-3000:]
        assert out.split()[:2] == [EXPECTED_TOTAL, "False"]
    assert _cache_files(cache)


def _unshare_works():
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind / / && true"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _unshare_works(),
                    reason="needs `unshare -m` and mount rights to make a read-only bind")
def test_read_only_install_falls_back_to_user_cache(tmp_path):
    # an installed layout (fastnn/ with fastnn/kernels/) on a read-only bind mount
    site = tmp_path / "site"
    ignore = shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc")
    shutil.copytree(SOURCE, site / "fastnn", ignore=ignore)
    shutil.copytree(KERNELS, site / "fastnn" / "kernels", ignore=ignore)
    shutil.copytree(SOURCE.parent / "examples", site / "fastnn" / "examples", ignore=ignore)
    (tmp_path / "script.py").write_text(
        COMPILE_ONCE + "import fastnn; print(fastnn.__file__)\n")
    work = tmp_path / "work"
    work.mkdir()
    xdg = tmp_path / "xdg"
    env = dict(os.environ, PYTHONPATH=str(site), XDG_CACHE_HOME=str(xdg),
               PYTHONDONTWRITEBYTECODE="1")
    for name in ("NUMBA_CACHE_DIR", "NUMBA_THREADING_LAYER"):
        env.pop(name, None)
    command = (f"mount --bind {site} {site} && mount -o remount,bind,ro {site} && "
               f"! touch {site}/fastnn/kernels/probe 2>/dev/null && "
               f"{sys.executable} {tmp_path / 'script.py'}")
    result = subprocess.run(["unshare", "-m", "sh", "-c", command], env=env, cwd=work,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    total, recompiled, where, module_file = result.stdout.split()
    assert module_file.startswith(str(site))          # the read-only copy ran
    assert total == EXPECTED_TOTAL and recompiled == "False"
    assert where.startswith(str(xdg / "numba"))
    assert _cache_files(xdg)
    assert not _cache_files(site)


# A package of two cached kernels, one inlining the other: after an edit of only the
# callee's file, the caller must not be loaded from the cache compiled against the old one.
CALLEE = '''from fastnn.kernels._target import njit


@njit(cache=True)
def value():
    return {}
'''
CALLER = '''from fastnn.kernels._target import njit
from .callee import value


@njit(cache=True)
def doubled():
    return 2 * value()
'''
CALL_CALLER = "import stale_package.caller as caller; print(caller.doubled())"


def test_a_kernel_is_recompiled_when_a_module_it_calls_changes(run_python, tmp_path):
    package = tmp_path / "stale_package"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "caller.py").write_text(CALLER)
    callee = package / "callee.py"
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(tmp_path)}
    outputs = []
    for returned in (1, 3):
        callee.write_text(CALLEE.format(returned))     # the same size: only mtime tells
        os.utime(callee, (1e9 + returned, 1e9 + returned))
        result = run_python(CALL_CALLER, env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        outputs.append(result.stdout.split())
    assert outputs == [["2"], ["6"]]


def test_the_stamp_covers_relative_imports_transitively(tmp_path):
    from fastnn.kernels import _cache_stamp
    files = {"a.py": "from .b import f\nimport os\n",
             "b.py": "from . import (c,\n    d as renamed)  # two\nfrom numpy import e\n",
             "c.py": "", "d.py": "from .a import f\n", "unrelated.py": ""}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    _cache_stamp.stamp.cache_clear()
    _cache_stamp._imported_siblings.cache_clear()
    stamp = _cache_stamp.stamp(str(tmp_path / "a.py"))
    assert [entry[0] for entry in stamp] == ["a.py", "b.py", "c.py", "d.py"]
    os.utime(tmp_path / "c.py", (1e9, 1e9))
    _cache_stamp.stamp.cache_clear()
    assert _cache_stamp.stamp(str(tmp_path / "a.py")) != stamp
    assert _cache_stamp.stamp(str(tmp_path / "missing.py")) is None


def test_a_tiled_kernels_stamp_covers_its_tiles():
    from fastnn.kernels import _cache_stamp
    names = [entry[0] for entry in _cache_stamp.stamp(str(KERNELS / "conv_blocked.py"))]
    for needed in ("conv_blocked.py", "tiles_blocked.py", "_fma_loop.py", "_shapes.py",
                   "_target.py"):
        assert needed in names


def test_the_stamps_are_taken_at_a_kernels_first_compile_not_at_import(run_python):
    result = run_python(
        "import numpy as np\n"
        "import fastnn, fastnn.nn.functional as F\n"
        "from fastnn.kernels import _cache_stamp\n"
        "print(_cache_stamp.stamp.cache_info().currsize)\n"
        "F.relu(np.ones((2, 3, 8, 8), np.float32) - 100)\n"
        "print(_cache_stamp.stamp.cache_info().currsize)\n")
    assert result.returncode == 0, result.stderr[-3000:]
    before, after = (int(n) for n in result.stdout.split())
    assert before == 0 and after >= 1
