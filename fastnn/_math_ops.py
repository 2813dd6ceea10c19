"""Registry entries of the element-wise Tensor ops that are no single numpy ufunc: clamp
(``x.clamp``, ``fastnn.clamp``/``clip``) and where (``fastnn.where``). The ufuncs proper
(``abs``, ``exp``, ``pow``, ``maximum``, ``matmul``, arithmetic) pass the door as the
ufunc ops `fastnn._dispatch.dispatch_ufunc` registers ("absolute", "exp", "power", ...).

clamp's result dtype is torch's promotion of the tensor with its bounds, decided by the
ufunc rules as it runs (its metadata is None); where's is computed beforehand.
"""
import numpy as np

from ._args import number_arg, torch_type_name
from . import _select_grad
from ._registry import Attrs, register_backward, register_single
from ._ufunc_rules import result_type

__all__ = []

_plain_view = np.ndarray.view


def _plain(x):
    return _plain_view(x, np.ndarray) if isinstance(x, np.ndarray) else x


def _operand(x):
    """A tensor operand as a plain ndarray (a torch tensor too); numbers, numpy scalars
    included, stay numbers for torch's promotion."""
    if isinstance(x, np.ndarray):
        return _plain_view(x, np.ndarray)
    if hasattr(x, "__array__") and not isinstance(x, np.generic):
        return np.asarray(x)
    return x


# ------------------------------------------------------------------ clamp

def _bound(value, name, position):
    """A clamp bound: a tensor/array as it is, else a Number (torch's TypeError)."""
    if isinstance(value, np.ndarray):
        return value
    return number_arg(value, "clamp", name, position)


def _clamp_normalize(input, min=None, max=None):
    """inputs (input, min tensor or None, max tensor or None), Attrs(min=, max= the
    numbers, or None)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    bounds = [None if v is None else _bound(v, name, position)
              for v, name, position in ((min, "min", 1), (max, "max", 2))]
    arrays = tuple(v if isinstance(v, np.ndarray) else None for v in bounds)
    numbers = [None if isinstance(v, np.ndarray) else v for v in bounds]
    return (input, *arrays), Attrs(min=numbers[0], max=numbers[1])


def _clamp_arrays(input, min=None, max=None):
    return (input, min if isinstance(min, np.ndarray) else None,
            max if isinstance(max, np.ndarray) else None)


def _clamp_values(inputs, attrs):
    x, low, high = (_plain(v) for v in inputs)
    return (x, low if low is not None else attrs.min, high if high is not None else attrs.max)


def _clamp_meta(inputs, attrs):
    values = [v for v in _clamp_values(inputs, attrs) if v is not None]
    return np.broadcast_shapes(*(np.shape(v) for v in values)), result_type(values)


def _clamp_run(inputs, attrs, out):
    x, low, high = _clamp_values(inputs, attrs)
    # maximum/minimum propagate NaN from either side, as torch's clamp does
    if low is not None:
        np.maximum(x, low, out=out, casting="unsafe")
    if high is not None:
        np.minimum(out if low is not None else x, high, out=out, casting="unsafe")


# ------------------------------------------------------------------ where

def _where_normalize(condition, input, other):
    """inputs (condition, input tensor or None, other tensor or None), Attrs(input=,
    other= the numbers, or None)."""
    if condition.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                           f"tensor with dtype {torch_type_name(condition.dtype)}")
    values = [_operand(v) for v in (input, other)]
    if result_type(values) is None:
        raise TypeError(f"where() received an invalid combination of arguments - got "
                        f"(Tensor, {type(input).__name__}, {type(other).__name__})")
    arrays = tuple(v if isinstance(v, np.ndarray) else None for v in values)
    return ((_plain(condition), *arrays),
            Attrs(input=None if arrays[0] is not None else values[0],
                  other=None if arrays[1] is not None else values[1]))


def _where_values(inputs, attrs):
    return [inputs[1] if inputs[1] is not None else attrs.input,
            inputs[2] if inputs[2] is not None else attrs.other]


def _where_meta(inputs, attrs):
    shape = np.broadcast_shapes(*(np.shape(v) for v in (inputs[0], *_where_values(
        inputs, attrs))))
    return shape, result_type(_where_values(inputs, attrs))


def _where_run(inputs, attrs, out):
    np.copyto(out, np.where(inputs[0], *_where_values(inputs, attrs)), casting="unsafe")


register_single("clamp", _clamp_normalize, _clamp_meta, _clamp_run, arrays=_clamp_arrays)
register_single("where", _where_normalize, _where_meta, _where_run)
for _name in ("clamp", "where"):
    register_backward(_name, *_select_grad.BACKWARDS[_name])
