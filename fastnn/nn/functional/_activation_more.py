"""More activations, as ``torch.nn.functional``: mish, selu, celu, softplus, logsigmoid,
softsign, tanhshrink, threshold, prelu, softmin.

Conventions as in `_activation` (whose helpers these share): float32/float64 run the
kernels of `kernels/activation.py` (results in the input's dtype), other dtypes get a TypeError
naming the dtype, except where torch computes on integers too: ``threshold`` keeps an
integer input's dtype, ``softsign`` and ``tanhshrink`` (Python compositions in torch)
give the default float dtype. Scalar arguments are parsed and range-checked as torch's
argument parser and its checked conversions do. ``inplace=True`` writes into the input
and returns it.
"""
import math

import numpy as np

from ... import _registry
from ..._args import number_arg, torch_type_name, torch_typename
from ..._dispatch import dispatch
from ..._dtypes import get_default_dtype
from ..._registry import Attrs
from ..._runtime import launch
from ...kernels import activation as _k
from .._utils import as_array, check_float, kernel_array
from . import _activation_grad as _grad
from ._activation import (_check_writeable, _elementwise_meta, _implicit_softmax_dim, _overflow,
                          _softmax_normalize, _softmax_run, caller_input, float_array,
                          float_scalar, keeping_original, run_code, run_kernel)

__all__ = [
    "mish", "selu", "selu_", "celu", "celu_", "softplus", "logsigmoid", "softsign",
    "tanhshrink", "threshold", "threshold_", "prelu", "softmin",
]

# torch's SELU constants (Klambauer et al., 2017), as aten/src/ATen/native/Activation.cpp
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def mish(input, inplace=False):
    r"""mish(input, inplace=False) -> Tensor

    Applies :math:`x \tanh(\operatorname{softplus}(x)) = x \tanh(\log(1 + e^x))`
    element-wise.
    """
    return dispatch("mish", input, inplace)


def selu(input, inplace=False):
    r"""selu(input, inplace=False) -> Tensor

    Applies :math:`\text{scale} (\max(0, x) + \min(0, \alpha (e^x - 1)))` with
    :math:`\alpha \approx 1.6733`, :math:`\text{scale} \approx 1.0507`.
    """
    return dispatch("selu", input, inplace)


def selu_(input):
    """In-place version of :func:`selu`."""
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    r"""celu(input, alpha=1., inplace=False) -> Tensor

    Applies :math:`\max(0, x) + \min(0, \alpha (e^{x / \alpha} - 1))`; `alpha` must not
    be 0.
    """
    return dispatch("celu", input, alpha, inplace)


def celu_(input, alpha=1.0):
    """In-place version of :func:`celu`."""
    return celu(input, alpha, inplace=True)


def softplus(input, *args, **kwargs):
    r"""softplus(input, beta=1, threshold=20) -> Tensor

    Applies :math:`\frac{1}{\beta} \log(1 + e^{\beta x})`, and :math:`x` itself where
    :math:`\beta x > \text{threshold}` (as torch, for numerical stability).
    """
    # torch's F.softplus is a builtin: its argument errors name a position only for an
    # argument given by position, so the arguments reach the op as given
    return dispatch("softplus", input, *args, **kwargs)


def log_sigmoid(input):
    r"""logsigmoid(input) -> Tensor

    Applies :math:`\log(1 / (1 + e^{-x}))`, computed stably as
    :math:`\min(x, 0) - \log(1 + e^{-|x|})`.
    """
    return dispatch("logsigmoid", input)


logsigmoid = log_sigmoid      # torch's F.logsigmoid is its builtin log_sigmoid (the name
                              # its argument errors print)


def softsign(input):
    r"""softsign(input) -> Tensor

    Applies :math:`x / (1 + |x|)`; integer input gives the default float dtype.
    """
    return dispatch("softsign", _promoted(input))


def tanhshrink(input):
    r"""tanhshrink(input) -> Tensor

    Applies :math:`x - \tanh(x)`; integer input gives the default float dtype.
    """
    return dispatch("tanhshrink", _promoted(input))


