"""torch's rules for numpy ufuncs applied to Tensors: the result dtype (type promotion) and
the errors torch raises where numpy would answer (a leaf module: numpy only).

Promotion, as torch's ``result_type``: operands fall in three groups, tensors with
dimensions, 0-d tensors, and Python or numpy scalars (which count as Python numbers: a float
scalar stands for the default dtype, an int for int64). Each group promotes within itself;
a later group only decides when its category (bool < integer < floating < complex) is
higher than the groups before it. Integer true division and float functions of integers
(``exp``, ``sqrt``, ...) give the default float dtype; comparisons compute in the promoted
dtype and answer bool.
"""
import math

import numpy as np

from . import _dtypes
from ._args import broadcast_shape, torch_type_name
from ._dtypes import category, promote_types

__all__ = ["ufunc_plan", "scalar_operand", "check_values", "check_output_cast", "result_type",
           "check_matmul_shapes", "result_type"]

_BOOL = np.dtype(np.bool_)
_INT64 = np.dtype(np.int64)
_FLOAT64 = np.dtype(np.float64)
_COMPLEX128 = np.dtype(np.complex128)

_ARITHMETIC = frozenset({np.add, np.subtract, np.multiply, np.floor_divide, np.remainder,
                         np.fmod, np.power, np.maximum, np.minimum, np.fmax, np.fmin,
                         np.negative, np.positive, np.absolute, np.sign,
                         np.square, np.bitwise_and, np.bitwise_or, np.bitwise_xor,
                         np.invert, np.left_shift, np.right_shift, np.matmul,
                         np.gcd, np.lcm, np.nextafter})
_TO_FLOAT = frozenset({np.true_divide, np.exp, np.exp2, np.expm1, np.log, np.log2,
                       np.log10, np.log1p, np.sqrt, np.sin, np.cos, np.tan, np.arcsin,
                       np.arccos, np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh,
                       np.arccosh, np.arctanh, np.reciprocal, np.arctan2, np.logaddexp,
                       np.logaddexp2,
                       np.hypot, np.deg2rad, np.rad2deg, np.copysign})
_COMPARISONS = frozenset({np.less, np.less_equal, np.greater, np.greater_equal, np.equal,
                          np.not_equal})
_BITWISE = frozenset({np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.left_shift,
                      np.right_shift})
_BITWISE_NAMES = {np.bitwise_and: "bitwise_and_cpu", np.bitwise_or: "bitwise_or_cpu",
                  np.bitwise_xor: "bitwise_xor_cpu", np.left_shift: "lshift_cpu",
                  np.right_shift: "rshift_cpu"}
_NO_BOOL = {np.floor_divide: "div_floor_cpu", np.remainder: "remainder_cpu",
            np.fmod: "fmod_cpu", np.power: "pow", np.absolute: "abs_cpu",
            np.left_shift: "lshift_cpu", np.right_shift: "rshift_cpu"}
# float-valued functions torch does not promote integer (or bool) operands for
_FLOAT_ONLY = {np.hypot: "hypot_cpu", np.logaddexp: "logaddexp_cpu",
               np.logaddexp2: "logaddexp2_cpu"}
_NO_COMPLEX = {np.floor_divide: "div_floor_cpu", np.remainder: "remainder_cpu",
               np.fmod: "fmod_cpu", np.less: "lt_cpu", np.less_equal: "le_cpu",
               np.greater: "gt_cpu", np.greater_equal: "ge_cpu"}
_ZERO_DIVISORS = frozenset({np.floor_divide, np.remainder, np.fmod})
# torch's integer-only and float-only functions of those (fastnn._special_functions)
_INTEGER_ONLY = {np.gcd: "gcd_cpu", np.lcm: "lcm_cpu"}
_FLOATING_ONLY = {np.nextafter: "nextafter_cpu"}

_plans = {}


def _scalar_dtype(value):
    """A Python or numpy scalar's dtype as torch's wrapped numbers see it. torch reads numpy
    bool and complex scalars as floats; fastnn keeps them bool and complex (numpy's own
    functions pass ``np.True_`` to ufuncs on Tensors, and must keep working)."""
    if isinstance(value, (bool, np.bool_)):
        return _BOOL
    if isinstance(value, (int, np.integer)):
        return _INT64
    if isinstance(value, (float, np.floating)):
        return _dtypes.get_default_dtype()
    if isinstance(value, (complex, np.complexfloating)):
        return _dtypes.default_complex_dtype()
    return None


def scalar_operand(value):
    """A Python number as the numpy scalar a ufunc takes under an explicit signature
    (Python ints outside the loop's type would raise under NEP 50; torch wraps them)."""
    if isinstance(value, bool):
        return np.bool_(value)
    if isinstance(value, int):
        return np.int64(value)
    if isinstance(value, float):
        return np.float64(value)
    if isinstance(value, complex):
        return np.complex128(value)
    return value


