"""The losses (forward): cross entropy, mse, binary cross entropy with logits, and torch."""
from . import common


class Losses(common._OpBenchmark):
    params = [common.variant_names("losses"), common.case_labels("losses"), common.DTYPES]

    def track_gbps(self, variant, case, dtype):
        return self._rate()
    track_gbps.unit = "GB/s"
