"""The file that keeps variant decisions between runs (`fastnn._tuning` decides).

One small JSON file per CPU, in the directory of Numba's cache of fastnn's kernels
(``python -m fastnn info`` prints both), or in ``$FASTNN_TUNING_DIR`` when that is set. It
is named for what the kernels compile for, as Numba's cache is: the LLVM CPU name and a
hash of the feature string Numba compiles with, plus the environment variables that
choose numpy's BLAS kernels (``OPENBLAS_CORETYPE``, ...), since the BLAS variants' speed
depends on them. The file repeats that identity, and a file whose identity differs from
this process's is ignored, so a decision taken on one CPU is never used on another.

Writing is atomic (a temporary file in the same directory, then ``os.replace``): a reader
sees the old file or the new one, never part of one. A writer merges its new decisions
into what is on disk just before replacing it; when two processes write at once the last
one wins. A corrupt or unreadable file counts as empty, an unwritable directory keeps the
decisions in memory for this process; either is reported once through `logging` (logger
``fastnn.tuning``), never raised.
"""
import hashlib
import json
import logging
import os
import tempfile

from ._runtime import kernel_cache_dir
from .kernels._target import _numba_cpu

FORMAT = 1
DIR_VARIABLE = "FASTNN_TUNING_DIR"
BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                  "OMP_NUM_THREADS", "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE",
                  "MKL_NUM_THREADS")

log = logging.getLogger("fastnn.tuning")
_warned = set()


def warn_once(kind, message):
    """Log `message` as a warning the first time a problem of `kind` is met."""
    if kind not in _warned:
        _warned.add(kind)
        log.warning(message)


_cpu = None


def identity():
    """What a decision holds for: {"cpu", "features", "blas"} of this process."""
    global _cpu
    if _cpu is None:
        _cpu = _numba_cpu()                 # asks LLVM: once per process
    blas = " ".join(f"{name}={os.environ[name]}" for name in BLAS_VARIABLES
                    if name in os.environ)
    return {"cpu": _cpu[0], "features": _cpu[1], "blas": blas}


def file_name(ident):
    digest = hashlib.sha256(f"{ident['features']}\n{ident['blas']}".encode()).hexdigest()
    cpu = "".join(c if c.isalnum() or c in "-_." else "_" for c in ident["cpu"]) or "cpu"
    return f"tuning-{cpu}-{digest[:12]}.json"


def directory():
    """Where the store lives: $FASTNN_TUNING_DIR, else beside the kernel cache (None when
    no directory can be written)."""
    chosen = os.environ.get(DIR_VARIABLE)
    if chosen:
        return chosen
    return kernel_cache_dir()


def path():
    """The store's path for this process, or None."""
    folder = directory()
    return None if folder is None else os.path.join(folder, file_name(identity()))


def read(file, ident):
    """{op: {shape class: record}} from `file`; {} when it is absent, corrupt or for
    another CPU (a corrupt one is reported once)."""
    try:
        with open(file, encoding="utf-8") as f:
            data = json.load(f)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except (OSError, ValueError) as error:
        warn_once(("read", file), f"ignoring the tuning file {file} ({error}); kernel "
                                  "variants follow their rules until it is rewritten")
        return {}
    if not _well_formed(data):
        warn_once(("read", file), f"ignoring the tuning file {file} (not a fastnn tuning "
                                  "file); kernel variants follow their rules until it is "
                                  "rewritten")
        return {}
    if any(data.get(k) != v for k, v in ident.items()):
        return {}           # written for another CPU or BLAS setting: not ours to use
    return data["decisions"]


def _well_formed(data):
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return False
    decisions = data.get("decisions")
    if not isinstance(decisions, dict):
        return False
    for classes in decisions.values():
        if not isinstance(classes, dict):
            return False
        for record in classes.values():
            if not isinstance(record, dict) or not isinstance(record.get("variant"), str):
                return False
    return True


def write(file, ident, new):
    """Merge `new` ({op: {class: record}}) into `file`, atomically; False (reported once)
    when the file cannot be written."""
    folder = os.path.dirname(file)
    decisions = read(file, ident)
    for op, classes in new.items():
        decisions.setdefault(op, {}).update(classes)
    data = dict(format=FORMAT, **ident, decisions=decisions)
    try:
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tuning-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, sort_keys=True)
            os.replace(temporary, file)
        except BaseException:
            _remove(temporary)
            raise
    except OSError as error:
        warn_once(("write", folder), f"cannot write the tuning file in {folder} ({error}); "
                                     "decisions are kept for this process only (set "
                                     f"{DIR_VARIABLE} to a writable directory)")
        return False
    return True


def remove(file):
    """Delete `file`; False (reported) when it exists and cannot be deleted."""
    try:
        os.remove(file)
    except FileNotFoundError:
        pass
    except OSError as error:
        log.warning(f"cannot delete the tuning file {file} ({error})")
        return False
    return True


def _remove(file):
    try:
        os.remove(file)
    except OSError:
        pass
