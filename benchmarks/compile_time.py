"""Cold compile time of fastnn's kernels: what a fresh machine (CI) pays on first use.

    python benchmarks/compile_time.py              # every case below
    python benchmarks/compile_time.py depthwise    # cases whose name contains the text

Each case runs in a fresh interpreter with an empty NUMBA_CACHE_DIR: the op is called once
(its kernels compile) and again (cached in memory); the difference is the compile time.
NUMBA_CPU_NAME and NUMBA_CPU_FEATURES pass through, so the same cases can be timed for
another target (docs/PERF.md: emulating a CPU). The test suite compiles most kernels
several times (float32 and float64, read-only arguments, serial twins, the codegen probe
of each target in tests/runtime/test_codegen.py), so a kernel's compile time is paid many
times in a CI run.
"""
import os
import subprocess
import sys
import tempfile

from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

# name -> (the arrays, the op call, the variant forced or None); `a` makes a seeded
# float32 array in CHILD
CASES = {
    "conv2d blocked 3x3": ("x = a(1, 64, 14, 14); w = a(64, 64, 3, 3)",
                           "F.conv2d(x, w, padding=1)", "blocked"),
    "conv2d direct 7x7 s2": ("x = a(1, 3, 32, 32); w = a(64, 3, 7, 7)",
                             "F.conv2d(x, w, stride=2, padding=3)", "direct"),
    "conv2d pointwise 1x1": ("x = a(1, 64, 14, 14); w = a(64, 64, 1, 1)", "F.conv2d(x, w)",
                             "pointwise"),
    "conv2d depthwise 3x3": ("x = a(1, 32, 28, 28); w = a(32, 1, 3, 3)",
                             "F.conv2d(x, w, padding=1, groups=32)", "depthwise"),
    "conv2d depthwise_blocked 3x3": ("x = a(1, 64, 14, 14); w = a(64, 1, 3, 3)",
                                     "F.conv2d(x, w, padding=1, groups=64)",
                                     "depthwise_blocked"),
    "conv2d grouped_h3": ("x = a(1, 64, 14, 14); w = a(64, 4, 3, 3)",
                          "F.conv2d(x, w, padding=1, groups=16)", "grouped_h3"),
    "linear numba_gemm": ("x = a(64, 256); w = a(256, 256)", "F.linear(x, w)", "numba_gemm"),
    "linear packed": ("x = a(64, 256); w = a(256, 256)", "F.linear(x, w)", "packed"),
    "max_pool2d 3x3 s2": ("x = a(1, 16, 32, 32)", "F.max_pool2d(x, 3, 2, 1)", None),
}

CHILD = """
import contextlib
import time
import numpy as np
import fastnn
import fastnn.nn.functional as F
from fastnn import backends

def a(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)

{setup}
def call():
    {call}
with {context}:
    c0, t0 = time.process_time(), time.perf_counter()
    call()
    c1, t1 = time.process_time(), time.perf_counter()
    call()
    c2, t2 = time.process_time(), time.perf_counter()
print((t1 - t0) - (t2 - t1), (c1 - c0) - (c2 - c1))
"""


def compile_seconds(setup, call, variant):
    """(Seconds, CPU seconds of the process) the first `call` takes beyond the second,
    `variant` forced when given. Compiling runs on one thread, so on a machine whose other
    load or hypervisor takes the core away the CPU seconds are the steadier figure."""
    op = call.split("(")[0].split(".")[-1]
    context = (f"backends.use({op!r}, {variant!r})" if variant is not None
               else "contextlib.nullcontext()")
    source = CHILD.format(setup=setup, call=call, context=context)
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        done = subprocess.run([sys.executable, "-c", source], env=env, capture_output=True,
                              text=True, check=True)
    wall, cpu = done.stdout.split()[-2:]
    return float(wall), float(cpu)


def main(argv):
    print(cpu_model())
    print(f"{'case':32s} {'compile s':>9s} {'CPU s':>7s}")
    for name, (setup, call, variant) in CASES.items():
        if argv and not any(text in name for text in argv):
            continue
        wall, cpu = compile_seconds(setup, call, variant)
        print(f"{name:32s} {wall:9.1f} {cpu:7.1f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
