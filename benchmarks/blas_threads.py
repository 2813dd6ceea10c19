"""What OpenBLAS's spinning threads cost the kernels that run after a BLAS product.

    python benchmarks/blas_threads.py [--case 0] [--steps 20] [--runs 3]

After a product large enough to split over its threads, OpenBLAS keeps those threads
spinning for a while, on the cores the Numba kernels (and torch's threads) want next.
fastnn's linear backward therefore runs its products on the Numba GEMM, copying an
operand transposed where it needs to (fastnn/_linalg_grad.py), and products with short
reductions (K < 16: a classifier's weight gradient at batch 8) that BLAS would split over
its threads on the 'pointwise' tiles (fastnn/nn/functional/_linear.py
`BLAS_SERIAL_MAX_MACS`), not on BLAS. This times a training step of `python -m fastnn bench
--train` (`--case`: 0 LeNet batch 64, 1 ResNet-18 batch 8, 2 MobileNetV2 batch 8; 2
threads), each setting in fresh processes (`--runs` of them, the median shown), the step's
own median over `--steps` steps after a warm-up:

- fastnn as it is, and with linear backward's products sent to BLAS (numpy's matmul);
- torch alone, and torch's steps right after fastnn's (BLAS route) in one process, as the
  in-process bench alternates them: its first steps there are slowed by the spinning
  threads fastnn left behind.
"""
import argparse
import statistics
import subprocess
import sys

from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

STEP = """
import statistics, sys, time
import fastnn
from fastnn import _bench_train
case = _bench_train.TRAIN_CASES[{case}]
model, twin, torch = _bench_train._models(case)
x, y = _bench_train._batch(case)
if "{setting}" == "fastnn, linear backward on BLAS":
    import fastnn._linalg_grad as grad
    grad.default_variant = lambda *shape: "blas"
lib, net = (torch, twin) if "{setting}".startswith("torch") else (fastnn, model)
step = _bench_train._step(lib, net, x, y)
for _ in range(5):
    step()
if "{setting}" == "torch after fastnn":
    import fastnn._linalg_grad as grad
    grad.default_variant = lambda *shape: "blas"
    fastnn_step = _bench_train._step(fastnn, model, x, y)
    for _ in range(5):
        fastnn_step()
times = []
for _ in range({steps}):
    started = time.perf_counter()
    step()
    times.append(time.perf_counter() - started)
print(statistics.median(times) * 1e3)
"""

SETTINGS = ("fastnn", "fastnn, linear backward on BLAS", "torch alone", "torch after fastnn")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", type=int, default=0,
                        help="index into the training bench's cases (0 LeNet, 1 ResNet-18, "
                             "2 MobileNetV2)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from fastnn._bench_train import TRAIN_CASES
    print(f"{cpu_model()}; {TRAIN_CASES[args.case].name} training step, 2 threads; ms, "
          f"median of {args.runs} processes")
    for setting in SETTINGS:
        code = STEP.format(setting=setting, steps=args.steps, case=args.case)
        runs = [float(subprocess.run([sys.executable, "-c", code], check=True,
                                     capture_output=True, text=True).stdout.split()[-1])
                for _ in range(args.runs)]
        print(f"  {setting:<34}{statistics.median(runs):8.2f}")


if __name__ == "__main__":
    main()
