"""BatchNorm1d/2d/3d (torch keeps them in batchnorm.py)."""
import numpy as np

from ... import _creation
from .. import functional as F
from .. import init
from .._utils import as_array, factory_dtype, wrap
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _BatchNorm(Module):
    """Shared state and forward of BatchNorm1d/2d/3d; subclasses only check the rank."""

    # version 2 added num_batches_tracked (older checkpoints load with it set to 0)
    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        # fastnn's factories (not numpy's) check num_features as torch.empty/zeros do: the
        # same TypeError/RuntimeError words, and absurd sizes refused before allocating.
        # As in torch, num_features is stored as given and only checked by the factories:
        # BatchNorm1d(None / "2" / -1, affine=False, track_running_stats=False) is accepted.
        dtype = factory_dtype(device, dtype)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(_creation.empty(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(_creation.empty(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _creation.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", _creation.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", wrap(np.zeros((), dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """running_mean = 0, running_var = 1, num_batches_tracked = 0 (in place)."""
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def reset_parameters(self):
        """Reset the running statistics and set weight = 1, bias = 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, arr):
        raise NotImplementedError

    def forward(self, input):
        self._check_input_dim(as_array(input))
        # the state from its dicts once: each `self.running_mean` would pass through
        # Module.__getattr__, which shows on the small layers of a model
        buffers, parameters = self._buffers, self._parameters
        running_mean, running_var = buffers["running_mean"], buffers["running_var"]
        tracked = buffers["num_batches_tracked"]
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and tracked is not None:
            np.add(tracked, 1, out=tracked)
            if self.momentum is None:       # cumulative moving average
                factor = 1.0 / float(tracked)
        # eval mode still uses batch statistics when there are no running ones
        use_batch_stats = self.training or (running_mean is None and running_var is None)
        record = not self.training or self.track_running_stats
        return F.batch_norm(input,
                            running_mean if record else None,
                            running_var if record else None,
                            parameters["weight"], parameters["bias"], use_batch_stats, factor,
                            self.eps)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats \
                and key not in state_dict:
            state_dict[key] = (self.num_batches_tracked if self.num_batches_tracked is not None
                               else wrap(np.zeros((), dtype=np.int64)))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    r"""Batch normalisation over a 2-D or 3-D input, as ``torch.nn.BatchNorm1d``.

    :math:`y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta`
    per channel. Training uses the batch statistics (biased variance) and updates
    ``running_mean``/``running_var`` (unbiased) with `momentum` -- or a cumulative average
    when `momentum` is None -- and counts ``num_batches_tracked``; eval uses the running
    statistics.

    Args:
        num_features (int): C, the number of channels.
        eps (float): added to the variance. Default: 1e-5
        momentum (float or None): running-average factor. Default: 0.1
        affine (bool): learnable `weight` (ones) and `bias` (zeros). Default: True
        track_running_stats (bool): keep running statistics; if False they are None and
            the batch statistics are always used. Default: True
        bias (bool, keyword only): with `affine`, whether there is a bias. Default: True

    Shape:
        Input :math:`(N, C)` or :math:`(N, C, L)`; output the same shape.

    Example::
        >>> bn = nn.BatchNorm1d(100)
        >>> out = bn(fastnn.randn(20, 100))
    """

    def _check_input_dim(self, arr):
        if arr.ndim != 2 and arr.ndim != 3:
            raise ValueError(f"expected 2D or 3D input (got {arr.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    r"""Batch normalisation over a 4-D input :math:`(N, C, H, W)`, as ``torch.nn.BatchNorm2d``.

    Arguments and statistics as :class:`BatchNorm1d`.

    Shape:
        Input :math:`(N, C, H, W)`; output the same shape.

    Example::
        >>> bn = nn.BatchNorm2d(16)
        >>> out = bn(fastnn.randn(8, 16, 32, 32))
    """

    def _check_input_dim(self, arr):
        if arr.ndim != 4:
            raise ValueError(f"expected 4D input (got {arr.ndim}D input)")


class BatchNorm3d(_BatchNorm):
    r"""Batch normalisation over a 5-D input :math:`(N, C, D, H, W)`, as
    ``torch.nn.BatchNorm3d``. Arguments and statistics as :class:`BatchNorm1d`.

    Shape:
        Input :math:`(N, C, D, H, W)`; output the same shape.

    Example::
        >>> bn = nn.BatchNorm3d(4)
        >>> out = bn(fastnn.randn(2, 4, 3, 8, 8))
    """

    def _check_input_dim(self, arr):
        if arr.ndim != 5:
            raise ValueError(f"expected 5D input (got {arr.ndim}D input)")
