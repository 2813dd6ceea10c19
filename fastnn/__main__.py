"""fastnn's command line: `python -m fastnn {info}`."""
import argparse
import sys


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m fastnn",
        description="fastnn: Numba-accelerated CPU layers with torch.nn semantics.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser("info", help="versions, threading layer, threads, CPU, kernel cache")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "info":
        from . import _info
        return _info.main(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
