"""Kernels called from 8 Python threads at once: right answers and no crash, under each
threading layer (tbb, omp, workqueue behind fastnn's lock, and the lock fallback when no
thread-safe layer loads), with `python -m fastnn info` naming the layer in each case."""
import subprocess
import sys
import threading

import numpy as np
import pytest

N_THREADS = 8
ROUNDS = 25
N_CALLS = 12          # the calls of build_calls

# One workload, run in this process and in subprocesses under each threading layer.
WORKLOAD = r'''
import threading
import numpy as np
import fastnn
import fastnn.nn.functional as F
from fastnn.examples import lenet

def build_calls():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 12, 12)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    feats = rng.standard_normal((7, 20))
    lw = rng.standard_normal((6, 20))
    mean, var = rng.standard_normal(3), rng.random(3) + 0.5
    fastnn.manual_seed(0)
    net = lenet.build().eval()
    image = rng.standard_normal((2, 1, 32, 32)).astype(np.float32)
    # large enough for parallel launches (small work runs serially on the calling thread)
    big_x = rng.standard_normal((2, 16, 32, 32)).astype(np.float32)
    big_w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    big_relu = np.repeat(big_x, 16, axis=0)        # 2**19 elements
    return [
        lambda: F.conv2d(big_x, big_w, padding=1),
        lambda: F.relu(big_relu),
        lambda: F.conv2d(x, w, b, padding=1),
        lambda: F.conv2d(x, w[:3, :1], groups=3, stride=2),
        lambda: F.max_pool2d(x, 3, 2, 1),
        lambda: F.avg_pool2d(x, 2),
        lambda: F.adaptive_avg_pool2d(x, 5),
        lambda: F.linear(feats, lw),
        lambda: F.batch_norm(x.astype(np.float64), mean, var),
        lambda: F.relu(x),
        lambda: F.softmax(feats, dim=1),
        lambda: net(image),
    ]

def hammer(n_threads, rounds):
    """Every call from n_threads threads at once, each checked against a serial result."""
    calls = build_calls()
    expected = [np.array(call()) for call in calls]
    start = threading.Barrier(n_threads)
    failures, done = [], []

    def worker():
        start.wait()
        for _ in range(rounds):
            for call, want in zip(calls, expected):
                got = np.asarray(call())
                if not np.allclose(got, want, rtol=1e-5, atol=1e-6):
                    failures.append(float(np.max(np.abs(got - want))))
                done.append(1)

    threads = [threading.Thread(target=worker) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(done), failures
'''

RUN = WORKLOAD + r'''
from fastnn import _runtime
calls, failures = hammer(8, 25)
print("layer", _runtime.threading_layer(), "serialised", not _runtime._layer_is_threadsafe(),
      "calls", calls, "failures", len(failures))
'''

# Hide tbb and omp from Numba: "No threading layer could be loaded" -> fastnn's fallback.
NO_SAFE_LAYER = r'''
import sys
sys.modules["numba.np.ufunc.tbbpool"] = None
sys.modules["numba.np.ufunc.omppool"] = None
'''


def _layer_line(run_python, env, prelude=""):
    code = prelude + "import sys\nfrom fastnn.__main__ import main\nsys.exit(main(['info']))\n"
    info = run_python(code, env=env)
    assert info.returncode == 0, info.stderr
    fields = dict(line.split(None, 1) if "  " not in line else
                  [part.strip() for part in line.split("  ", 1)]
                  for line in info.stdout.splitlines())
    return fields["threading layer"], fields["serialised launches"]


def test_eight_threads_in_this_process():
    namespace = {}
    exec(compile(WORKLOAD, "workload", "exec"), namespace)
    calls, failures = namespace["hammer"](N_THREADS, ROUNDS)
    assert failures == []
    assert calls == N_THREADS * ROUNDS * N_CALLS


@pytest.mark.parametrize("layer, serialised", [
    (None, False),           # fastnn's choice: a thread-safe layer
    ("tbb", False),
    ("omp", False),
    ("workqueue", True),     # not thread-safe: fastnn's lock serialises the launches
])
def test_eight_threads_under_each_layer(run_python, request, layer, serialised):
    if layer == "tbb":
        request.getfixturevalue("needs_tbb")
    result = run_python(RUN, env={"NUMBA_THREADING_LAYER": layer}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    words = result.stdout.split()
    report = dict(zip(words[::2], words[1::2]))
    if layer is not None:
        assert report["layer"] == layer
    else:
        assert report["layer"] in ("tbb", "omp")
    assert report["serialised"] == str(serialised)
    assert report["calls"] == str(N_THREADS * ROUNDS * N_CALLS)
    assert report["failures"] == "0"
    shown_layer, shown_serialised = _layer_line(run_python, {"NUMBA_THREADING_LAYER": layer})
    assert shown_layer == report["layer"]
    assert shown_serialised.startswith("yes" if serialised else "no")


def test_lock_fallback_when_no_thread_safe_layer_loads(run_python):
    result = run_python(NO_SAFE_LAYER + RUN, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["layer", "workqueue", "serialised", "True", "calls",
                                     str(N_THREADS * ROUNDS * N_CALLS), "failures", "0"]
    assert _layer_line(run_python, {}, NO_SAFE_LAYER) == (
        "workqueue", "yes (no thread-safe layer)")


def test_the_lock_is_what_keeps_workqueue_alive(run_python):
    # the negative control: without fastnn's lock, concurrent launches kill the process
    unlocked = RUN.replace("from fastnn import _runtime\n", (
        "from fastnn import _runtime\n"
        "_runtime._layer_is_threadsafe()\n"
        "_runtime._serialise = False\n"))
    result = run_python(unlocked, env={"NUMBA_THREADING_LAYER": "workqueue"}, timeout=300)
    assert result.returncode != 0
    assert "Concurrent access has been detected" in result.stderr


def test_one_thread_holds_in_every_python_thread():
    # numba's thread count is per calling thread (a new Python thread gets the default):
    # fastnn applies its own count in whichever thread launches a kernel
    import fastnn
    from fastnn import _runtime
    from numba import get_thread_id, njit, prange

    @njit(parallel=True)
    def thread_ids(out):
        for i in prange(out.size):
            out[i] = get_thread_id()

    before = fastnn.get_num_threads()
    fastnn.set_num_threads(1)
    outs = [np.full(4096, -1, np.int64) for _ in range(N_THREADS)]
    try:
        threads = [threading.Thread(target=_runtime.launch, args=(thread_ids, out))
                   for out in outs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        fastnn.set_num_threads(before)
    assert all((out == 0).all() for out in outs)


def test_info_command_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "fastnn", "info"], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert "threading layer" in out and "fork" in out
