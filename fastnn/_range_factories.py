"""``linspace`` and ``eye``: torch's factories of evenly spaced values and of identity
matrices, with torch's arguments, dtypes and errors. Factories create a tensor from no
tensor input and stay outside the op door, as fastnn's other factories do (docs/OPS.md).
"""
import numpy as np

from ._alloc import check_alloc
from ._args import _is_int, _tensor_item, torch_type_name
from ._array import wrap
from ._dtypes import as_dtype, default_complex_dtype, get_default_dtype
from ._torch_types import check_device

__all__ = ["linspace", "eye"]

_LINSPACE_SIGNATURES = (
    " * (Tensor start, Tensor end, int steps, *, Tensor out = None, torch.dtype dtype = None, "
    "torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
    "bool requires_grad = False)\n")


def _invalid_linspace(args):
    got = ", ".join(type(a).__name__ for a in args)
    return TypeError(f"linspace() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{_LINSPACE_SIGNATURES}")


def _deliver(values, out, fn="linspace"):
    if out is None:
        return wrap(values)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{fn}(): argument 'out' must be Tensor, not "
                        f"{type(out).__name__}")
    if out.shape != values.shape or out.dtype != values.dtype:
        raise RuntimeError(f"fastnn cannot resize or retype `out`: it must have shape "
                           f"{list(values.shape)} and dtype {values.dtype}")
    out[...] = values
    return out


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             pin_memory=False, requires_grad=False):
    """`steps` values from `start` to `end` inclusive, evenly spaced.

    As torch computes them: the first half ``start + step * i``, the second half
    ``end - step * (steps - 1 - i)``, in the result dtype (float64 steps for integer
    dtypes, truncated). The dtype is the default float dtype (complex for complex bounds)
    unless given.
    """
    check_device(device)
    bounds = [_tensor_item(v) for v in (start, end)]
    if not all(isinstance(v, (int, float, complex, np.number, np.bool_)) for v in bounds) \
            or not _is_int(steps):
        raise _invalid_linspace((start, end, steps))
    steps = int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    complex_bounds = any(isinstance(v, (complex, np.complexfloating)) for v in bounds)
    dtype = as_dtype(dtype, "linspace") or (default_complex_dtype() if complex_bounds
                                            else get_default_dtype())
    if dtype.kind == "b":
        raise NotImplementedError(f"\"linspace_cpu\" not implemented for "
                                  f"'{torch_type_name(dtype)}'")
    check_alloc((steps,), dtype)
    if dtype.kind in "iu":
        first, last = (int(np.real(v)) for v in bounds)
        step = (float(last) - float(first)) / (steps - 1) if steps > 1 else 0.0
        i = np.arange(steps, dtype=np.float64)
        with np.errstate(all="ignore"):
            values = np.where(i < steps // 2, first + step * i,
                              last - step * (steps - 1 - i))
        return _deliver(np.trunc(values).astype(dtype), out)
    first, last = (dtype.type(v) for v in bounds)
    if steps == 1:
        return _deliver(np.full(1, first, dtype), out)
    with np.errstate(all="ignore"):
        step = (last - first) / dtype.type(steps - 1)
        i = np.arange(steps).astype(dtype)
        values = np.where(np.arange(steps) < steps // 2, first + step * i,
                          last - step * (dtype.type(steps - 1) - i))
    return _deliver(values.astype(dtype, copy=False), out)


def _eye_int(value, name, position, args):
    if value is None and name == "m":
        raise TypeError(
            f"eye() received an invalid combination of arguments - got "
            f"({', '.join(type(a).__name__ for a in args)}), but expected one of:\n"
            f" * (int n, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout "
            f"= None, torch.device device = None, bool pin_memory = False, bool "
            f"requires_grad = False)\n"
            f" * (int n, int m, *, Tensor out = None, torch.dtype dtype = None, torch.layout "
            f"layout = None, torch.device device = None, bool pin_memory = False, bool "
            f"requires_grad = False)\n")
    if not _is_int(value):
        raise TypeError(f"eye(): argument '{name}' (position {position}) must be int, not "
                        f"{type(value).__name__}")
    value = int(value)
    if value < 0:
        raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    return value


_NO_M = object()


def eye(n, m=_NO_M, *, out=None, dtype=None, layout=None, device=None, pin_memory=False,
        requires_grad=False):
    """An ``n x m`` matrix (``m = n`` unless given) with ones on the diagonal, of the
    default float dtype unless `dtype` says otherwise."""
    check_device(device)
    args = (n,) if m is _NO_M else (n, m)
    n = _eye_int(n, "n", 1, args)
    m = n if m is _NO_M else _eye_int(m, "m", 2, args)
    dtype = as_dtype(dtype, "eye") or get_default_dtype()
    check_alloc((n, m), dtype)
    return _deliver(np.eye(n, m, dtype=dtype), out, "eye")
