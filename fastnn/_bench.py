"""`python -m fastnn bench`: fastnn against PyTorch, op by op, in one process.

Each case is timed for fastnn and torch in alternating blocks of at least `block_seconds`
(so neither side keeps a warm cache or idle threads to itself), after one untimed call
that compiles the kernel; the figure is the median per-call time over the blocks.
Speedup = torch time / fastnn time, both at the same thread count. With `--variants`
every kernel variant that applies to a case (``fastnn.backends``) is timed as well.

`CASES` is the one case table: the asv suite (`benchmarks/`) imports it too.
"""
import os
import statistics
import sys
import time
from dataclasses import dataclass, field, replace

import numpy as np

import fastnn
import fastnn.nn.functional as F
from fastnn import _bench_backward, _bench_models, _peakmem, backends
from fastnn._demo import positive_int
from fastnn.nn._frozen import freeze

FAMILIES = {"conv1d": "conv", "conv2d": "conv", "conv3d": "conv", "max_pool1d": "pooling",
            "max_pool2d": "pooling", "max_pool3d": "pooling", "linear": "linear",
            "layer_norm": "normalization", "group_norm": "normalization",
            "batch_norm": "normalization",
            "instance_norm": "normalization", "local_response_norm": "normalization",
            "model": "models", "interpolate": "resample", "pixel_shuffle": "resample",
            "channel_shuffle": "resample", "grid_sample": "resample",
            "lp_pool2d": "pooling", "max_unpool2d": "pooling", "mish": "activation",
            "softplus": "activation", "prelu": "activation", "gelu": "activation",
            "silu": "activation", "sigmoid": "activation", "elu": "activation",
            "conv_transpose1d": "conv_transpose", "conv_transpose2d": "conv_transpose",
            "conv_transpose3d": "conv_transpose",
            "scaled_dot_product_attention": "attention",
            "optimizer": "optim"}


@dataclass
class Workload:
    """One case's data for one dtype: the fastnn op and its arguments (op None: a whole
    model, `args` = (callable,)), the torch call (None without torch) and the work."""
    op: object
    args: tuple
    kwargs: dict = field(default_factory=dict)
    torch_call: object = None
    work: object = None
    model: object = None            # a model and its input (op None)
    model_input: object = None

    def variants(self):
        """The variants that can run here (["default"] for a model)."""
        return backends.applicable(self.op, *self.args, **self.kwargs) if self.op else \
            ["default"]

    def default_variant(self):
        return backends.current(self.op, *self.args, **self.kwargs) if self.op else "default"

    def call(self, variant=None):
        """A no-argument callable running fastnn, on `variant` when given."""
        fn = getattr(F, self.op) if self.op else self.args[0]
        args = self.args if self.op else ()
        kwargs = self.kwargs
        if variant is None or not self.op:
            return lambda: fn(*args, **kwargs)

        def forced():
            with backends.use(self.op, variant):
                return fn(*args, **kwargs)
        return forced

    def frozen(self):
        """This workload with its weights frozen, as `fastnn.optimize_for_inference`
        leaves a model's convolutions (their packed forms are kept between calls)."""
        if self.op is None:
            if self.model is None:
                return self
            optimized, x = fastnn.optimize_for_inference(self.model), self.model_input
            return replace(self, args=(lambda: optimized(x),))
        if not self.op.startswith("conv"):
            return self
        x, w, b = self.args
        return replace(self, args=(x, freeze(w), b))


@dataclass
class Case:
    group: str             # the op (registry name) or "model"
    name: str
    make: object           # make(dtype) -> Workload
    unit: str = "GFLOP/s"  # work is in FLOP ('GFLOP/s') or bytes ('GB/s'); None: no rate
    smoke: bool = False    # one small case per family for the CI smoke run of the asv suite

    @property
    def family(self):
        return FAMILIES[self.group]

    @property
    def label(self):
        return f"{self.group} {self.name}"


def _conv_flops(out_shape, weight_shape, groups):
    n, c_out, *spatial = out_shape
    return 2 * n * c_out * np.prod(spatial) * np.prod(weight_shape[1:])


def _conv(dims, n, c_in, c_out, size, kernel, stride=1, padding=0, dilation=1, groups=1):
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n, c_in) + (size if isinstance(size, tuple) else (size,) * dims),
                                dtype=np.float64).astype(dtype)
        w = rng.standard_normal((c_out, c_in // groups) + (kernel,) * dims).astype(dtype)
        b = rng.standard_normal(c_out).astype(dtype)
        op = f"conv{dims}d"
        args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        out_shape = getattr(F, op)(x, w, b, **args).shape
        theirs = _torch_call(lambda torch: getattr(torch.nn.functional, op), x, w, b, **args)
        return Workload(op, (x, w, b), args, theirs, _conv_flops(out_shape, w.shape, groups))
    return make


def _conv_transpose(dims, n, c_in, c_out, size, kernel, stride=1, padding=0,
                    output_padding=0):
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n, c_in) + (size,) * dims).astype(dtype)
        w = rng.standard_normal((c_in, c_out) + (kernel,) * dims).astype(dtype)
        b = rng.standard_normal(c_out).astype(dtype)
        op = f"conv_transpose{dims}d"
        args = dict(stride=stride, padding=padding, output_padding=output_padding)
        theirs = _torch_call(lambda torch: getattr(torch.nn.functional, op), x, w, b, **args)
        # the work of the convolution it is the input gradient of: input x weight
        return Workload(op, (x, w, b), args, theirs, _conv_flops(x.shape, w.shape, 1))
    return make


def _max_pool(dims, shape, kernel, stride=None, padding=0):
    def make(dtype):
        x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
        op = f"max_pool{dims}d"
        out = getattr(F, op)(x, kernel, stride, padding)
        theirs = _torch_call(lambda torch: getattr(torch.nn.functional, op),
                             x, kernel, stride, padding)
        return Workload(op, (x, kernel, stride, padding), {}, theirs, x.nbytes + out.nbytes)
    return make


def _linear(batch, c_in, c_out):
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, c_in)).astype(dtype)
        w = rng.standard_normal((c_out, c_in)).astype(dtype)
        b = rng.standard_normal(c_out).astype(dtype)
        theirs = _torch_call(lambda torch: torch.nn.functional.linear, x, w, b)
        return Workload("linear", (x, w, b), {}, theirs, 2 * batch * c_in * c_out)
    return make


