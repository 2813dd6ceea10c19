"""The autograd engine against torch: what is recorded, how gradients accumulate, hooks,
grad modes and every error torch raises (op formulas are in test_grad_catalogue.py)."""
import weakref

import numpy as np
import pytest

import fastnn
from fastnn.autograd import _engine
from torch_compare import raises_like


def _pair(torch, values=(1.0, -2.0, 3.0)):
    return (fastnn.tensor(list(values), requires_grad=True),
            torch.tensor(list(values), requires_grad=True))


def test_ops_record_a_node_only_when_an_input_requires_grad():
    x = fastnn.randn(3)
    assert (x * 2).grad_fn is None and not (x * 2).requires_grad
    w = fastnn.randn(3, requires_grad=True)
    y = x * w
    assert y.requires_grad and not y.is_leaf and w.is_leaf
    assert y.grad_fn.name() == "MulBackward0"
    assert repr(y).endswith("grad_fn=<MulBackward0>)")
    nodes = [n for n, _ in y.grad_fn.next_functions]
    assert nodes[0] is None and nodes[1].variable is w


def test_grad_modes_stop_recording():
    w = fastnn.randn(3, requires_grad=True)
    with fastnn.no_grad():
        assert (w * 2).grad_fn is None
    with fastnn.inference_mode():
        assert not (w * 2).requires_grad
    with fastnn.set_grad_enabled(False):
        with fastnn.enable_grad():
            assert (w * 2).requires_grad
        assert not (w * 2).requires_grad

    @fastnn.no_grad()
    def doubled(t):
        return t * 2
    assert not doubled(w).requires_grad


def test_backward_accumulates_like_torch(torch):
    x, xt = _pair(torch)
    for _ in range(2):
        (x * x * 3 - x / 2).sum().backward()
        (xt * xt * 3 - xt / 2).sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-6)
    assert isinstance(x.grad, fastnn.Tensor) and x.grad.dtype == np.float32


@pytest.mark.filterwarnings("ignore:grad and param do not obey")   # torch's, transposed
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("grad_layout", ["fresh", "transposed"])
def test_large_gradients_accumulate_on_all_threads_like_torch(torch, launched, dtype,
                                                              grad_layout):
    """Gradients of PARALLEL_MIN_SIZE elements and more add into .grad on all threads
    (fastnn/_ufunc_parallel.py); a .grad the caller set to a transposed view takes numpy's
    add: both as torch's."""
    from fastnn.kernels import elementwise
    values = np.random.default_rng(0).standard_normal((1024, 300)).astype(dtype)
    g = np.random.default_rng(1).standard_normal(values.shape).astype(dtype)
    x = fastnn.tensor(values, requires_grad=True)
    xt = torch.tensor(values, requires_grad=True)
    if grad_layout == "transposed":
        start = np.random.default_rng(2).standard_normal(values.shape[::-1]).astype(dtype)
        x.grad = fastnn.tensor(start).T
        xt.grad = torch.tensor(start).T
    for _ in range(2):
        (x * 3).backward(fastnn.tensor(g))
        (xt * 3).backward(torch.tensor(g))
    np.testing.assert_array_equal(np.asarray(x.grad), xt.grad.numpy())
    parallel = elementwise.residual_clamp in launched
    assert parallel == (grad_layout == "fresh")


def test_backward_with_gradient_and_retain_graph(torch):
    x, xt = _pair(torch)
    y, yt = x * x, xt * xt
    g = [0.5, 1.0, -1.0]
    y.backward(fastnn.tensor(g), retain_graph=True)
    y.backward(fastnn.tensor(g))
    yt.backward(torch.tensor(g), retain_graph=True)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad, xt.grad.numpy())


def test_shared_subexpressions_add_their_gradients(torch):
    x, xt = _pair(torch)
    a, at = x * 2, xt * 2
    ((a * a) + a).sum().backward()
    ((at * at) + at).sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy())


def test_autograd_grad_leaves_dot_grad_alone(torch):
    x, xt = _pair(torch)
    w, wt = _pair(torch, (0.5, 0.25, 2.0))
    (gx, gw) = fastnn.autograd.grad((x * w).sum(), (x, w))
    gxt, gwt = torch.autograd.grad((xt * wt).sum(), (xt, wt))
    np.testing.assert_allclose(gx, gxt.numpy())
    np.testing.assert_allclose(gw, gwt.numpy())
    assert x.grad is None and w.grad is None
    unused = fastnn.randn(2, requires_grad=True)
    assert fastnn.autograd.grad((x * 2).sum(), (x, unused), allow_unused=True)[1] is None
    unused_t = torch.randn(2, requires_grad=True)
    raises_like(lambda: torch.autograd.grad((xt * 2).sum(), (xt, unused_t)),
                lambda: fastnn.autograd.grad((x * 2).sum(), (x, unused)))