def _combine(higher, lower):
    """torch's combine_categories: `lower` only decides with a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.kind == "c":
        return higher
    if lower.kind == "c":
        if higher.kind == "f":
            return _COMPLEX128 if higher == _FLOAT64 else np.dtype(np.complex64)
        return lower
    if higher.kind == "f":
        return higher
    if higher == _BOOL or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type(operands):
    """torch.result_type of arrays (dimensioned or 0-d) and scalars; None for other types."""
    groups = [None, None, None]         # dimensioned, 0-d, scalars
    for x in operands:
        if isinstance(x, np.ndarray):
            dtype, group = x.dtype.newbyteorder("="), 0 if x.ndim else 1
        else:
            dtype, group = _scalar_dtype(x), 2
            if dtype is None:
                return None
        seen = groups[group]
        groups[group] = dtype if seen is None else promote_types(seen, dtype)
    return _combine(groups[0], _combine(groups[1], groups[2]))


def _operand_dtype(x):
    return x.dtype if isinstance(x, np.ndarray) else _scalar_dtype(x)


def ufunc_plan(ufunc, inputs):
    """(signature, checks, scalars, implied) for calling `ufunc` on `inputs` torch's way:
    `signature` is None where numpy's own answer stands; `checks` names value checks (see
    `check_values`); `scalars` are the positions of Python numbers to pass through
    `scalar_operand`; `implied` is True where numpy picks the signature's loop itself (the
    operands are arrays of its dtypes), so that passing it would only slow the call. Raises
    torch's error where torch refuses the dtypes. Plans are cached by (ufunc, default
    dtype, operand dtypes and kinds)."""
    key = (ufunc, _dtypes.get_default_dtype(),
           *[(x.dtype, x.ndim == 0) if isinstance(x, np.ndarray) else type(x) for x in inputs])
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _make_plan(ufunc, inputs)
    if isinstance(plan, Exception):
        raise type(plan)(*plan.args)
    return plan


def _make_plan(ufunc, inputs):
    if ufunc not in _ARITHMETIC and ufunc not in _TO_FLOAT and ufunc not in _COMPARISONS:
        return None, (), (), True
    dtype = result_type(inputs)
    if dtype is None:
        return None, (), (), True
    # Python ints must become int64 scalars for an integer loop (NEP 50 refuses one that
    # does not fit, torch wraps it); Python floats and complexes fit their loops as they are
    scalars = tuple(i for i, x in enumerate(inputs) if isinstance(x, int)) \
        if dtype.kind in "biu" else ()
    try:
        _refuse(ufunc, dtype, inputs)
    except (RuntimeError, TypeError, NotImplementedError) as error:
        return error
    if ufunc in _COMPARISONS:
        signature = (dtype, dtype, _BOOL)
        return signature, (), scalars, _numpy_picks(ufunc, inputs, signature)
    if ufunc in _TO_FLOAT and category(dtype) < 2:
        dtype = _dtypes.get_default_dtype()
    checks = ("matmul",) if ufunc is np.matmul else ()
    if dtype.kind in "iu":
        if ufunc in _ZERO_DIVISORS:
            checks = ("zero_divisor",)
        elif ufunc is np.power:
            checks = ("negative_exponent" if not isinstance(inputs[1], np.ndarray)
                      else "integer_power",)
    signature = (dtype,) * (ufunc.nin + ufunc.nout)
    return signature, checks, scalars, _numpy_picks(ufunc, inputs, signature)


def _numpy_picks(ufunc, inputs, signature):
    """Whether numpy's own type resolution runs `ufunc` on `inputs` with `signature`'s loop
    (each operand an array of its loop dtype already)."""
    if not all(isinstance(x, np.ndarray) and x.dtype == d for x, d in zip(inputs, signature)):
        return False
    try:
        resolved = ufunc.resolve_dtypes(tuple(x.dtype for x in inputs) + (None,) * ufunc.nout)
    except (TypeError, ValueError):
        return False
    return resolved == signature


def _refuse(ufunc, dtype, inputs):
    name = torch_type_name(dtype)
    if ufunc is np.subtract:
        bools = [_operand_dtype(x) == _BOOL for x in inputs]
        if all(bools):
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        if any(bools):
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                               "supported. If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
    if dtype.kind == "c" and ufunc in _NO_COMPLEX:
        raise NotImplementedError(f"\"{_NO_COMPLEX[ufunc]}\" not implemented for '{name}'")
    if (ufunc in _INTEGER_ONLY and dtype.kind not in "iu") or (
            ufunc in _FLOATING_ONLY and dtype.kind != "f"):
        kernel = _INTEGER_ONLY.get(ufunc) or _FLOATING_ONLY[ufunc]
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{name}'")
    if dtype.kind in "biu" and ufunc in _FLOAT_ONLY:
        raise NotImplementedError(f"\"{_FLOAT_ONLY[ufunc]}\" not implemented for '{name}'")
    if dtype == _BOOL:
        if ufunc is np.positive:
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        if ufunc is np.negative:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        if ufunc in _NO_BOOL and (ufunc is not np.power or isinstance(inputs[1], np.ndarray)):
            raise NotImplementedError(f"\"{_NO_BOOL[ufunc]}\" not implemented for '{name}'")
    if dtype.kind in "fc":
        if ufunc in _BITWISE:
            raise NotImplementedError(f"\"{_BITWISE_NAMES[ufunc]}\" not implemented for "
                                      f"'{name}'")
        if ufunc is np.invert:
            raise TypeError("~ (operator.invert) is only implemented on integer and "
                            "Boolean-type tensors")
    if ufunc is np.matmul:
        first, second = (np.asarray(x).dtype for x in inputs)
        if first != second:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                               f"{c_type_name(torch_type_name(first))} != "
                               f"{c_type_name(torch_type_name(second))}")
        if dtype == _BOOL:
            raise NotImplementedError(f"\"addmm_impl_cpu_\" not implemented for '{name}'")


def c_type_name(torch_name):
    """The C++ type torch's messages name for a torch type name (Float: float)."""
    return {"Float": "float", "Double": "double", "Long": "long int", "Int": "int",
            "Half": "c10::Half", "Bool": "bool", "Short": "short int", "Char": "signed char",
            "Byte": "unsigned char"}.get(torch_name, torch_name)


