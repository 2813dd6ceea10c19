"""Tensor's Python operators as torch's (a mixin of Tensor, in the tensor layer).

``+ - * / // % ** @ & | ^ << >>``, their reflected and in-place forms and the comparisons
take a tensor (any array) or a number, as torch's do. Given anything else (a str, None, a
list) they return NotImplemented, so Python answers as it does for a torch tensor:
``x == None`` is False, ``x != "a"`` True, ``x + "a"`` and ``x < "a"`` raise Python's
TypeError. numpy's operators would convert the operand (``x * [1, 2]`` a float64 product)
or compare every element with it. An operand numpy defers to (a dask array) gets the same
NotImplemented, and answers itself.

``divmod`` is refused, as torch has none. ``**`` runs ``np.power`` whatever the exponent:
numpy's own operator turns ``x ** 2`` into ``np.square(x)`` and ``x ** 0.5`` into
``np.sqrt(x)``, losing the exponent's type that torch's result dtype depends on.
"""
import numpy as np

from ._args import is_number

__all__ = ["OperatorMethods"]

_NAMES = ("add", "sub", "mul", "truediv", "floordiv", "mod", "matmul", "and", "or", "xor",
          "lshift", "rshift")
_COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")


def _takes(value):
    return isinstance(value, np.ndarray) or is_number(value)


def _guarded(name, run):
    """numpy's operator `run` for the operands torch takes (None: for none)."""
    def operator(self, other):
        if run is not None and _takes(other):
            return run(self, other)
        return NotImplemented
    operator.__name__ = operator.__qualname__ = name
    return operator


def _power(self, exponent):
    return np.power(self, exponent)


def _reflected_power(self, base):
    return np.power(base, self)


def _in_place_power(self, exponent):
    return np.power(self, exponent, out=(self,))


class OperatorMethods:
    """The operators, each numpy's own behind the operand check (``**``: ``np.power``)."""


for _dunder in ([f"__{n}__" for n in _NAMES + _COMPARISONS] + [f"__r{n}__" for n in _NAMES]
                + [f"__i{n}__" for n in _NAMES]):
    setattr(OperatorMethods, _dunder, _guarded(_dunder, getattr(np.ndarray, _dunder)))
for _dunder, _run in (("__pow__", _power), ("__rpow__", _reflected_power),
                      ("__ipow__", _in_place_power)):
    setattr(OperatorMethods, _dunder, _guarded(_dunder, _run))
# torch has no divmod of tensors: Python's TypeError, as for torch's
OperatorMethods.__divmod__ = OperatorMethods.__rdivmod__ = _guarded("__divmod__", None)
