"""``randint`` and ``randperm``: torch's integer samplers, with torch's arguments and errors."""
import warnings

import numpy as np

from ._args import _is_int, torch_type_name
from ._creation import _sized
from ._random import default_generator, resolve
from ._sampling import fill_in_memory_order, integers, permutation
from ._array import wrap

__all__ = ["randint", "randperm"]

# How torch's C++ bound checks name a dtype.
_C_TYPE_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char",
                 "int16": "short int", "int32": "int", "int64": "long int",
                 "float16": "c10::Half", "float32": "float", "float64": "double"}


def _invalid_combination(fn, args, kwargs):
    got = ", ".join([type(a).__name__ for a in args]
                    + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    return TypeError(f"{fn}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n * (int high, tuple of ints size, *, "
                     f"torch.Generator generator, torch.dtype dtype = None, ...)\n"
                     f" * (int low, int high, tuple of ints size, *, torch.Generator "
                     f"generator, torch.dtype dtype = None, ...)")


def _randint_args(args, kwargs):
    """(low, high, size) from torch's two overloads: (high, size) and (low, high, size)."""
    names = ("low", "high", "size") if len(args) + len(kwargs) >= 3 else ("high", "size")
    if len(args) > len(names):
        raise _invalid_combination("randint", args, kwargs)
    bound = dict(zip(names, args))
    for name in names[len(args):]:
        if name in kwargs:
            bound[name] = kwargs.pop(name)
    if kwargs or len(bound) != len(names):
        raise _invalid_combination("randint", args, kwargs)
    for position, name in enumerate(names):
        value = bound[name]
        if name == "size":
            if _is_int(value) and len(names) == 3:
                raise _invalid_combination("randint", args, {})
            if _is_int(value):
                raise TypeError(f"randint(): argument 'size' (position {position + 1}) must "
                                f"be tuple of ints, not {type(value).__name__}")
        elif isinstance(value, (float, np.floating)):
            raise _invalid_combination("randint", args, {})
        elif not _is_int(value) or isinstance(value, (bool, np.bool_)):
            raise TypeError(f"randint(): argument '{name}' (position {position + 1}) must "
                            f"be int, not {type(value).__name__}")
    return int(bound.get("low", 0)), int(bound["high"]), bound["size"]


def _float_bounds(low, high, dtype):
    """torch's update_from/update_to: bounds moved inside what the float dtype can hold."""
    digits = np.finfo(dtype).nmant + 1
    low_plus_1 = int(dtype.type(low + 1))
    if low_plus_1 < low:
        low = low_plus_1 + (1 << (abs(low + 1).bit_length() - 1 - digits + 1))
    high_minus_1 = int(dtype.type(high - 1))
    if high_minus_1 >= high:
        high = high_minus_1 - (1 << (abs(high - 1).bit_length() - 1 - digits + 1))
    return low, high


def _check_bounds(low, high, dtype):
    if dtype.kind == "f":
        limit = 2 ** (np.finfo(dtype).nmant + 1)
        for name, value in (("from", low), ("to - 1", high - 1)):
            if not -limit <= value <= limit:
                warnings.warn(f"{name} is out of bounds [-(2^{limit.bit_length() - 1}), "
                              f"2^{limit.bit_length() - 1}]. Due to precision limitations "
                              f"{_C_TYPE_NAMES[dtype.name]} can support discrete uniform "
                              f"distribution only within this range.", stacklevel=3)
        return
    info = np.iinfo(dtype) if dtype.kind in "iu" else np.iinfo(np.uint8)
    lowest, highest = (0, 1) if dtype.kind == "b" else (info.min, info.max)
    for name, value in (("from", low), ("to - 1", high - 1)):
        if not lowest <= value <= highest:
            raise RuntimeError(f"{name} is out of bounds for {_C_TYPE_NAMES[dtype.name]}")


def randint(*args, generator=None, dtype=None, device=None, requires_grad=False,
            **kwargs):
    """``randint(high, size)`` or ``randint(low, high, size)``: integers uniform on
    [low, high), int64 unless `dtype` says otherwise; torch's values after the same seed.

    Examples::

        >>> fastnn.manual_seed(0); fastnn.randint(10, (2, 3))
        tensor([[4, 9, 3],
                [0, 3, 9]])
    """
    low, high, size = _randint_args(args, kwargs)
    if not -2**63 <= low < 2**63 or not -2**63 <= high < 2**63:
        raise ValueError("Overflow when unpacking long long")
    shape, dtype = _sized("randint", (size,), dtype, device, default=np.dtype(np.int64))
    if dtype.kind not in "biuf":
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    _check_bounds(low, high, dtype)
    gen = resolve(generator)
    out = np.empty(shape, dtype)
    if isinstance(gen, np.random.Generator):
        out[...] = gen.integers(low, high, size=shape)
        return wrap(out)
    if dtype.kind == "f":
        low, high = _float_bounds(low, high, dtype)
    fill_in_memory_order(out, integers(gen, out.size, low, high).astype(dtype))
    return wrap(out)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False,
             pin_memory=False, layout=None, out=None):
    """A random permutation of ``0 .. n-1`` (int64 unless `dtype` says otherwise), torch's
    permutation after the same seed.

    Examples::

        >>> fastnn.manual_seed(0); fastnn.randperm(8)
        tensor([3, 4, 0, 6, 5, 7, 2, 1])
    """
    if not _is_int(n) or isinstance(n, (bool, np.bool_)):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    n = int(n)
    shape, dtype = _sized("randperm", ((n,),), dtype, device, default=np.dtype(np.int64))
    if dtype.kind == "b" or dtype.kind not in "iuf":
        raise NotImplementedError(f"\"randperm\" not implemented for "
                                  f"'{torch_type_name(dtype)}'")
    if dtype == np.float16 and n > 2049:
        raise RuntimeError("n cannot be greater than 2049 for Half type.")
    if dtype == np.float32 and n > 2**24 + 1:
        raise RuntimeError("n cannot be greater than 2^24+1 for Float type.")
    if dtype.kind in "iu" and n > 0 and n - 1 > np.iinfo(dtype).max:
        raise RuntimeError(f"value cannot be converted to type {_C_INT_NAMES[dtype.name]} "
                           f"without overflow")
    gen = resolve(generator)
    if isinstance(gen, np.random.Generator):
        return wrap(gen.permutation(n).astype(dtype))
    return wrap(permutation(gen, n).astype(dtype))


_C_INT_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t",
                "int32": "int32_t", "int64": "int64_t"}


def get_rng_state():
    """The default generator's state as a uint8 tensor, in torch's layout."""
    return wrap(default_generator.get_state())