def _norm(op, shape, *args, affine=0):
    """F.<op>(x, *args, weight, bias) with `affine` elements of weight and bias (0: none)."""
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal(shape).astype(dtype)
        params = tuple(rng.standard_normal(affine).astype(dtype) for _ in range(2)) \
            if affine else ()
        theirs = _torch_call(lambda torch: getattr(torch.nn.functional, op), x, *args,
                             *params)
        return Workload(op, (x, *args, *params), {}, theirs, 2 * x.nbytes)
    return make


def _batch_norm_train(shape):
    """F.batch_norm in training mode (batch statistics, running statistics updated) with
    an affine weight and bias: one read of x for the statistics, one for the output."""
    def make(dtype):
        rng = np.random.default_rng(0)
        c = shape[1]
        x = rng.standard_normal(shape).astype(dtype)
        running = np.zeros(c, dtype), np.ones(c, dtype)
        params = tuple(rng.standard_normal(c).astype(dtype) for _ in range(2))
        args = (x, *running, *params, True, 0.1)
        theirs = _torch_call(lambda torch: torch.nn.functional.batch_norm, x,
                             *(a.copy() for a in running), *params, True, 0.1)
        return Workload("batch_norm", args, {}, theirs, 2 * x.nbytes)
    return make


def _model(name, optimized=False, **input_args):
    def make(dtype):
        from fastnn import examples
        fastnn.manual_seed(0)
        model = examples.load(name).build().eval()
        if dtype == np.float64:
            model.double()
        if optimized:
            model = fastnn.optimize_for_inference(model)
        x = np.asarray(examples.load(name).example_input(**input_args), dtype=dtype)
        return Workload(None, (lambda: model(x),), {}, _torch_model_call(name, model, x),
                        model=model, model_input=x)
    return make


def _torch_model_call(name, model, x):
    """The same example model under torch, with fastnn's weights."""
    from fastnn import examples
    torch = _torch()
    if torch is None:
        return None
    reference = examples.load(name, "torch").build().eval()
    if x.dtype == np.float64:
        reference.double()
    reference.load_state_dict({key: torch.from_numpy(np.array(value))
                               for key, value in model.state_dict().items()})
    tx = torch.from_numpy(x)

    def call():
        with torch.no_grad():
            return reference(tx)
    return call


def _zoo(name, size=224):
    """A `fastnn.models` model at batch 1; torch runs the same source (its torch twin)
    with fastnn's weights."""
    def make(dtype):
        from fastnn import models
        fastnn.manual_seed(0)
        model = models.get_model(name).eval()
        if dtype == np.float64:
            model.double()
        x = np.random.default_rng(0).standard_normal((1, 3, size, size)).astype(dtype)
        return Workload(None, (lambda: model(x),), {}, _torch_zoo_call(name, model, x),
                        model=model, model_input=x)
    return make


def _torch_zoo_call(name, model, x):
    from fastnn.models import _torch_twin
    torch = _torch()
    if torch is None:
        return None
    with torch.device("meta"):                  # no initialisation: the weights are fastnn's
        reference = _torch_twin.load().get_model(name)
    reference = reference.to_empty(device="cpu").to(torch.from_numpy(x).dtype).eval()
    reference.load_state_dict({key: torch.from_numpy(np.array(value))
                               for key, value in model.state_dict().items()})
    tx = torch.from_numpy(x)

    def call():
        with torch.no_grad():
            return reference(tx)
    return call


def _resample(op, shape, *args, **kwargs):
    """F.<op>(x, *args, **kwargs) on a seeded input; work = bytes read and written."""
    def make(dtype):
        x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
        out = getattr(F, op)(x, *args, **kwargs)
        theirs = _torch_call(lambda torch: getattr(torch.nn.functional, op), x, *args,
                             **kwargs)
        return Workload(op, (x,) + args, kwargs, theirs, x.nbytes + out.nbytes)
    return make


def _grid_sample(shape, out_size, **kwargs):
    """F.grid_sample of a seeded input at seeded points of a grid of `out_size`, some
    outside [-1, 1]; work = bytes read (input, grid) and written."""
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal(shape).astype(dtype)
        grid = rng.uniform(-1.1, 1.1, (shape[0],) + out_size + (len(out_size),)).astype(dtype)
        out = F.grid_sample(x, grid, **kwargs)
        theirs = _torch_call(lambda torch: torch.nn.functional.grid_sample, x, grid, **kwargs)
        return Workload("grid_sample", (x, grid), kwargs, theirs,
                        x.nbytes + grid.nbytes + out.nbytes)
    return make


def _unpool(dims, shape, kernel):
    """max_unpool of max_pool's values and indices; work = bytes read and written."""
    def make(dtype):
        x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
        values, indices = getattr(F, f"max_pool{dims}d")(x, kernel, return_indices=True)
        values, indices = np.asarray(values), np.asarray(indices)
        op = f"max_unpool{dims}d"
        theirs = _torch_call(lambda torch: getattr(torch.nn.functional, op), values, indices,
                             kernel)
        return Workload(op, (values, indices, kernel), {}, theirs,
                        values.nbytes + indices.nbytes + x.nbytes)
    return make


def _prelu(shape):
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal(shape).astype(dtype)
        w = rng.random(shape[1]).astype(dtype)
        theirs = _torch_call(lambda torch: torch.nn.functional.prelu, x, w)
        return Workload("prelu", (x, w), {}, theirs, 2 * x.nbytes)
    return make


def _attention(batch, heads, tokens, head_dim, causal=False):
    """F.scaled_dot_product_attention on seeded (batch, heads, tokens, head_dim) q, k, v;
    work = the two products' FLOP."""
    def make(dtype):
        rng = np.random.default_rng(0)
        q, k, v = (rng.standard_normal((batch, heads, tokens, head_dim)).astype(dtype)
                   for _ in range(3))
        theirs = _torch_call(lambda torch: torch.nn.functional.scaled_dot_product_attention,
                             q, k, v, is_causal=causal)
        return Workload("scaled_dot_product_attention", (q, k, v), {"is_causal": causal},
                        theirs, 4 * batch * heads * tokens * tokens * head_dim)
    return make


