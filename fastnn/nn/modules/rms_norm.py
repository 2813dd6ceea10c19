"""RMSNorm (torch's normalization.py): a layer over F.rms_norm."""
from ... import _creation
from .. import functional as F
from .. import init
from .._utils import factory_dtype
from ..parameter import Parameter
from .group_norms import shape_tuple
from .module import Module

__all__ = ["RMSNorm"]


class RMSNorm(Module):
    r"""Root mean square normalisation over the trailing dims, as ``torch.nn.RMSNorm``:
    :math:`y = x / \sqrt{\mathrm{E}[x^2] + \epsilon} \cdot \gamma`.

    Args:
        normalized_shape (int or tuple of ints): the trailing shape normalised.
        eps (float or None): added to the mean square; None: the input dtype's machine
            epsilon. Default: None
        elementwise_affine (bool): a learnable `weight` (ones) of shape `normalized_shape`.
            Default: True

    Shape:
        Input :math:`(N, *)`; output the same shape.

    Example::
        >>> out = nn.RMSNorm(768)(fastnn.randn(8, 197, 768))
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        self.normalized_shape = shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_creation.empty(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        """weight = 1."""
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
