"""Freshness stamps for fastnn's compile cache that cover the modules a kernel calls into.

Numba keys a cached kernel by its own bytecode and judges the cache fresh by its own
file's modification time and size. A kernel inlines the register tiles, `fma_loop` and
helpers of other files, and reads their module constants (tile shapes, block sizes) as
compile-time values: after an edit or a `git pull` that changes only those files, Numba
would load the kernel compiled against their old versions (with, say, a 4-row tile
beside a caller that now packs 6 rows). `stamp(path)` is the stamp Numba would take
for `path`, extended over every module of the same package that `path` imports, directly
or through another; `_target.njit` gives it to each cached kernel.
"""
import functools
import os
import re

# `from .name import ...` and `from . import a, b as c` (parenthesised lists included)
_RELATIVE_IMPORT = re.compile(r"^[ \t]*from[ \t]+\.(\w*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)",
                              re.MULTILINE)


@functools.lru_cache(maxsize=None)
def _imported_siblings(path):
    """Files of `path`'s own directory that `path` imports relatively."""
    folder = os.path.dirname(path)
    with open(path, encoding="utf-8") as source:
        text = source.read()
    names = []
    for module, imported in _RELATIVE_IMPORT.findall(text):
        if module:
            names.append(module)
        else:
            names.extend(item.split()[0] for item in imported.strip("()").split(",")
                         if item.strip() and not item.strip().startswith("#"))
    candidates = (os.path.join(folder, name + ".py") for name in names)
    return tuple(candidate for candidate in candidates if os.path.isfile(candidate))


@functools.lru_cache(maxsize=None)
def stamp(path):
    """(file name, mtime, size) of `path` and of every sibling module it imports,
    transitively, sorted; None when a file cannot be read (Numba's own stamp is kept).
    Taken once per process, as Numba takes its own when a kernel is decorated."""
    try:
        seen, pending = set(), [os.path.abspath(path)]
        while pending:
            current = pending.pop()
            if current not in seen:
                seen.add(current)
                pending.extend(_imported_siblings(current))
        entries = []
        for current in sorted(seen):
            status = os.stat(current)
            entries.append((os.path.basename(current), status.st_mtime, status.st_size))
        return tuple(entries)
    except OSError:
        return None
