"""Activation functions, as ``torch.nn.functional``: relu ... gelu, softmax, log_softmax.

Dtypes: float32 and float64 run the Numba kernels (other float widths get a TypeError
naming the dtype). As in torch, ``relu``, ``relu6`` and ``hardtanh`` also accept integer
arrays (computed with numpy, dtype kept); booleans are refused with torch's message.

``inplace=True`` writes the result into the input's own memory (also when the input is
non-contiguous: the result is computed in a contiguous copy and written back) and returns
the input object itself when it is a fastnn Tensor.

Scalar arguments are parsed as torch's argument parser does (``number_arg`` and friends in
``fastnn._args``, shared with dropout and batch norm): wrong types get its TypeError, and
values the input's dtype cannot hold get its overflow RuntimeError.
"""
import functools
import math
import warnings

import llvmlite.binding as ll
import numpy as np

from ..._runtime import MATH_WORK, launch
from ...kernels import activation as _smooth
from ...kernels import elementwise as _k
from ..._args import _tensor_item, number_arg, torch_typename
from ... import _registry
from ..._dispatch import dispatch
from ..._dtypes import as_dtype
from ..._grad import is_grad_enabled
from ..._registry import Attrs
from .._utils import as_array, check_float, kernel_array
from . import _activation_grad as _grad

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "gelu", "silu",
    "sigmoid", "tanh", "hardswish", "hardsigmoid", "hardtanh", "hardtanh_",
    "softmax", "log_softmax",
]

# Inner positions handled together when softmax reduces over a non-last dim: 256 keeps the
# running max and sum (2 x 2 KiB) in L1 while the loops over them stay long.
_SOFTMAX_BLOCK = 256

_INT64_MIN, _INT64_END = -2**63, 2**63

# the C++ names torch's checked scalar conversions print
_C_TYPE_NAMES = {"float32": "float", "float64": "double", "int8": "int8_t",
                 "uint8": "uint8_t", "int16": "int16_t", "uint16": "uint16_t", "int32": "int",
                 "uint32": "uint32_t", "int64": "int64_t", "uint64": "uint64_t"}


def _overflow(dtype):
    name = _C_TYPE_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)
    return RuntimeError(f"value cannot be converted to type {name} without overflow")


_FLOAT_MAX = {np.dtype(t): float(np.finfo(t).max) for t in (np.float32, np.float64)}


def float_scalar(value, dtype):
    """A parsed Number as a scalar of float `dtype`, refused (torch's RuntimeError) when it
    does not fit; inf and NaN pass."""
    # -0.0 == 0 == 0.0 share one cache key: the sign of a zero is a key of its own
    negative_zero = isinstance(value, float) and value == 0 and math.copysign(1, value) < 0
    return _float_scalar(value, dtype, negative_zero)


@functools.lru_cache(maxsize=256)     # relu converts the same bounds on every call
def _float_scalar(value, dtype, negative_zero):
    if isinstance(value, complex):
        if value.imag != 0:
            raise _overflow(dtype)
        value = value.real
    value = float(value)
    if math.isfinite(value) and abs(value) > _FLOAT_MAX[dtype]:
        raise _overflow(dtype)
    return dtype.type(value)


def _as_int64(value):
    """torch's Scalar.toLong(): floats truncate toward zero; NaN, inf and values beyond
    int64 are refused."""
    if isinstance(value, complex):
        if value.imag != 0:
            raise _overflow(np.int64)
        value = value.real
    if isinstance(value, float) and not math.isfinite(value):
        raise _overflow(np.int64)
    if not _INT64_MIN <= value < _INT64_END:
        raise _overflow(np.int64)
    return int(value)


def _integer_bounds(dtype, lo, hi):
    """Clamp bounds for an integer input, converted as torch's hardtanh converts them (None:
    no bound)."""
    bounds = [None if b is None else _as_int64(b) for b in (lo, hi)]
    # torch checks only uint8 here; wider unsigned types fail the range check below
    if dtype == np.uint8 and any(b is not None and b < 0 for b in bounds):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    info = np.iinfo(dtype)
    for b in bounds:
        if b is not None and not info.min <= b <= info.max:
            raise _overflow(dtype)
    return tuple(None if b is None else dtype.type(b) for b in bounds)


def float_array(input):
    """`input` as an ndarray, refusing dtypes other than float32/float64 (either byte order)."""
    arr = as_array(input)
    check_float(arr if arr.dtype.isnative else arr.view(arr.dtype.newbyteorder("=")))
    return arr


