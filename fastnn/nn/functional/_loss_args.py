"""Argument handling shared by the losses: reductions (and the legacy `size_average` /
`reduce` pair, as torch maps them), broadcasting with torch's errors, dtypes."""
import warnings

import numpy as np

from ..._args import torch_type_name
from ..._dtypes import promote
from ..._grad import is_grad_enabled
from ..._runtime import forked_serial, launch, serial_twin
from .._utils import as_array

REDUCTIONS = ("none", "mean", "sum")

# Below this much work a loss kernel runs as its serial twin (`_runtime.serial_twin`): a
# parallel kernel's launch costs microseconds even on one thread, as much as a LeNet-sized
# loss (64 x 10) takes; from 64K elements on the twin was no faster (the loss kernels copy
# no rows, which is where `launch` found twins slower).
TWIN_MAX_WORK = 1 << 12

# warnings point at the caller of F.<loss>: past the helper, the op's normalize, the door's
# _normalized, dispatch and F itself
WARNING_LEVEL = 6


def reduction_arg(size_average, reduce, reduction, stacklevel=WARNING_LEVEL):
    """torch's reduction string: the legacy pair wins (with torch's deprecation warning)."""
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce, stacklevel + 1)
    return reduction


def legacy_reduction(size_average, reduce, stacklevel):
    """torch's `_Reduction.legacy_get_string`."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{result}' instead.", stacklevel=stacklevel)
    return result


def check_reduction(reduction, stacklevel=WARNING_LEVEL):
    """torch's `_Reduction.get_enum` as a canonical string."""
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use "
                      "reduction='mean' instead.", stacklevel=stacklevel)
        return "mean"
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def invalid_mode(reduction):
    """torch's error for a bad reduction on the weighted (Python) loss paths."""
    return ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', "
                      "'mean', 'sum'.")


def size_text(shape):
    """A shape as torch prints `Tensor.size()`: torch.Size([3, 1])."""
    return f"torch.Size({list(shape)})"


def warn_size_mismatch(input, target, stacklevel=WARNING_LEVEL):
    if input.shape != target.shape:
        warnings.warn(
            f"Using a target size ({size_text(target.shape)}) that is different to the input "
            f"size ({size_text(input.shape)}). This will likely lead to incorrect results "
            "due to broadcasting. Please ensure they have the same size.",
            stacklevel=stacklevel)


def check_output_broadcast(out_shape, shape):
    """torch's error where an operand would enlarge an output of `out_shape`."""
    if tuple(shape) != tuple(out_shape):
        raise RuntimeError(f"output with shape {list(out_shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")


def loss_array(value):
    """An array argument as an ndarray (numbers become 0-d arrays, as torch's scalars)."""
    return as_array(value)


def is_float(arr):
    return arr.dtype.kind == "f" and arr.dtype.itemsize in (4, 8)


_FLOAT_NAMES = {np.dtype(t): np.dtype(t).name for t in (np.float32, np.float64)}


def native_name(dtype):
    """The name of `dtype` in native byte order (numpy computes ``dtype.name`` in Python,
    slowly enough to show on a small loss: the float dtypes are looked up)."""
    name = _FLOAT_NAMES.get(dtype)
    return name if name is not None else dtype.newbyteorder("=").name


def dtype_of(name):
    """``np.dtype(name)`` for an Attrs' dtype name, looked up for the float dtypes."""
    return _DTYPES.get(name) or np.dtype(name)


_DTYPES = {name: dtype for dtype, name in _FLOAT_NAMES.items()}


def type_name(arr):
    return torch_type_name(arr.dtype.newbyteorder("="))


def common_dtype(arrays):
    """torch's promoted dtype of `arrays`, native (one dtype: itself, without the
    promotion table, which took half a small loss's checks)."""
    first = arrays[0].dtype
    if first.isnative and all(a.dtype == first for a in arrays[1:]):
        return first
    return promote(a.dtype.newbyteorder("=") for a in arrays)


def promoted_float(fn_kernel, *arrays):
    """The dtype torch computes a two-operand loss in (type promotion), refusing integer
    results with torch's 'not implemented for' wording and other dtypes by name."""
    dtype = common_dtype(arrays)
    if dtype.kind in "iub":
        raise NotImplementedError(f'"{fn_kernel}" not implemented for '
                                  f"'{torch_type_name(dtype)}'")
    if not (dtype.kind == "f" and dtype.itemsize in (4, 8)):
        raise TypeError(f"input must be float32 or float64, got {dtype}")
    return dtype


def flat(arr, shape, dtype):
    """`arr` broadcast to `shape` as a flat C-contiguous native array of `dtype` (no copy
    when it is one already)."""
    if arr.shape != tuple(shape):
        arr = np.broadcast_to(arr, shape)
    return np.ascontiguousarray(arr, dtype=dtype).reshape(-1)


def refuse_grad(function, argument, value):
    """torch's refusal, when autograd would record the call, of a tensor that requires
    grad as an argument the function is not differentiable in."""
    if getattr(value, "requires_grad", False) and is_grad_enabled():
        raise RuntimeError(f"The function '{function}' is not differentiable with respect to "
                           f"argument '{argument}'. This input cannot have requires_grad True.")


def run_kernel(kernel, *args, work):
    """`launch(kernel, *args, work=work)`, small work on the kernel's serial twin."""
    if work < TWIN_MAX_WORK and not forked_serial():
        kernel = serial_twin(kernel)
    return launch(kernel, *args, work=work)
