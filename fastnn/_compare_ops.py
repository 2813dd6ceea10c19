"""Registry entries of rsqrt and erf (no numpy ufunc computes them) and of the whole-tensor
comparisons allclose and equal (op "tensor_equal"), which answer a Python bool (their
metadata is None).
log, sqrt, isnan, isinf and isfinite are numpy ufuncs: on Tensors they pass the ufunc door
as the ops "log", "sqrt", "isnan", ... with torch's result dtypes (`fastnn._ufunc_rules`).
"""
import numpy as np

from ._args import array_arg, float_arg, bool_arg, torch_type_name
from ._dtypes import get_default_dtype
from ._registry import Attrs, NO_ATTRS, register_single
from ._runtime import launch
from .kernels import elementwise as _elementwise

__all__ = []


def _plain(x):
    return np.ndarray.view(x, np.ndarray)


# ------------------------------------------------------------------ rsqrt

def _rsqrt_normalize(input):
    return (_plain(input),), NO_ATTRS


def _rsqrt_meta(inputs, attrs):
    x = inputs[0]
    return x.shape, x.dtype if x.dtype.kind in "fc" else get_default_dtype()


def _rsqrt_run(inputs, attrs, out):
    x = inputs[0]
    with np.errstate(all="ignore"):         # torch: inf for 0, NaN for negatives
        # integers in the result's dtype first: numpy's loop for uint8 is float16
        np.sqrt(x if x.dtype == out.dtype else x.astype(out.dtype), out=out)
        np.divide(1, out, out=out)


# ------------------------------------------------------------------ erf

def _erf_normalize(input):
    return (_plain(input),), NO_ATTRS


def _erf_meta(inputs, attrs):
    shape, dtype = _rsqrt_meta(inputs, attrs)
    return shape, dtype.newbyteorder("=")      # the kernel writes native floats


def _erf_run(inputs, attrs, out):
    x = inputs[0]
    # integers and bools in the result's dtype first, as torch computes them
    x = x if x.dtype == out.dtype else x.astype(out.dtype)
    launch(_elementwise.erf, np.ascontiguousarray(x).reshape(-1), out.reshape(-1),
           work=x.size * 8)


# ------------------------------------------------------------------ allclose, equal

def _broadcast_error(a, b):
    """torch's refusal of two shapes that do not broadcast (it names the last dim)."""
    for i in range(1, min(len(a), len(b)) + 1):
        m, n = a[-i], b[-i]
        if m != n and m != 1 and n != 1:
            return RuntimeError(f"The size of tensor a ({m}) must match the size of tensor "
                                f"b ({n}) at non-singleton dimension "
                                f"{max(len(a), len(b)) - i}")
    return None


_ALLCLOSE = ("rtol", "atol", "equal_nan")
_ALLCLOSE_DEFAULTS = {"rtol": 1e-05, "atol": 1e-08, "equal_nan": False}


def _allclose_normalize(input, other, *args, method=False, **kwargs):
    """``allclose(input, other, rtol, atol, equal_nan)``; `method`: called as
    ``input.allclose(...)``, whose positions torch counts from `other`."""
    first = 2 if method else 3
    a = array_arg(input, "allclose", "input", 1)
    b = array_arg(other, "allclose", "other", first - 1)
    if len(args) > len(_ALLCLOSE):
        given = len(args) + first - 1
        raise TypeError(f"allclose() takes from {first - 1} to {first + 2} positional "
                        f"arguments but {given} were given")
    values = dict(_ALLCLOSE_DEFAULTS)
    for name in kwargs:
        if name not in _ALLCLOSE or name in _ALLCLOSE[:len(args)]:
            raise TypeError(f"allclose() got an unexpected keyword argument '{name}'")
    values.update(zip(_ALLCLOSE, args))
    values.update(kwargs)
    positions = {name: first + i if i < len(args) else None
                 for i, name in enumerate(_ALLCLOSE)}
    rtol = _checked(float_arg, values["rtol"], "rtol", positions["rtol"])
    atol = _checked(float_arg, values["atol"], "atol", positions["atol"])
    equal_nan = _checked(bool_arg, values["equal_nan"], "equal_nan", positions["equal_nan"])
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got "
                               f"{value:g}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{torch_type_name(a.dtype)} did not match "
                           f"{torch_type_name(b.dtype)}")
    error = _broadcast_error(a.shape, b.shape)
    if error is not None:
        raise error
    return (a, b), Attrs(rtol=rtol, atol=atol, equal_nan=equal_nan)


def _checked(parse, value, name, position):
    """`parse`'s answer, its error without a position for a keyword argument (as torch's
    parser words it)."""
    try:
        return parse(value, "allclose", name, position)
    except TypeError as error:
        if position is None:
            raise TypeError(str(error).replace(" (position None)", "")) from None
        raise


def _allclose_run(inputs, attrs, out):
    a, b = inputs
    if a.dtype == np.bool_:     # torch compares bools as numbers
        a, b = a.astype(np.int64), b.astype(np.int64)
    with np.errstate(all="ignore"):
        return bool(np.all(np.isclose(a, b, rtol=attrs.rtol, atol=attrs.atol,
                                      equal_nan=attrs.equal_nan)))


def _equal_normalize(input, other):
    return (array_arg(input, "equal", "input", 1),
            array_arg(other, "equal", "other", 2)), NO_ATTRS


def _equal_run(inputs, attrs, out):
    a, b = inputs
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _no_meta(inputs, attrs):
    return None


register_single("rsqrt", _rsqrt_normalize, _rsqrt_meta, _rsqrt_run,
                arrays=lambda input: (_plain(input),))
register_single("erf", _erf_normalize, _erf_meta, _erf_run,
                arrays=lambda input: (_plain(input),))
register_single("allclose", _allclose_normalize, _no_meta, _allclose_run)
# not "equal": that is the name of numpy's ufunc op, which `==` on Tensors reaches
register_single("tensor_equal", _equal_normalize, _no_meta, _equal_run)
