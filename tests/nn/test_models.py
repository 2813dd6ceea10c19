"""fastnn.models against torchvision's layouts and against itself on torch.

Keys: tests/nn/data/<model>_keys.txt lists torchvision's state_dict keys and shapes (with
the BatchNorm ``num_batches_tracked`` buffers), written by tests/nn/data/make_zoo_keys.py
from torchvision's own model code built on torch (the U-Net's list is fastnn's own; see
that script). torchvision documents resnet18's 11.7M parameters, 102 state_dict entries
without the 20 ``num_batches_tracked`` buffers: a cross-check of the list.

Drop-in: each model file is torch code with fastnn's imports; `fastnn.models._torch_twin`
imports the same text under torch. The torch model gets random weights and calibrated
BatchNorm statistics (so every layer changes the output), is saved with torch.save, and
fastnn builds its model from that file (``weights=PATH``, strict); the eval outputs must
agree on a small input (float32; rtol 1e-4, atol 1e-4 of the largest output). Seeded
initialisation is compared separately, entry by entry, on the smaller models.
"""
import pathlib

import numpy as np
import pytest

import fastnn
import fastnn.models as models

DATA = pathlib.Path(__file__).resolve().parent / "data"

# model, keyword arguments, input height and width (small: the smallest sizes that keep
# every stage's map at least 1x1; the U-Net's odd size exercises its padding)
ZOO = [
    ("resnet18", {}, 32),
    ("resnet50", {}, 32),
    ("resnext50_32x4d", {}, 32),
    ("wide_resnet50_2", {}, 32),
    ("vgg16_bn", {}, 32),
    ("mobilenet_v2", {}, 32),
    ("squeezenet1_1", {}, 32),
    ("densenet121", {}, 32),
    ("shufflenet_v2_x1_0", {}, 32),
    ("mobilenet_v3_large", {}, 32),
    ("efficientnet_b0", {}, 32),
    ("regnet_y_400mf", {}, 32),
    ("convnext_tiny", {}, 32),
    ("unet", {}, 19),
]

# the two largest (138M and 69M parameters) load their weights from memory rather than
# through a file: writing and reading half a gigabyte adds seconds and tests nothing new
IN_MEMORY = {"vgg16_bn", "wide_resnet50_2"}


def torchvision_keys(name):
    lines = (DATA / f"{name}_keys.txt").read_text().splitlines()
    return [(key, tuple(int(n) for n in shape.split(",") if n))
            for key, shape in (line.split("\t") for line in lines)]


def keys_and_shapes(state_dict):
    return [(key, tuple(np.shape(value))) for key, value in state_dict.items()]