def _multihead_attention(batch, tokens, embed_dim, heads):
    """nn.MultiheadAttention self-attention, batch first, need_weights=False (what
    TransformerEncoderLayer calls), torch's module with the same weights."""
    def make(dtype):
        fastnn.manual_seed(0)
        module = fastnn.nn.MultiheadAttention(embed_dim, heads, batch_first=True,
                                              dtype=dtype).eval()
        x = np.random.default_rng(0).standard_normal((batch, tokens, embed_dim)).astype(dtype)
        torch = _torch()
        theirs = None
        if torch is not None:
            reference = torch.nn.MultiheadAttention(embed_dim, heads, batch_first=True,
                                                    dtype=torch.from_numpy(x).dtype).eval()
            reference.load_state_dict({key: torch.from_numpy(np.array(value))
                                       for key, value in module.state_dict().items()})
            tx = torch.from_numpy(x)

            def call():
                with torch.no_grad():
                    return reference(tx, tx, tx, need_weights=False)
            theirs = call
        return Workload(None, (lambda: module(x, x, x, need_weights=False),), {}, theirs)
    return make


def _optimizer(name, shapes, torch_options=None, **options):
    """One `step()` of optimizer `name` over seeded parameters of `shapes` with gradients
    set (the same arrays for torch's twin, built with `options` and `torch_options`), so
    only the update is timed."""
    def make(dtype):
        rng = np.random.default_rng(0)
        values = [rng.standard_normal(s).astype(dtype) for s in shapes]
        grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
        params = [fastnn.nn.Parameter(fastnn.tensor(v)) for v in values]
        for p, g in zip(params, grads):
            p.grad = g.copy()
        opt = getattr(fastnn.optim, name)(params, **options)
        torch, theirs = _torch(), None
        if torch is not None:
            tparams = [torch.nn.Parameter(torch.tensor(v)) for v in values]
            for p, g in zip(tparams, grads):
                p.grad = torch.tensor(g)
            topt = getattr(torch.optim, name)(tparams, **options, **(torch_options or {}))
            theirs = topt.step
        return Workload(None, (opt.step,), {}, theirs)
    return make


# the parameter shapes of the LeNet example and of a ResNet stage (conv, BN weights)
_LENET_SHAPES = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120),
                 (84,), (10, 84), (10,)]
_RESNET_STAGE_SHAPES = [(128, 128, 3, 3)] * 4 + [(128,)] * 8


def _resnet18_shapes():
    """ResNet-18's 62 parameter tensors (11.7M values): convolutions, batch norms, fc."""
    shapes, c_in = [(64, 3, 7, 7), (64,), (64,)], 64
    for c in (64, 128, 256, 512):
        for block in range(2):
            shapes += [(c, c_in, 3, 3), (c,), (c,), (c, c, 3, 3), (c,), (c,)]
            if block == 0 and c != c_in:
                shapes += [(c, c_in, 1, 1), (c,), (c,)]
            c_in = c
    return shapes + [(1000, 512), (1000,)]


# torch's optimizers loop over the parameters on the CPU unless foreach=True is asked for
_FOREACH = {"foreach": True}


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_call(get_op, *args, **kwargs):
    torch = _torch()
    if torch is None:
        return None
    op = get_op(torch)
    args = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]

    def call():
        with torch.no_grad():
            return op(*args, **kwargs)
    return call


