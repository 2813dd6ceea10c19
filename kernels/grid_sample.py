"""Kernels of F.grid_sample: the forward and the two halves of its backward.

Every array is 5-D: a 4-D call runs as (N, C, 1, H, W) with a grid (N, 1, Ho, Wo, 2) and
`nd3` False. `p` holds, per spatial axis (x, y, z), the constants of torch's coordinate
arithmetic in the input's dtype (columns below), so float32 coordinates are computed in
float32 as torch computes them. `mode`: 0 bilinear, 1 nearest, 2 bicubic; `padding`: 0
zeros, 1 border, 2 reflection.

torch runs its 2-D CPU forward vectorised and its 3-D one scalar, and the two treat a NaN
coordinate differently: the 2-D clip sends NaN to 0 and its zeros padding multiplies a NaN
weight by the zero it reads outside; the 3-D clip (std::min / std::max) sends NaN to
size - 1 and skips the corners outside. Both are followed (`nd3`).

grad_input runs one (n, c) plane per task (the scatter-add of a plane stays in one
thread); grad_grid one (n, output row) per task, summing over the channels.
"""
import numpy as np
from numba import prange

from ._target import njit

SIZE, LIM, SCALE, TLO, THI, ZERO, ONE, TWO, HALF = range(9)
A = -0.75


@njit(cache=True)
def _unnormalize(c, q, align, nd3):
    if nd3:
        if align:
            return ((c + q[ONE]) / q[TWO]) * q[LIM]
        return ((c + q[ONE]) * q[SIZE] - q[ONE]) / q[TWO]
    if align:
        return (c + q[ONE]) * q[SCALE]
    return (c + q[ONE]) * q[SCALE] - q[HALF]


@njit(cache=True)
def _clip(c, q, nd3):
    if nd3:
        m = q[ZERO] if c < q[ZERO] else c
        return m if m < q[LIM] else q[LIM]
    m = c if c > q[ZERO] else q[ZERO]
    return m if m < q[LIM] else q[LIM]


@njit(cache=True)
def _reflect(c, q):
    """torch's reflect_coordinates; the sign of its slope (1 or -1) as the second value."""
    if q[TLO] == q[THI]:
        return q[ZERO], q[ZERO]
    low = q[TLO] / q[TWO]
    span = (q[THI] - q[TLO]) / q[TWO]
    c = c - low
    sign = q[ONE]
    if c < q[ZERO]:
        sign = -sign
        c = -c
    extra = np.fmod(c, span)
    flips = np.floor(c / span)
    if flips - 2.0 * np.floor(flips / 2.0) == 0.0:
        return extra + low, sign
    return span - extra + low, -sign


@njit(cache=True)
def _coordinates(c, q, padding, align, nd3):
    """A tap's coordinate under the padding mode (already unnormalised)."""
    if padding == 1:
        return _clip(c, q, nd3)
    if padding == 2:
        return _clip(_reflect(c, q)[0], q, nd3)
    return c


@njit(cache=True)
def _point(pt, p, padding, align, nd3):
    """The source coordinates (x, y, z; z 0 in 2-D) of grid point `pt` (`_source` each)."""
    ix, _ = _source(pt[0], p[0], padding, align, nd3)
    iy, _ = _source(pt[1], p[1], padding, align, nd3)
    iz = 0.0
    if nd3:
        iz, _ = _source(pt[2], p[2], padding, align, nd3)
    return ix, iy, iz


@njit(cache=True)
def _source(c, q, padding, align, nd3):
    """(coordinate, d coordinate / d grid value) of a grid value."""
    g = q[SCALE]
    c = _unnormalize(c, q, align, nd3)
    if padding == 0:
        return c, g
    if padding == 2:
        c, sign = _reflect(c, q)
        g = g * sign
    if c > q[ZERO] and c < q[LIM]:
        return c, g
    return _clip(c, q, nd3), q[ZERO]


@njit(cache=True)
def _index(f, size):
    """The integer of a floored coordinate, -1 outside [0, size) (NaN included)."""
    if f > -1.0 and f < size:
        return int(f)
    return -1


@njit(cache=True)
def _cubic_weights(t, q):
    one, two = q[ONE], q[TWO]
    x = t + one
    w0 = ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A
    x = t
    w1 = ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    x = one - t
    w2 = ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    x = two - t
    w3 = ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A
    return w0, w1, w2, w3


@njit(cache=True)
def _cubic_slopes(t):
    x = -1.0 - t
    d0 = (-3.0 * A * x - 10.0 * A) * x - 8.0 * A
    x = -t
    d1 = (-3.0 * (A + 2.0) * x - 2.0 * (A + 3.0)) * x
    x = 1.0 - t
    d2 = (3.0 * (A + 2.0) * x - 2.0 * (A + 3.0)) * x
    x = 2.0 - t
    d3 = (3.0 * A * x - 10.0 * A) * x + 8.0 * A
    return d0, d1, d2, d3


