"""fastnn.optimize_for_inference: a copy of a model whose convolution weights are frozen and
packed once (torch's counterpart is ``torch.jit.optimize_for_inference``)."""
import copy

from .nn._frozen import freeze
from .nn.modules.conv import _ConvNd
from .nn.modules.module import Module
from .nn.parameter import Parameter

__all__ = ["optimize_for_inference"]


def optimize_for_inference(module):
    """Return a copy of `module`, in eval mode, whose convolution weights are frozen.

    A frozen weight is read-only: a kernel variant that reads weights in a layout of its
    own (the 'blocked' convolution) packs them on the first call and keeps the packed
    copy, where an ordinary module packs them on every call. With packing free, layers
    with few output positions take that kernel too on AVX-512 targets (`python -m fastnn
    bench` times ResNet-18 batch 1 as given and optimized), so outputs can differ from the original model's in float rounding
    (the same sums in another order). `module` itself is left as it is.

    Writing to a frozen weight raises numpy's ``ValueError: assignment destination is
    read-only``. ``load_state_dict`` and assigning a new Parameter replace a weight (a
    loaded one is frozen again); making ``weight.base`` writeable un-freezes it.

    Example::

        >>> model = fastnn.optimize_for_inference(resnet18())
        >>> out = model(image)
    """
    if not isinstance(module, Module):
        raise TypeError(f"optimize_for_inference(): argument 'module' must be a Module, not "
                        f"{type(module).__name__}")
    model = copy.deepcopy(module).eval()
    for child in model.modules():
        if isinstance(child, _ConvNd) and isinstance(child.weight, Parameter):
            child.weight = freeze(child.weight)
    return model
