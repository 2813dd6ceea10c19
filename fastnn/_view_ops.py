"""Registry entries of the shape ops that pass the door (flatten, unflatten) and the
explicit arithmetic op `add` (``torch.add``), which reaches the ufunc door.

flatten and unflatten return views (their metadata is None: nothing is allocated), as
torch's do; they accept any dtype.
"""
import math

import numpy as np

from . import _registry
from ._args import int_arg, wrap_dim
from ._dispatch import dispatch, dispatch_ufunc
from ._registry import Attrs
from .nn._utils import as_array


def _caller_array(input, *args, **kwargs):
    # the caller's own array object: flatten over one dim returns the tensor itself
    return (input if isinstance(input, np.ndarray) else as_array(input),)


def _flatten_normalize(input, start_dim=0, end_dim=-1):
    """torch.flatten's checks: ((input,), Attrs(start_dim, end_dim)), dims wrapped."""
    if not isinstance(input, np.ndarray) and not hasattr(input, "__array__"):
        raise TypeError(f"flatten(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    start_dim = int_arg(start_dim, "flatten", "start_dim", 1)
    end_dim = int_arg(end_dim, "flatten", "end_dim", 2)
    inputs = _caller_array(input)
    ndim = inputs[0].ndim
    start, end = wrap_dim(start_dim, ndim), wrap_dim(end_dim, ndim)
    if ndim and start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    return inputs, Attrs(start_dim=start, end_dim=end)


def _flatten_run(inputs, attrs, out):
    x = inputs[0]
    if x.ndim == 0:
        return np.ndarray.view(x, np.ndarray).reshape(1)
    start, end = attrs.start_dim, attrs.end_dim
    if start == end:
        return x            # torch returns the tensor itself
    merged = math.prod(x.shape[start:end + 1])
    return np.ndarray.view(x, np.ndarray).reshape(x.shape[:start] + (merged,)
                                                  + x.shape[end + 1:])


def _view_meta(inputs, attrs):
    return None


def flatten(input, start_dim=0, end_dim=-1):
    """``torch.flatten`` through the door: dims start_dim..end_dim merged into one (a view
    when the layout allows)."""
    return dispatch("flatten", input, start_dim, end_dim)


def _unflatten_normalize(input, dim, sizes):
    from .nn.modules.flatten import _unflatten_checked
    inputs = _caller_array(input)
    dim, resolved = _unflatten_checked(as_array(inputs[0]), dim, sizes)
    return inputs, Attrs(dim=dim, sizes=resolved)


def _unflatten_run(inputs, attrs, out):
    arr = as_array(inputs[0])
    dim = attrs.dim
    return arr.reshape(arr.shape[:dim] + attrs.sizes + arr.shape[dim + 1:])


def add(input, other, *, alpha=1, out=None):
    """``torch.add``: ``input + alpha * other`` as numpy's ufuncs compute it, through the
    ufunc door (ops "multiply" for an alpha other than 1, then "add")."""
    if alpha != 1:
        other = dispatch_ufunc(np.multiply, "__call__", (other, alpha), {})
    kwargs = {} if out is None else {"out": (out,)}
    return dispatch_ufunc(np.add, "__call__", (input, other), kwargs)


_registry.register_single("flatten", _flatten_normalize, _view_meta, _flatten_run,
                          arrays=_caller_array)
_registry.register_single("unflatten", _unflatten_normalize, _view_meta, _unflatten_run)
