"""Backward of the activations, softmax, log_softmax, softmin and prelu (issue #16).

Each function takes the autograd context and the output's gradient and returns one
gradient per input (`fastnn.autograd`'s contract). The element-wise ones run the kernels
of `kernels.activation_grad` with torch's formula for the op; those that torch
differentiates from the output (relu, hardtanh, sigmoid, tanh, softmax) save only the
output, the others the input. In place (``inplace=True``, ``relu_`` ...) the input holds
the output: as torch, relu, hardtanh, leaky_relu, elu, selu, celu and hardsigmoid
differentiate from it (leaky_relu and the elus refusing a negative slope with torch's
error); silu, mish, hardswish and threshold read a copy of the input taken before the
write (torch saves one too), their extra last input (`_activation.keeping_original`).
"""
import math

import numpy as np

from ..._runtime import launch
from ..._array import kernel_array
from ...kernels import activation_grad as _k

# Inner positions handled together when softmax's dim is not the last (as the forward).
_SOFTMAX_BLOCK = 256

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

_LEAKY_INPLACE_ERROR = (
    "In-place leakyReLu backward calculation is triggered with a negative slope which is "
    "not supported. This is caused by calling in-place forward function with a negative "
    "slope, please call out-of-place version instead. File an issue at "
    "https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu "
    "backward calculation with negative slope")
_ELU_INPLACE_ERROR = (
    "In-place elu backward calculation is triggered with a negative slope which is not "
    "supported. This is caused by calling in-place forward function with a negative slope, "
    "please call out-of-place version instead.")


def pointwise_grad(code, saved, grad, params=(0, 0, 0), kernel=None):
    """grad * f'(saved) of the element-wise activation `code` (of `kernel`:
    smooth_backward, or piecewise_backward by default), in saved's dtype."""
    shape = np.shape(saved)
    s = kernel_array(np.asarray(saved))
    g = kernel_array(np.asarray(grad), s.dtype)
    out = np.empty(shape, s.dtype)
    t = s.dtype.type
    a, b, c = (t(p) for p in params)
    launch(kernel or _k.piecewise_backward, s.reshape(-1), g.reshape(-1), out.reshape(-1),
           code, a, b, c, work=s.size)
    return out


def _from_output(code):
    def backward(ctx, grad):
        return (pointwise_grad(code, ctx.output, grad),)
    return backward


def _input(ctx):
    """The input's values: in place, the copy the forward kept before writing."""
    return ctx.inputs[-1] if ctx.attrs.get("inplace") else ctx.inputs[0]


def _piecewise(code):
    def backward(ctx, grad):
        return (pointwise_grad(code, _input(ctx), grad), None)
    return backward


def smooth_grad(code, saved, grad, params=(0, 0, 0)):
    return pointwise_grad(code, saved, grad, params, _k.smooth_backward)


def _smooth(code, original=False):
    """`original`: the op keeps its input's values before an in-place write."""
    def backward(ctx, grad):
        if original:
            return smooth_grad(code, _input(ctx), grad), None
        return (smooth_grad(code, ctx.inputs[0], grad),)
    return backward


def relu_backward(ctx, grad):
    return (pointwise_grad(_k.THRESHOLD, ctx.output, grad),)


def hardtanh_backward(ctx, grad):
    """relu6 and hardtanh: the gradient passes strictly inside (min, max), NaN stops it;
    the output tells the same as the input (the clamp is monotone)."""
    return (pointwise_grad(_k.BAND, ctx.output, grad,
                           (ctx.attrs.min_val, ctx.attrs.max_val, 1)),)


def leaky_relu_backward(ctx, grad):
    slope = ctx.attrs.negative_slope
    if ctx.attrs.inplace and slope < 0:
        raise RuntimeError(_LEAKY_INPLACE_ERROR)
    return (pointwise_grad(_k.LEAKY, ctx.inputs[0], grad, (slope, 0, 0)),)


def _elu_like(params):
    """elu, selu, celu: torch's elu_backward with (negcoef, poscoef, negiptcoef); in place
    from the output, refusing a negative alpha as torch does."""
    def backward(ctx, grad):
        p = params(ctx.attrs, ctx.dtypes[0].type)
        if ctx.attrs.inplace:
            if p[0] < 0:
                raise RuntimeError(_ELU_INPLACE_ERROR)
            return (pointwise_grad(_k.ELU_RESULT, ctx.inputs[0], grad, p),)
        return (smooth_grad(_k.ELU, ctx.inputs[0], grad, p),)
    return backward


def _elu_params(attrs, t):
    return attrs.alpha, t(1), t(1)


def _selu_params(attrs, t):
    return t(_SELU_ALPHA) * t(_SELU_SCALE), t(_SELU_SCALE), t(1)


def _celu_params(attrs, t):
    # torch's celu derivative takes 1 / alpha.toFloat(): alpha rounded to float32 first
    with np.errstate(over="ignore", divide="ignore"):
        inverse = 1.0 / float(np.float32(attrs.alpha))
    return attrs.alpha, t(1), t(inverse)


def gelu_backward(ctx, grad):
    code = _k.GELU_TANH if ctx.attrs.approximate == "tanh" else _k.GELU_ERF
    return (smooth_grad(code, ctx.inputs[0], grad),)


