"""Shrinkage and gated activations, as ``torch.nn.functional``: hardshrink, softshrink, glu,
rrelu, rrelu_.

hardshrink and softshrink run op codes of `kernels/activation.py`'s ``pointwise`` (their
backward a code of `kernels/activation_grad.py`'s ``piecewise_backward``, torch's
``shrink_backward``). glu is a composition of fastnn's ops (two halves, sigmoid, product),
its gradient theirs. rrelu is one op: outside training, torch's leaky_relu with slope
``(lower + upper) / 2``; in training, a slope per non-positive element drawn from U[lower,
upper) of fastnn's default generator (torch's noise, not its bit stream), kept as the op's
second input for the backward (``grad * noise``, as torch's).

float32 and float64 run the kernels; integer and bool inputs get torch's NotImplementedError
naming its kernel, other dtypes fastnn's TypeError naming the dtype. Scalar arguments are
parsed and converted as torch's argument parser and its checked conversions do.
"""
import math

import numpy as np

from ... import _registry
from ..._array import wrap
from ..._args import bool_arg, int_arg, number_arg, torch_type_name, wrap_dim
from ..._dispatch import dispatch
from ..._random import default_generator
from ..._registry import Attrs
from ..._sampling import uniform
from ...kernels import activation as _k
from ...kernels import activation_grad as _kg
from ...kernels import elementwise as _elementwise
from ...tensor import Tensor
from .._utils import as_array
from . import _activation_grad as _grad
from ._activation import (_check_writeable, _elementwise_meta, caller_input, float_array,
                          float_scalar, run_code, run_kernel, sigmoid)

__all__ = ["hardshrink", "softshrink", "glu", "rrelu", "rrelu_"]


def hardshrink(input, *args, **kwargs):
    r"""hardshrink(input, lambd=0.5) -> Tensor

    Applies :math:`x` where :math:`|x| > \lambda`, else 0, element-wise.
    """
    return dispatch("hardshrink", input, *args, **kwargs)


def softshrink(input, *args, **kwargs):
    r"""softshrink(input, lambd=0.5) -> Tensor

    Applies :math:`x - \lambda` where :math:`x > \lambda`, :math:`x + \lambda` where
    :math:`x < -\lambda`, else 0, element-wise; `lambd` must lie in [0, the dtype's max].
    """
    return dispatch("softshrink", input, *args, **kwargs)


def glu(input, dim=-1):
    r"""glu(input, dim=-1) -> Tensor

    The gated linear unit: :math:`a \otimes \sigma(b)`, where `input` is split in half
    along `dim` into :math:`a` (first half) and :math:`b`.

    Shape: input :math:`(\ast_1, N, \ast_2)` with :math:`N` even; output
    :math:`(\ast_1, M, \ast_2)` with :math:`M = N / 2`.
    """
    x = input if isinstance(input, np.ndarray) else as_array(input)
    dim = int_arg(dim, "glu", "dim", 2)
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = wrap_dim(dim, x.ndim)
    if x.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                           f"{x.shape[dim]}")
    _float_kernel_input(x, "glu_cpu")
    x = x if isinstance(x, Tensor) else wrap(x)
    half = x.shape[dim] // 2
    return x.narrow(dim, 0, half) * sigmoid(x.narrow(dim, half, half))


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    r"""rrelu(input, lower=1./8, upper=1./3, training=False, inplace=False) -> Tensor

    Randomized leaky ReLU: :math:`x` where :math:`x > 0`, else :math:`a x`, with :math:`a`
    drawn from :math:`U[\text{lower}, \text{upper})` per element in training (from the
    default generator: ``fastnn.manual_seed`` makes it reproducible) and
    :math:`(\text{lower} + \text{upper}) / 2` otherwise.
    """
    return dispatch("rrelu", input, lower, upper, training, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place version of :func:`rrelu`."""
    return dispatch("rrelu", input, lower, upper, training, True)


# ---------------------------------------------------------------- registry entries

def _float_kernel_input(arr, kernel):
    """torch's refusal of integer and bool inputs (its kernel's name), then fastnn's of the
    float widths it has no kernel for."""
    if arr.dtype.kind in "biu":
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{torch_type_name(arr.dtype.newbyteorder('='))}'")
    return float_array(arr)


def _signature(fn):
    """A function of torch's signature `fn(input, lambd=0.5)`: calling it raises Python's
    own TypeError for arguments it does not take."""
    def signature(input, lambd=0.5):
        return lambd
    signature.__name__ = signature.__qualname__ = fn
    return signature


_SIGNATURES = {fn: _signature(fn) for fn in ("hardshrink", "softshrink")}


def _lambd(fn, args, kwargs):
    """The parsed `lambd` of hardshrink / softshrink, given as `args` / `kwargs`."""
    if len(args) + len(kwargs) > 1 or set(kwargs) - {"lambd"}:
        _SIGNATURES[fn](None, *args, **kwargs)
    if not args and not kwargs:
        return 0.5
    return number_arg(args[0] if args else kwargs["lambd"], fn, "lambd",
                      2 if args else None)


def _hardshrink(input, *args, **kwargs):
    lambd = _lambd("hardshrink", args, kwargs)
    inputs = caller_input(input)
    arr = _float_kernel_input(as_array(inputs[0]), "hardshrink_cpu")
    dtype = arr.dtype.newbyteorder("=")
    return inputs, Attrs(lambd=float_scalar(lambd, dtype))


_FLOAT_NAMES = {np.dtype(np.float32): "Float", np.dtype(np.float64): "Double"}


def _softshrink(input, *args, **kwargs):
    lambd = _lambd("softshrink", args, kwargs)
    inputs = caller_input(input)
    arr = _float_kernel_input(as_array(inputs[0]), "softshrink_check")
    dtype = arr.dtype.newbyteorder("=")
    value = lambd.real if isinstance(lambd, complex) else float(lambd)
    top = float(np.finfo(dtype).max)
    if not 0 <= value <= top:
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype "
                           f"{_FLOAT_NAMES[dtype]}, but found {value:g}")
    return inputs, Attrs(lambd=float_scalar(lambd, dtype))


def _shrink_backward(ctx, grad):
    return (_grad.pointwise_grad(_kg.SHRINK, ctx.inputs[0], grad, (ctx.attrs.lambd, 0, 0)),)


def _lambd_params(attrs, t):
    return attrs.lambd, t(0), t(0)


# ---------------------------------------------------------------- rrelu

def _double(value):
    """torch's Scalar.to<double>()."""
    if isinstance(value, complex):
        if value.imag != 0:
            raise RuntimeError("value cannot be converted to type double without overflow")
        return value.real
    return float(value)


