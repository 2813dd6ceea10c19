"""Resampling (interpolate in every mode, grid_sample, pixel_shuffle, channel_shuffle) and
torch."""
from . import common


class Resample(common._OpBenchmark):
    params = [common.variant_names("resample"), common.case_labels("resample"),
              common.DTYPES]

    def track_gbps(self, variant, case, dtype):
        return self._rate()
    track_gbps.unit = "GB/s"
