"""Inference in multiprocessing pools (fork, spawn, forkserver) under each threading layer.

GNU OpenMP is not fork-safe: Numba terminates a forked child that runs a parallel region
after the parent loaded it, and a fork pool then waits forever for the lost task. fastnn
runs kernels serially in such a child (`fastnn._runtime`); tbb and workqueue children stay
parallel. Every pool runs in a subprocess with a timeout, so a hang fails the test.
"""
import pickle

import numpy as np
import pytest

import fastnn
from fastnn.examples import lenet

POOL = r'''
import multiprocessing as mp
import pickle
import sys
import warnings
import numpy as np
import fastnn
import fastnn.nn.functional as F
from fastnn.examples import lenet

rng = np.random.default_rng(0)
IMAGES = rng.standard_normal((4, 2, 1, 32, 32)).astype(np.float32)

def infer(job):
    model_bytes, images = job
    model = pickle.loads(model_bytes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = np.asarray(model(images))
    serial_warned = any("forked after GNU OpenMP" in str(w.message) for w in caught)
    return out, serial_warned

if __name__ == "__main__":
    method, layer_expected = sys.argv[1], sys.argv[2]
    fastnn.manual_seed(0)
    model = lenet.build().eval()
    expected = [np.asarray(model(x)) for x in IMAGES]     # the parent runs kernels first,
    F.relu(np.zeros(1 << 20, np.float32))    # a parallel one too (small work runs serially)
    from fastnn import _runtime
    layer = _runtime.threading_layer()
    assert layer_expected in ("any", layer), layer
    jobs = [(pickle.dumps(model), x) for x in IMAGES]
    with mp.get_context(method).Pool(2) as pool:
        results = pool.map_async(infer, jobs).get(timeout=240)
    ok = all(np.allclose(got, want, rtol=1e-5, atol=1e-6)
             for (got, _), want in zip(results, expected))
    print(layer, ok, any(warned for _, warned in results))
'''


@pytest.mark.parametrize("method, layer, serial_in_child", [
    ("fork", "tbb", False),
    ("spawn", "tbb", False),
    ("fork", "workqueue", False),
    ("fork", "omp", True),         # GNU OpenMP: the children run kernels serially
    ("spawn", "omp", False),
    ("forkserver", "omp", False),
])
def test_pool_inference(run_python, request, method, layer, serial_in_child):
    if layer == "tbb":
        request.getfixturevalue("needs_tbb")
    result = run_python(POOL, env={"NUMBA_THREADING_LAYER": layer}, timeout=420,
                        args=(method, layer))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == [layer, "True", str(serial_in_child)]


def test_default_layer_is_fork_safe(run_python):
    result = run_python(POOL, timeout=420, args=("fork", "any"))
    assert result.returncode == 0, result.stderr[-3000:]
    layer, ok, serial = result.stdout.split()
    assert ok == "True"
    assert serial == str(layer == "omp")


def test_forked_child_under_gnu_openmp_is_serial_without_pool(run_python):
    # a bare os.fork child: Numba alone would SIGTERM it (-15); fastnn's child finishes
    code = r'''
import os
import numpy as np
import fastnn.nn.functional as F
from fastnn import _info, _runtime
x = np.arange(1 << 20, dtype=np.float32).reshape(4, 64, 64, 64)   # parallel work
want = np.asarray(F.max_pool2d(x, 2))
print("parent", _info.fork_behaviour().split()[0])
pid = os.fork()
if pid == 0:
    got = np.asarray(F.max_pool2d(x, 2))
    print("child", _runtime.forked_serial(), np.array_equal(got, want), flush=True)
    os._exit(0)
print("status", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
'''
    result = run_python(code, env={"NUMBA_THREADING_LAYER": "omp"}, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["parent", "forked", "child", "True", "True",
                                     "status", "0"]


@pytest.mark.parametrize("build", [
    lambda: lenet.build(),
    lambda: fastnn.nn.Sequential(fastnn.nn.Conv1d(2, 3, 3), fastnn.nn.BatchNorm1d(3),
                                 fastnn.nn.ReLU(), fastnn.nn.AdaptiveMaxPool1d(2),
                                 fastnn.nn.Flatten(), fastnn.nn.Dropout(0.3),
                                 fastnn.nn.Linear(6, 4), fastnn.nn.Softmax(dim=1)),
])
def test_modules_pickle_round_trip(build):
    fastnn.manual_seed(0)
    model = build().eval()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 1, 32, 32) if isinstance(model, lenet.LeNet) else (2, 2, 9))
    x = x.astype(np.float32)
    clone = pickle.loads(pickle.dumps(model))
    assert repr(clone) == repr(model)
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(model(x)))
    for (name, p), (name2, p2) in zip(model.state_dict().items(),
                                       clone.state_dict().items()):
        assert name == name2
        np.testing.assert_array_equal(p, p2)
