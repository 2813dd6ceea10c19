"""torch.nn.utils.parameters_to_vector / vector_to_parameters."""
import numpy as np

from ... import _creation
from ..._args import torch_typename
from ..._array import as_array, wrap

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated into one vector (differentiable, as
    torch's ``cat`` of their views)."""
    return _creation.cat([param.view(-1) for param in parameters])


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of `vec` into `parameters`, each reshaped to its
    parameter. fastnn copies the values in (torch rebinds each parameter's ``.data`` to a
    view of `vec`, so there a later write to `vec` shows in the parameters)."""
    if not isinstance(vec, np.ndarray):
        raise TypeError(f"expected torch.Tensor, but got: {torch_typename(vec)}")
    vec = wrap(as_array(vec))
    pointer = 0
    for param in parameters:
        count = param.numel()
        param.data = vec[pointer:pointer + count].view_as(param).data
        pointer += count
