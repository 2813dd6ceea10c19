"""A transposed convolution's weight for one output phase, as an ordinary convolution
takes it: the in and out channels of each group swapped, the phase's taps picked
(an arithmetic progression per axis, last first: the kernel flipped).

numpy's copy of that view (`np.ascontiguousarray` of a swapped, strided, reversed slice)
walks the destination in order and the source down its columns, a cache line per element
on wide weights; here a task copies a 16 x 16 block of (in, out) channel pairs, whose
runs of taps lie together on both sides. The same pass checks that what it copies is
finite, which the caller needs anyway (the phase convolutions multiply zero padding by
the weights), without another pass over the weight.
"""
import numpy as np
from numba import prange

from ._target import njit
from .conv_pad import _u
from .exp32 import CHECK_MATH

BLOCK = 16


@njit(parallel=True, cache=True, fastmath=CHECK_MATH)
def phase_weight(w, dst, groups, taps):
    """dst (G*Co, Ci, *phase taps)[g*Co + o, i, t] = w (G*Ci, Co, *kernel)[g*Ci + i, o,
    taps[t]] over the flat taps t of each, both C-contiguous. Returns 0.0, or NaN when a
    value it copies is NaN or inf."""
    Co = w.shape[1]
    Ci = w.shape[0] // groups
    kernel = w.size // max(1, w.shape[0] * Co)
    run = _u(taps.size)
    wf = w.reshape(w.size)
    df = dst.reshape(dst.size)
    in_blocks = (Ci + BLOCK - 1) // BLOCK
    out_blocks = (Co + BLOCK - 1) // BLOCK
    per_group = in_blocks * out_blocks
    checks = np.zeros(groups * per_group)
    for t in prange(groups * per_group):
        g = t // per_group
        i0 = (t % per_group) // out_blocks * BLOCK
        o0 = (t % out_blocks) * BLOCK
        check = 0.0
        for i in range(i0, min(i0 + BLOCK, Ci)):
            for o in range(o0, min(o0 + BLOCK, Co)):
                src = _u(((g * Ci + i) * Co + o) * kernel)
                at = _u(((g * Co + o) * Ci + i)) * run
                for e in range(run):
                    v = wf[src + _u(taps[e])]
                    check += v * 0.0
                    df[at + e] = v
        checks[t] = check
    return checks.sum()
