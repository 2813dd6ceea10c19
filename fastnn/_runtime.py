"""Threads, processes and kernel launches.

Threads: Numba's default `workqueue` threading layer aborts the process when two Python
threads launch parallel kernels at once, so fastnn asks for a thread-safe layer (tbb, then
omp). Where neither can be loaded, every kernel launch is serialised by a lock instead.

`numba.set_num_threads` is per calling thread, so the count chosen with
`fastnn.set_num_threads` is kept here and applied in whichever thread launches a kernel.

Processes: tbb and workqueue survive `fork`; GNU OpenMP does not. Numba terminates a child
(SIGTERM) that runs a parallel region after its parent loaded GNU OpenMP -- a
`multiprocessing` fork pool would then wait forever for the lost task. A child forked from
such a parent therefore runs each kernel through its serial twin (`serial_twin`, the
same loop compiled with ``parallel=False``): correct, single-threaded. Use the `spawn` or
`forkserver` start method, or install `tbb`, to keep forked workers parallel. (Only there:
a twin runs markedly slower than its parallel kernel on one thread where the loop copies
rows, as in the depthwise and padding kernels -- the parallel body's arrays are known not
to alias -- so small work runs the parallel kernel on one thread instead.)

Compile cache: Numba raises when a cached index or object file is corrupt (a garbage or
truncated `.nbi`/`.nbc` makes unpickling fail) instead of recompiling. `launch` catches a
failure raised from Numba's cache loader, empties that kernel's cache index (or, where the
cache cannot be written, stops caching the kernel) and runs it again, which recompiles.

A compilation that lasts over a second is announced on the ``fastnn`` logger
(`fastnn._compile_notice`, which watches Numba's compile events: nothing is added here).
"""
import contextlib
import os
import threading
import types
import warnings

import numba
from numba.core import caching

from . import _compile_notice, kernels  # noqa: F401  (says so when a kernel compiles for long)
from .kernels._target import njit as kernel_njit

_SAFE_LAYERS = ("tbb", "omp")

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "threadsafe"

_num_threads = None            # None: Numba's default (all cores)
_serialise = None              # decided on the first launch
_launch_lock = threading.Lock()
_forked_from_gnu_omp = False   # set in a child forked after GNU OpenMP was loaded
_serial_variants = {}          # parallel dispatcher -> its serial twin

# Below this much work a kernel runs on the calling thread alone: a parallel launch costs a
# few microseconds more than a serial call (more once the workers sleep between ops), which
# small layers cannot win back. `python benchmarks/rules.py serial` times relu, a LeNet
# convolution, a max pooling and a 3x3 convolution around the threshold on 1 and 2 threads.
SERIAL_MAX_WORK = 1 << 17
# The work of one element of an element-wise op that takes an exp, log, erf or division per
# element (silu, sigmoid, gelu, the ELU family, ...): about a dozen multiply-adds beside its
# read and write. Two chunks of such an op already run faster on two threads (`rules.py
# serial` times silu there).
MATH_WORK = 8
_serial_lock = threading.Lock()
# .count: the thread count last handed to numba in this thread (only `launch` and
# `set_num_threads` hand it one, so it stays true); .share: the count `thread_share` gave
_applied = threading.local()
_CACHE_LOADER = os.path.join("numba", "core", "caching.py")


def _layer_is_threadsafe():
    """True when a thread-safe layer can be loaded; otherwise fall back to workqueue."""
    global _serialise
    if _serialise is None:
        try:
            numba.get_num_threads()   # loads the layer chosen by NUMBA's config
            _serialise = numba.threading_layer() not in _SAFE_LAYERS
        except ValueError:            # "No threading layer could be loaded"
            numba.config.THREADING_LAYER = "workqueue"
            numba.get_num_threads()
            _serialise = True
    return not _serialise


def threading_layer():
    """Name of the Numba threading layer in use (loads it if needed)."""
    _layer_is_threadsafe()            # loads the layer, falling back as launches do
    return numba.threading_layer()


def _loaded_layer():
    """The threading layer this process has loaded, or None (never loads one)."""
    from numba.np.ufunc import parallel
    if not parallel._is_initialized:
        return None
    return numba.threading_layer()


def _gnu_openmp_loaded():
    if _loaded_layer() != "omp":
        return False
    from numba.np.ufunc import omppool
    return omppool.openmp_vendor == "GNU"


def _after_fork_in_child():
    global _forked_from_gnu_omp, _launch_lock, _serial_lock
    # locks held by another thread at fork time would stay held forever in the child
    _launch_lock = threading.Lock()
    _serial_lock = threading.Lock()
    if _forked_from_gnu_omp or _gnu_openmp_loaded():
        _forked_from_gnu_omp = True


os.register_at_fork(after_in_child=_after_fork_in_child)


def forked_serial():
    """True in a process forked after GNU OpenMP was loaded: kernels run serially here."""
    return _forked_from_gnu_omp


