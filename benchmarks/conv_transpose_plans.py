"""The transposed convolution's two forms for phases that cannot be stacked, timed on the
same calls: 'phases' (one convolution per output phase, then one placing pass) and
'gathered' (one 1x1 convolution giving every tap's products, then one summing pass);
`_conv_transpose_run._gather_pays` picks one by these figures.

    python benchmarks/conv_transpose_plans.py [--threads N]

Prints the CPU model, then ms per call of each form (medians of alternating blocks in one
process, fastnn._bench.time_many) and the rule's choice (*). 1 thread unless said.
"""
import argparse

import numpy as np
from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

import fastnn
from fastnn import _bench
from fastnn.nn.functional import _conv_transpose as api
from fastnn.nn.functional import _conv_transpose_run as run

# (name, dims, batch, C_in, C_out, input size, kernel, stride, padding, output_padding)
CASES = [
    ("k3 s2 p1 op1 n1 128->64 32x32", 2, 1, 128, 64, 32, 3, 2, 1, 1),
    ("k3 s2 p1 op1 n1 32->32 32x32", 2, 1, 32, 32, 32, 3, 2, 1, 1),
    ("k3 s2 p1 op1 n1 256->128 14x14", 2, 1, 256, 128, 14, 3, 2, 1, 1),
    ("k5 s2 p2 op1 n1 128->64 16x16", 2, 1, 128, 64, 16, 5, 2, 2, 1),
    ("k3 s2 p1 op1 n8 128->64 28x28", 2, 8, 128, 64, 28, 3, 2, 1, 1),
    ("k3 s2 p1 op1 n8 64->32 16x16", 2, 8, 64, 32, 16, 3, 2, 1, 1),
    # ResNet's strided 3x3 input gradients at batch 8 (the convolutions' own shapes)
    ("k3 s2 p1 op1 n8 512->256 4x4", 2, 8, 512, 256, 4, 3, 2, 1, 0),
    ("k3 s2 p1 op1 n8 256->128 7x7", 2, 8, 256, 128, 7, 3, 2, 1, 1),
    ("k3 s2 p1 op1 n2 512->256 7x7", 2, 2, 512, 256, 7, 3, 2, 1, 1),
    ("1-D k3 s2 p1 op1 n4 64->32 L1024", 1, 4, 64, 32, 1024, 3, 2, 1, 1),
    ("3-D k3 s2 p1 op1 n1 32->16 16^3", 3, 1, 32, 16, 16, 3, 2, 1, 1),
    ("3-D k3 s2 p1 op1 n1 64->32 8^3", 3, 1, 64, 32, 8, 3, 2, 1, 1),
    ("3-D k3 s2 p1 op1 n2 32->32 8^3", 3, 2, 32, 32, 8, 3, 2, 1, 1),
]


def _calls(dims, n, c_in, c_out, size, k, s, p, op):
    """The two forms' calls on one case, and the rule's pick."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c_in) + (size,) * dims).astype(np.float32)
    w = rng.standard_normal((c_in, c_out) + (k,) * dims).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32)
    inputs, attrs = api._normalize(dims, x, w, b, s, p, op)
    meta = api._meta(dims, inputs, attrs)
    out = np.empty(meta[0], np.float32)
    x5, w5, b5, o5, chosen = api._kernel_args(inputs, attrs, out,
                                              api._plan(dims, inputs, attrs, meta))
    calls = {}
    for form, gather in (("phases", False), ("gathered", True)):
        plan = run.plan(x5.shape, w5.shape, o5.shape, *(
            tuple(v) for v in ((1,) * (3 - dims) + attrs.stride,
                               (0,) * (3 - dims) + attrs.padding,
                               (1,) * (3 - dims) + attrs.dilation)), 1, gather=gather)
        calls[form] = (lambda plan=plan: run.run(x5, w5, b5, o5, plan))
    return calls, "gathered" if chosen.gathered else "phases"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    threads = parser.parse_args().threads
    fastnn.set_num_threads(threads)
    print(f"{cpu_model()}, {threads} thread(s); ms per call, rule's choice *")
    print(f"  {'case':<36} {'phases':>9} {'gathered':>9}")
    for name, *case in CASES:
        calls, chosen = _calls(*case)
        times = _bench.time_many(calls)
        cells = [f"{times[f] * 1e3:8.3f}{'*' if f == chosen else ' '}"
                 for f in ("phases", "gathered")]
        print(f"  {name:<36} {cells[0]} {cells[1]}")


if __name__ == "__main__":
    main()
