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

import numpy as np

from ..._runtime import launch
from ...kernels import elementwise as _k
from ..._args import _tensor_item, number_arg, torch_typename
from ..._dtypes import as_dtype
from ...tensor import Tensor
from .._utils import as_array, check_float, kernel_array, wrap

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


@functools.lru_cache(maxsize=256)     # relu converts the same bounds on every call
def float_scalar(value, dtype):
    """A parsed Number as a scalar of float `dtype`, refused (torch's RuntimeError) when it
    does not fit; inf and NaN pass."""
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


def run_kernel(kernel, input, arr, inplace, args=(), view_shape=(-1,)):
    """Run `kernel(src, out, *args)` on `arr` reshaped to `view_shape`.

    The kernel gets a C-contiguous native-order copy only where `arr` is not one already;
    in place, that copy is written back into `arr`.
    """
    src = kernel_array(arr)
    if inplace:
        if not arr.flags.writeable:
            raise ValueError("assignment destination is read-only")
        view = src.reshape(view_shape)
        launch(kernel, view, view, *args, work=view.size)
        if src is not arr:
            arr[...] = src
        return input if isinstance(input, Tensor) else wrap(arr)
    out = np.empty(arr.shape, dtype=src.dtype)
    launch(kernel, src.reshape(view_shape), out.reshape(view_shape), *args, work=src.size)
    return wrap(out)


def _unary(kernel, input, inplace, *scalars):
    """Run an element-wise float kernel; `scalars` (parsed Numbers) are converted to the
    input's dtype with torch's overflow check."""
    arr = float_array(input)
    dtype = arr.dtype.newbyteorder("=")
    return run_kernel(kernel, input, arr, inplace, tuple(float_scalar(s, dtype) for s in scalars))


def _clamp(input, lo, hi, inplace, bool_message):
    """min(max(x, lo), hi) for float and integer input; `hi` None means no upper bound."""
    arr = as_array(input)
    if arr.dtype == np.bool_:
        raise RuntimeError(bool_message)
    if arr.dtype.kind in "iu":
        lo, hi = _integer_bounds(arr.dtype.newbyteorder("="), lo, hi)
        return _clamp_integers(input, arr, lo, hi, inplace)
    hi = math.inf if hi is None else hi
    if lo != lo or hi != hi:
        return _fill_nan(input, float_array(arr), inplace)
    return _unary(_k.clamp, input, inplace, lo, hi)


def _clamp_integers(input, arr, lo, hi, inplace):
    if inplace:
        if not arr.flags.writeable:
            raise ValueError("assignment destination is read-only")
        np.clip(arr, lo, hi, out=arr)
        return input if isinstance(input, Tensor) else wrap(arr)
    # np.clip of a 0-d array returns a numpy scalar unless given `out`
    out = np.empty(arr.shape, dtype=arr.dtype.newbyteorder("="))
    np.clip(arr, lo, hi, out=out)
    return wrap(out)


def _fill_nan(input, arr, inplace):
    """torch's clamp with a NaN bound gives NaN everywhere (the other bound unchecked)."""
    dtype = arr.dtype.newbyteorder("=")
    if inplace:
        if not arr.flags.writeable:
            raise ValueError("assignment destination is read-only")
        arr[...] = np.nan
        return input if isinstance(input, Tensor) else wrap(arr)
    return wrap(np.full(arr.shape, np.nan, dtype=dtype))


def relu(input, inplace=False):
    r"""relu(input, inplace=False) -> Tensor

    Applies the rectified linear unit element-wise: :math:`\max(0, x)` (NaN stays NaN).
    Shape: any; the output has the input's shape.

    Example::
        >>> F.relu(fastnn.tensor([-1.0, 2.0]))     # tensor([0., 2.])
    """
    return _clamp(input, 0, None, inplace, "Boolean inputs not supported for relu")


def relu_(input):
    """In-place version of :func:`relu`."""
    return relu(input, inplace=True)


