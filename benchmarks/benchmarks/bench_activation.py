"""Activations with a kernel of their own (mish, softplus, prelu, gelu): fastnn and torch."""
from . import common


class Activation(common._OpBenchmark):
    params = [common.variant_names("activation"), common.case_labels("activation"),
              common.DTYPES]

    def track_gbps(self, variant, case, dtype):
        return self._rate()
    track_gbps.unit = "GB/s"
