"""`python -m fastnn demo`: inference with a model of `fastnn.models` (ResNet-18 unless
``--model`` names another), compiled by `fastnn.optimize_for_inference`, with a per-layer
timing table.

The compiled model runs a graph of fused ops (BatchNorm folded, relu and the residual
additions in the convolutions), so a layer of the table is a node of that graph, named by
the module that made it, timed by the graph runner's per-node hook
(`fastnn._program.Program.run`); the runner's own time is reported as "between layers".

The first batch shows which layer is running and whether its kernels compile or load from
Numba's cache (told apart by Numba's compile events, `fastnn._compile_notice`): on a
terminal one line rewritten in place, otherwise plain lines, one per layer that compiled.
While the graph is captured the layers are the model's modules (forward pre-hooks on its
copy); then its nodes, whose fused kernels compile on their first run.
"""
import argparse
import statistics
import sys
import time

import numpy as np

import fastnn
from fastnn import _compile_notice


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def add_arguments(parser):
    parser.add_argument("--batch-size", type=positive_int, default=8, help="images per batch (8)")
    parser.add_argument("--image-size", type=positive_int, default=224,
                        help="height and width of the synthetic images (224)")
    parser.add_argument("--iterations", type=positive_int, default=3,
                        help="timed batches after the warm-up batch (3)")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="kernel threads (default: all cores)")
    parser.add_argument("--model", metavar="NAME", default="resnet18",
                        help="a model of fastnn.models, by torchvision's name (resnet18); "
                             "--list-models shows them")
    parser.add_argument("--list-models", action="store_true",
                        help="print the models --model accepts and exit")
    parser.add_argument("--weights", metavar="PATH", default=None,
                        help="a state_dict of that model, e.g. torchvision's checkpoint "
                             "(.pt/.pth in torch's zip format, .safetensors or .npz); default: "
                             "seeded random weights")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and images (0)")


class NodeTimer:
    """Time per node of a compiled graph (`Program.run`'s hook), and each node's layer
    name (its module, or the node's name), kind (op and fused epilogue) and output shape."""

    def __init__(self, program):
        self.program = program
        nodes = program.graph.nodes
        self.leaves = [(node.module or node.name, _kind(node)) for node in nodes]
        self.shapes = [tuple(node.shape) if node.shape is not None else () for node in nodes]
        self.records = [[] for _ in nodes]
        self.on_start = None
        self._last = None

    def run(self, *inputs):
        return self.program.run(inputs, self._tick)

    def _tick(self, position):
        now = time.perf_counter()
        if position:
            self.records[position - 1].append(now - self._last)
        if self.on_start is not None and position < len(self.leaves):
            self.on_start(position, self.leaves[position][0])
        self._last = time.perf_counter()

    def reset(self):
        for times in self.records:
            times.clear()


def _kind(node):
    fused = [k for k in ("residual", "activation") if k in node.kwargs]
    if not fused:
        return node.op
    return node.op + "".join("+add" if k == "residual" else "+" + node.kwargs[k]
                             for k in fused)


class LayerTimer:
    """Forward (pre-)hooks on every leaf module: output shape and time per call."""

    def __init__(self, model):
        self.leaves = [(name, m) for name, m in model.named_modules()
                       if name and not any(True for _ in m.children())]
        self.records = {name: [] for name, _ in self.leaves}
        self.shapes = {}
        self.on_start = None
        self._handles = []
        for index, (name, module) in enumerate(self.leaves):
            self._handles.append(module.register_forward_pre_hook(self._pre_hook(index, name)))
            self._handles.append(module.register_forward_hook(self._hook(name)))

    def _pre_hook(self, index, name):
        def hook(module, args):
            if self.on_start is not None:
                self.on_start(index, name)
            self._started = time.perf_counter()
        return hook

    def _hook(self, name):
        def hook(module, args, output):
            self.records[name].append(time.perf_counter() - self._started)
            self.shapes[name] = tuple(output.shape)
        return hook

    def reset(self):
        for times in self.records.values():
            times.clear()

    def remove(self):
        for handle in self._handles:
            handle.remove()


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):     # no isatty, or a closed file
        return False


class WarmupProgress:
    """Progress of the first batch: the layer running, and whether it compiles kernels
    (`compile_started` is called when one starts) or only loads them."""

    def __init__(self, total, stream):
        self.total = total
        self.stream = stream
        self.terminal = _is_terminal(stream)
        self.layer = None                   # (index, name) of the layer running
        self.compiled_in = ()               # the last layer seen compiling (none yet)

    def layer_started(self, index, name):
        self.layer = (index, name)
        if self.terminal:
            self._rewrite("loading")

    def compile_started(self, label):
        if self.compiled_in == self.layer:
            return
        self.compiled_in = self.layer
        if self.terminal:
            self._rewrite("compiling")
        else:
            print(f"  compiling kernels: {self._where()}", file=self.stream, flush=True)

    def finish(self):
        if self.terminal:
            self.stream.write("\r" + " " * 70 + "\r")

    def _where(self):
        if self.layer is None:
            return "before the first layer"
        index, name = self.layer
        return f"layer {index + 1}/{self.total} {name}"

    def _rewrite(self, verb):
        self.stream.write(f"\r  {verb} kernels: {self._where():<40}")
        self.stream.flush()


