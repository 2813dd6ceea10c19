"""`python -m fastnn bench`'s models table: whole models under torch eager, ONNX Runtime and
fastnn (eager, and compiled by `fastnn.optimize_for_inference`), in one process.

The same weights everywhere: the fastnn model is built seeded, the torch one is the same
source run under torch (the examples' and the zoo's swapped imports) and loads fastnn's
state_dict; the ONNX file is `torch.onnx.export` of that torch model (the TorchScript
exporter, which needs no package beyond onnx), run by ONNX Runtime's CPU provider with
`threads` intra-op threads and every graph optimization. Models are in eval mode and
their BatchNorm statistics are not the trivial initial ones, so folding them is real
work. The ONNX Runtime column is empty when onnxruntime or onnx is not installed and for
float64 (its CPU convolutions are float32 only), the torch and ONNX Runtime columns when
torch is not.
"""
import io
import warnings
from dataclasses import dataclass

import numpy as np

import fastnn

COLUMNS = ("torch", "onnxruntime", "fastnn", "optimized")


@dataclass
class ModelCase:
    name: str
    build: object          # build(backend) -> a model of that backend ("fastnn" / "torch")
    input_shape: tuple

    @property
    def label(self):
        return f"model {self.name}"


def _example(name):
    def build(backend):
        from fastnn import examples
        return examples.load(name, backend).build()
    return build


def _zoo(name):
    def build(backend):
        if backend == "fastnn":
            from fastnn import models
            return models.get_model(name)
        import torch
        from fastnn.models import _torch_twin
        with torch.device("meta"):              # no initialisation: fastnn's weights follow
            return _torch_twin.load().get_model(name).to_empty(device="cpu")
    return build


MODELS = [
    ModelCase("LeNet batch 1", _example("lenet"), (1, 1, 32, 32)),
    ModelCase("ResNet-18 batch 1 224x224", _example("resnet"), (1, 3, 224, 224)),
    ModelCase("ResNet-18 batch 8 112x112", _example("resnet"), (8, 3, 112, 112)),
    ModelCase("MobileNetV2 batch 1 224x224", _zoo("mobilenet_v2"), (1, 3, 224, 224)),
]


def _with_statistics(model):
    """`model` with seeded running statistics in every BatchNorm (as a trained model has)."""
    rng = np.random.default_rng(1)
    for name, buffer in model.named_buffers():
        if name.endswith("running_mean"):
            buffer[...] = rng.uniform(-0.2, 0.2, buffer.shape)
        elif name.endswith("running_var"):
            buffer[...] = rng.uniform(0.5, 2.0, buffer.shape)
    return model


def _torch_twin(case, model):
    from fastnn._bench import _torch
    torch = _torch()
    if torch is None:
        return None
    twin = case.build("torch").eval()
    twin.load_state_dict({key: torch.from_numpy(np.array(value))
                          for key, value in model.state_dict().items()})
    return twin


def onnxruntime_session(torch_model, x, threads):
    """An ONNX Runtime session of `torch_model` exported for inputs like `x`, or None when
    onnxruntime or onnx is missing."""
    try:
        import onnx  # noqa: F401  (torch.onnx.export needs it)
        import onnxruntime as ort
    except ImportError:
        return None
    import torch
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # the TorchScript exporter's
        torch.onnx.export(torch_model, (torch.from_numpy(x),), buffer, input_names=["x"],
                          output_names=["y"], dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(buffer.getvalue(), options,
                                providers=["CPUExecutionProvider"])


def time_model(case, dtype, threads, rounds):
    """Median seconds per call in each column (None where it cannot run) and the largest
    difference of the optimized model's output from torch's, relative to its scale."""
    from fastnn._bench import time_many
    model, x = _fastnn_model(case, dtype)
    optimized = fastnn.optimize_for_inference(model, x)
    calls = {"fastnn": lambda: model(x), "optimized": lambda: optimized(x)}
    twin = _torch_twin(case, model)
    error = None
    if twin is not None:
        import torch
        if dtype == np.float64:
            twin.double()
        tx = torch.from_numpy(x)

        def torch_call():
            with torch.no_grad():
                return twin(tx)
        calls["torch"] = torch_call
        expected = torch_call().numpy()
        got = np.asarray(optimized(x))
        error = float(np.abs(got - expected).max() / max(np.abs(expected).max(), 1e-30))
        session = onnxruntime_session(twin, x, threads) if dtype == np.float32 else None
        if session is not None:
            calls["onnxruntime"] = lambda: session.run(None, {"x": x})
    times = time_many(calls, rounds=rounds)
    return {column: times.get(column) for column in COLUMNS}, error


def _fastnn_model(case, dtype):
    fastnn.manual_seed(0)
    model = _with_statistics(case.build("fastnn").eval())
    if dtype == np.float64:
        model.double()
    x = np.random.default_rng(0).standard_normal(case.input_shape).astype(dtype)
    return model, x


def memory_table(cases, dtype, progress=None):
    """`bench --memory`'s models: the bytes a call allocates beyond its output, eager and
    compiled (`fastnn._peakmem`), and the bytes the compiled model's memory plan keeps
    between calls (`fastnn._memory_plan`: its intermediate arrays, per thread)."""
    from fastnn import _peakmem
    lines = [f"{'model':<28} {'output MB':>9} {'eager MB':>9} {'optimized MB':>13} "
             f"{'plan MB':>8}"]
    for index, case in enumerate(cases):
        if progress:
            progress(index, len(cases), case)
        model, x = _fastnn_model(case, dtype)
        optimized = fastnn.optimize_for_inference(model, x)
        out = np.asarray(optimized(x))
        eager = _peakmem.extra_bytes(lambda: model(x))
        compiled = _peakmem.extra_bytes(lambda: optimized(x))
        program = optimized.program(x)
        held = sum(program.memory.sizes) if program is not None else 0
        # (a reading can fall a page or two below zero: the resident size moves by itself)
        lines.append(f"{case.name:<28} {out.nbytes / 1e6:9.2f} {max(eager, 0) / 1e6:9.2f} "
                     f"{max(compiled, 0) / 1e6:13.2f} {held / 1e6:8.2f}")
    return "\n".join(lines)


def model_table(cases, dtype, threads, rounds, progress=None):
    """The models table: ms per column, then the optimized model's speedup over torch and
    over ONNX Runtime, and its output's difference from torch's."""
    lines = [f"{'model':<28} {'torch ms':>9} {'ORT ms':>9} {'fastnn ms':>10} "
             f"{'optimized':>10} {'vs torch':>9} {'vs ORT':>8} {'max diff':>9}"]
    for index, case in enumerate(cases):
        if progress:
            progress(index, len(cases), case)
        times, error = time_model(case, dtype, threads, rounds)

        def ms(column, width):
            return f"{times[column] * 1e3:{width}.2f}" if times[column] else f"{'-':>{width}}"

        def ratio(column, width):
            if not times[column]:
                return f"{'-':>{width}}"
            return f"{times[column] / times['optimized']:{width - 1}.2f}x"
        diff = f"{error:9.1e}" if error is not None else f"{'-':>9}"
        lines.append(f"{case.name:<28} {ms('torch', 9)} {ms('onnxruntime', 9)} "
                     f"{ms('fastnn', 10)} {ms('optimized', 10)} {ratio('torch', 9)} "
                     f"{ratio('onnxruntime', 8)} {diff}")
    return "\n".join(lines)
