"""torch's `out=` argument: the checks of a caller's output (`checked_out`, which the op door
applies) and the copy of a composed result into it (`write_out`, for the functions that
compose ops instead of running one)."""
import numpy as np

__all__ = ["checked_out", "write_out"]

_TORCH_DTYPE_NAMES = {"float32": "float", "float64": "double", "int64": "long",
                      "int32": "int", "int16": "short", "int8": "signed char",
                      "uint8": "unsigned char", "bool": "bool", "float16": "c10::Half"}


def checked_out(shape, dtype, out):
    """`out` after torch's checks that it can hold a result of `shape` and `dtype`."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if out.dtype != dtype:
        name = _TORCH_DTYPE_NAMES.get(np.dtype(dtype).name, str(dtype))
        got = _TORCH_DTYPE_NAMES.get(out.dtype.name, str(out.dtype))
        raise RuntimeError(f"Expected out tensor to have dtype {name}, but got {got} instead")
    if out.shape != tuple(shape):
        # torch resizes such an output (with a deprecation warning); a numpy array that
        # other arrays may view cannot be resized, so this is torch's refusal to resize
        raise RuntimeError(
            f"An output with shape {list(out.shape)} does not match the required output "
            f"shape {list(shape)}, and fastnn cannot resize it: Trying to resize storage "
            "that is not resizable")
    if not out.flags.writeable:
        raise ValueError("output array is read-only")
    return out


def write_out(result, out):
    """`result`, or `out` with `result` written into it (``copy_``, which autograd records)
    after `checked_out`'s checks."""
    if out is None:
        return result
    checked_out(result.shape, result.dtype, out)
    if hasattr(out, "copy_"):
        out.copy_(result)
    else:
        out[...] = result
    return out
