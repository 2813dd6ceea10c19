"""The tile shapes of the 'blocked' convolution that other targets pick
(kernels/_shapes.py `blocked_shapes`), run on this CPU's vectors in float32 against a
float64 reference: each in a fresh interpreter with its own empty Numba cache (the shape
is fixed when the kernel compiles), the rule replaced as benchmarks/tile_shapes.py
replaces it. This CPU's own shapes are tested everywhere else; AVX-512's two-block tiles,
whose second weight vector lies `wstep` along the packed weights, only here."""
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
from fastnn.kernels._target import target
shape = tuple(json.loads(sys.argv[1]))
_shapes.blocked_shape = lambda bits, itemsize: shape
rng = np.random.default_rng(0)
errors = []
for dtype in (np.float32,):
    for n, c, k, size, kw in [(2, 20, 40, 9, dict(padding=1)),
                              (1, 16, 33, 11, dict(stride=2, padding=2, dilation=2))]:
        x = rng.standard_normal((n, c, size, size)).astype(dtype)
        w = rng.standard_normal((k, c, 3, 3)).astype(dtype)
        b = rng.standard_normal(k).astype(dtype)
        with backends.use("conv2d", "blocked"):
            got = np.asarray(F.conv2d(x, w, b, **kw), np.float64)
        s, p, d = kw.get("stride", 1), kw["padding"], kw.get("dilation", 1)
        xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (p, p), (p, p)))
        oh = (size + 2 * p - d * 2 - 1) // s + 1
        want = np.zeros((n, k, oh, oh)) + b[:, None, None]
        for i in range(3):
            for j in range(3):
                patch = xp[:, :, i * d:i * d + s * (oh - 1) + 1:s, j * d:j * d + s * (oh - 1) + 1:s]
                want += np.einsum("nchw,kc->nkhw", patch, w[:, :, i, j].astype(np.float64))
        errors.append(float(np.abs(got - want).max() / np.abs(want).max()))
print(json.dumps(errors))
'''


def _others():
    """The shapes this CPU's kernels do not pick (float32 or float64)."""
    own = {_shapes.blocked_shape(target().vector_bits, size) for size in _shapes.ITEMSIZES}
    return sorted(_shapes.blocked_shapes() - own)


@pytest.mark.parametrize("shape", _others())
def test_blocked_tile_shape_against_float64(run_python, tmp_path, shape):
    done = run_python(CHILD, env={"NUMBA_CACHE_DIR": str(tmp_path / "cache")}, timeout=900,
                      args=(json.dumps(shape),))
    assert done.returncode == 0, done.stderr[-3000:]
    assert max(json.loads(done.stdout.split("\n")[-2])) < 1e-5, done.stdout
