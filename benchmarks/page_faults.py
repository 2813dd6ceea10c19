"""Page faults and time per forward of zoo models, with fastnn's malloc priming and without.

    python benchmarks/page_faults.py [MODEL ...] [--threads 1] [--calls 10]
    python benchmarks/page_faults.py --train      # training steps of the bench's models

Each (model, setting) runs in a fresh process (glibc's thresholds are per process):
FASTNN_MALLOC_PRIME unset (fastnn/_malloc.py primes glibc's malloc at import) and =0.
The process builds the model at batch 1, 224x224, runs two warm-up forwards, then
`calls` forwards, and prints the minor page faults, the system time and the thread's CPU
time per forward (CPU time, so that other processes on the machine do not count).
With --train, the same for a training step (SGD, cross-entropy) of each model of
`python -m fastnn bench --train` (fastnn/_bench_train.py), fastnn's side only.
"""
import argparse
import os
import subprocess
import sys

from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

FORWARD = """
import numpy as np
import fastnn, fastnn.models
model = getattr(fastnn.models, "{model}")().eval()
x = fastnn.tensor(np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32))
fastnn.set_grad_enabled(False)
def call():
    model(x)
"""

TRAIN = """
import fastnn
from fastnn import _bench_train
case = next(c for c in _bench_train.TRAIN_CASES if c.name == "{model}")
model = _bench_train._models(case)[0]
call = _bench_train._step(fastnn, model, *_bench_train._batch(case))
"""

CHILD = """
import resource, time
{setup}
fastnn.set_num_threads({threads})
call(); call()
before, start = resource.getrusage(resource.RUSAGE_SELF), time.thread_time()
for _ in range({calls}):
    call()
after, end = resource.getrusage(resource.RUSAGE_SELF), time.thread_time()
n = {calls}
print((after.ru_minflt - before.ru_minflt) / n, (after.ru_stime - before.ru_stime) / n * 1e3,
      (end - start) / n * 1e3)
"""


def measure(model, threads, calls, primed, train=False):
    env = dict(os.environ)
    env.pop("FASTNN_MALLOC_PRIME", None)
    if not primed:
        env["FASTNN_MALLOC_PRIME"] = "0"
    setup = (TRAIN if train else FORWARD).format(model=model)
    code = CHILD.format(setup=setup, threads=threads, calls=calls)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return tuple(float(v) for v in out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*")
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    if args.train:
        from fastnn._bench_train import TRAIN_CASES
        models = args.models or [case.name for case in TRAIN_CASES]
        what = "per training step"
    else:
        models = args.models or ["mobilenet_v2", "efficientnet_b0", "resnet18"]
        what = "per forward at batch 1 224x224"
    print(cpu_model(), f"{args.threads} thread(s), {what}")
    print(f"{'model':28s} {'setting':10s} {'faults':>8s} {'sys ms':>8s} {'cpu ms':>8s}")
    for model in models:
        for primed in (True, False):
            faults, system, cpu = measure(model, args.threads, args.calls, primed,
                                          args.train)
            label = "primed" if primed else "PRIME=0"
            print(f"{model:28s} {label:10s} {faults:8.0f} {system:8.2f} {cpu:8.2f}")


if __name__ == "__main__":
    main()
