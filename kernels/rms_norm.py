"""RMS normalisation of the rows of a C-contiguous (R, L) array (F.rms_norm): each row
divided by the root of its mean square plus eps (accumulated in float64), times `weight`."""
import numpy as np
from numba import prange

from ._target import njit


@njit(parallel=True, cache=True)
def rms_norm_rows(x, weight, eps, out):
    """out[r] = x[r] / sqrt(mean(x[r] ** 2) + eps) * weight."""
    rows, length = x.shape
    for r in prange(rows):
        src = x[r]
        acc = 0.0
        for j in range(length):
            v = np.float64(src[j])
            acc += v * v
        rstd = 1.0 / np.sqrt(acc / length + eps)
        dst = out[r]
        for j in range(length):
            dst[j] = src[j] * rstd * weight[j]
