"""fastnn.nn.utils.clip_grad_norm_ / clip_grad_value_ against torch's."""
import numpy as np
import pytest

import fastnn
from tests.torch_compare import raises_like


def _params(torch, rng, dtype=np.float32, scale=1.0, nan=False):
    grads = [rng.standard_normal(s).astype(dtype) * dtype(scale) for s in [(3, 4), (5,), (2,)]]
    if nan:
        grads[1][2] = np.inf
    tp, fp = [], []
    for g in grads:
        t = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype))
        t.grad = torch.tensor(g)
        f = fastnn.nn.Parameter(fastnn.zeros(g.shape, dtype=g.dtype))
        f.grad = g.copy()
        tp.append(t)
        fp.append(f)
    fp[2].grad = tp[2].grad = None          # a parameter without a gradient is left out
    return tp, fp


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), 0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(torch, rng, norm_type, max_norm, dtype):
    tp, fp = _params(torch, rng, dtype)
    want = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    got = fastnn.nn.utils.clip_grad_norm_(fp, max_norm, norm_type)
    assert isinstance(got, fastnn.Tensor) and got.shape == () and got.dtype == want.numpy().dtype
    tol = dict(rtol=1e-6) if dtype == np.float32 else dict(rtol=1e-12)
    np.testing.assert_allclose(np.asarray(got), want.numpy(), **tol)
    for t, f in zip(tp, fp):
        if t.grad is None:
            assert f.grad is None
        else:
            np.testing.assert_allclose(f.grad, t.grad.numpy(), **tol)


def test_clip_grad_norm_single_tensor_nonfinite_and_empty(torch, rng):
    tp, fp = _params(torch, rng, nan=True)
    want = torch.nn.utils.clip_grad_norm_(tp[0], 1.0)
    got = fastnn.nn.utils.clip_grad_norm_(fp[0], 1.0)
    np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-6)
    raises_like(lambda: torch.nn.utils.clip_grad_norm_(tp, 1.0, error_if_nonfinite=True),
                lambda: fastnn.nn.utils.clip_grad_norm_(fp, 1.0, error_if_nonfinite=True))
    want = torch.nn.utils.clip_grad_norm_(tp, 1.0)     # inf norm scales by 0 as torch
    got = fastnn.nn.utils.clip_grad_norm_(fp, 1.0)
    assert float(got) == float(want)
    np.testing.assert_array_equal(fp[1].grad, tp[1].grad.numpy())
    empty = fastnn.nn.utils.clip_grad_norm_([], 1.0)
    assert float(empty) == 0.0 and empty.dtype == np.float32
    with pytest.warns(UserWarning, match="empty generator"):
        fastnn.nn.utils.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_value_matches_torch(torch, rng):
    tp, fp = _params(torch, rng, scale=2.0)
    fp[0].grad[0, 0] = tp[0].grad[0, 0] = float("nan")
    torch.nn.utils.clip_grad_value_(tp, 1.5)
    assert fastnn.nn.utils.clip_grad_value_(fp, 1.5) is None
    for t, f in zip(tp[:2], fp[:2]):
        np.testing.assert_array_equal(f.grad, t.grad.numpy())
    torch.nn.utils.clip_grad_value_(tp, 0.5, foreach=True)
    fastnn.nn.utils.clip_grad_value_(fp, 0.5, foreach=True)
    for t, f in zip(tp[:2], fp[:2]):
        np.testing.assert_array_equal(f.grad, t.grad.numpy())
