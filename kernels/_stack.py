"""Fixed-size scratch arrays on the stack, for register-resident accumulators.

`np.empty` inside a kernel lives on the heap and LLVM keeps it in memory. A buffer made
here is an `alloca` in the function's entry block, wrapped as a 1-D array without a
meminfo: when every access to it is inside fully unrolled loops of constant trip count,
LLVM promotes it to (vector) registers (PERF.md, "What a probe measured").
"""
from llvmlite import ir
from numba import carray, types
from numba.core import cgutils
from numba.extending import intrinsic

from . import _shapes
from ._target import njit, target

TILE = 16      # stack buffer length: one 512-bit register of float32


@intrinsic
def _alloca(typingctx, size, dtype):
    if not isinstance(size, types.IntegerLiteral):
        return None
    length = size.literal_value
    elt = dtype.dtype

    def codegen(context, builder, signature, args):
        lty = context.get_value_type(elt)
        ptr = cgutils.alloca_once(builder, ir.ArrayType(lty, length))
        return builder.bitcast(ptr, lty.as_pointer())

    return types.CPointer(elt)(size, dtype), codegen


def register_lanes(bitwidth):
    """Elements of `bitwidth` bits in one vector register of the codegen target
    (kernels/_target.py), at most TILE: 16 float32 / 8 float64 with AVX-512, 8 / 4 with
    AVX2, 4 / 2 with 128-bit vectors (for intrinsics, at typing time)."""
    return min(TILE, target().vector_bits // bitwidth)


@intrinsic
def tile_width(typingctx, dtype):
    """`register_lanes` of `dtype` as a compile-time constant (so loops over it have a
    constant trip count)."""
    width = register_lanes(dtype.dtype.bitwidth)

    def codegen(context, builder, signature, args):
        return context.get_constant(types.intp, width)

    return types.intp(dtype), codegen


@intrinsic
def wide_register_file(typingctx):
    """True, as a compile-time constant, where the target has 32 vector registers (AVX-512):
    tiles of 16 accumulators fit; with 16 registers they take 8 at most."""
    wide = target().registers == 32

    def codegen(context, builder, signature, args):
        return context.get_constant(types.boolean, wide)

    return types.boolean(), codegen


@intrinsic
def store_tile(typingctx, dst, at, buf):
    """dst[at:at + TILE] = buf (a `tile_pointer`; dst 1-D, contiguous) as one unaligned vector
    store. The same store written as a loop over the lanes came out of LLVM's SLP
    vectoriser as a row of partial, overlapping stores and lane extracts (scalar, 16- and
    32-byte pieces: eight store instructions per 512-bit register)."""
    if not (isinstance(dst, types.Array) and dst.ndim == 1 and dst.layout == "C"
            and isinstance(buf, types.CPointer) and buf.dtype == dst.dtype):
        return None
    elt = dst.dtype

    def codegen(context, builder, signature, args):
        vector = ir.VectorType(context.get_value_type(elt), TILE)
        value = builder.load(builder.bitcast(args[2], vector.as_pointer()),
                             align=elt.bitwidth // 8)
        target = context.make_array(signature.args[0])(context, builder, args[0]).data
        builder.store(value, builder.bitcast(builder.gep(target, [args[1]]),
                                             vector.as_pointer()), align=elt.bitwidth // 8)
        return context.get_dummy_value()

    return types.none(dst, at, buf), codegen


@njit(inline="always")
def tile_pointer(dtype):
    """A TILE-long uninitialised stack buffer of `dtype` as a raw pointer, indexed as an
    array: no array object, so a tile compiled without reference counting can hold it."""
    return _alloca(TILE, dtype)


@njit(inline="always")
def tile_buffer(dtype):
    """A TILE-long uninitialised stack array of `dtype` (valid until the caller returns)."""
    return carray(_alloca(TILE, dtype), (TILE,))


def target_shape(rule, dtype):
    """`rule(vector_bits, itemsize)` (kernels/_shapes.py) for a Numba float type on the
    codegen target: the tile shape a kernel compiles with."""
    return rule(target().vector_bits, dtype.bitwidth // 8)


def shape_constant(rule):
    """An intrinsic giving `target_shape(_shapes.<rule>, dtype)` as a tuple of compile-time
    constants (so the loops stepping by it have constant trip counts). The rule is looked
    up by name when a kernel compiles, as the tiles' own overloads look it up, so the two
    agree when benchmarks/tile_shapes.py replaces a rule."""
    @intrinsic
    def shape(typingctx, dtype):
        values = target_shape(getattr(_shapes, rule), dtype.dtype)
        signature = types.UniTuple(types.intp, len(values))(dtype)

        def codegen(context, builder, sig, args):
            return context.make_tuple(builder, sig.return_type,
                                      [context.get_constant(types.intp, n) for n in values])
        return signature, codegen
    return shape