def serial_twin(kernel):
    """`kernel`'s loop compiled with ``parallel=False`` (prange runs as range).

    The twin is compiled from a copy of the Python function renamed ``<name>_serial``, so
    Numba caches it on disk beside, not over, the parallel compilation (the cache index
    is keyed by file and qualified name, not by the `parallel` option).
    """
    serial = _serial_variants.get(kernel)
    if serial is None:
        with _serial_lock:
            serial = _serial_variants.get(kernel)
            if serial is None:
                py = kernel.py_func
                twin = types.FunctionType(py.__code__, py.__globals__, py.__name__ + "_serial",
                                          py.__defaults__, py.__closure__)
                twin.__qualname__ = py.__qualname__ + "_serial"
                twin.__module__ = py.__module__
                twin.__doc__ = py.__doc__
                options = dict(kernel.targetoptions, parallel=False)
                options.pop("nopython", None)     # implied by njit, which warns about it
                cached = type(kernel._cache).__name__ != "NullCache"
                serial = kernel_njit(cache=cached, **options)(twin)
                _serial_variants[kernel] = serial
    return serial


def serial_twins():
    """The serial twins compiled so far in this process."""
    return list(_serial_variants.values())


def _raised_by_cache_loader(error):
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(_CACHE_LOADER):
            return True
        tb = tb.tb_next
    return False


def _forget_cache(kernel):
    """Drop `kernel`'s unreadable cache so that the next call compiles; False if no cache."""
    cache = getattr(kernel, "_cache", None)
    if cache is None or not hasattr(cache, "flush"):
        return False
    try:
        cache.flush()                 # rewrites an empty index; the next save refills it
    except OSError:
        from numba.core.caching import NullCache
        kernel._cache = NullCache()
    return True


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
    _applied.count = n
    _num_threads = n


def get_num_threads():
    """Number of threads fastnn's kernels use (launched from this thread)."""
    if _num_threads is not None:
        return _num_threads
    return getattr(_applied, "share", None) or numba.config.NUMBA_NUM_THREADS


@contextlib.contextmanager
def thread_share(n):
    """Kernels launched from this thread inside the block use `n` threads, unless a count
    was set with `set_num_threads` (which takes precedence).

    For a thread that shares the cores with other threads launching kernels (a Dask task):
    only this thread's count changes, so concurrent tasks do not race.
    """
    previous = getattr(_applied, "share", None)
    _applied.share = n
    try:
        yield n
    finally:
        _applied.share = previous


def launch(kernel, *args, work=None):
    """Run a parallel kernel with the chosen thread count, serialised if the layer needs it.

    `work` (elements read or written, a multiply-add counting half) below SERIAL_MAX_WORK
    runs the kernel on the calling thread alone: waking the other workers would cost more
    than they save.
    """
    if _forked_from_gnu_omp and hasattr(kernel, "py_func"):
        _warn_forked_once()
        return _call(serial_twin(kernel), args)
    if _serialise is None:
        _layer_is_threadsafe()        # loads the layer (or falls back) before any count is set
    if work is not None and work < SERIAL_MAX_WORK:
        threads = 1
    else:
        threads = get_num_threads()
    # numba's count is per calling thread, and numba.get_num_threads() is slow enough to
    # show on small ops: remember what this thread was given
    if getattr(_applied, "count", None) != threads:
        numba.set_num_threads(threads)
        _applied.count = threads
    if _serialise:
        with _launch_lock:
            return _call(kernel, args)
    return _call(kernel, args)


def _call(kernel, args):
    try:
        return kernel(*args)
    except Exception as error:    # kernels never raise: this came from compiling
        if not (_raised_by_cache_loader(error) and _forget_cache(kernel)):
            raise
        warnings.warn(f"fastnn: the compile cache of {kernel.__name__} could not be "
                      f"read ({type(error).__name__}: {error}); recompiling.",
                      RuntimeWarning, stacklevel=3)
        return kernel(*args)


_fork_warned = False


def _warn_forked_once():
    global _fork_warned
    if not _fork_warned:
        _fork_warned = True
        warnings.warn(
            "fastnn: this process was forked after GNU OpenMP was loaded, which "
            "is not fork-safe; kernels run single-threaded here. Use the 'spawn' or "
            "'forkserver' start method, or install tbb, to keep workers parallel.",
            RuntimeWarning, stacklevel=3)


def kernel_cache_dir():
    """Where Numba caches fastnn's compiled kernels, found as Numba finds it.

    Numba tries NUMBA_CACHE_DIR, then `__pycache__` beside the kernels' source, then a
    user-wide directory, taking the first it can write to.
    """
    def probe():
        pass

    for locator_class in caching.CacheImpl._locator_classes:
        locator = locator_class.from_function(probe, kernels.__file__)
        if locator is None:
            continue
        try:
            locator.ensure_cache_path()
        except OSError:
            continue
        return locator.get_cache_path()
    return None
