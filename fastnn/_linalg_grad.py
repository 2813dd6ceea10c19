"""Backward of linear, bmm and einsum: each gradient is a product of the output's
gradient with the other operands. linear's two products run on the kernel linear's own
rule picks for their shapes (the packed GEMM on transposed copies, the 'pointwise' tiles
on the operands as they are, or BLAS; `_matmul`); bmm uses numpy's matmul and einsum
numpy.einsum."""
import string

import numpy as np

from ._array import kernel_array
from ._registry import register_backward
from .autograd._util import sum_to
from .kernels import conv_pointwise as _pointwise_kernels
from .nn.functional._linear import LINEAR_VARIANTS, default_variant, pointwise_kn

__all__ = ["linear_backward", "bmm_backward", "einsum_backward"]


def _matmul(a, b):
    """a @ b for 2-D a (m, k) and b (k, n), on the variant linear's rule picks for that
    product (`default_variant`), except that where it picks the Numba GEMM, which reads
    the right operand transposed, and b is not transposed already, the 'pointwise' tiles
    read b as it is (with 16 columns or more): the transposed copy of a classifier's
    weight cost more than the product itself (gx = g @ w at batch 8: `python
    benchmarks/rules.py backlinear`, docs/PERF.md). The packed GEMM gets a transposed
    copy. Either is cheaper than BLAS: OpenBLAS's threads keep spinning after a product
    large enough to be split over them, and take the cores from the Numba kernels that run
    next (`python benchmarks/blas_threads.py` times a LeNet training step each way)."""
    m, k = a.shape
    n = b.shape[1]
    out = np.empty((m, n), np.result_type(a, b))
    if k == 1:
        # an outer product (a weight's gradient from one sample): each element one product,
        # as torch's (-0.0 stays -0.0); numpy's matmul ran it on a slow path of its own
        with np.errstate(all="ignore"):
            np.multiply(a, b, out=out)
        return out
    variant = default_variant(m, n, k, out.dtype)
    if (variant == "numba_gemm" and n >= _pointwise_kernels.MIN_POSITIONS
            and not b.T.flags.c_contiguous):
        variant = "pointwise"
    if variant == "blas" or not out.size:
        with np.errstate(all="ignore"):       # NaN and inf pass silently, as in torch
            np.matmul(a, b, out=out)
        return out
    if variant == "pointwise":        # reads b (k, n) as it is
        pointwise_kn(np.ascontiguousarray(a), np.ascontiguousarray(b), None, out)
        return out
    LINEAR_VARIANTS[variant](np.ascontiguousarray(a), kernel_array(b.T), None, out)
    return out


def linear_backward(ctx, grad):
    """y = x @ w.T + b: gx = g @ w, gw = g.T @ x (over every leading dim of x), gb = g
    summed to b's shape. A 1-D weight is one output column."""
    x, w, _ = ctx.inputs
    need_x, need_w, need_b = ctx.needs
    dtype = grad.dtype
    n = w.shape[0] if w.ndim == 2 else 1
    k = x.shape[-1]
    g2 = grad.reshape(-1, n)
    w2 = w.reshape(n, k)
    gx = gw = gb = None
    if need_x:
        gx = _matmul(g2, w2.astype(dtype, copy=False)).reshape(x.shape)
    if need_w:
        gw = _matmul(g2.T, x.reshape(-1, k)).reshape(w.shape)
    if need_b:        # the bias itself is not saved: its shape and dtype are enough
        with np.errstate(all="ignore"):
            gb = sum_to(grad, ctx.shapes[2]).astype(
                ctx.dtypes[2].newbyteorder("="), copy=False)
    return gx, gw, gb


def bmm_backward(ctx, grad):
    a, b = ctx.inputs
    need_a, need_b = ctx.needs
    with np.errstate(all="ignore"):
        ga = np.matmul(grad, b.swapaxes(1, 2)) if need_a else None
        gb = np.matmul(a.swapaxes(1, 2), grad) if need_b else None
    return ga, gb


# ------------------------------------------------------------------ einsum

def _lettered(attrs, inputs):
    """The terms and output with every ellipsis dim given a letter of its own, and the
    size (after broadcasting) of every letter."""
    used = {s for term in attrs.terms for s in term} | set(attrs.output)
    fresh = [c for c in string.ascii_letters if c not in used]
    ranks = [a.ndim - (len(t) - 1) for t, a in zip(attrs.terms, inputs) if "..." in t]
    ellipsis = np.broadcast_shapes(*(
        a.shape[t.index("..."):t.index("...") + a.ndim - (len(t) - 1)]
        for t, a in zip(attrs.terms, inputs) if "..." in t)) if ranks else ()
    dots = fresh[:len(ellipsis)]
    sizes = dict(attrs.sizes)
    sizes.update(zip(dots, ellipsis))

    def expand(term, rank):
        out = []
        for s in term:
            out.extend(dots[len(dots) - rank:] if s == "..." else [s])
        return out

    terms = [expand(t, a.ndim - (len(t) - 1)) if "..." in t else list(t)
             for t, a in zip(attrs.terms, inputs)]
    output = expand(attrs.output, len(dots))
    return terms, output, sizes


def einsum_backward(ctx, grad):
    """The gradient of operand i is the einsum of the output's gradient with the other
    operands onto operand i's letters; letters that only operand i has are broadcast,
    a repeated letter (a diagonal) gets the gradient on its diagonal alone, and dims of
    size 1 that were broadcast are summed."""
    inputs = ctx.inputs
    terms, output, sizes = _lettered(ctx.attrs, inputs)
    full = [np.broadcast_to(a, [sizes[s] for s in t]) for t, a in zip(terms, inputs)]
    grads = []
    for i, (term, a) in enumerate(zip(terms, inputs)):
        if not ctx.needs[i]:
            grads.append(None)
            continue
        grads.append(sum_to(_operand_grad(grad, output, terms, full, i, sizes),
                                  a.shape).astype(a.dtype.newbyteorder("="), copy=False))
    return tuple(grads)


def _operand_grad(grad, output, terms, full, i, sizes):
    term = terms[i]
    unique = list(dict.fromkeys(term))
    others = [j for j in range(len(terms)) if j != i]
    available = set(output).union(*(terms[j] for j in others))
    reached = [s for s in unique if s in available]
    equation = ",".join("".join(t) for t in [output] + [terms[j] for j in others])
    with np.errstate(all="ignore"):
        g = np.einsum(equation + "->" + "".join(reached), grad, *(full[j] for j in others),
                      optimize=len(others) > 0)
    g = np.asarray(g)
    # letters only this operand has: the gradient is the same along them
    g = g.reshape([sizes[s] if s in reached else 1 for s in unique])
    g = np.broadcast_to(g, [sizes[s] for s in unique])
    shape = [sizes[s] for s in term]
    if len(unique) < len(term):
        placed = np.zeros(shape, g.dtype)
        np.einsum("".join(term) + "->" + "".join(unique), placed)[...] = g
        g = placed
    return g


# linear: the input and the weight (each the other's gradient's factor), the bias's
# gradient needs only its shape; einsum: every operand (any number), not the output
register_backward("linear", linear_backward, saves=(0, 1))
register_backward("bmm", bmm_backward, saves=(0, 1))
register_backward("einsum", einsum_backward, saves=tuple(range(256)))
