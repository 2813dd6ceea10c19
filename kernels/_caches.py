"""The host's per-core L2 cache size, for the rules that size work to fit it.

Read from Linux's sysfs (the cache of level 2 that holds data, as the kernel reports it
for CPU 0). Where that is missing (another OS, a container hiding /sys) the rules assume
DEFAULT_L2_BYTES. Pure Python; read once per process.
"""
import functools
import pathlib

DEFAULT_L2_BYTES = 1 << 20
_SYSFS = "/sys/devices/system/cpu/cpu0/cache"
_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def _size_bytes(text):
    """'2048K' -> 2097152; None when it does not parse."""
    text = text.strip().upper()
    scale = _UNITS.get(text[-1:], 1)
    digits = text[:-1] if text[-1:] in _UNITS else text
    return int(digits) * scale if digits.isdigit() else None


def read_l2_bytes(root=_SYSFS):
    """The L2 size under `root` (sysfs's cache directory of one CPU), or None."""
    for index in sorted(pathlib.Path(root).glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = _size_bytes((index / "size").read_text())
        except OSError:
            continue
        if level == "2" and kind in ("Unified", "Data") and size:
            return size
    return None


@functools.lru_cache(maxsize=None)
def l2_bytes():
    """This host's per-core L2 in bytes (DEFAULT_L2_BYTES where sysfs does not say)."""
    return read_l2_bytes() or DEFAULT_L2_BYTES
