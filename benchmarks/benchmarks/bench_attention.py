"""Scaled dot-product attention: fastnn and torch (MultiheadAttention is in the models
family: a whole module)."""
from . import common


class Attention(common._OpBenchmark):
    params = [common.variant_names("attention"), common.case_labels("attention"),
              common.DTYPES]

    def track_gflops(self, variant, case, dtype):
        return self._rate()
    track_gflops.unit = "GFLOP/s"
