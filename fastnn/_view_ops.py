"""Registry entries of the shape ops that pass the door (flatten, unflatten) and the
explicit arithmetic op `add` (``torch.add``), which reaches the ufunc door.

flatten and unflatten return views (their metadata is None: nothing is allocated), as
torch's do; they accept any dtype.
"""
import math

import numpy as np

from . import _registry
from ._args import int_arg, wrap_dim
from ._dispatch import dispatch
from ._registry import Attrs
from ._array import as_array


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


def _infer_sizes(sizes, numel):
    """torch's infer_size: resolve one -1; None when the sizes do not match `numel`."""
    inferred, known = None, 1
    for i, s in enumerate(sizes):
        if s == -1:
            if inferred is not None:
                raise RuntimeError("unflatten got an unexpected error:\n"
                                   "only one dimension can be inferred")
            inferred = i
        elif s >= 0:
            known *= s
        else:
            raise RuntimeError("unflatten got an unexpected error:\ninvalid shape dimension "
                               f"{s} at index {i} of shape {list(sizes)}")
    if numel == known or (inferred is not None and known > 0 and numel % known == 0):
        sizes = list(sizes)
        if inferred is not None:
            if known == 0:
                raise RuntimeError(
                    "unflatten got an unexpected error:\ncannot reshape tensor of 0 elements "
                    f"into shape {sizes} because the unspecified dimension size -1 can be any "
                    "value and is ambiguous")
            sizes[inferred] = numel // known
        return tuple(sizes)
    return None


def _unflatten_checked(arr, dim, sizes):
    """torch's unflatten checks: (the wrapped dim, the sizes with -1 resolved)."""
    dim = int_arg(dim, "unflatten", "dim", 1)
    if not isinstance(sizes, (tuple, list)):
        raise TypeError(f"unflatten(): argument 'sizes' (position 2) must be tuple of ints, "
                        f"not {type(sizes).__name__}")
    for pos, s in enumerate(sizes):
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)):
            raise TypeError("unflatten(): argument 'sizes' (position 2) must be tuple of ints, "
                            f"but found element of type {type(s).__name__} at pos {pos}")
    sizes = tuple(int(s) for s in sizes)
    dim = wrap_dim(dim, arr.ndim)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if arr.ndim == 0:
        raise RuntimeError("unflatten got an unexpected error:\n"
                           "Dimension specified as 0 but tensor has no dimensions")
    resolved = _infer_sizes(sizes, arr.shape[dim])
    if resolved is None:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({arr.shape[dim]}) in the input tensor")
    return dim, resolved


def _unflatten_normalize(input, dim, sizes):
    inputs = _caller_array(input)
    dim, resolved = _unflatten_checked(as_array(inputs[0]), dim, sizes)
    return inputs, Attrs(dim=dim, sizes=resolved)


def _unflatten_run(inputs, attrs, out):
    arr = as_array(inputs[0])
    dim = attrs.dim
    return arr.reshape(arr.shape[:dim] + attrs.sizes + arr.shape[dim + 1:])


_registry.register_single("flatten", _flatten_normalize, _view_meta, _flatten_run,
                          arrays=_caller_array)
_registry.register_single("unflatten", _unflatten_normalize, _view_meta, _unflatten_run)
