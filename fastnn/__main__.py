"""fastnn's command line: `python -m fastnn {info,demo,bench,tune,train}`."""
import argparse
import sys


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m fastnn",
        description="fastnn: Numba-accelerated CPU layers with torch.nn semantics.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser("info", help="versions, threading layer, threads, CPU, kernel cache, "
                                    "tuning file")
    demo = commands.add_parser(
        "demo", help="ResNet-18 (or --model NAME) inference on synthetic images with a "
                     "per-layer timing table",
        description="Build ResNet-18 or another model of fastnn.models (--model; seeded "
                    "random weights or --weights), run batched inference on synthetic "
                    "images and print a per-layer timing table. The "
                    "first run compiles the kernels (progress is shown); later runs reuse "
                    "Numba's on-disk cache.")
    from . import _demo
    _demo.add_arguments(demo)
    bench = commands.add_parser(
        "bench", help="time fastnn against PyTorch on the benchmark cases",
        description="Time fastnn and PyTorch in one process, in alternating blocks, on the "
                    "cases in fastnn/_bench.py (docs/PERF.md shows a run); print ms, GFLOP/s or GB/s "
                    "and the speedup (torch time / fastnn time). --variants also times every "
                    "kernel variant of fastnn.backends that applies to a case.")
    from . import _bench
    _bench.add_arguments(bench)
    tune = commands.add_parser(
        "tune", help="measure the kernel variants for a model's layers and keep the choices",
        description="Run an example model (or the bench cases) once, timing every kernel "
                    "variant that applies to each layer's shape class, and keep the "
                    "fastest (the rule's choice unless another is 5% faster) in the "
                    "tuning file beside the kernel cache, where later runs use it. "
                    "`python -m fastnn info` shows the file; "
                    "fastnn.backends.tuned() and reset_tuned() inspect and forget it.")
    from . import _tune
    _tune.add_arguments(tune)
    train = commands.add_parser(
        "train", help="train a LeNet on scikit-learn's 8x8 digits (needs the train extra)",
        description="Train a LeNet adapted to 8x8 images on scikit-learn's digits "
                    "(1,797 images; a seeded fifth held out for testing) with fastnn's "
                    "autograd, fastnn.optim and fastnn.utils.data: a progress bar per "
                    "epoch, a table of training and test loss and accuracy, and with --save "
                    "a checkpoint (the state_dict, written by fastnn.save) that torch.load "
                    "reads. Needs scikit-learn: pip install 'fastnn[train]'.")
    from . import _train
    _train.add_arguments(train)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "info":
        from . import _info
        return _info.main(args)
    if args.command == "bench":
        from . import _bench
        return _bench.main(args)
    if args.command == "tune":
        from . import _tune
        return _tune.main(args)
    if args.command == "train":
        from . import _train
        return _train.main(args)
    if args.command == "demo":
        from . import _demo
        return _demo.run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
