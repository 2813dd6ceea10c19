"""The measurements behind fastnn's rules, rerunnable on any machine.

    python benchmarks/rules.py serial     # _runtime.SERIAL_MAX_WORK: one thread or all
    python benchmarks/rules.py bands      # conv_blocked.band_count: bands per plane
    python benchmarks/rules.py parts      # conv_blocked.channel_parts: split K or bands
    python benchmarks/rules.py planes     # conv_blocked.planes_per_pass: bands run together
    python benchmarks/rules.py weightgrad # gemm_nt / gemm_nt_long on weight-gradient GEMMs
    python benchmarks/rules.py shifted    # _conv_grad._shifted_pays: im2col or shifted GEMMs
    python benchmarks/rules.py gather     # _conv_grad._gather_pays: im2col or gathered taps
    python benchmarks/rules.py layout     # _conv_grad._positions_pay: the im2col's layout
    python benchmarks/rules.py plain      # _conv_grad.PLAIN_MIN_POSITIONS: 1x1 in place
    python benchmarks/rules.py variants   # every conv/linear variant on the bench cases
    python benchmarks/rules.py resnet     # every conv variant on ResNet-18's layers
    python benchmarks/rules.py positions  # conv: 'direct' / 'blocked' on few positions
    python benchmarks/rules.py resample   # interpolate's last-dimension passes, shuffles
    python benchmarks/rules.py ufunc      # tensor + tensor, tensor * number: numpy's loop or not
    python benchmarks/rules.py weightpack # 'blocked' at batch 1: weights packed whole or by group
    python benchmarks/rules.py linear     # linear's variants alone and in convnext_tiny
    python benchmarks/rules.py backlinear # linear backward's products: copy or read as is
    python benchmarks/rules.py cat        # torch.cat: numpy's copy or the threads' block copy
    python benchmarks/rules.py grouped    # conv._rule: 'grouped_h3' or 'direct' by group width
    python benchmarks/rules.py settle     # _bench.time_many: the pause before each block
    python benchmarks/rules.py stage      # conv_blocked.stage_pays: tiles stored via a stage
    python benchmarks/rules.py depthwise  # conv._depthwise_blocked_pays: channels in the lanes
    python benchmarks/rules.py permute    # _array.TRANSPOSED_COPY_MIN: permuted copies
    python benchmarks/rules.py coldout    # conv_pointwise: writing outputs not in cache
    python benchmarks/rules.py fewtasks   # conv_pointwise: one task's blocks split per thread
    python benchmarks/rules.py packing    # gemm_packed: a weight packed whole or by its tasks
    python benchmarks/rules.py nearest    # resample.nearest3d: rows through views of their own
    python benchmarks/rules.py biasgrad   # _conv_grad.bias_grad: the threads' plane sums or numpy
    python benchmarks/rules.py aliasrows  # conv_pointwise.rows_alias: 1x1 rows copied longer
    python benchmarks/rules.py directinput # _conv_grad._direct_input_pays: strided grouped
                                           # input gradients
    python benchmarks/rules.py shortk     # 'pointwise' and 'packed' where a tile has few steps
    python benchmarks/rules.py directgrad # _conv_grad._direct_pays: direct weight gradients

Each prints the CPU model and its table; docs/PERF.md keeps the figures with the machine
they came from. Times are medians of alternating blocks in one process
(fastnn._bench.time_many), 2 threads unless said.
"""
import argparse
import math
import sys

import numba
import numpy as np
from _machine import cpu_model  # benchmarks/_machine.py (run as a script)

import fastnn
import fastnn.nn.functional as F
from fastnn import _bench, backends
from fastnn.kernels import gemm_packed
from fastnn.kernels import _target
from fastnn.kernels import resample as resample_kernels
from fastnn.kernels._epilogue import NONE
from fastnn.kernels.conv_pad import _u
from fastnn.kernels.pooling import _chunk_bounds, num_chunks


def _data(*shapes):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def serial():
    """Work below SERIAL_MAX_WORK runs on the calling thread: us per call on 1 / 2 threads."""
    from fastnn import _runtime
    x64k, = _data((64, 1024))
    lenet_x, lenet_w = _data((1, 1, 32, 32), (6, 1, 5, 5))
    pool_x, = _data((1, 8, 160, 160))
    conv_x, conv_w = _data((1, 16, 28, 28), (16, 16, 3, 3))
    x25k, x56k = _data((1, 512, 7, 7), (1, 1152, 7, 7))
    cases = [("relu, 64K elements", lambda: F.relu(x64k)),
             ("silu, 25K elements (MATH_WORK each)", lambda: F.silu(x25k)),
             ("silu, 56K elements (MATH_WORK each)", lambda: F.silu(x56k)),
             ("LeNet 5x5 conv, 240K multiply-adds", lambda: F.conv2d(lenet_x, lenet_w)),
             ("max_pool2d k3 s2, 200K elements", lambda: F.max_pool2d(pool_x, 3, 2)),
             ("3x3 conv, 1.8M multiply-adds", lambda: F.conv2d(conv_x, conv_w, padding=1))]
    print(f"SERIAL_MAX_WORK = {_runtime.SERIAL_MAX_WORK}; us per call, forced to one thread "
          "/ two threads")
    for name, call in cases:
        times = _one_and_two_threads(call)
        print(f"  {name:<38} {times['one'] * 1e6:8.1f} / {times['two'] * 1e6:8.1f}")


def _one_and_two_threads(call):
    """{"one": seconds per call forced onto the calling thread, "two": on all threads}:
    `launch`'s SERIAL_MAX_WORK set past any work, then to none."""
    from fastnn import _runtime
    limit = _runtime.SERIAL_MAX_WORK
    times = {}
    try:
        for label, work_limit in (("one", 1 << 62), ("two", 0)):
            _runtime.SERIAL_MAX_WORK = work_limit
            times[label] = _bench.time_many({label: call})[label]
    finally:
        _runtime.SERIAL_MAX_WORK = limit
    return times


BAND_CASES = [("3x3 n1 64ch 56x56", (1, 64, 56, 56), (64, 64, 3, 3), {}),
              ("3x3 n8 128ch 28x28", (8, 128, 28, 28), (128, 128, 3, 3), {}),
              ("VGG 3x3 n1 256ch 28x28", (1, 256, 28, 28), (256, 256, 3, 3), {}),
              ("DeepLab d2 256ch 33x33", (1, 256, 33, 33), (256, 256, 3, 3),
               dict(dilation=2, padding=2)),
              ("UNet 3x3 n1 128ch 112x112", (1, 128, 112, 112), (128, 128, 3, 3), {}),
              ("UNet 3x3 n1 64ch 224x224", (1, 64, 224, 224), (64, 64, 3, 3), {}),
              ("UNet 3x3 n1 1024ch 28x28", (1, 1024, 28, 28), (512, 1024, 3, 3), {})]