def _promoted(input):
    """Integer input as the default float dtype (before the door: the op's remembered
    output dtype must not depend on the default dtype)."""
    dtype = getattr(input, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return as_array(input).astype(get_default_dtype())
    return input


def threshold(input, threshold, value, inplace=False):
    r"""threshold(input, threshold, value, inplace=False) -> Tensor

    Replaces every element :math:`\le` `threshold` by `value` (NaN is kept). Integer input
    keeps its dtype, with both numbers converted to it as torch converts them.
    """
    return dispatch("threshold", input, threshold, value, inplace)


def threshold_(input, threshold, value):
    """In-place version of :func:`threshold`."""
    return dispatch("threshold", input, threshold, value, True)


def prelu(input, weight):
    r"""prelu(input, weight) -> Tensor

    Applies :math:`x` for :math:`x > 0`, else :math:`w_c x`, where the weight has one
    element (shared) or one per channel (dim 1 of the input; a 1-D input is one channel).

    Shape: input any (at least 1-D unless the weight has one element); weight a scalar or
    1-D of 1 or ``C`` elements, of the input's dtype.
    """
    return dispatch("prelu", input, weight)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    r"""softmin(input, dim=None, dtype=None) -> Tensor

    :math:`\exp(-x_i) / \sum_j \exp(-x_j)` along `dim`: torch's ``softmax(-input)``,
    the negation in the input's dtype (then cast to `dtype` if given). ``dim=None`` takes
    torch's deprecated implicit dim, with its warning.
    """
    return dispatch("softmin", input, dim, dtype, _stacklevel=_stacklevel + 4)


# ---------------------------------------------------------------- registry entries

def _float_op(input, inplace=False, **scalars):
    """(inputs, attrs) of a float-only kernel op; `scalars` already parsed Numbers."""
    inputs = caller_input(input)
    arr = float_array(inputs[0])
    dtype = arr.dtype.newbyteorder("=")
    converted = {name: float_scalar(v, dtype) for name, v in scalars.items()}
    return inputs, Attrs(**converted, inplace=bool(inplace))


def _zeros(attrs, t):
    return t(0), t(0), t(0)


def _mish(input, inplace=False):
    return _float_op(input, inplace)


def _selu(input, inplace=False):
    return _float_op(input, inplace)


def _selu_params(attrs, t):
    # torch's elu kernel: negcoef = alpha * scale, both first converted to the dtype
    return t(_SELU_ALPHA) * t(_SELU_SCALE), t(_SELU_SCALE), t(1)


def _complex_to_double(value):
    """torch's Scalar.to<double>(): a complex with an imaginary part overflows."""
    if isinstance(value, complex):
        if value.imag != 0:
            raise _overflow(np.float64)
        return value.real
    return value


def _celu(input, alpha=1.0, inplace=False):
    alpha = _complex_to_double(number_arg(alpha, "celu_" if inplace else "celu", "alpha", 2))
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    # torch: elu(input, alpha, scale=1, input_scale=1 / alpha)
    return _float_op(input, inplace, alpha=alpha, inverse=1.0 / alpha)


def _celu_params(attrs, t):
    return attrs.alpha, t(1), attrs.inverse


def _softplus_signature(input, beta=1.0, threshold=20.0):
    return beta, threshold


_softplus_signature.__name__ = _softplus_signature.__qualname__ = "softplus"


def _softplus(input, *args, **kwargs):
    values = _softplus_signature(input, *args, **kwargs)
    parsed = {}
    for position, (name, value) in enumerate(zip(("beta", "threshold"), values), 2):
        try:
            parsed[name] = number_arg(value, "softplus", name, position)
        except TypeError as error:
            if name not in kwargs:
                raise
            raise TypeError(str(error).replace(f" (position {position})", "")) from None
    return _float_op(input, False, **parsed)


def _logsigmoid(input):
    return _float_op(input)


def _float_composite(fn, bool_error):
    """normalize of a torch composite (its F function has cast integers already)."""
    def normalize(input):
        inputs = caller_input(input)
        arr = as_array(inputs[0])
        if arr.dtype == np.bool_:
            raise bool_error()
        float_array(arr)
        return inputs, Attrs()
    normalize.__name__ = f"_{fn}"
    return normalize


def _int_scalar(value, dtype):
    """A parsed Number converted to integer `dtype` with c10's overflow rule: floats
    truncate (NaN, inf and out-of-range refused); a negative int may wrap into an
    unsigned type down to -max."""
    info = np.iinfo(dtype)
    if isinstance(value, complex):
        if value.imag != 0:
            raise _overflow(dtype)
        value = value.real
    if isinstance(value, float):
        if value != value or not info.min <= value <= info.max:
            raise _overflow(dtype)
        return dtype.type(int(value))
    value = int(value)
    if value >= 2**63 or value > info.max or (
            value < info.min and not (info.min == 0 and -value <= info.max)):
        raise _overflow(dtype)
    return np.array(value).astype(dtype)[()]


def _threshold(input, threshold, value, inplace=False):
    fn = "threshold_" if inplace else "threshold"
    threshold = number_arg(threshold, fn, "threshold", 2)
    value = number_arg(value, fn, "value", 3)
    inputs = caller_input(input)
    arr = as_array(inputs[0])
    if arr.dtype == np.bool_:
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    dtype = arr.dtype.newbyteorder("=")
    if dtype.kind in "iu":
        threshold, value = _int_scalar(threshold, dtype), _int_scalar(value, dtype)
    else:
        float_array(arr)
        threshold, value = float_scalar(threshold, dtype), float_scalar(value, dtype)
    return inputs, Attrs(threshold=threshold, value=value, inplace=bool(inplace))


def _run_threshold(inputs, attrs, out):
    arr = as_array(inputs[0])
    if arr.dtype.kind in "iu":
        if out is None:
            _check_writeable(arr)
        target = arr if out is None else out
        np.copyto(target, np.where(arr <= attrs.threshold, attrs.value, arr), casting="unsafe")
    else:
        run_kernel(_k.pointwise, arr, out, (_k.THRESHOLD, attrs.threshold, attrs.value,
                                            attrs.threshold))
    return inputs[0] if out is None else out


# ---------------------------------------------------------------- prelu

def _prelu_arrays(input, weight):
    return as_array(input), as_array(weight)


def _prelu(input, weight):
    if not (isinstance(weight, np.ndarray) or hasattr(weight, "__array__")):
        raise TypeError(f"prelu(): argument 'weight' (position 2) must be Tensor, not "
                        f"{torch_typename(weight)}")
    x, w = _prelu_arrays(input, weight)
    if x.dtype.newbyteorder("=") != w.dtype.newbyteorder("="):
        raise RuntimeError(f"prelu: Type promoting not supported. Got "
                           f"{torch_type_name(x.dtype)} and {torch_type_name(w.dtype)}")
    if w.size != 1:
        if x.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = x.shape[1] if x.ndim > 1 else 1
        if channels != w.size:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {w.size} and channel size = {channels}.")
    if w.ndim > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {w.ndim}")
    check_float(x)
    return (x, w), Attrs()


def _prelu_meta(inputs, attrs):
    x = inputs[0]
    return x.shape, x.dtype.newbyteorder("=")


def _run_prelu(inputs, attrs, out):
    x, w = inputs
    if out.size == 0:
        return out
    if w.size == 1 or x.ndim < 2:
        view = (1, 1, x.size)
    else:
        view = (x.shape[0], x.shape[1], math.prod(x.shape[2:]))
    weight = kernel_array(w.reshape(-1), out.dtype)
    launch(_k.prelu, kernel_array(x).reshape(view), weight, out.reshape(view), work=x.size)
    return out


# ---------------------------------------------------------------- softmin

def _softmin(input, dim=None, dtype=None, _stacklevel=4):
    arr = as_array(input)
    if dim is None:
        # torch picks the implicit dim (and warns) before negating; the negation refuses
        # booleans before softmax looks at dim and dtype. One frame fewer than softmax's
        # normalize (no lambda around this one) between the caller and the warning.
        dim = _implicit_softmax_dim("softmin", arr.ndim, _stacklevel - 1)
    if arr.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")
    return _softmax_normalize("softmax", arr, dim, dtype)


_softmax_forward = _softmax_run(False)


def _run_softmin(inputs, attrs, out):
    negated = np.negative(as_array(inputs[0]))
    return _softmax_forward((negated,), attrs, out)


def _softmin_meta(inputs, attrs):
    arr = inputs[0]
    dtype = arr.dtype if attrs.dtype is None else np.dtype(attrs.dtype)
    return arr.shape, dtype.newbyteorder("=")


for _name, _normalize, _run in (
        ("mish", _mish, run_code(_k.MISH, _zeros)),
        ("selu", _selu, run_code(_k.ELU, _selu_params)),
        ("celu", _celu, run_code(_k.ELU, _celu_params)),
        ("softplus", _softplus,
         run_code(_k.SOFTPLUS, lambda attrs, t: (attrs.beta, attrs.threshold, t(0)))),
        ("logsigmoid", _logsigmoid, run_code(_k.LOG_SIGMOID, _zeros)),
        ("threshold", _threshold, _run_threshold)):
    _arrays = caller_input
    if _name in ("mish", "threshold"):      # their in-place backward reads the input
        _normalize, _arrays = keeping_original(_normalize, caller_input,
                                               2 if _name == "threshold" else 0)
    _registry.register_single(_name, _normalize, _elementwise_meta, _run, arrays=_arrays)

def _bool_abs_error():
    return NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")


def _bool_subtract_error():
    return RuntimeError(
        "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
        "trying to invert a mask, use the `~` or `logical_not()` operator instead.")



for _name, _code, _error in (("softsign", _k.SOFTSIGN, _bool_abs_error),
                             ("tanhshrink", _k.TANHSHRINK, _bool_subtract_error)):
    _registry.register_single(_name, _float_composite(_name, _error), _elementwise_meta,
                              run_code(_code, lambda attrs, t: (t(1), t(0), t(0))),
                              arrays=caller_input)

_registry.register_single("prelu", _prelu, _prelu_meta, _run_prelu, arrays=_prelu_arrays)
# never memoised: an implicit dim warns on every call, as torch's does
_registry.register_single("softmin", _softmin, _softmin_meta, _run_softmin)

for _name in ("mish", "selu", "celu", "softplus", "logsigmoid", "softsign", "tanhshrink",
              "threshold", "prelu", "softmin"):
    _registry.register_backward(_name, *_grad.BACKWARDS[_name])