def relu6(input, inplace=False):
    r"""relu6(input, inplace=False) -> Tensor

    Applies :math:`\min(\max(0, x), 6)` element-wise.
    """
    return _clamp(input, 0, 6, inplace, "Bool inputs not supported for hardtanh")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    r"""hardtanh(input, min_val=-1., max_val=1., inplace=False) -> Tensor

    Clamps every element into ``[min_val, max_val]``. As in torch, integer input keeps its
    dtype and takes the bounds truncated toward zero (bounds it cannot hold are refused),
    and a NaN bound makes every float element NaN.
    """
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    fn = "hardtanh_" if inplace else "hardtanh"       # torch names the in-place op
    min_val = number_arg(min_val, fn, "min_val", 2)
    max_val = number_arg(max_val, fn, "max_val", 3)
    return _clamp(input, min_val, max_val, inplace, "Bool inputs not supported for hardtanh")


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place version of :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    r"""leaky_relu(input, negative_slope=0.01, inplace=False) -> Tensor

    Applies :math:`x` for :math:`x > 0`, else :math:`\text{negative\_slope} \cdot x`.
    """
    negative_slope = number_arg(negative_slope, "leaky_relu_" if inplace else "leaky_relu",
                                "negative_slope", 2)
    return _unary(_k.leaky_relu, input, inplace, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    """In-place version of :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    r"""elu(input, alpha=1.0, inplace=False) -> Tensor

    Applies :math:`x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)`.
    """
    alpha = number_arg(alpha, "elu_" if inplace else "elu", "alpha", 2)
    return _unary(_k.elu, input, inplace, alpha)


def elu_(input, alpha=1.0):
    """In-place version of :func:`elu`."""
    return elu(input, alpha, inplace=True)


def gelu(input, *, approximate="none"):
    r"""gelu(input, *, approximate='none') -> Tensor

    Applies :math:`x \Phi(x)` (``'none'``, with the Gaussian CDF :math:`\Phi`) or its tanh
    approximation :math:`0.5 x (1 + \tanh(\sqrt{2/\pi}(x + 0.044715 x^3)))` (``'tanh'``).
    `approximate` is keyword-only, as in torch.
    """
    if not isinstance(approximate, str):
        raise TypeError(
            f"gelu(): argument 'approximate' must be str, not {torch_typename(approximate)}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    arr = float_array(input)
    if approximate == "tanh":
        return run_kernel(_k.gelu_tanh, input, arr, False)
    quirks = 0 if arr.dtype.itemsize != 4 else 1 if _torch_runs_avx512() else 2
    return run_kernel(_k.gelu_erf, input, arr, False, (quirks,))


def _torch_runs_avx512():
    """torch's float32 gelu differs by the kernels torch picks for the CPU: +inf gives NaN
    with its AVX-512 ones (a CPU with AVX-512F), and every zero is +0.0 with its AVX2 ones;
    fastnn answers as torch does on the CPU it runs on (kernels/elementwise.gelu_erf)."""
    global _AVX512
    if _AVX512 is None:
        import llvmlite.binding as ll
        _AVX512 = bool(ll.get_host_cpu_features().get("avx512f", False))
    return _AVX512


_AVX512 = None


def silu(input, inplace=False):
    r"""silu(input, inplace=False) -> Tensor

    Applies :math:`x \sigma(x) = x / (1 + e^{-x})` element-wise.
    """
    return _via_numpy(_silu_into, input, inplace)


def sigmoid(input):
    r"""sigmoid(input) -> Tensor

    Applies :math:`1 / (1 + e^{-x})` element-wise.
    """
    return _via_numpy(_sigmoid_into, input, False)


def tanh(input):
    r"""tanh(input) -> Tensor

    Applies the hyperbolic tangent element-wise.
    """
    return _via_numpy(np.tanh, input, False)


# numpy's SIMD exp/tanh (AVX-512 here) beat a Numba loop of scalar libm calls by 5-100x even
# on one thread (float32 8x64x56x56, 1 thread: tanh 0.27 ms vs 36 ms; sigmoid 1.4 vs 8 ms),
# so these ops are numpy passes; the Numba kernels remain for clamps and batch norm.
def _via_numpy(compute, input, inplace):
    arr = float_array(input)
    if inplace and not arr.flags.writeable:
        raise ValueError("assignment destination is read-only")
    out = arr if inplace else np.empty(arr.shape, dtype=arr.dtype.newbyteorder("="))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        compute(arr, out=out)
    if inplace:
        return input if isinstance(input, Tensor) else wrap(arr)
    return wrap(out)


def _sigmoid_into(x, out):
    np.negative(x, out=out)
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    np.reciprocal(out, out=out)


def _silu_into(x, out):
    gate = np.empty(x.shape, dtype=out.dtype)
    _sigmoid_into(x, gate)
    np.multiply(x, gate, out=out)


def hardswish(input, inplace=False):
    r"""hardswish(input, inplace=False) -> Tensor

    Applies :math:`x \cdot \min(\max(x + 3, 0), 6) / 6` element-wise.
    """
    return _unary(_k.hardswish, input, inplace, 3, 6)


def hardsigmoid(input, inplace=False):
    r"""hardsigmoid(input, inplace=False) -> Tensor

    Applies :math:`\min(\max(x + 3, 0), 6) / 6` element-wise.
    """
    return _unary(_k.hardsigmoid, input, inplace, 3, 6)


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
    return _softmax("softmax", input, dim, _stacklevel + 1, dtype, log=False)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    r"""log_softmax(input, dim=None, dtype=None) -> Tensor

    :math:`x_i - \log \sum_j \exp(x_j)` along `dim`, without forming the softmax (stable
    for very negative log-probabilities). Arguments as :func:`softmax`.
    """
    return _softmax("log_softmax", input, dim, _stacklevel + 1, dtype, log=True)


def _softmax(name, input, dim, stacklevel, dtype, log):
    arr = as_array(input)
    if dtype is not None:
        arr = arr.astype(as_dtype(dtype, name), copy=False)
    if dim is None:
        dim = _implicit_softmax_dim(name, arr.ndim, stacklevel)
    dim = _wrap_dim(name, dim, arr.ndim)      # before the dtype check, as in torch
    float_array(arr)
    shape = arr.shape if arr.ndim else (1,)
    outer = math.prod(shape[:dim])
    inner = math.prod(shape[dim + 1:])
    out = np.empty(arr.shape, dtype=arr.dtype.newbyteorder("="))
    if out.size == 0:
        return wrap(out)
    src = kernel_array(arr)
    if inner == 1:
        launch(_k.softmax_rows, src.reshape(outer, -1), out.reshape(outer, -1), log,
               work=src.size)
    else:
        view = (outer, shape[dim], inner)
        launch(_k.softmax_strided, src.reshape(view), out.reshape(view), log, _SOFTMAX_BLOCK,
               work=src.size)
    return wrap(out)


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
