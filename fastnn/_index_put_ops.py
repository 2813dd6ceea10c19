"""Registry entry of ``x[key] = value`` (op "index_put_", torch's name for the write), the
door `Tensor.__setitem__` takes once autograd is live: the write bumps the tensor's
version counter and, when the tensor or the value requires grad, is recorded as torch
records it (the old values at `key` get no gradient, the value gets the gradient at
`key`). The key is parsed and checked as indexing parses it (`fastnn._shape_ops`)."""
import numpy as np

from . import _grad
from ._registry import Attrs, register_single
from ._shape_ops import IndexSlice, IndexTensor, _index_key, _index_normalize, _numpy_key, \
    no_meta
from .tensor import Tensor

_plain_view = np.ndarray.view


def _index_put_normalize(input, key, value):
    """inputs: (x, the value array or None, the key's arrays); Attrs(index=the canonical
    key, value=a number value or None)."""
    (x, *arrays), attrs = _index_normalize(input, key)
    if (_grad._mode.grad and isinstance(input, Tensor) and input.requires_grad
            and input.grad_fn is None and input.flags.writeable
            and _through_a_view(attrs.index)):
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                           "an in-place operation.")
    number = None
    if isinstance(value, np.ndarray):
        array = value                   # the caller's object: autograd finds its source
    elif (hasattr(value, "__array__") or type(value) in (list, tuple)) and not isinstance(
            value, np.generic):
        array = np.asarray(value)
    else:
        array, number = None, value
    return (x, array, *arrays), Attrs(index=attrs.index, value=number)


def _through_a_view(index):
    """Whether torch writes this key through a view of the tensor (an int, None or a
    partial slice, no index tensor), so that its refusal names a view of a leaf."""
    if any(type(part) is IndexTensor for part in index):
        return False
    return any(part is None or type(part) is not IndexSlice and part is not Ellipsis
               or type(part) is IndexSlice and part != (None, None, None) for part in index)


def _index_put_run(inputs, attrs, out):
    x, value = inputs[0], inputs[1]
    key = _numpy_key(_index_key((x,) + tuple(inputs[2:]), attrs.index))
    plain = _plain_view(x, np.ndarray)
    value = attrs.value if value is None else _plain_view(value, np.ndarray)
    try:
        np.ndarray.__setitem__(plain, key, value)
    except ValueError as error:
        if "could not broadcast" not in str(error):
            raise
        raise _expand_error(np.shape(value), plain[key].shape, x.dtype) from None
    except IndexError as error:     # an array part out of bounds: numpy's check, torch's word
        raise IndexError(str(error).replace(" for axis ", " for dimension ")) from None
    return x


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
               "int32": "IntTensor", "bool": "BoolTensor", "uint8": "ByteTensor"}


def _expand_error(shape, target, dtype):
    """torch's refusal to expand a value of `shape` (leading 1s dropped, as torch drops
    them) to the indexed `target` shape."""
    shape = list(shape)
    while len(shape) > len(target) and shape[0] == 1:
        shape.pop(0)
    if len(shape) > len(target):
        kind = _TYPE_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)
        return RuntimeError(f"expand(fastnn.{kind}{{{shape}}}, size={list(target)}): the "
                            f"number of sizes provided ({len(target)}) must be greater or "
                            f"equal to the number of dimensions in the tensor ({len(shape)})")
    for i in range(1, len(shape) + 1):
        if shape[-i] not in (1, target[-i]):
            return RuntimeError(
                f"The expanded size of the tensor ({target[-i]}) must match the existing size "
                f"({shape[-i]}) at non-singleton dimension {len(target) - i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {shape}")
    return RuntimeError(f"shape mismatch: value tensor of shape {shape} cannot be broadcast "
                        f"to indexing result of shape {list(target)}")


register_single("index_put_", _index_put_normalize, no_meta, _index_put_run)