def test_grad_of_an_intermediate_tensor(torch):
    x, xt = _pair(torch)
    h, ht = x * 3, xt * 3
    (g,) = fastnn.autograd.grad((h * h).sum(), h)
    (gt,) = torch.autograd.grad((ht * ht).sum(), ht)
    np.testing.assert_allclose(g, gt.numpy())


def test_tensor_hooks_and_retain_grad(torch):
    x, xt = _pair(torch)
    for leaf, lib in ((x, fastnn), (xt, torch)):
        seen = []
        leaf.register_hook(lambda g, seen=seen: seen.append(g) or g * 2)
        h = leaf * 3
        h.retain_grad()
        h.register_hook(lambda g: g + 1)
        (h * h).sum().backward()
        if lib is fastnn:
            got_h, got_seen = h.grad, seen
        else:
            np.testing.assert_allclose(got_h, h.grad.numpy())
            np.testing.assert_allclose(got_seen[0], seen[0].numpy())
    np.testing.assert_allclose(x.grad, xt.grad.numpy())


def test_hook_handle_removes_the_hook():
    x = fastnn.randn(3, requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones(3, np.float32))


def test_in_place_arithmetic_is_recorded(torch):
    x, xt = _pair(torch)
    y, yt = x * 2, xt * 2
    y += x
    yt += xt
    y *= x
    yt *= xt
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy())


def test_an_in_place_write_to_a_plain_tensor_makes_it_require_grad(torch):
    x, xt = _pair(torch)
    buf, buft = fastnn.zeros(3), torch.zeros(3)
    buf += x * 2
    buft += xt * 2
    assert buf.requires_grad and buft.requires_grad
    buf.sum().backward()
    buft.sum().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy())


def test_detach_and_data_leave_the_graph():
    x = fastnn.randn(3, requires_grad=True)
    y = x * 2
    assert not y.detach().requires_grad and y.detach().grad_fn is None
    assert not x.data.requires_grad
    assert np.shares_memory(y.detach(), y)
    z = x * 3
    z.detach_()
    assert z.is_leaf and not z.requires_grad


def _scale(lib):
    """A module made of arithmetic only: the test needs no layer's backward."""
    class Scale(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.tensor([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]]))

        def forward(self, x):
            return (x.unsqueeze(1) * self.weight).sum(2)
    return Scale()


def test_module_backward_hook_sees_torch_s_gradients(torch):
    calls = {}
    for lib in (fastnn, torch):
        layer = _scale(lib)
        scale = lib.tensor([2.0, -1.0, 0.5], requires_grad=True)
        seen = []
        layer.register_full_backward_hook(
            lambda m, gi, go, seen=seen: seen.append((gi, go)))
        layer.register_full_backward_pre_hook(lambda m, go, seen=seen: seen.append(go))
        x = lib.ones(4, 3) * scale
        (layer(x) ** 2).sum().backward()
        calls[lib.__name__] = (seen, scale.grad)
    (pre, (gi, go)), (pre_t, (gi_t, go_t)) = calls["fastnn"][0], calls["torch"][0]
    np.testing.assert_allclose(pre[0], pre_t[0].numpy(), rtol=1e-5)
    np.testing.assert_allclose(go[0], go_t[0].numpy(), rtol=1e-5)
    np.testing.assert_allclose(gi[0], gi_t[0].numpy(), rtol=1e-5)
    np.testing.assert_allclose(calls["fastnn"][1], calls["torch"][1].numpy(), rtol=1e-5)


def test_module_backward_hook_without_input_gradients(torch):
    grads = {}
    for lib in (fastnn, torch):
        layer = _scale(lib)
        got = []
        layer.register_full_backward_hook(lambda m, gi, go, got=got: got.append(gi))
        with pytest.warns(UserWarning, match="no inputs require gradients"):
            layer(lib.ones(1, 3)).sum().backward()
        grads[lib.__name__] = got
    assert grads["fastnn"] == [(None,)] and grads["torch"] == [(None,)]


def test_module_zero_grad():
    layer = _scale(fastnn)
    layer(fastnn.ones(1, 3)).sum().backward()
    assert layer.weight.grad is not None
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad is not None and not np.any(layer.weight.grad)
    layer.zero_grad()
    assert layer.weight.grad is None


def test_factories_take_requires_grad():
    for t in (fastnn.zeros(2, requires_grad=True), fastnn.ones(2, requires_grad=True),
              fastnn.tensor([1.0], requires_grad=True), fastnn.randn(2, requires_grad=True),
              fastnn.full((2,), 3.0, requires_grad=True),
              fastnn.zeros_like(fastnn.ones(2), requires_grad=True)):
        assert t.requires_grad and t.is_leaf
    assert not fastnn.zeros(2).requires_grad


