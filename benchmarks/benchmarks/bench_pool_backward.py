"""Backward of pooling and resampling (#16): an input gradient per call, fastnn and torch."""
from . import common


class PoolBackward(common._OpBenchmark):
    params = [common.variant_names("pool_backward"), common.case_labels("pool_backward"),
              common.DTYPES]
