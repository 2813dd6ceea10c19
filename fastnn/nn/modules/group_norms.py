"""LayerNorm, GroupNorm, LocalResponseNorm (torch's normalization.py) and
InstanceNorm1d/2d/3d (torch's instancenorm.py)."""
import numbers
import warnings

from ... import _creation
from .. import functional as F
from .. import init
from .._utils import as_array, factory_dtype
from ..parameter import Parameter
from .module import Module
from .normalization import _BatchNorm

__all__ = ["LayerNorm", "GroupNorm", "LocalResponseNorm", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d"]


def shape_tuple(normalized_shape):
    """A `normalized_shape` argument (an int or a sequence of ints) as a tuple."""
    if isinstance(normalized_shape, numbers.Integral):
        return (normalized_shape,)
    return tuple(normalized_shape)


def _affine(module, shape, dtype, affine, bias):
    """weight (ones) and bias (zeros) of `shape`, or None, registered as torch does."""
    if affine:
        module.weight = Parameter(_creation.empty(shape, dtype=dtype))
        if bias:
            module.bias = Parameter(_creation.empty(shape, dtype=dtype))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)
    _reset_affine(module)


def _reset_affine(module):
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    r"""Layer normalisation over the trailing dims, as ``torch.nn.LayerNorm``.

    :math:`y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta`,
    the mean and biased variance over the last ``len(normalized_shape)`` dims.

    Args:
        normalized_shape (int or tuple of ints): the trailing shape normalised.
        eps (float): added to the variance. Default: 1e-5
        elementwise_affine (bool): learnable `weight` (ones) and `bias` (zeros) of shape
            `normalized_shape`. Default: True
        bias (bool): with `elementwise_affine`, whether there is a bias. Default: True

    Shape:
        Input :math:`(N, *)`; output the same shape.

    Example::
        >>> ln = nn.LayerNorm(768)
        >>> out = ln(fastnn.randn(8, 197, 768))
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        self.normalized_shape = shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _affine(self, self.normalized_shape, dtype, elementwise_affine, bias)

    def reset_parameters(self):
        """weight = 1, bias = 0."""
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    r"""Group normalisation, as ``torch.nn.GroupNorm``: the channels are split into
    `num_groups` groups, each normalised by its mean and biased variance, then the
    per-channel affine.

    Args:
        num_groups (int): the number of groups; must divide `num_channels`.
        num_channels (int): C.
        eps (float): added to the variance. Default: 1e-5
        affine (bool): learnable per-channel `weight` (ones) and `bias` (zeros). Default: True
        bias (bool, keyword only): with `affine`, whether there is a bias. Default: True

    Shape:
        Input :math:`(N, C, *)`; output the same shape.

    Example::
        >>> gn = nn.GroupNorm(32, 256)
        >>> out = gn(fastnn.randn(1, 256, 56, 56))
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine(self, num_channels, dtype, affine, bias)

    def reset_parameters(self):
        """weight = 1, bias = 0."""
        _reset_affine(self)

    def forward(self, input):
        parameters = self._parameters       # not through Module.__getattr__, twice a call
        return F.group_norm(input, self.num_groups, parameters["weight"], parameters["bias"],
                            self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class LocalResponseNorm(Module):
    r"""Local response normalisation across channels, as ``torch.nn.LocalResponseNorm``:
    :math:`b_c = a_c (k + \frac{\alpha}{n} \sum_{c'} a_{c'}^2)^{-\beta}` over `size`
    neighbouring channels.

    Args:
        size (int): the number of neighbouring channels.
        alpha (float): Default: 1e-4
        beta (float): Default: 0.75
        k (float): Default: 1

    Shape:
        Input :math:`(N, C, *)`, at least 3-D; output the same shape.

    Example::
        >>> lrn = nn.LocalResponseNorm(2)
        >>> out = lrn(fastnn.randn(32, 5, 24, 24))
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class _InstanceNorm(_BatchNorm):
    """Shared state (BatchNorm's: torch's _NormBase) and forward of InstanceNorm1d/2d/3d;
    subclasses give the rank of an unbatched input."""

    _no_batch_dim = None

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def _check_input_dim(self, arr):
        rank = self._no_batch_dim
        if arr.ndim not in (rank, rank + 1):
            raise ValueError(f"expected {rank}D or {rank + 1}D input (got {arr.ndim}D input)")

    def _instance_norm(self, input):
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               0.0 if self.momentum is None else self.momentum, self.eps)

    def forward(self, input):
        arr = as_array(input)
        self._check_input_dim(arr)
        feature_dim = arr.ndim - self._no_batch_dim
        if arr.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{arr.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. "
                          "You can silence this warning by not passing in num_features, "
                          "which is not used because affine=False", stacklevel=2)
        if arr.ndim == self._no_batch_dim:
            return self._instance_norm(arr[None])[0]
        return self._instance_norm(input)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        if version is None and not self.track_running_stats:
            keys = [prefix + name for name in ("running_mean", "running_var")
                    if prefix + name in state_dict]
            if keys:
                klass = type(self).__name__
                names = " and ".join(f'"{key}"' for key in keys)
                error_msgs.append(
                    f"Unexpected running stats buffer(s) {names} for {klass} with "
                    "track_running_stats=False. If state_dict is a checkpoint saved before "
                    f"0.4.0, this may be expected because {klass} does not track running "
                    "stats by default since 0.4.0. Please remove these keys from state_dict. "
                    "If the running stats are actually needed, instead set "
                    f"track_running_stats=True in {klass} to enable them. See the "
                    f"documentation of {klass} for details.")
                for key in keys:
                    state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)


class InstanceNorm1d(_InstanceNorm):
    r"""Instance normalisation over a 2-D (unbatched) or 3-D input, as
    ``torch.nn.InstanceNorm1d``: each channel of each sample normalised by its own mean
    and biased variance.

    With `track_running_stats`, training also updates ``running_mean``/``running_var``
    (momentum as BatchNorm; ``num_batches_tracked`` is kept but never counted, as in torch)
    and eval normalises with them.

    Args:
        num_features (int): C.
        eps (float): added to the variance. Default: 1e-5
        momentum (float or None): running-average factor (None: 0). Default: 0.1
        affine (bool): learnable per-channel `weight` and `bias`. Default: False
        track_running_stats (bool): keep and use running statistics. Default: False

    Shape:
        Input :math:`(N, C, L)` or :math:`(C, L)`; output the same shape.

    Example::
        >>> m = nn.InstanceNorm1d(100)
        >>> out = m(fastnn.randn(20, 100, 40))
    """
    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    r"""Instance normalisation over a 3-D (unbatched) or 4-D input, as
    ``torch.nn.InstanceNorm2d``; arguments as :class:`InstanceNorm1d`.

    Shape:
        Input :math:`(N, C, H, W)` or :math:`(C, H, W)`; output the same shape.

    Example::
        >>> m = nn.InstanceNorm2d(64, affine=True)
        >>> out = m(fastnn.randn(1, 64, 112, 112))
    """
    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    r"""Instance normalisation over a 4-D (unbatched) or 5-D input, as
    ``torch.nn.InstanceNorm3d``; arguments as :class:`InstanceNorm1d`.

    Shape:
        Input :math:`(N, C, D, H, W)` or :math:`(C, D, H, W)`; output the same shape.

    Example::
        >>> m = nn.InstanceNorm3d(4)
        >>> out = m(fastnn.randn(2, 4, 3, 8, 8))
    """
    _no_batch_dim = 4