@njit(cache=True)
def _tap(f, k, q, padding, align):
    """The index of bicubic tap `k` (0..3) around floor `f`, -1 outside."""
    c = _coordinates(f - 1.0 + k, q, padding, align, False)
    return _index(c, q[SIZE])


@njit(cache=True)
def _corners(c, size, nd3, extent):
    """(floor index, next index, weight of the next) of a linear coordinate; indices -1
    outside. A 2-D call's z axis (extent 1) is the single index 0."""
    if not nd3 and extent == 0:
        return 0, -1, 0.0
    f = np.floor(c)
    return _index(f, size), _index(f + 1.0, size), c - f


@njit(inline="always")
def _corner(k, z, y, x):
    """Corner `k` of a linear cell (bit 4: z, 2: y, 1: x; `_corners` triples z, y, x): its
    indices (-1 outside) and its weight along each axis."""
    dz, dy, dx = k >> 2, (k >> 1) & 1, k & 1
    return (z[1] if dz else z[0], y[1] if dy else y[0], x[1] if dx else x[0],
            z[2] if dz else 1.0 - z[2], y[2] if dy else 1.0 - y[2],
            x[2] if dx else 1.0 - x[2])


@njit(parallel=True, cache=True)
def grid_sample_forward(x, grid, out, p, mode, padding, align, nd3):
    N, C, D, H, W = x.shape
    OD, OH, OW = out.shape[2], out.shape[3], out.shape[4]
    cpad = 0 if mode == 2 else padding      # bicubic pads each tap, not the point
    for row in prange(N * OD * OH):
        n = row // (OD * OH)
        od = (row // OH) % OD
        oh = row % OH
        for ow in range(OW):
            pt = grid[n, od, oh, ow]
            ix, iy, iz = _point(pt, p, cpad, align, nd3)
            if mode == 1:
                jx = _index(np.rint(ix), W)
                jy = _index(np.rint(iy), H)
                jz = _index(np.rint(iz), D) if nd3 else 0
                inside = jx >= 0 and jy >= 0 and jz >= 0
                for c in range(C):
                    out[n, c, od, oh, ow] = x[n, c, jz, jy, jx] if inside else 0.0
            elif mode == 2:
                _bicubic_point(x, out, n, od, oh, ow, ix, iy, p, padding, align)
            else:
                _linear_point(x, out, n, od, oh, ow, ix, iy, iz, nd3)


@njit(cache=True)
def _linear_point(x, out, n, od, oh, ow, ix, iy, iz, nd3):
    C, D, H, W = x.shape[1], x.shape[2], x.shape[3], x.shape[4]
    cx = _corners(ix, W, nd3, 1)
    cy = _corners(iy, H, nd3, 1)
    cz = _corners(iz, D, nd3, 1 if nd3 else 0)
    for c in range(C):
        acc = 0.0
        for k in range(8 if nd3 else 4):
            jz, jy, jx, wz, wy, wx = _corner(k, cz, cy, cx)
            w = (wz * wy) * wx if nd3 else wy * wx
            if jx >= 0 and jy >= 0 and jz >= 0:
                acc += x[n, c, jz, jy, jx] * w
            elif not nd3:
                acc += 0.0 * w
        out[n, c, od, oh, ow] = acc


@njit(cache=True)
def _bicubic_point(x, out, n, od, oh, ow, ix, iy, p, padding, align):
    C = x.shape[1]
    fx = np.floor(ix)
    fy = np.floor(iy)
    wx = _cubic_weights(ix - fx, p[0])
    wy = _cubic_weights(iy - fy, p[1])
    jx = (_tap(fx, 0, p[0], padding, align), _tap(fx, 1, p[0], padding, align),
          _tap(fx, 2, p[0], padding, align), _tap(fx, 3, p[0], padding, align))
    jy = (_tap(fy, 0, p[1], padding, align), _tap(fy, 1, p[1], padding, align),
          _tap(fy, 2, p[1], padding, align), _tap(fy, 3, p[1], padding, align))
    for c in range(C):
        acc = 0.0
        for i in range(4):
            row = 0.0
            for j in range(4):
                v = x[n, c, 0, jy[i], jx[j]] if jy[i] >= 0 and jx[j] >= 0 else 0.0
                row += wx[j] * v
            acc += wy[i] * row
        out[n, c, od, oh, ow] = acc


@njit(parallel=True, cache=True)
def grid_sample_input_grad(grad, grid, gx, p, mode, padding, align, nd3):
    """gx (N, C, D, H, W), zeroed and filled plane by plane: the transpose of the
    forward's gather."""
    N, C, D, H, W = gx.shape
    OD, OH, OW = grad.shape[2], grad.shape[3], grad.shape[4]
    cpad = 0 if mode == 2 else padding
    for plane in prange(N * C):
        n = plane // C
        c = plane % C
        gx[n, c] = 0.0
        for od in range(OD):
            for oh in range(OH):
                for ow in range(OW):
                    g = grad[n, c, od, oh, ow]
                    pt = grid[n, od, oh, ow]
                    ix, iy, iz = _point(pt, p, cpad, align, nd3)
                    if mode == 1:
                        jx = _index(np.rint(ix), W)
                        jy = _index(np.rint(iy), H)
                        jz = _index(np.rint(iz), D) if nd3 else 0
                        if jx >= 0 and jy >= 0 and jz >= 0:
                            gx[n, c, jz, jy, jx] += g
                    elif mode == 2:
                        fx = np.floor(ix)
                        fy = np.floor(iy)
                        wx = _cubic_weights(ix - fx, p[0])
                        wy = _cubic_weights(iy - fy, p[1])
                        for i in range(4):
                            ty = _tap(fy, i, p[1], padding, align)
                            if ty < 0:
                                continue
                            for j in range(4):
                                tx = _tap(fx, j, p[0], padding, align)
                                if tx >= 0:
                                    gx[n, c, 0, ty, tx] += g * (wx[j] * wy[i])
                    else:
                        cx = _corners(ix, W, nd3, 1)
                        cy = _corners(iy, H, nd3, 1)
                        cz = _corners(iz, D, nd3, 1 if nd3 else 0)
                        for k in range(8 if nd3 else 4):
                            jz, jy, jx, wz, wy, wx = _corner(k, cz, cy, cx)
                            if jx >= 0 and jy >= 0 and jz >= 0:
                                gx[n, c, jz, jy, jx] += g * ((wz * wy) * wx)


@njit(parallel=True, cache=True)
def grid_sample_grid_grad(grad, x, grid, gg, p, mode, padding, align, nd3):
    """gg (N, Do, Ho, Wo, k): d out / d grid summed over the channels (0 for nearest)."""
    N, C, D, H, W = x.shape
    OD, OH, OW = grad.shape[2], grad.shape[3], grad.shape[4]
    cpad = 0 if mode == 2 else padding
    for row in prange(N * OD * OH):
        n = row // (OD * OH)
        od = (row // OH) % OD
        oh = row % OH
        for ow in range(OW):
            pt = grid[n, od, oh, ow]
            dst = gg[n, od, oh, ow]
            dst[:] = 0.0
            if mode == 1:
                continue
            ix, mx = _source(pt[0], p[0], cpad, align, nd3)
            iy, my = _source(pt[1], p[1], cpad, align, nd3)
            iz = 0.0
            mz = 0.0
            if nd3:
                iz, mz = _source(pt[2], p[2], cpad, align, nd3)
            gix = 0.0
            giy = 0.0
            giz = 0.0
            if mode == 2:
                fx = np.floor(ix)
                fy = np.floor(iy)
                wx = _cubic_weights(ix - fx, p[0])
                wy = _cubic_weights(iy - fy, p[1])
                sx = _cubic_slopes(ix - fx)
                sy = _cubic_slopes(iy - fy)
                for i in range(4):
                    ty = _tap(fy, i, p[1], padding, align)
                    for j in range(4):
                        tx = _tap(fx, j, p[0], padding, align)
                        if ty < 0 or tx < 0:
                            continue
                        for c in range(C):
                            v = x[n, c, 0, ty, tx] * grad[n, c, od, oh, ow]
                            gix -= v * sx[j] * wy[i]
                            giy -= v * sy[i] * wx[j]
            else:
                cx = _corners(ix, W, nd3, 1)
                cy = _corners(iy, H, nd3, 1)
                cz = _corners(iz, D, nd3, 1 if nd3 else 0)
                for k in range(8 if nd3 else 4):
                    jz, jy, jx, wz, wy, wx = _corner(k, cz, cy, cx)
                    if jx < 0 or jy < 0 or jz < 0:
                        continue
                    # the sign of d weight / d coordinate: + at the next index, - at the floor
                    sz = 1.0 if k & 4 else -1.0
                    sy = 1.0 if k & 2 else -1.0
                    sx = 1.0 if k & 1 else -1.0
                    v = 0.0
                    for c in range(C):
                        v += x[n, c, jz, jy, jx] * grad[n, c, od, oh, ow]
                    gix += v * sx * wy * wz
                    giy += v * sy * wx * wz
                    giz += v * sz * wx * wy
            dst[0] = mx * gix
            dst[1] = my * giy
            if nd3:
                dst[2] = mz * giz
