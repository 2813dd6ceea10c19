"""The registry entry of ``cdist``, the p-norm distance between each row of `x1` and each
row of `x2` (batch dims broadcast), with its backward; ``fastnn.cdist``
(`fastnn._distance_functions`) reaches it through the door.

torch's two ways, chosen as torch chooses them, so the values and the gradients are
torch's: for p = 2 with ``compute_mode`` 1 ("use_mm_for_euclid_dist"), or 0 (the default)
and more than 25 rows on either side, the matrix-product form ``|a|^2 - 2 a.b + |b|^2``
clamped at 0 (torch's _euclidean_dist); otherwise the differences themselves, reduced per
p (0: count of non-zeros, 1, 2, inf: the largest, other p). The backward is torch's
_euclidean_dist_backward or _cdist_backward: 0 where a distance is 0 (p = 2 included), and
for p = inf the whole gradient to every difference that reaches the maximum.
"""
import numpy as np

from ._args import broadcast_shape, torch_type_name
from ._registry import Attrs, register_backward, register_single
from .autograd._util import sum_to

_CHUNK = 1 << 21        # elements of the differences held at once (rows of x1 per chunk)


def _plain(x):
    return np.ndarray.view(x, np.ndarray)


def _cdist_arrays(x1, x2, p=2.0, mode=0):
    return _plain(x1), _plain(x2)


def _cdist_normalize(x1, x2, p=2.0, mode=0):
    """torch's checks, in its order; `mode` is compute_mode's number (0, 1 or 2)."""
    a, b = _plain(x1), _plain(x2)
    for name, x in (("X1", a), ("X2", b)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{x.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{a.shape[-1]} X2: {b.shape[-1]}")
    for name, x in (("X1", a), ("X2", b)):
        if x.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{torch_type_name(x.dtype)}")
    if not p >= 0:
        raise RuntimeError("cdist only supports non-negative p values")
    batch = broadcast_shape(a.shape[:-2], b.shape[:-2])
    r1, r2, columns = a.shape[-2], b.shape[-2], a.shape[-1]
    empty = r1 == 0 or r2 == 0 or 0 in batch
    mm = (not empty and columns != 0 and p == 2
          and (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25))))
    if mm and a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_c10_name(a.dtype)} != {_c10_name(b.dtype)}")
    if not mm and not empty and columns != 0:
        if a.dtype == np.float16:
            raise NotImplementedError("\"cdist\" not implemented for 'Half'")
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected scalar type {torch_type_name(a.dtype)} but found "
                               f"{torch_type_name(b.dtype)}")
    return (a, b), Attrs(p=float(p), mm=mm, batch=tuple(batch))


def _c10_name(dtype):
    return {"float16": "c10::Half", "float32": "float", "float64": "double"}[dtype.name]


def _cdist_meta(inputs, attrs):
    a, b = inputs
    return attrs.batch + (a.shape[-2], b.shape[-2]), a.dtype.newbyteorder("=")


def _expanded(inputs, batch):
    a, b = inputs
    return (np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(b, batch + b.shape[-2:]))


def _euclidean(a, b):
    """torch's _euclidean_dist: one matrix product of [-2a, |a|^2, 1] and [b, 1, |b|^2]."""
    a_norm = (a * a).sum(-1, keepdims=True)
    b_norm = (b * b).sum(-1, keepdims=True)
    left = np.concatenate([-2 * a, a_norm, np.ones_like(a_norm)], -1)
    right = np.concatenate([b, np.ones_like(b_norm), b_norm], -1)
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.maximum(np.matmul(left, np.swapaxes(right, -1, -2)), 0))


def _reduce(diff, p):
    """The p-norm of the differences along the last dim."""
    magnitude = np.abs(diff)
    if p == 0:          # torch's count: min(ceil(|d|), 1), so a NaN difference gives NaN
        return np.minimum(np.ceil(magnitude), 1).sum(-1)
    if p == 1:
        return magnitude.sum(-1)
    if p == 2:
        return np.sqrt((diff * diff).sum(-1))
    if p == np.inf:     # torch's running max from 0 skips a NaN difference
        return np.fmax.reduce(magnitude, axis=-1, initial=0)
    return (magnitude ** p).sum(-1) ** (1 / p)


def _row_chunks(r1, r2, columns):
    step = max(1, _CHUNK // max(1, r2 * columns))
    return [slice(i, i + step) for i in range(0, r1, step)]


def _cdist_run(inputs, attrs, out):
    a, b = _expanded(inputs, attrs.batch)
    if out.size == 0:
        return
    if a.shape[-1] == 0:
        out[...] = 0
        return
    with np.errstate(all="ignore"):
        if attrs.mm:
            out[...] = _euclidean(a, b)
            return
        for rows in _row_chunks(a.shape[-2], b.shape[-2], a.shape[-1]):
            diff = a[..., rows, None, :] - b[..., None, :, :]
            out[..., rows, :] = _reduce(diff, attrs.p)


def _difference_grad(diff, grad, dist, p):
    """torch's _cdist_backward per difference x1_i - x2_j (grad and dist per pair, with a
    trailing 1 to broadcast over the columns)."""
    if p == 0:
        return np.zeros_like(diff)
    if p == 1:
        return grad * np.sign(diff)
    if p == np.inf:
        return grad * np.sign(diff) * (1 - np.minimum(1, np.ceil(np.abs(np.abs(diff) - dist))))
    magnitude = np.abs(diff)
    if p < 2:
        value = np.sign(diff) * magnitude ** (p - 1) * grad / dist ** (p - 1)
        zero = (dist == 0) | ((diff == 0) & (p < 1))
    elif p == 2:
        value, zero = grad * diff / dist, dist == 0
    else:
        value = diff * magnitude ** (p - 2) * grad / dist ** (p - 1)
        zero = dist == 0
    return np.where(zero, 0, value)


def _cdist_backward(ctx, grad):
    (x1, x2), attrs = ctx.inputs, ctx.attrs
    grad, dist = np.asarray(grad), np.asarray(ctx.output)
    a, b = _expanded((x1, x2), attrs.batch)
    if grad.size == 0 or a.shape[-1] == 0:
        return np.zeros(x1.shape, x1.dtype), np.zeros(x2.shape, x2.dtype)
    with np.errstate(all="ignore"):
        if attrs.mm:
            ratio = np.where(dist == 0, 0, grad / dist)
            ga = a * ratio.sum(-1, keepdims=True) - np.matmul(ratio, b)
            gb = b * ratio.sum(-2)[..., None] - np.matmul(np.swapaxes(ratio, -1, -2), a)
        else:
            ga, gb = np.zeros(a.shape, a.dtype), np.zeros(b.shape, b.dtype)
            for rows in _row_chunks(a.shape[-2], b.shape[-2], a.shape[-1]):
                diff = a[..., rows, None, :] - b[..., None, :, :]
                each = _difference_grad(diff, grad[..., rows, :, None],
                                        dist[..., rows, :, None], attrs.p)
                ga[..., rows, :] = each.sum(-2)
                gb -= each.sum(-3)
    return (sum_to(ga, x1.shape).astype(x1.dtype, copy=False),
            sum_to(gb, x2.shape).astype(x2.dtype, copy=False))


register_single("cdist", _cdist_normalize, _cdist_meta, _cdist_run, arrays=_cdist_arrays)
register_backward("cdist", _cdist_backward, saves=(0, 1, "output"))
