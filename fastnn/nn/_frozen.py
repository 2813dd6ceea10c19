"""Frozen weights: read-only Parameters whose packed forms are computed once and kept.

A kernel variant may read its weights in another layout (the 'blocked' convolution packs
them in blocks of 16 channels). Packing on every call costs time and a weight-sized
allocation; keeping the packed copy is only safe when the weights cannot change behind it,
and a Parameter's memory can be written through any view of it. `freeze` makes a weight
that cannot: a Parameter over a fresh read-only copy that nothing else refers to (numpy
refuses to make a view of it writeable, so every write raises). Its packed forms live
beside it and go when it goes.

The kernels still get a writeable ndarray over the frozen memory (`kernel_weight`): Numba
types read-only arrays apart and would compile every kernel a second time for them; the
kernels never write to their weights. Setting the read-only copy writeable again (through
``param.base``, the only way) un-freezes the weight: the packed forms are dropped and the
weight is read as any other from then on.
"""
import numpy as np

from .._alloc import allocate
from .._array import thread_scratch
from .parameter import Parameter

__all__ = ["freeze", "frozen_forms", "is_frozen", "kernel_weight", "packed_form"]


class _FrozenMemory:
    """The memory of a frozen weight as the kernels read it, and its packed forms.

    Arrays made from it (`np.asarray(self)` and every view of that) have it as their
    ``base``, which is how `packed` finds the forms from the array a kernel variant gets."""

    def __init__(self, owner):
        self.owner = owner
        interface = dict(owner.__array_interface__)
        interface["data"] = (interface["data"][0], False)    # False: writeable
        self.__array_interface__ = interface
        self.forms = {}

    def intact(self):
        if self.owner.flags.writeable:      # un-frozen: its packed forms may be stale
            self.forms.clear()
            return False
        return True


def freeze(weight, dtype=None, requires_grad=None):
    """A frozen Parameter holding a copy of `weight` (cast to `dtype` if given); it
    requires grad as given, else as `weight` does (a plain array: as a Parameter does)."""
    owner = np.array(np.asarray(weight), dtype=dtype, copy=True, order="C")
    owner.flags.writeable = False
    if requires_grad is None:
        requires_grad = getattr(weight, "requires_grad", True)
    param = Parameter(owner, requires_grad=requires_grad)
    param._frozen_data = np.asarray(_FrozenMemory(owner))
    return param


def is_frozen(param):
    """True for a Parameter made by `freeze` whose memory is still read-only."""
    return kernel_weight(param) is not None


def kernel_weight(weight):
    """The writeable ndarray the kernels read for a frozen `weight`, else None."""
    data = getattr(weight, "_frozen_data", None)
    return data if data is not None and data.base.intact() else None


def frozen_forms(weight):
    """The dict of packed forms kept with a frozen weight (`weight` is `kernel_weight`'s
    array or a view of it), else None."""
    memory = weight.base
    if isinstance(memory, np.ndarray):      # a view of a view: numpy stops at the first
        memory = memory.base                # array whose base is not an array
    return memory.forms if type(memory) is _FrozenMemory else None


def packed_form(weight, key, shape, pack, scratch):
    """A form of `weight` (its dtype, `shape`) that `pack(weight, buffer)` writes: made once
    and kept under `key` with a frozen weight, else written on every call into this
    thread's scratch buffer named `scratch` (no weight-sized allocation per call)."""
    forms = frozen_forms(weight)
    if forms is not None and key in forms:
        return forms[key]
    if forms is None:
        buffer = thread_scratch(scratch, int(np.prod(shape)), weight.dtype).reshape(shape)
    else:
        buffer = allocate(shape, weight.dtype)
    pack(weight, buffer)
    if forms is not None:
        forms[key] = buffer
    return buffer
