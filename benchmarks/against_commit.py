"""Time the bench's cases (fastnn/_bench.py) in this checkout against another commit, in
one process, beside torch.

    python benchmarks/against_commit.py BASE_COMMIT [--only TEXT] [--rounds 7]
        [--threads 2] [--dtype float32]

The BASE_COMMIT tree is imported as ``fastnn_base`` (benchmarks/_base_commit.py); every
case whose label contains TEXT and exists in both is built by each package from the same
seeded data and timed in alternating blocks with torch's call (`fastnn._bench.time_many`),
so a kernel change is measured against the same machine state, which on a shared VM moves
by more between runs than most changes. Prints the CPU, ms per call of this checkout, the
base and torch, this checkout's speedup over the base, both speedups over torch, and
whether the two outputs are bit for bit equal ('-': the case returns none, a backward).
"""
import argparse
import pathlib
import sys
import tempfile

import numpy as np

from _base_commit import import_base, start  # benchmarks/_base_commit.py (run as a script)

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _output(fn):
    """The call's result as a list of arrays (a backward case returns several gradients
    of different shapes), None for none."""
    value = fn()
    if value is None:
        return None
    return [np.asarray(v) for v in (value if isinstance(value, (tuple, list)) else [value])]


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base")
    parser.add_argument("--only", default="")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import fastnn
    from fastnn import _bench
    dtype = np.dtype(args.dtype)
    with tempfile.TemporaryDirectory() as folder:
        base = import_base(args.base, pathlib.Path(folder))
        base_bench = __import__("fastnn_base._bench", fromlist=["CASES"])
        base_cases = {case.label: case for case in base_bench.CASES}
        torch = _bench._torch()
        start(base, torch, args, dtype)
        print(f"{'case':<58} {'this ms':>9} {'base ms':>9} {'torch ms':>9} {'vs base':>8} "
              f"{'vs torch':>9} {'base vs torch':>14} same")
        with fastnn.no_grad(), base.no_grad():
            for case in _bench.CASES:
                if args.only not in case.label or case.label not in base_cases:
                    continue
                ours = case.make(dtype)
                theirs = base_cases[case.label].make(dtype)
                calls = {"this": ours.call(), "base": theirs.call(),
                         "torch": ours.torch_call}
                a, b = _output(calls["this"]), _output(calls["base"])
                same = "-" if a is None or b is None else (
                    "yes" if _same(a, b) else "no")
                t = _bench.time_many(calls, rounds=args.rounds)
                vs_torch = (f"{t['torch'] / t['this']:8.2f}x "
                            f"{t['torch'] / t['base']:13.2f}x" if "torch" in t else "")
                print(f"{case.label:<58} {t['this'] * 1e3:9.3f} {t['base'] * 1e3:9.3f} "
                      f"{t.get('torch', float('nan')) * 1e3:9.3f} "
                      f"{t['base'] / t['this']:7.2f}x {vs_torch} {same}", flush=True)


if __name__ == "__main__":
    main()