# Common layer shapes, then layers of well-known networks (named first).
CASES = [
    Case("conv2d", "3x3 p1 n1 64ch 56x56", _conv(2, 1, 64, 64, 56, 3, padding=1), smoke=True),
    Case("conv2d", "3x3 p1 n8 128ch 28x28", _conv(2, 8, 128, 128, 28, 3, padding=1)),
    Case("conv2d", "1x1 n8 256->64 56x56", _conv(2, 8, 256, 64, 56, 1)),
    Case("conv2d", "depthwise 3x3 p1 n8 128ch 56x56",
         _conv(2, 8, 128, 128, 56, 3, padding=1, groups=128)),
    Case("conv2d", "grouped 3x3 p1 g32 n8 128ch 28x28",
         _conv(2, 8, 128, 128, 28, 3, padding=1, groups=32)),
    Case("conv3d", "3x3x3 p1 n1 64ch 8x28x28", _conv(3, 1, 64, 64, (8, 28, 28), 3, padding=1)),
    Case("conv2d", "ResNet stem 7x7 s2 p3 n1 3->64 224x224", _conv(2, 1, 3, 64, 224, 7, 2, 3)),
    Case("conv2d", "ResNet 3x3 s2 p1 n1 128->256 28x28",
         _conv(2, 1, 128, 256, 28, 3, stride=2, padding=1)),
    Case("conv2d", "ResNet 1x1 s2 n1 256->512 28x28", _conv(2, 1, 256, 512, 28, 1, stride=2)),
    Case("conv2d", "ResNet-50 1x1 n1 256->1024 14x14", _conv(2, 1, 256, 1024, 14, 1)),
    Case("conv2d", "VGG 3x3 p1 n1 256ch 28x28", _conv(2, 1, 256, 256, 28, 3, padding=1)),
    Case("conv2d", "MobileNet depthwise 3x3 s2 p1 n1 64ch 112x112",
         _conv(2, 1, 64, 64, 112, 3, stride=2, padding=1, groups=64)),
    Case("conv2d", "EfficientNet depthwise 5x5 s2 p2 n1 144ch 56x56",
         _conv(2, 1, 144, 144, 56, 5, stride=2, padding=2, groups=144)),
    Case("conv2d", "MobileNet pointwise 1x1 n1 64->128 56x56", _conv(2, 1, 64, 128, 56, 1)),
    Case("conv2d", "ResNeXt grouped 3x3 p1 g32 n1 256ch 28x28",
         _conv(2, 1, 256, 256, 28, 3, padding=1, groups=32)),
    Case("conv2d", "DeepLab 3x3 d2 p2 n1 256ch 33x33", _conv(2, 1, 256, 256, 33, 3, 1, 2, 2)),
    Case("conv2d", "DeepLab 3x3 d6 p6 n1 128ch 33x33", _conv(2, 1, 128, 128, 33, 3, 1, 6, 6)),
    Case("conv2d", "LeNet 5x5 n64 1->6 32x32", _conv(2, 64, 1, 6, 32, 5)),
    Case("conv1d", "WaveNet k2 d8 p8 n8 64ch L1024", _conv(1, 8, 64, 64, 1024, 2, 1, 8, 8)),
    Case("conv1d", "k3 d4 p4 n8 64ch L1024", _conv(1, 8, 64, 64, 1024, 3, 1, 4, 4)),
    Case("conv3d", "C3D 3x3x3 p1 n1 64ch 16x28x28",
         _conv(3, 1, 64, 64, (16, 28, 28), 3, padding=1)),
    Case("conv3d", "depthwise 3x3x3 p1 n2 64ch 8x28x28",
         _conv(3, 2, 64, 64, (8, 28, 28), 3, padding=1, groups=64)),
    Case("conv_transpose2d", "UNet k2 s2 n1 256->128 28x28",
         _conv_transpose(2, 1, 256, 128, 28, 2, stride=2), smoke=True),
    Case("conv_transpose2d", "DCGAN k4 s2 p1 n1 64->32 64x64",
         _conv_transpose(2, 1, 64, 32, 64, 4, stride=2, padding=1)),
    Case("conv_transpose2d", "k3 s2 p1 op1 n1 128->64 32x32",
         _conv_transpose(2, 1, 128, 64, 32, 3, stride=2, padding=1, output_padding=1)),
    Case("conv_transpose1d", "k4 s2 p1 n4 64->32 L1024",
         _conv_transpose(1, 4, 64, 32, 1024, 4, stride=2, padding=1)),
    Case("conv_transpose3d", "k2 s2 n1 32->16 16^3", _conv_transpose(3, 1, 32, 16, 16, 2, 2)),
    Case("conv_transpose3d", "k3 s2 p1 op1 n1 32->16 16^3",
         _conv_transpose(3, 1, 32, 16, 16, 3, 2, 1, 1)),
    Case("max_pool2d", "k3 s2 p1 n8 64ch 112x112", _max_pool(2, (8, 64, 112, 112), 3, 2, 1),
         "GB/s"),
    Case("max_pool2d", "k2 n32 16ch 56x56", _max_pool(2, (32, 16, 56, 56), 2), "GB/s",
         smoke=True),
    Case("max_pool3d", "k2 n2 64ch 16x56x56", _max_pool(3, (2, 64, 16, 56, 56), 2), "GB/s"),
    Case("max_pool1d", "k3 s2 p1 n8 64ch L1024", _max_pool(1, (8, 64, 1024), 3, 2, 1),
         "GB/s"),
    Case("interpolate", "bilinear x2 n1 64ch 56x56",
         _resample("interpolate", (1, 64, 56, 56), scale_factor=2, mode="bilinear"), "GB/s",
         smoke=True),
    Case("interpolate", "bilinear x2 align_corners n8 32ch 28x28",
         _resample("interpolate", (8, 32, 28, 28), scale_factor=2, mode="bilinear",
                   align_corners=True), "GB/s"),
    Case("interpolate", "nearest x2 n1 256ch 28x28",
         _resample("interpolate", (1, 256, 28, 28), scale_factor=2), "GB/s"),
    Case("interpolate", "nearest 1.5x n1 64ch 56x56",
         _resample("interpolate", (1, 64, 56, 56), scale_factor=1.5), "GB/s"),
    Case("interpolate", "bicubic x2 n1 32ch 56x56",
         _resample("interpolate", (1, 32, 56, 56), scale_factor=2, mode="bicubic"), "GB/s"),
    Case("interpolate", "bicubic antialias 448->224 n1 3ch",
         _resample("interpolate", (1, 3, 448, 448), size=224, mode="bicubic",
                   antialias=True), "GB/s"),
    Case("interpolate", "bilinear antialias 448->224 n1 3ch",
         _resample("interpolate", (1, 3, 448, 448), size=224, mode="bilinear",
                   antialias=True), "GB/s"),
    Case("interpolate", "trilinear x2 n1 16ch 8x28x28",
         _resample("interpolate", (1, 16, 8, 28, 28), scale_factor=2, mode="trilinear"),
         "GB/s"),
    Case("grid_sample", "bilinear n1 32ch 56x56",
         _grid_sample((1, 32, 56, 56), (56, 56), align_corners=False), "GB/s"),
    Case("grid_sample", "bicubic reflection n1 8ch 56x56",
         _grid_sample((1, 8, 56, 56), (56, 56), mode="bicubic", padding_mode="reflection",
                      align_corners=False), "GB/s"),
    Case("grid_sample", "trilinear n1 8ch 8x28x28",
         _grid_sample((1, 8, 8, 28, 28), (8, 28, 28), align_corners=True), "GB/s"),
    Case("pixel_shuffle", "r2 n1 256ch 28x28", _resample("pixel_shuffle", (1, 256, 28, 28), 2),
         "GB/s"),
    Case("channel_shuffle", "ShuffleNet g2 n1 232ch 28x28",
         _resample("channel_shuffle", (1, 232, 28, 28), 2), "GB/s"),
    Case("linear", "256x1024 @ 1024->1024", _linear(256, 1024, 1024)),
    Case("linear", "1x4096 @ 4096->1000", _linear(1, 4096, 1000), smoke=True),
    Case("group_norm", "GroupNorm(32, 256) n1 56x56", _norm("group_norm", (1, 256, 56, 56), 32,
                                                            affine=256), "GB/s", smoke=True),
    Case("group_norm", "GroupNorm(32, 128) n8 28x28", _norm("group_norm", (8, 128, 28, 28), 32,
                                                            affine=128), "GB/s"),
    Case("batch_norm", "BatchNorm2d(96) training n8 56x56", _batch_norm_train((8, 96, 56, 56)),
         "GB/s"),
    Case("batch_norm", "BatchNorm2d(960) training n8 4x4", _batch_norm_train((8, 960, 4, 4)),
         "GB/s"),
    Case("layer_norm", "LayerNorm(768) ViT-B 8x197x768",
         _norm("layer_norm", (8, 197, 768), (768,), affine=768), "GB/s"),
    Case("layer_norm", "LayerNorm((64, 56, 56)) n1 64ch 56x56",
         _norm("layer_norm", (1, 64, 56, 56), (64, 56, 56)), "GB/s"),
    Case("instance_norm", "InstanceNorm2d(64) n1 112x112",
         _norm("instance_norm", (1, 64, 112, 112)), "GB/s"),
    Case("instance_norm", "InstanceNorm2d(128, affine) n4 64x64",
         _norm("instance_norm", (4, 128, 64, 64), None, None, affine=128), "GB/s"),
    Case("local_response_norm", "LocalResponseNorm(5) AlexNet n1 96ch 55x55",
         _norm("local_response_norm", (1, 96, 55, 55), 5), "GB/s"),
    Case("lp_pool2d", "p2 k2 n8 64ch 56x56", _resample("lp_pool2d", (8, 64, 56, 56), 2, 2),
         "GB/s"),
    Case("max_unpool2d", "k2 n8 64ch 112x112", _unpool(2, (8, 64, 112, 112), 2), "GB/s"),
    Case("mish", "n8 64ch 56x56", _resample("mish", (8, 64, 56, 56)), "GB/s", smoke=True),
    Case("softplus", "n8 64ch 56x56", _resample("softplus", (8, 64, 56, 56)), "GB/s"),
    Case("silu", "n8 64ch 56x56", _resample("silu", (8, 64, 56, 56)), "GB/s"),
    Case("silu", "n1 144ch 56x56 (EfficientNet-B0)", _resample("silu", (1, 144, 56, 56)),
         "GB/s"),
    Case("sigmoid", "n8 64ch 56x56", _resample("sigmoid", (8, 64, 56, 56)), "GB/s"),
    Case("elu", "n8 64ch 56x56", _resample("elu", (8, 64, 56, 56)), "GB/s"),
    Case("prelu", "n8 64ch 56x56", _prelu((8, 64, 56, 56)), "GB/s"),
    Case("gelu", "erf n8 64ch 56x56", _resample("gelu", (8, 64, 56, 56)), "GB/s"),
    Case("gelu", "erf n1 56x56x384 (ConvNeXt-T)", _resample("gelu", (1, 56, 56, 384)), "GB/s"),
    Case("gelu", "erf n1 14x14x1536 (ConvNeXt-T)", _resample("gelu", (1, 14, 14, 1536)),
         "GB/s"),
    Case("gelu", "tanh n8 64ch 56x56", _resample("gelu", (8, 64, 56, 56), approximate="tanh"),
         "GB/s"),
    Case("scaled_dot_product_attention", "ViT-B n8 12 heads 197x64", _attention(8, 12, 197, 64)),
    Case("scaled_dot_product_attention", "causal n1 12 heads 512x64",
         _attention(1, 12, 512, 64, causal=True)),
    Case("scaled_dot_product_attention", "n2 4 heads 64x32", _attention(2, 4, 64, 32),
         smoke=True),
    Case("model", "MultiheadAttention ViT-B n8 197x768 12 heads",
         _multihead_attention(8, 197, 768, 12), None),
    Case("model", "LeNet batch 1", _model("lenet", batch_size=1), None, smoke=True),
    Case("model", "ResNet-18 batch 1 224x224", _model("resnet", batch_size=1), None),
    Case("model", "ResNet-18 batch 1 224x224, optimized",
         _model("resnet", optimized=True, batch_size=1), None),
    # fastnn.models at batch 1, 224x224 (ResNet-18 is the example model above)
] + [Case("model", f"{name} batch 1 224x224", _zoo(name), None) for name in (
    "resnet50", "resnext50_32x4d", "wide_resnet50_2", "vgg16_bn", "mobilenet_v2",
    "squeezenet1_1", "densenet121", "shufflenet_v2_x1_0", "mobilenet_v3_large",
    "efficientnet_b0", "regnet_y_400mf", "convnext_tiny", "unet")]

