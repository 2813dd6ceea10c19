"""Layer, group, instance and local response normalisation: fastnn and torch."""
from . import common


class Normalization(common._OpBenchmark):
    params = [common.variant_names("normalization"), common.case_labels("normalization"),
              common.DTYPES]

    def track_gbps(self, variant, case, dtype):
        return self._rate()
    track_gbps.unit = "GB/s"
