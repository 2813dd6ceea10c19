"""Variant decisions measured on the user's machine, kept between runs.

The op's rule (``rule`` in its registry entry) picks a variant from figures measured on a
few CPUs. Where a measurement on this machine is wanted, `choose` (`fastnn._dispatch`)
hands the choice to `choice` here, and precedence is: `fastnn.backends.use` >
`set_default` > a decision measured here (stored or new) > the rule.

**Shape classes.** A decision holds for a class of calls, not one exact shape, so one
measurement covers the batch sizes and image sizes a model meets. The op's ``tune_class``
(in its registry entry) names the class: batch and spatial sizes (a linear layer's rows)
rounded up to a power of two, shown as ``<=64``; channel counts, kernel size, stride,
padding, dilation, groups and the presence of a bias exact; then the dtype and
fastnn's thread count. An op without ``tune_class`` keys on exact shapes and arguments.
A stored variant that cannot run on some shape of its class (e.g. one needing a minimum
size) gives way to the rule there.

**When a class is measured.** With ``fastnn.backends.benchmark = True``, the first call
of each class not yet decided times every applicable variant (one warm-up call each,
compile included, then the best of several timed rounds, interleaved; `time.perf_counter`)
and keeps the rule's choice unless another variant is faster by more than `MARGIN`
(noise must not flip a decision). The ops in ``fastnn.backends.tune_on_first_use``
(default: none; ``FASTNN_TUNE_ON_FIRST_USE=linear`` in the environment, or assigning
``("linear",)``) are measured so even when `benchmark` is off. Off by default because a
variant timed alone is not timed in its surroundings: `linear`'s BLAS variant can win its
own timing while OpenBLAS's worker threads, left spinning after each call, slow the Numba
kernels that run next (a whole model gets slower: ``python -m fastnn bench`` after
``FASTNN_TUNE_ON_FIRST_USE=linear``). A convolution's variants take seconds each to
compile, so convolutions are measured only when asked (`benchmark`, ``python -m fastnn
tune``). Decisions go to the store (`fastnn._tuning_store`), read on the first choice
that may consult it, never at import.
"""
import os
import threading
import time
from typing import NamedTuple

from . import _tuning_store as store
from ._runtime import get_num_threads

MARGIN = 0.05            # another variant must beat the rule's by 5% to replace it
ROUNDS = 5               # timed rounds per variant, best kept
SLOWER = 2.0             # a variant this many times slower than the fastest on its first
                         # timed call is not timed further
MIN_ROUND_SECONDS = 2e-4  # calls per round chosen so a round lasts at least this
MEASURE_VARIABLE = "FASTNN_TUNE_ON_FIRST_USE"
DEFAULT_FIRST_USE = ()


class Tuned(NamedTuple):
    """What `fastnn.backends.tuned` returns: the store's `path` (None: none writable),
    `decisions` {(op, shape class): variant} and `records` {(op, shape class): {"variant",
    "rule", "ms": {variant: best milliseconds}, "measured": the shapes it was timed on}}."""
    path: object
    decisions: dict
    records: dict


_lock = threading.RLock()
_loaded = None           # {op: {class: record}} once read; None until first need
_unsaved = {}            # decisions this process could not write yet
_first_use = None        # ops measured on first use; None: not read from the env yet
_consulted = None        # ops `choose` hands over without `benchmark`
_by_plan = {}            # id(plan) -> (plan, threads, Variant or None for the rule)
_forced = {"measure": False}    # `measuring()`: measure every class again
events = []              # (op, class, record) of each measurement, for the CLI


# ------------------------------------------------------------------ shape classes

def bucket(n):
    """`n` rounded up to a power of two (0 and 1 stay)."""
    return n if n <= 1 else 1 << (n - 1).bit_length()


def rounded(n):
    """`n`'s bucket as a shape class shows it: ``1`` or ``<=64``."""
    b = bucket(n)
    return str(b) if b <= 1 else f"<={b}"


