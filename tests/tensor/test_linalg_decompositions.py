"""torch.linalg's decompositions (det, slogdet, inv, solve, cholesky, qr, eigh, eigvalsh,
svd, svdvals, pinv, matrix_rank, matrix_norm of order +-2) and the classic top-level and
Tensor names (det, logdet, slogdet, inverse, cholesky, qr, svd, pinverse) against torch:
values (sign-insensitive where a decomposition is unique up to signs), dtypes, named
tuples, every argument, torch's errors, and gradients of gauge-invariant losses."""
import re
import warnings
import zlib

import numpy as np
import pytest

import fastnn

SHAPES = [(3, 3), (1, 1), (2, 4, 4), (2, 1, 3, 3), (0, 3, 3)]
RECT = [(3, 3), (4, 2), (2, 5), (2, 3, 4), (2, 5, 3), (0, 2, 3)]
TOL = {np.float32: dict(rtol=1e-3, atol=1e-4), np.float64: dict(rtol=1e-9, atol=1e-10)}
DTYPES = [np.float32, np.float64]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # torch.cholesky/qr deprecations
        yield


def _rng(*key):
    # crc32 of the key's text, not hash(): str hashes differ from one process to the next
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def general(rng, shape, dtype):
    """Well-conditioned: a random matrix plus a multiple of the identity."""
    a = rng.standard_normal(shape)
    n = shape[-1]
    if shape[-1] == shape[-2]:
        a = a + 3 * np.eye(n)
    return a.astype(dtype)


def spd(rng, shape, dtype):
    a = rng.standard_normal(shape)
    return (a @ a.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def symmetric(rng, shape, dtype):
    a = rng.standard_normal(shape)
    return (a + a.swapaxes(-1, -2)).astype(dtype)


def close(ours, theirs, dtype):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, **TOL[dtype])


def pair(torch, a, requires_grad=False):
    return (fastnn.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def _recon(u, s, vh):
    return (u[..., :, :s.shape[-1]] * s[..., None, :]) @ vh[..., :s.shape[-1], :]


# ------------------------------------------------------------------ forward values

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_det_slogdet_logdet_inv(torch, shape, dtype):
    rng = _rng("det", shape, dtype)
    for a in (general(rng, shape, dtype), spd(rng, shape, dtype)):
        f, t = pair(torch, a)
        close(fastnn.linalg.det(f), torch.linalg.det(t), dtype)
        close(fastnn.det(f), torch.det(t), dtype)
        close(f.det(), t.det(), dtype)
        for ours, theirs in ((fastnn.linalg.slogdet(f), torch.linalg.slogdet(t)),
                             (fastnn.slogdet(f), torch.slogdet(t)), (f.slogdet(), t.slogdet())):
            close(ours.sign, theirs.sign, dtype)
            close(ours.logabsdet, theirs.logabsdet, dtype)
        close(fastnn.logdet(f), torch.logdet(t), dtype)
        close(f.logdet(), t.logdet(), dtype)
        close(fastnn.linalg.inv(f), torch.linalg.inv(t), dtype)
        close(fastnn.inverse(f), torch.inverse(t), dtype)
        close(f.inverse(), t.inverse(), dtype)


def test_logdet_and_slogdet_of_negative_and_singular_matrices(torch):
    for a in (-np.eye(3), np.zeros((2, 2)), np.array([[1.0, 2.0], [2.0, 4.0]])):
        f, t = pair(torch, a)
        np.testing.assert_array_equal(fastnn.logdet(f).numpy(), torch.logdet(t).numpy())
        ours, theirs = fastnn.linalg.slogdet(f), torch.linalg.slogdet(t)
        np.testing.assert_array_equal(ours.sign.numpy(), theirs.sign.numpy())
        np.testing.assert_array_equal(ours.logabsdet.numpy(), theirs.logabsdet.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3, 2)), ((3, 3), (3,)),
                                             ((2, 3, 3), (2, 3)), ((2, 3, 3), (3, 4)),
                                             ((3, 3), (4, 1, 3, 5)), ((1, 4, 4), (2, 4, 1)),
                                             ((0, 2, 2), (0, 2, 1))])
