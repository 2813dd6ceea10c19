"""torch's top-level ``torch.layer_norm``, ``torch.group_norm`` and ``torch.instance_norm``:
the ops of ``fastnn.nn.functional`` with torch's top-level signatures (a trailing
cudnn flag, which is checked and ignored; instance_norm's arguments all required) and
without the checks torch's Python wrappers in ``torch.nn.functional`` add."""
from ._args import bool_arg
from ._dispatch import dispatch
from .nn import functional as F

__all__ = ["layer_norm", "group_norm", "instance_norm"]


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    """As ``torch.layer_norm``: :func:`fastnn.nn.functional.layer_norm`."""
    bool_arg(cudnn_enable, "layer_norm", "cudnn_enable", 6)
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    """As ``torch.group_norm``: :func:`fastnn.nn.functional.group_norm` without its
    Python checks (a 1-D input is torch's IndexError, one value per group is allowed)."""
    bool_arg(cudnn_enabled, "group_norm", "cudnn_enabled", 6)
    return dispatch("group_norm", input, num_groups, weight, bias, eps, python_checks=False)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    """As ``torch.instance_norm`` (every argument required, torch's order):
    :func:`fastnn.nn.functional.instance_norm` without its spatial-size check."""
    bool_arg(cudnn_enabled, "instance_norm", "cudnn_enabled", 9)
    return dispatch("instance_norm", input, running_mean, running_var, weight, bias,
                    use_input_stats, momentum, eps, python_checks=False)
