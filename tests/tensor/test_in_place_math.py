"""torch's in-place element-wise math (sigmoid_, tanh_, exp_, log_, sqrt_, rsqrt_, abs_,
pow_ as Tensor methods; their top-level forms and clamp_) against torch: values, the
tensor itself returned and written, torch's errors with nothing written, autograd."""
import numpy as np
import pytest

import fastnn
from torch_compare import raises_like

METHODS = ["sigmoid_", "tanh_", "exp_", "log_", "sqrt_", "rsqrt_", "abs_"]
SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, -1.5, 2.0, 90.0, -90.0, 1e-30]


def _values(rng, dtype):
    x = np.concatenate([rng.standard_normal(40) * 3, SPECIALS]).astype(dtype)
    return x.reshape(5, 10)


@pytest.mark.parametrize("name", METHODS + ["pow_"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_method_writes_torchs_values_into_the_tensor(torch, rng, name, dtype):
    x = _values(rng, dtype)
    args = (2.5,) if name == "pow_" else ()
    expected = getattr(torch.from_numpy(x.copy()), name)(*args).numpy()
    t = fastnn.tensor(x.copy())
    assert getattr(t, name)(*args) is t
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6 if dtype == np.float32 else 1e-13,
                               atol=0, equal_nan=True)
    # through a non-contiguous view: the base is written
    base = fastnn.tensor(np.zeros((10, 5), dtype))
    view = base.t()
    view.copy_(fastnn.tensor(x))
    getattr(view, name)(*args)
    np.testing.assert_allclose(base.numpy().T, expected, rtol=1e-6, atol=0, equal_nan=True)


@pytest.mark.parametrize("name", METHODS + ["clamp_"])
def test_top_level_forms(torch, rng, name):
    x = _values(rng, np.float32)
    args = (-1.0, 1.0) if name == "clamp_" else ()
    expected = getattr(torch, name)(torch.from_numpy(x.copy()), *args).numpy()
    t = fastnn.tensor(x.copy())
    assert getattr(fastnn, name)(t, *args) is t
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("name", METHODS + ["pow_"])
@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_integer_and_bool_tensors_refused_as_torch_refuses_them(torch, name, dtype):
    x = np.array([1, 0, 1], dtype)
    args = (0.5,) if name == "pow_" else ()
    if name == "abs_" and dtype == np.int64:        # stays an integer: allowed
        t = fastnn.tensor(np.array([-3, 0, 2]))
        t.abs_()
        assert t.tolist() == [3, 0, 2] and t.dtype == np.int64
        return
    t = fastnn.tensor(x.copy())
    raises_like(lambda: getattr(torch.from_numpy(x.copy()), name)(*args),
                lambda: getattr(t, name)(*args))
    np.testing.assert_array_equal(t.numpy(), x)     # nothing written


@pytest.mark.parametrize("name", METHODS + ["pow_"])
def test_autograd_through_the_write(torch, rng, name):
    """Recorded on a non-leaf as torch records it; refused on a leaf that requires grad."""
    x = np.abs(rng.standard_normal(6)).astype(np.float64) + 0.5
    args = (1.5,) if name == "pow_" else ()
    fx = fastnn.tensor(x, requires_grad=True)
    tx = torch.from_numpy(x).requires_grad_()
    fy, ty = fx * 2, tx * 2
    getattr(fy, name)(*args)
    getattr(ty, name)(*args)
    fy.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    raises_like(lambda: getattr(torch.from_numpy(x.copy()).requires_grad_(), name)(*args),
                lambda: getattr(fastnn.tensor(x, requires_grad=True), name)(*args))


@pytest.mark.parametrize("name", METHODS)
def test_top_level_forms_refuse_what_is_no_tensor_in_torchs_words(torch, name):
    raises_like(lambda: getattr(torch, name)("a"), lambda: getattr(fastnn, name)("a"))
