"""Drop-in: the examples' PyTorch source runs under fastnn with only its imports swapped,
loads torch's checkpoint through fastnn.load, and gives torch's numbers."""
import difflib
import pickle

import numpy as np
import pytest

import fastnn
from fastnn import examples

CASES = [("lenet", {"batch_size": 2}), ("resnet", {"batch_size": 1}),
         ("cnn3d", {"batch_size": 2})]


def test_only_the_imports_differ():
    for name in examples.NAMES:
        diff = difflib.ndiff(examples.source(name, "torch").splitlines(),
                             examples.source(name, "fastnn").splitlines())
        changed = sorted(line for line in diff if line[:2] in ("- ", "+ "))
        assert changed == sorted([
            "+ import fastnn as torch", "+ import fastnn.nn as nn",
            "+ import fastnn.nn.functional as F", "- import torch", "- import torch.nn as nn",
            "- import torch.nn.functional as F"]), name


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown example 'vgg'"):
        examples.load("vgg")
    with pytest.raises(ValueError, match="backend must be"):
        examples.source("lenet", "jax")


def _randomise_batchnorm(model, torch):
    # fresh BatchNorm statistics are 0/1; random ones make eval mode mean something
    generator = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            n = module.num_features
            module.running_mean.copy_(torch.rand(n, generator=generator) - 0.5)
            module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            module.bias.data.copy_(torch.rand(n, generator=generator) - 0.5)


@pytest.mark.parametrize("name, input_args", CASES)
def test_dropin_model_matches_torch(name, input_args, torch, tmp_path):
    torch_example = examples.load(name, "torch")
    torch.manual_seed(0)
    reference = torch_example.build().eval()
    _randomise_batchnorm(reference, torch)
    checkpoint = tmp_path / f"{name}.pt"
    torch.save(reference.state_dict(), checkpoint)

    model = examples.load(name).build().eval()
    result = model.load_state_dict(fastnn.load(checkpoint))
    assert (result.missing_keys, result.unexpected_keys) == ([], [])
    assert list(model.state_dict()) == list(reference.state_dict())

    x = torch_example.example_input(**input_args)
    with torch.no_grad():
        expected = reference(x).numpy()
    with fastnn.no_grad():
        got = model(x)
    assert isinstance(got, fastnn.Tensor)
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-4, atol=1e-4)


def test_example_models_pickle():
    model = examples.load("lenet").build().eval()
    x = fastnn.randn(1, 1, 32, 32)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone(x), model(x))
