"""The top-level torch functions on tensors (``fastnn.sum``, ``fastnn.max``, ``fastnn.where``,
``fastnn.relu`` ...) and the Tensor methods that run an op of ``fastnn.nn.functional``.

Each function takes what torch takes (a Tensor, or here also any array) and answers as the
Tensor method of the same name, so both spellings share one implementation. This module sits
above ``fastnn.nn.functional``; Tensor (a lower layer) gets ``relu``/``sigmoid``/``softmax``
from here, so ``x.relu()`` and ``F.relu(x)`` run the same kernels.
"""
import numpy as np

from ._array import as_array, wrap
from ._dispatch import dispatch
from ._dtypes import get_default_dtype
from ._arith_methods import written_back
from ._args import number_arg
from . import _math_ops  # noqa: F401  (registers where)
from .nn import functional as F
from .tensor import Tensor

__all__ = ["relu", "relu_", "sigmoid", "tanh", "softmax", "log_softmax", "exp", "abs",
           "pow", "clamp", "clip", "where", "matmul", "mm", "max", "min", "maximum",
           "minimum", "argmax", "argmin", "sum", "mean", "prod", "std", "var", "any", "all",
           "sort", "nonzero", "t", "masked_fill",
           "selu", "selu_", "celu", "celu_", "threshold", "threshold_", "prelu",
           "sigmoid_", "tanh_", "exp_", "log_", "sqrt_", "rsqrt_", "abs_", "clamp_"]


def _tensor(input, fn):
    """`input` as a Tensor (no copy); torch's TypeError for what is no array."""
    if isinstance(input, Tensor):
        return input
    try:
        return wrap(as_array(input))
    except TypeError:
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}") from None


def _float_input(x):
    """Integer and bool input as the default float dtype (torch's float ops promote)."""
    return x if x.dtype.kind in "fc" else x.astype(get_default_dtype())


# -- activations: fastnn.nn.functional's kernels ------------------------------------------

def relu(input):
    """max(0, x) element-wise (integers keep their dtype)."""
    return F.relu(_tensor(input, "relu"))


def relu_(input):
    """In-place :func:`relu`."""
    return F.relu_(_tensor(input, "relu_"))


def sigmoid(input):
    """1 / (1 + exp(-x)); integers give the default float dtype."""
    return F.sigmoid(_float_input(_tensor(input, "sigmoid")))


def tanh(input):
    """tanh element-wise; integers give the default float dtype."""
    return F.tanh(_float_input(_tensor(input, "tanh")))


