"""What layer, group and instance norm share: torch's checks of the optional affine
tensors, and the per-row statistics (`fastnn.kernels.normalization`)."""
import numpy as np

from ..._args import torch_typename
from ..._array import kernel_array
from ..._runtime import get_num_threads, launch
from ...kernels import normalization as _k

# A row is split into pieces of at least this many elements, and only when there are too
# few rows to give every thread several: a piece must outweigh its task's start-up cost.
MIN_PIECE = 4096

_TORCH_NAMES = {np.dtype(np.float32): "Float", np.dtype(np.float64): "Double"}
# group_norm_rows' weight or bias when there is none (empty, of the input's dtype: one
# compilation whether or not the affine tensors are given)
_NONE = {dtype: np.zeros(0, dtype) for dtype in _TORCH_NAMES}


def tensor_args(fn, *named):
    """torch's parser: each (name, value, position) is a Tensor or None."""
    for name, value, position in named:
        if value is not None and not hasattr(value, "__array__"):
            raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be "
                            f"Tensor, not {torch_typename(value)}")


def check_param_dtypes(input_dtype, weight, bias):
    """torch's CPU checks of weight/bias dtypes against a float input's: a first parameter
    of another dtype is a "mixed dtype" error (worded by whether every parameter is
    float32), a second one differing from the first a scalar-type error."""
    native = input_dtype.newbyteorder("=")
    params = [p.dtype.newbyteorder("=") for p in (weight, bias) if p is not None]
    if not params:
        return
    if params[0] != native:
        if any(p != np.float32 for p in params):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    for p in params[1:]:
        if p != native:
            raise RuntimeError(f"expected scalar type {_TORCH_NAMES.get(native, native)} "
                               f"but found {_TORCH_NAMES.get(p, p)}")


def piece_length(rows, length):
    """The length of the pieces rows are cut into: whole rows when there are enough of
    them to keep every thread busy, else pieces of at least MIN_PIECE elements."""
    wanted = 4 * get_num_threads()
    if rows >= wanted or length < 2 * MIN_PIECE:
        return max(length, 1)
    pieces = min(-(-wanted // rows), length // MIN_PIECE)
    return -(-length // pieces)


def row_moments(x2):
    """Mean and biased variance (float64) of each row of the C-contiguous (R, L) array
    `x2`, L >= 1. A negative rounding residue of the variance is clamped to 0; NaN stays."""
    rows, length = x2.shape
    chunk = piece_length(rows, length)
    pieces = -(-length // chunk)
    sums = np.empty((rows, pieces))
    squares = np.empty((rows, pieces))
    launch(_k.row_shifted_sums, x2, chunk, sums, squares, work=x2.size)
    with np.errstate(invalid="ignore", over="ignore"):
        if pieces > 1:
            sums, squares = sums.sum(axis=1), squares.sum(axis=1)
        else:
            sums, squares = sums[:, 0], squares[:, 0]
        shift = sums / length
        var = squares / length - shift * shift
        var[var < 0.0] = 0.0
        return x2[:, 0] + shift, var


def inverse_std(var, eps):
    """1 / sqrt(var + eps), NaN where torch's is (a negative eps larger than var)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1.0 / np.sqrt(var + eps)


def scale_shift_rows(x2, mean, rstd, weight, bias, channels, out2):
    """out2 = x2 * scale + shift per row of (N*C, L) `x2`, with torch's scale = rstd *
    weight[c] and shift = bias[c] - mean * scale (rows' mean and rstd in float64),
    rounded to x2's dtype."""
    scale = rstd.reshape(-1, channels)
    if weight is not None:
        scale = scale * weight.reshape(-1)
    with np.errstate(invalid="ignore", over="ignore"):
        shift = -mean.reshape(-1, channels) * scale
        if bias is not None:
            shift += bias.reshape(-1)
    dtype = x2.dtype
    rows, length = x2.shape
    launch(_k.rows_scale_shift, x2, piece_length(rows, length),
           scale.reshape(-1).astype(dtype), shift.reshape(-1).astype(dtype), out2,
           work=2 * x2.size)


def normalize_groups(x2, per_group, channels, weight, bias, eps, out2):
    """Group norm of the C-contiguous (N*G, per_group * L) rows of `x2` into `out2`, with
    the optional per-channel weight and bias; returns each row's mean and biased variance
    (float64). One pass per row while it is in cache when there are rows enough for the
    threads, else statistics by pieces then a scale-shift pass over (N*C, L) rows."""
    rows, length = x2.shape
    if piece_length(rows, length) == length:
        mean, var = np.empty(rows), np.empty(rows)
        none = _NONE[x2.dtype]
        launch(_k.group_norm_rows, x2, per_group, channels,
               none if weight is None else kernel_array(weight.reshape(-1)),
               none if bias is None else kernel_array(bias.reshape(-1)), eps, mean, var,
               out2, work=2 * x2.size)
        return mean, var
    mean, var = row_moments(x2)
    per_channel = rows * per_group
    scale_shift_rows(x2.reshape(per_channel, -1), np.repeat(mean, per_group),
                     np.repeat(inverse_std(var, eps), per_group), weight, bias, channels,
                     out2.reshape(per_channel, -1))
    return mean, var