def bands():
    """conv3d_blocked's time at 1, 2, 4, 8 and 16 bands per plane, and at the rule's pick
    (marked *) where it is another count."""
    from fastnn.kernels import conv_blocked
    rule = conv_blocked.band_count
    print("ms per call at 1 / 2 / 4 / 8 / 16 bands per plane ('blocked', float32)")
    for name, xs, ws, kw in BAND_CASES:
        x, w = _data(xs, ws)
        kw = dict(dict(padding=1), **kw)
        out = F.conv2d(x, w, **kw).shape
        shapes = (xs[:2] + (1,) + xs[2:], ws[:2] + (1,) + ws[2:], out[:2] + (1,) + out[2:])
        threads = fastnn.get_num_threads()
        parts = conv_blocked.channel_parts(*shapes, 4, threads)
        picked = rule(*shapes, (1,) + (kw.get("stride", 1),) * 2,
                      (1,) + (kw.get("dilation", 1),) * 2, 4, threads // parts)
        counts = sorted({1, 2, 4, 8, 16, picked})
        row = []
        for count in counts:
            conv_blocked.band_count = lambda *a, _n=count: _n
            with backends.use("conv2d", "blocked"):
                row.append(_bench.time_many({"t": lambda: F.conv2d(x, w, **kw)})["t"])
        conv_blocked.band_count = rule
        cells = [f"{t * 1e3:.3f}{'*' if n == picked else ''}"
                 + (f" ({n})" if n not in (1, 2, 4, 8, 16) else "")
                 for n, t in zip(counts, row)]
        print(f"  {name:<24} " + " / ".join(cells))


# dense layers whose weights outgrow L2 at batch > 1: (batch, input (C, H, W), weight, args)
PLANE_CASES = [(8, (512, 4, 4), (512, 512, 3, 3), {}),        # ResNet-18, 112x112 input
               (8, (256, 7, 7), (256, 256, 3, 3), {}),
               (8, (512, 7, 7), (512, 512, 3, 3), {}),        # ResNet-18, 224x224 input
               (8, (256, 14, 14), (256, 256, 3, 3), {}),
               (2, (512, 7, 7), (512, 512, 3, 3), {}),
               (8, (256, 7, 7), (512, 256, 3, 3), dict(stride=2)),
               (8, (128, 14, 14), (128, 128, 3, 3), {})]     # weights within L2: 1


def planes():
    """conv3d_blocked running each band alone (1) or in passes of the rule's count of
    bands (`conv_blocked.planes_per_pass`, its count in brackets), ms per call."""
    from fastnn.kernels import conv_blocked
    rule = conv_blocked.planes_per_pass
    print("ms per call: one band at a time / passes of the rule's count ('blocked')")
    for n, chw, ws, kw in PLANE_CASES:
        x, w = _data((n,) + chw, ws)
        kw = dict(dict(padding=1), **kw)
        picks = []
        conv_blocked.planes_per_pass = lambda *a: picks.append(rule(*a)) or picks[-1]
        with backends.use("conv2d", "blocked"):
            F.conv2d(x, w, **kw)
            times = {}
            for name, count in (("one", lambda *a: 1), ("rule", rule)):
                conv_blocked.planes_per_pass = count
                times[name] = _bench.time_many({"t": lambda: F.conv2d(x, w, **kw)})["t"]
        conv_blocked.planes_per_pass = rule
        print(f"  n{n} {ws[1]}->{ws[0]} {chw[1]}x{chw[2]} {kw}: {times['one'] * 1e3:.3f} / "
              f"{times['rule'] * 1e3:.3f} ({picks[0]})")


RESNET_3X3 = [((1, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
              ((1, 64, 56, 56), (128, 64, 3, 3), dict(stride=2, padding=1)),
              ((1, 128, 28, 28), (128, 128, 3, 3), dict(padding=1)),
              ((1, 128, 28, 28), (256, 128, 3, 3), dict(stride=2, padding=1)),
              ((1, 256, 14, 14), (256, 256, 3, 3), dict(padding=1)),
              ((1, 256, 14, 14), (512, 256, 3, 3), dict(stride=2, padding=1)),
              ((1, 512, 7, 7), (512, 512, 3, 3), dict(padding=1))]


_FEW_POSITIONS = (((256, 14, 14), (256, 256, 3, 3), {}),
                  ((512, 7, 7), (512, 512, 3, 3), {}),
                  ((256, 14, 14), (512, 256, 3, 3), dict(stride=2)),
                  ((512, 2, 2), (512, 512, 3, 3), {}))
PART_CASES = [(1, (64, 56, 56), (64, 64, 3, 3), {}),
              (1, (128, 28, 28), (128, 128, 3, 3), {}),
              (1, (64, 56, 56), (128, 64, 3, 3), dict(stride=2)),
              (1, (256, 33, 33), (256, 256, 3, 3), dict(padding=6, dilation=6)),
              (1, (32, 112, 112), (32, 32, 3, 3), {})] + [
    (n,) + case for n in (1, 2, 8) for case in _FEW_POSITIONS]


def parts():
    """conv3d_blocked with each band's output channels split over the threads, or not
    (the bands then split over the threads); '*' marks the rule's pick."""
    from fastnn.kernels import conv_blocked
    rule = conv_blocked.channel_parts
    threads = fastnn.get_num_threads()
    print(f"ms per call with the output channels in 1 / {threads} parts ('blocked')")
    for n, xs, ws, kw in PART_CASES:
        x, w = _data((n,) + xs, ws)
        kw = dict(dict(padding=1), **kw)
        calls = {}
        for count in (1, threads):
            def call(count=count):
                conv_blocked.channel_parts = lambda *a: count
                try:
                    with backends.use("conv2d", "blocked"):
                        return F.conv2d(x, w, **kw)
                finally:
                    conv_blocked.channel_parts = rule
            calls[count] = call
        times = _bench.time_many(calls)
        out = F.conv2d(x, w, **kw).shape
        picked = rule(x.shape[:2] + (1,) + x.shape[2:], w.shape[:2] + (1,) + w.shape[2:],
                      out[:2] + (1,) + out[2:], 4, threads)
        cells = [f"{t * 1e3:.3f}{'*' if count == picked else ''}"
                 for count, t in times.items()]
        print(f"  x {x.shape} w {ws} {kw}: " + " / ".join(cells))
    _resnet_parts(rule, threads)


def _resnet_parts(rule, threads):
    """The as-given ResNet-18 at batch 1 with the rule, and with the band split forced."""
    from fastnn.examples import resnet
    from fastnn.kernels import conv_blocked
    fastnn.manual_seed(0)
    model = resnet.build(num_classes=1000).eval()
    x, = _data((1, 3, 224, 224))
    calls = {}
    for name, choice in (("bands", lambda *a: 1), ("rule", rule)):
        def call(choice=choice):
            conv_blocked.channel_parts = choice
            try:
                with fastnn.no_grad():
                    return model(x)
            finally:
                conv_blocked.channel_parts = rule
        calls[name] = call
    times = _bench.time_many(calls)
    print("  ResNet-18 batch 1 224x224, as given: bands only / the rule "
          + " / ".join(f"{t * 1e3:.2f}" for t in times.values()))


# (output channels, input channels x taps, positions of the batch chunk) of the weight
# gradients in the bench's conv_backward cases: the stem, conv1d k5, ResNet 3x3 64 and 256
# channels, conv3d 32 channels, and a 512-channel 3x3 at 7x7 batch 2
WEIGHT_GRAD_GEMMS = [(64, 147, 25088), (64, 320, 8192), (64, 576, 6272),
                     (256, 2304, 1568), (32, 864, 25088), (512, 4608, 98)]


def weightgrad():
    """The weight gradient's GEMM (out = a @ cols.T, a reduction over positions) on
    gemm_nt's 64-column blocks and on gemm_nt_long's 16-column ones."""
    from fastnn._runtime import launch
    from fastnn.kernels import gemm
    widths = (64, 32, 16)
    print("ms per call, gemm_nt / gemm_nt_long in blocks of 64 / 32 / 16 columns "
          "('*' long_block_n's pick)")
    for m, n, k in WEIGHT_GRAD_GEMMS:
        a, cols = _data((m, k), (n, k))
        out = np.empty((m, n), np.float32)
        no_bias = np.zeros(1, np.float32)
        calls = {"nt": lambda: launch(gemm.gemm_nt, a, cols, no_bias, False, out, NONE)}
        for width in widths:
            calls[width] = lambda width=width: launch(gemm.gemm_nt_long, a, cols, out, width)
        times = _bench.time_many(calls)
        picked = gemm.long_block_n(m, n, fastnn.get_num_threads())
        print(f"  {m} x {n}, reduction {k}: {times.pop('nt') * 1e3:.3f} / "
              + " / ".join(f"{t * 1e3:.3f}{'*' if width == picked else ''}"
                           for width, t in times.items()))


# weight gradients of dense stride-1 convolutions: (batch, channels in, out, spatial size,
# kernel, padding before), 5-D
SHIFTED_CASES = [(8, 64, 64, (1, 56, 56), (1, 3, 3), (0, 1, 1)),
                 (8, 128, 128, (1, 28, 28), (1, 3, 3), (0, 1, 1)),
                 (8, 256, 256, (1, 14, 14), (1, 3, 3), (0, 1, 1)),
                 (8, 384, 384, (1, 14, 14), (1, 3, 3), (0, 1, 1)),
                 (8, 512, 512, (1, 14, 14), (1, 3, 3), (0, 1, 1)),
                 (8, 512, 512, (1, 7, 7), (1, 3, 3), (0, 1, 1)),
                 (8, 128, 128, (1, 7, 7), (1, 3, 3), (0, 1, 1)),
                 (8, 192, 192, (1, 7, 7), (1, 3, 3), (0, 1, 1)),
                 (1, 256, 256, (1, 14, 14), (1, 3, 3), (0, 1, 1)),
                 (1, 64, 64, (1, 56, 56), (1, 3, 3), (0, 1, 1)),
                 (2, 16, 16, (1, 16, 16), (1, 3, 3), (0, 1, 1)),
                 (8, 64, 64, (1, 1, 1024), (1, 1, 5), (0, 0, 2)),
                 (2, 32, 32, (8, 28, 28), (3, 3, 3), (1, 1, 1))]


def shifted():
    """The weight gradient of dense stride-1 convolutions, ms per call: im2col and GEMM /
    shifted GEMMs on the packed input / position-major im2col on the 'pointwise' tiles
    ('*' the rule's pick, `_conv_grad.weight_grad_path`)."""
    from fastnn.nn.functional import _conv_grad
    print("ms per call: im2col + gemm_nt_long / shifted GEMMs / position-major im2col")
    for n, c, k, spatial, kernel, pad in SHIFTED_CASES:
        x, g = _data((n, c) + spatial, (n, k) + spatial)
        gw = np.empty((k, c) + kernel, np.float32)
        one = (1, 1, 1)
        times = _bench.time_many({
            "gemm": lambda: _conv_grad._weight_grad_gemm(x, g, gw, one, pad, one, 1),
            "shifted": lambda: _conv_grad._weight_grad_shifted(x, g, gw, pad, one),
            "positions": lambda: _conv_grad._weight_grad_positions(x, g, gw, one, pad, one)})
        pick = _conv_grad.weight_grad_path(x.shape, g.shape, gw.shape, one, pad, one, 1,
                                           x.dtype.itemsize)
        cells = [f"{times[name] * 1e3:.3f}{'*' if name == pick else ''}"
                 for name in ("gemm", "shifted", "positions")]
        print(f"  n{n} {c}->{k} {spatial} kernel {kernel}: " + " / ".join(cells))


# weight gradients of convolutions with few input channels: (batch, channels in, out,
# spatial size, kernel, stride, padding before), 5-D
GATHER_CASES = [(8, 3, 64, (1, 224, 224), (1, 7, 7), (1, 2, 2), (0, 3, 3)),     # ResNet stem
                (8, 3, 64, (1, 224, 224), (1, 3, 3), (1, 1, 1), (0, 1, 1)),     # VGG, UNet
                (8, 3, 32, (1, 224, 224), (1, 3, 3), (1, 2, 2), (0, 1, 1)),     # MobileNetV2
                (8, 3, 96, (1, 224, 224), (1, 4, 4), (1, 4, 4), (0, 0, 0)),     # ConvNeXt
                (8, 1, 64, (1, 1, 16000), (1, 1, 80), (1, 1, 4), (0, 0, 0)),    # audio, 1-D
                (8, 8, 64, (1, 56, 56), (1, 3, 3), (1, 1, 1), (0, 1, 1)),
                (2, 3, 64, (16, 112, 112), (3, 7, 7), (1, 2, 2), (1, 3, 3)),    # 3-D stem
                (64, 3, 64, (1, 32, 32), (1, 3, 3), (1, 1, 1), (0, 1, 1)),      # CIFAR
                (64, 8, 64, (1, 16, 16), (1, 3, 3), (1, 1, 1), (0, 0, 0)),
                (64, 6, 64, (1, 14, 14), (1, 5, 5), (1, 1, 1), (0, 0, 0)),
                (64, 6, 16, (1, 14, 14), (1, 5, 5), (1, 1, 1), (0, 0, 0)),      # LeNet
                (64, 1, 6, (1, 32, 32), (1, 5, 5), (1, 1, 1), (0, 0, 0))]


def gather():
    """The weight gradient of convolutions with few input channels, ms per call: im2col
    and GEMM / the direct kernel / taps gathered from the padded input ('*' the rule's
    pick, `_conv_grad._gather_pays`)."""
    from fastnn._runtime import launch
    from fastnn.kernels import conv_grad
    from fastnn.nn.functional import _conv_grad
    print("ms per call: im2col + gemm_nt_long / direct / gathered taps")
    one = (1, 1, 1)
    for n, c, k, spatial, kernel, stride, pad in GATHER_CASES:
        out = tuple((s + 2 * p - t) // st + 1
                    for s, p, t, st in zip(spatial, pad, kernel, stride))
        x, g = _data((n, c) + spatial, (n, k) + out)
        gw = np.empty((k, c) + kernel, np.float32)
        no_bias = np.empty(0, np.float32)
        times = _bench.time_many({
            "im2col": lambda: _conv_grad._weight_grad_gemm(x, g, gw, stride, pad, one, 1),
            "direct": lambda: launch(conv_grad.weight_grad_direct, x, g, gw, no_bias,
                                     *_conv_grad.direct_parts(1, c, k), *stride, *pad, *one,
                                     1),
            "gather": lambda: _conv_grad._weight_grad_gather(x, g, gw, stride, pad, one)})
        path = _conv_grad.weight_grad_path(x.shape, g.shape, gw.shape, stride, pad, one, 1,
                                           gw.dtype.itemsize)
        pick = path if path in ("gather", "direct") else "im2col"    # or another tiled path
        cells = [f"{times[name] * 1e3:.3f}{'*' if name == pick else ''}"
                 for name in ("im2col", "direct", "gather")]
        print(f"  n{n} {c}->{k} {spatial} kernel {kernel} stride {stride}: "
              + " / ".join(cells))


# weight gradients both the direct kernel and a tiled path can take: (batch, channels in,
# out, spatial size, kernel, stride, padding before, groups), 5-D
DIRECT_CASES = [(64, 6, 16, (1, 14, 14), (1, 5, 5), (1, 1, 1), (0, 0, 0), 1),    # LeNet
                (2, 16, 16, (1, 16, 16), (1, 3, 3), (1, 1, 1), (0, 1, 1), 1),
                (64, 16, 16, (1, 8, 8), (1, 3, 3), (1, 1, 1), (0, 1, 1), 1),
                (8, 24, 24, (1, 56, 56), (1, 3, 3), (1, 1, 1), (0, 1, 1), 1),
                (8, 32, 32, (1, 28, 28), (1, 3, 3), (1, 1, 1), (0, 1, 1), 1),
                (8, 32, 64, (1, 14, 14), (1, 3, 3), (1, 1, 1), (0, 1, 1), 1),
                (8, 32, 32, (1, 7, 7), (1, 3, 3), (1, 1, 1), (0, 1, 1), 1),
                (8, 32, 64, (1, 4, 4), (1, 3, 3), (1, 1, 1), (0, 1, 1), 1),
                (8, 16, 32, (1, 16, 16), (1, 3, 3), (1, 2, 2), (0, 1, 1), 1),
                (8, 16, 32, (1, 1, 1024), (1, 1, 5), (1, 1, 1), (0, 0, 2), 1),   # 1-D
                (8, 32, 64, (1, 1, 1024), (1, 1, 3), (1, 1, 1), (0, 0, 1), 1),
                (8, 48, 48, (1, 28, 28), (1, 3, 3), (1, 1, 1), (0, 1, 1), 1),
                (8, 64, 64, (1, 56, 56), (1, 3, 3), (1, 1, 1), (0, 1, 1), 1),
                (8, 64, 64, (1, 1, 1024), (1, 1, 5), (1, 1, 1), (0, 0, 2), 1),
                (8, 64, 128, (1, 56, 56), (1, 3, 3), (1, 2, 2), (0, 1, 1), 1),
                (8, 128, 256, (1, 28, 28), (1, 3, 3), (1, 2, 2), (0, 1, 1), 1),
                (8, 256, 256, (1, 14, 14), (1, 3, 3), (1, 1, 1), (0, 1, 1), 1),
                (8, 32, 32, (1, 28, 28), (1, 1, 1), (1, 1, 1), (0, 0, 0), 1),    # 1x1
                (8, 16, 96, (1, 56, 56), (1, 1, 1), (1, 1, 1), (0, 0, 0), 1),
                # ResNeXt's groups of 16 and 32 channels, and 64
                (8, 256, 256, (1, 28, 28), (1, 3, 3), (1, 1, 1), (0, 1, 1), 16),
                (8, 512, 512, (1, 14, 14), (1, 3, 3), (1, 1, 1), (0, 1, 1), 32),
                (8, 512, 512, (1, 14, 14), (1, 3, 3), (1, 1, 1), (0, 1, 1), 16),
                (8, 1024, 1024, (1, 7, 7), (1, 3, 3), (1, 1, 1), (0, 1, 1), 32),
                (8, 1024, 1024, (1, 14, 14), (1, 3, 3), (1, 2, 2), (0, 1, 1), 32),
                (8, 512, 512, (1, 14, 14), (1, 3, 3), (1, 1, 1), (0, 1, 1), 8)]


def directgrad():
    """The weight gradient where the direct kernel could take a tiled path's place, ms
    per call: the path `_conv_grad.tiled_path` picks / the direct kernel ('*' the rule's
    pick, `_conv_grad._direct_pays`), with the channel pairs per group."""
    from fastnn._runtime import launch
    from fastnn.kernels import conv_grad
    from fastnn.nn.functional import _conv_grad
    print("ms per call: the tiled path / direct")
    one = (1, 1, 1)
    for n, c, k, spatial, kernel, stride, pad, groups in DIRECT_CASES:
        out = tuple((s + 2 * p - t) // st + 1
                    for s, p, t, st in zip(spatial, pad, kernel, stride))
        x, g = _data((n, c) + spatial, (n, k) + out)
        gw = np.empty((k, c // groups) + kernel, np.float32)
        tiled = _conv_grad.tiled_path(x.shape, g.shape, gw.shape, stride, pad, one, groups,
                                      gw.dtype.itemsize)
        no_bias = np.empty(0, np.float32)
        times = _bench.time_many({
            tiled: {"positions": lambda: _conv_grad._weight_grad_positions(
                        x, g, gw, stride, pad, one),
                    "shifted": lambda: _conv_grad._weight_grad_shifted(x, g, gw, pad, one),
                    "gemm": lambda: _conv_grad._weight_grad_gemm(x, g, gw, stride, pad, one,
                                                                 groups)}[tiled],
            "direct": lambda: launch(conv_grad.weight_grad_direct, x, g, gw, no_bias,
                                     *_conv_grad.direct_parts(groups, c // groups,
                                                              k // groups),
                                     *stride, *pad, *one, groups)})
        pick = _conv_grad.weight_grad_path(x.shape, g.shape, gw.shape, stride, pad, one,
                                           groups, gw.dtype.itemsize)
        cells = [f"{times[name] * 1e3:.3f}{'*' if name == pick else ''}"
                 for name in (tiled, "direct")]
        print(f"  n{n} {c}->{k} {spatial} kernel {kernel} stride {stride} groups {groups} "
              f"({k // groups * (c // groups)} pairs): {tiled} " + " / ".join(cells)
              + f"  ({times[tiled] / times['direct']:.2f}x)")


# dense 3x3 padding-1 weight gradients: (batch, channels in, out, output size, stride)
POSITIONS_CASES = [(8, 512, 512, 7, 1), (8, 512, 512, 4, 1), (8, 256, 256, 7, 1),
                   (8, 256, 512, 7, 2), (8, 1024, 256, 4, 1), (1, 256, 256, 14, 1),
                   (1, 512, 512, 7, 1), (16, 256, 256, 7, 1), (32, 512, 512, 7, 1),
                   (8, 256, 256, 14, 1), (8, 128, 128, 8, 1), (8, 128, 128, 14, 1),
                   (8, 128, 256, 14, 2), (8, 64, 128, 28, 2), (8, 64, 64, 56, 1)]


def layout():
    """The im2col weight gradient, ms per call: channel-major columns and gemm_nt_long /
    position-major columns on the 'pointwise' tiles ('*' the rule's pick,
    `_conv_grad._positions_pay`)."""
    from fastnn.nn.functional import _conv_grad
    print("ms per call: im2col + gemm_nt_long / position-major im2col + pointwise tiles")
    one, pad = (1, 1, 1), (0, 1, 1)
    for n, c, k, size, s in POSITIONS_CASES:
        x, g = _data((n, c, 1, size * s, size * s), (n, k, 1, size, size))
        gw = np.empty((k, c, 1, 3, 3), np.float32)
        stride = (1, s, s)
        times = _bench.time_many({
            "gemm": lambda: _conv_grad._weight_grad_gemm(x, g, gw, stride, pad, one, 1),
            "positions": lambda: _conv_grad._weight_grad_positions(x, g, gw, stride, pad,
                                                                   one)})
        pays = _conv_grad._positions_pay(x.shape, g.shape, gw.shape, stride, pad)
        pick = "positions" if pays else "gemm"
        cells = [f"{times[name] * 1e3:.3f}{'*' if name == pick else ''}"
                 for name in ("gemm", "positions")]
        print(f"  n{n} {c}->{k} {size}x{size} stride {s}: " + " / ".join(cells))


# MobileNetV2's pointwise layers at batch 8, 112x112: (channels in, out, plane size)
PLAIN_CASES = [(16, 96, 56), (144, 24, 28), (24, 144, 28), (144, 32, 14), (32, 192, 14),
               (192, 32, 14), (384, 64, 7), (64, 384, 7), (576, 96, 7), (960, 160, 4),
               (160, 960, 4), (320, 1280, 4)]


def plain():
    """The weight gradient of stride-1 1x1 convolutions at batch 8, ms per call: a sample
    at a time on the input as it is / the samples' inputs copied into one GEMM ('*' the
    pick, by `_conv_grad.PLAIN_MIN_POSITIONS`)."""
    from fastnn.nn.functional import _conv_grad
    print("ms per call: a sample per GEMM, in place / all samples, copied")
    one, none = (1, 1, 1), (0, 0, 0)
    for c, k, size in PLAIN_CASES:
        x, g = _data((8, c, 1, size, size), (8, k, 1, size, size))
        gw = np.empty((k, c, 1, 1, 1), np.float32)
        times = {}
        for name, least in (("in place", 1), ("copied", 1 << 30)):
            def run(least=least):
                kept = _conv_grad.PLAIN_MIN_POSITIONS
                _conv_grad.PLAIN_MIN_POSITIONS = least
                try:
                    _conv_grad._weight_grad_gemm(x, g, gw, one, none, one, 1)
                finally:
                    _conv_grad.PLAIN_MIN_POSITIONS = kept
            times[name] = run
        times = _bench.time_many(times)
        pick = "in place" if size * size >= _conv_grad.PLAIN_MIN_POSITIONS else "copied"
        cells = [f"{times[name] * 1e3:.3f}{'*' if name == pick else ''}"
                 for name in ("in place", "copied")]
        print(f"  {c}->{k} {size}x{size}: " + " / ".join(cells))


def variants():
    """Every applicable variant of each conv and linear bench case, against the default."""
    rows = _bench.run_cases([c for c in _bench.CASES if c.family in ("conv", "linear")],
                            all_variants=True)
    print(_bench.format_table(rows))
    by_case = {}
    for row in rows:
        by_case.setdefault(row.case.label, []).append(row)
    worst = []
    for label, case_rows in by_case.items():
        best = min(r.seconds for r in case_rows)
        default = next(r for r in case_rows if r.default)
        worst.append((default.seconds / best, label, default.variant))
    print("default / best variant time, worst first:")
    for ratio, label, variant in sorted(worst, reverse=True):
        print(f"  {ratio:5.2f}  {label} [{variant}]")


# ResNet-18's distinct convolutions at batch 1, 224x224: (x shape, w shape, keywords)
RESNET_LAYERS = [((1, 3, 224, 224), (64, 3, 7, 7), dict(stride=2, padding=3)),
                 ((1, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
                 ((1, 64, 56, 56), (128, 64, 3, 3), dict(stride=2, padding=1)),
                 ((1, 128, 28, 28), (128, 128, 3, 3), dict(padding=1)),
                 ((1, 128, 28, 28), (256, 128, 3, 3), dict(stride=2, padding=1)),
                 ((1, 256, 14, 14), (256, 256, 3, 3), dict(padding=1)),
                 ((1, 256, 14, 14), (512, 256, 3, 3), dict(stride=2, padding=1)),
                 ((1, 512, 7, 7), (512, 512, 3, 3), dict(padding=1)),
                 ((1, 64, 56, 56), (128, 64, 1, 1), dict(stride=2)),
                 ((1, 128, 28, 28), (256, 128, 1, 1), dict(stride=2)),
                 ((1, 256, 14, 14), (512, 256, 1, 1), dict(stride=2))]


def resnet():
    """ms of every applicable conv variant on each ResNet-18 layer; '*' the default. The
    BLAS variant ('im2col_gemm') is timed after the others, in blocks of its own: its
    spinning threads would slow the calls after it."""
    for xs, ws, kw in RESNET_LAYERS:
        x, w = _data(xs, ws)
        default = backends.current("conv2d", x, w, **kw)
        calls = {}
        for name in backends.applicable("conv2d", x, w, **kw):
            if name == "naive":
                continue

            def call(name=name):
                with backends.use("conv2d", name):
                    return F.conv2d(x, w, **kw)
            calls[name] = call
        times = _bench.time_apart(calls, _bench.BLAS_VARIANTS)
        cells = [f"{name}{'*' if name == default else ''} {t * 1e3:.3f}"
                 for name, t in sorted(times.items(), key=lambda item: item[1])]
        print(f"  x {xs} w {ws} {kw}: " + ", ".join(cells))


# dense 3x3 layers at batch 1, fewest output positions first: (x shape, w shape, keywords)
FEW_POSITION_LAYERS = [((1, 512, 2, 2), (512, 512, 3, 3), dict(padding=1)),
                       ((1, 32, 3, 3), (32, 32, 3, 3), dict(padding=1)),
                       ((1, 256, 4, 4), (256, 256, 3, 3), dict(padding=1)),
                       ((1, 512, 7, 7), (512, 512, 3, 3), dict(padding=1)),
                       ((1, 256, 14, 14), (512, 256, 3, 3), dict(stride=2, padding=1)),
                       ((1, 64, 14, 14), (64, 64, 3, 3), dict(padding=1)),
                       ((1, 256, 14, 14), (256, 256, 3, 3), dict(padding=1)),
                       ((1, 128, 28, 28), (256, 128, 3, 3), dict(stride=2, padding=1))]


# dense layers with large planes and few channels (UNet's and VGG's first stages), where
# 'direct''s tiles came level with 'blocked''s when they began to run their taps as one loop
WIDE_PLANE_LAYERS = [((1, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
                     ((1, 96, 56, 56), (96, 96, 3, 3), dict(padding=1)),
                     ((1, 128, 56, 56), (128, 128, 3, 3), dict(padding=1)),
                     ((1, 256, 56, 56), (256, 256, 3, 3), dict(padding=1)),
                     ((1, 512, 28, 28), (512, 512, 3, 3), dict(padding=1)),
                     ((1, 32, 112, 112), (64, 32, 3, 3), dict(padding=1)),
                     ((1, 64, 112, 112), (64, 64, 3, 3), dict(padding=1)),
                     ((1, 64, 112, 112), (128, 64, 3, 3), dict(stride=2, padding=1)),
                     ((1, 128, 112, 112), (128, 128, 3, 3), dict(padding=1)),
                     ((1, 64, 224, 224), (64, 64, 3, 3), dict(padding=1)),
                     ((8, 64, 56, 56), (64, 64, 3, 3), dict(padding=1))]


def positions():
    """ms of 'direct' and 'blocked' (which packs its weights on every call) on dense
    layers with few output positions; '*' the default. No BLAS variant runs here: its
    spinning threads would slow the calls after it."""
    _direct_and_blocked(FEW_POSITION_LAYERS)


def wide():
    """As `positions`, on dense layers with large planes (WIDE_PLANE_LAYERS)."""
    _direct_and_blocked(WIDE_PLANE_LAYERS)


def _direct_and_blocked(layers):
    for xs, ws, kw in layers:
        x, w = _data(xs, ws)
        default = backends.current("conv2d", x, w, **kw)
        calls = {}
        for name in ("direct", "blocked"):
            def call(name=name):
                with backends.use("conv2d", name):
                    return F.conv2d(x, w, **kw)
            calls[name] = call
        times = _bench.time_many(calls)
        out = F.conv2d(x, w, **kw).shape
        cells = [f"{name}{'*' if name == default else ''} {t * 1e3:.3f}"
                 for name, t in times.items()]
        print(f"  x {xs} w {ws} {kw}, {out[2] * out[3]} positions: " + ", ".join(cells))


def _x2_phases(x, out, index, weights):
    """The x2 pass as two strided phases over the repeating table (interior outputs)."""
    from numba import njit
    global _x2_kernel
    if _x2_kernel is None:
        @njit(cache=False)
        def kernel(x, out, a0, b0, wa0, wb0, a1, b1, wa1, wb1, periods):
            for r in range(x.shape[0]):
                src, o = x[r], out[r]
                for j in range(periods):
                    o[1 + 2 * j] = src[a0 + j] * wa0 + src[b0 + j] * wb0
                for j in range(periods):
                    o[2 + 2 * j] = src[a1 + j] * wa1 + src[b1 + j] * wb1
        _x2_kernel = kernel
    _x2_kernel(x, out, index[1, 0], index[1, 1], weights[1, 0], weights[1, 1],
               index[2, 0], index[2, 1], weights[2, 0], weights[2, 1], x.shape[1] - 1)


_x2_kernel = None


def resample():
    """ms of interpolate's last-dimension pass on 64-row blocks against the gather and (x2)
    against phase-by-phase loops over the repeating table, and of pixel_shuffle's kernel
    against a numpy transposed copy."""
    from fastnn.kernels import resample as kernels, shuffle
    from fastnn.nn.functional import _resample_index as index
    cases = [("bilinear x2, 64x56 rows of 56", (64 * 56, 56),
              index.linear(np.float32, 56, 112, False, 2.0)),
             ("bilinear x2 align_corners, 8x32x28 rows of 28", (8 * 32 * 28, 28),
              index.linear(np.float32, 28, 56, True, None)),
             ("bicubic antialias 448->224, 3x448 rows", (3 * 448, 448),
              index.antialiased(np.float32, 448, 224, False, None, "cubic"))]
    print("ms per last-dimension pass: phase by phase (x2, one thread) / 64-row blocks / "
          "gather")
    for name, shape, (idx, weights, counts) in cases:
        x, = _data(shape)
        out = np.empty((shape[0], idx.shape[0]), np.float32)
        calls = {"blocks": lambda: kernels.weighted_last_blocked(x, out, idx, weights,
                                                                 counts),
                 "gather": lambda: kernels.weighted_last(x, out, idx, weights, counts)}
        if name.startswith("bilinear x2,"):
            calls["phases"] = lambda: _x2_phases(x, out, idx, weights)
        times = _bench.time_many(calls)
        cells = [f"{times[k] * 1e3:.3f}" if k in times else "-"
                 for k in ("phases", "blocks", "gather")]
        print(f"  {name:<46} " + " / ".join(cells))
    x, = _data((1, 256, 28, 28))
    out = np.empty((1, 64, 56, 56), np.float32)

    def numpy_copy():
        view = x.reshape(1, 64, 2, 2, 28, 28).transpose(0, 1, 4, 2, 5, 3)
        out.reshape(1, 64, 28, 2, 28, 2)[...] = view
    times = _bench.time_many({"kernel": lambda: shuffle.pixel_shuffle(x, out, 2),
                              "numpy": numpy_copy})
    print(f"pixel_shuffle r2 1x256x28x28, ms: kernel {times['kernel'] * 1e3:.3f} / numpy "
          f"transposed copy {times['numpy'] * 1e3:.3f}")


def weightpack():
    """'blocked' at batch 1 on ResNet-18's 3x3 layers, weights as given: packed whole
    before the kernel, or group by group inside it (the rule's pick at batch 1 on more
    than one thread); then frozen (`fastnn.nn._frozen.freeze`, as
    `fastnn.optimize_for_inference` leaves them: packed once and kept), ms per call."""
    from fastnn.nn._frozen import freeze
    from fastnn.nn.functional import _conv
    rule = _conv.frozen_forms
    print("ms per call, weights as given: packed whole / group by group in the kernel; "
          "frozen")
    for xs, ws, kw in RESNET_3X3:
        x, w = _data(xs, ws)
        frozen = freeze(w, requires_grad=False)

        def kept():
            with backends.use("conv2d", "blocked"):
                return F.conv2d(x, frozen, **kw)

        def call(whole):
            _conv.frozen_forms = (lambda weight: {}) if whole else rule
            try:
                with backends.use("conv2d", "blocked"):
                    return F.conv2d(x, w, **kw)
            finally:
                _conv.frozen_forms = rule
        times = _bench.time_many({"whole": lambda: call(True), "groups": lambda: call(False),
                                  "frozen": kept})
        print(f"  x {xs} w {ws} {kw}: {times['whole'] * 1e3:.3f} / "
              f"{times['groups'] * 1e3:.3f}; {times['frozen'] * 1e3:.3f}")


CONVNEXT_LINEARS = [(3136, 96, 384), (3136, 384, 96), (784, 192, 768), (784, 768, 192),
                    (196, 384, 1536), (196, 1536, 384), (49, 768, 3072), (49, 3072, 768)]
# a ViT-B/16's at batch 8, the bench's linear case, and a few others around the rule
OTHER_LINEARS = [(1576, 768, 768), (1576, 768, 3072), (1576, 3072, 768), (256, 1024, 1024),
                 (8192, 64, 64), (512, 64, 256), (256, 64, 256), (128, 128, 128),
                 (392, 768, 3072), (768, 768, 768), (12544, 96, 384)]


def linear():
    """Linear's variants on convnext_tiny's MLP products and others, each variant timed in a run of
    its own (OpenBLAS's threads spin after each call and slow whatever runs next: see
    docs/PERF.md, "How to measure"; so BLAS runs last, then torch where it is installed),
    then the whole convnext_tiny at batch 1 with every Linear on each variant and with the
    rule's picks, each in a run of its own."""
    from fastnn import models
    from fastnn.nn.functional._linear import default_variant
    torch = _torch()
    variants = ("numba_gemm", "pointwise", "packed", "blas")
    print("(M, K, N): ms per call, " + " / ".join(variants) + " ('*': the rule's pick)"
          + (", then torch" if torch else ""))
    for m, k, n in CONVNEXT_LINEARS + OTHER_LINEARS:
        x, weight = _data((m, k), (n, k))
        a, w = fastnn.tensor(x), fastnn.tensor(weight)
        pick = default_variant(m, n, k, np.dtype(np.float32))
        cells = []
        for variant in variants:
            def call(variant=variant):
                with backends.use("linear", variant):
                    return F.linear(a, w)
            with fastnn.no_grad():
                t = _bench.time_many({variant: call})[variant]
            cells.append(f"{t * 1e3:.3f}{'*' if variant == pick else ''}")
        line = f"  ({m}, {k}, {n}): " + " / ".join(cells)
        if torch:
            tx, tw = torch.from_numpy(x), torch.from_numpy(weight)
            with torch.no_grad():
                t = _bench.time_many({"torch": lambda: torch.nn.functional.linear(tx, tw)})
            line += f", torch {t['torch'] * 1e3:.3f}"
        print(line)
    model = models.convnext_tiny().eval()
    image = fastnn.tensor(_data((1, 3, 224, 224))[0])
    print("convnext_tiny batch 1, ms per forward:")
    for variant in (None,) + variants:   # BLAS last: its threads spin
        def forward(variant=variant):
            if variant is None:
                return model(image)
            with backends.use("linear", variant):
                return model(image)
        with fastnn.no_grad():
            t = _bench.time_many({"forward": forward}, rounds=3)["forward"]
        label = variant or "the rule's pick"
        print(f"  every Linear on {label}: {t * 1e3:.1f}")


@numba.njit(parallel=True, cache=True)
def _pack_by_element(a, ap):
    """The packing loop 'packed' had before stop 45: an element at a time, 12 rows a step."""
    M, K = a.shape
    blocks, _, rows = ap.shape
    for b in numba.prange(blocks):
        for k in range(K):
            for r in range(rows):
                ap[b, k, r] = a[min(b * rows + r, M - 1), k]


@numba.njit(parallel=True, cache=True)
def _pack_by_runs(a, ap):
    blocks, _, rows = ap.shape
    af = ap.reshape(ap.size)
    for b in numba.prange(blocks):
        gemm_packed._pack_blocks(a, af, b, b + 1, rows)


def _packed_operands():
    """Per product (m, k, n) of CONVNEXT_LINEARS + OTHER_LINEARS that 'packed' takes (n of
    a panel or more): the input, the weight, room for its panels and the input's blocks,
    the output, no bias and the row parts of `gemm_packed`."""
    threads = fastnn.get_num_threads()
    rows, width = gemm_packed.block_rows(np.float32), gemm_packed.panel_width(np.float32)
    for m, k, n in CONVNEXT_LINEARS + OTHER_LINEARS:
        if n < width:
            continue
        a, w = _data((m, k), (n, k))
        yield (m, k, n), (a, w, np.empty((-(-n // width), k, width), np.float32),
                          np.empty((-(-m // rows), k, rows), np.float32),
                          np.empty((m, n), np.float32), np.empty(0, np.float32),
                          gemm_packed.row_parts(m, n, 4, threads))


def packrows():
    """The 'packed' GEMM's input packing on linear's products, ms per call: a block's rows
    read in runs of PACK_STEPS (`gemm_packed._pack_blocks`, as the kernel packs) / an
    element at a time (before stop 45); then the whole kernel call with the weight packed
    once."""
    print("(M, K, N): ms per call, packing by runs / by element; the kernel")
    for (m, k, n), (a, w, wp, ap, out, bias, parts) in _packed_operands():
        gemm_packed.pack_panels(w, wp)
        t = _bench.time_many({
            "runs": lambda: _pack_by_runs(a, ap), "element": lambda: _pack_by_element(a, ap),
            "kernel": lambda: gemm_packed.gemm_packed(a, wp, bias, False, out, ap, parts, 0,
                                                      NONE)})
        print(f"  ({m}, {k}, {n}): {t['runs'] * 1e3:.3f} / {t['element'] * 1e3:.3f}; "
              f"{t['kernel'] * 1e3:.3f}")


def packing():
    """'packed' with a weight packed for the call alone, ms per call: packed whole, then
    the kernel in its panel order (`gemm_packed.pack_panels`, `gemm_packed`) / in its pass
    order (`gemm_packed.pass_blocks`) / each panel by the task that uses it
    (`gemm_packed` given the weight as it is; panel order); '*' marks the order the rule
    picks (pass, or panel where a weight not frozen is packed by the tasks when the rows
    take one launch); the Numba GEMM and torch beside them. convnext_tiny's products at
    batch 1 (its last stage's of 49 rows among them) and others."""
    from fastnn.kernels._caches import l2_bytes
    from fastnn.nn.functional._linear import _numba_gemm
    torch = _torch()
    threads = fastnn.get_num_threads()
    print(f"L2 {l2_bytes() >> 10} KiB, {threads} threads")
    print("(M, K, N): ms per call, packed whole / passes / by the tasks; numba_gemm (torch)")
    for (m, k, n), (a, w, wp, ap, out, bias, parts) in _packed_operands():
        per_pass = gemm_packed.pass_blocks(m, k, n, 4, threads, l2_bytes())
        forced = gemm_packed.pass_size(k, 4, l2_bytes())

        def whole():
            gemm_packed.pack_panels(w, wp)
            gemm_packed.gemm_packed(a, wp, bias, False, out, ap, parts, 0, NONE)

        def passes():
            gemm_packed.pack_panels(w, wp)
            gemm_packed.gemm_packed(a, wp, bias, False, out, ap, min(threads, len(ap)),
                                    forced, NONE)
        calls = {"whole": whole, "passes": passes,
                 "tasks": lambda: gemm_packed.gemm_packed(a, w, bias, False, out, ap, parts,
                                                          0, NONE),
                 "numba": lambda: _numba_gemm(a, w, None, out)}
        if torch is not None:
            ta, tw = torch.from_numpy(a), torch.from_numpy(w)
            calls["torch"] = lambda: torch.nn.functional.linear(ta, tw)
        t = _bench.time_many(calls)
        theirs = f" ({t['torch'] * 1e3:.3f})" if torch is not None else ""
        marks = ("*", "") if per_pass else ("", "*")
        print(f"  ({m}, {k}, {n}): {t['whole'] * 1e3:.3f} / {t['passes'] * 1e3:.3f}{marks[0]}"
              f" / {t['tasks'] * 1e3:.3f}{marks[1]}; {t['numba'] * 1e3:.3f}" + theirs)


@_target.njit(parallel=True, cache=True)
def _fastnn_nearest_flat(x, out, index_d, index_h, index_w):
    """resample.nearest3d before stop 49: rows read and written at offsets into the flat
    arrays (named for fastnn so that it compiles for the same vector width)."""
    D, H, W = x.shape[1], x.shape[2], x.shape[3]
    OD, OH, OW = out.shape[1], out.shape[2], out.shape[3]
    xf, of = x.reshape(x.size), out.reshape(out.size)
    rows = x.shape[0] * OD * OH
    nchunks = num_chunks(rows, out.size)
    for chunk in numba.prange(nchunks):
        r0, r1 = _chunk_bounds(chunk, nchunks, rows)
        previous = -1
        oh, od, p = r0 % OH, (r0 // OH) % OD, r0 // (OH * OD)
        for r in range(r0, r1):
            dst = _u(r * OW)
            source = (p * D + index_d[od]) * H + index_h[oh]
            if source == previous:
                resample_kernels.copy_row_above(of, dst, OW)
            else:
                previous = source
                src = _u(source * W)
                for ow in range(_u(OW)):
                    of[dst + ow] = xf[src + _u(index_w[ow])]
            oh, od, p = resample_kernels.next_row(oh, od, p, OH, OD)


# (name, input shape, output size): the bench's cases and others, up and down
NEAREST_CASES = [("1.5x n1 64ch 56x56", (1, 64, 56, 56), (84, 84)),
                 ("x2 n1 256ch 28x28", (1, 256, 28, 28), (56, 56)),
                 ("x2 n8 64ch 14x14", (8, 64, 14, 14), (28, 28)),
                 ("x4 n1 32ch 28x28", (1, 32, 28, 28), (112, 112)),
                 ("0.5x n1 64ch 112x112", (1, 64, 112, 112), (56, 56)),
                 ("x2 3-D n1 16ch 8x28x28", (1, 16, 8, 28, 28), (16, 56, 56))]


def nearest():
    """F.interpolate(mode='nearest')'s gather, ms per call: gathered rows through views of
    their own (`resample.nearest3d`) / at offsets into the flat arrays (before stop 49);
    torch's whole call beside them."""
    from fastnn.nn.functional import _resample_index as index
    torch = _torch()
    print("ms per call: row views / flat offsets (torch)")
    for name, shape, size in NEAREST_CASES:
        x, = _data(shape)
        spatial = (1,) * (5 - len(shape)) + shape[2:]
        osize = (1,) * (5 - len(shape)) + size
        planes = x.reshape((shape[0] * shape[1],) + spatial)
        out = np.empty((planes.shape[0],) + osize, np.float32)
        tables = [index.nearest(np.float32, n, o, None, False) for n, o in zip(spatial, osize)]
        calls = {"views": lambda: resample_kernels.nearest3d(planes, out, *tables),
                 "flat": lambda: _fastnn_nearest_flat(planes, out, *tables)}
        if torch is not None:
            tx = torch.from_numpy(x)
            calls["torch"] = lambda: torch.nn.functional.interpolate(tx, size=size)
        t = _bench.time_many(calls)
        theirs = f" ({t['torch'] * 1e3:.3f})" if torch is not None else ""
        print(f"  {name:<24} {t['views'] * 1e3:.3f} / {t['flat'] * 1e3:.3f}" + theirs)


# output gradients (N, K, positions): MobileNetV2's depthwise, a 1x1's 256 channels, LeNet's
BIAS_GRAD_CASES = [(8, 144, 56 * 56), (8, 256, 56 * 56), (8, 144, 28 * 28), (64, 16, 10 * 10),
                   (1, 64, 112 * 112)]


# depthwise and grouped convolutions whose weight gradient runs direct (N, C, K, groups,
# kernel, plane side): MobileNetV2's, ConvNeXt's 7x7 (which has a bias), a grouped one
FUSED_BIAS_CASES = [(8, 144, 144, 144, 3, 56), (8, 96, 96, 96, 7, 56), (8, 64, 64, 16, 3, 28)]


def biasgrad():
    """A convolution's bias gradient, ms per call: the planes summed by the threads in
    float64 (`_conv_grad.bias_grad`) / numpy's sum over the positions, then the batch
    (before stop 49); torch's sum of the same gradient beside them. Then weight and bias
    gradients of convolutions on the direct path: the bias summed in the weight
    gradient's kernel (`_conv_grad.weight_and_bias_grad`) / the two apart."""
    from fastnn.nn.functional import _conv_grad
    torch = _torch()
    print("(N, K, positions): ms per call, threads / numpy (torch)")
    for n, k, p in BIAS_GRAD_CASES:
        g, = _data((n, k, 1, 1, p))
        calls = {"threads": lambda: _conv_grad.bias_grad(g, (k,), np.float32),
                 "numpy": lambda: g.reshape(n, k, p).sum(axis=2).sum(axis=0)}
        if torch is not None:
            tg = torch.from_numpy(g)
            calls["torch"] = lambda: tg.sum((0, 2, 3, 4))
        t = _bench.time_many(calls)
        theirs = f" ({t['torch'] * 1e3:.3f})" if torch is not None else ""
        print(f"  ({n}, {k}, {p}): {t['threads'] * 1e3:.3f} / {t['numpy'] * 1e3:.3f}" + theirs)
    print("(N, C, K, groups, kernel, side): ms per call, weight and bias gradients "
          "together / apart")
    for n, c, k, groups, kernel, side in FUSED_BIAS_CASES:
        pad = kernel // 2
        x, g = _data((n, c, 1, side, side), (n, k, 1, side, side))
        geometry = ((k, c // groups, 1, kernel, kernel), (1, 1, 1), (0, pad, pad),
                    (1, 1, 1), groups)

        def apart():
            _conv_grad.weight_grad(x, g, *geometry)
            _conv_grad.bias_grad(g, (k,), np.float32)
        t = _bench.time_many({
            "together": lambda: _conv_grad.weight_and_bias_grad(x, g, *geometry, (k,),
                                                                np.float32),
            "apart": apart})
        print(f"  ({n}, {c}, {k}, {groups}, {kernel}, {side}): "
              f"{t['together'] * 1e3:.3f} / {t['apart'] * 1e3:.3f}")


# 1x1 convolutions (N, C, K, plane side): ResNet-50's at 512x512 input (planes of 128, 64,
# 32 and 16), a 32x32 and 16x16 plane of other widths, and planes that do not alias
ALIAS_CASES = [(1, 256, 64, 128), (1, 512, 128, 64), (1, 1024, 256, 32), (1, 2048, 512, 16),
               (1, 256, 1024, 32), (1, 512, 2048, 16), (8, 256, 256, 16), (1, 256, 256, 32),
               (1, 128, 576, 32), (1, 128, 512, 64), (1, 256, 128, 56), (1, 1024, 256, 14)]


def aliasrows():
    """Stride-1 1x1 convolutions on 'pointwise', ms per call: as the rule runs them (rows
    that alias in L1 and are too many for long rows copied into rows one line longer
    first, `conv_pointwise.rows_alias`) / the rows read in place; torch beside them."""
    from fastnn.kernels import conv_pointwise
    from fastnn.nn.functional import _conv
    torch = _torch()
    threads = fastnn.get_num_threads()
    print("(N, C, K, side): ms per call, the rule / in place (torch); * rows copied")
    for n, c, k, side in ALIAS_CASES:
        x, w = _data((n, c, 1, side, side), (k, c, 1, 1, 1))
        out = np.empty((n, k, 1, side, side), np.float32)
        geometry = ((1, 1, 1), (0, 0, 0), (0, 0, 0), (1, 1, 1), 1)

        def in_place():
            conv_pointwise.conv_rows(
                x.reshape(n, c, -1), w.reshape(k, c, 1), np.empty(0, np.float32), 0,
                out.reshape(n, k, -1), np.zeros(1, np.uint64), conv_pointwise.IN_PLACE, 0,
                1, 1, 1, 0, side, side, side, side,
                conv_pointwise.channel_parts(n, threads), NONE)
        calls = {"rule": lambda: _conv._run_pointwise(x, w, None, out, *geometry),
                 "in place": in_place}
        if torch is not None:
            tx, tw = torch.from_numpy(x[:, :, 0]), torch.from_numpy(w[:, :, 0])
            calls["torch"] = lambda: torch.nn.functional.conv2d(tx, tw)
        t = _bench.time_many(calls)
        copied = "*" if conv_pointwise.rows_alias(c, side * side, 4) else " "
        theirs = f" ({t['torch'] * 1e3:.3f})" if torch is not None else ""
        print(f"  ({n}, {c}, {k}, {side}){copied} {t['rule'] * 1e3:.3f} / "
              f"{t['in place'] * 1e3:.3f}" + theirs)
    _resnet50_512(conv_pointwise, torch)


def _resnet50_512(conv_pointwise, torch):
    """The zoo's resnet50 at batch 1, 512x512, with the rule and with every 1x1 layer's
    rows in place; torch's twin beside it."""
    from fastnn import _bench_models
    case = _bench_models.ModelCase("resnet50 n1 512x512", _bench_models._zoo("resnet50"),
                                   (1, 3, 512, 512))
    model, x = _bench_models._fastnn_model(case, np.dtype(np.float32))
    rule = conv_pointwise.rows_alias

    def forward():
        with fastnn.no_grad():
            return model(x)

    def in_place():
        conv_pointwise.rows_alias = lambda *args: False
        try:
            return forward()
        finally:
            conv_pointwise.rows_alias = rule
    calls = {"rule": forward, "in place": in_place}
    twin = _bench_models._torch_twin(case, model)
    if twin is not None:
        tx = torch.from_numpy(x)

        def torch_forward():
            with torch.no_grad():
                return twin(tx)
        calls["torch"] = torch_forward
    t = _bench.time_many(calls, rounds=3)
    theirs = f" ({t['torch'] * 1e3:.1f})" if "torch" in t else ""
    print(f"{case.name}, ms: {t['rule'] * 1e3:.1f} / {t['in place'] * 1e3:.1f}" + theirs)


# linear backward's products (m, k, n): a classifier's input gradient g @ w at batch 8
# (ResNet-18's, MobileNetV2's), LeNet's input and weight gradients at batch 64, others
BACKLINEAR_CASES = [(8, 1000, 512), (8, 1000, 1280), (64, 120, 400), (64, 84, 120),
                    (120, 64, 400), (16, 2048, 1000), (64, 1000, 512), (256, 1000, 2048)]


def backlinear():
    """linear backward's product a @ b, b C-contiguous (k, n), ms per call: the Numba GEMM
    on a transposed copy of b / `_linalg_grad._matmul` as it is (the 'pointwise' tiles on
    b as it is where the rule picks the Numba GEMM; the rule's other picks as they are)."""
    from fastnn import _linalg_grad
    from fastnn._array import kernel_array
    from fastnn.nn.functional._linear import LINEAR_VARIANTS, default_variant
    print("ms per call: Numba GEMM on b's transposed copy / _matmul (its variant)")
    for m, k, n in BACKLINEAR_CASES:
        a, b = _data((m, k), (k, n))
        out = np.empty((m, n), np.float32)
        times = _bench.time_many({
            "copy": lambda: LINEAR_VARIANTS["numba_gemm"](a, kernel_array(b.T), None, out),
            "matmul": lambda: _linalg_grad._matmul(a, b)})
        rule = default_variant(m, n, k, np.dtype(np.float32))
        pick = "pointwise" if rule == "numba_gemm" and n >= 16 else rule
        print(f"  {m}x{k} @ {k}x{n}: {times['copy'] * 1e3:.3f} / {times['matmul'] * 1e3:.3f}"
              f" ({pick})")


def cat():
    """torch.cat along channels on DenseNet's and a UNet's concatenations: numpy's
    concatenate (one thread) against fastnn's (`_copy_ops._cat_run`: inputs of
    SERIAL_MAX_WORK elements or more copied on every thread by `kernels.block_copy`, runs
    of smaller ones by numpy), us per call, alternating in one process."""
    from fastnn import _copy_ops
    from fastnn._registry import Attrs
    cases = [(56, [64] + [32] * 1), (56, [64] + [32] * 5), (28, [128] + [32] * 11),
             (14, [256] + [32] * 23), (112, [64, 64]), (112, [128, 128]), (56, [256, 256])]
    print("size: channels -> us per call, numpy / fastnn")
    for size, channels in cases:
        inputs = tuple(_data(*[(1, c, size, size) for c in channels]))
        out = np.empty((1, sum(channels), size, size), np.float32)
        attrs = Attrs(dim=1)
        t = _bench.time_many({
            "numpy": lambda: np.concatenate(inputs, axis=1, out=out),
            "fastnn": lambda: _copy_ops._cat_run(inputs, attrs, out)})
        print(f"  {size}x{size}: {channels[0]}+{len(channels) - 1}x{channels[-1]} -> "
              f"{t['numpy'] * 1e6:.0f} / {t['fastnn'] * 1e6:.0f}")


GROUPED_CASES = [(1, 256, 28, 32, 1), (1, 512, 14, 32, 1), (1, 1024, 7, 32, 1),
                 (8, 1024, 7, 32, 1), (1, 512, 28, 16, 1), (1, 256, 56, 8, 1),
                 (1, 1024, 7, 16, 1), (1, 2048, 7, 32, 1), (1, 256, 56, 4, 1),
                 (1, 256, 28, 2, 1), (1, 512, 14, 2, 1),
                 # ResNeXt-50's strided layers, then RegNetY-400MF's (8 channels per group)
                 (1, 256, 56, 32, 2), (1, 512, 28, 32, 2), (1, 1024, 14, 32, 2),
                 (1, 104, 56, 13, 2), (1, 208, 28, 26, 2), (1, 440, 14, 55, 2),
                 # batches (#16's backward cases, whose input gradients run these)
                 (2, 256, 28, 32, 1), (4, 104, 28, 13, 1), (8, 128, 28, 32, 1),
                 (8, 256, 28, 32, 1), (8, 128, 28, 8, 1), (8, 256, 56, 32, 2)]


def _torch():
    """torch at fastnn's thread count, or None where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(fastnn.get_num_threads())
    return torch


def grouped():
    """3x3 grouped convolutions (ResNeXt's, RegNet's, wider groups, batches), padding 1:
    'direct' against 'grouped_h3', ms per call, alternating in one process; `*` marks the
    rule's pick (`_conv._grouped_h3_pays`). With torch installed, torch's time too (same
    threads)."""
    torch = _torch()
    print("(N, C, H=W, groups, stride) channels per group: ms per call, direct / grouped_h3"
          + (" (torch)" if torch else ""))
    for n, c, size, groups, stride in GROUPED_CASES:
        x, w = _data((n, c, size, size), (c, c // groups, 3, 3))
        kw = dict(stride=stride, padding=1, groups=groups)
        pick = backends.current("conv2d", x, w, **kw)
        calls = {}
        for variant in ("direct", "grouped_h3"):
            def call(variant=variant):
                with backends.use("conv2d", variant):
                    return F.conv2d(x, w, **kw)
            calls[variant] = call
        if torch is not None:
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            calls["torch"] = lambda: torch.nn.functional.conv2d(tx, tw, **kw)
        times = _bench.time_many(calls)
        cells = [f"{times[v] * 1e3:.3f}{'*' if v == pick else ''}"
                 for v in ("direct", "grouped_h3")]
        theirs = f" ({times['torch'] * 1e3:.3f})" if torch is not None else ""
        print(f"  ({n}, {c}, {size}, {groups}, {stride}) {c // groups}: " + " / ".join(cells)
              + theirs)


def ufunc():
    """x + y and x * 0.5 on float32 arrays: numpy's loop (one thread) or the parallel
    kernels (`kernels.elementwise.binary`, `scalar_binary`: all threads), each into a
    fresh output, us per call, by size (the rule's pick, PARALLEL_MIN_SIZE, marked *)."""
    from fastnn import _runtime, _ufunc_parallel
    from fastnn.kernels import elementwise
    rule = _ufunc_parallel.PARALLEL_MIN_SIZE
    half = np.float32(0.5)

    def kernel_add(x, y):
        out = np.empty_like(x)
        _runtime.launch(elementwise.binary, x, y, out, elementwise.ADD, work=3 * x.size)

    def kernel_half(x):
        out = np.empty_like(x)
        _runtime.launch(elementwise.scalar_binary, x, half, out, elementwise.MULTIPLY, False,
                        work=2 * x.size)
    print(f"us per call: numpy / parallel kernel (PARALLEL_MIN_SIZE = {rule}), x + y | x * 0.5")
    for size in (1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 19, 1 << 20):
        x, y = _data((size,), (size,))
        row = []
        for calls in ({"numpy": lambda: np.add(x, y), "kernel": lambda: kernel_add(x, y)},
                      {"numpy": lambda: np.multiply(x, 0.5), "kernel": lambda: kernel_half(x)}):
            times = _bench.time_many(calls)
            row.append(" / ".join(
                f"{times[k] * 1e6:8.1f}{'*' if (k == 'kernel') == (size >= rule) else ' '}"
                for k in ("numpy", "kernel")))
        print(f"  {size:>8} elements: " + " | ".join(row))


def settle():
    """One fastnn call timed in the block right after torch's and in the block after its
    own, with and without time_many's pause before each block, as torch / fastnn (the
    bench's speedup), medians of 8 runs of 3 rounds. Without the pause the block after
    torch's reads slower: torch's OpenMP workers still spin when it starts."""
    import torch
    torch.set_num_threads(fastnn.get_num_threads())
    x, w = _data((1, 128, 33, 33), (128, 128, 3, 3))
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    calls = {"torch": lambda: torch.nn.functional.conv2d(tx, tw, padding=6, dilation=6),
             "after torch": lambda: F.conv2d(x, w, padding=6, dilation=6),
             "after itself": lambda: F.conv2d(x, w, padding=6, dilation=6)}
    print("speedup of DeepLab's 3x3 d6 conv (1, 128, 33, 33): block after torch's / after "
          "its own")
    for pause in (0.0, 0.005, 0.02):
        ratios = {name: [] for name in calls}
        for _ in range(8):
            times = _bench.time_many(calls, block_seconds=0.05, rounds=3, settle_seconds=pause)
            for name, seconds in times.items():
                ratios[name].append(times["torch"] / seconds)
        print(f"  pause {pause * 1e3:4.0f} ms: {np.median(ratios['after torch']):.2f}x / "
              f"{np.median(ratios['after itself']):.2f}x")


STAGE_CASES = [((1, 64, 56, 56), (64, 64, 3, 3)), ((1, 64, 64, 64), (64, 64, 3, 3)),
               ((1, 64, 111, 111), (64, 64, 3, 3)), ((1, 64, 112, 112), (64, 64, 3, 3)),
               ((1, 64, 128, 128), (64, 64, 3, 3)), ((1, 64, 223, 223), (64, 64, 3, 3)),
               ((1, 64, 224, 224), (64, 64, 3, 3)), ((1, 128, 224, 224), (64, 128, 3, 3)),
               ((2, 128, 32, 32), (128, 128, 3, 3))]


def stage():
    """'blocked' storing its tiles straight into the output or through its stage, ms per
    call, with 'direct' and torch beside them; '*' marks the rule's pick (`stage_pays`:
    planes of a multiple of 2 KiB)."""
    from fastnn.kernels import conv_blocked
    rule = conv_blocked.stage_pays
    torch = _torch()
    print("ms per call: 'blocked' storing straight / through the stage, 'direct' (torch)")
    for xs, ws in STAGE_CASES:
        x, w = _data(xs, ws)
        calls = {}
        for staged in (False, True):
            def call(staged=staged):
                conv_blocked.stage_pays = lambda *a: staged
                try:
                    with backends.use("conv2d", "blocked"):
                        return F.conv2d(x, w, padding=1)
                finally:
                    conv_blocked.stage_pays = rule
            calls[staged] = call

        def direct():
            with backends.use("conv2d", "direct"):
                return F.conv2d(x, w, padding=1)
        calls["direct"] = direct
        if torch is not None:
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            calls["torch"] = lambda: torch.nn.functional.conv2d(tx, tw, padding=1)
        times = _bench.time_many(calls)
        picked = rule((xs[0], ws[0], 1) + xs[2:], 4)
        cells = [f"{times[k] * 1e3:.3f}{'*' if k == picked else ''}" for k in (False, True)]
        theirs = f" ({times['torch'] * 1e3:.3f})" if torch is not None else ""
        print(f"  x {xs} w {ws}: " + " / ".join(cells) + f", {times['direct'] * 1e3:.3f}"
              + theirs)


DEPTHWISE_CASES = [((1, 576, 14, 14), 3, 2), ((1, 672, 14, 14), 5, 2),
                   ((1, 192, 28, 28), 3, 2), ((1, 240, 28, 28), 5, 2), ((8, 144, 28, 28), 3, 2),
                   ((1, 144, 56, 56), 3, 2), ((1, 72, 56, 56), 5, 2), ((1, 96, 112, 112), 3, 2),
                   ((1, 960, 7, 7), 3, 1), ((1, 1152, 7, 7), 5, 1), ((1, 480, 14, 14), 3, 1),
                   ((1, 144, 56, 56), 3, 1), ((1, 240, 28, 28), 5, 1),
                   # ConvNeXt-T's 7x7 layers
                   ((1, 96, 56, 56), 7, 1), ((1, 192, 28, 28), 7, 1), ((1, 384, 14, 14), 7, 1),
                   ((1, 768, 7, 7), 7, 1)]


def depthwise():
    """MobileNet's, EfficientNet's and ConvNeXt's depthwise layers (padding k // 2, with
    bias): ms per call of 'depthwise' and 'depthwise_blocked', '*' the rule's pick, torch's
    beside them; on an NCHW input, then on a channels-last one (which 'depthwise' gets
    copied to NCHW, and 'depthwise_blocked' reads as it is, as torch's output is then
    channels-last too)."""
    torch = _torch()
    print("(N, C, H, W) kernel stride: ms per call, depthwise / depthwise_blocked"
          + (" (torch)" if torch else "") + ", NCHW | channels last")
    for xs, k, s in DEPTHWISE_CASES:
        x, w, b = _data(xs, (xs[1], 1, k, k), (xs[1],))
        kw = dict(stride=s, padding=k // 2, groups=xs[1])
        row = []
        for x in (x, np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)):
            calls = {}
            for variant in ("depthwise", "depthwise_blocked"):
                def call(variant=variant, x=x):
                    with backends.use("conv2d", variant):
                        return F.conv2d(x, w, b, **kw)
                calls[variant] = call
            if torch is not None:
                tx, tw, tb = (torch.from_numpy(a) for a in (x, w, b))
                calls["torch"] = lambda tx=tx: torch.nn.functional.conv2d(tx, tw, tb, **kw)
            times = _bench.time_many(calls)
            picked = backends.current("conv2d", x, w, b, **kw)
            cells = [f"{times[v] * 1e3:.3f}{'*' if v == picked else ''}"
                     for v in ("depthwise", "depthwise_blocked")]
            theirs = f" ({times['torch'] * 1e3:.3f})" if torch is not None else ""
            row.append(" / ".join(cells) + theirs)
        print(f"  {xs} k{k} s{s}: " + " | ".join(row), flush=True)


# (N, C, H, W) activations seen as (N, H, W, C), as ConvNeXt's blocks permute them before
# LayerNorm, and a weight seen transposed
PERMUTE_CASES = [(1, 32, 14, 14), (1, 96, 14, 14), (1, 64, 16, 16), (1, 768, 7, 7),
                 (1, 192, 14, 14), (1, 384, 14, 14), (1, 16, 56, 56), (1, 96, 56, 56)]


def permute():
    """A permuted view's C-contiguous copy: us per call of numpy's copy, of
    `_array.transposed_copy` on one and on two threads, and of `kernel_array` (the rule:
    numpy's copy below TRANSPOSED_COPY_MIN elements, else the blocked copy with
    `launch`'s thread count); torch's `.contiguous()` beside them."""
    from fastnn import _array
    torch = _torch()
    print(f"TRANSPOSED_COPY_MIN = {_array.TRANSPOSED_COPY_MIN}; x.permute(0, 2, 3, 1) of "
          "(N, C, H, W): us per call, numpy / blocked on one thread / on two / the rule"
          + (" (torch)" if torch else ""))
    for shape in PERMUTE_CASES:
        x, = _data(shape)
        view = x.transpose(0, 2, 3, 1)
        times = _one_and_two_threads(lambda: _array.transposed_copy(view))
        calls = {"numpy": lambda: np.ascontiguousarray(view),
                 "rule": lambda: _array.kernel_array(view)}
        if torch is not None:
            tview = torch.from_numpy(x).permute(0, 2, 3, 1)
            calls["torch"] = lambda: tview.contiguous()
        times.update(_bench.time_many(calls))
        cells = " / ".join(f"{times[k] * 1e6:7.1f}" for k in ("numpy", "one", "two", "rule"))
        theirs = f" ({times['torch'] * 1e6:.1f})" if torch is not None else ""
        print(f"  {str(shape):<20} {x.size:>7} elements: {cells}{theirs}")


COLD_OUT_CASES = [((8, 16, 56, 56), 96), ((8, 96, 56, 56), 24), ((8, 24, 28, 28), 144),
                  ((8, 144, 28, 28), 24), ((8, 64, 14, 14), 384), ((8, 960, 4, 4), 160)]
COLD_OUT_BYTES = 256 << 20      # outputs cycled through per case: past any L3 share


def coldout():
    """MobileNetV2's 1x1 convolutions at batch 8 (112x112 input), 'pointwise', ms per
    call: into the same output every call (in cache) / into one of outputs totalling
    COLD_OUT_BYTES in turn (not in cache, as in a model, whose outputs are fresh memory),
    torch beside them."""
    from fastnn.nn.functional import _conv
    torch = _torch()
    print("ms per call: output in cache / not in cache (torch)")
    for xs, k in COLD_OUT_CASES:
        x, w = _data((xs[0], xs[1], 1) + xs[2:], (k, xs[1], 1, 1, 1))
        shape = (xs[0], k, 1) + xs[2:]
        outs = [np.ones(shape, np.float32)
                for _ in range(max(2, COLD_OUT_BYTES // (4 * math.prod(shape))))]
        turn = iter(range(1 << 62))

        def run(out):
            _conv.run_convolution(x, w, None, out, (1, 1, 1), (0, 0, 0), (0, 0, 0),
                                  (1, 1, 1), 1)
        calls = {"hot": lambda: run(outs[0]), "cold": lambda: run(outs[next(turn) % len(outs)])}
        if torch is not None:
            tx, tw = torch.from_numpy(x[:, :, 0]), torch.from_numpy(w[:, :, 0])
            calls["torch"] = lambda: torch.nn.functional.conv2d(tx, tw)
        times = _bench.time_many(calls)
        theirs = f" ({times['torch'] * 1e3:.3f})" if torch is not None else ""
        print(f"  x {xs} -> {k}: {times['hot'] * 1e3:.3f} / {times['cold'] * 1e3:.3f}"
              + theirs)


# one sample's 7x7 plane (two tiles: one task) and at most 16 blocks of 8 output channels:
# DenseNet-121's last block (bottlenecks to 128), smaller ones, a larger K for contrast
FEW_TASKS_CASES = [((1, 512, 7, 7), 128), ((1, 1024, 7, 7), 128), ((1, 576, 7, 7), 96),
                   ((1, 256, 7, 7), 64), ((1, 960, 7, 7), 160)]


def fewtasks():
    """'pointwise' where its tasks are fewer than the threads, us per call: its blocks
    split into a run per thread (`parts` = the threads) / left in one task (`parts` = 1),
    torch beside them."""
    from fastnn._runtime import get_num_threads, launch
    from fastnn.kernels import conv_pointwise as pw
    torch = _torch()
    print("us per call: blocks split / one task (torch)")
    for (n, c, h, w_), k in FEW_TASKS_CASES:
        x, w, b = _data((n, c, h * w_), (k, c, 1), (k,))
        out = np.empty((n, k, h * w_), np.float32)

        def run(parts):
            launch(pw.conv_rows, x, w, b, 1, out, np.zeros(1, np.uint64), pw.IN_PLACE, 0, 1,
                   1, 1, 0, h, w_, h, w_, parts, NONE, work=n * k * c * h * w_ // 2)
        calls = {"split": lambda: run(get_num_threads()), "one": lambda: run(1)}
        if torch is not None:
            tx = torch.from_numpy(x.reshape(n, c, h, w_))
            tw, tb = torch.from_numpy(w.reshape(k, c, 1, 1)), torch.from_numpy(b)
            calls["torch"] = lambda: torch.nn.functional.conv2d(tx, tw, tb)
        times = _bench.time_many(calls)
        theirs = f" ({times['torch'] * 1e6:.1f})" if torch is not None else ""
        print(f"  x {(n, c, h, w_)} -> {k}: {times['split'] * 1e6:.1f} / "
              f"{times['one'] * 1e6:.1f}" + theirs)


# strided grouped input gradients (N, C, side, groups, kernel, stride, dims): ResNeXt-50's
# strided 3x3 layers (4 to 32 channels per group), RegNet-like 16 per group, wider groups,
# a 5x5 kernel, stride 3, 3-D and 1-D, and strided depthwise ones
DIRECT_INPUT_CASES = [(8, 256, 28, 32, 3, 2, 2), (8, 128, 56, 32, 3, 2, 2),
                      (8, 512, 14, 32, 3, 2, 2), (1, 256, 28, 32, 3, 2, 2),
                      (8, 128, 28, 8, 3, 2, 2), (8, 64, 56, 4, 3, 2, 2), (8, 512, 28, 32, 3, 2, 2),
                      (8, 1024, 14, 32, 3, 2, 2), (8, 512, 14, 256, 3, 2, 2),
                      (8, 256, 28, 8, 3, 2, 2), (8, 256, 28, 4, 3, 2, 2),
                      (8, 256, 28, 32, 5, 2, 2), (8, 256, 27, 32, 3, 3, 2),
                      (2, 64, 16, 8, 3, 2, 3), (8, 256, 512, 32, 3, 2, 1),
                      (8, 144, 56, 144, 3, 2, 2), (8, 576, 14, 576, 5, 2, 2)]


def directinput():
    """Strided grouped and depthwise convolutions' input gradients, ms per call: the
    direct kernel (`input_grad_direct`) / the transposed convolution's phases (torch's
    input gradient); * where `_conv_grad._direct_input_pays` picks the direct kernel."""
    from fastnn.nn.functional import _conv_grad
    torch = _torch()
    print("(N, C, side, groups, kernel, stride, dims): direct / phases (torch)")
    for n, c, side, groups, kernel, s, dims in DIRECT_INPUT_CASES:
        spatial = (1,) * (3 - dims) + (side,) * dims
        ks = (1,) * (3 - dims) + (kernel,) * dims
        pad = (0,) * (3 - dims) + (kernel // 2,) * dims
        stride = (1,) * (3 - dims) + (s,) * dims
        out = tuple((i + 2 * p - k) // st + 1 for i, p, k, st in zip(spatial, pad, ks, stride))
        g, w = _data((n, c) + out, (c, c // groups) + ks)
        x_shape = (n, c) + spatial
        geometry = (x_shape, stride, pad, (1, 1, 1), groups)

        def forced(direct):
            def call():
                kept = _conv_grad._direct_input_pays
                _conv_grad._direct_input_pays = lambda *args: direct
                try:
                    return _conv_grad.input_grad(g, w, *geometry)
                finally:
                    _conv_grad._direct_input_pays = kept
            return call
        calls = {"direct": forced(True), "phases": forced(False)}
        if torch is not None:
            tg, tw = torch.from_numpy(g.reshape((n, c) + out[3 - dims:])), torch.from_numpy(
                w.reshape(w.shape[:2] + ks[3 - dims:]))
            grad_input = getattr(torch.nn.grad, f"conv{dims}d_input")
            calls["torch"] = lambda: grad_input((n, c) + spatial[3 - dims:], tw, tg,
                                                stride=s, padding=kernel // 2, groups=groups)
        t = _bench.time_many(calls)
        theirs = f" ({t['torch'] * 1e3:.3f})" if torch is not None else ""
        pick = "*" if _conv_grad._direct_input_pays(w.shape, stride, groups) else " "
        print(f"  ({n}, {c}, {side}, {groups}, {kernel}, {s}, {dims}){pick} "
              f"{t['direct'] * 1e3:.3f} / {t['phases'] * 1e3:.3f}" + theirs)


# (M, K, N) products of a short reduction (classifier weight gradients at batch 8, LeNet's
# at 64, a long one for contrast) and 1x1 layers with few input channels (MobileNetV2's
# expanding layers at batch 1: C -> K on a side x side plane)
SHORT_K_PRODUCTS = [(1000, 8, 512), (1000, 8, 1280), (1000, 64, 512), (512, 1000, 64)]
SHORT_K_LAYERS = [(16, 96, 112), (24, 144, 56), (32, 192, 28), (64, 384, 14)]


def shortk():
    """'pointwise' and 'packed' where each tile runs few reduction steps, so what a tile
    costs beside them shows: ms per call of linear's products on each variant (the output
    kept between calls) and of 1x1 layers as F.conv2d runs them, torch's beside them."""
    from fastnn.nn.functional import _linear
    torch = _torch()
    print("(M, K, N): pointwise / packed (torch's mm into a kept output)")
    for m, k, n in SHORT_K_PRODUCTS:
        a, b = _data((m, k), (k, n))
        bt = np.ascontiguousarray(b.T)
        out = np.empty((m, n), np.float32)
        calls = {"pointwise": lambda: _linear.pointwise_kn(a, b, None, out),
                 "packed": lambda: _linear._packed(a, bt, None, out)}
        if torch is not None:
            ta, tb, tout = torch.from_numpy(a), torch.from_numpy(b), torch.empty(m, n)
            calls["torch"] = lambda: torch.mm(ta, tb, out=tout)
        t = _bench.time_many(calls)
        theirs = f" ({t['torch'] * 1e3:.3f})" if torch is not None else ""
        print(f"  ({m}, {k}, {n}): {t['pointwise'] * 1e3:.3f} / {t['packed'] * 1e3:.3f}"
              + theirs)
    print("1x1 C -> K on side x side, batch 1: F.conv2d (torch's)")
    for c, k, side in SHORT_K_LAYERS:
        x, w = _data((1, c, side, side), (k, c, 1, 1))
        calls = {"fastnn": lambda: F.conv2d(x, w)}
        if torch is not None:
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            calls["torch"] = lambda: torch.nn.functional.conv2d(tx, tw)
        t = _bench.time_many(calls)
        theirs = f" ({t['torch'] * 1e3:.3f})" if torch is not None else ""
        print(f"  {c} -> {k} on {side}x{side}: {t['fastnn'] * 1e3:.3f}" + theirs)


# layers 'direct' runs by default: LeNet's (batch 64; the first one is conv2's input
# gradient as the training step runs it), stems, a grouped layer of 128 channels per group,
# a segmentation head and few channels: (x shape, w shape, keywords)
DIRECT_LAYERS = [((64, 16, 10, 10), (6, 16, 5, 5), dict(padding=4)),
                 ((64, 6, 14, 14), (16, 6, 5, 5), {}),
                 ((64, 1, 32, 32), (6, 1, 5, 5), {}),
                 ((1, 3, 224, 224), (64, 3, 7, 7), dict(stride=2, padding=3)),
                 ((1, 3, 224, 224), (32, 3, 3, 3), dict(stride=2, padding=1)),
                 ((1, 256, 14, 14), (256, 128, 3, 3), dict(groups=2, padding=1)),
                 ((1, 64, 64, 64), (2, 64, 3, 3), dict(padding=1)),
                 ((4, 16, 64, 64), (16, 16, 3, 3), dict(padding=1))]


def direct():
    """ms per call of F.conv2d on layers 'direct' runs (DIRECT_LAYERS), torch's beside it."""
    torch = _torch()
    for xs, ws, kw in DIRECT_LAYERS:
        x, w = _data(xs, ws)
        assert backends.current("conv2d", x, w, **kw) == "direct"
        calls = {"fastnn": lambda: F.conv2d(x, w, **kw)}
        if torch is not None:
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            calls["torch"] = lambda: torch.nn.functional.conv2d(tx, tw, **kw)
        t = _bench.time_many(calls, rounds=9)
        theirs = (f" ({t['torch'] * 1e3:.3f}, {t['torch'] / t['fastnn']:.2f}x)"
                  if torch is not None else "")
        print(f"  x {xs} w {ws} {kw}: {t['fastnn'] * 1e3:.3f}" + theirs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("serial", "bands", "parts", "planes", "weightgrad",
                                         "variants", "resnet", "positions", "wide", "resample",
                                         "ufunc", "weightpack", "linear", "backlinear",
                                         "grouped", "settle",
                                         "shifted", "gather", "layout", "plain",
                                         "stage", "depthwise", "permute", "coldout", "cat",
                                         "packrows", "fewtasks", "packing", "nearest",
                                         "biasgrad", "aliasrows", "directinput", "shortk",
                                         "direct", "directgrad"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    fastnn.set_num_threads(args.threads)
    print(f"{cpu_model()}, {args.threads} threads, float32")
    {"serial": serial, "bands": bands, "parts": parts, "planes": planes,
     "weightgrad": weightgrad,
     "variants": variants, "resnet": resnet,
     "positions": positions, "wide": wide, "direct": direct, "resample": resample, "ufunc": ufunc,
     "weightpack": weightpack, "linear": linear, "backlinear": backlinear,
     "grouped": grouped,
     "settle": settle, "shifted": shifted, "gather": gather, "layout": layout,
     "plain": plain, "stage": stage,
     "depthwise": depthwise, "permute": permute, "coldout": coldout,
     "cat": cat, "packrows": packrows, "fewtasks": fewtasks,
     "packing": packing, "nearest": nearest, "biasgrad": biasgrad,
     "aliasrows": aliasrows, "directinput": directinput, "shortk": shortk,
     "directgrad": directgrad}[args.what]()


if __name__ == "__main__":
    sys.exit(main())
