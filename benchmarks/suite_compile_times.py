"""Where a cold test run's time goes: every kernel Numba compiles, and how long it took.

    NUMBA_CACHE_DIR=$(mktemp -d) python -m pytest -p benchmarks.suite_compile_times
    python benchmarks/suite_compile_times.py [--top N]

(from the repository's root). As a pytest plugin it records, in each pytest process (every
pytest-xdist worker), each compile Numba does (a cache miss: `numba:compile` events) with
its kernel, argument types, nesting depth and seconds, into suite-compile-times/<worker>.json.
The report sums the top-level compiles per kernel, then shows what the same kernel compiled
again costs: a serial twin, float64, a read-only argument (Numba types a read-only array
apart and compiles the kernel again), or the same signature in two workers at once. Subprocesses a test starts (the codegen probes) are not
recorded.
"""
import collections
import glob
import json
import os
import re
import sys
import time

OUT = "suite-compile-times"

_stack, _rows = [], []


def record(data, seconds, depth):
    """Keep one compile (a `numba:compile` event's data), unless a test faked the event."""
    func = getattr((data or {}).get("dispatcher"), "py_func", None)
    if func is not None and "args" in data:
        _rows.append(dict(kernel=f"{func.__module__}.{func.__qualname__}",
                          args=str(data["args"]), depth=depth, seconds=seconds))


def pytest_configure(config):
    from numba.core import event

    class Recorder(event.Listener):
        def on_start(self, event):
            _stack.append(time.perf_counter())

        def on_end(self, event):
            started = _stack.pop()
            record(event.data, time.perf_counter() - started, len(_stack))

    event.register("numba:compile", Recorder())


def pytest_sessionfinish(session):
    os.makedirs(OUT, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(os.path.join(OUT, f"{worker}.json"), "w") as file:
        json.dump(_rows, file)


def _kind(row):
    """What makes this compile a copy of another: the labels the report sums."""
    kinds = []
    if row["kernel"].endswith("_serial"):
        kinds.append("serial twin")
    if "float64" in row["args"]:
        kinds.append("float64")
    return kinds


def _group(rows, key):
    groups = collections.defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return groups


def _seconds(rows):
    return sum(r["seconds"] for r in rows)


def _all_but_slowest(rows):
    """The seconds of every compile in `rows` but the slowest (the one that had to be)."""
    return _seconds(rows) - max(r["seconds"] for r in rows)


def report(rows, top):
    rows = [r for r in rows if r["depth"] == 0]
    print(f"{len(rows)} top-level compiles, {_seconds(rows):.0f} s (summed over workers)")
    per = _group(rows, lambda r: r["kernel"])
    print(f"\n{'seconds':>8s} {'sigs':>4s}  kernel")
    for kernel, rs in sorted(per.items(), key=lambda kv: -_seconds(kv[1]))[:top]:
        print(f"{_seconds(rs):8.1f} {len(rs):4d}  {kernel}")
    print()
    kinds = collections.Counter()
    for r in rows:
        for kind in _kind(r):
            kinds[kind] += r["seconds"]
    same = _group(rows, lambda r: (r["kernel"], r["args"]))
    kinds["same signature again"] = sum(_all_but_slowest(rs) for rs in same.values())
    # a read-only argument: the same kernel and types but for the arrays' readonly flags
    # (one compile per signature: a signature compiled twice is counted above)
    once = [rs[0] for rs in same.values()]
    flagless = re.compile(r"'([CAF])', (True|False)")
    plain = _group(once, lambda r: (r["kernel"], flagless.sub(r"'\1'", r["args"])))
    kinds["read-only argument"] = sum(_all_but_slowest(rs) for rs in plain.values())
    for kind, seconds in kinds.most_common():
        print(f"{seconds:8.1f} s  {kind}")


def main(argv):
    top = int(argv[argv.index("--top") + 1]) if "--top" in argv else 40
    rows = []
    for path in sorted(glob.glob(os.path.join(OUT, "*.json"))):
        with open(path) as file:
            rows += json.load(file)
    if not rows:
        sys.exit(f"no records in {OUT}/: run the test suite with "
                 "-p benchmarks.suite_compile_times first")
    report(rows, top)


if __name__ == "__main__":
    main(sys.argv[1:])