def torch_reference(torch, twin, name, kwargs, height):
    """The model built on torch from fastnn's source, with weights that make every layer
    count: built on the meta device (no initialisation cost), filled with variance-keeping
    random weights and norm affines away from 1 and 0, BatchNorm statistics taken from a
    batch (so activations stay near unit scale; no variance below a tenth of its layer's
    mean); eval mode."""
    with torch.device("meta"):
        model = twin.get_model(name, **kwargs)
    model = model.to_empty(device="cpu")
    with torch.no_grad():
        for key, value in model.named_parameters():
            if key.endswith("layer_scale"):
                value.uniform_(0.1, 0.5)
            elif value.dim() > 1:
                value.normal_(0.0, (2.0 / value[0].numel()) ** 0.5)
            elif key.endswith("weight"):
                value.uniform_(0.5, 1.5)
            else:
                value.uniform_(-0.1, 0.1)
        norms = [m for m in model.modules()
                 if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None                   # cumulative: one batch gives its statistics
        model.train()(torch.randn(8, 3, height, height))
        for m in norms:
            m.momentum = 0.1
            m.num_batches_tracked.zero_()
            # a variance measured on few values can be ~0: its channel would amplify
            # rounding differences far past what the layers themselves do
            m.running_var.clamp_(min=0.1 * float(m.running_var.mean()))
    return model.eval()


@pytest.fixture
def without_initialisation(monkeypatch):
    """fastnn's initialisers as no-ops, for models whose every entry is then loaded from a
    file: the seeded draws are most of a large model's build time, and
    test_seeded_initialisation_equals_torchs checks them."""
    import fastnn.nn.init as init
    for name in ("uniform_", "normal_", "trunc_normal_", "kaiming_uniform_",
                 "kaiming_normal_", "constant_", "ones_", "zeros_"):
        monkeypatch.setattr(init, name, lambda tensor, *args, **kwargs: tensor)


@pytest.fixture(scope="module")
def twin(torch):
    return models._torch_twin.load()


@pytest.mark.parametrize("name,kwargs,size", ZOO, ids=[z[0] for z in ZOO])
def test_model_matches_torch_and_torchvision_keys(name, kwargs, size, twin, torch, tmp_path,
                                                  without_initialisation):
    torch.manual_seed(0)
    reference = torch_reference(torch, twin, name, kwargs, size)
    if name in IN_MEMORY:
        ours = models.get_model(name, **kwargs).eval()
        ours.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    else:
        path = tmp_path / f"{name}.pth"
        torch.save(reference.state_dict(), path)
        ours = models.get_model(name, weights=str(path), **kwargs).eval()

    expected_keys = torchvision_keys(name)
    assert keys_and_shapes(ours.state_dict()) == expected_keys
    assert keys_and_shapes(reference.state_dict()) == expected_keys
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        expected = reference(x).numpy()
    got = ours(fastnn.from_numpy(x.numpy()))
    assert isinstance(got, fastnn.Tensor) and got.dtype == np.float32
    scale = np.abs(expected).max()
    assert expected.std() > 1e-2 * scale     # every layer matters: the outputs are not ~0
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("name", ["resnet18", "squeezenet1_1", "shufflenet_v2_x1_0",
                                  "mobilenet_v3_large", "efficientnet_b0", "regnet_y_400mf",
                                  "densenet121"])
def test_seeded_initialisation_equals_torchs(name, twin, torch):
    # fastnn's generator draws torch's numbers, so the same source seeded the same way
    # initialises every entry identically: the initialisation loops are torchvision's
    torch.manual_seed(7)
    theirs = twin.get_model(name).state_dict()
    fastnn.manual_seed(7)
    ours = models.get_model(name).state_dict()
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        np.testing.assert_array_equal(np.asarray(ours[key]), value.numpy(), err_msg=key)


def test_resnet18_entry_count_matches_torchvision_documentation():
    entries = torchvision_keys("resnet18")
    assert len(entries) == 122
    assert len([k for k, _ in entries if not k.endswith("num_batches_tracked")]) == 102
    assert sum(int(np.prod(s)) for k, s in entries
               if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))) \
        == 11_689_512


def test_the_example_resnet_has_torchvisions_keys():
    # examples/resnet.py (the README's plain-PyTorch ResNet-18) loads torchvision's files too
    from fastnn.examples import resnet
    assert keys_and_shapes(resnet.build().state_dict()) == torchvision_keys("resnet18")


def test_num_classes_and_architecture_arguments(twin, torch):
    model = models.resnet18(num_classes=10).eval()
    assert model.fc.weight.shape == (10, 512)
    assert model(fastnn.randn(2, 3, 32, 32)).shape == (2, 10)
    dilated = models.resnet50(replace_stride_with_dilation=[False, True, True])
    assert dilated.layer4[0].conv2.dilation == (2, 2)
    assert dilated.layer4[1].conv2.dilation == (4, 4)
    assert dilated.eval()(fastnn.randn(1, 3, 32, 32)).shape == (1, 1000)
    assert models.mobilenet_v2(width_mult=0.5).features[0][0].out_channels == 16
    assert models.squeezenet1_1(num_classes=7).classifier[1].out_channels == 7
    assert models.unet(in_channels=1, num_classes=4, base_channels=8).eval()(
        fastnn.randn(1, 1, 16, 16)).shape == (1, 4, 16, 16)
    zero_init = models.resnet18(zero_init_residual=True)
    assert not np.asarray(zero_init.layer1[0].bn2.weight).any()


def test_errors_are_torchvisions(twin, torch):
    from torch_compare import raises_like
    raises_like(lambda: twin.resnext50_32x4d(groups=1), lambda: models.resnext50_32x4d(groups=1),
                "The parameter 'groups' expected value 32 but got 1 instead.")
    raises_like(lambda: twin.resnet18(groups=2), lambda: models.resnet18(groups=2),
                "BasicBlock only supports groups=1 and base_width=64")
    raises_like(lambda: twin.resnet18(replace_stride_with_dilation=[True]),
                lambda: models.resnet18(replace_stride_with_dilation=[True]))
    with pytest.raises(ValueError, match="Unknown model nope"):
        models.get_model("nope")