def bucketed(name, n):
    """``name=1`` or ``name<=64``."""
    b = bucket(n)
    return f"{name}={b}" if b <= 1 else f"{name}<={b}"


def dims(shape, exact=()):
    """A shape with every dimension bucketed but those in `exact`: ``[<=8, 64, <=64]``."""
    return "[" + ", ".join(str(d) if i in exact else rounded(d)
                           for i, d in enumerate(shape)) + "]"


def _exact_class(inputs, attrs):
    parts = []
    for x in inputs:
        shape, dtype = getattr(x, "shape", None), getattr(x, "dtype", None)
        parts.append("None" if x is None else f"{list(shape)} {dtype}" if dtype is not None
                     else repr(x))
    parts += [f"{k}={v!r}" for k, v in attrs.items()]
    return " ".join(parts)


def shape_class(entry, inputs, attrs):
    """The class a call belongs to, as a string: the op's ``tune_class`` (or the exact
    shapes and arguments) and fastnn's thread count."""
    cls = (entry.tune_class(inputs, attrs) if getattr(entry, "tune_class", None)
           else _exact_class(inputs, attrs))
    return f"{cls} threads={get_num_threads()}"


# ------------------------------------------------------------------ state

def first_use_ops():
    global _first_use
    if _first_use is None:
        value = os.environ.get(MEASURE_VARIABLE, "").strip()
        if value.lower() in ("", "0", "false", "no", "off"):
            _first_use = DEFAULT_FIRST_USE
        else:
            _first_use = tuple(op.strip() for op in value.split(",") if op.strip())
    return _first_use


def set_first_use_ops(ops):
    global _first_use, _consulted
    with _lock:
        _first_use = tuple(ops)
        _consulted = None
        _by_plan.clear()


def _decisions():
    global _loaded
    if _loaded is None:
        file = store.path()
        _loaded = {} if file is None else store.read(file, store.identity())
        for op, classes in _unsaved.items():
            _loaded.setdefault(op, {}).update(classes)
    return _loaded


def consults(op):
    """Whether `choose` must ask `choice` about `op` (with `benchmark` off): a decision
    is stored for it, or it is measured on first use."""
    ops = _consulted
    if ops is None:
        ops = _refresh_consulted()
    return op in ops


def _refresh_consulted():
    global _consulted
    with _lock:
        ops = frozenset(first_use_ops()) | {op for op, c in _decisions().items() if c}
        if _forced["measure"]:
            ops = _Everything()
        _consulted = ops
    return ops


class _Everything(frozenset):
    def __contains__(self, item):
        return True


def forget():
    """Forget every decision, in memory and in this CPU's file."""
    global _loaded, _consulted
    with _lock:
        file = store.path()
        if file is not None:
            store.remove(file)
        _unsaved.clear()
        _loaded = {}
        _consulted = None
        _by_plan.clear()


def reload():
    """Read the environment and the store again at the next need (tests change them)."""
    global _loaded, _first_use, _consulted
    with _lock:
        _loaded = _first_use = _consulted = None
        _unsaved.clear()
        _by_plan.clear()
        store._warned.clear()


def tuned():
    with _lock:
        decisions = _decisions()
        records = {(op, cls): dict(record) for op, classes in sorted(decisions.items())
                   for cls, record in sorted(classes.items())}
        return Tuned(store.path(), {key: r["variant"] for key, r in records.items()},
                     records)


class measuring:
    """Inside the block every class met is measured again (``python -m fastnn tune``)."""

    def __enter__(self):
        global _consulted
        with _lock:
            _forced["measure"] = True
            _measured_now.clear()
            _consulted = None
            _by_plan.clear()
        return self

    def __exit__(self, *exc):
        global _consulted
        with _lock:
            _forced["measure"] = False
            _consulted = None
            _by_plan.clear()


# ------------------------------------------------------------------ choosing