def run_kernel(kernel, arr, out, args=(), view_shape=(-1,), per_element=1):
    """Run `kernel(src, out, *args)` on `arr` reshaped to `view_shape`, into `out` (a
    C-contiguous native array of `arr`'s shape) or, when `out` is None, in place;
    `per_element`: the work of one element (`_runtime.launch`), MATH_WORK for an op that
    takes an exp or a division per element.

    The kernel gets a C-contiguous native-order copy only where `arr` is not one already;
    in place, that copy is written back into `arr`.
    """
    src = kernel_array(arr)
    if out is None:
        _check_writeable(arr)
        view = src.reshape(view_shape)
        launch(kernel, view, view, *args, work=view.size * per_element)
        if src is not arr:
            arr[...] = src
        return arr
    launch(kernel, src.reshape(view_shape), out.reshape(view_shape), *args,
           work=src.size * per_element)
    return out


def _check_writeable(arr):
    if not arr.flags.writeable:
        raise ValueError("assignment destination is read-only")


def caller_input(input, *args, **kwargs):
    """The door's inputs of an element-wise op: the caller's own array object (so that an
    in-place call returns it), any other array-like as an ndarray."""
    return (input if isinstance(input, np.ndarray) else as_array(input),)


def original_if_recorded(x, inplace):
    """A copy of `x` before an in-place op writes it, when autograd will record the op
    (grad mode on, `x` requires grad): torch saves that copy for the ops whose derivative
    reads the input (silu, mish, hardswish, threshold). None otherwise."""
    if inplace and getattr(x, "requires_grad", False) and is_grad_enabled():
        return np.array(x)
    return None


def keeping_original(normalize, arrays, inplace_at=0):
    """normalize and arrays of an op whose in-place backward needs the input's values
    before the write: `original_if_recorded` becomes an extra last input. `inplace_at`:
    the position of the `inplace` argument after the input."""
    def normalized(input, *args, **kwargs):
        inputs, attrs = normalize(input, *args, **kwargs)
        return inputs + (original_if_recorded(inputs[0], attrs.inplace),), attrs

    def arrays_of(input, *args, **kwargs):
        inplace = kwargs.get("inplace", args[inplace_at] if len(args) > inplace_at else False)
        x = arrays(input)[0]
        return (x, original_if_recorded(x, inplace))
    normalized.__name__ = normalize.__name__
    return normalized, arrays_of


def _elementwise_meta(inputs, attrs):
    """Output metadata of an element-wise op; None (nothing allocated) in place."""
    if attrs.get("inplace"):
        return None
    arr = inputs[0]
    return arr.shape, arr.dtype.newbyteorder("=")


# ---------------------------------------------------------------- clamps: relu, hardtanh

def _clamp_attrs(input, lo, hi, inplace, bool_message):
    """Checked (inputs, attrs) of min(max(x, lo), hi); `hi` None means no upper bound.
    attrs: min_val, max_val (None: none) as the input's dtype takes them, inplace."""
    inputs = caller_input(input)
    arr = as_array(inputs[0])
    if arr.dtype == np.bool_:
        raise RuntimeError(bool_message)
    if arr.dtype.kind in "iu":
        lo, hi = _integer_bounds(arr.dtype.newbyteorder("="), lo, hi)
    else:
        hi = math.inf if hi is None else hi
        float_array(arr)
        if lo == lo and hi == hi:
            dtype = arr.dtype.newbyteorder("=")
            lo, hi = float_scalar(lo, dtype), float_scalar(hi, dtype)
    return inputs, Attrs(min_val=lo, max_val=hi, inplace=bool(inplace))


def _run_clamp(inputs, attrs, out):
    arr = as_array(inputs[0])
    lo, hi = attrs.min_val, attrs.max_val
    if arr.dtype.kind in "iu":
        target = arr if out is None else out
        if out is None:
            _check_writeable(arr)
        np.clip(arr, lo, hi, out=target)
    elif lo != lo or hi != hi:
        # torch's clamp with a NaN bound gives NaN everywhere (the other bound unchecked)
        target = arr if out is None else out
        if out is None:
            _check_writeable(arr)
        target[...] = np.nan
    else:
        run_kernel(_k.clamp, arr, out, (lo, hi))
    return inputs[0] if out is None else out


