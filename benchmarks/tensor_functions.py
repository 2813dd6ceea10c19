"""Per-call time of the tensor functions of issue 17 (item 2), fastnn against torch, on
the same float32 data, interleaved in one process, best of several rounds.

    PYTHONPATH=. python benchmarks/tensor_functions.py [--threads N]
"""
import argparse
import timeit

import numpy as np
import torch

import fastnn

CASES = [  # (label, statement run on both libraries with `lib`, x (32, 1000), i, s, b)
    ("log", "lib.log(x.abs())"), ("rsqrt", "lib.rsqrt(x.abs())"),
    ("split 100", "x.split(100, 1)"), ("chunk 8", "x.chunk(8, 1)"),
    ("topk 5", "x.topk(5)"), ("topk 100 dim0", "x.topk(10, 0)"),
    ("gather", "x.gather(1, i)"), ("index_select", "x.index_select(1, i[0])"),
    ("scatter", "x.scatter(1, i, s)"), ("scatter_add", "x.scatter_add(1, i, s)"),
    ("scatter add", "x.scatter(1, i, 1.0, reduce='add')"),
    ("roll", "x.roll(3, 1)"), ("amax", "x.amax(1)"), ("norm", "x.norm(dim=1)"),
    ("norm p=3", "x.norm(3, 1)"), ("allclose", "lib.allclose(x, x)"),
    ("bmm", "lib.bmm(b, b.transpose(1, 2))"), ("einsum", "lib.einsum('bij,bkj->bik', b, b)"),
    ("one_hot", "lib.nn.functional.one_hot(i[0], 1000)"),
    ("normalize", "lib.nn.functional.normalize(x)"),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    fastnn.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 1000)).astype(np.float32)
    i = rng.integers(0, 1000, (32, 200))
    s = rng.standard_normal((32, 200)).astype(np.float32)
    b = rng.standard_normal((16, 64, 64)).astype(np.float32)
    spaces = {lib.__name__: dict(lib=lib, x=lib.from_numpy(x.copy()), i=lib.from_numpy(i),
                                 s=lib.from_numpy(s), b=lib.from_numpy(b))
              for lib in (fastnn, torch)}
    print(f"{'function':16s} {'fastnn':>10s} {'torch':>10s} {'speedup':>8s}  (us per call)")
    for label, stmt in CASES:
        best = {}
        for _ in range(3):
            for name, space in spaces.items():
                timer = timeit.Timer(stmt, globals=space)
                number = max(1, int(0.02 / max(timer.timeit(1), 1e-7)))
                t = min(timer.repeat(3, number)) / number * 1e6
                best[name] = min(best.get(name, float("inf")), t)
        print(f"{label:16s} {best['fastnn']:10.1f} {best['torch']:10.1f} "
              f"{best['torch'] / best['fastnn']:8.2f}")


if __name__ == "__main__":
    main()
