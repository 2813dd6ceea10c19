"""Backward of batch, instance, group and layer norm, local response norm and normalize,
against torch.autograd.grad: seeded random sweeps over shapes and arguments."""
import numpy as np
import pytest

from fastnn.nn.functional import _norm_grad as G

from backward_direct import assert_grads, context, torch_grads

DTYPES = [np.float64, np.float32]


def _data(rng, shape, dtype, offset=0.0):
    return (rng.standard_normal(shape) * rng.uniform(0.5, 3) + offset).astype(dtype)


def _affine(rng, shape, dtype):
    """(weight, bias), each present or not at random."""
    return tuple(_data(rng, shape, dtype) if rng.random() < 0.7 else None for _ in range(2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm(torch, dtype):
    rng = np.random.default_rng(1)
    F = torch.nn.functional
    # planes of up to _BLOCK (256) elements run a channel's rows in one call, longer ones
    # a call per row
    for shape in [(4, 3), (1, 3, 5), (2, 3, 5), (3, 2, 4, 5), (2, 3, 2, 2, 3), (2, 4, 1),
                  (2, 3, 17, 19), (3, 2, 300)]:
        channels = shape[1]
        for training in (True, False):
            x = _data(rng, shape, dtype, offset=rng.choice([0.0, 50.0]))
            g = _data(rng, shape, dtype)
            w, b = _affine(rng, channels, dtype)
            stats = rng.random() < 0.6 or not training
            rm = _data(rng, channels, dtype) if stats else None
            rv = (rng.random(channels) + 0.5).astype(dtype) if stats else None
            eps, momentum = float(rng.choice([1e-5, 1e-3, 0.5])), float(rng.random())
            ctx = context("batch_norm", x, None if rm is None else rm.copy(),
                          None if rv is None else rv.copy(), w, b, training, momentum, eps)
            ours = G.batch_norm_backward(ctx, g)
            theirs = torch_grads(torch, lambda x, w, b: F.batch_norm(
                x, None if rm is None else torch.tensor(rm),
                None if rv is None else torch.tensor(rv), w, b, training, momentum, eps),
                [x, w, b], g)
            assert ours[1] is None and ours[2] is None
            assert_grads([ours[0], ours[3], ours[4]], theirs, dtype)


def test_batch_norm_skips_what_is_not_needed():
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    ctx = context("batch_norm", x, None, None, w, b, True, needs=(False, 0, 0, True, False))
    gx, _, _, gw, gb = G.batch_norm_backward(ctx, g)
    assert gx is None and gb is None and gw.shape == (3,)


def test_batch_norm_empty_input():
    x = np.zeros((0, 3, 4))
    ctx = context("batch_norm", x, None, None, np.ones(3), np.zeros(3), True)
    gx, _, _, gw, gb = G.batch_norm_backward(ctx, np.zeros_like(x))
    assert gx.shape == x.shape and not gw.any() and not gb.any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_instance_norm(torch, dtype):
    rng = np.random.default_rng(3)
    F = torch.nn.functional
    for shape in [(2, 3, 5), (1, 2, 4, 3), (2, 3, 2, 2, 2)]:
        channels = shape[1]
        for use_input_stats in (True, False):
            x, g = _data(rng, shape, dtype, 10.0), _data(rng, shape, dtype)
            w, b = _affine(rng, channels, dtype)
            stats = rng.random() < 0.5 or not use_input_stats
            rm = _data(rng, channels, dtype) if stats else None
            rv = (rng.random(channels) + 0.5).astype(dtype) if stats else None
            eps = float(rng.choice([1e-5, 0.1]))
            ctx = context("instance_norm", x, None if rm is None else rm.copy(),
                          None if rv is None else rv.copy(), w, b, use_input_stats, 0.1, eps)
            ours = G.instance_norm_backward(ctx, g)
            theirs = torch_grads(torch, lambda x, w, b: F.instance_norm(
                x, None if rm is None else torch.tensor(rm),
                None if rv is None else torch.tensor(rv), w, b, use_input_stats, 0.1, eps),
                [x, w, b], g)
            assert_grads([ours[0], ours[3], ours[4]], theirs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_group_norm(torch, dtype):
    rng = np.random.default_rng(4)
    for shape, groups in [((2, 6, 5), 3), ((3, 4), 2), ((1, 6, 2, 3), 6), ((2, 4, 3), 1),
                          ((2, 6, 2, 1, 2), 2)]:
        x, g = _data(rng, shape, dtype, -20.0), _data(rng, shape, dtype)
        w, b = _affine(rng, shape[1], dtype)
        eps = float(rng.choice([1e-5, 0.1]))
        ours = G.group_norm_backward(context("group_norm", x, groups, w, b, eps), g)
        theirs = torch_grads(torch, lambda x, w, b: torch.nn.functional.group_norm(
            x, groups, w, b, eps), [x, w, b], g)
        assert_grads(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm(torch, dtype):
    rng = np.random.default_rng(5)
    for shape, dims in [((3, 7), 1), ((2, 3, 4), 1), ((2, 3, 4), 2), ((2, 3, 4), 3), ((5,), 1),
                        ((1, 40, 3), 1)]:
        normalized = shape[len(shape) - dims:]
        x, g = _data(rng, shape, dtype, 30.0), _data(rng, shape, dtype)
        w, b = _affine(rng, normalized, dtype)
        eps = float(rng.choice([1e-5, 0.1]))
        ours = G.layer_norm_backward(context("layer_norm", x, normalized, w, b, eps), g)
        theirs = torch_grads(torch, lambda x, w, b: torch.nn.functional.layer_norm(
            x, normalized, w, b, eps), [x, w, b], g)
        assert_grads(ours, theirs, dtype)


@pytest.mark.parametrize("op", ["layer_norm", "group_norm", "instance_norm"])
def test_empty_input_gives_zero_gradients(op):
    x = np.zeros((0, 4, 3))
    w, b = np.ones(4), np.zeros(4)
    if op == "layer_norm":
        w, b = np.ones(3), np.zeros(3)
        ctx = context(op, x, (3,), w, b)
    elif op == "group_norm":
        ctx = context(op, x, 2, w, b)
    else:
        ctx = context(op, x, None, None, w, b)
    grads = getattr(G, op + "_backward")(ctx, np.zeros_like(x))
    assert grads[0].shape == x.shape
    assert all(not g.any() for g in grads if g is not None)


@pytest.mark.parametrize("dtype", DTYPES)
def test_local_response_norm(torch, dtype):
    rng = np.random.default_rng(6)
    for shape in [(2, 5, 4), (1, 6, 3, 2), (2, 4, 2, 2, 2)]:
        for size in (1, 2, 3, 5, 8):
            x, g = _data(rng, shape, dtype), _data(rng, shape, dtype)
            alpha, beta, k = float(rng.uniform(1e-3, 1)), float(rng.choice([0.75, 0.5, 2.0])), \
                float(rng.uniform(1, 2))
            ours = G.local_response_norm_backward(
                context("local_response_norm", x, size, alpha, beta, k), g)
            theirs = torch_grads(torch, lambda x: torch.nn.functional.local_response_norm(
                x, size, alpha, beta, k), [x], g)
            assert_grads(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_normalize(torch, dtype):
    rng = np.random.default_rng(7)
    x = _data(rng, (3, 4, 2), dtype)
    x[0, :, 1] = 0                          # a zero slice: the norm's gradient is 0 there
    g = _data(rng, x.shape, dtype)
    for p in (2.0, 1.0, 3.0, 0.5, float("inf"), 0.0):
        for dim in (1, -1, 0, (0, 2)):
            for eps in (1e-12, 2.0):
                ours = G.normalize_backward(context("normalize", x, p, dim, eps), g)
                theirs = torch_grads(torch, lambda x: torch.nn.functional.normalize(
                    x, p, dim, eps), [x], g)
                assert_grads(ours, theirs, dtype)
