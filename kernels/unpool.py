"""Max unpooling: scatter each plane's values to the flat positions its indices name."""
from numba import prange

from ._target import njit


@njit(parallel=True, cache=True)
def max_unpool(x, indices, out, bad):
    """out[p, indices[p, i]] = x[p, i] on (planes, n) inputs into a (planes, m) output,
    which is zeroed first; within a plane in order, so a repeated index keeps the last
    value (as torch's CPU kernel). An index outside [0, m) is skipped and its position
    recorded in bad[p] (the last such one, else -1), for the caller to raise: torch's
    kernel likewise reports the last invalid index it met."""
    planes, n = x.shape
    m = out.shape[1]
    for p in prange(planes):
        for j in range(m):
            out[p, j] = 0
        bad[p] = -1
        for i in range(n):
            k = indices[p, i]
            if k < 0 or k >= m:
                bad[p] = i
            else:
                out[p, k] = x[p, i]