def check_values(checks, inputs):
    """torch's value-dependent answers where numpy's differ: errors for integer division by
    zero and integer powers with a negative scalar exponent, torch's values (0, 1 or -1)
    for integer powers with negative tensor exponents. Returns the result to use instead
    of numpy's loop, or None."""
    for check in checks:
        if check == "matmul":
            check_matmul_shapes(np.shape(inputs[0]), np.shape(inputs[1]))
        elif check == "zero_divisor" and not np.all(inputs[1]):
            raise RuntimeError("ZeroDivisionError")
        elif check == "negative_exponent" and np.any(np.less(inputs[1], 0)):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        elif check == "integer_power" and np.any(np.less(inputs[1], 0)):
            return _integer_power(*inputs)
    return None


def _integer_power(base, exponent):
    dtype = result_type([np.asarray(base), np.asarray(exponent)])
    base, exponent = np.broadcast_arrays(np.asarray(base, dtype), np.asarray(exponent, dtype))
    negative = exponent < 0
    result = np.power(base, np.where(negative, 0, exponent))
    odd = np.where(exponent % 2 == 0, 1, -1)
    special = np.where(base == 1, 1, np.where(base == -1, odd, 0))
    return np.where(negative, special, result).astype(dtype)


def check_output_cast(dtype, out_dtype, c_name=False):
    """torch's error when an in-place result of `dtype` cannot be written to `out_dtype`
    (some of torch's kernels, in-place clamp's, name the output type in C++: `c_name`)."""
    if ((dtype.kind == "c" and out_dtype.kind != "c")
            or (dtype.kind == "f" and out_dtype.kind in "biu")
            or (dtype != _BOOL and out_dtype == _BOOL)):
        wanted = torch_type_name(out_dtype)
        raise RuntimeError(f"result type {torch_type_name(dtype)} can't be cast to the "
                           f"desired output type {c_type_name(wanted) if c_name else wanted}")


def check_matmul_shapes(a, b):
    """torch's errors for ``matmul`` operands of shapes `a` and `b` that do not fit."""
    if not a or not b:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{len(a)}D and {len(b)}D")
    if len(a) == 1 and len(b) == 1:
        if a[0] != b[0]:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{a[0]}] and src [{b[0]}] to have "
                f"the same number of elements, but got {a[0]} and {b[0]} elements respectively")
        return
    rows = math.prod(a[:-1])
    if len(b) == 1:
        if a[-1] != b[0]:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{a[-1]}), "
                               f"vec ({b[0]})")
        return
    if len(b) == 2:
        if a[-1] != b[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a[-1]} "
                               f"and {b[0]}x{b[1]})")
        return
    batch = math.prod(broadcast_shape(a[:-2], b[:-2]))
    if a[-1] != b[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch}, {a[-1]}] but got: [{batch}, {b[-2]}].")