# torch's hardsigmoid_backward multiplies by the float literal 1.0f / 6.0f, float64 too
_ONE_SIXTH = float(np.float32(1.0) / np.float32(6.0))


def hardsigmoid_backward(ctx, grad):
    band = (0, 1) if ctx.attrs.get("inplace") else (-3, 3)   # from y in place
    return (pointwise_grad(_k.BAND, ctx.inputs[0], grad, band + (_ONE_SIXTH,)),)


def threshold_backward(ctx, grad):
    return (pointwise_grad(_k.THRESHOLD, _input(ctx), grad, (ctx.attrs.threshold, 0, 0)),
            None)


def softplus_backward(ctx, grad):
    return (smooth_grad(_k.SOFTPLUS, ctx.inputs[0], grad,
                        (ctx.attrs.beta, ctx.attrs.threshold, 0)),)


# ---------------------------------------------------------------- softmax family

def softmax_grad(y, grad, dim, log):
    """The gradient of softmax (log_softmax) along `dim` from its output `y`."""
    shape = np.shape(y)
    y = kernel_array(np.asarray(y))
    g = kernel_array(np.asarray(grad), y.dtype)
    out = np.empty(shape, y.dtype)
    if out.size == 0:
        return out
    shape = shape if len(shape) else (1,)
    outer = math.prod(shape[:dim])
    inner = math.prod(shape[dim + 1:])
    if inner == 1:
        view = (outer, shape[dim])
        launch(_k.softmax_rows_backward, y.reshape(view), g.reshape(view), out.reshape(view),
               log, work=y.size)
    else:
        view = (outer, shape[dim], inner)
        launch(_k.softmax_backward, y.reshape(view), g.reshape(view), out.reshape(view), log,
               _SOFTMAX_BLOCK, work=y.size)
    return out


def _softmax_backward(log, sign=1):
    def backward(ctx, grad):
        gx = softmax_grad(ctx.output, grad, ctx.attrs.dim, log)
        if sign < 0:
            np.negative(gx, out=gx)
        # with dtype=, the input was cast first: its gradient comes back in its own dtype
        return (gx.astype(ctx.dtypes[0], copy=False),)
    return backward


softmax_backward = _softmax_backward(False)
log_softmax_backward = _softmax_backward(True)
softmin_backward = _softmax_backward(False, sign=-1)


# ---------------------------------------------------------------- prelu

def prelu_backward(ctx, grad):
    """grad_input = grad where x > 0 else w grad; grad_weight = the sum of x grad where
    x <= 0, per channel (dim 1), or over everything for a one-element weight."""
    x, w = ctx.inputs
    shape = np.shape(x)
    xs = kernel_array(np.asarray(x))
    if xs.size == 0:
        gw = np.zeros(w.shape, w.dtype) if ctx.needs[1] else None
        return np.empty(shape, xs.dtype), gw
    if w.size == 1 or xs.ndim < 2:
        view = (1, 1, xs.size)
    else:
        view = (xs.shape[0], xs.shape[1], math.prod(xs.shape[2:]))
    g = kernel_array(np.asarray(grad), xs.dtype).reshape(view)
    weight = kernel_array(np.asarray(w).reshape(-1), xs.dtype)
    gx = np.empty(view, xs.dtype)
    partial = np.empty(view[:2] if ctx.needs[1] else (0, 0))
    launch(_k.prelu_backward, xs.reshape(view), weight, g, gx, partial, work=xs.size)
    gw = None
    if ctx.needs[1]:
        gw = partial.sum(axis=0).astype(w.dtype).reshape(w.shape)
    return gx.reshape(shape), gw


# ---------------------------------------------------------------- the op table

BACKWARDS = {
    # name: (backward, saves)
    "relu": (relu_backward, ("output",)),
    "relu6": (hardtanh_backward, ("output",)),
    "hardtanh": (hardtanh_backward, ("output",)),
    "leaky_relu": (leaky_relu_backward, (0,)),
    "elu": (_elu_like(_elu_params), (0,)),
    "selu": (_elu_like(_selu_params), (0,)),
    "celu": (_elu_like(_celu_params), (0,)),
    "gelu": (gelu_backward, (0,)),
    "silu": (_smooth(_k.SILU, original=True), (0, 1)),
    "sigmoid": (_from_output(_k.SIGMOID), ("output",)),
    "tanh": (_from_output(_k.TANH), ("output",)),
    "hardswish": (_piecewise(_k.HARDSWISH), (0, 1)),
    "hardsigmoid": (hardsigmoid_backward, (0,)),
    "mish": (_smooth(_k.MISH, original=True), (0, 1)),
    "softplus": (softplus_backward, (0,)),
    "softsign": (_smooth(_k.SOFTSIGN), (0,)),
    "logsigmoid": (_smooth(_k.LOG_SIGMOID), (0,)),
    "tanhshrink": (_smooth(_k.TANHSHRINK), (0,)),
    "threshold": (threshold_backward, (0, 1)),
    "prelu": (prelu_backward, (0, 1)),
    "softmax": (softmax_backward, ("output",)),
    "log_softmax": (log_softmax_backward, ("output",)),
    "softmin": (softmin_backward, ("output",)),
}
