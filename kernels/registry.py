"""The one registry of kernel variants: for each op, its variants in registration order.

The functional layer registers, for every op, how its arguments become kernel arguments
(`prepare`), the rule that picks a variant by default (`rule`), and each variant: the
function that runs it on prepared arguments, and `applies`, which says why a variant
cannot run on some arguments (or None when it can). `fastnn.backends` chooses among them.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Variant:
    name: str
    run: object                 # run(*kernel_args): writes the result into its `out`
    applies: object = None      # applies(*kernel_args) -> None, or why it cannot run
    auto: bool = True           # False: never autotuned (a slow reference); only the
                                # rule or a user can choose it

    def refusal(self, args):
        return None if self.applies is None else self.applies(*args)


@dataclass
class Op:
    name: str
    prepare: object             # prepare(*inputs, **args) -> (key, kernel_args, result)
    rule: object                # rule(*kernel_args) -> name of the default variant
    variants: dict = field(default_factory=dict)


OPS = {}


def register_op(name, prepare, rule):
    OPS[name] = Op(name, prepare, rule)


def register_variant(op, name, run, applies=None, auto=True):
    OPS[op].variants[name] = Variant(name, run, applies, auto)
