"""`python -m fastnn info`: what fastnn runs on here."""
import os
import platform
import sys

import llvmlite
import llvmlite.binding
import numba
import numpy as np

from . import __version__, _runtime
from ._runtime import kernel_cache_dir

_SIMD_PREFIXES = ("sse4", "avx", "fma", "amx")


def fork_behaviour():
    """What a process forked from this one does with kernels (see `fastnn._runtime`)."""
    if _runtime.forked_serial():
        return "this process was forked after GNU OpenMP loaded: kernels run serially"
    if _runtime._gnu_openmp_loaded():
        return ("forked children run kernels serially (GNU OpenMP is not fork-safe); "
                "use spawn/forkserver or install tbb")
    return "safe"


def simd_features():
    features = llvmlite.binding.get_host_cpu_features()
    return sorted(name for name, on in features.items() if on and name.startswith(_SIMD_PREFIXES))


def codegen_target():
    """The CPU fastnn's kernels compile for, the vector width they use and why."""
    from .kernels._target import target
    t = target()
    line = f"{t.cpu}, {t.vector_bits}-bit vectors, {t.registers} registers ({t.reason})"
    if t.vector_bits == 512:
        line += "; kernels compiled with prefer-vector-width=512"
    if numba.config.CPU_NAME or numba.config.CPU_FEATURES is not None:
        line += "; set by NUMBA_CPU_NAME/NUMBA_CPU_FEATURES"
    return line


def report():
    """The lines `python -m fastnn info` prints, as (label, value) pairs."""
    return [
        ("fastnn", __version__),
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("numpy", np.__version__),
        ("numba", numba.__version__),
        ("llvmlite", llvmlite.__version__),
        ("threading layer", _runtime.threading_layer()),
        ("serialised launches", "yes (no thread-safe layer)"
         if not _runtime._layer_is_threadsafe() else "no"),
        ("threads", str(_runtime.get_num_threads())),
        ("fork", fork_behaviour()),
        ("cpu", f"{llvmlite.binding.get_host_cpu_name()}, {os.cpu_count()} logical cores"),
        ("simd", " ".join(simd_features()) or "none detected"),
        ("l2 cache", l2_cache()),
        ("codegen target", codegen_target()),
        ("kernel cache", kernel_cache_dir() or "none writable (kernels recompile each run)"),
        ("tuning file", tuning_file()),
    ]


def l2_cache():
    """The per-core L2 size the kernels' rules size their work by, and where it came from."""
    from .kernels import _caches
    size = _caches.read_l2_bytes()
    if size is None:
        return f"{_caches.DEFAULT_L2_BYTES >> 10} KiB assumed (sysfs does not say)"
    return f"{size >> 10} KiB per core"


def tuning_file():
    """Where measured variant decisions are kept, and how many it holds."""
    from . import _tuning
    tuned = _tuning.tuned()
    if tuned.path is None:
        return "none writable (decisions are kept per process)"
    ops = sorted({op for op, _ in tuned.decisions})
    held = f"{len(tuned.decisions)} decisions" + (f" ({', '.join(ops)})" if ops else "")
    return f"{tuned.path}, {held}"


def main(args):
    lines = report()
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"{label:<{width}}  {value}")
    return 0
