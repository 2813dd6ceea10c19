"""Torch-style argument parsing shared by Tensor and the factories, with torch's errors."""
import numbers
import operator

import numpy as np

_TORCH_TYPE_NAMES = {
    "float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
    "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte", "bool": "Bool",
    "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def torch_type_name(dtype):
    """torch's C++ scalar-type name ('Float', 'Long', ...) used in its kernel errors."""
    return _TORCH_TYPE_NAMES.get(np.dtype(dtype).name, str(dtype))


def int_arg(value, fn, name, position=1):
    """`value` as an int; floats, bools and other types get torch's TypeError (`position`
    None: the argument was given by keyword)."""
    if not isinstance(value, (bool, np.bool_)):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{_argument(fn, name, position)} must be int, not "
                    f"{type(value).__name__}")


def int_tuple_arg(values, fn, name="size", position=1):
    """A torch `tuple of ints` argument given as varargs or as one sequence (`position`:
    its place in torch's message, None when given by keyword)."""
    if len(values) == 1 and isinstance(values[0], (tuple, list)):
        values = values[0]
        # torch's parser reads one sequence as ints only if its first element is one
        if values and not _is_int(values[0]):
            raise TypeError(f"{_argument(fn, name, position)} must be tuple of ints, but found "
                            f"element of type {type(values[0]).__name__} at pos 0")
    elif len(values) == 1 and not _is_int(values[0]):
        raise TypeError(f"{_argument(fn, name, position)} must be tuple of ints, not "
                        f"{type(values[0]).__name__}")
    result = []
    for pos, value in enumerate(values, 1):
        if not _is_int(value):
            raise TypeError(
                f"{fn}(): argument '{name}' failed to unpack the object at pos {pos} with "
                f"error \"type must be tuple of ints,but got {type(value).__name__}\"")
        result.append(operator.index(value))
    return tuple(result)


def _is_int(value):
    if isinstance(value, (bool, np.bool_)):
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def wrap_dim(dim, ndim, fn="dim", wrap_scalar=True):
    """Normalise a possibly negative dim against `ndim`, with torch's IndexError."""
    dim = int_arg(dim, fn, "dim")
    if ndim == 0 and not wrap_scalar:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-bound}, {bound - 1}], but got {dim})")
    return dim % bound


def _dims_list(dim, ndim):
    """torch's `dim` for sum/mean: an int, a tuple/list of ints, or () for all dims."""
    if isinstance(dim, (tuple, list)):
        dims = tuple(wrap_dim(d, ndim) for d in dim)
        for d in dims:
            if dims.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        return dims or None
    return (wrap_dim(dim, ndim),)


def infer_shape(shape, numel):
    """Resolve one -1 in `shape` for `numel` elements, with torch's view/reshape errors."""
    shape_text = f"[{', '.join(map(str, shape))}]"
    inferred = None
    known = 1
    for i, n in enumerate(shape):
        if n == -1:
            if inferred is not None:
                raise RuntimeError("only one dimension can be inferred")
            inferred = i
        elif n < 0:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {shape_text}")
        else:
            known *= n
    if inferred is None:
        if known != numel:
            raise RuntimeError(f"shape '{shape_text}' is invalid for input of size {numel}")
        return tuple(shape)
    if known == 0:
        if numel == 0:
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape {shape_text} because the "
                f"unspecified dimension size -1 can be any value and is ambiguous")
        raise RuntimeError(f"shape '{shape_text}' is invalid for input of size {numel}")
    if numel % known:
        raise RuntimeError(f"shape '{shape_text}' is invalid for input of size {numel}")
    shape = list(shape)
    shape[inferred] = numel // known
    return tuple(shape)


def broadcast_shape(*shapes):
    """The shape `shapes` broadcast to, with torch's error where two of them cannot (the
    first mismatch from the last dim, named by its place in the result)."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        pass
    result = ()
    for shape in shapes:
        ndim = max(len(result), len(shape))
        for dim in range(ndim - 1, -1, -1):
            back = ndim - dim
            m = result[-back] if back <= len(result) else 1
            n = shape[-back] if back <= len(shape) else 1
            if m != n and m != 1 and n != 1:
                raise RuntimeError(f"The size of tensor a ({m}) must match the size of tensor "
                                   f"b ({n}) at non-singleton dimension {dim}")
        result = np.broadcast_shapes(result, shape)
    return result


def tensor_arg(value, like, fn, name, position):
    """`value`, a tensor argument of a method of the Tensor `like`, as a Tensor of its class
    (any array is viewed as one), or torch's TypeError for what is no array."""
    if isinstance(value, type(like)):
        return value
    if isinstance(value, np.ndarray):
        return value.view(type(like))
    raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not "
                    f"{type(value).__name__}")


