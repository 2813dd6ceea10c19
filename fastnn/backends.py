"""Choose, force or autotune kernel variants (like ``torch.backends.cudnn``).

    >>> fastnn.backends.variants("conv2d")
    ['direct', 'depthwise', 'im2col_gemm', 'naive']
    >>> with fastnn.backends.use("conv2d", "im2col_gemm"):    # this thread only
    ...     y = F.conv2d(x, w)
    >>> fastnn.backends.set_default("linear", "blas")          # every thread
    >>> fastnn.backends.benchmark = True                       # time and remember

Precedence: `use` (innermost, calling thread) > `set_default` > autotuning when
`benchmark` is True > the op's documented default rule. A forced variant that cannot run on
some arguments refuses with the reason; autotuning and the rule skip such variants.
Variants registered with ``auto=False`` (the plain-loop references) are never autotuned;
when the rule itself picks one (for torch's exact semantics, e.g. depthwise convolution
with non-finite weights) that choice also holds under autotuning.
"""
import contextlib
import threading
import time

from .kernels import registry

benchmark = False
"""When True, the first call for each (op, shapes, dtypes, arguments) key times every
applicable variant and the fastest is used for that key for the rest of the process."""

_local = threading.local()
_defaults = {}
_tuned = {}
_tuning_lock = threading.Lock()


def _op(op):
    try:
        return registry.OPS[op]
    except (KeyError, TypeError):
        raise ValueError(f"unknown op {op!r}; expected one of: "
                         f"{', '.join(sorted(registry.OPS))}") from None


def _variant(op, name):
    entry = _op(op)
    if name not in entry.variants:
        raise ValueError(f"unknown variant {name!r} for {op}; expected one of: "
                         f"{', '.join(entry.variants)}")
    return entry.variants[name]


def ops():
    """The ops that have variants."""
    return sorted(registry.OPS)


def variants(op):
    """Names of `op`'s variants, in registration order."""
    return list(_op(op).variants)


@contextlib.contextmanager
def use(op, variant):
    """Force `variant` for `op` inside the block, in the calling thread only."""
    _variant(op, variant)
    forced = _local.__dict__.setdefault("forced", {})
    previous = forced.get(op)
    forced[op] = variant
    try:
        yield
    finally:
        if previous is None:
            del forced[op]
        else:
            forced[op] = previous


def set_default(op, variant):
    """Force `variant` for `op` in every thread; None restores automatic choice."""
    if variant is None:
        _op(op)
        _defaults.pop(op, None)
    else:
        _variant(op, variant)
        _defaults[op] = variant


def current(op, *inputs, **args):
    """Name of the variant that would run for `op` on these inputs and arguments.

    With `benchmark` on, this tunes the key if it has not been tuned yet.
    """
    key, kernel_args, _ = _op(op).prepare(*inputs, **args)
    return choose(op, key, kernel_args).name


def applicable(op, *inputs, **args):
    """Names of `op`'s variants that can run on these inputs and arguments."""
    entry = _op(op)
    key, kernel_args, _ = entry.prepare(*inputs, **args)
    if kernel_args is None:              # an empty output: nothing runs
        return list(entry.variants)
    return [name for name, variant in entry.variants.items()
            if not variant.refusal(kernel_args)]


def clear_tuned():
    """Forget every autotuned choice."""
    _tuned.clear()


def choose(op, key, kernel_args):
    """The Variant to run (the functional layer's entry point)."""
    entry = registry.OPS[op]
    forced = getattr(_local, "forced", {}).get(op) or _defaults.get(op)
    if forced is not None:
        variant = entry.variants[forced]
        reason = variant.refusal(kernel_args)
        if reason:
            raise ValueError(f"variant {forced!r} of {op} cannot run here: {reason}")
        return variant
    ruled = entry.variants[entry.rule(*kernel_args)]
    if benchmark and ruled.auto:
        return _tuned_variant(entry, key, kernel_args)
    return ruled


def run(op, *inputs, **args):
    """Prepare, choose and run `op`; returns its result (the functional ops call this)."""
    key, kernel_args, result = registry.OPS[op].prepare(*inputs, **args)
    if kernel_args is not None:
        variant = choose(op, key, kernel_args)   # a local: the compile notice reads it
        variant.run(*kernel_args)
    return result


def _tuned_variant(entry, key, kernel_args):
    full_key = (entry.name, key)
    name = _tuned.get(full_key)
    if name is None:
        with _tuning_lock:
            name = _tuned.get(full_key) or _fastest(entry, kernel_args)
            _tuned[full_key] = name
    return entry.variants[name]


def _fastest(entry, kernel_args, repeats=3):
    timings = {}
    for variant in entry.variants.values():
        if not variant.auto or variant.refusal(kernel_args):
            continue
        variant.run(*kernel_args)             # compiles; never timed
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            variant.run(*kernel_args)
            best = min(best, time.perf_counter() - started)
        timings[variant.name] = best
    return min(timings, key=timings.get)
