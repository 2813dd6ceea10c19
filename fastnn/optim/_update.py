"""What every optimizer's step shares: flat kernel views of a parameter and its state,
the gradient as the kernel reads it, fresh state buffers, the step counter."""
import numpy as np

from .._array import as_array, check_float, wrap
from .._grad import enable_grad
from .optimizer import scalar_dtype


class FlatViews:
    """Flat C-contiguous views of arrays the kernel updates in place; arrays that are not
    contiguous are updated through a copy written back by :meth:`write_back`."""

    def __init__(self):
        self._copies = []

    def __call__(self, arr):
        if arr is None:
            return None
        plain = as_array(arr)
        if plain.flags.c_contiguous:
            return plain.reshape(-1)
        copy = np.ascontiguousarray(plain)
        self._copies.append((plain, copy))
        return copy.reshape(-1)

    def write_back(self):
        for plain, copy in self._copies:
            plain[...] = copy


def closure_loss(closure):
    """What `closure()` returns, run with grad mode on (torch's step does the same)."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def gradient(param):
    """`param.grad` as a flat contiguous array of the parameter's dtype (never written)."""
    check_float(param, "optimizer parameter")
    grad = as_array(param.grad, "grad")
    if grad.shape != param.shape:
        raise RuntimeError(f"assigned grad has data of a different size: grad shape "
                           f"{list(grad.shape)}, parameter shape {list(param.shape)}")
    return np.ascontiguousarray(grad, dtype=param.dtype).reshape(-1)


def zeros_like(param):
    return wrap(np.zeros(param.shape, dtype=param.dtype))


def new_step():
    """torch's initial `step`: a 0-d tensor 0.0 of the default (scalar) dtype."""
    return wrap(np.zeros((), dtype=scalar_dtype()))


def advance_step(state):
    """step += 1 in the step tensor's own dtype (torch's in-place add); returns its value."""
    step = as_array(state["step"])
    np.add(step, step.dtype.type(1), out=step)
    return float(step)


def dummy(param):
    """A 1-element array of the parameter's dtype for a state the kernel does not use."""
    return np.zeros(1, dtype=param.dtype)


def cast(param, value):
    """A Python scalar as the parameter's dtype, as torch casts it before the element loop."""
    return param.dtype.type(value)
