"""Compile the register-tiled kernels for the codegen target of this process, without
running them, and print the instruction mix of each kernel's hot loop as JSON.

Run by tests/runtime/test_codegen.py in a fresh interpreter per target (`NUMBA_CPU_NAME`,
`NUMBA_CPU_FEATURES=""` for that CPU's own features, an empty `NUMBA_CACHE_DIR`): code for
another CPU must never run here, so kernel launches are recorded instead of run and each
recorded kernel is compiled for its argument types. What is compiled is the kernel's serial
twin (`_runtime.serial_twin`: the same function, prange run as range): the same tiles and
loops, without the parallel lowering that outlines the loop body into a gufunc, which
doubled the probe's compile time and does not touch the tile's inner loop. By hand:

    NUMBA_CPU_NAME=skylake-avx512 NUMBA_CPU_FEATURES= NUMBA_CACHE_DIR=$(mktemp -d) \\
        python tests/codegen_probe.py
"""
import json
import re
import sys

import numpy as np
from numba import typeof

import fastnn
import fastnn.nn.functional as F
from fastnn import _runtime, backends
from fastnn.kernels._target import target
from fastnn.nn.functional import _conv_grad

# Each kernel family: (family, op (a functional's name, or a function), variant, arguments,
# keywords, the kernel with the hot loop). Only that kernel is compiled: compiling is most
# of the probe's time.
_R = np.random.default_rng(0)


def _a(*shape):
    return _R.standard_normal(shape).astype(np.float32)


CASES = [
    ("blocked", "conv2d", "blocked", (_a(1, 64, 14, 14), _a(64, 64, 3, 3), _a(64)),
     dict(padding=1), "conv3d_blocked"),
    ("direct", "conv2d", "direct", (_a(1, 3, 32, 32), _a(64, 3, 7, 7), _a(64)),
     dict(stride=2, padding=3), "conv3d_direct"),
    ("pointwise", "conv2d", "pointwise", (_a(1, 64, 14, 14), _a(64, 64, 1, 1), _a(64)), {},
     "conv_rows"),
    ("depthwise", "conv2d", "depthwise", (_a(1, 32, 28, 28), _a(32, 1, 3, 3), _a(32)),
     dict(padding=1, groups=32), "conv3d_depthwise"),
    ("depthwise_blocked", "conv2d", "depthwise_blocked",
     (_a(1, 64, 14, 14), _a(64, 1, 3, 3), _a(64)), dict(stride=2, padding=1, groups=64),
     "conv2d_depthwise_blocked"),
    ("grouped", "conv2d", "grouped_h3", (_a(1, 64, 14, 14), _a(64, 4, 3, 3), _a(64)),
     dict(padding=1, groups=16), "conv3d_grouped_h3"),
    ("gemm", "linear", "numba_gemm", (_a(64, 256), _a(256, 256), _a(256)), {}, "gemm_nt"),
    ("gemm_packed", "linear", "packed", (_a(64, 256), _a(256, 256), _a(256)), {},
     "gemm_packed"),
    ("max_pool", "max_pool2d", None, (_a(1, 16, 32, 32), 3, 2, 1), {}, "max_pool3d"),
    ("weight_grad", _conv_grad._weight_grad_gather, None,
     (_a(1, 3, 1, 16, 16), _a(1, 64, 1, 8, 8), np.empty((64, 3, 1, 3, 3), np.float32),
      (1, 2, 2), (0, 1, 1), (1, 1, 1)), {}, "weight_grad_gather"),
]
# Packed instructions only: a scalar remainder or fallback loop is not the hot loop. Max
# pooling has no multiply-adds: its hot loop compares (torch's NaN rule) and selects.
_HOT = {"max_pool": re.compile(r"\bv?(maxp|cmp\w*p)[sd]\b")}
_FMA = re.compile(r"\bv?fn?madd\d*p[sd]\b")
_LABEL = re.compile(r"^(\.?L\w+):")
_BRANCH = re.compile(r"^\s*j\w+\s+(\.?L\w+)")
# a stack slot: an offset from %rsp, or a negative one from a frame pointer %rbp, with no
# index register (LLVM also uses %rbp as an ordinary base register, indexed)
_SLOT = r"(-?\d*\(%rsp\)|-\d+\(%rbp\))"
_STACK = re.compile(_SLOT)
# a vector register written to a stack slot: AT&T puts the destination last
_SPILL = re.compile(r"%[xyz]mm\d+,\s*" + _SLOT)
_VECTOR = re.compile(r"%([xyz]mm)\d+")
# one lane of a vector register stored to memory: how LLVM's SLP vectoriser broke up a
# tile's row stores written as a loop over its lanes (kernels/_stack.py `store_tile`)
_LANE_STORE = re.compile(r"\bv?extractps\s+\$\d+,\s*%xmm\d+,\s*-?\d*\(")
# a register tile's own function in the LLVM IR (kernels/tiles_*.py), and a reference
# count operation in it: an atomic on an array shared by every thread, per tile
_TILE_FUNCTION = re.compile(r"^define [^@]*@\S*tiles_\w+.*?^}", re.M | re.S)
_REFCOUNT = re.compile(r"@NRT_(incref|decref)\b")