# The losses (forward): a training step's loss on classifier logits and regression outputs.
FAMILIES.update({"cross_entropy": "losses", "mse_loss": "losses",
                 "binary_cross_entropy_with_logits": "losses"})


def _loss(op, shape, classes=False, **kwargs):
    """F.<op>(x, target, **kwargs) on seeded data (class indices when `classes`); work =
    bytes read."""
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal(shape).astype(dtype)
        if classes:
            target = rng.integers(0, shape[1], (shape[0],) + tuple(shape[2:]))
        else:
            target = rng.random(shape).astype(dtype)
        theirs = _torch_call(lambda torch: getattr(torch.nn.functional, op), x, target,
                             **kwargs)
        return Workload(op, (x, target), kwargs, theirs, x.nbytes + target.nbytes)
    return make


CASES += [
    Case("cross_entropy", "n64 10 classes (LeNet)", _loss("cross_entropy", (64, 10), True),
         "GB/s", smoke=True),
    Case("cross_entropy", "n256 1000 classes label_smoothing 0.1",
         _loss("cross_entropy", (256, 1000), True, label_smoothing=0.1), "GB/s"),
    Case("cross_entropy", "segmentation n4 21 classes 64x64",
         _loss("cross_entropy", (4, 21, 64, 64), True), "GB/s"),
    Case("mse_loss", "n64 x 1000", _loss("mse_loss", (64, 1000)), "GB/s"),
    Case("binary_cross_entropy_with_logits", "n64 x 1000",
         _loss("binary_cross_entropy_with_logits", (64, 1000)), "GB/s"),
    Case("optimizer", "SGD momentum LeNet parameters",
         _optimizer("SGD", _LENET_SHAPES, lr=0.01, momentum=0.9), None, smoke=True),
    Case("optimizer", "Adam LeNet parameters", _optimizer("Adam", _LENET_SHAPES), None),
    Case("optimizer", "SGD nesterov wd ResNet stage 128ch",
         _optimizer("SGD", _RESNET_STAGE_SHAPES, lr=0.01, momentum=0.9, nesterov=True,
                    weight_decay=1e-4), None),
    Case("optimizer", "AdamW ResNet stage 128ch", _optimizer("AdamW", _RESNET_STAGE_SHAPES),
         None),
    Case("optimizer", "RMSprop centered ResNet stage 128ch",
         _optimizer("RMSprop", _RESNET_STAGE_SHAPES, centered=True), None),
    Case("optimizer", "ResNet-18 SGD momentum wd, torch foreach",
         _optimizer("SGD", _resnet18_shapes(), _FOREACH, lr=0.1, momentum=0.9,
                    weight_decay=1e-4), None),
    Case("optimizer", "ResNet-18 Adam, torch foreach",
         _optimizer("Adam", _resnet18_shapes(), _FOREACH), None),
    Case("optimizer", "ResNet-18 AdamW amsgrad, torch foreach",
         _optimizer("AdamW", _resnet18_shapes(), _FOREACH, amsgrad=True), None),
    Case("optimizer", "ResNet-18 RMSprop centered, torch foreach",
         _optimizer("RMSprop", _resnet18_shapes(), _FOREACH, centered=True, momentum=0.9),
         None),
]

# Backward of the activations, softmax and cross entropy (issue #16): `_bench_backward`.
FAMILIES["activation_backward"] = "activation_backward"


def _backward_workload(make):
    def workload(dtype):
        ours, theirs, work = make(dtype)
        return Workload(None, (ours,), {}, theirs, work)
    return workload


CASES += [Case("activation_backward", label, _backward_workload(make), "GB/s", smoke=smoke)
          for label, make, smoke in _bench_backward.ACTIVATION_CASES]


# Backward of batch norm, layer norm and linear (#16): `_bench_norm_backward`.
from ._bench_norm_backward import backward_cases  # noqa: E402  (it needs nothing of this one)

