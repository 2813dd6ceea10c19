"""The tile shapes of the 'blocked' and 'direct' convolutions, the packed GEMM and the
gathered weight gradient that other targets pick (kernels/_shapes.py `blocked_shapes`,
`direct_shapes`, `gemm_packed_shapes`, `weight_grad_shapes`), run on this CPU's vectors
in float32 against a float64 reference: each in a fresh interpreter with its own empty
Numba cache (the shape is fixed when the kernel compiles), the rule replaced as
benchmarks/tile_shapes.py replaces it. This CPU's own shapes are tested everywhere else;
the others (AVX-512's two-block convolution tiles, whose second weight vector lies
`wstep` along the packed weights, its 12-row GEMM tiles, its weight gradient tiles of
several groups, the direct convolution's 8-channel blocks) only here. The 'pointwise'
tiles of every target run here directly (tests/kernels/test_fma_loop.py)."""
import json
import pathlib

import pytest

from fastnn.kernels import _shapes
from fastnn.kernels._target import target

TESTS = pathlib.Path(__file__).resolve().parent.parent

CHILD = r'''
import json, sys
import numpy as np
import fastnn.nn.functional as F
from fastnn import backends
from fastnn.kernels import _shapes
family, shape = sys.argv[1], tuple(json.loads(sys.argv[2]))
sys.path.insert(0, sys.argv[3])
from reference_conv import conv_reference  # tests/reference_conv.py
setattr(_shapes, family + "_shape", lambda bits, itemsize: shape)
rng = np.random.default_rng(0)
errors = []


def conv_errors(variant, cases):
    """(fastnn's output, the float64 reference) of 3x3 convolutions on `variant`: cases of
    (n, c, k, (h, w), stride, padding, dilation)."""
    for n, c, k, size, s, p, d in cases:
        x = rng.standard_normal((n, c) + size).astype(np.float32)
        w = rng.standard_normal((k, c, 3, 3)).astype(np.float32)
        b = rng.standard_normal(k).astype(np.float32)
        with backends.use("conv2d", variant):
            got = F.conv2d(x, w, b, stride=s, padding=p, dilation=d)
        errors.append((np.asarray(got, np.float64), conv_reference(x, w, b, s, p, d)))


if family == "blocked":
    conv_errors("blocked", [(2, 20, 40, (9, 9), 1, 1, 1), (1, 16, 33, (11, 11), 2, 2, 2)])
elif family == "direct":
    # blocks of every size: wide ones full and partial, the narrow tile's, one row
    conv_errors("direct", [(2, 5, 20, (9, 15), 1, 2, 1), (1, 3, 7, (12, 15), 2, 3, 1),
                           (1, 4, 13, (1, 15), 1, 1, 1)])
elif family == "weight_grad":
    from fastnn.nn.functional import _conv_grad
    for n, c, k, size, s, p in [(2, 3, 64, 16, 2, 1), (1, 2, 20, 13, 1, 1)]:
        x = rng.standard_normal((n, c, 1, size, size)).astype(np.float32)
        oh = (size + 2 * p - 3) // s + 1
        g = rng.standard_normal((n, k, 1, oh, oh)).astype(np.float32)
        got = np.empty((k, c, 1, 3, 3), np.float32)
        _conv_grad._weight_grad_gather(x, g, got, (1, s, s), (0, p, p), (1, 1, 1))
        xp = np.pad(x[:, :, 0].astype(np.float64), ((0, 0), (0, 0), (p, p), (p, p)))
        want = np.empty((k, c, 1, 3, 3))
        for i in range(3):
            for j in range(3):
                patch = xp[:, :, i:i + s * (oh - 1) + 1:s, j:j + s * (oh - 1) + 1:s]
                want[:, :, 0, i, j] = np.einsum("nkhw,nchw->kc", g[:, :, 0], patch)
        errors.append((got.astype(np.float64), want))
else:
    for m, k, n in [(13, 70, 40), (200, 64, 97)]:
        x = rng.standard_normal((m, k)).astype(np.float32)
        w = rng.standard_normal((n, k)).astype(np.float32)
        b = rng.standard_normal(n).astype(np.float32)
        with backends.use("linear", "packed"):
            got = F.linear(x, w, b)
        want = x.astype(np.float64) @ w.T.astype(np.float64) + b
        errors.append((np.asarray(got, np.float64), want))
print(json.dumps([float(np.abs(g - r).max() / np.abs(r).max()) for g, r in errors]))
'''


def _others(family):
    """(family, shape) for the shapes this CPU's kernels do not pick (float32 or float64)."""
    own = {getattr(_shapes, f"{family}_shape")(target().vector_bits, size)
           for size in _shapes.ITEMSIZES}
    return [(family, shape) for shape in sorted(getattr(_shapes, f"{family}_shapes")() - own)]


@pytest.mark.parametrize("family, shape", _others("blocked") + _others("direct")
                         + _others("gemm_packed") + _others("weight_grad"))
def test_tile_shape_against_float64(run_python, tmp_path, family, shape):
    done = run_python(CHILD, env={"NUMBA_CACHE_DIR": str(tmp_path / "cache")}, timeout=900,
                      args=(family, json.dumps(shape), str(TESTS)))
    assert done.returncode == 0, done.stderr[-3000:]
    errors = json.loads(done.stdout.split("\n")[-2])
    assert len(errors) >= 2 and max(errors) < 1e-5, done.stdout
