"""``F.bilinear``: ``y = x1^T A x2 + b``, as ``torch.nn.functional.bilinear``.

A composition of door ops (``einsum`` over the leading dims, then ``add`` for the bias), so
autograd differentiates it through their backward. The checks are torch's ``at::bilinear``,
in its order and words.
"""
from ..._dispatch import dispatch
from ...tensor import Tensor
from .._utils import as_array, wrap
from ._linear import _cpp_name

__all__ = ["bilinear"]


def _dim_error(dim, ndim):
    if ndim == 0:
        return IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                      f"{ndim - 1}], but got {dim})")


def _size(x, dim, shown=None):
    """x.size(dim) with torch's IndexError (`shown`: the dim as torch prints it)."""
    if not -x.ndim <= dim < x.ndim:
        raise _dim_error(dim if shown is None else shown, x.ndim)
    return x.shape[dim]


def bilinear(input1, input2, weight, bias=None):
    r"""Applies a bilinear transformation: :math:`y = x_1^T A x_2 + b`.

    Shapes: input1 :math:`(*, H_{in1})`, input2 :math:`(*, H_{in2})` with the same leading
    dims, weight :math:`(H_{out}, H_{in1}, H_{in2})`, bias :math:`(H_{out})`; output
    :math:`(*, H_{out})`.
    """
    input1, input2, weight = (x if isinstance(x, Tensor) else wrap(as_array(x))
                              for x in (input1, input2, weight))
    if bias is not None and not isinstance(bias, Tensor):
        bias = wrap(as_array(bias))
    tensors = [("input1", input1), ("input2", input2), ("weight", weight)]
    if bias is not None:
        tensors.append(("bias", bias))
    if len({x.dtype for _, x in tensors}) > 1:
        named = ", ".join(f"{name}: {_cpp_name(x.dtype)}" for name, x in tensors)
        raise RuntimeError(f"All tensors must have the same dtype, got {named}")
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} "
                           f"and {input2.ndim}")
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {input1.shape[i]} and {input2.shape[i]}")
    in1 = _size(input1, -1)
    if in1 != _size(weight, 1):
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {in1} "
                           f"but expected {weight.shape[1]}")
    in2 = _size(input2, -1)
    if in2 != _size(weight, 2):
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {in2} "
                           f"but expected {weight.shape[2]}")
    if bias is not None and _size(bias, 0) != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0]} but expected {weight.shape[0]}")
    if weight.ndim != 3:
        raise RuntimeError("number of dimensions must match")
    output = dispatch("einsum", "...i,oij,...j->...o", input1, weight, input2)
    if bias is not None:
        output = output + bias
    return output
