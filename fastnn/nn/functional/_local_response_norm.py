"""Local response normalisation, as ``torch.nn.functional.local_response_norm``.

torch builds it from tensor ops (square, zero-pad the channels, average-pool a window of
`size` channels, ``.mul(alpha).add(k).pow(beta)``, divide); fastnn runs it as one kernel
and raises what each of those ops raises for a bad argument, in the same order.
"""
import operator

import numpy as np

from ... import _registry
from ..._args import torch_typename
from ..._dispatch import dispatch
from ..._registry import Attrs
from ..._runtime import launch
from ...kernels import normalization as _k
from .._utils import as_array, kernel_array
from ._activation import float_array

__all__ = ["local_response_norm"]


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    r"""Normalise each element by the energy of its neighbours across channels:

    :math:`b_c = a_c \left(k + \frac{\alpha}{n} \sum_{c'} a_{c'}^2\right)^{-\beta}`, the sum
    over the `size` channels ``c - size // 2 .. c + (size - 1) // 2`` that exist.

    Args:
        input: :math:`(N, C, *)`, at least 3-D.
        size (int): the number of neighbouring channels.
        alpha (float): multiplicative factor. Default: 1e-4
        beta (float): exponent. Default: 0.75
        k (float): additive factor. Default: 1

    Shape: the output has the input's shape.

    Example::
        >>> y = F.local_response_norm(fastnn.randn(2, 16, 8, 8), 5)
    """
    return dispatch("local_response_norm", input, size, alpha, beta, k)


def _arrays(input, *args, **kwargs):
    return (as_array(input),)


def _scalar(value, op):
    """torch's `Tensor.mul/add(other)` parse of a Python number or 0-d tensor."""
    if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        return float(value)
    if hasattr(value, "__array__") and np.asarray(value).ndim == 0 \
            and np.asarray(value).dtype.kind in "biuf":
        return float(np.asarray(value))
    raise TypeError(f"{op}(): argument 'other' (position 1) must be Tensor, "
                    f"not {torch_typename(value)}")


def _exponent(value):
    try:
        return _scalar(value, "pow")
    except TypeError:
        name = torch_typename(value)
        raise TypeError(
            f"pow() received an invalid combination of arguments - got ({name}), but "
            f"expected one of:\n * (Tensor exponent)\n      didn't match because some of "
            f"the arguments have invalid types: (!{name}!)\n * (Number exponent)\n      "
            f"didn't match because some of the arguments have invalid types: (!{name}!)\n"
        ) from None


def _window(size, arr):
    """`size` as torch's pad and avg_pool calls take it (their errors, their order)."""
    before, after = size // 2, (size - 1) // 2        # Python's own TypeError for None
    pool = "avg_pool2d" if arr.ndim == 3 else "avg_pool3d"
    pad_positions = 4 if arr.ndim == 3 else 6
    if isinstance(size, (bool, np.bool_)):
        raise TypeError(f"{pool}(): argument 'kernel_size' (position 2) must be tuple of "
                        "ints, but found element of type bool at pos 0")
    if not hasattr(size, "__index__"):
        raise TypeError(f"pad(): argument 'pad' failed to unpack the object at pos "
                        f"{pad_positions - 1} with error \"type must be tuple of ints,but "
                        f"got {torch_typename(before)}\"")
    size = operator.index(size)
    if arr.shape[1] + before + after < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if size <= 0:
        if arr.ndim == 3:
            raise RuntimeError(f"kernel size should be greater than zero, but got kH: {size} "
                               "kW: 1")
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {size} "
                           "kH: 1 kW: 1")
    return size


def _normalize(input, size, alpha=1e-4, beta=0.75, k=1.0):
    arr = as_array(input)
    if arr.ndim < 3:
        raise ValueError("Expected 3D or higher dimensionality                          "
                         f"input (got {arr.ndim} dimensions)")
    float_array(arr)
    if arr.size == 0:       # torch returns the input before looking at the other arguments
        return (arr,), Attrs(size=None, alpha=None, beta=None, k=None)
    size = _window(size, arr)
    alpha = _scalar(alpha, "mul")
    k = _scalar(k, "add")
    beta = _exponent(beta)
    return (arr,), Attrs(size=size, alpha=alpha, beta=beta, k=k)


def _meta(inputs, attrs):
    arr = inputs[0]
    return arr.shape, arr.dtype.newbyteorder("=")


def _run(inputs, attrs, out):
    arr = inputs[0]
    if arr.size == 0:
        return
    src = kernel_array(arr)
    x3 = src.reshape(arr.shape[0], arr.shape[1], -1)
    cast = src.dtype.type
    launch(_k.local_response_norm, x3, attrs.size, cast(attrs.size), cast(attrs.alpha),
           cast(attrs.beta), cast(attrs.k), out.reshape(x3.shape),
           work=x3.size * (attrs.size + 2))


_registry.register_single("local_response_norm", _normalize, _meta, _run, arrays=_arrays)
