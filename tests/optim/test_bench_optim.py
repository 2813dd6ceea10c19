"""The optimizer cases of `python -m fastnn bench` and of the asv suite run, against torch."""
import importlib
import pathlib
import sys

import numpy as np

from fastnn import _bench

BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"


def test_optimizer_cases_step_like_torch(torch):
    for case in [c for c in _bench.CASES if c.group == "optimizer" and "LeNet" in c.name]:
        workload = case.make(np.float64)
        ours, = workload.args
        ours()
        workload.torch_call()
        params = ours.__self__.param_groups[0]["params"]
        tparams = workload.torch_call.__self__.param_groups[0]["params"]
        for p, t in zip(params, tparams):
            np.testing.assert_allclose(np.asarray(p), t.detach().numpy(), rtol=1e-12)


def test_asv_optimizer_smoke_case(monkeypatch, torch):
    monkeypatch.setenv("FASTNN_ASV_SMOKE", "1")
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    for name in [m for m in sys.modules if m == "benchmarks" or m.startswith("benchmarks.")]:
        monkeypatch.delitem(sys.modules, name)
    optimizers = importlib.import_module("benchmarks.bench_optim").Optimizers
    variants, cases, dtypes = optimizers.params
    assert variants == ["default", "torch"] and cases == ["optimizer SGD momentum LeNet parameters"]
    bench = optimizers()
    for variant in variants:
        bench.setup(variant, cases[0], "float32")
        bench.time_op(variant, cases[0], "float32")
