"""Dtypes and whole-tensor facts: ``fastnn.result_type``, ``promote_types``, ``can_cast``,
``is_nonzero``, ``is_same_size`` and the factory ``scalar_tensor``. fastnn's dtypes are numpy
dtypes; promotion is torch's (`fastnn._ufunc_rules.result_type`, which the ufuncs use: a
dimensioned tensor outranks a 0-d one, which outranks a Python number, within a category).
None of these computes a tensor from a tensor, so none passes the door."""
import numpy as np

from ._args import is_number, number_arg, torch_typename
from ._dtypes import as_dtype, get_default_dtype, promote_types as _promote
from ._ufunc_rules import result_type as _result_type
from .tensor import Tensor

__all__ = ["result_type", "promote_types", "can_cast", "is_nonzero", "is_same_size",
           "scalar_tensor"]

_RESULT_TYPE_OVERLOADS = [("Tensor tensor", "Tensor other"), ("Number scalar", "Tensor tensor"),
                          ("Tensor tensor", "Number other"),
                          ("Number scalar1", "Number scalar2")]


def _kind(value):
    return "Tensor" if isinstance(value, np.ndarray) else "Number" if is_number(value) else None


def result_type(tensor, other):
    """The dtype torch's arithmetic gives `tensor` with `other` (tensors or numbers)
    (``torch.result_type``)."""
    kinds = [_kind(tensor), _kind(other)]
    if None in kinds:
        got = [torch_typename(v) if k != "Tensor" else "Tensor"
               for k, v in zip(kinds, (tensor, other))]
        lines = []
        for overload in _RESULT_TYPE_OVERLOADS:
            # torch's report shows only a tensor in a Tensor slot as matching
            marked = [name if kinds[i] == "Tensor" == overload[i].split()[0] else
                      f"!{_listed(value, name)}!" for i, (name, value) in enumerate(
                          zip(got, (tensor, other)))]
            lines.append(f"({', '.join(overload)})\n      didn't match because some of the "
                         f"arguments have invalid types: ({', '.join(marked)})")
        raise TypeError("result_type() received an invalid combination of arguments - got "
                        f"({', '.join(got)}), but expected one of:\n"
                        + "".join(f" * {line}\n" for line in lines))
    return _result_type([tensor, other])


def _listed(value, name):
    """How torch's report names a list argument: its element types too."""
    if type(value) is not list:
        return name
    types = list(dict.fromkeys(torch_typename(v) for v in value))
    return f"{name} of [{', '.join(types)}]"


def _dtype_arg(value, fn, name, position):
    if isinstance(value, np.dtype) or (isinstance(value, type)
                                       and issubclass(value, np.generic)):
        return np.dtype(value)
    raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be torch.dtype, "
                    f"not {torch_typename(value)}")


def promote_types(type1, type2):
    """The smallest dtype both `type1` and `type2` convert to without losing their category
    (``torch.promote_types``: uint8 with int8 is int16, an integer with a float the
    float)."""
    return _promote(_dtype_arg(type1, "promote_types", "type1", 1),
                    _dtype_arg(type2, "promote_types", "type2", 2))


def _category(dtype):
    return "bool" if dtype.kind == "b" else "int" if dtype.kind in "iu" else dtype.kind


def can_cast(from_, to):
    """Whether torch's type promotion lets `from_` be written into `to`: never a float into
    an integer, a complex into a real, or anything but bool into bool (``torch.can_cast``);
    a narrower dtype of the same category is allowed."""
    source = _dtype_arg(from_, "can_cast", "from_", 1)
    target = _dtype_arg(to, "can_cast", "to", 2)
    order = ["bool", "int", "f", "c"]
    return order.index(_category(source)) <= order.index(_category(target))


def _tensor_arg(value, fn, name, position):
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, "
                        f"not {torch_typename(value)}")
    return value


def is_nonzero(input):
    """Whether the single element of `input` is not zero (``torch.is_nonzero``); NaN is."""
    x = _tensor_arg(input, "is_nonzero", "input", 1)
    if x.size == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if x.size > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(np.asarray(x).reshape(()) != 0)


def is_same_size(input, other):
    """Whether `input` and `other` have the same shape (``torch.is_same_size``)."""
    a = _tensor_arg(input, "is_same_size", "input", 1)
    b = _tensor_arg(other, "is_same_size", "other", 2)
    return a.shape == b.shape


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=False,
                  requires_grad=False):
    """A 0-d tensor holding the number `s`, of the default float dtype unless `dtype` says
    otherwise (``torch.scalar_tensor``: the value does not choose the dtype)."""
    value = number_arg(s, "scalar_tensor", "s", 1)
    dtype = np.dtype(as_dtype(dtype, "scalar_tensor") or get_default_dtype())
    if isinstance(value, complex) and dtype.kind != "c":
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES.get(dtype.name)} "
                           "without overflow")
    if dtype.kind in "iu" and not np.iinfo(dtype).min <= value <= np.iinfo(dtype).max:
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dtype.name]} "
                           "without overflow")
    result = np.array(value).astype(dtype).view(Tensor)
    if requires_grad:
        result.requires_grad_(True)
    return result


# the C++ type torch names in its overflow message
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "int64_t",
            "int32": "int", "int16": "int16_t", "int8": "int8_t", "uint8": "uint8_t",
            "bool": "bool"}
