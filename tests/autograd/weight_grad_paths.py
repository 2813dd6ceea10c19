"""What the tests of the weight gradient's paths share (test_conv_weight_grad_*.py):
forcing a path, the gradient through autograd against torch's, a case as the paths' 5-D
arguments, a path's result beside the im2col path's, and the comparison of two paths'
results where inputs hold inf or NaN."""
import numpy as np

import fastnn
import fastnn.nn.functional as F
from fastnn.nn.functional import _conv_grad

TOL = {np.float32: 1e-4, np.float64: 1e-10}


def forced(monkeypatch, path, rule, declined=()):
    """Make `_conv_grad`'s `rule` pick `path` (and the rules named in `declined` decline,
    and the direct kernel's, which would take the small cases from every tiled path): the
    list returned gets, for each call of the path, whether it ran (False: it returned
    False, declining, as the shifted path does on NaN and inf)."""
    ran = []
    run = getattr(_conv_grad, path)

    def spy(*args):
        result = run(*args)
        ran.append(result is not False)
        return result
    monkeypatch.setattr(_conv_grad, rule, lambda *args: True)
    for name in ("_direct_pays",) + tuple(declined):
        monkeypatch.setattr(_conv_grad, name, lambda *args: False)
    monkeypatch.setattr(_conv_grad, path, spy)
    return ran


def assert_matches_torch(torch, case, seed, ran):
    """The weight gradient of `case` (nd, x shape, w shape, keywords, dtype) on seeded
    data, through fastnn's autograd (which must run the forced path once: `ran`) and
    torch's, within TOL of the gradient's scale."""
    nd, x_shape, w_shape, keywords, dtype = case
    rng = np.random.default_rng(seed + 100)
    x, w = (rng.standard_normal(s).astype(dtype) for s in (x_shape, w_shape))
    out_shape = F.__dict__[f"conv{nd}d"](x, w, **keywords).shape
    g = rng.standard_normal(out_shape).astype(dtype)
    ours = weight_grad(fastnn, nd, x, w, g, keywords)
    assert ran == [True]
    theirs = weight_grad(torch, nd, x, w, g, keywords)
    scale = np.abs(theirs).max()
    np.testing.assert_allclose(ours, theirs, rtol=TOL[dtype], atol=TOL[dtype] * scale)


def weight_grad(lib, nd, x, w, g, keywords):
    """The weight gradient of conv{nd}d(x, w, **keywords) for the output gradient g,
    through autograd on `lib` (fastnn or torch)."""
    if lib is fastnn:
        xt, wt = fastnn.tensor(x), fastnn.tensor(w, requires_grad=True)
        F.__dict__[f"conv{nd}d"](xt, wt, **keywords).backward(fastnn.tensor(g))
        return wt.grad.numpy()
    xt, wt = lib.from_numpy(x), lib.from_numpy(w).requires_grad_()
    getattr(lib.nn.functional, f"conv{nd}d")(xt, wt, **keywords).backward(lib.from_numpy(g))
    return wt.grad.numpy()


def five(nd, x_shape, w_shape, keywords):
    """(x, g, weight shape, stride, padding, dilation) of a case, 5-D, float64 and seeded,
    as `_conv_grad`'s paths take them ('same' padding as the padding before; stride 1
    where the keywords give none)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(x_shape)
    g = rng.standard_normal(F.__dict__[f"conv{nd}d"](x, rng.standard_normal(w_shape),
                                                     **keywords).shape)
    lead = (1,) * (3 - nd)
    x5, g5 = (a.reshape(a.shape[:2] + lead + a.shape[2:]) for a in (x, g))
    if keywords.get("padding") == "same":       # as autograd derives it: the padding before
        keywords = dict(keywords, padding=[d * (k - 1) // 2 for d, k in
                                           zip(keywords["dilation"], w_shape[2:])])
    stride, padding, dilation = ((one,) * (3 - nd) + tuple(keywords.get(name, (one,) * nd))
                                 for name, one in (("stride", 1), ("padding", 0),
                                                   ("dilation", 1)))
    return x5, g5, w_shape[:2] + lead + w_shape[2:], stride, padding, dilation


def against_gemm(path, case):
    """(the result of `path`, that of the im2col path `_weight_grad_gemm`) on `case` (as
    `five` gives it); `path(x, g, out, stride, padding, dilation)` writes into out."""
    x, g, w_shape, stride, padding, dilation = case
    ours, gemm = np.empty(w_shape), np.empty(w_shape)
    path(x, g, ours, stride, padding, dilation)
    _conv_grad._weight_grad_gemm(x, g, gemm, stride, padding, dilation, 1)
    return ours, gemm


def nonfinite_case(where, value):
    """A 2-D strided, padded case (5-D, as `five`) with one `value` (inf or NaN) in the
    input or the output gradient."""
    case = five(2, (2, 16, 9, 11), (20, 16, 3, 3),
                dict(stride=(2, 1), padding=(1, 2), dilation=(1, 1)))
    (case[0] if where == "input" else case[1])[1, 2, 0, 0, 3] = value
    return case


def assert_same_nonfinite(ours, reference):
    """The same elements NaN and +inf, the finite ones close: a sum holding inf or NaN
    comes out the same in any order, so two paths multiplying the same taps agree."""
    assert not np.isfinite(reference).all()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference))
    np.testing.assert_array_equal(np.isposinf(ours), np.isposinf(reference))
    finite = np.isfinite(reference)
    np.testing.assert_allclose(ours[finite], reference[finite], rtol=1e-12, atol=1e-9)
