"""Slow pure-numpy references for convolution and padding (the torch-free oracle).

Written from the definitions, not from fastnn's code: zero padding is an explicit
np.pad, each kernel tap is one einsum over (group, out channel, in channel).
"""
import numpy as np


def conv_reference(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """N-d convolution (cross-correlation) in float64. `x` is batched (N, C, *spatial);
    stride/padding/dilation are ints or tuples; padding may be 'valid' or 'same'."""
    nd = x.ndim - 2
    stride, dilation = _tup(stride, nd), _tup(dilation, nd)
    kernel = w.shape[2:]
    if padding == "valid":
        pads = [(0, 0)] * nd
    elif padding == "same":
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        pads = [(t // 2, t - t // 2) for t in totals]
    else:
        pads = [(p, p) for p in _tup(padding, nd)]
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + pads)
    n, c = x.shape[:2]
    k_out = w.shape[0]
    cg, kg = c // groups, k_out // groups
    out_sp = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
              for i in range(nd)]
    out = np.zeros((n, groups, kg, *out_sp))
    xg = xp.reshape(n, groups, cg, *xp.shape[2:])
    wg = w.astype(np.float64).reshape(groups, kg, cg, *kernel)
    for tap in np.ndindex(*kernel):
        window = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                       for t, d, o, s in zip(tap, dilation, out_sp, stride))
        patch = xg[(slice(None), slice(None), slice(None)) + window]
        out += np.einsum("ngc...,gkc->ngk...", patch, wg[(Ellipsis,) + tap])
    out = out.reshape(n, k_out, *out_sp)
    if b is not None:
        out += np.asarray(b, np.float64).reshape((1, k_out) + (1,) * nd)
    return out


def pad_reference(x, pad, mode="constant", value=0.0):
    """F.pad for non-negative pads, through numpy.pad (reflect == numpy's 'reflect',
    replicate == 'edge', circular == 'wrap')."""
    widths = [(0, 0)] * x.ndim
    for j in range(len(pad) // 2):
        widths[x.ndim - 1 - j] = (pad[2 * j], pad[2 * j + 1])
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge",
                                   "circular": "wrap"}[mode])


def _tup(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