@pytest.mark.parametrize("left", [True, False])
def test_solve(torch, a_shape, b_shape, dtype, left):
    rng = _rng("solve", a_shape, b_shape, dtype, left)
    a = general(rng, a_shape, dtype)
    if not left and len(b_shape) > 1:
        b_shape = b_shape[:-2] + b_shape[-2:][::-1]
    b = rng.standard_normal(b_shape).astype(dtype)
    call = lambda lib, x, y: lib.linalg.solve(x, y, left=left)     # noqa: E731
    fa, ta = pair(torch, a)
    fb, tb = pair(torch, b)
    try:
        expected = call(torch, ta, tb)
    except RuntimeError as error:
        with pytest.raises(RuntimeError, match=re.escape(str(error))):
            call(fastnn, fa, fb)
        return
    close(call(fastnn, fa, fb), expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_cholesky(torch, shape, dtype):
    a = spd(_rng("chol", shape, dtype), shape, dtype)
    # a non-symmetric input shows which triangle each form reads
    a = a + np.triu(np.full(shape[-2:], 0.25), 1).astype(dtype)
    f, t = pair(torch, a)
    for upper in (False, True):
        close(fastnn.linalg.cholesky(f, upper=upper), torch.linalg.cholesky(t, upper=upper),
              dtype)
        close(fastnn.cholesky(f, upper), torch.cholesky(t, upper), dtype)
        close(f.cholesky(upper=upper), t.cholesky(upper=upper), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", RECT)
def test_qr(torch, shape, dtype):
    a = general(_rng("qr", shape, dtype), shape, dtype)
    f, t = pair(torch, a)
    for mode in ("reduced", "complete", "r"):
        ours, theirs = fastnn.linalg.qr(f, mode), torch.linalg.qr(t, mode)
        assert tuple(ours.Q.shape) == tuple(theirs.Q.shape)
        assert ours.Q.dtype == theirs.Q.numpy().dtype
        # LAPACK's geqrf on both sides: the same signs
        close(np.abs(ours.R.numpy()), np.abs(theirs.R.numpy()), dtype)
        if mode != "r":
            close(ours.Q.numpy() @ ours.R.numpy(), (theirs.Q @ theirs.R).numpy(), dtype)
            close(np.abs(ours.Q.numpy()), np.abs(theirs.Q.numpy()), dtype)
    for some in (True, False):
        ours, theirs = fastnn.qr(f, some), torch.qr(t, some)
        assert type(ours).__name__ == "qr" and ours._fields == ("Q", "R")
        close(ours.Q.numpy() @ ours.R.numpy(), (theirs.Q @ theirs.R).numpy(), dtype)
        close(np.abs(f.qr(some).R.numpy()), np.abs(t.qr(some).R.numpy()), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_eigh_and_eigvalsh(torch, shape, dtype):
    a = symmetric(_rng("eigh", shape, dtype), shape, dtype)
    a = a + np.tril(np.full(shape[-2:], 0.5), -1).astype(dtype)   # the triangles differ
    f, t = pair(torch, a)
    for uplo in ("L", "U"):
        ours, theirs = fastnn.linalg.eigh(f, uplo), torch.linalg.eigh(t, UPLO=uplo)
        assert ours._fields == ("eigenvalues", "eigenvectors")
        close(ours.eigenvalues, theirs.eigenvalues, dtype)
        close(np.abs(ours.eigenvectors.numpy()), np.abs(theirs.eigenvectors.numpy()), dtype)
        close(fastnn.linalg.eigvalsh(f, UPLO=uplo), torch.linalg.eigvalsh(t, UPLO=uplo), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", RECT)
def test_svd_svdvals(torch, shape, dtype):
    a = general(_rng("svd", shape, dtype), shape, dtype)
    f, t = pair(torch, a)
    for full in (True, False):
        ours, theirs = fastnn.linalg.svd(f, full_matrices=full), torch.linalg.svd(t, full)
        assert ours._fields == ("U", "S", "Vh")
        for o, th in zip(ours, theirs):
            assert tuple(o.shape) == tuple(th.shape)
        close(ours.S, theirs.S, dtype)
        close(_recon(*(x.numpy() for x in ours)), t.numpy(), dtype)
        close(np.abs(ours.U.numpy()[..., :min(shape[-2:])]),
              np.abs(theirs.U.numpy()[..., :min(shape[-2:])]), dtype)
    close(fastnn.linalg.svdvals(f), torch.linalg.svdvals(t), dtype)
    for some in (True, False):
        for compute_uv in (True, False):
            for ours, theirs in ((fastnn.svd(f, some, compute_uv), torch.svd(t, some, compute_uv)),
                                 (f.svd(some=some, compute_uv=compute_uv),
                                  t.svd(some=some, compute_uv=compute_uv))):
                assert ours._fields == ("U", "S", "V")
                for o, th in zip(ours, theirs):
                    assert tuple(o.shape) == tuple(th.shape)
                close(ours.S, theirs.S, dtype)
                if compute_uv:
                    close(_recon(ours.U.numpy(), ours.S.numpy(), ours.V.numpy().swapaxes(-1, -2)),
                          a, dtype)
                else:
                    assert not ours.U.numpy().any() and not ours.V.numpy().any()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", RECT + [(3, 3, 3)])
def test_pinv_pinverse_matrix_rank(torch, shape, dtype):
    rng = _rng("pinv", shape, dtype)
    a = rng.standard_normal(shape).astype(dtype)
    # a rank-deficient batch too: its last column repeats the first
    low = a.copy()
    low[..., -1] = low[..., 0]
    for x in (a, low):
        f, t = pair(torch, x)
        if x is a:      # the default tolerances: full rank (a rounded zero is no zero)
            close(fastnn.linalg.pinv(f), torch.linalg.pinv(t), dtype)
            close(fastnn.pinverse(f), torch.pinverse(t), dtype)
            np.testing.assert_array_equal(fastnn.linalg.matrix_rank(f).numpy(),
                                          torch.linalg.matrix_rank(t).numpy())
        close(f.pinverse(rcond=0.1), t.pinverse(rcond=0.1), dtype)
        close(fastnn.linalg.pinv(f, atol=0.5), torch.linalg.pinv(t, atol=0.5), dtype)
        close(fastnn.linalg.pinv(f, rtol=0.3), torch.linalg.pinv(t, rtol=0.3), dtype)
        np.testing.assert_array_equal(fastnn.linalg.matrix_rank(f, rtol=1e-3).numpy(),
                                      torch.linalg.matrix_rank(t, rtol=1e-3).numpy())
        np.testing.assert_array_equal(fastnn.linalg.matrix_rank(f, atol=1.0, rtol=0.0).numpy(),
                                      torch.linalg.matrix_rank(t, atol=1.0, rtol=0.0).numpy())
        if shape[-1] == shape[-2]:
            # symmetric, eigenvalues of both signs well away from pinv's cut-off, one of
            # them exactly zero for the rank-deficient batch (x x^T - 1 came out near
            # singular in float32: its pinv hung on LAPACK's rounding, a flaky test)
            n = shape[-1]
            spectrum = np.array([(-1.0) ** i * (1.0 + i / 2) for i in range(n)])
            if x is low:
                spectrum[-1] = 0.0
            q = np.linalg.qr(a.astype(np.float64))[0]
            s = (q * spectrum) @ q.swapaxes(-1, -2)
            fs, ts = pair(torch, s.astype(dtype))
            close(fastnn.linalg.pinv(fs, hermitian=True), torch.linalg.pinv(ts, hermitian=True),
                  dtype)
            np.testing.assert_array_equal(
                fastnn.linalg.matrix_rank(fs, hermitian=True, rtol=1e-3).numpy(),
                torch.linalg.matrix_rank(ts, hermitian=True, rtol=1e-3).numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_spectral_matrix_norms(torch, dtype):
    a = _rng("norm", dtype).standard_normal((2, 3, 4)).astype(dtype)
    f, t = pair(torch, a)
    for ord in (2, -2):
        for dim in ((-2, -1), (0, 2), (2, 1)):
            for keepdim in (False, True):
                close(fastnn.linalg.matrix_norm(f, ord, dim, keepdim),
                      torch.linalg.matrix_norm(t, ord, dim, keepdim), dtype)
        close(fastnn.linalg.norm(f[0], ord), torch.linalg.norm(t[0], ord), dtype)
        close(fastnn.linalg.norm(f, ord, (0, 1)), torch.linalg.norm(t, ord, (0, 1)), dtype)
    close(fastnn.linalg.matrix_norm(f, 2, dtype=fastnn.float64),
          torch.linalg.matrix_norm(t, 2, dtype=torch.float64), np.float64)


# ------------------------------------------------------------------ errors

def _ints(lib):
    return lib.ones(3, 3, dtype=lib.int64)


def _not_pd(lib):
    a = lib.eye(3)
    a[1, 1] = -1.0
    return a


def _singular(lib):
    return lib.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])


ERRORS = [
    lambda lib: lib.linalg.det(lib.ones(3, 4)),
    lambda lib: lib.linalg.det(lib.ones(3)),
    lambda lib: lib.linalg.det(_ints(lib)),
    lambda lib: lib.linalg.det(lib.ones(3, 3, dtype=lib.float16)),
    lambda lib: lib.det(lib.ones(2, 3, 4)),
    lambda lib: lib.ones(4).det(),
    lambda lib: lib.linalg.slogdet(lib.ones(3, 4)),
    lambda lib: lib.linalg.slogdet(_ints(lib)),
    lambda lib: lib.slogdet(lib.ones(2)),
    lambda lib: lib.logdet(lib.ones(3, 4)),
    lambda lib: lib.logdet(_ints(lib)),
    lambda lib: lib.ones(3).logdet(),
    lambda lib: lib.linalg.inv(lib.ones(3, 4)),
    lambda lib: lib.linalg.inv(lib.ones(3)),
    lambda lib: lib.linalg.inv(_ints(lib)),
    lambda lib: lib.linalg.inv(lib.ones(3, 3, dtype=lib.float16)),
    lambda lib: lib.linalg.inv(lib.zeros(3, 3)),
    lambda lib: lib.linalg.inv(_singular(lib)),
    lambda lib: lib.linalg.inv(lib.stack([lib.eye(3), lib.zeros(3, 3)])),
    lambda lib: lib.inverse(lib.zeros(2, 2, 2)),
    lambda lib: lib.zeros(3, 3).inverse(),
    lambda lib: lib.linalg.solve(lib.zeros(3, 3), lib.ones(3, 2)),
    lambda lib: lib.linalg.solve(lib.stack([lib.eye(3), _singular(lib)]), lib.ones(2, 3)),
    lambda lib: lib.linalg.solve(lib.ones(3, 4), lib.ones(3, 2)),
    lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(4, 2)),
    lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(4, 2), left=False),
    lambda lib: lib.linalg.solve(lib.eye(3, dtype=lib.float64).expand(2, 3, 3),
                                 lib.ones(3, dtype=lib.float64), left=False),
    lambda lib: lib.linalg.solve(_ints(lib), _ints(lib)),
    lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.linalg.solve(lib.ones(3), lib.ones(3)),
    lambda lib: lib.linalg.solve(lib.eye(3).expand(2, 3, 3), lib.ones(4, 3, 1)),
    lambda lib: lib.linalg.solve(lib.eye(3), lib.ones(3), left=1),
    lambda lib: lib.linalg.cholesky(_not_pd(lib)),
    lambda lib: lib.linalg.cholesky(lib.stack([lib.eye(3), _not_pd(lib)])),
    lambda lib: lib.linalg.cholesky(-lib.eye(2)),
    lambda lib: lib.linalg.cholesky(lib.ones(3, 4)),
    lambda lib: lib.linalg.cholesky(lib.ones(3)),
    lambda lib: lib.linalg.cholesky(_ints(lib)),
    lambda lib: lib.linalg.cholesky(lib.eye(3), upper=1),
    lambda lib: lib.cholesky(_not_pd(lib)),
    lambda lib: lib.cholesky(_ints(lib)),
    lambda lib: lib.cholesky(lib.ones(3, 4)),
    lambda lib: _not_pd(lib).cholesky(upper=True),
    lambda lib: lib.linalg.qr(lib.ones(3, 3), mode="x"),
    lambda lib: lib.linalg.qr(lib.ones(3, 3), mode=3),
    lambda lib: lib.linalg.qr(lib.ones(3)),
    lambda lib: lib.linalg.qr(_ints(lib)),
    lambda lib: lib.qr(lib.ones(3)),
    lambda lib: lib.linalg.eigh(lib.eye(3), UPLO="X"),
    lambda lib: lib.linalg.eigvalsh(lib.eye(3), UPLO="X"),
    lambda lib: lib.linalg.eigh(lib.ones(3, 4)),
    lambda lib: lib.linalg.eigh(lib.ones(3)),
    lambda lib: lib.linalg.eigh(_ints(lib)),
    lambda lib: lib.linalg.eigvalsh(lib.ones(2, 3)),
    lambda lib: lib.linalg.svd(lib.ones(3)),
    lambda lib: lib.linalg.svd(_ints(lib)),
    lambda lib: lib.linalg.svd(lib.ones(3, 3), full_matrices=1),
    lambda lib: lib.linalg.svdvals(lib.ones(3)),
    lambda lib: lib.svd(lib.ones(3)),
    lambda lib: lib.svd(_ints(lib)),
    lambda lib: lib.linalg.pinv(_ints(lib)),
    lambda lib: lib.linalg.pinv(lib.ones(3)),
    lambda lib: lib.pinverse(lib.ones(3)),
    lambda lib: lib.linalg.matrix_rank(lib.ones(3)),
    lambda lib: lib.linalg.matrix_rank(_ints(lib)),
    lambda lib: lib.linalg.svd(lib.full((2, 3, 3), float("nan"))),
    lambda lib: lib.linalg.eigh(lib.full((2, 3, 3), float("nan"))),
    lambda lib: lib.linalg.cholesky(lib.full((3, 3), float("nan"))),
    lambda lib: lib.linalg.cholesky(lib.stack([lib.eye(2), lib.tensor([[1.0, 0.0],
                                                                       [0.0, float("nan")]])])),
]


def _torch_error(torch, call):
    try:
        call(torch)
    except Exception as error:      # noqa: BLE001 (whatever torch raises is the oracle)
        return error
    raise AssertionError("torch raised nothing")


@pytest.mark.parametrize("call", ERRORS, ids=range(len(ERRORS)))
def test_errors_are_torchs(torch, call):
    expected = _torch_error(torch, call)
    kind = RuntimeError if isinstance(expected, torch.linalg.LinAlgError) else type(expected)
    with pytest.raises(kind) as raised:
        call(fastnn)
    assert str(raised.value) == str(expected).split("\n")[0]
    if isinstance(expected, torch.linalg.LinAlgError):
        assert isinstance(raised.value, fastnn.linalg.LinAlgError)


# ------------------------------------------------------------------ gradients

def _grads(torch, make, loss, dtype, count=1):
    """The gradients of `loss(lib, *tensors)` with respect to each input (`make` draws the
    arrays), fastnn's against torch's."""
    arrays = make()
    ours = [fastnn.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    loss(fastnn, *ours).backward()
    loss(torch, *theirs).backward()
    for o, t in zip(ours, theirs):
        close(o.grad.numpy(), t.grad, dtype)


def _symmetric_loss(fn):
    """A loss of a symmetric input read through its symmetrised form, as torch's gradient
    checks do for eigh and cholesky."""
    return lambda lib, a: fn(lib, (a + a.mT) / 2)


GRAD_CASES = {
    "det": (general, lambda lib, a: (lib.linalg.det(a) * lib.arange(a.numel() // (
        a.shape[-1] ** 2) or 1).reshape(a.shape[:-2]).to(a.dtype)).sum()),
    "det_top": (general, lambda lib, a: lib.det(a).sum() + a.det().pow(2).sum()),
    "slogdet": (general, lambda lib, a: lib.linalg.slogdet(a).logabsdet.sum()),
    "slogdet_top": (general, lambda lib, a: (lib.slogdet(a)[1] * 2).sum()),
    "logdet": (spd, lambda lib, a: lib.logdet(a).sum() + a.logdet().sum()),
    "inv": (general, lambda lib, a: (lib.linalg.inv(a) * a).sum() + lib.inverse(a).sum()),
    "cholesky": (spd, _symmetric_loss(
        lambda lib, a: (lib.linalg.cholesky(a) * lib.arange(a.shape[-1]).to(a.dtype)).sum())),
    "cholesky_upper": (spd, _symmetric_loss(
        lambda lib, a: lib.cholesky(a, True).pow(2).sum() + lib.linalg.cholesky(
            a, upper=True).sum())),
    "eigh": (symmetric, _symmetric_loss(
        lambda lib, a: (lib.linalg.eigh(a).eigenvalues * lib.arange(a.shape[-1]).to(a.dtype))
        .sum() + lib.linalg.eigh(a).eigenvectors.pow(2)[..., 0, :].sum()
        + (lib.linalg.eigh(a, "U").eigenvectors[..., :1, :].abs()).sum())),
    "eigvalsh": (symmetric, _symmetric_loss(lambda lib, a: lib.linalg.eigvalsh(a).pow(3).sum())),
    "svdvals": (general, lambda lib, a: lib.linalg.svdvals(a).pow(2).sum()
                + lib.linalg.svdvals(a)[..., 0].sum()),
    "svd_products": (general, lambda lib, a: sum(
        ((u[..., :, :s.shape[-1]] * s.unsqueeze(-2)) @ vh[..., :s.shape[-1], :]).pow(2).sum()
        + (u[..., :, :s.shape[-1]].abs()).sum()
        + vh[..., :s.shape[-1], :].abs().sum()
        for u, s, vh in [lib.linalg.svd(a, full_matrices=False), lib.linalg.svd(a)])),
    "svd_top": (general, lambda lib, a: lib.svd(a).V.abs().sum() + lib.svd(a).U.abs().sum()
                + a.svd(some=False)[1].sum()),
    "qr": (general, lambda lib, a: lib.linalg.qr(a).Q.pow(2).mul(lib.arange(
        a.shape[-1]).to(a.dtype)).sum() + lib.linalg.qr(a).R.abs().sum() + lib.qr(a)[1].sum()),
    "pinv": (general, lambda lib, a: (lib.linalg.pinv(a) * lib.linalg.pinv(a)).sum()
             + lib.pinverse(a).sum()),
    "spectral_norm": (general, lambda lib, a: lib.linalg.matrix_norm(a, 2).sum()
                      + lib.linalg.matrix_norm(a, -2).sum()),
}


def _maker(kind, shape, dtype, name):
    rng = _rng("grad", name, shape, dtype)

    def make():
        if kind is general and shape[-1] != shape[-2]:
            a = rng.standard_normal(shape)
            # well-separated singular values
            u, _, vh = np.linalg.svd(a, full_matrices=False)
            s = np.linspace(3.0, 1.0, min(shape[-2:]))
            return [((u * s) @ vh).astype(dtype)]
        if kind is symmetric:
            a = rng.standard_normal(shape)
            q = np.linalg.qr(a)[0]
            values = np.linspace(-2.0, 3.0, shape[-1])
            return [((q * values) @ q.swapaxes(-1, -2)).astype(dtype)]
        return [kind(rng, shape, dtype)]
    return make


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_match_torch(torch, name, dtype):
    kind, loss = GRAD_CASES[name]
    shapes = [(3, 3), (2, 4, 4)]
    if name in ("svdvals", "svd_products", "svd_top", "pinv", "spectral_norm"):
        shapes += [(4, 2), (2, 2, 5)]
    if name == "qr":
        shapes += [(5, 3), (2, 4, 2)]
    for shape in shapes:
        _grads(torch, _maker(kind, shape, dtype, name), loss, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("a_shape,b_shape,left", [
    ((3, 3), (3, 2), True), ((3, 3), (3,), True), ((2, 3, 3), (3, 4), True),
    ((3, 3), (2, 3, 1), True), ((2, 3, 3), (2, 3), True), ((3, 3), (2, 3), False),
    ((2, 4, 4), (1, 5, 4), False)])
def test_solve_gradients(torch, a_shape, b_shape, left, dtype):
    rng = _rng("solve grad", a_shape, b_shape, dtype)
    make = lambda: [general(rng, a_shape, dtype), rng.standard_normal(b_shape).astype(dtype)]  # noqa: E731,E501
    weights = rng.standard_normal(b_shape)
    _grads(torch, make, lambda lib, a, b: (
        lib.linalg.solve(a, b, left=left) * lib.tensor(weights).to(a.dtype)).sum(), dtype)


def test_det_gradient_of_nearly_singular_matrices(torch):
    # one and two singular values of 1e-5: the cofactors, through torch's LU and fastnn's
    # SVD. Not at rounding level: whether the LU of a rank-deficient matrix rounds its
    # determinant to exactly zero (and torch's gradient with it, as in
    # test_det_gradient_of_exactly_singular_matrices) is the LAPACK build's and the CPU's
    rng = _rng("singular det")
    a = rng.standard_normal((4, 4))
    for rank in (3, 2):
        u, s, vh = np.linalg.svd(a)
        s[rank:] = 1e-5
        matrix = (u * s) @ vh
        assert torch.linalg.det(torch.tensor(matrix)).item() != 0
        _grads(torch, lambda: [matrix], lambda lib, x: lib.linalg.det(x), np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_det_gradient_of_exactly_singular_matrices(torch, dtype):
    # torch solves A^T G = det(A) I through the LU factors: a zero determinant gives a zero
    # gradient, not the cofactors (a NaN incoming gradient stays NaN). The singular
    # matrices have a zero column and a zero row, whose LU has an exactly zero pivot in
    # any LAPACK: rows that are multiples of each other leave one only in exact arithmetic
    # (MKL's LU, torch's, left [[1, 2, 3], [2, 4, 6], [1, 0, 1]] a determinant of -6.7e-16
    # on an Intel Xeon, and torch's gradient the cofactors)
    batch = np.array([[[1, 0, 2], [3, 0, 4], [5, 0, 7]], [[1, 2, 0], [3, 4, 1], [0, 1, 2]],
                      [[0, 0, 0], [1, 2, 3], [4, 5, 6]]], dtype)
    _grads(torch, lambda: [batch], lambda lib, x: (lib.linalg.det(x) * lib.tensor(
        [2.0, -1.0, float("nan")], dtype=x.dtype)).sum(), dtype)
    _grads(torch, lambda: [batch[0]], lambda lib, x: lib.det(x), dtype)


def test_qr_gradient_errors_are_torchs(torch):
    for mode, shape in (("r", (3, 3)), ("complete", (4, 2))):
        a = np.ones(shape) + np.eye(*shape)
        t = torch.tensor(a, requires_grad=True)
        expected = _torch_error(torch, lambda lib: lib.linalg.qr(t, mode).R.sum().backward())
        f = fastnn.tensor(a, requires_grad=True)
        with pytest.raises(RuntimeError, match=re.escape(str(expected))):
            fastnn.linalg.qr(f, mode).R.sum().backward()


def test_matrix_rank_is_not_differentiable():
    a = fastnn.tensor(np.eye(3), requires_grad=True)
    rank = fastnn.linalg.matrix_rank(a)
    assert not rank.requires_grad and rank.dtype == fastnn.int64


def test_results_print_as_torchs_named_tuples(torch):
    f = fastnn.eye(2)
    assert repr(fastnn.linalg.slogdet(f)).startswith("fastnn.return_types.linalg_slogdet(")
    assert repr(fastnn.linalg.svd(f)).startswith("fastnn.return_types.linalg_svd(")
    assert repr(fastnn.svd(f)).startswith("fastnn.return_types.svd(")
    theirs = torch.linalg.eigh(torch.eye(2))
    assert all(hasattr(theirs, name) for name in fastnn.linalg.eigh(f)._fields)
    theirs = torch.linalg.slogdet(torch.eye(2))
    assert all(hasattr(theirs, name) for name in fastnn.linalg.slogdet(f)._fields)
