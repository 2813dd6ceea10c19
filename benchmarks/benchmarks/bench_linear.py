"""F.linear: the Numba GEMM, BLAS, and torch."""
from . import common


class Linear(common._OpBenchmark):
    params = [common.variant_names("linear"), common.case_labels("linear"), common.DTYPES]

    def track_gflops(self, variant, case, dtype):
        return self._rate()
    track_gflops.unit = "GFLOP/s"
