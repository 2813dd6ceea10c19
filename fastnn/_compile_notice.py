"""Tell the user when a kernel compiles for long: once, on stderr, through `logging`.

A kernel's first call with new argument types compiles it (seconds for the larger ones);
later processes load it from Numba's on-disk cache. When a compilation has run for
`NOTICE_AFTER` seconds, the logger named ``fastnn`` says, once per op::

    fastnn: compiling conv2d (blocked) kernel for the first use, cached afterwards

The message is logged at WARNING and fastnn installs no handler: where the application has
configured no logging at all, Python's last-resort handler prints it to stderr; otherwise
it goes wherever the application sends warnings. ``logging.getLogger("fastnn").setLevel(
logging.ERROR)`` silences it.

How a compilation is noticed: Numba's event API (`numba.core.event`) fires a
``numba:compile`` event around every real compilation and none for a call that finds its
compiled code in memory or loads it from the disk cache. Nothing runs on the call path of
a compiled kernel. Numba nests events for the helpers compiled inside a kernel: only the
outermost one counts. A timer thread, started when that compilation starts and cancelled
when it ends, speaks while the user is still waiting. The op's name comes from the
compiling thread's frames (the door's `dispatch` call, else the public function of
`fastnn.nn.functional`, else the kernel's own name), read only when something compiles.
"""
import contextlib
import logging
import sys
import threading

from numba.core import event

logger = logging.getLogger("fastnn")

NOTICE_AFTER = 1.0          # seconds of compiling before the user is told

_local = threading.local()  # .depth: nested compile events in this thread; .timer
_announced = set()          # op labels already announced in this process
_watchers = []              # callbacks that report compilations instead of the logger
_compilations = 0           # outermost compilations so far in this process


def compilations():
    """How many kernels this process has compiled (not loaded from the cache) so far."""
    return _compilations


@contextlib.contextmanager
def watch(callback):
    """Inside the block, ``callback(label)`` is called when a kernel starts compiling,
    instead of the logger's notice (the demo shows its own progress)."""
    _watchers.append(callback)
    try:
        yield
    finally:
        _watchers.remove(callback)


def op_label(dispatcher, frame=None):
    """'conv2d (blocked)', 'relu' or the kernel's name: what the compiling call runs. The
    door's frames (`fastnn._dispatch._execute`, and `_fastest` when autotuning) are known by
    name: this module sits below the door and cannot import it."""
    frame = frame or sys._getframe(1)
    public = None
    while frame is not None:
        code = frame.f_code
        module = frame.f_globals.get("__name__", "")
        if module == "fastnn._dispatch" and code.co_name in ("_execute", "_fastest"):
            names = frame.f_locals
            op = names["entry"].name
            variant = names.get("variant")
            if variant is None or variant.name == "default":   # an op of one variant
                return op
            return f"{op} ({variant.name})"
        if module.startswith("fastnn.nn.functional") and not code.co_name.startswith(("_", "<")):
            public = code.co_name
        frame = frame.f_back
    return public or getattr(dispatcher, "__name__", "kernel")


def _announce(label):
    if label not in _announced:
        _announced.add(label)
        logger.warning("fastnn: compiling %s kernel for the first use, cached afterwards",
                       label)


class _Listener(event.Listener):
    def on_start(self, ev):
        global _compilations
        depth = getattr(_local, "depth", 0)
        _local.depth = depth + 1
        if depth:
            return              # a helper compiled inside the kernel
        _local.timer = None
        dispatcher = ev.data["dispatcher"]
        if not (getattr(dispatcher, "__module__", None) or "").startswith("fastnn."):
            return              # the user's own jitted code (None: made by exec)
        _compilations += 1
        label = op_label(dispatcher, sys._getframe(1))
        if _watchers:
            for callback in list(_watchers):
                callback(label)
        elif label not in _announced and logger.isEnabledFor(logging.WARNING):
            timer = threading.Timer(NOTICE_AFTER, _announce, (label,))
            timer.daemon = True
            timer.start()
            _local.timer = timer

    def on_end(self, ev):
        _local.depth = max(getattr(_local, "depth", 0) - 1, 0)
        timer = getattr(_local, "timer", None)
        if _local.depth == 0 and timer is not None:
            timer.cancel()
            _local.timer = None


event.register("numba:compile", _Listener())
