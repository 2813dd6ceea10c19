"""Gradient checks the autograd tests share.

* `compare_with_torch(call, arrays, ...)`: ``call(lib, *tensors)`` with lib = fastnn and
  lib = torch on the same leaves; the same random output gradient; every leaf's ``.grad``
  compared (float64 1e-10, float32 1e-4 relative unless given).
* `numerical_check(call, arrays, ...)`: torch-free: fastnn's gradient of a float64 call
  against central differences of its own forward.
"""
import numpy as np

import fastnn

RTOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}


def _outputs(result):
    results = result if isinstance(result, (tuple, list)) else (result,)
    return [r for r in results if r is not None and getattr(r, "requires_grad", False)]


def _leaves(lib, arrays, grad_mask):
    if lib is fastnn:
        made = [None if a is None else fastnn.tensor(a) for a in arrays]
    else:
        made = [None if a is None else lib.from_numpy(np.array(a, copy=True)) for a in arrays]
    for t, wanted in zip(made, grad_mask):
        if t is None or not wanted:
            continue
        if (t.dtype.kind == "f") if lib is fastnn else t.is_floating_point():
            t.requires_grad_(True)
    return made


def _grads_for(outputs, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(np.shape(o)).astype(np.asarray(o.detach()).dtype)
            for o in outputs]


def fastnn_grads(call, arrays, grad_mask=None, seed=0, out_grads=None):
    """(outputs, leaf grads) of ``call(fastnn, *leaves)`` after backward with random output
    gradients (or `out_grads`)."""
    grad_mask = grad_mask or [True] * len(arrays)
    leaves = _leaves(fastnn, arrays, grad_mask)
    outputs = _outputs(call(fastnn, *leaves))
    grads = out_grads if out_grads is not None else _grads_for(outputs, seed)
    if outputs:
        fastnn.autograd.backward(outputs, [fastnn.tensor(g) for g in grads])
    return outputs, [None if t is None or t.grad is None else np.asarray(t.grad)
                     for t in leaves], grads


def compare_with_torch(call, arrays, torch, grad_mask=None, rtol=None, atol=None, seed=0):
    """fastnn's and torch's gradients of ``call(lib, *leaves)`` agree."""
    grad_mask = grad_mask or [True] * len(arrays)
    outputs, got, grads = fastnn_grads(call, arrays, grad_mask, seed)
    leaves = _leaves(torch, arrays, grad_mask)
    t_outputs = _outputs(call(torch, *leaves))
    assert len(outputs) == len(t_outputs), "different differentiable outputs"
    if t_outputs:
        torch.autograd.backward(t_outputs, [torch.from_numpy(g) for g in grads])
    checked = 0
    for i, (g, t) in enumerate(zip(got, leaves)):
        want = None if t is None or t.grad is None else t.grad.numpy()
        if want is None:
            assert g is None or not np.any(g), f"input {i}: torch has no gradient"
            continue
        assert g is not None, f"input {i}: fastnn has no gradient"
        assert g.shape == want.shape and g.dtype == want.dtype, (g.shape, g.dtype,
                                                                 want.shape, want.dtype)
        tol = RTOL[g.dtype] if rtol is None else rtol
        scale = max(1.0, float(np.max(np.abs(want), initial=0)))
        np.testing.assert_allclose(g, want, rtol=tol,
                                   atol=tol * scale if atol is None else atol,
                                   equal_nan=True, err_msg=f"gradient of input {i}")
        checked += 1
    return checked


def numerical_check(call, arrays, grad_mask=None, eps=1e-6, rtol=1e-5, atol=1e-7,
                    seed=0):
    """fastnn's float64 gradient of ``call(fastnn, *leaves)`` against central differences
    of the same call (no torch)."""
    arrays = [None if a is None else np.asarray(a, np.float64)
              if np.asarray(a).dtype.kind == "f" else np.asarray(a) for a in arrays]
    grad_mask = grad_mask or [True] * len(arrays)
    outputs, got, grads = fastnn_grads(call, arrays, grad_mask, seed)

    def objective(values):
        with fastnn.no_grad():
            result = call(fastnn, *[None if v is None else fastnn.tensor(v) for v in values])
        results = result if isinstance(result, (tuple, list)) else (result,)
        floats = [np.asarray(r) for r in results if r is not None and r.dtype.kind == "f"]
        return sum(float(np.sum(f * g)) for f, g in zip(floats, grads))

    checked = 0
    for i, a in enumerate(arrays):
        if a is None or not grad_mask[i] or a.dtype.kind != "f":
            continue
        numeric = np.zeros_like(a)
        flat = numeric.reshape(-1)
        for j in range(a.size):
            plus, minus = [v if v is None else v.copy() for v in arrays], \
                [v if v is None else v.copy() for v in arrays]
            plus[i].reshape(-1)[j] += eps
            minus[i].reshape(-1)[j] -= eps
            flat[j] = (objective(plus) - objective(minus)) / (2 * eps)
        # no gradient (an input the output does not depend on, e.g. a mask's values)
        # must mean zero differences
        mine = np.zeros_like(a) if got[i] is None else got[i]
        np.testing.assert_allclose(mine, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")
        checked += 1
    return checked
