"""Registry entry of ``x[key] = value`` (op "index_put_", torch's name for the write), the
door `Tensor.__setitem__` takes once autograd is live: the write bumps the tensor's
version counter and, when the tensor or the value requires grad, is recorded as torch
records it (the old values at `key` get no gradient, the value gets the gradient at
`key`). The key is parsed and checked as indexing parses it (`fastnn._shape_ops`)."""
import numpy as np

from ._registry import Attrs, register_single
from ._shape_ops import _index_key, _index_normalize, _numpy_key, no_meta

_plain_view = np.ndarray.view


def _index_put_normalize(input, key, value):
    """inputs: (x, the value array or None, the key's arrays); Attrs(index=the canonical
    key, value=a number value or None)."""
    (x, *arrays), attrs = _index_normalize(input, key)
    number = None
    if isinstance(value, np.ndarray):
        array = value                   # the caller's object: autograd finds its source
    elif (hasattr(value, "__array__") or type(value) in (list, tuple)) and not isinstance(
            value, np.generic):
        array = np.asarray(value)
    else:
        array, number = None, value
    return (x, array, *arrays), Attrs(index=attrs.index, value=number)


def _index_put_run(inputs, attrs, out):
    x, value = inputs[0], inputs[1]
    key = _numpy_key(_index_key((x,) + tuple(inputs[2:]), attrs.index))
    np.ndarray.__setitem__(_plain_view(x, np.ndarray), key,
                           attrs.value if value is None else _plain_view(value, np.ndarray))
    return x


register_single("index_put_", _index_put_normalize, no_meta, _index_put_run)
