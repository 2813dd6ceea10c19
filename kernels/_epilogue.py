"""Fused epilogues: what a register tile does to its accumulators before it stores them.

Every register-tiled kernel passes its module global `EPILOGUE` ("none": bias, if any, and
store) to its tile stubs, whose overloads pick the generated tile of that epilogue
(tools/gen_tiles.py writes one per shape and epilogue), or calls the plain generated tiles
by name. `with_epilogue(kernel, "relu")` is the same kernel
compiled from the same code with `EPILOGUE` bound to "relu" and those names to the relu
tiles: a separate
compiled entry, cached on disk beside the kernel's own (as `_runtime.serial_twin` does
for ``parallel=False``), so the default kernel's code and compile cost do not change and
the fused version compiles only when used. It is for the inference compiler's fusion of
an activation into the layer before it, not for the public functional API.

relu keeps torch's rules: relu(NaN) = NaN and relu(-0.0) = -0.0 (`x if not x < 0 else 0`;
`max(x, 0)` may drop a NaN); so does relu6, torch's hardtanh(x, 0, 6) (ReLU6), which
clamps the same way and leaves NaN as it is.
"""
import sys
import threading
import types as pytypes

from numba import types
from numba.extending import overload
from numba.np.numpy_support import as_dtype

from ._target import njit

EPILOGUES = ("none", "relu", "relu6")
EPILOGUE = "none"        # what a kernel's own module binds; its twins rebind it

_twins = {}              # (kernel, epilogue) -> compiled entry
_lock = threading.Lock()


def relu(x):
    """torch's relu of one float (NaN and -0.0 kept)."""
    return x if not x < 0 else 0.0


@overload(relu)    # inlined by LLVM; inlining its select in Numba IR upset SSA
def _relu_for_type(x):
    zero = as_dtype(x).type(0)

    def impl(x):
        return x if not x < zero else zero
    return impl


def relu6(x):
    """torch's relu6 of one float: min(max(x, 0), 6), NaN and -0.0 kept."""
    return 0.0 if x < 0 else 6.0 if x > 6 else x


@overload(relu6)
def _relu6_for_type(x):
    zero, six = as_dtype(x).type(0), as_dtype(x).type(6)

    def impl(x):
        return zero if x < zero else six if x > six else x
    return impl


def activate(x, epilogue):
    """`epilogue` ("none", "relu", "relu6", a literal) applied to one float: for kernels
    that apply their epilogue in their own code rather than in generated tiles."""


@overload(activate, prefer_literal=True)
def _activate_literal(x, epilogue):
    if not isinstance(epilogue, types.StringLiteral):
        return None
    name = epilogue.literal_value
    if name == "relu":
        return lambda x, epilogue: relu(x)
    if name == "relu6":
        return lambda x, epilogue: relu6(x)
    assert name == "none", name
    return lambda x, epilogue: x


def tile_for(tiles, key, epilogue):
    """The overload body of a tile stub: the generated tile `tiles[epilogue][key]` (the
    generated module's EPILOGUES), or None until Numba offers `epilogue` as a literal."""
    if not isinstance(epilogue, types.StringLiteral):
        return None
    return tiles[epilogue.literal_value][key].py_func


def _same_tile(value, epilogue):
    """The generated tile of `epilogue` in the place of `value`, if `value` is a plain
    generated tile that a kernel calls by name, else None."""
    module = sys.modules.get(getattr(getattr(value, "py_func", None), "__module__", ""))
    tiles = getattr(module, "EPILOGUES", None) if module is not None else None
    if not isinstance(tiles, dict) or "none" not in tiles:
        return None
    for key, tile in tiles["none"].items():
        if tile is value:
            return tiles[epilogue][key]
    return None


def with_epilogue(kernel, epilogue):
    """`kernel` (a register-tiled kernel whose module binds EPILOGUE) with `epilogue` fused
    into its tiles; "none" gives `kernel` itself. Same arguments, same result otherwise."""
    if epilogue not in EPILOGUES:
        raise ValueError(f"unknown epilogue {epilogue!r}; expected one of {EPILOGUES}")
    py = kernel.py_func
    if epilogue == "none" or "EPILOGUE" not in py.__code__.co_names:
        if epilogue != "none":
            raise ValueError(f"{py.__name__} has no fused epilogue")
        return kernel
    twin = _twins.get((kernel, epilogue))
    if twin is None:
        with _lock:
            twin = _twins.get((kernel, epilogue))
            if twin is None:
                scope = dict(py.__globals__, EPILOGUE=epilogue)
                for name in py.__code__.co_names:
                    tile = _same_tile(scope.get(name), epilogue)
                    if tile is not None:
                        scope[name] = tile
                name = f"{py.__name__}_{epilogue}"
                function = pytypes.FunctionType(py.__code__, scope, name, py.__defaults__,
                                                py.__closure__)
                function.__qualname__ = f"{py.__qualname__}_{epilogue}"
                function.__module__ = py.__module__
                function.__doc__ = py.__doc__
                options = dict(kernel.targetoptions)
                options.pop("nopython", None)     # implied by njit, which warns about it
                cached = type(kernel._cache).__name__ != "NullCache"
                twin = njit(cache=cached, **options)(function)
                _twins[kernel, epilogue] = twin
    return twin