# ------------------------------------------------------------------ errors

def test_backward_twice_without_retain_graph(torch):
    x, xt = _pair(torch)
    y, yt = (x * x).sum(), (xt * xt).sum()
    y.backward()
    yt.backward()
    raises_like(yt.backward, y.backward)


def test_backward_of_a_non_scalar_needs_a_gradient(torch):
    x, xt = _pair(torch)
    raises_like((xt * 2).backward, (x * 2).backward)


def test_backward_of_a_tensor_without_grad(torch):
    raises_like(torch.ones(2).sum().backward, fastnn.ones(2).sum().backward)


def test_gradient_shape_must_match(torch):
    x, xt = _pair(torch)
    raises_like(lambda: (xt * 2).backward(torch.ones(2)),
                lambda: (x * 2).backward(fastnn.ones(2)))


def test_in_place_write_to_a_leaf_that_requires_grad(torch):
    x, xt = _pair(torch)
    raises_like(lambda: xt.add_(1) if False else xt.__iadd__(1), lambda: x.__iadd__(1))
    raises_like(lambda: xt.fill_(1), lambda: x.fill_(1))
    with fastnn.no_grad():
        x += 1                      # allowed outside grad mode (an optimizer's update)
    np.testing.assert_allclose(x.detach(), [2.0, -1.0, 4.0])


def test_version_counter_catches_a_changed_saved_tensor(torch):
    x, xt = _pair(torch)
    a, at = x * 1, xt * 1
    b, bt = a * a, at * at          # saves a
    a.mul_(2) if hasattr(a, "mul_") else a.__imul__(2)
    at.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        bt.sum().backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_requires_grad_errors(torch):
    raises_like(lambda: torch.tensor([1, 2]).requires_grad_(),
                lambda: fastnn.tensor([1, 2]).requires_grad_())
    x, xt = _pair(torch)
    y, yt = x * 2, xt * 2

    def unset(t):
        t.requires_grad = False
    raises_like(lambda: unset(yt), lambda: unset(y))
    raises_like(lambda: torch.ones(2).register_hook(lambda g: g),
                lambda: fastnn.ones(2).register_hook(lambda g: g))
    raises_like(xt.numpy, x.numpy)


def test_create_graph_is_refused():
    x = fastnn.randn(3, requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph"):
        (x * x).sum().backward(create_graph=True)


def test_in_place_write_into_a_recorded_view_rebases_the_base():
    x = fastnn.randn(4, requires_grad=True)
    y = x * 1
    view = y.view(2, 2)
    view *= 3                       # torch's CopySlices: y's history goes through the write
    (y * 1).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(4, 3, np.float32))
    x.grad = None
    copy = (x * 1).view(2, 2).clone()
    copy += 1                       # a copy is not a view: recorded as usual
    copy.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones(4, np.float32))


def test_bad_arguments_of_backward_and_grad(torch):
    x, xt = _pair(torch)
    raises_like(lambda: (xt * 2).sum().backward(inputs=[]),
                lambda: (x * 2).sum().backward(inputs=[]))
    raises_like(lambda: torch.autograd.grad((xt * 2).sum(), xt, materialize_grads=True,
                                            allow_unused=False),
                lambda: fastnn.autograd.grad((x * 2).sum(), x, materialize_grads=True,
                                             allow_unused=False))
    raises_like(lambda: torch.autograd.backward([xt * 2, xt * 3], [torch.ones(3)]),
                lambda: fastnn.autograd.backward([x * 2, x * 3], [fastnn.ones(3)]))


def _view_then_write_base(m, x):
    y = x * 1
    v = y[0]
    y *= 2                          # the view's history is renewed: it sees y's new one
    return v


def _view_then_write_plain_base(m, x):
    y = m.zeros(3)
    v = y[:2]
    y.add_(x)                       # y and its view now require grad
    return v


def _view_then_write_sibling_view(m, x):
    y = x * 1
    a, b = y[0:2], y[1:3]
    a.mul_(3)                       # writes y's memory that b views
    return b


def _view_then_write_base_without_grad(m, x):
    y = x * 1
    v = y[0]
    with m.no_grad():
        y.mul_(5)
    return v


def _view_of_view_then_write_base(m, x):
    y = (x * 1).reshape(1, 3)
    v = y[0][1:]
    y.sub_(x.reshape(1, 3) * 4)
    return v


@pytest.mark.parametrize("scenario", [
    _view_then_write_base, _view_then_write_plain_base, _view_then_write_sibling_view,
    _view_then_write_base_without_grad, _view_of_view_then_write_base])
