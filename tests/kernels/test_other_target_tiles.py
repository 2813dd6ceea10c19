"""The tile shapes of the 'blocked' convolution and the packed GEMM that other targets pick
(kernels/_shapes.py `blocked_shapes`, `gemm_packed_shapes`), run on this CPU's vectors in
float32 against a float64 reference: each in a fresh interpreter with its own empty Numba
cache (the shape is fixed when the kernel compiles), the rule replaced as
benchmarks/tile_shapes.py replaces it. This CPU's own shapes are tested everywhere else;
the others (AVX-512's two-block convolution tiles, whose second weight vector lies `wstep`
along the packed weights; its 12-row GEMM tiles) only here. The 'pointwise' tiles of every
target run here directly (tests/kernels/test_fma_loop.py)."""
import json

import pytest

from fastnn.kernels import _shapes
from fastnn.kernels._target import target

CHILD = r'''
import json, sys
import numpy as np
import fastnn.nn.functional as F
from fastnn import backends
from fastnn.kernels import _shapes
family, shape = sys.argv[1], tuple(json.loads(sys.argv[2]))
setattr(_shapes, family + "_shape", lambda bits, itemsize: shape)
rng = np.random.default_rng(0)
errors = []


def conv_reference(x, w, b, s, p, d):
    n, size, k = x.shape[0], x.shape[2], w.shape[0]
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (p, p), (p, p)))
    oh = (size + 2 * p - d * 2 - 1) // s + 1
    out = np.zeros((n, k, oh, oh)) + b[:, None, None]
    for i in range(3):
        for j in range(3):
            patch = xp[:, :, i * d:i * d + s * (oh - 1) + 1:s, j * d:j * d + s * (oh - 1) + 1:s]
            out += np.einsum("nchw,kc->nkhw", patch, w[:, :, i, j].astype(np.float64))
    return out


if family == "blocked":
    for n, c, k, size, s, p, d in [(2, 20, 40, 9, 1, 1, 1), (1, 16, 33, 11, 2, 2, 2)]:
        x = rng.standard_normal((n, c, size, size)).astype(np.float32)
        w = rng.standard_normal((k, c, 3, 3)).astype(np.float32)
        b = rng.standard_normal(k).astype(np.float32)
        with backends.use("conv2d", "blocked"):
            got = F.conv2d(x, w, b, stride=s, padding=p, dilation=d)
        errors.append((np.asarray(got, np.float64), conv_reference(x, w, b, s, p, d)))
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


@pytest.mark.parametrize("family, shape", _others("blocked") + _others("gemm_packed"))
def test_tile_shape_against_float64(run_python, tmp_path, family, shape):
    done = run_python(CHILD, env={"NUMBA_CACHE_DIR": str(tmp_path / "cache")}, timeout=900,
                      args=(family, json.dumps(shape)))
    assert done.returncode == 0, done.stderr[-3000:]
    errors = json.loads(done.stdout.split("\n")[-2])
    assert len(errors) == 2 and max(errors) < 1e-5, done.stdout