def test_weights_must_match_every_key(tmp_path):
    state = models.squeezenet1_1().state_dict()
    del state["classifier.1.bias"]
    path = tmp_path / "partial.pt"
    fastnn.save(state, path)
    with pytest.raises(RuntimeError, match="Missing key"):
        models.squeezenet1_1(weights=str(path))


def test_torchvision_weight_names_are_refused_with_the_way_out():
    # torchvision would download these; a file path is what loads here
    for name in ("DEFAULT", "IMAGENET1K_V1"):
        with pytest.raises(ValueError, match="pass the path of the checkpoint file"):
            models.squeezenet1_1(weights=name, progress=False)
    assert models.squeezenet1_1(weights=None, progress=False).classifier[1].out_channels == 1000


def test_densenet_loads_torchvisions_old_key_layout(tmp_path):
    # torchvision's published DenseNet files predate BatchNorm's num_batches_tracked and
    # name 'denselayer1.norm1.weight' as 'denselayer1.norm.1.weight'
    import re
    model = models.densenet121(num_classes=3)
    state = model.state_dict()
    old = {re.sub(r"(denselayer\d+\.(norm|conv))([12])\.", r"\1.\3.", k): v
           for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert "features.denseblock4.denselayer16.conv.2.weight" in old
    assert not any(re.search(r"denselayer\d+\.(norm|conv)[12]\.", k) for k in old)
    path = tmp_path / "old.pt"
    fastnn.save(old, path)
    loaded = models.densenet121(weights=str(path), num_classes=3)
    assert keys_and_shapes(loaded.state_dict()) == keys_and_shapes(state)
    np.testing.assert_array_equal(loaded.features.denseblock4.denselayer16.conv2.weight,
                                  model.features.denseblock4.denselayer16.conv2.weight)


def test_stochastic_depth_drops_rows_while_training(twin, torch):
    from fastnn.models._layers import StochasticDepth, stochastic_depth
    x = fastnn.ones(64, 2, 3, 3)
    layer = StochasticDepth(0.25, "row")
    assert repr(layer) == repr(twin._layers.StochasticDepth(0.25, "row")) \
        == "StochasticDepth(p=0.25, mode=row)"
    assert layer.eval()(x) is x
    fastnn.manual_seed(0)
    out = np.asarray(layer.train()(x))
    per_row = np.unique(out.reshape(64, -1), axis=1)
    assert per_row.shape[1] == 1                       # a whole row is kept or dropped
    assert set(np.unique(per_row).tolist()) == {0.0, np.float32(1 / 0.75)}
    batch = np.unique(np.asarray(stochastic_depth(x, 0.5, "batch")))
    assert batch.size == 1 and batch[0] in (0.0, 2.0)
    for p, mode in ((1.5, "row"), (0.5, "col")):
        from torch_compare import raises_like
        raises_like(lambda: twin._layers.stochastic_depth(torch.ones(2), p, mode),
                    lambda: stochastic_depth(x, p, mode))


def test_unet_with_transposed_convolutions(twin, torch, tmp_path):
    if not hasattr(fastnn.nn, "ConvTranspose2d"):
        with pytest.raises(NotImplementedError, match="needs nn.ConvTranspose2d"):
            models.unet(bilinear=False)
        return
    torch.manual_seed(0)
    reference = torch_reference(torch, twin, "unet", dict(bilinear=False, base_channels=8), 19)
    path = tmp_path / "unet.pth"
    torch.save(reference.state_dict(), path)
    ours = models.unet(weights=str(path), bilinear=False, base_channels=8).eval()
    assert "up1.up.weight" in ours.state_dict()
    x = torch.randn(1, 3, 19, 19)
    with torch.no_grad():
        expected = reference(x).numpy()
    np.testing.assert_allclose(np.asarray(ours(fastnn.from_numpy(x.numpy()))), expected,
                               rtol=1e-4, atol=1e-4 * np.abs(expected).max())
