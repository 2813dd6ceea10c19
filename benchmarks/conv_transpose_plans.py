"""The transposed convolution's two forms for phases that cannot be stacked, timed on the
same calls: 'phases' (one convolution per output phase, then one placing pass) and
'gathered' (one 1x1 convolution giving every tap's products, then one summing pass);
`_conv_transpose_run._gather_pays` picks one by these figures. With --stacks, instead:
stacks of one-tap phases (kernel = stride) with their channels (channel, phase), the
weight transposed in one copy ('interleaved', the plan's pick), and (phase, channel), a
weight gathered per phase ('per phase'). With --products: the gathered form with its
taps' products on the 1x1 convolution and on linear's packed operands
(`_conv_transpose_run._products_packed` picks one).

    python benchmarks/conv_transpose_plans.py [--threads N] [--stacks | --products]

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
    # one sample's products beyond GATHER_MAX_PRODUCTS
    ("k3 s2 p1 op1 n1 64->32 64x64", 2, 1, 64, 32, 64, 3, 2, 1, 1),
    ("k3 s2 p1 op1 n1 128->64 64x64", 2, 1, 128, 64, 64, 3, 2, 1, 1),
    ("k3 s2 p1 op1 n1 32->16 128x128", 2, 1, 32, 16, 128, 3, 2, 1, 1),
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

# one-tap phases: UNet's and a 3-D U-Net's upsampling, and a 1-D one (--stacks)
STACK_CASES = [
    ("UNet k2 s2 n1 256->128 28x28", 2, 1, 256, 128, 28, 2, 2, 0, 0),
    ("UNet k2 s2 n1 512->256 14x14", 2, 1, 512, 256, 14, 2, 2, 0, 0),
    ("UNet k2 s2 n8 64->32 56x56", 2, 8, 64, 32, 56, 2, 2, 0, 0),
    ("3-D k2 s2 n1 32->16 16^3", 3, 1, 32, 16, 16, 2, 2, 0, 0),
    ("1-D k4 s4 n4 64->32 L256", 1, 4, 64, 32, 256, 4, 4, 0, 0),
]


def _setup(dims, n, c_in, c_out, size, k, s, p, op):
    """A case's kernel arguments (5-D), the plan the rule makes, and `plan(gather=...)`."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c_in) + (size,) * dims).astype(np.float32)
    w = rng.standard_normal((c_in, c_out) + (k,) * dims).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32)
    inputs, attrs = api._normalize(dims, x, w, b, s, p, op)
    meta = api._meta(dims, inputs, attrs)
    out = np.empty(meta[0], np.float32)
    x5, w5, b5, o5, chosen = api._kernel_args(inputs, attrs, out,
                                              api._plan(dims, inputs, attrs, meta))

    def plan(gather):
        return run.plan(x5.shape, w5.shape, o5.shape, *(
            tuple(v) for v in ((1,) * (3 - dims) + attrs.stride,
                               (0,) * (3 - dims) + attrs.padding,
                               (1,) * (3 - dims) + attrs.dilation)), 1, gather=gather)
    return (x5, w5, b5, o5), chosen, plan


def _calls(*case):
    """The two forms' calls on one case, and the rule's pick."""
    args, chosen, plan = _setup(*case)
    calls = {form: (lambda plan=plan(gather): run.run(*args, plan))
             for form, gather in (("phases", False), ("gathered", True))}
    return calls, "gathered" if chosen.gathered else "phases"


def _stack_calls(*case):
    """A one-tap stack's calls with its channels interleaved and per phase."""
    args, chosen, _ = _setup(*case)
    assert chosen.interleaved, "not a stack of one-tap phases"
    per_phase = chosen._replace(interleaved=False)
    return {"interleaved": lambda: run.run(*args, chosen),
            "per phase": lambda: run.run(*args, per_phase)}, "interleaved"


def _products_calls(*case):
    """The gathered form's calls with its products on the 1x1 convolution and on linear's
    packed operands (`_conv_transpose_run._products_packed` forced either way)."""
    args, _, plan = _setup(*case)
    gathered = plan(True)
    if not gathered.gathered:
        return None, None

    def call(packed):
        def forced():
            rule = run._products_packed
            run._products_packed = lambda x, rows: packed
            try:
                run.run(*args, gathered)
            finally:
                run._products_packed = rule
        return forced
    x, w = args[:2]
    chosen = "packed" if run._products_packed(x, w[0].size) else "1x1 conv"
    return {"1x1 conv": call(False), "packed": call(True)}, chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--stacks", action="store_true",
                        help="time stacks of one-tap phases interleaved and per phase")
    parser.add_argument("--products", action="store_true",
                        help="time the gathered form's products on the 1x1 convolution "
                             "and on packed operands")
    args = parser.parse_args()
    fastnn.set_num_threads(args.threads)
    cases, make = ((STACK_CASES, _stack_calls) if args.stacks else
                   (CASES, _products_calls) if args.products else (CASES, _calls))
    print(f"{cpu_model()}, {args.threads} thread(s); ms per call, rule's choice *")
    forms = None
    for name, *case in cases:
        calls, chosen = make(*case)
        if calls is None:
            continue
        if forms is None:
            forms = list(calls)
            print(f"  {'case':<36} " + " ".join(f"{f:>11}" for f in forms))
        times = _bench.time_many(calls)
        cells = [f"{times[f] * 1e3:10.3f}{'*' if f == chosen else ' '}" for f in forms]
        print(f"  {name:<36} " + " ".join(cells))


if __name__ == "__main__":
    main()
