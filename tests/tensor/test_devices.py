"""fastnn runs on the CPU in float32/float64: every way a torch script asks for a GPU or
for half precision gets a clear error instead of a crash or a silently different model."""
import re

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn

CPU_ONLY = re.escape("fastnn runs on the CPU only; device 'cuda' is not available (fastnn "
                     "has no GPU or other accelerator support: keep tensors and models on "
                     "the CPU)")


@pytest.mark.parametrize("call", [
    lambda x, m: x.cuda(),
    lambda x, m: x.to("cuda"),
    lambda x, m: x.to(device="cuda"),
    lambda x, m: x.to(fastnn.device("cuda")),
    lambda x, m: m.cuda(),
    lambda x, m: m.to("cuda"),
    lambda x, m: m.to(device="cuda", dtype=fastnn.float32),
    lambda x, m: fastnn.zeros(2, device="cuda"),
    lambda x, m: fastnn.randn(2, device="cuda"),
    lambda x, m: fastnn.tensor([1.0], device="cuda"),
    lambda x, m: nn.Linear(2, 3, device="cuda"),
    lambda x, m: nn.Conv2d(1, 2, 3, device="cuda"),
], ids=["x.cuda", "x.to", "x.to(device=)", "x.to(device)", "m.cuda", "m.to", "m.to(device=)",
        "zeros", "randn", "tensor", "Linear", "Conv2d"])
def test_every_way_to_ask_for_cuda_gets_one_runtime_error(call):
    x, model = fastnn.ones(2), nn.Linear(2, 2)
    before = model.weight.copy()
    with pytest.raises(RuntimeError, match=CPU_ONLY):
        call(x, model)
    assert model.weight.dtype == np.float32 and np.array_equal(model.weight, before)


def test_a_device_index_is_named(torch):
    model = nn.Linear(2, 2)
    for where, name in ((1, "cuda:1"), ("cuda:0", "cuda:0"), (torch.device("cuda", 0),
                                                               "cuda:0")):
        with pytest.raises(RuntimeError, match=f"device '{name}' is not available"):
            model.cuda(where)
    with pytest.raises(RuntimeError, match="device 'mps' is not available"):
        model.to("mps")


def test_cpu_is_accepted_everywhere_cuda_is_refused(torch):
    x, model = fastnn.ones(2), nn.Linear(2, 2)
    assert x.to("cpu") is x and x.cpu() is x
    assert model.to("cpu") is model and model.to(torch.device("cpu")) is model
    assert model.cpu() is model
    assert nn.Linear(2, 3, device="cpu").weight.shape == (3, 2)


@pytest.mark.parametrize("method, dtype", [("half", "float16"), ("bfloat16", "bfloat16")])
def test_model_half_is_refused_and_leaves_the_model_as_it_was(method, dtype):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    before = {k: v.copy() for k, v in model.state_dict().items()}
    with pytest.raises(TypeError, match=re.escape(
            f"fastnn supports float32 and float64 only, got {dtype}: Module.{method}() is "
            "not available (use float() or double())")):
        getattr(model, method)()
    after = model.state_dict()
    for key, value in before.items():
        assert after[key].dtype == value.dtype and np.array_equal(after[key], value)


def test_to_float16_is_refused_too(torch):
    model = nn.Linear(2, 2)
    for dtype in (fastnn.float16, torch.float16, np.float16):
        with pytest.raises(TypeError, match="float32 and float64 only, got float16"):
            model.to(dtype)
    assert model.weight.dtype == np.float32


def test_torch_itself_has_these_methods(torch):
    """The methods refused here exist on torch's Module (so scripts do call them)."""
    for name in ("cuda", "half", "bfloat16", "cpu", "to"):
        assert callable(getattr(torch.nn.Module, name))
        assert callable(getattr(nn.Module, name))
