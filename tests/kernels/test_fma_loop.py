"""kernels/_fma_loop.py, the vector multiply-add loop of the register tiles (over
accumulators of TILE lanes, and of one vector register: `fma_loop_vector`), and every
generated 'pointwise' tile that calls it (the shapes of every target, run on this CPU's
vectors), against numpy in float64."""
import numpy as np
import pytest

from fastnn.kernels import tiles_pointwise
from fastnn.kernels._epilogue import NONE
from fastnn.kernels._fma_loop import fma_loop, fma_loop_vector
from fastnn.kernels._stack import TILE, tile_pointer
from fastnn.kernels._target import njit, target
from fastnn.kernels.conv_pad import _u

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def _vector_lanes(dtype):
    """Lanes of one vector register of `dtype` on the codegen target (`tile_width`)."""
    return min(TILE, target().vector_bits // (8 * np.dtype(dtype).itemsize))


def _reference(acc, vf, v0, vstep, vrun, taps, bf, bases, bstep, n, runs, lanes=TILE):
    """acc (channels * runs, TILE) plus the loop's products in its first `lanes` lanes,
    summed in float64."""
    out = acc.astype(np.float64).reshape(len(bases), runs, TILE)
    for i in range(n):
        for t, tap in enumerate(taps):
            start = v0 + i * vstep + int(tap)
            rows = np.stack([vf[start + r * vrun:][:lanes] for r in range(runs)])
            for k, base in enumerate(bases):
                out[k, :, :lanes] += float(bf[base + i * bstep + t]) * rows.astype(np.float64)
    return out.reshape(acc.shape)


def _harness(count, loop=fma_loop):
    """An njit function that loads acc (count, TILE) into `count` stack accumulators, runs
    `loop` on them and writes them back."""
    names = [f"a{j}" for j in range(count)]
    lines = ["def run(acc, vf, v0, vstep, vrun, taps, bf, bases, bstep, n):"]
    lines += [f"    {a} = tile_pointer(acc.dtype)" for a in names]
    lines += [f"    for v in range({TILE}):"]
    lines += [f"        {a}[v] = acc[{j}, v]" for j, a in enumerate(names)]
    lines += [f"    fma_loop(({', '.join(names)},), vf, v0, vstep, vrun, taps, len(taps), bf,"
              " bases, bstep, n)"]
    lines += [f"    for v in range({TILE}):"]
    lines += [f"        acc[{j}, v] = {a}[v]" for j, a in enumerate(names)]
    scope = {"tile_pointer": tile_pointer, "fma_loop": loop}
    exec("\n".join(lines), scope)
    return njit(scope["run"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels, runs, vrun, taps", [
    (1, 1, TILE, (0,)), (6, 1, TILE, (0,)), (8, 2, TILE, (0,)), (3, 2, TILE, (0, 2, 5)),
    (2, 1, TILE, (4, 1)), (6, 2, 37, (0,)), (2, 3, 5, (1, 3))])   # runs apart, overlapping
def test_fma_loop_against_numpy(channels, runs, vrun, taps, dtype):
    rng = np.random.default_rng(channels * 10 + runs + len(taps))
    n, vstep, bstep = 7, 41, len(taps) + 2
    v0 = 3
    vf = rng.standard_normal(v0 + n * vstep + max(taps) + runs * vrun + TILE).astype(dtype)
    bases = tuple(int(b) for b in rng.permutation(channels) * (n * bstep + len(taps)))
    bf = rng.standard_normal(channels * (n * bstep + len(taps))).astype(dtype)
    acc = rng.standard_normal((channels * runs, TILE)).astype(dtype)
    tap_array = np.array(taps, np.uint64)
    want = _reference(acc, vf, v0, vstep, vrun, tap_array, bf, bases, bstep, n, runs)
    _harness(channels * runs)(acc, vf, v0, vstep, vrun, tap_array, bf, bases, bstep, n)
    np.testing.assert_allclose(acc, want, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels, vrun, taps", [(1, 0, (0,)), (6, 21, (0, 5, 2)),
                                                  (8, 3, (1,))])
