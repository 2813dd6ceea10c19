"""Software prefetch for writing: the cache lines a kernel is about to store into, fetched
for ownership while it computes (llvm.prefetch, rw = 1)."""
from llvmlite import ir
from numba import types
from numba.extending import intrinsic


@intrinsic
def prefetch_for_write(typingctx, flat, at):
    """Ask for the cache line holding flat[at] (a 1-D array) in a writable state; a hint,
    never a fault, wherever `at` points."""
    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        pointer = builder.bitcast(builder.gep(array.data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function = builder.module.declare_intrinsic(
            "llvm.prefetch", [pointer.type],
            ir.FunctionType(ir.VoidType(), [pointer.type, i32, i32, i32]))
        builder.call(function, [pointer, ir.Constant(i32, 1), ir.Constant(i32, 3),
                                ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.none(flat, at), codegen
