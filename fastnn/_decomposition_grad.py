"""Backward of the matrix decompositions (`fastnn._decompositions`), the matrix-calculus
formulas of torch's FunctionsManual.cpp on plain arrays (real inputs):

* det: the cofactor matrix through the SVD, A = U S Vh: U diag(d) Vh times det(U) det(Vh),
  d_i the product of the other singular values, which stays right for a nearly singular A;
  where the determinant is exactly zero the gradient is zero, as torch's (it solves
  A^T G = det(A) I through the LU factors, whose right side is then zero);
* slogdet, logdet: A^-T times the gradient of logabsdet (the sign has none);
* inv: -A^-T G A^-T; solve: gB = A^-T G, gA = -gB X^T (transposed for XA = B);
* cholesky: L^-T Φ(L^T G) L^-1 (Murray 2016), Φ the lower triangle with a halved diagonal
  symmetrised;
* eigh: V (diag(gL) + skew(V^T gV) / (L_j - L_i)) V^T;
* svd: torch's svd_backward (full matrices narrowed to their first k columns/rows);
* qr: reduced or square (m >= n): (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q.

An output whose gradient is all zero (not used by the loss) is left out of the formula, as
torch leaves out an undefined gradient: its terms would divide zero by zero at repeated
or zero values.
"""
import numpy as np

from ._registry import register_backward
from .autograd._util import sum_to

__all__ = []


def _t(x):
    return x.swapaxes(-1, -2)


def _used(grad):
    return grad is not None and bool(np.any(grad))


def _diag_embed(values):
    out = np.zeros(values.shape + values.shape[-1:], values.dtype)
    idx = np.arange(values.shape[-1])
    out[..., idx, idx] = values
    return out


def _fill_diagonal(x, value):
    idx = np.arange(x.shape[-1])
    x[..., idx, idx] = value
    return x


def _inverse_transpose(a):
    with np.errstate(all="ignore"):
        try:
            return _t(np.linalg.inv(a))
        except np.linalg.LinAlgError:
            return np.full(a.shape, np.nan, a.dtype)


def _right_solve(y, a):
    """X with X A = Y."""
    return _t(np.linalg.solve(_t(a), _t(y)))


def _det_backward(ctx, grad):
    a = ctx.inputs[0]
    if not a.size:
        return (np.zeros(a.shape, a.dtype),)
    u, s, vh = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    before = np.concatenate([ones, np.cumprod(s[..., :-1], -1)], -1)
    after = np.flip(np.concatenate([ones, np.cumprod(np.flip(s, -1)[..., :-1], -1)], -1), -1)
    d = (np.where(ctx.output == 0, grad * 0, grad) * sign)[..., None] * before * after
    return (((u * d[..., None, :]) @ vh).astype(a.dtype, copy=False),)


def _slogdet_backward(ctx, grad):
    a = ctx.inputs[0]
    g = grad[1]
    return ((g[..., None, None] * _inverse_transpose(a)).astype(a.dtype, copy=False),)


def _logdet_backward(ctx, grad):
    a = ctx.inputs[0]
    return ((grad[..., None, None] * _inverse_transpose(a)).astype(a.dtype, copy=False),)


def _inv_backward(ctx, grad):
    inverse_t = _t(ctx.output)
    return (-(inverse_t @ grad @ inverse_t),)


def _solve_backward(ctx, grad):
    a, b = ctx.inputs
    x = ctx.output
    need_a, need_b = ctx.needs
    left, vector = ctx.attrs.left, ctx.attrs.vector
    xm = x[..., None] if vector else x
    gm = grad[..., None] if vector else grad
    if not left:            # XA = B is A^T X^T = B^T
        a, xm, gm = _t(a), _t(xm), _t(gm)
    batch = np.broadcast_shapes(a.shape[:-2], gm.shape[:-2])
    at = np.broadcast_to(_t(a), batch + a.shape[-2:])
    gb = np.linalg.solve(at, np.broadcast_to(gm, batch + gm.shape[-2:]))
    ga = -(gb @ _t(xm)) if need_a else None
    if not left:
        gb = _t(gb)
        ga = None if ga is None else _t(ga)
    if vector:
        gb = gb[..., 0]
    dtype = x.dtype
    ga = None if ga is None else sum_to(ga, ctx.shapes[0]).astype(dtype, copy=False)
    gb = sum_to(gb, ctx.shapes[1]).astype(dtype, copy=False) if need_b else None
    return ga, gb