FAMILIES.update({"norm_backward": "norm_backward"})
CASES += backward_cases(Case, Workload)


def find_case(label):
    """The case whose `label` ("group name") is `label`."""
    for case in CASES:
        if case.label == label:
            return case
    raise KeyError(label)


def time_many(calls, block_seconds=0.1, rounds=5, settle_seconds=0.02):
    """Median seconds per call of each named callable (None: skipped), in alternating
    blocks of at least `block_seconds`; each callable is run twice before timing (the
    second call, not the first, which may compile or set up a library, sizes its blocks).
    Each block starts after `settle_seconds` of sleep and one untimed call, so what the
    previous block leaves behind is not charged to this one: another library's threads
    still spinning (torch's OpenMP workers and ONNX Runtime's spin after a call and take
    cores from the next block's first milliseconds, which one untimed call did not cover:
    `python benchmarks/rules.py settle` times a call after torch's block and after its
    own), its data in the caches."""
    plan = {}
    for name, fn in calls.items():
        if fn is None:
            continue
        fn()
        started = time.perf_counter()
        fn()
        once = max(time.perf_counter() - started, 1e-7)
        plan[name] = (fn, max(1, int(block_seconds / once)))
    samples = {name: [] for name in plan}
    for _ in range(rounds):
        for name, (fn, repeat) in plan.items():
            time.sleep(settle_seconds)
            fn()
            started = time.perf_counter()
            for _ in range(repeat):
                fn()
            samples[name].append((time.perf_counter() - started) / repeat)
    return {name: statistics.median(values) for name, values in samples.items()}


def time_pair(ours, theirs, block_seconds=0.1, rounds=5):
    """Median seconds per call of `ours` and `theirs`, in alternating blocks."""
    times = time_many({"ours": ours, "theirs": theirs}, block_seconds, rounds)
    return times.get("ours"), times.get("theirs")


@dataclass
class Row:
    case: Case
    variant: str
    default: bool          # the variant fastnn picks by itself
    seconds: float
    torch_seconds: object  # None without torch
    rate: object           # GFLOP/s or GB/s; None when the case has no rate
    speedup: object        # torch time / fastnn time; None without torch


# variants that run on OpenBLAS, whose threads spin after a call for longer than
# `time_many`'s settling pause and slow whatever runs next (`python benchmarks/rules.py
# resnet` showed it on the variant timed after 'im2col_gemm')
BLAS_VARIANTS = ("im2col_gemm", "blas")


def time_apart(calls, apart, block_seconds=0.1, rounds=5):
    """`time_many` of `calls`, those named in `apart` (BLAS variants) timed after the
    others, in blocks of their own."""
    together = {name: fn for name, fn in calls.items() if name not in apart}
    times = time_many(together, block_seconds, rounds)
    alone = {name: fn for name, fn in calls.items() if name in apart}
    if alone:
        times.update(time_many(alone, block_seconds, rounds))
    return times


def run_cases(cases, dtype=np.float32, block_seconds=0.1, rounds=5, progress=None,
              all_variants=False):
    """Time each case on its default variant (or on every applicable one): Rows. A BLAS
    variant that is not the default is timed after the others, in blocks of its own."""
    rows = []
    for index, case in enumerate(cases):
        if progress:
            progress(index, len(cases), case)
        workload = case.make(dtype)
        default = workload.default_variant()
        names = workload.variants() if all_variants else [default]
        calls = {name: workload.call(name) for name in names}
        for fn in calls.values():
            fn()                              # compile (never timed)
        calls["torch"] = workload.torch_call
        times = time_apart(calls, [name for name in names
                                   if name in BLAS_VARIANTS and name != default],
                           block_seconds, rounds)
        t_torch = times.get("torch")
        for name in names:
            t = times[name]
            rate = workload.work / t / 1e9 if workload.work and case.unit else None
            rows.append(Row(case, name, name == default, t, t_torch, rate,
                            t_torch / t if t_torch else None))
    return rows


def format_table(rows):
    """The table; '*' marks the variant fastnn picks by itself. The geometric mean is over
    the default variants only."""
    lines = [f"{'op':<11} {'case':<46} {'variant':<13} {'fastnn ms':>10} {'torch ms':>9} "
             f"{'rate':>14} {'speedup':>8}"]
    for row in rows:
        torch_ms = f"{row.torch_seconds * 1e3:9.3f}" if row.torch_seconds else f"{'-':>9}"
        rate_text = f"{row.rate:7.1f} {row.case.unit}" if row.rate else ""
        speed = f"{row.speedup:7.2f}x" if row.speedup else f"{'-':>8}"
        variant = row.variant + ("*" if row.default else "")
        lines.append(f"{row.case.group:<11} {row.case.name:<46} {variant:<13} "
                     f"{row.seconds * 1e3:10.3f} {torch_ms} {rate_text:>14} {speed}")
    speedups = [row.speedup for row in rows if row.speedup and row.default]
    if speedups:
        geomean = float(np.exp(np.mean(np.log(speedups))))
        lines.append(f"geometric mean speedup (default variants) over {len(speedups)} "
                     f"cases: {geomean:.2f}x")
    return "\n".join(lines)


def memory_table(cases, dtype=np.float32, progress=None):
    """Per op case: the default variant and the bytes a call allocates beyond its output
    (`fastnn._peakmem`), with the weights as given and frozen."""
    lines = [f"{'op':<11} {'case':<46} {'variant':<12} {'input MB':>9} {'output MB':>9} "
             f"{'extra MB':>9} {'frozen':>9}"]
    for index, case in enumerate(cases):
        if progress:
            progress(index, len(cases), case)
        workload = case.make(dtype)
        if workload.op is None:
            continue
        out = np.asarray(workload.call()())
        extra = _peakmem.extra_bytes(workload.call())
        frozen = _peakmem.extra_bytes(workload.frozen().call())
        lines.append(f"{case.group:<11} {case.name:<46} {workload.default_variant():<12} "
                     f"{workload.args[0].nbytes / 1e6:9.2f} {out.nbytes / 1e6:9.2f} "
                     f"{extra / 1e6:9.2f} {frozen / 1e6:9.2f}")
    return "\n".join(lines)


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [row for row in rows if row.speedup]
    labels = [f"{row.case.label} [{row.variant}{'*' if row.default else ''}]"
              for row in rows]
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(rows) + 1.2))
    ax.barh(labels[::-1], [row.speedup for row in rows][::-1],
            color=["tab:blue" if row.default else "tab:gray" for row in rows][::-1])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("speedup vs PyTorch (torch time / fastnn time); * = default variant")
    ax.set_xscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def add_arguments(parser):
    parser.add_argument("--only", default="", metavar="TEXT",
                        help="run only cases whose op or name contains TEXT")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--threads", type=positive_int, default=2, help="threads for both (2)")
    parser.add_argument("--rounds", type=positive_int, default=5,
                        help="alternating blocks (5)")
    parser.add_argument("--variants", action="store_true",
                        help="time every kernel variant that applies to a case, not only "
                             "the one fastnn picks (marked *)")
    parser.add_argument("--memory", action="store_true",
                        help="instead of timing, show the bytes each op's call allocates "
                             "beyond its output (Linux), with its weights as given and "
                             "frozen by fastnn.optimize_for_inference")
    parser.add_argument("--train", action="store_true",
                        help="instead, time a training step (forward, cross-entropy, "
                             "backward, SGD) of whole models against torch")
    parser.add_argument("--plot", metavar="PNG", default=None,
                        help="also write a bar chart of the speedups (needs matplotlib)")


