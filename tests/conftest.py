"""Shared fixtures. Torch is the oracle where installed; tests that need it take the
`torch` fixture (skipped without torch), so the torch-free tests still run.

Hypothesis profiles: `ci` (default, small) and `thorough` (by hand), chosen with
``HYPOTHESIS_PROFILE=thorough python -m pytest tests/functional/test_hostile.py``.
"""
import collections
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import pytest

try:
    from hypothesis import HealthCheck, settings
except ImportError:             # hypothesis is a test extra; its tests skip without it
    settings = None
else:
    _quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True,
                              suppress_health_check=_quiet, print_blob=True)
    settings.register_profile("thorough", max_examples=1000, deadline=None,
                              suppress_health_check=_quiet, print_blob=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Variant decisions measured on a machine (fastnn._tuning) must neither leak into the suite
# from a developer's earlier runs nor out of it: this run keeps them in a fresh directory
# (subprocesses inherit it), and no op is measured on first use unless a test turns it on,
# so every choice is the rule's (deterministic) unless a test asks otherwise.
_TUNING_DIR = tempfile.mkdtemp(prefix="fastnn-tuning-")
os.environ["FASTNN_TUNING_DIR"] = _TUNING_DIR
os.environ["FASTNN_TUNE_ON_FIRST_USE"] = "0"


_CODEGEN_DIR = tempfile.mkdtemp(prefix="fastnn-codegen-")
_codegen = []


# The sweeps over the op catalogue (tests/op_catalogue) would all walk it in its own order:
# two of them running at once under pytest-xdist compiled each op's kernels twice, side by
# side (a cold run showed the same first-use compile in two files). Each walks it in an
# order of its own, fixed by its name (every worker must collect the same order), so the
# second to reach an op mostly finds its kernels in the shared cache.
CATALOGUE_SWEEPS = ("test_hostile_layouts.py", "test_nonfinite.py", "test_memory_catalogue.py",
                    "test_hostile_catalogue.py", "test_grad_catalogue.py")


def pytest_collection_modifyitems(config, items):
    """Each catalogue sweep in an order of its own (above). Under pytest-xdist, the
    codegen probes' tests go first: the worker that takes them waits on the probes
    (compiling in a subprocess) while the other works, instead of the run's last minutes
    waiting on them alone."""
    places = collections.defaultdict(list)
    for i, item in enumerate(items):
        if item.path.name in CATALOGUE_SWEEPS:
            places[item.path.name].append(i)
    for name, at in places.items():
        chosen = [items[i] for i in at]
        random.Random(zlib.crc32(name.encode())).shuffle(chosen)
        for i, item in zip(at, chosen):
            items[i] = item
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: "runtime/test_codegen.py" not in item.nodeid)


def pytest_collection_finish(session):
    """Start the codegen probes (tests/runtime/test_codegen.py) in the background as soon
    as one of their tests is collected: they compile for other CPUs in subprocesses, on
    the core the rest of the suite leaves idle. Under pytest-xdist (``-n``) every core
    has a worker: the worker that runs them starts them when their fixture asks."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    for item in session.items:
        if item.module.__name__.endswith("test_codegen") and hasattr(item.module,
                                                                     "start_probes"):
            item.module.start_probes(_CODEGEN_DIR)
            _codegen.append(item.module)
            break


def pytest_unconfigure(config):
    for module in _codegen:
        module.stop_probes()
    shutil.rmtree(_CODEGEN_DIR, ignore_errors=True)
    shutil.rmtree(_TUNING_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _forget_tuned_decisions():
    """Decisions a test measured (benchmark on) do not outlive it."""
    yield
    tuning = sys.modules.get("fastnn._tuning")
    if tuning is not None and (tuning._loaded or tuning._unsaved):
        tuning.forget()


@pytest.fixture(scope="session")
def torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    return torch


@pytest.fixture
def rng():
    """A freshly seeded numpy Generator for building test data."""
    return np.random.default_rng(0)


@pytest.fixture
def launched(monkeypatch):
    """The kernels `fastnn._runtime.launch` runs during the test, in order."""
    from fastnn import _runtime
    kernels = []
    launch = _runtime.launch

    def spy(kernel, *args, **kwargs):
        kernels.append(kernel)
        return launch(kernel, *args, **kwargs)
    monkeypatch.setattr(_runtime, "launch", spy)
    return kernels


@pytest.fixture
def run_python(tmp_path):
    """Run Python code in a fresh interpreter (a crash or hang there cannot take pytest down).

    ``run_python(code, env={...}, timeout=s, cwd=dir)`` returns the CompletedProcess;
    an env value of None removes that variable. A timeout fails the test.
    """
    def run(code, env=None, timeout=120, cwd=None, args=()):
        full_env = dict(os.environ)
        full_env.pop("NUMBA_THREADING_LAYER", None)
        for name, value in (env or {}).items():
            if value is None:
                full_env.pop(name, None)
            else:
                full_env[name] = value
        script = tmp_path / f"script_{len(list(tmp_path.glob('script_*.py')))}.py"
        script.write_text(code)
        try:
            return subprocess.run([sys.executable, str(script), *args], env=full_env,
                                  cwd=cwd or os.getcwd(), capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as expired:
            pytest.fail(f"subprocess hung for {timeout} s; output so far:\n"
                        f"{expired.stdout}\n{expired.stderr}")
    return run


@pytest.fixture(scope="session")
def needs_tbb():
    """Skip unless Numba can load its tbb layer (the `tbb` package, a test extra)."""
    code = "import numba; numba.get_num_threads(); print(numba.threading_layer())"
    env = dict(os.environ, NUMBA_THREADING_LAYER="tbb")
    found = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, timeout=120)
    if found.returncode != 0:
        pytest.skip("Numba's tbb layer cannot be loaded (pip install tbb)")


# Counts of the hostile cases tried, by test and by outcome, printed after the run.
_CASE_COUNTS = collections.Counter()


@pytest.fixture(scope="session")
def case_counts():
    return _CASE_COUNTS


def pytest_terminal_summary(terminalreporter):
    if not _CASE_COUNTS:
        return
    terminalreporter.section("hostile cases tried")
    tests = sorted({test for test, _ in _CASE_COUNTS})
    for test in tests:
        outcomes = {outcome: n for (t, outcome), n in _CASE_COUNTS.items() if t == test}
        detail = ", ".join(f"{outcome} {n}" for outcome, n in sorted(outcomes.items()))
        terminalreporter.write_line(f"{test}: {sum(outcomes.values())} ({detail})")
    terminalreporter.write_line(f"total: {sum(_CASE_COUNTS.values())}")