def softmax(input, dim, dtype=None):
    """exp(x) / sum(exp(x)) along `dim` (required, as in torch.softmax)."""
    return F.softmax(_tensor(input, "softmax"), dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    """log(softmax(x)) along `dim`, computed stably."""
    return F.log_softmax(_tensor(input, "log_softmax"), dim, dtype=dtype)


# torch's top-level forms of selu, celu, threshold (and their in-place twins), prelu
def selu(input):
    """``F.selu``: scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))."""
    return F.selu(_tensor(input, "selu"))


def selu_(input):
    """In-place :func:`selu`."""
    return F.selu_(_tensor(input, "selu_"))


def celu(input, alpha=1.0):
    """``F.celu``: max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return F.celu(_tensor(input, "celu"), alpha)


def celu_(input, alpha=1.0):
    """In-place :func:`celu`."""
    return F.celu_(_tensor(input, "celu_"), alpha)


def threshold(input, threshold, value):
    """``F.threshold``: `value` where x <= `threshold`, else x."""
    return F.threshold(_tensor(input, "threshold"), threshold, value)


def threshold_(input, threshold, value):
    """In-place :func:`threshold`."""
    return F.threshold_(_tensor(input, "threshold_"), threshold, value)


def prelu(input, weight):
    """``F.prelu``: x where x > 0, else weight * x (one weight or one per channel)."""
    return F.prelu(_tensor(input, "prelu"), weight)


# -- element-wise math ---------------------------------------------------------------------

def _top_level_in_place(name):
    def function(input, *args):
        return getattr(_tensor(input, name), name)(*args)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"In-place :func:`{name[:-1]}`: ``input.{name}()``."
    return function


sigmoid_, tanh_, exp_, log_, sqrt_, rsqrt_, abs_, clamp_ = (
    _top_level_in_place(name) for name in ("sigmoid_", "tanh_", "exp_", "log_", "sqrt_",
                                           "rsqrt_", "abs_", "clamp_"))


def exp(input):
    """e ** x; integers give the default float dtype."""
    return _tensor(input, "exp").exp()


def abs(input):
    """|x| element-wise."""
    return _tensor(input, "abs").abs()


def pow(input, exponent):
    """input ** exponent with torch's result dtype (`input` may be a number)."""
    if not isinstance(input, (bool, int, float, complex, np.generic)):
        input = _tensor(input, "pow")
    return np.power(input, exponent) if isinstance(input, Tensor) else np.power(
        input, _tensor(exponent, "pow"))


def clamp(input, min=None, max=None):
    """Elements limited to [min, max] (numbers or tensors)."""
    return _tensor(input, "clamp").clamp(min, max)


clip = clamp


def maximum(input, other):
    """Element-wise maximum (NaN propagates) with torch's result dtype."""
    return np.maximum(_tensor(input, "maximum"), _tensor(other, "maximum"))


def minimum(input, other):
    """Element-wise minimum (NaN propagates) with torch's result dtype."""
    return np.minimum(_tensor(input, "minimum"), _tensor(other, "minimum"))


def where(condition, input=None, other=None):
    """`input` where the bool `condition` holds, else `other` (broadcast; torch's result
    dtype; numbers allowed). ``where(condition)`` is ``nonzero(condition, as_tuple=True)``."""
    condition = _tensor(condition, "where")
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    return dispatch("where", condition, input, other)


def matmul(input, other):
    """Matrix product with torch's broadcasting, dtype rule (same dtypes) and errors."""
    return np.matmul(_tensor(input, "matmul"), _tensor(other, "matmul"))


def mm(input, mat2):
    """Product of two 2-D tensors."""
    return _tensor(input, "mm").mm(_tensor(mat2, "mm"))


def t(input):
    """Transpose of a tensor of at most 2 dims."""
    return _tensor(input, "t").t()


def masked_fill(input, mask, value):
    """A copy of `input` with `value` where `mask` is True."""
    return _tensor(input, "masked_fill").masked_fill(mask, value)


# -- reductions, sorting, searching: as the Tensor methods ------------------------------------

def _method(name):
    def function(input, *args, **kwargs):
        return getattr(_tensor(input, name), name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``fastnn.{name}(input, ...)`` is ``input.{name}(...)``: " \
                       f"{getattr(Tensor, name).__doc__}"
    return function


max = _method("max")
min = _method("min")
argmax = _method("argmax")
argmin = _method("argmin")
sum = _method("sum")
mean = _method("mean")
prod = _method("prod")
std = _method("std")
var = _method("var")
any = _method("any")
all = _method("all")
sort = _method("sort")
nonzero = _method("nonzero")


# -- Tensor methods that run fastnn.nn.functional's ops -----------------------------------

def _relu_method(self):
    """max(0, x) element-wise (``F.relu``)."""
    return F.relu(self)


def _relu_inplace_method(self):
    """In-place ``relu`` (``F.relu_``)."""
    return F.relu_(self)


def _sigmoid_method(self):
    """1 / (1 + exp(-x)) (``F.sigmoid``); integers give the default float dtype."""
    return sigmoid(self)


def _tanh_method(self):
    """tanh element-wise (``F.tanh``); integers give the default float dtype."""
    return tanh(self)


def _softmax_method(self, dim, dtype=None):
    """softmax along `dim` (``F.softmax``)."""
    return F.softmax(self, dim, dtype=dtype)


def _log_softmax_method(self, dim, dtype=None):
    """log_softmax along `dim` (``F.log_softmax``)."""
    return F.log_softmax(self, dim, dtype=dtype)


def _prelu_method(self, weight):
    """x where x > 0, else weight * x (``F.prelu``)."""
    return F.prelu(self, weight)


def _hardshrink_method(self, *args, **kwargs):
    """0 where -lambd <= x <= lambd, else x (``F.hardshrink``; ``lambd=0.5``)."""
    if args:       # the method's own position in torch's error
        number_arg(args[0], "hardshrink", "lambd", 1)
    return F.hardshrink(self, *args, **kwargs)


def _written_back(name, compute):
    """The in-place method `name` of ``compute(tensor, *args)`` (`written_back`)."""
    def in_place(self, *args):
        return written_back(self, lambda source: compute(source, *args))
    in_place.__doc__ = f"In-place :meth:`{name[:-1]}`."
    return in_place


IN_PLACE_MATH = {"sigmoid_": _sigmoid_method, "tanh_": _tanh_method,
                 "exp_": Tensor.exp, "log_": Tensor.log, "sqrt_": Tensor.sqrt,
                 "rsqrt_": Tensor.rsqrt, "abs_": Tensor.abs, "pow_": Tensor.pow}

TENSOR_METHODS = {"relu": _relu_method, "relu_": _relu_inplace_method,
                  "sigmoid": _sigmoid_method, "tanh": _tanh_method,
                  "softmax": _softmax_method, "log_softmax": _log_softmax_method,
                  "prelu": _prelu_method, "hardshrink": _hardshrink_method,
                  **{name: _written_back(name, compute)
                     for name, compute in IN_PLACE_MATH.items()}}

for _name, _fn in TENSOR_METHODS.items():
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(Tensor, _name, _fn)
