"""`python -m fastnn tune`: measure kernel variants for a model's layers up front.

Runs one forward pass of an example model (or every case of ``python -m fastnn bench``)
with every op's shape class measured afresh (`fastnn._tuning.measuring`), prints each
decision beside the rule's choice and every candidate's time, and keeps the decisions in
the tuning file, where later runs find them.
"""
import inspect
import sys

import numpy as np

import fastnn
from fastnn import _tuning
from fastnn._demo import positive_int

ALIASES = {"resnet18": "resnet"}


def model_names():
    from fastnn import examples
    return tuple(examples.NAMES) + tuple(ALIASES)


def add_arguments(parser):
    parser.add_argument("model", nargs="?", choices=model_names(), metavar="MODEL",
                        help="an example model to tune for: " + ", ".join(model_names())
                             + " (resnet18 = resnet)")
    parser.add_argument("--bench", action="store_true",
                        help="tune for the cases of `python -m fastnn bench` instead")
    parser.add_argument("--only", default=None, metavar="TEXT",
                        help="with --bench: only cases whose op or name contains TEXT")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help="the model's batch size (its example's default)")
    parser.add_argument("--image-size", type=positive_int, default=None,
                        help="height and width of the model's input (for models that take "
                             "one: resnet, cnn3d)")
    parser.add_argument("--frames", type=positive_int, default=None,
                        help="frames per clip (cnn3d)")
    parser.add_argument("--optimized", action="store_true",
                        help="tune the model as fastnn.optimize_for_inference leaves it")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="kernel threads (default: fastnn's default); decisions hold "
                             "per thread count")


def _refuse(message):
    print(f"python -m fastnn tune: error: {message}", file=sys.stderr)
    return 2


def _input_arguments(args, example):
    """The keyword arguments of the example's `example_input`, or a str saying why the
    options do not fit it."""
    accepted = inspect.signature(example.example_input).parameters
    given = {"batch_size": args.batch_size, "size": args.image_size, "frames": args.frames}
    options = {"batch_size": "--batch-size", "size": "--image-size", "frames": "--frames"}
    kwargs = {}
    for name, value in given.items():
        if value is None:
            continue
        if name not in accepted:
            return f"{options[name]} does not apply to {args.model}"
        kwargs[name] = value
    return kwargs


def _unusable_arguments(args):
    if args.bench == (args.model is not None):
        return "give either a MODEL or --bench"
    if args.bench:
        if args.optimized or any(v is not None for v in
                                 (args.batch_size, args.image_size, args.frames)):
            return ("--batch-size, --image-size, --frames and --optimized apply to a MODEL, "
                    "not to --bench")
        from fastnn._bench import CASES
        if args.only is not None and not any(args.only in c.label for c in CASES):
            labels = "\n  ".join(case.label for case in CASES)
            return f"no case matches --only {args.only!r}; the cases are:\n  {labels}"
    elif args.only is not None:
        return "--only applies to --bench"
    return None


def _model_run(args, dtype):
    """(what is tuned, as a line; the call that runs it) or a str saying why not."""
    from fastnn import examples
    name = ALIASES.get(args.model, args.model)
    example = examples.load(name)
    kwargs = _input_arguments(args, example)
    if isinstance(kwargs, str):
        return kwargs
    fastnn.manual_seed(0)
    model = example.build().eval()
    if dtype == np.float64:
        model.double()
    if args.optimized:
        model = fastnn.optimize_for_inference(model)
    x = np.asarray(example.example_input(**kwargs), dtype=dtype)

    def run():
        with fastnn.no_grad():
            model(x)
    optimized = ", optimized" if args.optimized else ""
    return f"{args.model}{optimized} on an input of {list(x.shape)}", run


def _bench_run(args, dtype):
    from fastnn._bench import CASES
    cases = [c for c in CASES if args.only is None or args.only in c.label]

    def run():
        for case in cases:
            case.make(dtype).call()()
    return f"{len(cases)} bench cases", run


def format_decisions(events):
    """Each measured decision: the op and shape class, then the variant chosen, the rule's
    choice and every candidate's best time."""
    lines = []
    for op, cls, record in events:
        chosen, rule = record["variant"], record["rule"]
        how = "the rule's choice" if chosen == rule else f"instead of the rule's {rule}"
        times = ", ".join(f"{name} {ms:.3f}" for name, ms in
                          sorted(record["ms"].items(), key=lambda item: item[1]))
        lines.append(f"{op:<11} {cls}")
        lines.append(f"{'':<11} -> {chosen} ({how}); ms: {times}")
    return "\n".join(lines)


def main(args, stream=None):
    stream = stream or sys.stdout
    problem = _unusable_arguments(args)
    if problem:
        return _refuse(problem)
    dtype = np.dtype(args.dtype)
    if args.threads is not None:
        fastnn.set_num_threads(args.threads)
    made = _bench_run(args, dtype) if args.bench else _model_run(args, dtype)
    if isinstance(made, str):
        return _refuse(made)
    what, run = made
    print(f"tuning {what}, {args.dtype}, {fastnn.get_num_threads()} threads (each variant "
          "compiles on its first use; this can take minutes)", file=stream, flush=True)
    del _tuning.events[:]
    with _tuning.measuring():
        run()
    events = list(_tuning.events)
    if events:
        print(format_decisions(events), file=stream)
    else:
        print("no op with several kernel variants ran", file=stream)
    path = _tuning.tuned().path
    if path is None or _tuning._unsaved:
        print(f"{len(events)} decisions kept for this process only: the tuning file cannot "
              "be written (see the warning above)", file=stream)
    else:
        print(f"{len(events)} decisions kept in {path}", file=stream)
    return 0
