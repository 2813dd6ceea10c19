"""torchvision's classification architectures, and a U-Net, on fastnn.

Each builder returns the model with torchvision's module names, so its ``state_dict`` has
torchvision's keys and shapes, and takes torchvision's keyword arguments (``num_classes``
and the architecture's own); ``weights=PATH`` loads a checkpoint file -- torchvision's own
``.pth`` files included -- with `fastnn.load`, every key matching, without torch::

    >>> from fastnn import models
    >>> model = models.resnet50(weights="resnet50-11ad3fa6.pth").eval()

The files are torch code with fastnn's imports (``import fastnn as torch`` ...); the tests
run the same text under torch (`fastnn.models._torch_twin`) and compare. Weights are the
caller's file: nothing is downloaded.
"""
from .convnext import *       # noqa: F401,F403
from .densenet import *       # noqa: F401,F403
from .efficientnet import *   # noqa: F401,F403
from .mobilenetv2 import *    # noqa: F401,F403
from .mobilenetv3 import *    # noqa: F401,F403
from .regnet import *         # noqa: F401,F403
from .resnet import *         # noqa: F401,F403
from .shufflenetv2 import *   # noqa: F401,F403
from .squeezenet import *     # noqa: F401,F403
from .unet_model import *     # noqa: F401,F403
from .vgg import *            # noqa: F401,F403
from . import (_torch_twin, convnext, densenet, efficientnet, mobilenetv2, mobilenetv3,  # noqa
               regnet, resnet, shufflenetv2, squeezenet, unet_model, vgg)

# every builder, by the name torchvision gives it (and "unet")
BUILDERS = {name: obj for module in (convnext, densenet, efficientnet, mobilenetv2,
                                     mobilenetv3, regnet, resnet, shufflenetv2, squeezenet,
                                     unet_model, vgg)
            for name, obj in vars(module).items()
            if name in module.__all__ and name[0].islower() and name != "make_layers"}


def list_models():
    """The builders' names, sorted."""
    return sorted(BUILDERS)


def get_model(name, **kwargs):
    """The model `name` (a name from `list_models`) built with `kwargs`."""
    if name not in BUILDERS:
        raise ValueError(f"Unknown model {name}")
    return BUILDERS[name](**kwargs)
