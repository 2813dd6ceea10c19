"""`python -m fastnn bench`: fastnn against PyTorch, op by op, in one process.

Each case is timed for fastnn and torch in alternating blocks of at least `block_seconds`
(so neither side keeps a warm cache or idle threads to itself), after one untimed call
that compiles the kernel; the figure is the median per-call time over the blocks.
Speedup = torch time / fastnn time, both at the same thread count.
"""
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np

import fastnn
import fastnn.nn.functional as F


@dataclass
class Case:
    group: str
    name: str
    make: object           # make(dtype) -> (fastnn_call, torch_call or None, work)
    unit: str = "GFLOP/s"  # work is in FLOP ('GFLOP/s') or bytes ('GB/s'); None: no rate


def _conv_flops(out_shape, weight_shape, groups):
    n, c_out, *spatial = out_shape
    return 2 * n * c_out * np.prod(spatial) * np.prod(weight_shape[1:])


def _conv(dims, n, c_in, c_out, size, kernel, stride=1, padding=0, dilation=1, groups=1):
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n, c_in) + (size if isinstance(size, tuple) else (size,) * dims),
                                dtype=np.float64).astype(dtype)
        w = rng.standard_normal((c_out, c_in // groups) + (kernel,) * dims).astype(dtype)
        b = rng.standard_normal(c_out).astype(dtype)
        op = getattr(F, f"conv{dims}d")
        args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        out_shape = op(x, w, b, **args).shape
        ours = lambda: op(x, w, b, **args)  # noqa: E731
        theirs = _torch_call(lambda torch: getattr(torch.nn.functional, f"conv{dims}d"),
                             x, w, b, **args)
        return ours, theirs, _conv_flops(out_shape, w.shape, groups)
    return make


def _max_pool(dims, shape, kernel, stride=None, padding=0):
    def make(dtype):
        x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
        op = getattr(F, f"max_pool{dims}d")
        out = op(x, kernel, stride, padding)
        ours = lambda: op(x, kernel, stride, padding)  # noqa: E731
        theirs = _torch_call(lambda torch: getattr(torch.nn.functional, f"max_pool{dims}d"),
                             x, kernel, stride, padding)
        return ours, theirs, x.nbytes + out.nbytes
    return make


def _linear(batch, c_in, c_out):
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, c_in)).astype(dtype)
        w = rng.standard_normal((c_out, c_in)).astype(dtype)
        b = rng.standard_normal(c_out).astype(dtype)
        ours = lambda: F.linear(x, w, b)  # noqa: E731
        theirs = _torch_call(lambda torch: torch.nn.functional.linear, x, w, b)
        return ours, theirs, 2 * batch * c_in * c_out
    return make


def _model(name, **input_args):
    def make(dtype):
        from fastnn import examples
        fastnn.manual_seed(0)
        model = examples.load(name).build().eval()
        if dtype == np.float64:
            model.double()
        x = np.asarray(examples.load(name).example_input(**input_args), dtype=dtype)
        ours = lambda: model(x)  # noqa: E731
        return ours, _torch_model_call(name, model, x), None
    return make


def _torch_model_call(name, model, x):
    """The same example model under torch, with fastnn's weights."""
    from fastnn import examples
    torch = _torch()
    if torch is None:
        return None
    reference = examples.load(name, "torch").build().eval()
    if x.dtype == np.float64:
        reference.double()
    reference.load_state_dict({key: torch.from_numpy(np.array(value))
                               for key, value in model.state_dict().items()})
    tx = torch.from_numpy(x)

    def call():
        with torch.no_grad():
            return reference(tx)
    return call


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_call(get_op, *args, **kwargs):
    torch = _torch()
    if torch is None:
        return None
    op = get_op(torch)
    args = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]

    def call():
        with torch.no_grad():
            return op(*args, **kwargs)
    return call


CASES = [
    Case("conv2d", "3x3 p1 n1 64ch 56x56", _conv(2, 1, 64, 64, 56, 3, padding=1)),
    Case("conv2d", "3x3 p1 n8 128ch 28x28", _conv(2, 8, 128, 128, 28, 3, padding=1)),
    Case("conv2d", "7x7 s2 p3 stem n1 3->64 224x224", _conv(2, 1, 3, 64, 224, 7, 2, 3)),
    Case("conv2d", "3x3 d2 p2 n1 256ch 33x33", _conv(2, 1, 256, 256, 33, 3, 1, 2, 2)),
    Case("conv2d", "1x1 n8 256->64 56x56", _conv(2, 8, 256, 64, 56, 1)),
    Case("conv2d", "depthwise 3x3 p1 n8 128ch 56x56",
         _conv(2, 8, 128, 128, 56, 3, padding=1, groups=128)),
    Case("conv2d", "grouped 3x3 p1 g32 n8 128ch 28x28",
         _conv(2, 8, 128, 128, 28, 3, padding=1, groups=32)),
    Case("conv3d", "3x3x3 p1 n1 64ch 8x28x28", _conv(3, 1, 64, 64, (8, 28, 28), 3, padding=1)),
    Case("conv3d", "3x3x3 p1 n1 64ch 16x28x28",
         _conv(3, 1, 64, 64, (16, 28, 28), 3, padding=1)),
    Case("conv3d", "depthwise 3x3x3 p1 n2 64ch 8x28x28",
         _conv(3, 2, 64, 64, (8, 28, 28), 3, padding=1, groups=64)),
    Case("conv1d", "k3 d4 p4 n8 64ch L1024", _conv(1, 8, 64, 64, 1024, 3, 1, 4, 4)),
    Case("max_pool2d", "k3 s2 p1 n8 64ch 112x112", _max_pool(2, (8, 64, 112, 112), 3, 2, 1),
         "GB/s"),
    Case("max_pool2d", "k2 n32 16ch 56x56", _max_pool(2, (32, 16, 56, 56), 2), "GB/s"),
    Case("max_pool3d", "k2 n2 64ch 16x56x56", _max_pool(3, (2, 64, 16, 56, 56), 2), "GB/s"),
    Case("linear", "256x1024 @ 1024->1024", _linear(256, 1024, 1024)),
    Case("linear", "1x4096 @ 4096->1000", _linear(1, 4096, 1000)),
    Case("model", "LeNet batch 1", _model("lenet", batch_size=1), None),
    Case("model", "ResNet-18 batch 1 224x224", _model("resnet", batch_size=1), None),
]