def test_fma_loop_vector_against_numpy(channels, vrun, taps, dtype):
    """Two runs (the 'direct' tiles' two rows) of one vector each; the lanes past it are
    left as they were."""
    rng = np.random.default_rng(channels + vrun)
    n, vstep, bstep, v0 = 3, 29, len(taps) + 1, 2
    lanes = _vector_lanes(dtype)
    vf = rng.standard_normal(v0 + n * vstep + max(taps) + 2 * vrun + TILE).astype(dtype)
    bases = tuple(int(b) for b in rng.permutation(channels) * (n * bstep + len(taps)))
    bf = rng.standard_normal(channels * (n * bstep + len(taps))).astype(dtype)
    acc = rng.standard_normal((channels * 2, TILE)).astype(dtype)
    tap_array = np.array(taps, np.uint64)
    want = _reference(acc, vf, v0, vstep, vrun, tap_array, bf, bases, bstep, n, 2, lanes)
    _harness(channels * 2, fma_loop_vector)(acc, vf, v0, vstep, vrun, tap_array, bf, bases,
                                            bstep, n)
    np.testing.assert_allclose(acc, want, **TOL[dtype])


def test_fma_loop_of_no_steps_keeps_the_accumulators():
    acc = np.arange(2 * TILE, dtype=np.float32).reshape(2, TILE)
    before = acc.copy()
    _harness(2)(acc, np.ones(64, np.float32), 0, 1, TILE, np.zeros(1, np.uint64),
                np.ones(4, np.float32), (0, 1), 1, 0)
    np.testing.assert_array_equal(acc, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weight, want", [(0.0, [0.0, np.nan, np.nan, 0.0]),
                                          (2.0, [2.0, np.inf, np.nan, 2.0])])
def test_fma_loop_propagates_nan_and_inf(weight, want, dtype):
    """0 * inf is NaN and NaN stays NaN, as in torch (no fast-math flags)."""
    acc = np.zeros((1, TILE), dtype)
    vf = np.ones(TILE, dtype)
    vf[1], vf[2] = np.inf, np.nan
    _harness(1)(acc, vf, 0, 1, TILE, np.zeros(1, np.uint64), np.array([weight], dtype), (0,),
                1, 1)
    np.testing.assert_array_equal(acc[0, :4], np.array(want, dtype))


def _tile_runner(tile):
    @njit
    def run(xf, wf, of, bias, has_bias, K, k0, kn, R, C, taps, T, P, p0):
        tile(xf, wf, of, bias, has_bias, K, k0, kn, _u(0), _u(R), C, taps, T, _u(k0 * P), P,
             p0, NONE)
    return run


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", sorted(tiles_pointwise.TILES))
def test_every_pointwise_tile_against_numpy(shape, dtype):
    """Each tile with taps (a 1-D convolution's: offsets into each input row), a bias per
    channel and a last block of channels past K (rows re-read, not stored)."""
    channels, runs = shape
    width = runs * TILE
    rng = np.random.default_rng(channels + 7 * runs)
    K, C, T, P = channels + channels // 2 + 1, 5, 3, 2 * width + 3
    taps = np.array([0, 2, 3], np.uint64)
    R = P + 3
    x = rng.standard_normal((C, R)).astype(dtype)
    w = rng.standard_normal((K, C, T)).astype(dtype)
    bias = rng.standard_normal(K).astype(dtype)
    out = np.full((K, P), -7.0, dtype)
    run = _tile_runner(tiles_pointwise.TILES[shape])
    p0 = P - width
    for k0 in range(0, K, channels):
        run(x.ravel(), w.ravel(), out.ravel(), bias, 1, K, k0, min(channels, K - k0), R, C,
            taps, T, P, p0)
    rows = np.stack([x[:, p0 + int(t):p0 + int(t) + width] for t in taps], axis=1)
    want = np.einsum("kct,ctp->kp", w.astype(np.float64), rows.astype(np.float64))
    want += bias[:, None]
    np.testing.assert_allclose(out[:, p0:], want, **TOL[dtype])
    assert (out[:, :p0] == -7.0).all()
