"""Choose, force or autotune kernel variants (like ``torch.backends.cudnn``).

    >>> fastnn.backends.variants("conv2d")
    ['direct', 'depthwise', 'im2col_gemm', 'naive']
    >>> with fastnn.backends.use("conv2d", "im2col_gemm"):    # this thread only
    ...     y = F.conv2d(x, w)
    >>> fastnn.backends.set_default("linear", "blas")          # every thread
    >>> fastnn.backends.benchmark = True                       # time and remember
    >>> fastnn.backends.tuned().decisions                      # what was measured here
    {('conv2d', 'float32 x=[1, 64, <=64, <=64] w=[64, 64, 3, 3] ...'): 'blocked'}
    >>> fastnn.backends.reset_tuned()                          # forget it (and the file)

Precedence: `use` (innermost, calling thread) > `set_default` > a decision measured on
this machine (stored from an earlier run, or measured now) > the op's documented default
rule. A forced variant that cannot run on some arguments refuses with the reason;
autotuning and the rule skip such variants. Variants registered with ``auto=False`` (the
plain-loop references) are never autotuned; when the rule itself picks one (for torch's
exact semantics, e.g. depthwise convolution with non-finite weights) that choice also
holds under autotuning.

Measured decisions hold per (op, shape class, dtype, arguments that change the kernel,
thread count) and are kept in a small file per CPU beside the kernel cache
(`fastnn._tuning` describes the classes and when a class is measured;
``python -m fastnn tune`` measures a model's classes up front; ``python -m fastnn info``
shows the file).
"""
import contextlib
import sys
import types

from . import _dispatch, _tuning
from ._registry import OPS

benchmark = False
"""When True, the first call of each shape class not yet decided times every applicable
variant; the decision is used for that class from then on, and kept on disk."""

tune_on_first_use = ()
"""Ops whose shape classes are measured on first use even with `benchmark` off (default
none; the environment variable ``FASTNN_TUNE_ON_FIRST_USE=linear`` starts a process with
``("linear",)``)."""


def _op(op):
    try:
        return OPS[op]
    except (KeyError, TypeError):
        raise ValueError(f"unknown op {op!r}; expected one of: "
                         f"{', '.join(sorted(OPS))}") from None


def _variant(op, name):
    entry = _op(op)
    if name not in entry.variants:
        raise ValueError(f"unknown variant {name!r} for {op}; expected one of: "
                         f"{', '.join(entry.variants)}")
    return entry.variants[name]


def ops():
    """The ops that have variants."""
    return sorted(OPS)


def variants(op):
    """Names of `op`'s variants, in registration order."""
    return list(_op(op).variants)


@contextlib.contextmanager
def use(op, variant):
    """Force `variant` for `op` inside the block, in the calling thread only."""
    _variant(op, variant)
    previous = _dispatch.begin_use(op, variant)
    try:
        yield
    finally:
        _dispatch.end_use(op, previous)


def set_default(op, variant):
    """Force `variant` for `op` in every thread; None restores automatic choice."""
    if variant is None:
        _op(op)
        _dispatch.defaults.pop(op, None)
    else:
        _variant(op, variant)
        _dispatch.defaults[op] = variant


def current(op, *inputs, **args):
    """Name of the variant that would run for `op` on these inputs and arguments.

    With `benchmark` on, this tunes the key if it has not been tuned yet.
    """
    _op(op)
    entry, kernel_args, inputs, attrs = _dispatch.prepared(op, inputs, args)
    if kernel_args is None:              # an empty output: nothing runs; any would do
        return next(iter(entry.variants))
    return _dispatch.choose(entry, kernel_args, inputs, attrs).name


def applicable(op, *inputs, **args):
    """Names of `op`'s variants that can run on these inputs and arguments."""
    _op(op)
    entry, kernel_args, _, _ = _dispatch.prepared(op, inputs, args)
    if kernel_args is None:              # an empty output: nothing runs
        return list(entry.variants)
    return [name for name, variant in entry.variants.items()
            if not variant.refusal(kernel_args)]


def tuned():
    """The measured decisions in effect: a `Tuned` (``path``: the file they are kept in,
    None when no directory is writable; ``decisions``: {(op, shape class): variant};
    ``records``: the same keys, with the rule's choice and each candidate's best time).

        >>> fastnn.backends.benchmark = True
        >>> y = F.linear(fastnn.randn(256, 1024), fastnn.randn(1024, 1024))
        >>> t = fastnn.backends.tuned()
        >>> t.decisions
        {('linear', 'float32 m<=256 k=1024 n=1024 no bias threads=2'): 'blas'}
        >>> t.records[('linear', 'float32 m<=256 k=1024 n=1024 no bias threads=2')]['ms']
        {'blas': 2.41, 'numba_gemm': 2.73}
    """
    return _tuning.tuned()


def reset_tuned():
    """Forget every measured decision, in this process and in the file on disk; the
    next calls follow the rules (or are measured again where that is on).

        >>> fastnn.backends.reset_tuned()
        >>> fastnn.backends.tuned().decisions
        {}
    """
    _tuning.forget()


clear_tuned = reset_tuned
"""The older name of `reset_tuned`."""


def run(op, *inputs, **args):
    """Run `op` through the door (`fastnn._dispatch.dispatch`); returns its result."""
    return _dispatch.dispatch(op, *inputs, **args)


class _Backends(types.ModuleType):
    # `benchmark` is read by the door on every call: keep it in the door's state
    @property
    def benchmark(self):
        return _dispatch.benchmark_state["on"]

    @benchmark.setter
    def benchmark(self, value):
        _dispatch.benchmark_state["on"] = bool(value)

    @property
    def tune_on_first_use(self):
        return _tuning.first_use_ops()

    @tune_on_first_use.setter
    def tune_on_first_use(self, ops):
        if isinstance(ops, str):
            ops = (ops,)
        ops = tuple(ops)
        for op in ops:
            _op(op)
        _tuning.set_first_use_ops(ops)


del benchmark, tune_on_first_use
sys.modules[__name__].__class__ = _Backends
