"""Padding modules, as ``torch.nn``: zero, constant, reflection, replication and circular
padding of the last 1, 2 or 3 dimensions, each a thin wrapper over ``F.pad``.

As torch's: an int `padding` pads every side by it, an iterable is taken as given (its
length is checked by ``F.pad`` when the module runs, not here); only the circular modules
check the input's rank themselves (torch's ValueError), the others leave it to ``F.pad``.
"""
import numpy as np

from .. import functional as F
from .module import Module
from .pooling import _ntuple

__all__ = [
    "CircularPad1d", "CircularPad2d", "CircularPad3d",
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
]

_SIDES = "(left, right)", "(left, right, top, bottom)", \
    "(left, right, top, bottom, front, back)"


class _PadNd(Module):
    """``F.pad(input, padding, mode)`` over the last `_nd` dimensions."""
    _nd = 0
    _mode = None

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._nd)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        ndim = np.ndim(input)
        if ndim not in (self._nd + 1, self._nd + 2):
            raise ValueError(f"expected {self._nd + 1}D or {self._nd + 2}D input "
                             f"(got {ndim}D input)")
        return F.pad(input, self.padding, "circular")


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


def _doc(kind, nd, what):
    dims = ("W", "H, W", "D, H, W")[nd - 1]
    shape = ", ".join(f"{d}_{{in}}" for d in dims.split(", "))
    return (
        f"Pads the last {nd} dimension{'s' if nd > 1 else ''} of the input {what}, as "
        f"``torch.nn.{kind}{nd}d`` (``F.pad`` with ``mode={_MODES[kind]!r}``).\n\n"
        f"    Args:\n"
        f"        padding (int or tuple): every side, or {_SIDES[nd - 1]}.\n"
        + ("        value (float): the fill value.\n" if kind == "ConstantPad" else "") +
        f"\n"
        f"    Shape: input :math:`(N, C, {shape})` or :math:`(C, {shape})`; each padded "
        f"size grows by its two pads (negative pads crop).\n")


_MODES = {"CircularPad": "circular", "ConstantPad": "constant", "ZeroPad": "constant",
          "ReflectionPad": "reflect", "ReplicationPad": "replicate"}


def _make(kind, nd, base, what):
    attrs = {"_nd": nd, "__doc__": _doc(kind, nd, what), "__module__": __name__}
    return type(f"{kind}{nd}d", (base,), attrs)


CircularPad1d, CircularPad2d, CircularPad3d = (
    _make("CircularPad", nd, _CircularPadNd, "circularly (the other end's values)")
    for nd in (1, 2, 3))
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = (
    _make("ReflectionPad", nd, _ReflectionPadNd, "with its reflection (edge excluded)")
    for nd in (1, 2, 3))
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = (
    _make("ReplicationPad", nd, _ReplicationPadNd, "by repeating its edge values")
    for nd in (1, 2, 3))
ConstantPad1d, ConstantPad2d, ConstantPad3d = (
    _make("ConstantPad", nd, _ConstantPadNd, "with the constant `value`")
    for nd in (1, 2, 3))


def _zero_pad(base):
    class ZeroPad(base):
        def __init__(self, padding):
            super().__init__(padding, 0.0)

        def extra_repr(self):
            return f"{self.padding}"
    nd = base._nd
    ZeroPad.__name__ = ZeroPad.__qualname__ = f"ZeroPad{nd}d"
    ZeroPad.__doc__ = _doc("ZeroPad", nd, "with zeros")
    return ZeroPad


ZeroPad1d, ZeroPad2d, ZeroPad3d = (
    _zero_pad(base) for base in (ConstantPad1d, ConstantPad2d, ConstantPad3d))