def _refuse(message):
    print(f"python -m fastnn bench: error: {message}", file=sys.stderr)
    return 2


def _unusable_arguments(args, cases, models=()):
    """Why the run cannot go ahead (checked before anything is timed), or None."""
    if not cases and not models:
        labels = "\n  ".join([case.label for case in CASES]
                             + [model.label for model in _bench_models.MODELS])
        return f"no case matches --only {args.only!r}; the cases are:\n  {labels}"
    if args.plot and not args.memory:
        folder = os.path.dirname(os.path.abspath(args.plot))
        if not os.path.isdir(folder):
            return f"--plot: the folder {folder} does not exist"
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            return ("--plot needs matplotlib, which is not installed (pip install "
                    "matplotlib, or leave out --plot)")
    return None


def main(args, stream=None):
    stream = stream or sys.stdout           # looked up per call (pytest replaces it)
    cases = [c for c in CASES if args.only in c.label]
    models = [m for m in _bench_models.MODELS if args.only in m.label]
    if not args.train:
        problem = _unusable_arguments(args, cases, models)
        if problem:
            return _refuse(problem)
    fastnn.set_num_threads(args.threads)
    torch = _torch()
    if torch is None:
        print("torch is not installed: showing fastnn's times only", file=stream)
    else:
        torch.set_num_threads(args.threads)

    def progress(index, total, case):
        stream.write(f"\r[{index + 1}/{total}] {case.label:<58}")
        stream.flush()

    if args.train:
        return _run_train(args, stream, progress)
    # inference is timed without autograd on both sides (torch's calls run under
    # torch.no_grad()); a case that times a backward turns grad mode on in its own call
    with fastnn.no_grad():
        return _run(args, cases, models, stream, progress)


def _run_train(args, stream, progress):
    from ._bench_train import TRAIN_CASES, train_table
    cases = [c for c in TRAIN_CASES if args.only in c.label]
    if not cases:
        return _refuse(f"no training case matches --only {args.only!r}")
    table = train_table(cases, args.rounds, progress)
    stream.write("\r" + " " * 80 + "\r")
    print(f"float32, {args.threads} threads, median of {args.rounds} alternating blocks; "
          f"speedup: torch's time / fastnn's; max diff: parameters after 3 steps, relative, "
          f"from torch's; torch f32: torch's float32 parameters from its float64 ones",
          file=stream)
    print(table, file=stream)
    return 0


def _run(args, cases, models, stream, progress):
    if args.memory:
        if not _peakmem.available():
            print("--memory needs Linux with glibc", file=stream)
            return 2
        _peakmem.fix_malloc()             # before the cases allocate (see _peakmem)
        table = memory_table(cases, np.dtype(args.dtype), progress)
        stream.write("\r" + " " * 80 + "\r")
        print(f"{args.dtype}, {args.threads} threads: bytes allocated per call beyond the "
              f"output", file=stream)
        print(table, file=stream)
        if models:
            table = _bench_models.memory_table(models, np.dtype(args.dtype), progress)
            stream.write("\r" + " " * 80 + "\r")
            print("\nwhole models (optimized = fastnn.optimize_for_inference; plan: the "
                  "buffers its memory plan keeps between calls)", file=stream)
            print(table, file=stream)
        return 0
    rows = run_cases(cases, np.dtype(args.dtype), rounds=args.rounds, progress=progress,
                     all_variants=args.variants)
    stream.write("\r" + " " * 80 + "\r")
    print(f"{args.dtype}, {args.threads} threads, median of {args.rounds} alternating blocks",
          file=stream)
    if rows:
        print(format_table(rows), file=stream)
    if models:
        table = _bench_models.model_table(models, np.dtype(args.dtype), args.threads,
                                          args.rounds, progress)
        stream.write("\r" + " " * 80 + "\r")
        print("\nwhole models (optimized = fastnn.optimize_for_inference; vs: the other's "
              "time / optimized's; max diff: from torch, relative to the output's scale)",
              file=stream)
        print(table, file=stream)
    if args.plot:
        plot(rows, args.plot)
        print(f"chart written to {args.plot}", file=stream)
    return 0


# Backward of convolution (issue #16): ``y.backward(g, retain_graph=True)`` on both sides,
# the gradients of input (unless `input_grad` is False, as for a network's first layer),
# weight and bias; work = the multiply-adds of the gradients computed.
FAMILIES.update({"conv_backward": "conv_backward"})


