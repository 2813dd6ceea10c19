"""torch's element-wise methods that are numpy ufuncs under torch's name (a mixin of Tensor,
in the tensor layer): ``x.sin()``, ``x.floor()``, ``x.reciprocal()``, ``x.eq(y)``,
``x.gt(0)``, ``x.logical_and(y)``, ... Each applies the ufunc to the Tensor, so it passes
the ufunc door as ``np.sin(x)`` does: torch's result dtypes, the op recorded under numpy's
name, and a backward where torch has one. ``fastnn._ufunc_functions`` has the top-level
forms (``fastnn.sin(x)``, ``fastnn.eq(x, y, out=...)``).
"""
import numpy as np

from ._args import invalid_combination, is_number, torch_type_name, torch_typename

__all__ = ["UfuncMethods", "UNARY", "BINARY", "apply_unary", "apply_binary", "no_overload"]

# torch's name -> numpy's ufunc
UNARY = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "floor": np.floor, "ceil": np.ceil,
    "trunc": np.trunc, "sign": np.sign, "square": np.square, "reciprocal": np.reciprocal,
    "log1p": np.log1p, "expm1": np.expm1, "log2": np.log2, "log10": np.log10,
    "exp2": np.exp2, "logical_not": np.logical_not,
    # torch's aliases and the rest of its ufunc-shaped functions
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "asinh": np.arcsinh,
    "acosh": np.arccosh, "atanh": np.arctanh, "arcsinh": np.arcsinh, "arccosh": np.arccosh,
    "arctanh": np.arctanh, "absolute": np.absolute, "positive": np.positive, "fix": np.trunc,
    "sgn": np.sign, "signbit": np.signbit, "deg2rad": np.deg2rad, "rad2deg": np.rad2deg,
    "bitwise_not": np.invert,
}
BINARY = {
    "eq": np.equal, "ne": np.not_equal, "gt": np.greater, "ge": np.greater_equal,
    "lt": np.less, "le": np.less_equal, "logical_and": np.logical_and,
    "logical_or": np.logical_or, "logical_xor": np.logical_xor, "atan2": np.arctan2,
    "arctan2": np.arctan2, "greater": np.greater, "greater_equal": np.greater_equal,
    "less": np.less, "less_equal": np.less_equal, "not_equal": np.not_equal,
    "remainder": np.remainder, "fmod": np.fmod, "floor_divide": np.floor_divide,
    "logaddexp": np.logaddexp, "hypot": np.hypot, "copysign": np.copysign, "fmax": np.fmax,
    "fmin": np.fmin, "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor, "bitwise_left_shift": np.left_shift,
    "bitwise_right_shift": np.right_shift, "logaddexp2": np.logaddexp2,
}


# the kernel torch names in its error for an alias
_ROUNDING = {"fix": "trunc"}

# torch takes only a tensor as these functions' `other`, where numpy takes a number too
TENSOR_OTHER = ("atan2", "arctan2", "logical_and", "logical_or", "logical_xor", "logaddexp",
                "hypot", "fmax", "fmin", "logaddexp2")


def apply_unary(name, ufunc, x, out=None):
    """`ufunc` of the Tensor `x` (into `out`), with torch's answers where numpy's differ:
    for bool input floor, ceil and trunc (fix) are not implemented, sign (sgn) is the
    input, square an int64; bitwise_not of a float is not implemented (numpy's invert
    raises the `~` operator's TypeError)."""
    if x.dtype == np.bool_:
        if name in ("floor", "ceil", "trunc", "fix"):
            raise NotImplementedError(f'"{_ROUNDING.get(name, name)}_vml_cpu" not implemented '
                                      "for 'Bool'")
        if name in ("sign", "sgn") and out is None:
            return x.clone()
        if name == "square":
            x = x.long()
    elif name == "bitwise_not" and x.dtype.kind in "fc":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for "
                                  f"'{torch_type_name(x.dtype)}'")
    return ufunc(x) if out is None else ufunc(x, out=out)


def apply_binary(name, ufunc, x, other, position, out=None):
    """`ufunc` of the Tensor `x` and `other` (into `out`); torch's TypeError where it takes a
    tensor only and `other` is a number (`position`: the argument's place in torch's
    message)."""
    if not isinstance(other, np.ndarray) and (name in TENSOR_OTHER or not is_number(other)):
        if name in TENSOR_OTHER:
            raise TypeError(f"{name}(): argument 'other' (position {position}) must be "
                            f"Tensor, not {torch_typename(other)}")
        raise no_overload(name, other, position)
    return ufunc(x, other) if out is None else ufunc(x, other, out=out)


def no_overload(name, other, position, functions=None, argument="other"):
    """torch's TypeError for an `other` that is neither a tensor nor a number: as a method's
    argument (`position` 1) or a function's (2; `functions`: the function's overloads where
    they are not the comparisons'); `argument`: its name."""
    got = torch_typename(other)
    if position == 1:
        mismatch = ("\n      didn't match because some of the arguments have invalid types: "
                    f"(!{got}!)")
        return invalid_combination(name, [got], [f"(Tensor {argument}){mismatch}",
                                                 f"(Number {argument}){mismatch}"])
    return invalid_combination(name, ["Tensor", got], functions or [
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Number other, *, Tensor out = None)"])


def _unary(name, ufunc):
    def method(self):
        return apply_unary(name, ufunc, self)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``torch.Tensor.{name}``: numpy's ``{ufunc.__name__}`` of the elements."
    return method


def _binary(name, ufunc):
    def method(self, other):
        return apply_binary(name, ufunc, self, other, 1)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"``torch.Tensor.{name}(other)``: numpy's ``{ufunc.__name__}`` of the "
                      "elements and `other` (a tensor that broadcasts, or a number where torch "
                      "takes one).")
    return method


class UfuncMethods:
    """The methods of UNARY and BINARY."""


for _name, _ufunc in UNARY.items():
    setattr(UfuncMethods, _name, _unary(_name, _ufunc))
for _name, _ufunc in BINARY.items():
    setattr(UfuncMethods, _name, _binary(_name, _ufunc))
