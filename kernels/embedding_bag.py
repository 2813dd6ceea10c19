"""The bag reduction of ``F.embedding_bag``: one task per bag, so no two tasks write one
output row."""
from numba import prange

from ._target import njit

SUM, MEAN, MAX = 0, 1, 2


@njit(parallel=True, cache=True)
def embedding_bag_forward(weight, indices, bounds, weights, mode, padding, out, argmax):
    """out[b] = the sum, mean or max of the rows ``weight[indices[t]]`` for t in
    [bounds[b], bounds[b + 1]), skipping `padding`; an empty bag gives zeros. With
    `weights` not empty (mode SUM), each row is scaled by ``weights[t]`` before it is added.
    MAX writes the row each maximum came from into `argmax` (-1 for an empty bag), the
    first one on ties, as torch. `out` and `argmax` arrive uninitialised."""
    width = weight.shape[1]
    scaled = weights.shape[0] > 0
    for b in prange(out.shape[0]):
        dst = out[b]
        for j in range(width):
            dst[j] = 0
        if mode == MAX:
            for j in range(width):
                argmax[b, j] = -1
        count = 0
        for t in range(bounds[b], bounds[b + 1]):
            k = indices[t]
            if k == padding:
                continue
            src = weight[k]
            if mode == MAX:
                if count == 0:
                    for j in range(width):
                        dst[j] = src[j]
                        argmax[b, j] = k
                else:
                    for j in range(width):
                        if src[j] > dst[j]:
                            dst[j] = src[j]
                            argmax[b, j] = k
            elif scaled:
                f = weights[t]
                for j in range(width):
                    dst[j] += src[j] * f
            else:
                for j in range(width):
                    dst[j] += src[j]
            count += 1
        if mode == MEAN and count > 0:
            for j in range(width):
                dst[j] /= count
