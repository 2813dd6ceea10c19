"""The output side of a transposed convolution split into output phases
(fastnn/nn/functional/_conv_transpose_run.py says why): each phase is computed by an
ordinary convolution kernel into one buffer, then `place_phases` places every phase in
the output in one launch (one pass over the output instead of one per phase).

Arrays are 5-D NCDHW and C-contiguous. A phase is the output positions
(od + sd*i, oh + sh*j, ow + sw*k) for i < QD, j < QH, k < QW.
"""
from numba import prange

from ._target import njit
from .conv_pad import _u


@njit(parallel=True, cache=True)
def place_phases(dense, bias, out, phase_d, q_d, phase_h, q_h, offset_w, count_w,
                 row_length, plane_rows, base, sample, channel, sw):
    """Every phase at once: out[n, c, od, oh, offset_w[j] + sw*q] = the phase's dense
    result at (n, c, q_d[od], q_h[oh], q), the phase being (phase_d[od], phase_h[oh], j);
    a phase no input reaches (base -1) gets bias[c]. A phase's results start at
    dense[base + n*sample + c*channel] (indexed by the phase), rows row_length[j] long,
    planes plane_rows[phase_h] rows (a phase's results may be a window of larger planes).
    One task per output plane (n, c, od), each output row written whole before the next."""
    N, K, OD, OH, OW = out.shape
    JW = offset_w.shape[0]
    # the W phase whose outputs are 0, 2, 4.. when there are two at stride 2, else -1
    pair = -1
    if JW == 2 and sw == 2:
        pair = 0 if offset_w[0] == 0 else 1
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
            if pair >= 0 and base[a, b, 0] >= 0 and base[a, b, 1] >= 0:
                # two phases along W, outputs 0, 2, 4.. and 1, 3, 5..: one loop of pairs
                # of stores with literal steps, which LLVM vectorises as one interleave
                e, f = pair, 1 - pair
                s0 = _u(base[a, b, e] + n * sample[a, b, e] + c * channel[a, b, e]
                        + (qd * plane_rows[b] + qh) * row_length[e])
                s1 = _u(base[a, b, f] + n * sample[a, b, f] + c * channel[a, b, f]
                        + (qd * plane_rows[b] + qh) * row_length[f])
                both = min(count_w[e], count_w[f])
                uo = _u(o0)
                for q in range(_u(both)):
                    of[uo + _u(2) * q] = df[s0 + q]
                    of[uo + _u(2) * q + _u(1)] = df[s1 + q]
                if count_w[e] > both:
                    of[uo + _u(2 * both)] = df[s0 + _u(both)]
                continue
            for j in range(JW):
                ow0 = o0 + offset_w[j]
                cw = count_w[j]
                at = base[a, b, j]
                if at < 0:
                    for q in range(cw):
                        of[ow0 + q * sw] = value
                else:
                    s0 = at + n * sample[a, b, j] + c * channel[a, b, j] + (
                        qd * plane_rows[b] + qh) * row_length[j]
                    for q in range(cw):
                        of[ow0 + q * sw] = df[s0 + q]
