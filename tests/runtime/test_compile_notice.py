"""A kernel that compiles for long says so once on stderr, through the `fastnn` logger;
a warm cache (kernels loaded, not compiled) says nothing. Each test runs fresh interpreters
on an empty NUMBA_CACHE_DIR."""
import pytest

NOTICE = "fastnn: compiling {} kernel for the first use, cached afterwards"

# max_pool2d's separable kernel compiles for several seconds: over the default threshold.
POOL = r'''
import numpy as np
import fastnn.nn.functional as F
from fastnn import _compile_notice
x = np.arange(2 * 3 * 8 * 8, dtype=np.float32).reshape(2, 3, 8, 8)
F.max_pool2d(x, 2)
F.max_pool2d(x + 1, 2)
print(_compile_notice.compilations())
'''

# relu compiles in well under a second: the threshold is lowered to see its notice.
RELU = r'''
import logging
import numba
import numpy as np
import fastnn.nn.functional as F
from fastnn import _compile_notice
_compile_notice.NOTICE_AFTER = 0.0
SETUP
numba.njit(lambda v: v + 1)(1)      # the user's own jitted code is not fastnn's to announce
x = np.linspace(-1, 1, 12, dtype=np.float32)
F.relu(x)
F.relu(x.astype(np.float64))        # a second compilation of the same op: no second notice
F.relu(x)
print(_compile_notice.compilations())
'''


def _run(run_python, code, cache):
    result = run_python(code, env={"NUMBA_CACHE_DIR": str(cache)}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return int(result.stdout.split()[-1]), result.stderr


def test_a_long_first_compile_says_so_once_and_a_warm_cache_does_not(run_python, tmp_path):
    compiled, stderr = _run(run_python, POOL, tmp_path)
    assert compiled >= 1
    assert stderr.count(NOTICE.format("max_pool2d (separable)")) == 1, stderr
    assert stderr.count("compiling") == 1, stderr
    compiled, stderr = _run(run_python, POOL, tmp_path)   # loads from the cache: time
    assert compiled == 0                                   # passes, nothing compiles
    assert "compiling" not in stderr, stderr


def test_the_notice_is_logged_once_per_op(run_python, tmp_path):
    compiled, stderr = _run(run_python, RELU.replace("SETUP", ""), tmp_path)
    assert compiled == 2                                   # float32 and float64
    assert stderr.strip() == NOTICE.format("relu")         # lastResort: the bare message


def test_a_silenced_logger_says_nothing(run_python, tmp_path):
    silence = 'logging.getLogger("fastnn").setLevel(logging.ERROR)'
    compiled, stderr = _run(run_python, RELU.replace("SETUP", silence), tmp_path)
    assert compiled == 2
    assert stderr == ""


def test_configured_logging_receives_the_notice(run_python, tmp_path):
    configure = 'logging.basicConfig(format="LOG %(levelname)s %(name)s: %(message)s")'
    _, stderr = _run(run_python, RELU.replace("SETUP", configure), tmp_path)
    assert stderr.strip() == "LOG WARNING fastnn: " + NOTICE.format("relu")


def test_fastnn_installs_no_logging_handler():
    import logging

    import fastnn  # noqa: F401
    assert logging.getLogger("fastnn").handlers == []


@pytest.mark.parametrize("label, frames", [
    ("conv2d (blocked)", "door"), ("relu", "functional"), ("clamp", "none")])
def test_the_label_names_the_op_from_the_compiling_frames(monkeypatch, label, frames):
    import numpy as np

    import fastnn.nn.functional as F
    from fastnn import _compile_notice, backends
    from fastnn._registry import OPS
    from fastnn.kernels import elementwise

    seen = []

    def look(*args, **kwargs):     # stands where a kernel would start compiling
        seen.append(_compile_notice.op_label(elementwise.clamp))

    x = np.ones((1, 16, 4, 4), np.float32)
    if frames == "door":
        variants = OPS["conv2d"].variants
        blocked = variants["blocked"]
        monkeypatch.setitem(variants, "blocked", type(blocked)("blocked", look, blocked.applies))
        with backends.use("conv2d", "blocked"):
            F.conv2d(x, np.ones((32, 16, 3, 3), np.float32))
    elif frames == "functional":
        monkeypatch.setitem(F.relu.__globals__, "launch", look)
        F.relu(x)
    else:
        look()
    assert seen == [label]


def test_a_user_function_without_a_module_compiles():
    """A function made by exec has no __module__ (None): compiling it with fastnn imported
    (whose listener sees every compilation) once raised AttributeError."""
    import numba

    import fastnn  # noqa: F401
    scope = {}
    exec("def add_one(v):\n    return v + 1\n", scope)
    assert scope["add_one"].__module__ is None
    assert numba.njit(scope["add_one"])(1) == 2
