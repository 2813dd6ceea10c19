"""The codegen target: which vector width fastnn's kernels are compiled for, and why.

Numba compiles for the host CPU (or `NUMBA_CPU_NAME` / `NUMBA_CPU_FEATURES`). Two things
decide how fast a register-tiled kernel runs there:

- the register file: 32 registers of 512 bits with AVX-512, 16 of 256 with AVX/AVX2, 16 of
  128 on a plain x86-64 (SSE2) or an ARM core's NEON. The kernels choose their tile shapes
  from it (`accumulator_registers`), so the accumulators of one tile never outnumber the
  registers (a tile that does spills to the stack on every multiply-add);
- LLVM's tuning: for Intel's AVX-512 cores (skylake-avx512, icelake, rocketlake,
  sapphirerapids, ...) it carries `prefer-256-bit`, which splits every 512-bit accumulator
  into two 256-bit halves. fastnn's kernels override that preference per function, with
  LLVM's own function attributes (what clang's `-mprefer-vector-width=512` sets):
  ``"prefer-vector-width"="512"`` for the vectorisers and ``"min-legal-vector-width"="512"``
  for the backend (which the inliner carries into a parallel loop's body).

Nothing here changes how other Numba functions in the process compile: the attributes go
only on functions lowered while one of fastnn's kernels compiles (`njit` below) and whose
name is fastnn's or a parallel loop body's. The host's features, the CPU name and so Numba's
cache key (`magic_tuple`) are left alone, so kernels compiled for one target are never
loaded for another; the attributes depend only on that key.

There is no switch to narrow the width: the compile cache is keyed by CPU name and
features, and a setting outside that key would let kernels built under one setting load
under another. `NUMBA_CPU_NAME`/`NUMBA_CPU_FEATURES` choose another target, and are keyed.
"""
import inspect
import re
import threading

import numba
from numba.core import config

from . import _cache_stamp

_ATTRIBUTES_512 = ('"prefer-vector-width"="512"', '"min-legal-vector-width"="512"')
_OWN_FUNCTION = re.compile(r"fastnn|__numba_parfor_gufunc")

_compiling = threading.local()     # .depth: fastnn kernels being compiled in this thread
_hook_installed = False
_target = None


class Target:
    """What the kernels compile for: `cpu` and `features` as Numba passes them to LLVM,
    `vector_bits` (512, 256 or 128), `registers` (vector registers: 32 or 16), `fma`, and
    `reason`, one line on why."""

    def __init__(self, cpu, features, vector_bits, registers, fma, reason):
        self.cpu, self.features = cpu, features
        self.vector_bits, self.registers, self.fma, self.reason = (vector_bits, registers,
                                                                   fma, reason)

    def __repr__(self):
        return (f"Target(cpu={self.cpu!r}, vector_bits={self.vector_bits}, "
                f"registers={self.registers}, fma={self.fma})")


def _numba_cpu():
    """The CPU name and feature string Numba's JIT target machine is created with."""
    import llvmlite.binding as ll
    from numba.core.codegen import get_host_cpu_features
    cpu = config.CPU_NAME or ll.get_host_cpu_name()
    features = config.CPU_FEATURES
    if features is None:
        features = get_host_cpu_features()
    return cpu, features


_PROBE = """
define <16 x float> @probe(<16 x float> %a, <16 x float> %b, <16 x float> %c) #0 {
  %r = call <16 x float> @llvm.fma.v16f32(<16 x float> %a, <16 x float> %b, <16 x float> %c)
  ret <16 x float> %r
}
declare <16 x float> @llvm.fma.v16f32(<16 x float>, <16 x float>, <16 x float>)
attributes #0 = { "prefer-vector-width"="512" "min-legal-vector-width"="512" }
"""


def _probe(cpu, features):
    """(widest vector register in bits, FMA instructions available), read from the code
    LLVM emits for one 16-lane fused multiply-add on this target."""
    import llvmlite.binding as ll
    from numba.core.codegen import initialize_llvm
    initialize_llvm()
    machine = ll.Target.from_default_triple().create_target_machine(
        cpu=cpu, features=features, opt=2)
    asm = machine.emit_assembly(ll.parse_assembly(_PROBE))
    bits = 512 if "zmm" in asm else 256 if "ymm" in asm else 128
    fma = bool(re.search(r"\bv?fn?madd", asm))
    return bits, fma


def target():
    """The Target, found once per process (never at import: it asks LLVM)."""
    global _target
    if _target is None:
        cpu, features = _numba_cpu()
        try:
            bits, fma = _probe(cpu, features)
        except Exception as error:      # a platform LLVM cannot emit for: plain code
            bits, fma, why = 128, False, f"LLVM probe failed ({error})"
        else:
            why = {512: "AVX-512: 32 registers of 512 bits",
                   256: "AVX/AVX2: 16 registers of 256 bits",
                   128: "no 256-bit vectors: 16 registers of 128 bits"}[bits]
        registers = 32 if bits == 512 else 16
        _target = Target(cpu, features, bits, registers, fma, why)
    return _target


def accumulator_registers():
    """Vector registers a register tile may fill with accumulators: the rest hold the
    weights and the broadcast input values of one step."""
    return 28 if target().registers == 32 else 12


def _wants_attributes():
    return target().vector_bits == 512


def _add_attributes(module):
    for function in module.functions:
        if function.blocks and _OWN_FUNCTION.search(function.name):
            for attribute in _ATTRIBUTES_512:
                # llvmlite's FunctionAttributes.add knows only LLVM's enum attributes; a
                # string attribute is valid IR and is printed as it is
                set.add(function.attributes, attribute)


def _install_lowering_hook():
    """Wrap Numba's post-lowering step once per copy of this module: a second copy of the
    package in the process (benchmarks/against_commit.py imports the base commit's as
    ``fastnn_base``) wraps the first's hook with its own, so each copy's kernels get the
    attributes while that copy compiles them (a hook watches its own module's
    `_compiling` only)."""
    global _hook_installed
    if _hook_installed:
        return
    from numba.core import cpu as numba_cpu
    original = numba_cpu.CPUContext.post_lowering

    def post_lowering(self, mod, library):
        if getattr(_compiling, "depth", 0) and _wants_attributes():
            _add_attributes(mod)
        return original(self, mod, library)

    numba_cpu.CPUContext.post_lowering = post_lowering
    _hook_installed = True


def _scoped(dispatcher):
    """`dispatcher` whose compilations (and the callees they compile) lower with the
    target's attributes, and whose compile cache is judged fresh by `_cache_stamp`."""
    compile_sig = dispatcher.compile
    stamped = []

    def compile(sig):
        _install_lowering_hook()
        if not stamped:      # Numba reads its cache only inside compile: no cost at import
            _stamp_cache(dispatcher)
            stamped.append(True)
        _compiling.depth = getattr(_compiling, "depth", 0) + 1
        try:
            return compile_sig(sig)
        finally:
            _compiling.depth -= 1

    dispatcher.compile = compile
    return dispatcher


def _stamp_cache(dispatcher):
    # Numba's FunctionCache took its own file's stamp when the kernel was decorated
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if cache_file is not None:
        covering = _cache_stamp.stamp(inspect.getfile(dispatcher.py_func))
        if covering is not None:
            cache_file._source_stamp = covering


def njit(*args, **options):
    """`numba.njit` for fastnn's kernels: the same options, compiled for `target()`."""
    if args and callable(args[0]):
        return _scoped(numba.njit(**options)(args[0]))

    def decorate(function):
        return _scoped(numba.njit(*args, **options)(function))
    return decorate
