"""Page faults and time per forward of zoo models, with fastnn's malloc priming and without.

    python benchmarks/page_faults.py [MODEL ...] [--threads 1] [--calls 10]

Each (model, setting) runs in a fresh process (glibc's thresholds are per process):
FASTNN_MALLOC_PRIME unset (fastnn/_malloc.py primes glibc's malloc at import) and =0.
The process builds the model at batch 1, 224x224, runs two warm-up forwards, then
`calls` forwards, and prints the minor page faults, the system time and the thread's CPU
time per forward (CPU time, so that other processes on the machine do not count).
"""
import argparse
import os
import subprocess
import sys

from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

CHILD = """
import resource, sys, time
import numpy as np
import fastnn, fastnn.models
fastnn.set_num_threads({threads})
model = getattr(fastnn.models, "{model}")().eval()
x = fastnn.tensor(np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32))
with fastnn.no_grad():
    model(x); model(x)
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.thread_time()
    for _ in range({calls}):
        model(x)
    after, end = resource.getrusage(resource.RUSAGE_SELF), time.thread_time()
n = {calls}
print((after.ru_minflt - before.ru_minflt) / n, (after.ru_stime - before.ru_stime) / n * 1e3,
      (end - start) / n * 1e3)
"""


def measure(model, threads, calls, primed):
    env = dict(os.environ)
    env.pop("FASTNN_MALLOC_PRIME", None)
    if not primed:
        env["FASTNN_MALLOC_PRIME"] = "0"
    code = CHILD.format(model=model, threads=threads, calls=calls)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return tuple(float(v) for v in out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*",
                        default=["mobilenet_v2", "efficientnet_b0", "resnet18"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    print(cpu_model(), f"{args.threads} thread(s), per forward at batch 1 224x224")
    print(f"{'model':18s} {'setting':10s} {'faults':>8s} {'sys ms':>8s} {'cpu ms':>8s}")
    for model in args.models:
        for primed in (True, False):
            faults, system, cpu = measure(model, args.threads, args.calls, primed)
            label = "primed" if primed else "PRIME=0"
            print(f"{model:18s} {label:10s} {faults:8.0f} {system:8.2f} {cpu:8.2f}")


if __name__ == "__main__":
    main()
