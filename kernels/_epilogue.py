"""Fused epilogues: what a register tile does to its accumulators before it stores them.

Every register-tiled kernel takes `epilogue`, one of the codes below, as its last argument
and passes it to its tiles (tools/gen_tiles.py writes one tile per shape), which branch
on it once per call, after the accumulation and before the store: NONE stores the sums
(and bias) as they are, RELU and RELU6 clamp them first (`clamp` to [0, `ceiling`]). The
code is a run-time integer, not a compile-time choice, so one compiled kernel serves
every epilogue: a kernel compiled once per epilogue cost a whole compile of the kernel
each time an epilogue was first used (in a cold test run, or in a compiled model's first
call), against one compare per tile here. The inference compiler fuses an activation
into the layer before it this way (fastnn/nn/functional/_fused.py); everything else
passes NONE.

The clamp keeps torch's rules: relu(NaN) = NaN and relu(-0.0) = -0.0, and relu6, torch's
hardtanh(x, 0, 6) (ReLU6), clamps the same way and leaves NaN as it is.
"""
import numpy as np
from numba.extending import overload
from numba.np.numpy_support import as_dtype

EPILOGUES = ("none", "relu", "relu6")    # by code: a name's code is its index
NONE, RELU, RELU6 = range(len(EPILOGUES))
# the interval each clamps to: the tiles' `clamp` to `ceiling`, and the fused layer's pass
# after a kernel without tiles (fastnn/nn/functional/_fused.py)
BOUNDS = {"none": (-np.inf, np.inf), "relu": (0.0, np.inf), "relu6": (0.0, 6.0)}


def code(name):
    """The code of the epilogue `name` ("none", "relu" or "relu6")."""
    if name not in EPILOGUES:
        raise ValueError(f"unknown epilogue {name!r}; expected one of {EPILOGUES}")
    return EPILOGUES.index(name)


def ceiling(epilogue, dtype):
    """The upper bound `clamp` takes for the epilogue RELU (inf) or RELU6 (6), in the
    Numba float type `dtype`."""


@overload(ceiling)
def _ceiling_for_type(epilogue, dtype):
    kind = as_dtype(dtype.dtype).type
    relu6, relu = kind(BOUNDS["relu6"][1]), kind(BOUNDS["relu"][1])

    def impl(epilogue, dtype):
        return relu6 if epilogue == RELU6 else relu
    return impl


def clamp(x, hi):
    """x clamped to [0, hi] as torch's relu (hi = inf) and relu6 (hi = 6) do: NaN and -0.0
    are kept (`max(x, 0)` may drop a NaN)."""
    return 0.0 if x < 0 else hi if x > hi else x


@overload(clamp)    # inlined by LLVM; inlining its selects in Numba IR upset SSA
def _clamp_for_type(x, hi):
    zero = as_dtype(x).type(0)

    def impl(x, hi):
        return zero if x < zero else hi if x > hi else x
    return impl
