"""The op schema: one registry entry per op that passes the door (`fastnn._dispatch`).

An entry (`OpDef`) says everything the door needs to run an op, and nothing about how the
caller got there (F function, module, Tensor arithmetic):

* ``normalize(*args, **kwargs) -> (inputs, attrs)``: every argument check, in torch's
  words; `inputs` are the array arguments as plain ndarrays (None for an absent optional
  one), `attrs` the canonical non-array arguments (`Attrs`: frozen, hashable, printable).
* ``meta(inputs, attrs)``: the output's ``(shape, dtype)`` without allocating it; a list of
  them for a multi-output op; None when the result aliases an input (a view, an in-place
  op, an identity) so that nothing is allocated and the variant returns the result.
* ``layout(inputs, attrs)``: optional, for an op whose fresh output follows an input's
  memory format (torch's convolution of a channels-last input): the output's axes in
  memory order, slowest first, or None for C order.
* ``arrays(*args, **kwargs) -> inputs``: the inputs alone, unchecked: what the door calls
  when the checks of an identical call are remembered. None: the op is never memoised.
  Calls are alike when their arrays' shapes and dtypes and their other arguments are; set
  ``layout_key`` when the checks also read whether an array is C-contiguous (linear).
* ``plan(inputs, attrs, meta)``: optional, what a variant derives once per remembered key
  (kernel geometry), handed to `kernel_args`.
* ``kernel_args(inputs, attrs, out, plan)``: what the variants run on; None when there is
  nothing to run (an empty output). Default: ``(inputs, attrs, out)``.
* ``rule(*kernel_args)``: the name of the variant that runs by default.
* ``variants``: name -> `Variant`; ``run(*kernel_args)`` writes into `out` (or returns the
  result when `meta` said None). An op with one implementation registers one, "default".
* ``tune_class(inputs, attrs)``: optional, the shape class a measured variant decision
  holds for (`fastnn._tuning`); without it decisions are per exact shape.
* its backward (`register_backward`, kept in `BACKWARDS` by op name so that ufunc ops,
  registered on first use, can have theirs before they exist): what `fastnn.autograd`
  records when an input requires grad.

`fastnn.backends` forces, lists and autotunes variants of these entries.
"""
from dataclasses import dataclass, field


class Attrs:
    """A frozen, hashable, ordered mapping of an op's canonical attributes.

        >>> Attrs(stride=(1, 1), groups=1)
        Attrs(stride=(1, 1), groups=1)

    The attributes live in the instance's own ``__dict__``, so ``attrs.stride`` is a plain
    attribute read: every op reads a few per call, and a lookup routed through a method
    cost several times as much. A name the class itself uses (``get``, ``items``, ...)
    would shadow that method, so it is refused.
    """
    __slots__ = ("__dict__", "_hash")

    def __init__(self, **items):
        if not _ATTRS_CLASS_NAMES.isdisjoint(items):
            raise TypeError(f"an op attribute may not be named "
                            f"{sorted(_ATTRS_CLASS_NAMES.intersection(items))[0]!r}")
        object.__setattr__(self, "__dict__", items)
        object.__setattr__(self, "_hash", None)

    def __getitem__(self, name):
        return self.__dict__[name]

    def __setattr__(self, name, value):
        raise AttributeError("Attrs are frozen")

    def __delattr__(self, name):
        raise AttributeError("Attrs are frozen")

    def __iter__(self):
        return iter(self.__dict__)

    def __len__(self):
        return len(self.__dict__)

    def __contains__(self, name):
        return name in self.__dict__

    def keys(self):
        return self.__dict__.keys()

    def items(self):
        return self.__dict__.items()

    def values(self):
        return self.__dict__.values()

    def get(self, name, default=None):
        return self.__dict__.get(name, default)

    def __eq__(self, other):
        return isinstance(other, Attrs) and self.__dict__ == other.__dict__

    def __hash__(self):
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(tuple(self.__dict__.items())))
        return self._hash

    def __reduce__(self):
        return _attrs_of, (self.__dict__,)

    def __repr__(self):
        return "Attrs(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()) + ")"


def _attrs_of(items):
    return Attrs(**items)


_ATTRS_CLASS_NAMES = frozenset(dir(Attrs))


NO_ATTRS = Attrs()


@dataclass(frozen=True)
class Variant:
    name: str
    run: object                 # run(*kernel_args): writes the result into its `out`
    applies: object = None      # applies(*kernel_args) -> None, or why it cannot run
    auto: bool = True           # False: never autotuned (a slow reference); only the
                                # rule or a user can choose it

    def refusal(self, args):
        return None if self.applies is None else self.applies(*args)


def _default_kernel_args(inputs, attrs, out, plan):
    return inputs, attrs, out


def _single_rule(*kernel_args):
    return "default"


@dataclass
class OpDef:
    name: str
    normalize: object
    meta: object
    arrays: object = None
    layout_key: bool = False
    plan: object = None
    kernel_args: object = _default_kernel_args
    rule: object = _single_rule
    variants: dict = field(default_factory=dict)
    tune_class: object = None
    layout: object = None

    @property
    def backward(self):
        """The op's `Backward` (None: not differentiable; absent: not written yet)."""
        return BACKWARDS.get(self.name, MISSING_BACKWARD)

    def run(self, variant, inputs, attrs, out, plan=None):
        """Run the variant named `variant` on `inputs`, writing into `out`; returns what
        the variant returns (the result itself for an aliasing op)."""
        kernel_args = self.kernel_args(inputs, attrs, out, plan)
        if kernel_args is not None:
            return self.variants[variant].run(*kernel_args)
        return None


OPS = {}


def register_op(name, normalize, meta, **fields):
    """Register (or replace) op `name`; `fields` are the other `OpDef` fields."""
    OPS[name] = OpDef(name, normalize, meta, **fields)
    return OPS[name]


def register_variant(op, name, run, applies=None, auto=True):
    OPS[op].variants[name] = Variant(name, run, applies, auto)


def register_single(name, normalize, meta, run, **fields):
    """An op with one implementation: its variant is named "default"."""
    entry = register_op(name, normalize, meta, **fields)
    register_variant(name, "default", run)
    return entry


# ------------------------------------------------------------------ backward

@dataclass(frozen=True)
class Backward:
    """How autograd differentiates an op: ``fn(ctx, grad)`` returns one gradient (or None)
    per entry of ``ctx.inputs``; `saves` names what ``ctx`` keeps for it: input indices
    and/or "output" (None: every input and the output)."""
    fn: object
    saves: tuple = None


MISSING_BACKWARD = Backward(None)
BACKWARDS = {}


def register_backward(op, fn, saves=None):
    """Give op `op` its backward ``fn(ctx, grad) -> gradients per input`` (the contract is
    `fastnn.autograd`'s docstring); ``fn=None`` marks an op that is not differentiable
    (its outputs never require grad)."""
    BACKWARDS[op] = None if fn is None else Backward(fn, None if saves is None
                                                      else tuple(saves))
