"""Slow pure-numpy pooling references with torch's semantics (no torch, no Numba).

Every function takes x of shape (..., *spatial) with `nd` spatial dims and loops over the
output positions in Python; each window's elements are gathered and reduced with numpy.
Sums of inf and -inf are NaN here as in torch, so numpy's warning about them is silenced.
"""
import itertools

import numpy as np


def output_size(size, k, s, p, d, ceil_mode):
    """torch's pooling output size; ceil mode drops a window starting in the right pad."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _reduce_max(x, positions, spatial):
    """Values and torch's argmax over the flat in-plane `positions` (window order).

    NaN wins and the last NaN is reported; otherwise the first maximum. An empty window
    gives -inf.
    """
    lead = x.shape[:x.ndim - len(spatial)]
    planes = x.reshape(lead + (-1,))
    if not positions:
        return np.full(lead, -np.inf, x.dtype), None
    window = planes[..., positions]
    nan = np.isnan(window)
    has_nan = nan.any(axis=-1)
    last_nan = len(positions) - 1 - np.argmax(nan[..., ::-1], axis=-1)
    clean = np.where(nan, -np.inf, window)
    best = clean.max(axis=-1)
    first_max = np.argmax(clean == best[..., None], axis=-1)
    values = np.where(has_nan, np.nan, best).astype(x.dtype)
    return values, np.asarray(positions)[np.where(has_nan, last_nan, first_max)]


def _flat(index, spatial):
    return int(np.ravel_multi_index(index, spatial))


def max_pool(x, nd, k, s, p, d, ceil_mode):
    """(values, int64 indices) of max pooling with -inf padding."""
    spatial = x.shape[x.ndim - nd:]
    out = [output_size(spatial[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd)]
    lead = x.shape[:x.ndim - nd]
    values = np.empty(lead + tuple(out), x.dtype)
    indices = np.empty(lead + tuple(out), np.int64)
    for o in itertools.product(*map(range, out)):
        taps = [[o[i] * s[i] - p[i] + j * d[i] for j in range(k[i])] for i in range(nd)]
        inside = [[t for t in taps[i] if 0 <= t < spatial[i]] for i in range(nd)]
        positions = [_flat(idx, spatial) for idx in itertools.product(*inside)]
        v, i = _reduce_max(x, positions, spatial)
        values[(Ellipsis,) + o] = v
        if i is None:
            # torch reports the window's first in-range-or-later tap even when it is empty
            first = [next(t for t in itertools.count(taps[a][0], d[a]) if t >= 0)
                     for a in range(nd)]
            i = sum(first[a] * int(np.prod(spatial[a + 1:])) for a in range(nd))
        indices[(Ellipsis,) + o] = i
    return values, indices


def avg_pool(x, nd, k, s, p, ceil_mode, count_include_pad, divisor_override=None):
    """Average pooling with zero padding and torch's divisor rules."""
    spatial = x.shape[x.ndim - nd:]
    out = [output_size(spatial[i], k[i], s[i], p[i], 1, ceil_mode) for i in range(nd)]
    lead = x.shape[:x.ndim - nd]
    result = np.empty(lead + tuple(out), x.dtype)
    for o in itertools.product(*map(range, out)):
        starts = [o[i] * s[i] - p[i] for i in range(nd)]
        # the window, clipped to the padded input (a ceil-mode window may run past it)
        ends = [min(starts[i] + k[i], spatial[i] + p[i]) for i in range(nd)]
        padded_count = int(np.prod([ends[i] - starts[i] for i in range(nd)]))
        inside = [range(max(starts[i], 0), min(ends[i], spatial[i])) for i in range(nd)]
        window = x[(Ellipsis,) + tuple(slice(r.start, r.stop) for r in inside)]
        count = int(np.prod([len(r) for r in inside]))
        if divisor_override is not None:
            divisor = divisor_override
        else:
            divisor = padded_count if count_include_pad else count
        with np.errstate(invalid="ignore"):
            total = window.astype(np.float64).sum(axis=tuple(range(-nd, 0)))
        result[(Ellipsis,) + o] = total / divisor if count else 0
    return result


def _adaptive_range(i, out, size):
    return (i * size) // out, -(-((i + 1) * size) // out)


def adaptive_avg_pool(x, nd, out):
    spatial = x.shape[x.ndim - nd:]
    result = np.empty(x.shape[:x.ndim - nd] + tuple(out), x.dtype)
    for o in itertools.product(*map(range, out)):
        box = tuple(slice(*_adaptive_range(o[i], out[i], spatial[i])) for i in range(nd))
        with np.errstate(invalid="ignore"):
            result[(Ellipsis,) + o] = x[(Ellipsis,) + box].astype(np.float64).mean(
                axis=tuple(range(-nd, 0)))
    return result


def adaptive_max_pool(x, nd, out):
    spatial = x.shape[x.ndim - nd:]
    lead = x.shape[:x.ndim - nd]
    values = np.empty(lead + tuple(out), x.dtype)
    indices = np.empty(lead + tuple(out), np.int64)
    for o in itertools.product(*map(range, out)):
        ranges = [range(*_adaptive_range(o[i], out[i], spatial[i])) for i in range(nd)]
        positions = [_flat(idx, spatial) for idx in itertools.product(*ranges)]
        values[(Ellipsis,) + o], indices[(Ellipsis,) + o] = _reduce_max(x, positions, spatial)
    return values, indices