# how the table's title names the models people know by a written name
TITLES = {"resnet18": "ResNet-18", "resnet34": "ResNet-34", "resnet50": "ResNet-50",
          "resnet101": "ResNet-101", "resnet152": "ResNet-152", "vgg16_bn": "VGG-16 (BN)",
          "mobilenet_v2": "MobileNetV2", "mobilenet_v3_large": "MobileNetV3-Large",
          "efficientnet_b0": "EfficientNet-B0", "densenet121": "DenseNet-121",
          "convnext_tiny": "ConvNeXt-Tiny", "unet": "U-Net"}


def run(args, stream=None):
    stream = stream or sys.stdout  # looked up per call: tests swap sys.stdout
    from fastnn import models

    if getattr(args, "list_models", False):
        print("\n".join(models.list_models()), file=stream)
        return 0
    name = getattr(args, "model", "resnet18")
    if name not in models.BUILDERS:
        print(f"python -m fastnn demo: unknown model {name!r}; "
              f"--list-models shows the {len(models.BUILDERS)} models", file=sys.stderr)
        return 2
    if args.threads is not None:
        fastnn.set_num_threads(args.threads)
    fastnn.manual_seed(args.seed)
    model = models.get_model(name, weights=args.weights)
    source = args.weights or f"seeded random weights (seed {args.seed})"
    model = fastnn.optimize_for_inference(model)   # eval mode, BatchNorm folded, fused
    images = fastnn.randn(args.batch_size, 3, args.image_size, args.image_size)

    print(f"{TITLES.get(name, name)}, {source}", file=stream)
    print(f"batch {args.batch_size} x 3 x {args.image_size} x {args.image_size}, float32, "
          f"{fastnn.get_num_threads()} threads", file=stream)

    capture = LayerTimer(model.eager)
    progress = WarmupProgress(len(capture.leaves), stream)
    capture.on_start = progress.layer_started
    compiled_before = _compile_notice.compilations()
    started = time.perf_counter()
    with _compile_notice.watch(progress.compile_started):
        program = model.program(images)          # captured: the modules run once
        capture.remove()
        timer = NodeTimer(program)
        progress.total = len(timer.leaves)
        timer.on_start = progress.layer_started
        timer.run(images)
    warmup = time.perf_counter() - started
    compiled = _compile_notice.compilations() - compiled_before
    timer.on_start = None
    progress.finish()
    # where the cache lives is `python -m fastnn info`'s to say: a path here would put the
    # machine's directories into every copy of this output
    if compiled:
        kernels = "1 kernel" if compiled == 1 else f"{compiled} kernels"
        print(f"first batch (compiled {kernels}): {warmup:.2f} s; later runs load "
              f"them from Numba's cache (python -m fastnn info shows where)", file=stream)
    else:
        print(f"first batch (kernels loaded, nothing compiled): {warmup:.2f} s",
              file=stream)

    timer.reset()
    totals = []
    for _ in range(args.iterations):
        started = time.perf_counter()
        logits = timer.run(images)
        totals.append(time.perf_counter() - started)
    _print_table(timer, totals, stream)
    total = statistics.median(totals)
    print(f"\nlatency per batch: {total * 1e3:.1f} ms (median of {args.iterations}); "
          f"{args.batch_size / total:.1f} images/s", file=stream)
    logits = np.asarray(logits)
    if logits.ndim == 2:
        print(f"top-1 classes of the first images: {logits.argmax(axis=1)[:8].tolist()}",
              file=stream)
    else:                                           # a segmentation map
        print(f"output {tuple(logits.shape)}; classes present in the first image's map: "
              f"{np.unique(logits[0].argmax(axis=0)).tolist()}", file=stream)
    return 0


def _between(records, totals):
    """The median over the runs of each run's time outside its layers (the medians of the
    layers' times do not add up to the median total: their difference went negative)."""
    return statistics.median(total - sum(times[run] for times in records if times)
                             for run, total in enumerate(totals))


def _print_table(timer, totals, stream):
    rows = []
    for (name, kind), shape, times in zip(timer.leaves, timer.shapes, timer.records):
        if times:
            rows.append((name, kind, str(shape), statistics.median(times) * 1e3))
    rows.append(("(between layers)", "graph runner", "", _between(timer.records, totals) * 1e3))
    widths = [max(len(str(row[i])) for row in rows) for i in range(3)]
    header = ("layer", "type", "output shape")
    print("", file=stream)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)) + "        ms", file=stream)
    for name, kind, shape, ms in rows:
        print(f"{name:<{widths[0]}}  {kind:<{widths[1]}}  {shape:<{widths[2]}}  {ms:8.3f}",
              file=stream)
