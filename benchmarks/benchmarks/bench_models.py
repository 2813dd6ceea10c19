"""Whole example models (inference, batch 1): fastnn's default choices against torch."""
from . import common


class Models(common._OpBenchmark):
    params = [common.variant_names("models"), common.case_labels("models"), common.DTYPES]
