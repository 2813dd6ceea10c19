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
import sys
import types

from . import _dispatch
from ._registry import OPS

benchmark = False
"""When True, the first call for each (op, shapes, dtypes, arguments) key times every
applicable variant and the fastest is used for that key for the rest of the process."""


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


def clear_tuned():
    """Forget every autotuned choice."""
    _dispatch.clear_tuned()


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


del benchmark
sys.modules[__name__].__class__ = _Backends