def array_arg(value, fn, name, position):
    """A tensor argument of an op as a plain ndarray: any array (what has ``__array__``, not
    a numpy scalar), or torch's TypeError (its parser refuses lists and numbers)."""
    if isinstance(value, np.ndarray):
        return np.ndarray.view(value, np.ndarray)
    if hasattr(value, "__array__") and not isinstance(value, np.generic):
        return np.asarray(value)
    raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not "
                    f"{torch_typename(value)}")


def check_broadcast_into(target_shape, source_shape):
    """torch's error when `source_shape` cannot broadcast into `target_shape` (in place)."""
    if len(source_shape) > len(target_shape):
        broadcast = np.broadcast_shapes(target_shape, source_shape)
        raise RuntimeError(f"output with shape {list(target_shape)} doesn't match the "
                           f"broadcast shape {list(broadcast)}")
    offset = len(target_shape) - len(source_shape)
    for i, n in reversed(list(enumerate(source_shape))):   # torch reports the last dim
        if n != 1 and n != target_shape[offset + i]:
            raise RuntimeError(
                f"The size of tensor a ({target_shape[offset + i]}) must match the size of "
                f"tensor b ({n}) at non-singleton dimension {offset + i}")


def _is_dtype_like(arg):
    return isinstance(arg, (np.dtype, str)) or (
        isinstance(arg, type) and issubclass(arg, (np.generic, np.ndarray, float, int, bool,
                                                   complex)))


# torch's parser for scalar arguments (Number, float, bool), with its TypeError wording
_HEAPTYPE = 1 << 9                  # CPython's Py_TPFLAGS_HEAPTYPE
_INT64_MIN = -2**63


class NumberOverflowError(OverflowError, ValueError):
    """torch's OverflowError for an int argument beyond 64 bits; also a ValueError, the
    class fastnn's callers catch for a bad argument value."""


def torch_typename(value):
    """The type name torch's argument parser prints (CPython's tp_name): 'NoneType', 'str',
    'numpy.ndarray', 'numpy.bool', 'Tensor'."""
    cls = type(value)
    if cls.__flags__ & _HEAPTYPE or cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


def _tensor_item(value):
    """The element of a 0-d fastnn or torch tensor (torch's parser takes a 0-d tensor where
    a scalar belongs; a numpy array it refuses), else `value` unchanged."""
    # a Tensor is an ndarray subclass; a plain ndarray is refused as torch refuses it
    if type(value) is not np.ndarray and (isinstance(value, np.ndarray)
                                          or hasattr(value, "__array__")):
        arr = np.asarray(value)
        if arr.ndim == 0:
            return arr[()]
    return value


def _argument(fn, name, position):
    """How torch's parser names an argument: with its position when given positionally
    (`position` None: given by keyword)."""
    where = "" if position is None else f" (position {position})"
    return f"{fn}(): argument '{name}'{where}"


def invalid_combination(fn, got, overloads):
    """torch's TypeError for arguments that fit none of `fn`'s overloads: `got` the type
    names torch lists for the arguments, `overloads` the signatures it prints after them."""
    return TypeError(f"{fn}() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:\n"
                     + "".join(f" * {overload}\n" for overload in overloads))


def is_number(value):
    """Whether torch's parser takes `value` as a Number (bools and numpy scalars too)."""
    return isinstance(value, (numbers.Number, np.bool_))


def number_arg(value, fn, name, position):
    """A torch `Number` argument as a Python int, float or complex, refused as torch does
    (`position` None: the argument was given by keyword)."""
    value = _tensor_item(value)
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        value = int(value)
        # torch unpacks ints as int64, then as uint64: only [-2**63, 2**64) fits
        if value >= 2**64:
            raise NumberOverflowError("int too big to convert")
        if value < _INT64_MIN:
            raise NumberOverflowError("can't convert negative int to unsigned")
        return value
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (complex, np.complexfloating)):
        return complex(value)
    raise TypeError(f"{_argument(fn, name, position)} must be Number, not "
                    f"{torch_typename(value)}")


def float_arg(value, fn, name, position):
    """A torch `float` argument (ints and bools are taken, complex is not) as a float
    (`position` None: the argument was given by keyword)."""
    value = _tensor_item(value)
    if isinstance(value, (bool, np.bool_, int, np.integer, float, np.floating)):
        return float(value)
    raise TypeError(f"{_argument(fn, name, position)} must be float, not "
                    f"{torch_typename(value)}")


def bool_arg(value, fn, name, position):
    """A torch `bool` argument: only True or False (not 1, numpy.bool or None)."""
    if value is True or value is False:
        return value
    raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be bool, "
                    f"not {torch_typename(value)}")
