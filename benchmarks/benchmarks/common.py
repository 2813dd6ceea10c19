"""What every benchmark class shares: the case table of `python -m fastnn bench`
(`fastnn._bench.CASES`), the variant parameter, and setup/time/peakmem/track methods.

Parameters are [variant, case, dtype]. `variant` is a kernel variant of
`fastnn.backends`, "default" (fastnn's own choice), "frozen" (convolutions and models:
the default with the weights frozen as by `fastnn.optimize_for_inference`, so packed
weights are kept between calls) or "torch" (present when torch is importable). A variant that does not apply to a case is
skipped by raising NotImplementedError in `setup`, which also runs the op once so that
compilation is never timed.

FASTNN_ASV_SMOKE=1 cuts the parameters to the cases marked `smoke` and float32 (CI).
FASTNN_ASV_THREADS (default 2) sets fastnn's and torch's thread count.
"""
import os

import numpy as np

import fastnn
from fastnn import _bench, _peakmem, backends

SMOKE = os.environ.get("FASTNN_ASV_SMOKE") == "1"
THREADS = int(os.environ.get("FASTNN_ASV_THREADS", "2"))
DTYPES = ["float32"] if SMOKE else ["float32", "float64"]


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def case_labels(family):
    return [case.label for case in _bench.CASES
            if case.family == family and (case.smoke or not SMOKE)]


def variant_names(family):
    names = ["default"] + (["frozen"] if family in ("conv", "models") else [])
    for op, op_family in _bench.FAMILIES.items():
        if op_family == family and op in backends.ops():
            names += [v for v in backends.variants(op) if v not in names]
    return names + (["torch"] if _torch() is not None else [])


class _OpBenchmark:
    """Subclasses set `family` and `params = [variant_names(f), case_labels(f), DTYPES]`."""
    param_names = ["variant", "case", "dtype"]
    timeout = 300          # the 'naive' reference takes seconds on the larger cases

    def setup(self, variant, case, dtype):
        fastnn.set_num_threads(THREADS)
        torch = _torch()
        if torch is not None:
            torch.set_num_threads(THREADS)
        workload = _bench.find_case(case).make(np.dtype(dtype))
        if variant == "torch":
            self.fn = workload.torch_call
        elif variant == "default":
            self.fn = workload.call()
        elif variant == "frozen":
            self.fn = workload.frozen().call()
        elif variant in workload.variants():
            self.fn = workload.call(variant)
        else:
            self.fn = None
        if self.fn is None:
            raise NotImplementedError(f"{variant} does not apply to {case}")
        self.work = workload.work
        self.fn()                      # compiles: never timed

    def time_op(self, variant, case, dtype):
        self.fn()

    def peakmem_op(self, variant, case, dtype):
        # asv reports the process's peak resident size: without the reset it would be
        # setup's (imports, compilation); see fastnn/_peakmem.py for the malloc settings
        if _peakmem.available():
            _peakmem.fix_malloc()
            _peakmem.reset_peak()
        self.fn()

    def track_extra_bytes(self, variant, case, dtype):
        """Bytes one call allocates beyond its output (fastnn/_peakmem.py)."""
        if not _peakmem.available():
            raise NotImplementedError("needs Linux with glibc")
        return _peakmem.extra_bytes(self.fn)
    track_extra_bytes.unit = "bytes"

    def _rate(self):
        seconds = _bench.time_many({"op": self.fn}, block_seconds=0.05, rounds=3)["op"]
        return self.work / seconds / 1e9