def test_a_view_taken_before_an_in_place_write_sees_the_write(scenario, torch):
    grads, kinds = [], []
    for m in (fastnn, torch):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        v = scenario(m, x)
        kinds.append((v.requires_grad, v.is_leaf, type(v.grad_fn).__name__
                      if m is torch else v.grad_fn.name()))
        (v * m.tensor(2.0)).sum().backward()
        grads.append(x.grad.numpy())
    assert kinds[0] == kinds[1]
    np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("view", [lambda x: x[0], lambda x: x[:, 1:3],
                                  lambda x: x.t()[2:], lambda x: x[1:, ::2]])
def test_views_of_a_leaf_in_any_layout_see_a_write_made_without_grad(view, torch):
    # the leaf views column-major memory (from_numpy): the view's place in it is read
    # from strides that are not those of a C-contiguous array
    memory = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    grads = []
    for m in (fastnn, torch):
        x = m.from_numpy(memory.copy(order="F")).requires_grad_()
        v = view(x)
        with m.no_grad():
            x.mul_(3)
        weights = m.from_numpy(np.arange(1.0, v.numel() + 1).reshape(tuple(v.shape)))
        (v * weights).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    assert grads[0].any()


def test_version_counts_in_place_writes_of_the_memory(torch):
    counts = []
    for m in (fastnn, torch):
        x = m.ones(3, requires_grad=True)
        y = x * 1
        v = y[1:]
        y.add_(1)
        v.mul_(2)
        counts.append((x._version, y._version, v._version, (y * 1)._version))
    assert counts[0] == counts[1]


def test_grad_returns_what_backward_computed_sharing_memory_as_torch(torch):
    shared = []
    for m in (fastnn, torch):
        a = m.ones(3, requires_grad=True)
        b = m.ones(3, requires_grad=True)
        g = m.ones(3)
        ga, gb = m.autograd.grad(a + b, [a, b], g)
        (gm,) = m.autograd.grad(a * 2, [a], g)
        shared.append((np.shares_memory(ga.numpy(), g.numpy()),
                       np.shares_memory(gb.numpy(), g.numpy()),
                       np.shares_memory(gm.numpy(), g.numpy())))
    assert shared[0] == shared[1] == [(True, True, False)][0]


def _fresh(kept, shape=(2, 3), view=False):
    """A gradient that only the caller will hold (a weak reference to it in `kept`)."""
    grad = np.arange(6, dtype=np.float32).reshape(shape) if view else np.ones(shape,
                                                                              np.float32)
    kept.append(weakref.ref(grad.base if view else grad))
    return grad


@pytest.mark.parametrize("view", [False, True])
def test_a_gradient_no_one_else_holds_becomes_grad_uncopied(view):
    """As torch's AccumulateGrad: a fresh gradient (or a view of one that nothing else
    views) is taken as it is; one the caller still holds, or whose memory another view
    reaches, is copied; as is every gradient of a tensor with hooks (which may keep it)."""
    kept = []
    leaf = fastnn.zeros(2, 3, requires_grad=True)
    _engine._accumulate(leaf, _fresh(kept, view=view))
    assert np.shares_memory(leaf.grad, kept[0]())
    held = _fresh(kept, view=view)
    other = fastnn.zeros(2, 3, requires_grad=True)
    _engine._accumulate(other, held)
    assert not np.shares_memory(other.grad, held)
    base = np.zeros(12, np.float32)
    third = fastnn.zeros(2, 3, requires_grad=True)
    _engine._accumulate(third, base[:6].reshape(2, 3))
    assert not np.shares_memory(third.grad, base)
    hooked = fastnn.zeros(2, 3, requires_grad=True)
    hooked.register_hook(lambda g: None)
    _engine._accumulate(hooked, _fresh(kept, view=view))
    assert kept[-1]() is None       # copied, then freed


def test_one_gradient_sent_to_two_leaves_is_not_shared(torch):
    """add's backward hands the same gradient to both inputs: at most one takes it, and
    accumulating into one later leaves the other as torch's."""
    a, at = _pair(torch)
    b, bt = _pair(torch, (4.0, 5.0, -6.0))
    (a + b).sum().backward()
    (at + bt).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    (a * 3).sum().backward()
    (at * 3).sum().backward()
    np.testing.assert_array_equal(a.grad, at.grad.numpy())
    np.testing.assert_array_equal(b.grad, bt.grad.numpy())


def test_a_gradient_in_another_object_s_memory_is_copied():
    """A gradient viewing memory numpy does not own (a bytearray's) is never taken: the
    buffer's owner may change it."""
    buffer = bytearray(24)
    leaf = fastnn.zeros(2, 3, requires_grad=True)
    _engine._accumulate(leaf, np.frombuffer(buffer, np.float32).reshape(2, 3))
    assert not np.shares_memory(leaf.grad, np.frombuffer(buffer, np.float32))
