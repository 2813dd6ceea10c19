"""The output side of a transposed convolution split into output phases
(fastnn/nn/functional/_conv_transpose_run.py says why): each phase is computed by an
ordinary convolution kernel into one buffer, then `place_phases` places every phase in
the output in one launch (one pass over the output instead of one per phase).

Arrays are 5-D NCDHW and C-contiguous. A phase is the output positions
(od + sd*i, oh + sh*j, ow + sw*k) for i < QD, j < QH, k < QW.
"""
from numba import prange

from ._target import njit


@njit(parallel=True, cache=True)
def place_phases(dense, bias, out, phase_d, q_d, phase_h, q_h, offset_w, count_w, count_h,
                 base, sample, channel, sw):
    """Every phase at once: out[n, c, od, oh, offset_w[j] + sw*q] = the phase's dense
    result at (n, c, q_d[od], q_h[oh], q), the phase being (phase_d[od], phase_h[oh], j);
    a phase no input reaches (base -1) gets bias[c]. A phase's results start at
    dense[base + n*sample + c*channel] (indexed by the phase), rows count_w[j] long,
    planes count_h[phase_h] rows. One task per output plane (n, c, od), each output row
    written whole before the next."""
    N, K, OD, OH, OW = out.shape
    JW = offset_w.shape[0]
    of = out.reshape(out.size)
    df = dense.reshape(dense.size)
    for t in prange(N * K * OD):
        od = t % OD
        nc = t // OD
        c = nc % K
        n = nc // K
        a = phase_d[od]
        qd = q_d[od]
        value = bias[c]
        for oh in range(OH):
            b = phase_h[oh]
            qh = q_h[oh]
            o0 = (t * OH + oh) * OW
            for j in range(JW):
                ow0 = o0 + offset_w[j]
                cw = count_w[j]
                at = base[a, b, j]
                if at < 0:
                    for q in range(cw):
                        of[ow0 + q * sw] = value
                else:
                    s0 = at + n * sample[a, b, j] + c * channel[a, b, j] + (
                        qd * count_h[b] + qh) * cw
                    for q in range(cw):
                        of[ow0 + q * sw] = df[s0 + q]