def time_pair(ours, theirs, block_seconds=0.1, rounds=5):
    """Median seconds per call of `ours` and `theirs`, in alternating blocks."""
    calls = {}
    for name, fn in (("ours", ours), ("theirs", theirs)):
        if fn is None:
            continue
        started = time.perf_counter()
        fn()
        once = max(time.perf_counter() - started, 1e-7)
        calls[name] = (fn, max(1, int(block_seconds / once)))
    samples = {name: [] for name in calls}
    for _ in range(rounds):
        for name, (fn, repeat) in calls.items():
            started = time.perf_counter()
            for _ in range(repeat):
                fn()
            samples[name].append((time.perf_counter() - started) / repeat)
    return tuple(statistics.median(samples[name]) if name in samples else None
                 for name in ("ours", "theirs"))


def run_cases(cases, dtype=np.float32, block_seconds=0.1, rounds=5, progress=None):
    rows = []
    for index, case in enumerate(cases):
        if progress:
            progress(index, len(cases), case)
        ours, theirs, work = case.make(dtype)
        ours()                                # compile (never timed)
        t_ours, t_theirs = time_pair(ours, theirs, block_seconds, rounds)
        rate = work / t_ours / 1e9 if work and case.unit else None
        speedup = t_theirs / t_ours if t_theirs else None
        rows.append((case, t_ours, t_theirs, rate, speedup))
    return rows


def format_table(rows):
    lines = [f"{'op':<11} {'case':<36} {'fastnn ms':>10} {'torch ms':>9} {'rate':>14} "
             f"{'speedup':>8}"]
    for case, t_ours, t_theirs, rate, speedup in rows:
        torch_ms = f"{t_theirs * 1e3:9.3f}" if t_theirs else f"{'-':>9}"
        rate_text = f"{rate:7.1f} {case.unit}" if rate else ""
        speed = f"{speedup:7.2f}x" if speedup else f"{'-':>8}"
        lines.append(f"{case.group:<11} {case.name:<36} {t_ours * 1e3:10.3f} {torch_ms} "
                     f"{rate_text:>14} {speed}")
    speedups = [row[4] for row in rows if row[4]]
    if speedups:
        geomean = float(np.exp(np.mean(np.log(speedups))))
        lines.append(f"geometric mean speedup over {len(speedups)} cases: {geomean:.2f}x")
    return "\n".join(lines)


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [row for row in rows if row[4]]
    labels = [f"{row[0].group} {row[0].name}" for row in rows]
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(rows) + 1.2))
    ax.barh(labels[::-1], [row[4] for row in rows][::-1])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("speedup vs PyTorch (torch time / fastnn time)")
    ax.set_xscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def add_arguments(parser):
    parser.add_argument("--only", default="", metavar="TEXT",
                        help="run only cases whose op or name contains TEXT")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--threads", type=int, default=2, help="threads for both (2)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating blocks (5)")
    parser.add_argument("--plot", metavar="PNG", default=None,
                        help="also write a bar chart of the speedups (needs matplotlib)")


def main(args, stream=sys.stdout):
    fastnn.set_num_threads(args.threads)
    torch = _torch()
    if torch is None:
        print("torch is not installed: showing fastnn's times only", file=stream)
    else:
        torch.set_num_threads(args.threads)
    cases = [c for c in CASES if args.only in f"{c.group} {c.name}"]

    def progress(index, total, case):
        stream.write(f"\r[{index + 1}/{total}] {case.group} {case.name:<40}")
        stream.flush()

    rows = run_cases(cases, np.dtype(args.dtype), rounds=args.rounds, progress=progress)
    stream.write("\r" + " " * 60 + "\r")
    print(f"{args.dtype}, {args.threads} threads, median of {args.rounds} alternating blocks",
          file=stream)
    print(format_table(rows), file=stream)
    if args.plot:
        plot(rows, args.plot)
        print(f"chart written to {args.plot}", file=stream)
    return 0