def _cholesky_backward(ctx, grad):
    lower, g = ctx.output, grad
    if ctx.attrs.upper:
        lower, g = _t(lower), _t(g)
    if not lower.size:
        return (np.zeros(lower.shape, lower.dtype),)
    phi = np.tril(_t(lower) @ g)
    phi = 0.5 * (phi + _t(np.tril(phi, -1)))
    ga = np.linalg.solve(_t(lower), phi)
    return (_right_solve(ga, lower).astype(lower.dtype, copy=False),)


def _eigh_backward(ctx, grad):
    values, vectors = ctx.output
    g_values, g_vectors = grad
    if _used(g_vectors):
        vgv = _t(vectors) @ g_vectors
        vgv = 0.5 * (vgv - _t(vgv))
        gaps = _fill_diagonal(values[..., None, :] - values[..., :, None], 1.0)
        middle = _fill_diagonal(vgv / gaps, 0.0)
        middle[..., np.arange(values.shape[-1]), np.arange(values.shape[-1])] = g_values
    else:
        middle = _diag_embed(g_values)
    return ((vectors @ middle @ _t(vectors)).astype(values.dtype, copy=False),)


def svd_backward(gu, gs, gvh, u, s, vh):
    """torch's svd_backward for real U (m, k), S (k), Vh (k, n); gu or gvh None when
    unused."""
    m, n = u.shape[-2], vh.shape[-1]
    if gu is None and gvh is None:
        if m >= n:
            return u @ (gs[..., :, None] * vh)
        return (u * gs[..., None, :]) @ vh
    s2 = s * s
    gaps = _fill_diagonal(s2[..., None, :] - s2[..., :, None], 1.0)
    uhgu = None if gu is None else _t(u) @ gu
    uhgu = None if uhgu is None else uhgu - _t(uhgu)
    vhgv = None if gvh is None else vh @ _t(gvh)
    vhgv = None if vhgv is None else vhgv - _t(vhgv)
    if uhgu is not None and vhgv is not None:
        ga = (uhgu * s[..., None, :] + s[..., :, None] * vhgv) / gaps
    elif uhgu is not None:
        ga = (uhgu / gaps) * s[..., None, :]
    else:
        ga = s[..., :, None] * (vhgv / gaps)
    ga = ga + _diag_embed(gs)
    if m > n and gu is not None:
        ga = u @ ga
        gu_sinv = gu / s[..., None, :]
        ga = ga + gu_sinv - u @ (_t(u) @ gu_sinv)
        return ga @ vh
    if m < n and gvh is not None:
        ga = ga @ vh
        sinv_gvh = gvh / s[..., :, None]
        ga = ga + sinv_gvh - (sinv_gvh @ _t(vh)) @ vh
        return u @ ga
    return u @ (ga @ vh)


def _svd_backward(ctx, grad):
    u, s, vh = ctx.output
    gu, gs, gvh = grad
    k = s.shape[-1]
    if ctx.attrs.full_matrices:
        u, vh = u[..., :, :k], vh[..., :k, :]
        gu, gvh = gu[..., :, :k], gvh[..., :k, :]
    with np.errstate(all="ignore"):
        ga = svd_backward(gu if _used(gu) else None, gs, gvh if _used(gvh) else None,
                          u, s, vh)
    return (ga.astype(s.dtype, copy=False),)


def _qr_backward(ctx, grad):
    q, r = ctx.output
    gq, gr = grad
    mode = ctx.attrs.mode
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                           "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                           "are going to differentiate through linalg.qr.")
    m, n = ctx.shapes[0][-2:]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                           "and nrows > ncols.")
    if m < n:
        raise NotImplementedError("fastnn: the gradient of linalg.qr of a matrix with more "
                                  "columns than rows is not implemented")
    middle = gr @ _t(r) - _t(q) @ gq
    middle = np.triu(middle)
    middle = middle + _t(middle)
    _fill_diagonal(middle, 0.5 * np.diagonal(middle, 0, -2, -1))
    ga = q @ middle + gq
    # X R^T = ga
    return (_t(np.linalg.solve(r, _t(ga))).astype(r.dtype, copy=False),)


register_backward("linalg_det", _det_backward, saves=(0, "output"))
register_backward("linalg_slogdet", _slogdet_backward, saves=(0,))
register_backward("logdet", _logdet_backward, saves=(0,))
register_backward("linalg_inv", _inv_backward, saves=("output",))
register_backward("linalg_solve", _solve_backward, saves=(0, "output"))
register_backward("linalg_cholesky", _cholesky_backward, saves=("output",))
register_backward("linalg_eigh", _eigh_backward, saves=("output",))
register_backward("linalg_svd", _svd_backward, saves=("output",))
register_backward("linalg_qr", _qr_backward, saves=("output",))