def _rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """torch's checks in its order: ((input, noise or None), Attrs(lower, upper, slope,
    training, inplace)); `noise` is the empty array the run draws the slopes into."""
    fn = "rrelu_" if inplace else "rrelu"
    lower = _double(number_arg(lower, fn, "lower", 2))
    upper = _double(number_arg(upper, fn, "upper", 3))
    training = bool_arg(training, fn, "training", 4)
    for name, value in (("lower", lower), ("upper", upper)):
        if not math.isfinite(value):
            raise RuntimeError(f"rrelu: {name} bound must be finite, got {value}")
    if not lower <= upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    inputs = caller_input(input)
    arr = _float_kernel_input(as_array(inputs[0]),
                              "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")
    dtype = arr.dtype.newbyteorder("=")
    slope = (lower + upper) / 2
    if training:
        for bound in (lower, upper):        # torch's kernel takes them in the input's dtype
            float_scalar(bound, dtype)
    attrs = Attrs(lower=lower, upper=upper, slope=float_scalar(slope, dtype),
                  training=training, inplace=bool(inplace))
    noise = np.empty(arr.shape, dtype) if training else None
    return inputs + (noise,), attrs


def _run_rrelu(inputs, attrs, out):
    arr = as_array(inputs[0])
    if not attrs.training:
        run_kernel(_elementwise.leaky_relu, arr, out, (attrs.slope,))
        return inputs[0] if out is None else out
    noise = inputs[1]
    if out is None:
        _check_writeable(arr)
    # torch's kernel: one draw per non-positive element (NaN keeps a slope of 1)
    negative = arr <= 0
    noise.fill(1)
    noise[negative] = uniform(default_generator, int(np.count_nonzero(negative)),
                              noise.dtype, attrs.lower, attrs.upper)
    target = arr if out is None else out
    np.multiply(arr, noise, out=target)
    return inputs[0] if out is None else out


def _rrelu_meta(inputs, attrs):
    return _elementwise_meta(inputs, attrs)


def _rrelu_backward(ctx, grad):
    """torch's rrelu_with_noise_backward: grad * noise in training, else leaky_relu's
    backward (in place from the output, refusing a negative slope as torch does)."""
    if ctx.attrs.training:
        noise = ctx.inputs[1]
        return np.multiply(grad, noise, dtype=noise.dtype), None
    slope = ctx.attrs.slope
    if ctx.attrs.inplace and slope < 0:
        raise RuntimeError(_grad._LEAKY_INPLACE_ERROR)
    return _grad.pointwise_grad(_kg.LEAKY, ctx.inputs[0], grad, (slope, 0, 0)), None


for _name, _normalize, _code in (("hardshrink", _hardshrink, _k.HARDSHRINK),
                                 ("softshrink", _softshrink, _k.SOFTSHRINK)):
    _registry.register_single(_name, _normalize, _elementwise_meta,
                              run_code(_code, _lambd_params), arrays=caller_input)
    _registry.register_backward(_name, _shrink_backward, saves=(0,))

# never memoised: each training call allocates the noise it draws into
_registry.register_single("rrelu", _rrelu, _rrelu_meta, _run_rrelu)
_registry.register_backward("rrelu", _rrelu_backward, saves=(0, 1))