def choice(entry, kernel_args, inputs, attrs, ruled, benchmark, plan=None):
    """The variant to run: a decision for the call's class, measured now when asked (with
    `benchmark`, for an op measured on first use, or inside `measuring`), else `ruled`."""
    threads = get_num_threads()
    if plan is not None:
        hit = _by_plan.get(id(plan))
        if hit is not None and hit[0] is plan and hit[1] == threads:
            if hit[2] is not None:
                return hit[2]
            if not benchmark:
                return ruled
    with _lock:
        name = _decide(entry, kernel_args, inputs, attrs, ruled, benchmark)
        variant = entry.variants[name] if name is not None else None
        if plan is not None:
            if len(_by_plan) >= 4096:
                _by_plan.clear()
            _by_plan[id(plan)] = (plan, threads, variant)
    return variant if variant is not None else ruled


def _decide(entry, kernel_args, inputs, attrs, ruled, benchmark):
    """A variant name for this call's class, or None for the rule."""
    cls = shape_class(entry, inputs, attrs)
    classes = _decisions().get(entry.name, {})
    record = classes.get(cls)
    forced = _forced["measure"]
    if record is not None and not (forced and cls not in _measured_now):
        variant = entry.variants.get(record["variant"])
        if variant is not None and variant.auto and not variant.refusal(kernel_args):
            return variant.name
        return None
    if not (benchmark or forced or entry.name in first_use_ops()):
        return None
    record = measure(entry, kernel_args, ruled.name)
    record["measured"] = _exact_class(inputs, attrs)
    _measured_now.add(cls)
    events.append((entry.name, cls, record))
    _keep(entry.name, cls, record)
    return record["variant"]


_measured_now = set()    # classes measured inside the current `measuring` block


def _keep(op, cls, record):
    global _consulted
    _decisions().setdefault(op, {})[cls] = record
    _unsaved.setdefault(op, {})[cls] = record
    file = store.path()
    if file is not None and store.write(file, store.identity(), _unsaved):
        _unsaved.clear()
    elif file is None:
        store.warn_once("no directory", "no writable directory for the tuning file; "
                        f"decisions are kept for this process only (set "
                        f"{store.DIR_VARIABLE})")
    _consulted = None
    _by_plan.clear()


def measure(entry, kernel_args, rule):
    """Time every applicable, autotunable variant of `entry` on `kernel_args`: {"variant",
    "rule", "ms"}. Each is called once untimed (compiling it) and once timed; one more
    than `SLOWER` times the fastest of those is out (its one time is kept), the others run
    `ROUNDS` - 1 more interleaved rounds of calls lasting `MIN_ROUND_SECONDS`, and a
    variant's time is its best. The rule's choice stays unless another is more than
    `MARGIN` faster (`pick`)."""
    candidates = [v for v in entry.variants.values()
                  if v.auto and not v.refusal(kernel_args)]
    best = {}
    for variant in candidates:
        variant.run(*kernel_args)                   # compiles (or loads): never timed
        started = time.perf_counter()
        variant.run(*kernel_args)
        best[variant.name] = time.perf_counter() - started
    fastest = min(best.values())
    calls = {v: max(1, min(1000, int(MIN_ROUND_SECONDS / max(best[v.name], 1e-9))))
             for v in candidates if best[v.name] <= SLOWER * fastest}
    for _ in range(ROUNDS - 1):
        for variant, repeat in calls.items():
            started = time.perf_counter()
            for _ in range(repeat):
                variant.run(*kernel_args)
            best[variant.name] = min(best[variant.name],
                                     (time.perf_counter() - started) / repeat)
    return {"variant": pick(best, rule), "rule": rule,
            "ms": {name: round(t * 1e3, 6) for name, t in best.items()}}


def pick(seconds, rule):
    """The variant to keep from {variant: best time}: the fastest, unless the rule's
    choice is within `MARGIN` of it."""
    fastest = min(seconds, key=seconds.get)
    if rule in seconds and seconds[fastest] > seconds[rule] * (1 - MARGIN):
        return rule
    return fastest
