"""Layer, group, instance and local response normalisation: fastnn and torch; the
backward of batch norm, layer norm and linear."""
from . import common


class Normalization(common._OpBenchmark):
    params = [common.variant_names("normalization"), common.case_labels("normalization"),
              common.DTYPES]

    def track_gbps(self, variant, case, dtype):
        return self._rate()
    track_gbps.unit = "GB/s"


class NormBackward(common._OpBenchmark):
    """``autograd.grad`` of batch norm (training), layer norm and linear on one recorded
    forward: the backward alone."""
    params = [common.variant_names("norm_backward"), common.case_labels("norm_backward"),
              common.DTYPES]
