"""The output side of a transposed convolution split into output phases
(fastnn/nn/functional/_conv_transpose_run.py says why): each phase is computed by an
ordinary convolution kernel into a dense buffer, then these kernels place it.

Arrays are 5-D NCDHW and C-contiguous. A phase is the output positions
(od + sd*i, oh + sh*j, ow + sw*k) for i < QD, j < QH, k < QW; a phase buffer holds one or
several phases side by side along its channel axis (`c0` is the first channel of this one).
"""
from numba import prange

from ._target import njit


@njit(parallel=True, cache=True)
def place_phase(src, c0, out, od, oh, ow, sd, sh, sw):
    """out[n, c, od + sd*i, oh + sh*j, ow + sw*k] = src[n, c0 + c, i, j, k]."""
    N, K = out.shape[0], out.shape[1]
    QD, QH, QW = src.shape[2], src.shape[3], src.shape[4]
    for t in prange(N * K * QD):
        i = t % QD
        c = (t // QD) % K
        n = t // (QD * K)
        for j in range(QH):
            row = out[n, c, od + sd * i, oh + sh * j]
            line = src[n, c0 + c, i, j]
            for k in range(QW):
                row[ow + sw * k] = line[k]


@njit(parallel=True, cache=True)
def fill_phase(out, bias, od, oh, ow, sd, sh, sw, QD, QH, QW):
    """The phase's positions of `out` get `bias` (one value per channel; zeros for a
    convolution without bias): outputs no input reaches."""
    N, K = out.shape[0], out.shape[1]
    for t in prange(N * K * QD):
        i = t % QD
        c = (t // QD) % K
        n = t // (QD * K)
        value = bias[c]
        for j in range(QH):
            row = out[n, c, od + sd * i, oh + sh * j]
            for k in range(QW):
                row[ow + sw * k] = value