def tile_refcounts(llvm_ir):
    """Reference count operations inside the tile functions of a kernel's LLVM IR."""
    return sum(len(_REFCOUNT.findall(f.group(0))) for f in _TILE_FUNCTION.finditer(llvm_ir))


def recorded_launches(op, variant, args, kwargs):
    """The (kernel, args) pairs that calling `op` launches, none of them run."""
    launches = []
    real = _runtime._call
    _runtime._call = lambda kernel, kernel_args: launches.append((kernel, kernel_args))
    try:
        fn = op if callable(op) else getattr(F, op)
        if variant is None:
            fn(*args, **kwargs)
        else:
            with backends.use(op, variant):
                fn(*args, **kwargs)
    finally:
        _runtime._call = real
    return launches


def loops(asm):
    """Every loop of `asm` as its lines, from a label to the last branch back to it."""
    lines = asm.splitlines()
    labels, found = {}, []
    for i, line in enumerate(lines):
        label = _LABEL.match(line.strip())
        if label:
            labels[label.group(1)] = i
        branch = _BRANCH.match(line)
        if branch and labels.get(branch.group(1), i) < i:
            found.append((labels[branch.group(1)], i))
    return [(start, end, lines[start:end + 1]) for start, end in found]


def hot_loops(asm, hot):
    """The innermost loops with the most `hot` instructions: one per tile a kernel inlines
    (two where it picks a tile at run time, as 'grouped_h3' does by stride)."""
    candidates = [(s, e, body) for s, e, body in loops(asm)
                  if any(hot.search(line) for line in body)]
    innermost = [body for s, e, body in candidates
                 if not any(s <= s2 and e2 <= e and (s2, e2) != (s, e)
                            for s2, e2, _ in candidates)]
    count = [sum(bool(hot.search(x)) for x in body) for body in innermost]
    return [body for body, n in zip(innermost, count) if n == max(count)]


def _loop_mix(body, hot):
    hot_lines = [line for line in body if hot.search(line)]
    return {"hot": len(hot_lines),
            "registers": sorted({r for line in hot_lines for r in _VECTOR.findall(line)}),
            "spills": sum(bool(_SPILL.search(line)) for line in body),
            "reloads": sum(bool(_STACK.search(line) and _VECTOR.search(line)
                                and not _SPILL.search(line)) for line in body),
            "lines": len(body)}


def mix(asm, hot):
    """The instruction mix of the worst of the hot loops (most spills, then reloads)."""
    mixes = [_loop_mix(body, hot) for body in hot_loops(asm, hot)]
    if not mixes:
        return {"hot": 0, "registers": [], "spills": 0, "reloads": 0, "lines": 0}
    return max(mixes, key=lambda m: (m["spills"], m["reloads"], len(m["registers"])))


def main(argv):
    """argv: family names to probe (all when none); --dump DIR writes each kernel's asm."""
    dump = argv[argv.index("--dump") + 1] if "--dump" in argv else None
    only = [a for a in argv if a != "--dump" and a != dump]
    fastnn.set_num_threads(2)
    report = {"cpu": target().cpu, "vector_bits": target().vector_bits,
              "registers": target().registers, "kernels": {}}
    for family, op, variant, args, kwargs, name in CASES:
        if only and family not in only:
            continue
        for kernel, kernel_args in recorded_launches(op, variant, args, kwargs):
            if kernel.__name__ == name:
                kernel = _runtime.serial_twin(kernel)
                signature = tuple(typeof(a) for a in kernel_args)
                kernel.compile(signature)
                asm = kernel.inspect_asm(signature)
                report["kernels"][family] = dict(
                    mix(asm, _HOT.get(family, _FMA)), lane_stores=len(_LANE_STORE.findall(asm)),
                    tile_refcounts=tile_refcounts(kernel.inspect_llvm(signature)))
                if dump:
                    with open(f"{dump}/{family}.s", "w") as file:
                        file.write(asm)
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
