"""Running one op's registered backward function directly: the context the door would
give it (the op's own normalize), against torch.autograd.grad of torch's function. The
end-to-end tests (Tensor.backward through the door) live beside these; this is how the
kernels' own arguments are swept without the engine in the way."""
from types import SimpleNamespace

import numpy as np

from fastnn._registry import OPS


def context(op, *args, needs=None, **kwargs):
    """The backward's ctx of `op` called with `args`: every float input needs a gradient
    unless `needs` says which do."""
    inputs, attrs = OPS[op].normalize(*args, **kwargs)
    if needs is None:
        needs = tuple(isinstance(i, np.ndarray) and i.dtype.kind == "f" for i in inputs)
    return SimpleNamespace(inputs=inputs, attrs=attrs, needs=tuple(needs), plan=None,
                           output=None, shapes=tuple(None if i is None else i.shape
                                                     for i in inputs),
                           dtypes=tuple(None if i is None else i.dtype for i in inputs))


def torch_grads(torch, fn, arrays, grad):
    """torch.autograd.grad of fn(*tensors) for every array given (None stays None)."""
    tensors = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    leaves = [t for t in tensors if t is not None]
    grads = iter(torch.autograd.grad(out, leaves, torch.from_numpy(np.ascontiguousarray(grad)),
                                     allow_unused=True))
    return [None if t is None else next(grads) for t in tensors]


def assert_grads(ours, theirs, dtype):
    """Each of `ours` against torch's (float64 rtol 1e-10, float32 1e-4, atol scaled to
    the gradient's size); a None of ours must be a None or zero gradient of torch's."""
    rtol = 1e-10 if np.dtype(dtype) == np.float64 else 1e-4
    for i, (o, t) in enumerate(zip(ours, theirs)):
        if t is None:
            assert o is None, f"gradient {i}: torch has none"
            continue
        t = t.numpy()
        if o is None:
            assert not np.any(t), f"gradient {i}: missing"
            continue
        assert o.shape == t.shape, (i, o.shape, t.shape)
        assert o.dtype == t.dtype, (i, o.dtype, t.dtype)
        atol = rtol * max(1.0, float(np.abs(t).max(initial=0)))
        np.testing.assert_allclose(o, t, rtol=rtol, atol=atol, err_msg=f"gradient {i}")
