"""Writes tests/nn/data/<model>_keys.txt: torchvision's state_dict keys and shapes per model.

The lists come from torchvision itself: its model files built on torch, not from
fastnn.models. torchvision's wheel does not import beside the CPU build of torch (its
compiled extension links the CUDA build), but its model code is plain Python: this script
takes torchvision's package directory (an unpacked wheel, e.g.
``unzip torchvision-0.28.0-cp311-*.whl 'torchvision/*' -d TV_DIR``), stands empty modules
in for the parts that need the extension or PIL (ops registrations, datasets, io, PIL),
builds each model with random weights and writes one line per state_dict entry:
``key<TAB>shape`` (shape comma-separated, empty for a scalar).

The U-Net is not torchvision's: its list is fastnn.models.unet's own (its names are
documented there), written so that a renamed layer shows up in review.

With ``--compare`` it also copies each torchvision model's weights into fastnn's model and
prints the largest output difference in eval mode (not part of CI: torchvision is absent).

    python tests/nn/data/make_zoo_keys.py TV_DIR [--compare]
"""
import pathlib
import sys
import types

HERE = pathlib.Path(__file__).resolve().parent
MODELS = ["resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "vgg16_bn",
          "mobilenet_v2", "squeezenet1_1", "densenet121", "shufflenet_v2_x1_0",
          "mobilenet_v3_large", "efficientnet_b0", "regnet_y_400mf", "convnext_tiny"]


def _stub_modules():
    class AnyAttribute(type):
        def __getattr__(cls, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return AnyAttribute(name, (), {})

    class StubModule(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return AnyAttribute(name, (), {})

    for name in ("torchvision._meta_registrations", "torchvision.datasets", "torchvision.io",
                 "PIL", "PIL.Image", "PIL.ImageOps", "PIL.ImageEnhance", "PIL.ImageFilter",
                 "PIL.ImageDraw", "PIL.ImageColor", "PIL.ImageFont"):
        sys.modules[name] = StubModule(name)
    sys.modules["PIL"].__version__ = "10.0.0"


def key_lines(state_dict):
    return [f"{key}\t{','.join(str(n) for n in value.shape)}\n"
            for key, value in state_dict.items()]


def main(argv):
    torchvision_parent = pathlib.Path(argv[0]).resolve()
    sys.path.insert(0, str(torchvision_parent))
    _stub_modules()
    import numpy as np
    import torch
    import torchvision.models as tv

    import fastnn
    import fastnn.models as zoo
    for name in MODELS:
        torch.manual_seed(0)
        reference = getattr(tv, name)().eval()
        (HERE / f"{name}_keys.txt").write_text("".join(key_lines(reference.state_dict())))
        if "--compare" in argv:
            ours = getattr(zoo, name)().eval()
            ours.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
            x = torch.randn(1, 3, 64, 64)
            with torch.no_grad():
                expected = reference(x).numpy()
            got = np.asarray(ours(fastnn.from_numpy(x.numpy())))
            print(f"{name}: {len(reference.state_dict())} entries, largest difference "
                  f"{np.abs(got - expected).max():.2e}")
    (HERE / "unet_keys.txt").write_text("".join(key_lines(zoo.unet().state_dict())))


if __name__ == "__main__":
    main(sys.argv[1:])
