"""The top-level forms of `fastnn._fused_arith`'s functions (``fastnn.lerp``, ``addcmul``,
``addcdiv``, ``addmm``, ``addmv``, ``mv``, ``baddbmm``, ``addbmm``) and of
`fastnn._products`' (``tensordot``, ``kron``, ``float_power``): `input` may be any array,
taken as a Tensor, then the same code runs as for the method."""
import numbers

import numpy as np

from . import _fused_arith as _fused, _products
from ._functions import _tensor

__all__ = ["lerp", "addcmul", "addcdiv", "addmm", "addmv", "mv", "baddbmm", "addbmm",
           "tensordot", "kron", "float_power"]


def lerp(input, end, weight, *, out=None):
    """``torch.lerp``: ``input + weight * (end - input)``."""
    return _fused.lerp(_tensor(input, "lerp"), end, weight, out=out)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """``torch.addcmul``: ``input + value * tensor1 * tensor2``."""
    return _fused.addcmul(_tensor(input, "addcmul"), tensor1, tensor2, value=value, out=out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """``torch.addcdiv``: ``input + value * tensor1 / tensor2``."""
    return _fused.addcdiv(_tensor(input, "addcdiv"), tensor1, tensor2, value=value, out=out)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``torch.addmm``: ``beta * input + alpha * (mat1 @ mat2)``."""
    return _fused.addmm(_tensor(input, "addmm"), mat1, mat2, beta=beta, alpha=alpha, out=out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``torch.addmv``: ``beta * input + alpha * (mat @ vec)``."""
    return _fused.addmv(_tensor(input, "addmv"), mat, vec, beta=beta, alpha=alpha, out=out)


def mv(input, vec, *, out=None):
    """``torch.mv``: a matrix times a vector."""
    return _fused.mv(_tensor(input, "mv"), vec, out=out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``torch.baddbmm``: ``beta * input + alpha * (batch1 @ batch2)`` per batch."""
    return _fused.baddbmm(_tensor(input, "baddbmm"), batch1, batch2, beta=beta, alpha=alpha,
                          out=out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``torch.addbmm``: ``beta * input + alpha * sum_b (batch1[b] @ batch2[b])``."""
    return _fused.addbmm(_tensor(input, "addbmm"), batch1, batch2, beta=beta, alpha=alpha,
                         out=out)


def tensordot(a, b, dims=2, out=None):
    """``torch.tensordot``: the sum of products of `a` and `b` over `dims`."""
    return _products.tensordot(_tensor(a, "tensordot"), b, dims, out=out)


def kron(input, other, *, out=None):
    """``torch.kron``: the Kronecker product."""
    return _products.kron(_tensor(input, "kron"), other, out=out)


def float_power(input, exponent, *, out=None):
    """``torch.float_power``: ``input ** exponent`` in float64 (either may be a number)."""
    if isinstance(input, numbers.Number) and isinstance(exponent, np.ndarray):
        exponent = _tensor(exponent, "float_power")
        input = exponent.new_full((), input, dtype=np.float64)
    return _products.float_power(_tensor(input, "float_power"), exponent, out=out)
