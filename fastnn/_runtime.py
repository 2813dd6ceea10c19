"""Threads and kernel launches.

Numba's default `workqueue` threading layer aborts the process when two Python threads
launch parallel kernels at once, so fastnn asks for a thread-safe layer (tbb, then omp).
Where neither can be loaded, every kernel launch is serialised by a lock instead.

`numba.set_num_threads` is per calling thread, so the count chosen with
`fastnn.set_num_threads` is kept here and applied in whichever thread launches a kernel.
"""
import contextlib
import os
import threading

import numba

_SAFE_LAYERS = ("tbb", "omp")

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "threadsafe"

_num_threads = None            # None: Numba's default (all cores)
_serialise = None              # decided on the first launch
_launch_lock = threading.Lock()


def _layer_is_threadsafe():
    """True when a thread-safe layer can be loaded; otherwise fall back to workqueue."""
    global _serialise
    if _serialise is None:
        try:
            numba.get_num_threads()   # loads the layer chosen by NUMBA's config
            _serialise = threading_layer() not in _SAFE_LAYERS
        except ValueError:            # "No threading layer could be loaded"
            numba.config.THREADING_LAYER = "workqueue"
            numba.get_num_threads()
            _serialise = True
    return not _serialise


def threading_layer():
    """Name of the Numba threading layer in use (loads it if needed)."""
    numba.get_num_threads()
    return numba.threading_layer()


def set_num_threads(n):
    """Set the number of threads fastnn's kernels use, like ``torch.set_num_threads``."""
    global _num_threads
    # torch raises RuntimeError for both a wrong type and a non-positive count
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    n = min(n, numba.config.NUMBA_NUM_THREADS)
    _layer_is_threadsafe()
    numba.set_num_threads(n)
    _num_threads = n


def get_num_threads():
    """Number of threads fastnn's kernels use."""
    if _num_threads is not None:
        return _num_threads
    return numba.config.NUMBA_NUM_THREADS


def launch(kernel, *args):
    """Run a parallel kernel with the chosen thread count, serialised if the layer needs it."""
    safe = _layer_is_threadsafe()
    if _num_threads is not None and numba.get_num_threads() != _num_threads:
        numba.set_num_threads(_num_threads)
    with contextlib.nullcontext() if safe else _launch_lock:
        return kernel(*args)
