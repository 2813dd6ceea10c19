"""Max pooling (max_pool1d/2d/3d, values only): every variant, and torch."""
from . import common


class MaxPool(common._OpBenchmark):
    params = [common.variant_names("pooling"), common.case_labels("pooling"), common.DTYPES]

    def track_gbps(self, variant, case, dtype):
        return self._rate()
    track_gbps.unit = "GB/s"