def _conv_backward(dims, n, c_in, c_out, size, kernel, stride=1, padding=0, groups=1,
                   input_grad=True):
    def make(dtype):
        rng = np.random.default_rng(0)
        spatial = size if isinstance(size, tuple) else (size,) * dims
        arrays = [rng.standard_normal((n, c_in) + spatial).astype(dtype),
                  rng.standard_normal((c_out, c_in // groups) + (kernel,) * dims).astype(dtype),
                  rng.standard_normal(c_out).astype(dtype)]
        args = dict(stride=stride, padding=padding, groups=groups)
        needs = (input_grad, True, True)
        leaves = [fastnn.tensor(a, requires_grad=need) for a, need in zip(arrays, needs)]
        with fastnn.enable_grad():          # `main` runs the cases under no_grad
            y = getattr(F, f"conv{dims}d")(*leaves, **args)
        g = rng.standard_normal(y.shape).astype(dtype)
        grad = fastnn.tensor(g)
        work = _conv_flops(y.shape, arrays[1].shape, groups) * (1 + input_grad)
        return Workload(None, (lambda: y.backward(grad, retain_graph=True),), {},
                        _torch_backward(dims, arrays, needs, g, args), work)
    return make


def _torch_backward(dims, arrays, needs, g, args):
    torch = _torch()
    if torch is None:
        return None
    leaves = [torch.from_numpy(a).requires_grad_(need) for a, need in zip(arrays, needs)]
    with torch.enable_grad():
        y = getattr(torch.nn.functional, f"conv{dims}d")(*leaves, **args)
    grad = torch.from_numpy(g)
    return lambda: y.backward(grad, retain_graph=True)


CASES += [
    Case("conv_backward", "ResNet-18 3x3 p1 n8 64ch 56x56",
         _conv_backward(2, 8, 64, 64, 56, 3, padding=1)),
    Case("conv_backward", "ResNet-18 3x3 p1 n8 256ch 14x14",
         _conv_backward(2, 8, 256, 256, 14, 3, padding=1)),
    Case("conv_backward", "1x1 n8 64->256 56x56", _conv_backward(2, 8, 64, 256, 56, 1)),
    Case("conv_backward", "ResNet stem 7x7 s2 p3 n8 3->64 224x224 (no input grad)",
         _conv_backward(2, 8, 3, 64, 224, 7, 2, 3, input_grad=False)),
    Case("conv_backward", "MobileNetV2 depthwise 3x3 p1 n8 144ch 56x56",
         _conv_backward(2, 8, 144, 144, 56, 3, padding=1, groups=144)),
    Case("conv_backward", "MobileNetV2 depthwise 3x3 s2 p1 n8 144ch 56x56",
         _conv_backward(2, 8, 144, 144, 56, 3, stride=2, padding=1, groups=144)),
    # grouped (ResNeXt-50 32x4d's 3x3 layers at 112x112 input: 4 and 8 channels per
    # group, the second strided; and 16 per group)
    Case("conv_backward", "ResNeXt grouped 3x3 p1 g32 n8 128ch 28x28",
         _conv_backward(2, 8, 128, 128, 28, 3, padding=1, groups=32)),
    Case("conv_backward", "ResNeXt grouped 3x3 s2 p1 g32 n8 256ch 28x28",
         _conv_backward(2, 8, 256, 256, 28, 3, stride=2, padding=1, groups=32)),
    Case("conv_backward", "grouped 3x3 p1 g8 n8 128ch 28x28",
         _conv_backward(2, 8, 128, 128, 28, 3, padding=1, groups=8)),
    Case("conv_backward", "LeNet 5x5 n64 6->16 14x14", _conv_backward(2, 64, 6, 16, 14, 5)),
    Case("conv_backward", "conv1d k5 p2 n8 64ch L1024",
         _conv_backward(1, 8, 64, 64, 1024, 5, padding=2)),
    Case("conv_backward", "conv3d 3x3x3 p1 n2 32ch 8x28x28",
         _conv_backward(3, 2, 32, 32, (8, 28, 28), 3, padding=1)),
    Case("conv_backward", "3x3 p1 n2 16ch 16x16",
         _conv_backward(2, 2, 16, 16, 16, 3, padding=1), smoke=True),
]


# Backward of pooling and resampling (#16): the input gradient of one call whose graph is
# kept (`retain_graph`), against torch's backward of the same call. Torch's max pooling
# saves indices in its forward (an index loop) and its backward only scatters; fastnn's
# forward keeps its values-only kernel and the backward finds the argmax again, so the
# max pooling case is also timed as forward + backward.
FAMILIES.update({"pool_backward": "pool_backward"})


def _pool_backward(op, shape, *args, with_forward=False, **kwargs):
    """The gradient of F.<op>(x, *args, **kwargs) with respect to x, for a seeded x and
    output gradient (`with_forward`: the forward call timed too); work = bytes of x, the
    output gradient and x's gradient."""
    def make(dtype):
        rng = np.random.default_rng(0)
        x = rng.standard_normal(shape).astype(dtype)
        leaf = fastnn.tensor(x, requires_grad=True)
        fn = getattr(F, op)
        with fastnn.enable_grad():          # the bench runs under no_grad
            y = fn(leaf, *args, **kwargs)
        g = rng.standard_normal(y.shape).astype(dtype)
        grad = fastnn.tensor(g)

        def ours():
            with fastnn.enable_grad():
                out = fn(leaf, *args, **kwargs) if with_forward else y
                return fastnn.autograd.grad(out, leaf, grad, retain_graph=not with_forward)
        torch, theirs = _torch(), None
        if torch is not None:
            theirs = _torch_pool_backward(torch, op, x, g, args, kwargs, with_forward)
        return Workload(None, (ours,), {}, theirs, 2 * x.nbytes + g.nbytes)
    return make


def _torch_pool_backward(torch, op, x, g, args, kwargs, with_forward):
    """`_pool_backward`'s torch twin: torch.autograd.grad of the same call."""
    t_leaf = torch.from_numpy(x.copy()).requires_grad_(True)
    t_fn = getattr(torch.nn.functional, op)
    with torch.enable_grad():
        t_y = t_fn(t_leaf, *args, **kwargs)
    t_grad = torch.from_numpy(g)

    def theirs():
        with torch.enable_grad():
            out = t_fn(t_leaf, *args, **kwargs) if with_forward else t_y
            return torch.autograd.grad(out, t_leaf, t_grad, retain_graph=not with_forward)
    return theirs


CASES += [
    Case("pool_backward", "max_pool2d k3 s2 p1 n8 64ch 112x112 (ResNet)",
         _pool_backward("max_pool2d", (8, 64, 112, 112), 3, 2, 1), "GB/s"),
    Case("pool_backward", "max_pool2d k3 s2 p1 n8 64ch 112x112 forward+backward",
         _pool_backward("max_pool2d", (8, 64, 112, 112), 3, 2, 1, with_forward=True),
         "GB/s"),
    Case("pool_backward", "avg_pool2d k2 n8 64ch 112x112",
         _pool_backward("avg_pool2d", (8, 64, 112, 112), 2), "GB/s"),
    Case("pool_backward", "adaptive_avg_pool2d 1x1 n8 512ch 7x7",
         _pool_backward("adaptive_avg_pool2d", (8, 512, 7, 7), 1), "GB/s", smoke=True),
    Case("pool_backward", "interpolate bilinear x2 n8 64ch 56x56",
         _pool_backward("interpolate", (8, 64, 56, 56), scale_factor=2, mode="bilinear"),
         "GB/s"),
]
