"""nn.Linear."""
import math
import operator

import numpy as np

from .. import functional as F
from .. import init
from .._utils import checked_empty, factory_dtype
from ..parameter import Parameter
from .module import Module

__all__ = ["Linear", "Bilinear"]


def _size_arguments(in_features, out_features):
    """Check the weight's size (out_features, in_features) as torch.empty does."""
    return _empty_size(out_features, in_features)


def _empty_size(first, *rest):
    """The size (first, *rest) as torch.empty checks it: torch refuses a bool first size
    but takes a bool in the others; a negative size names the whole shape."""
    if isinstance(first, (bool, np.bool_)) or not _is_int(first):
        raise TypeError("empty(): argument 'size' (position 1) must be tuple of ints, but "
                        f"found element of type {type(first).__name__} at pos 0")
    for position, size in enumerate(rest, start=2):
        if not _is_int(size):
            raise TypeError(f"empty(): argument 'size' failed to unpack the object at pos "
                            f"{position} with error \"type must be tuple of ints,but got "
                            f"{type(size).__name__}\"")
    shape = [operator.index(size) for size in (first, *rest)]
    for size in shape:
        if size < 0:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {size}: {shape}")
    return tuple(shape)


def _weight_and_bias(module, shape, bias, dtype):
    """`module.weight` of `shape` and, with `bias`, `module.bias` of shape[0] (else a None
    parameter), then initialised by the module's reset_parameters."""
    module.weight = Parameter(checked_empty(shape, dtype))
    if bias:
        module.bias = Parameter(checked_empty((shape[0],), dtype))
    else:
        module.register_parameter("bias", None)
    module.reset_parameters()


def _is_int(value):
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


class Linear(Module):
    r"""Applies an affine linear transformation to the incoming data: :math:`y = xA^T + b`.

    Args:
        in_features: size of each input sample
        out_features: size of each output sample
        bias: If set to ``False``, the layer will not learn an additive bias.
            Default: ``True``
        device: only ``None`` or ``'cpu'``
        dtype: float32 (default) or float64

    Shape:
        - Input: :math:`(*, H_{in})` where :math:`*` means any number of dimensions
          including none and :math:`H_{in} = \text{in\_features}`.
        - Output: :math:`(*, H_{out})` where all but the last dimension are the same shape
          as the input and :math:`H_{out} = \text{out\_features}`.

    Attributes:
        weight: :math:`(\text{out\_features}, \text{in\_features})`, initialised from
            :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})`, :math:`k = 1 / \text{in\_features}`
        bias: :math:`(\text{out\_features})`, initialised from the same distribution

    The kernel reads ``weight`` as stored (no packed copy is cached), so assigning or
    modifying the weight in place takes effect on the next call.

    Examples::

        >>> m = nn.Linear(20, 30)
        >>> input = fastnn.randn(128, 20)
        >>> m(input).shape
        (128, 30)
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        shape = _size_arguments(in_features, out_features)
        dtype = factory_dtype(device, dtype)
        self.in_features = in_features
        self.out_features = out_features
        _weight_and_bias(self, shape, bias, dtype)

    def reset_parameters(self):
        """Weight: kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)); bias: the
        same bound from fan_in (0 when in_features is 0)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def _bilinear_size(in1_features, in2_features, out_features):
    """Check the weight's size (out, in1, in2) as torch.empty does."""
    return _empty_size(out_features, in1_features, in2_features)


class Bilinear(Module):
    r"""Applies a bilinear transformation to the incoming data:
    :math:`y = x_1^T A x_2 + b`, as ``torch.nn.Bilinear``.

    Args:
        in1_features, in2_features: sizes of each first and second input sample
        out_features: size of each output sample
        bias: If set to ``False``, the layer will not learn an additive bias.
            Default: ``True``

    Shape: input1 :math:`(*, H_{in1})`, input2 :math:`(*, H_{in2})` with the same leading
    dims; output :math:`(*, H_{out})`.

    Attributes:
        weight: :math:`(\text{out\_features}, \text{in1\_features}, \text{in2\_features})`
        bias: :math:`(\text{out\_features})`; both initialised from
            :math:`\mathcal{U}(-\sqrt{k}, \sqrt{k})`, :math:`k = 1 / \text{in1\_features}`

    Examples::

        >>> m = nn.Bilinear(20, 30, 40)
        >>> m(fastnn.randn(128, 20), fastnn.randn(128, 30)).shape
        (128, 40)
    """

    __constants__ = ["in1_features", "in2_features", "out_features"]

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        shape = _bilinear_size(in1_features, in2_features, out_features)
        _weight_and_bias(self, shape, bias, dtype)

    def reset_parameters(self):
        """Weight and bias from U(-1/sqrt(in1_features), 1/sqrt(in1_features))."""
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got "
                             f"(in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
