"""A register tile's multiply-add loop, emitted as LLVM vector code.

A tile written in Python keeps its accumulators as stack buffers and its steps as loops
over their lanes (kernels/_stack.py), which LLVM's vectorisers turn into vector code. It
does so with every weight of a step loaded and broadcast before the first multiply-add:
a tile of K channels then needs K broadcast registers beside its accumulators, and on
targets with 16 vector registers any tile of more than 8 accumulators spilled. Here the
loop is written in LLVM's vector types directly, each broadcast right before the
multiply-adds that use it, so a broadcast needs one register at a time and 12
accumulators fit in 16 registers.

    for i in range(n):
        for t in range(ntaps):
            at = v0 + i*vstep + taps[t]
            for k, base in enumerate(bases):
                for r in range(runs):
                    accs[k*runs + r][:] += bf[base + i*bstep + t] * vf[at + r*vrun:][:TILE]

`accs` are the tile's TILE-lane stack buffers (`tile_pointer`), k-major, read before and
written after the loop; `taps` None is one tap at offset 0. `fma_loop_vector` is the same
loop for tiles whose accumulators are one vector register each (their first
`tile_width` lanes: the 'direct' convolution's). Each product and sum is one
`llvm.fmuladd`: fused where the target has FMA (what the tiles' "contract" flag asks
for), so results equal the Python tiles' bit for bit, NaN and inf included.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._stack import TILE, register_lanes


def _index(context, builder, value, ty):
    return context.cast(builder, value, ty, types.intp)


def _data(context, builder, value, ty):
    return context.make_array(ty)(context, builder, value).data


def _typer(accs, vf, v0, vstep, vrun, taps, ntaps, bf, bases, bstep, n, whole_tile):
    """The loop of the module docstring: vf, bf 1-D float arrays of one dtype, taps None or
    a 1-D integer array of at least `ntaps` offsets along vf, bases a tuple of integers,
    accs a tuple of len(bases) * runs `tile_pointer`s of TILE lanes (`whole_tile`) or of
    one vector's."""
    if not (isinstance(accs, types.UniTuple) and isinstance(accs.dtype, types.CPointer)
            and isinstance(bases, types.UniTuple) and len(accs) % len(bases) == 0):
        return None
    dtype = accs.dtype.dtype
    if vf.dtype != dtype or bf.dtype != dtype:
        return None
    runs = len(accs) // len(bases)
    width = register_lanes(dtype.bitwidth)
    parts = TILE // width if whole_tile else 1
    tapped = not isinstance(taps, types.NoneType)
    signature = types.none(accs, vf, v0, vstep, vrun, taps, ntaps, bf, bases, bstep, n)

    def codegen(context, builder, sig, args):
        acc_ptrs = cgutils.unpack_tuple(builder, args[0])
        vp = _data(context, builder, args[1], sig.args[1])
        bp = _data(context, builder, args[7], sig.args[7])
        start, vstep_, vrun_, ntaps, bstep_, count = (
            _index(context, builder, args[i], sig.args[i]) for i in (2, 3, 4, 6, 9, 10))
        base_values = [_index(context, builder, b, sig.args[8].dtype)
                       for b in cgutils.unpack_tuple(builder, args[8])]
        scalar = context.get_value_type(dtype)
        vector = ir.VectorType(scalar, width)
        align = dtype.bitwidth // 8
        fmuladd = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vector, [vector] * 3),
            f"llvm.fmuladd.v{width}f{dtype.bitwidth}")
        splat = ir.Constant(ir.VectorType(ir.IntType(32), width), [0] * width)
        undef = ir.Constant(vector, ir.Undefined)
        lane0 = ir.Constant(ir.IntType(32), 0)

        def vector_at(pointer, offset):
            return builder.bitcast(builder.gep(pointer, [offset]), vector.as_pointer())

        def const(value):
            return context.get_constant(types.intp, value)

        # the accumulators as vector slots that LLVM promotes to registers
        slots = []
        for ptr in acc_ptrs:
            for part in range(parts):
                slot = cgutils.alloca_once(builder, vector)
                builder.store(builder.load(vector_at(ptr, const(part * width)), align=align),
                              slot)
                slots.append(slot)

        def step(v_at, b_at):
            rows = [builder.load(vector_at(vp, builder.add(
                builder.add(v_at, builder.mul(vrun_, const(r))), const(part * width))),
                align=align) for r in range(runs) for part in range(parts)]
            for k, base in enumerate(base_values):
                weight = builder.load(builder.gep(bp, [builder.add(base, b_at)]))
                broadcast = builder.shuffle_vector(
                    builder.insert_element(undef, weight, lane0), undef, splat)
                for j, row in enumerate(rows):
                    slot = slots[k * runs * parts + j]
                    builder.store(builder.call(fmuladd, [broadcast, row, builder.load(slot)]),
                                  slot)

        def one_tap(first):
            with cgutils.for_range(builder, count) as loop:
                step(builder.add(first, builder.mul(loop.index, vstep_)),
                     builder.mul(loop.index, bstep_))

        if not tapped:
            one_tap(start)
        else:
            tp = _data(context, builder, args[5], sig.args[5])
            tap0 = _index(context, builder, builder.load(tp), sig.args[5].dtype)
            with builder.if_else(builder.icmp_signed("==", ntaps, const(1))) as (one, many):
                with one:
                    one_tap(builder.add(start, tap0))
                with many:
                    with cgutils.for_range(builder, count) as outer:
                        v_i = builder.add(start, builder.mul(outer.index, vstep_))
                        b_i = builder.mul(outer.index, bstep_)
                        with cgutils.for_range(builder, ntaps) as inner:
                            tap = _index(context, builder,
                                         builder.load(builder.gep(tp, [inner.index])),
                                         sig.args[5].dtype)
                            step(builder.add(v_i, tap), builder.add(b_i, inner.index))
        for i, ptr in enumerate(acc_ptrs):
            for part in range(parts):
                builder.store(builder.load(slots[i * parts + part]),
                              vector_at(ptr, const(part * width)), align=align)
        return context.get_dummy_value()

    return signature, codegen


@intrinsic
def fma_loop(typingctx, accs, vf, v0, vstep, vrun, taps, ntaps, bf, bases, bstep, n):
    """The loop of the module docstring, over accumulators of TILE lanes."""
    return _typer(accs, vf, v0, vstep, vrun, taps, ntaps, bf, bases, bstep, n, True)


@intrinsic
def fma_loop_vector(typingctx, accs, vf, v0, vstep, vrun, taps, ntaps, bf, bases, bstep, n):
    """The loop of the module docstring, over accumulators of one vector register each."""
    return _typer(accs, vf, v0, vstep, vrun, taps, ntaps, bf, bases, bstep, n, False)