def _unary_attrs(input, inplace, **scalars):
    """Checked (inputs, attrs) of a float element-wise kernel whose `scalars` (parsed
    Numbers) are converted to the input's dtype with torch's overflow check."""
    inputs = caller_input(input)
    arr = float_array(inputs[0])
    dtype = arr.dtype.newbyteorder("=")
    converted = {name: float_scalar(value, dtype) for name, value in scalars.items()}
    return inputs, Attrs(**converted, inplace=bool(inplace))


def _unary_run(kernel, *names, per_element=1):
    def run(inputs, attrs, out):
        run_kernel(kernel, as_array(inputs[0]), out, tuple(attrs[n] for n in names),
                   per_element=per_element)
        return inputs[0] if out is None else out
    return run


def relu(input, inplace=False):
    r"""relu(input, inplace=False) -> Tensor

    Applies the rectified linear unit element-wise: :math:`\max(0, x)` (NaN stays NaN).
    Shape: any; the output has the input's shape.

    Example::
        >>> F.relu(fastnn.tensor([-1.0, 2.0]))     # tensor([0., 2.])
    """
    return dispatch("relu", input, inplace)


def relu_(input):
    """In-place version of :func:`relu`."""
    return relu(input, inplace=True)


def relu6(input, inplace=False):
    r"""relu6(input, inplace=False) -> Tensor

    Applies :math:`\min(\max(0, x), 6)` element-wise.
    """
    return dispatch("relu6", input, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    r"""hardtanh(input, min_val=-1., max_val=1., inplace=False) -> Tensor

    Clamps every element into ``[min_val, max_val]``. As in torch, integer input keeps its
    dtype and takes the bounds truncated toward zero (bounds it cannot hold are refused),
    and a NaN bound makes every float element NaN.
    """
    return dispatch("hardtanh", input, min_val, max_val, inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place version of :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    r"""leaky_relu(input, negative_slope=0.01, inplace=False) -> Tensor

    Applies :math:`x` for :math:`x > 0`, else :math:`\text{negative\_slope} \cdot x`.
    """
    return dispatch("leaky_relu", input, negative_slope, inplace)


def leaky_relu_(input, negative_slope=0.01):
    """In-place version of :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    r"""elu(input, alpha=1.0, inplace=False) -> Tensor

    Applies :math:`x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)`.
    """
    return dispatch("elu", input, alpha, inplace)


def elu_(input, alpha=1.0):
    """In-place version of :func:`elu`."""
    return elu(input, alpha, inplace=True)


def gelu(input, *, approximate="none"):
    r"""gelu(input, *, approximate='none') -> Tensor

    Applies :math:`x \Phi(x)` (``'none'``, with the Gaussian CDF :math:`\Phi`) or its tanh
    approximation :math:`0.5 x (1 + \tanh(\sqrt{2/\pi}(x + 0.044715 x^3)))` (``'tanh'``).
    `approximate` is keyword-only, as in torch.
    """
    return dispatch("gelu", input, approximate=approximate)


def silu(input, inplace=False):
    r"""silu(input, inplace=False) -> Tensor

    Applies :math:`x \sigma(x) = x / (1 + e^{-x})` element-wise.
    """
    return dispatch("silu", input, inplace)


def sigmoid(input):
    r"""sigmoid(input) -> Tensor

    Applies :math:`1 / (1 + e^{-x})` element-wise.
    """
    return dispatch("sigmoid", input)


def tanh(input):
    r"""tanh(input) -> Tensor

    Applies the hyperbolic tangent element-wise.
    """
    return dispatch("tanh", input)


# numpy's SIMD exp/tanh beat a Numba loop of scalar libm calls many times over, even on one
# thread, so these ops are numpy passes; the Numba kernels remain for clamps and batch norm.
def _via_numpy(compute):
    def run(inputs, attrs, out):
        arr = as_array(inputs[0])
        if out is None:
            _check_writeable(arr)
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            compute(arr, out=arr if out is None else out)
        return inputs[0] if out is None else out
    return run


def hardswish(input, inplace=False):
    r"""hardswish(input, inplace=False) -> Tensor

    Applies :math:`x \cdot \min(\max(x + 3, 0), 6) / 6` element-wise.
    """
    return dispatch("hardswish", input, inplace)


def hardsigmoid(input, inplace=False):
    r"""hardsigmoid(input, inplace=False) -> Tensor

    Applies :math:`\min(\max(x + 3, 0), 6) / 6` element-wise.
    """
    return dispatch("hardsigmoid", input, inplace)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    r"""softmax(input, dim=None, dtype=None) -> Tensor

    :math:`\exp(x_i) / \sum_j \exp(x_j)` over every slice along `dim`, computed stably
    (the slice maximum is subtracted first). ``dim=None`` picks torch's legacy implicit dim
    (0 for 0-, 1- and 3-D input, else 1) with torch's deprecation warning.

    Args:
        input: the input array.
        dim (int): the dimension the softmax normalises over.
        dtype: if given, the input is cast to it first.

    Shape: any; the output has the input's shape.

    Example::
        >>> F.softmax(fastnn.randn(2, 3), dim=1).sum(1)     # tensor([1., 1.])
    """
    return dispatch("softmax", input, dim, dtype, _stacklevel=_stacklevel + 4)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    r"""log_softmax(input, dim=None, dtype=None) -> Tensor

    :math:`x_i - \log \sum_j \exp(x_j)` along `dim`, without forming the softmax (stable
    for very negative log-probabilities). Arguments as :func:`softmax`.
    """
    return dispatch("log_softmax", input, dim, dtype, _stacklevel=_stacklevel + 4)


def _softmax_normalize(name, input, dim=None, dtype=None, _stacklevel=4):
    """Checked ((input,), Attrs(dim, dtype)): `dim` wrapped, `dtype` the one to cast the
    input to first (None: none). `_stacklevel` is where the implicit-dim warning points,
    counted from here."""
    arr = as_array(input)
    if dtype is not None:
        dtype = as_dtype(dtype, name)
    if dim is None:
        dim = _implicit_softmax_dim(name, arr.ndim, _stacklevel)
    dim = _wrap_dim(name, dim, arr.ndim)      # before the dtype check, as in torch
    float_array(arr if dtype is None else np.empty(0, dtype))
    return (arr,), Attrs(dim=dim, dtype=dtype)


def _softmax_meta(inputs, attrs):
    arr = inputs[0]
    dtype = arr.dtype if attrs.dtype is None else np.dtype(attrs.dtype)
    return arr.shape, dtype.newbyteorder("=")


def _softmax_run(log):
    def run(inputs, attrs, out):
        arr = inputs[0]
        if attrs.dtype is not None:
            arr = arr.astype(attrs.dtype, copy=False)
        if out.size == 0:
            return out
        shape = arr.shape if arr.ndim else (1,)
        dim = attrs.dim
        outer = math.prod(shape[:dim])
        inner = math.prod(shape[dim + 1:])
        src = kernel_array(arr)
        if inner == 1:
            launch(_k.softmax_rows, src.reshape(outer, -1), out.reshape(outer, -1), log,
                   work=src.size)
        else:
            view = (outer, shape[dim], inner)
            launch(_k.softmax_strided, src.reshape(view), out.reshape(view), log,
                   _SOFTMAX_BLOCK, work=src.size)
        return out
    return run


def _implicit_softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                  "Change the call to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _wrap_dim(name, dim, ndim):
    dim = _tensor_item(dim) if isinstance(_tensor_item(dim), np.integer) else dim
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'dim' (position 1) must be int, "
                        f"not {torch_typename(dim)}")
    dim = int(dim)
    if not _INT64_MIN <= dim < _INT64_END:
        raise ValueError("Overflow when unpacking long long")
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-rank}, {rank - 1}], but got {dim})")
    return dim % rank


# ---------------------------------------------------------------- registry entries

def _relu(input, inplace=False):
    return _clamp_attrs(input, 0, None, inplace, "Boolean inputs not supported for relu")


def _relu6(input, inplace=False):
    return _clamp_attrs(input, 0, 6, inplace, "Bool inputs not supported for hardtanh")


def _hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    fn = "hardtanh_" if inplace else "hardtanh"       # torch names the in-place op
    min_val = number_arg(min_val, fn, "min_val", 2)
    max_val = number_arg(max_val, fn, "max_val", 3)
    return _clamp_attrs(input, min_val, max_val, inplace,
                        "Bool inputs not supported for hardtanh")


def _leaky_relu(input, negative_slope=0.01, inplace=False):
    negative_slope = number_arg(negative_slope, "leaky_relu_" if inplace else "leaky_relu",
                                "negative_slope", 2)
    return _unary_attrs(input, inplace, negative_slope=negative_slope)


def _elu(input, alpha=1.0, inplace=False):
    alpha = number_arg(alpha, "elu_" if inplace else "elu", "alpha", 2)
    return _unary_attrs(input, inplace, alpha=alpha)


def run_code(code, params):
    """The run of a `kernels.activation.pointwise` op: `params(attrs, dtype)` gives its
    (a, b, c)."""
    def run(inputs, attrs, out):
        arr = as_array(inputs[0])
        dtype = arr.dtype.newbyteorder("=")
        run_kernel(_smooth.pointwise, arr, out, (code,) + params(attrs, dtype.type),
                   per_element=MATH_WORK)
        return inputs[0] if out is None else out
    return run


# torch's elu kernel with negcoef alpha, poscoef and negiptcoef 1: the code selu and celu
# run too
_run_elu = run_code(_smooth.ELU, lambda attrs, t: (attrs.alpha, t(1), t(1)))


def _gelu(input, approximate="none"):
    if not isinstance(approximate, str):
        raise TypeError(
            f"gelu(): argument 'approximate' must be str, not {torch_typename(approximate)}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    inputs = caller_input(input)
    float_array(inputs[0])
    return inputs, Attrs(approximate=approximate)


def _run_gelu(inputs, attrs, out):
    arr = as_array(inputs[0])
    if attrs.approximate == "tanh":
        return run_kernel(_k.gelu_tanh, arr, out, per_element=MATH_WORK)
    return run_kernel(_k.gelu_erf, arr, out, (gelu_quirks(arr.dtype),), per_element=MATH_WORK)


def gelu_quirks(dtype):
    """`kernels.elementwise.gelu_erf`'s `quirks` for `dtype`: torch's float32 kernel's."""
    return 0 if np.dtype(dtype).itemsize != 4 else 1 if _torch_runs_avx512() else 2


def _torch_runs_avx512():
    """torch's float32 gelu differs by the kernels torch picks for the CPU: +inf gives NaN
    with its AVX-512 ones (a CPU with AVX-512F), and every zero is +0.0 with its AVX2 ones;
    fastnn answers as torch does on the CPU it runs on (kernels/elementwise.gelu_erf)."""
    global _AVX512
    if _AVX512 is None:
        _AVX512 = bool(ll.get_host_cpu_features().get("avx512f", False))
    return _AVX512


_AVX512 = None


def _float_only(input, inplace=False):
    inputs = caller_input(input)
    float_array(inputs[0])
    return inputs, Attrs(inplace=bool(inplace))


def hard_constants(dtype):
    """(3, 6) in `dtype`: the scalar arguments of the hardswish and hardsigmoid kernels."""
    return float_scalar(3, dtype), float_scalar(6, dtype)


def _hard_run(kernel):
    def run(inputs, attrs, out):
        arr = as_array(inputs[0])
        run_kernel(kernel, arr, out, hard_constants(arr.dtype.newbyteorder("=")))
        return inputs[0] if out is None else out
    return run


for _name, _normalize, _run in (
        ("relu", _relu, _run_clamp),
        ("relu6", _relu6, _run_clamp),
        ("hardtanh", _hardtanh, _run_clamp),
        ("leaky_relu", _leaky_relu, _unary_run(_k.leaky_relu, "negative_slope")),
        ("elu", _elu, _run_elu),
        ("gelu", _gelu, _run_gelu),
        ("silu", _float_only, _unary_run(_k.silu, per_element=MATH_WORK)),
        ("sigmoid", _float_only, _unary_run(_k.sigmoid, per_element=MATH_WORK)),
        ("tanh", _float_only, _via_numpy(np.tanh)),
        ("hardswish", _float_only, _hard_run(_k.hardswish)),
        ("hardsigmoid", _float_only, _hard_run(_k.hardsigmoid))):
    _arrays = caller_input
    if _name in ("silu", "hardswish"):      # their in-place backward reads the input
        _normalize, _arrays = keeping_original(_normalize, caller_input)
    _registry.register_single(_name, _normalize, _elementwise_meta, _run, arrays=_arrays)

# never memoised: an implicit dim warns on every call, as torch's does
for _name, _log in (("softmax", False), ("log_softmax", True)):
    _registry.register_single(
        _name, lambda *a, _name=_name, **k: _softmax_normalize(_name, *a, **k), _softmax_meta,
        _softmax_run(_log))

for _name in ("relu", "relu6", "hardtanh", "leaky_relu", "elu", "gelu", "silu", "sigmoid",
              "tanh", "hardswish", "hardsigmoid", "softmax", "log_softmax"):
    _registry.register_backward(_name, *_grad.BACKWARDS[_name])
