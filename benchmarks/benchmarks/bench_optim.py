"""Optimizer steps (SGD, Adam, AdamW, RMSprop) over a model's parameters: fastnn and torch."""
from . import common


class Optimizers(common._OpBenchmark):
    params = [common.variant_names("optim"), common.case_labels("optim"), common.DTYPES]
