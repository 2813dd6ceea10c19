"""Images per second of fastnn.dask.predict on ResNet-18 (10 classes), float32.

Configurations: plain single-process forward (fastnn, all cores) as the baseline; Dask's
threaded scheduler (2 task threads x 1 Numba thread); a LocalCluster of 1 worker x 1 thread
(-> 2 Numba threads) and of 2 workers x 1 thread (-> 1 Numba thread each).
First compute excluded (warm-up); median of REPS timed runs.
Usage: python benchmarks/dask_scaling.py [N] [SIZE] [BATCH] [REPS]
"""
import statistics
import sys
import time

import dask
import dask.array as da
import distributed
import numpy as np

import fastnn
from fastnn.dask import predict
from fastnn.examples import resnet


def median_rate(fn, n, reps):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return n / statistics.median(times)


def main():
    n, size, batch, reps = (int(a) for a in (sys.argv[1:] + ["256", "64", "32", "3"][len(sys.argv) - 1:]))
    fastnn.manual_seed(0)
    model = resnet.build(num_classes=10).eval()
    images = da.random.default_rng(0).standard_normal((n, 3, size, size), dtype=np.float32,
                                                      chunks=(batch, 3, size, size))
    local = images.compute()
    results = {}

    results["single process, model(batch) x N/batch, all cores"] = median_rate(
        lambda: [model(local[i:i + batch]) for i in range(0, n, batch)], n, reps)

    with dask.config.set(scheduler="threads", num_workers=2):
        lazy = predict(model, images)
        results["dask threaded scheduler, 2 threads x 1 numba thread"] = median_rate(
            lazy.compute, n, reps)

    for workers in (1, 2):
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                      processes=True, dashboard_address=None) as cluster, \
                distributed.Client(cluster):
            lazy = predict(model, images)
            results[f"LocalCluster {workers} worker(s) x 1 thread"] = median_rate(
                lazy.compute, n, reps)

    print(f"ResNet-18 (10 classes), {n} images 3x{size}x{size} float32, batch {batch}, "
          f"median of {reps}")
    for name, rate in results.items():
        print(f"  {name:58s} {rate:7.1f} images/s")


if __name__ == "__main__":
    main()
