"""Backward passes of the activations, softmax and cross entropy: fastnn and torch."""
from . import common


class ActivationBackward(common._OpBenchmark):
    params = [common.variant_names("activation_backward"),
              common.case_labels("activation_backward"), common.DTYPES]

    def track_gbps(self, variant, case, dtype):
        return self._rate()
    track_gbps.unit = "GB/s"
