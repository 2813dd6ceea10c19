"""torch's small value types: Size (what ``x.size()`` returns) and device."""
import operator

import numpy as np

from ._args import _is_int, int_arg

builtin_type = type     # `device.__init__` takes an argument named `type`

__all__ = ["Size", "device"]

# torch's device types, in the order its error message lists them
_DEVICE_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
    "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class Size(tuple):
    """The shape tuple ``x.size()`` returns, like ``torch.Size``."""

    def __new__(cls, sizes=()):
        sizes = tuple(sizes)
        for i, n in enumerate(sizes):
            if not _is_int(n):
                raise TypeError(f"fastnn.Size() takes an iterable of 'int' "
                                f"(item {i} is '{type(n).__name__}')")
        return super().__new__(cls, (operator.index(n) for n in sizes))

    def __getitem__(self, key):
        result = super().__getitem__(key)
        return Size(result) if isinstance(key, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __repr__(self):
        return f"fastnn.Size({list(self)})"

    def numel(self):
        """Number of elements a tensor of this size holds."""
        return int(np.prod(self, dtype=np.int64))


class device:
    """Where a tensor lives, like ``torch.device``; fastnn computes on 'cpu' only.

    Args:
        type (str): 'cpu' (or any torch device type, refused when data is placed there),
            optionally with an index: 'cpu:0'.
        index (int, optional): device index.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif _is_int(type):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        elif not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - "
                            f"got ({builtin_type(type).__name__})")
        else:
            text = type
            type, sep, number = text.partition(":")
            if type not in _DEVICE_TYPES:
                raise RuntimeError(
                    f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of "
                    f"device string: {text}")
            if sep:
                if not number.isdigit() or index is not None:
                    raise RuntimeError(f"Invalid device string: '{text}'")
                index = int(number)
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", None if index is None else int_arg(index, "device",
                                                                            "index", 2))

    def __setattr__(self, name, value):
        raise AttributeError("fastnn.device is immutable")

    def __eq__(self, other):
        return isinstance(other, device) and (self.type, self.index) == (other.type,
                                                                         other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def check_device(where):
    """Refuse any device but the CPU: fastnn has no other (None means the CPU)."""
    if where is None:
        return CPU
    where = device(where)
    if where.type != "cpu":
        raise not_on_cpu(where)
    return where


def not_on_cpu(where):
    """The error for data sent to a device other than the CPU (``x.cuda()``, ``to('cuda')``,
    ``device='cuda'``). torch built without CUDA raises AssertionError("Torch not compiled
    with CUDA enabled"); fastnn raises RuntimeError, as torch does for a device it knows
    but cannot reach, and says that no accelerator exists here."""
    return RuntimeError(
        f"fastnn runs on the CPU only; device '{where}' is not available (fastnn has no GPU "
        "or other accelerator support: keep tensors and models on the CPU)")
