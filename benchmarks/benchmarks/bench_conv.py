"""Convolutions (conv1d/2d/3d) and transposed convolutions: every variant of
fastnn.backends, and torch."""
from . import common


class Conv(common._OpBenchmark):
    params = [common.variant_names("conv"), common.case_labels("conv"), common.DTYPES]

    def track_gflops(self, variant, case, dtype):
        return self._rate()
    track_gflops.unit = "GFLOP/s"


class ConvTranspose(common._OpBenchmark):
    params = [common.variant_names("conv_transpose"), common.case_labels("conv_transpose"),
              common.DTYPES]

    def track_gflops(self, variant, case, dtype):
        return self._rate()
    track_gflops.unit = "GFLOP/s"


class ConvBackward(common._OpBenchmark):
    """``y.backward(g)`` of a convolution (input, weight and bias gradients)."""
    params = [common.variant_names("conv_backward"), common.case_labels("conv_backward"),
              common.DTYPES]

    def track_gflops(self, variant, case, dtype):
        return self._rate()
    track_gflops.unit = "GFLOP/s"
