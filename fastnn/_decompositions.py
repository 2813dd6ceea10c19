"""Registry entries of torch.linalg's decompositions and the classic top-level names.

The ops: ``linalg_det``, ``linalg_slogdet`` (sign, logabsdet), ``logdet``, ``linalg_inv``,
``linalg_solve``, ``linalg_cholesky``, ``linalg_qr`` (Q, R), ``linalg_eigh`` (eigenvalues,
eigenvectors) and ``linalg_svd`` (U, S, Vh), each on batches of matrices (..., m, n) of
float32 or float64, computed by numpy.linalg. Their backward is in
`fastnn._decomposition_grad`. The checks are torch's, in its order and words; each op takes
the name torch's messages give the function (``fn``: "linalg.det", "logdet", "cholesky").

A failed factorization (singular for inv/solve, not positive-definite for cholesky) raises
`LinAlgError`, a RuntimeError as torch's ``torch.linalg.LinAlgError`` is; its message names
the pivot LAPACK's getrf/potrf stop at (found again here by an unblocked factorization, run
only to word the error) and, for a batch, the first failing matrix.

The top-level forms (``fastnn.det``, ``qr``, ``svd``, ...) are at the end; compositions
(pinv, matrix_rank) are in `fastnn.linalg` and `fastnn._decomposition_methods`.
"""
import numpy as np

from ._args import broadcast_shape, torch_type_name, torch_typename
from ._decomposition_methods import pinv_composition, return_types_qr, return_types_slogdet
from ._dispatch import dispatch
from ._functions import _tensor
from ._registry import Attrs, register_single

__all__ = ["LinAlgError", "det", "logdet", "slogdet", "inverse", "cholesky", "qr", "svd",
           "pinverse"]


class LinAlgError(RuntimeError):
    """A factorization failed on the values of its input (torch.linalg.LinAlgError)."""


def _plain(x):
    return np.ndarray.view(x, np.ndarray) if isinstance(x, np.ndarray) else np.asarray(x)


def _matrix(A, fn, argument, position=1):
    if not isinstance(A, np.ndarray) and not hasattr(A, "__array__"):
        raise TypeError(f"{argument}(): argument 'A' (position {position}) must be Tensor, "
                        f"not {type(A).__name__}")
    a = _plain(A)
    # a byte-swapped array is the same dtype to torch: computed in native order
    return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))


def _check_ndim(a, fn, name="A"):
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor {name} must have at least 2 dimensions.")


def _check_square(a, fn):
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


def _check_float(a, fn, kernel=None):
    """torch's refusal of integer, bool and half input: `kernel` names the CPU kernel
    torch reports as not implemented (None: its 'Expected a floating point' check)."""
    if a.dtype.kind in "biu" or (a.dtype == np.float16 and kernel is None):
        if kernel is not None:
            raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                      f"'{torch_type_name(a.dtype)}'")
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got "
                           f"{torch_type_name(a.dtype)}")
    if a.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"{kernel or 'lu_cpu'}\" not implemented for "
                                  f"'{torch_type_name(a.dtype)}'")


def _keyword_bool(value, fn, name):
    if value is True or value is False:
        return value
    raise TypeError(f"{fn}(): argument '{name}' must be bool, not {torch_typename(value)}")


def _keyword_str(value, fn, name):
    if isinstance(value, str):
        return value
    raise TypeError(f"{fn}(): argument '{name}' must be str, not {torch_typename(value)}")


def _square(A, fn, argument, kernel=None):
    a = _matrix(A, fn, argument)
    _check_ndim(a, fn)
    _check_square(a, fn)
    _check_float(a, fn, kernel)
    return a


def _batch_prefix(a, index):
    return f"(Batch element {index}): " if a.ndim > 2 else ""


def _first_failure(a, factor):
    """(flat batch index, LAPACK info) of the first matrix of `a` whose `factor` fails."""
    flat = a.reshape(-1, *a.shape[-2:])
    for index, matrix in enumerate(flat):
        info = factor(np.array(matrix, np.float64))
        if info > 0:
            return index, info
    return None


def _getrf_info(matrix):
    """LAPACK getrf's info: the order of the first exactly-zero pivot of an LU
    factorization with partial pivoting (0: none); getrf factors on past it."""
    lu = matrix.copy()
    first = 0
    for j in range(min(lu.shape)):
        pivot = j + int(np.argmax(np.abs(lu[j:, j])))
        if lu[pivot, j] == 0:
            first = first or j + 1
            continue
        lu[[j, pivot]] = lu[[pivot, j]]
        lu[j + 1:, j] /= lu[j, j]
        lu[j + 1:, j + 1:] -= np.outer(lu[j + 1:, j], lu[j, j + 1:])
    return first


def _potrf_info(matrix):
    """LAPACK potrf's info: the order of the first leading minor whose pivot is not
    positive (NaN included) in the Cholesky factorization of the lower triangle (0: none)."""
    lower = np.tril(matrix)
    for j in range(matrix.shape[0]):
        pivot = lower[j, j] - lower[j, :j] @ lower[j, :j]
        if not pivot > 0:
            return j + 1
        lower[j, j] = np.sqrt(pivot)
        lower[j + 1:, j] = (lower[j + 1:, j] - lower[j + 1:, :j] @ lower[j, :j]) / lower[j, j]
    return 0


def _syevd_info(matrix):
    """LAPACK syevd's info where numpy's eigh failed to converge: a non-finite input
    leaves the divide-and-conquer one unsplit block, rows 0 to n - 1, which syevd reports
    as n - 1."""
    return matrix.shape[-1] - 1


def _nan_info(matrix):
    return int(np.isnan(matrix).any())


# ------------------------------------------------------------------ det, slogdet, logdet

def _det_normalize(A, fn="linalg.det"):
    a = _matrix(A, fn, fn.replace(".", "_"))
    return (_square(a, fn, fn.replace(".", "_"), "lu_cpu" if a.dtype == np.float16
                    else None),), Attrs(fn=fn)


def _arrays(A, *args, **kwargs):
    return (_plain(A),)


def _det_meta(inputs, attrs):
    return inputs[0].shape[:-2], inputs[0].dtype


def _det_run(inputs, attrs, out):
    with np.errstate(all="ignore"):
        out[...] = np.linalg.det(inputs[0])


def _slogdet_meta(inputs, attrs):
    a = inputs[0]
    return [(a.shape[:-2], a.dtype), (a.shape[:-2], a.dtype)]


def _slogdet_run(inputs, attrs, out):
    with np.errstate(all="ignore"):
        sign, logabs = np.linalg.slogdet(inputs[0])
    out[0][...] = sign
    out[1][...] = logabs


def _logdet_run(inputs, attrs, out):
    with np.errstate(all="ignore"):
        sign, logabs = np.linalg.slogdet(inputs[0])
        out[...] = np.where(sign < 0, np.nan, logabs)


# ------------------------------------------------------------------ inv

def _inv_normalize(A, fn="linalg.inv"):
    a = _matrix(A, fn, "linalg_inv")
    _check_ndim(a, fn)
    _check_square(a, fn)
    if a.dtype == np.float16:
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got Half")
    _check_float(a, fn)
    return (a,), Attrs(fn=fn)


def _same_meta(inputs, attrs):
    return inputs[0].shape, inputs[0].dtype


def _inv_run(inputs, attrs, out):
    a = inputs[0]
    if not a.size:
        return
    try:
        out[...] = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        index, info = _first_failure(a, _getrf_info) or (0, 1)
        raise LinAlgError(f"{attrs.fn}: {_batch_prefix(a, index)}The diagonal element {info} "
                          f"is zero, the inversion could not be completed because the input "
                          f"matrix is singular.") from None


# ------------------------------------------------------------------ solve

def _solve_normalize(A, B, *, left=True):
    fn = "linalg.solve"
    a = _matrix(A, fn, "linalg_solve")
    if not isinstance(B, np.ndarray) and not hasattr(B, "__array__"):
        raise TypeError(f"linalg_solve(): argument 'B' (position 2) must be Tensor, not "
                        f"{type(B).__name__}")
    b = _plain(B)
    b = b if b.dtype.isnative else b.astype(b.dtype.newbyteorder("="))
    left = _keyword_bool(left, "linalg_solve", "left")
    _check_float(a, fn, "lu_cpu" if a.dtype == np.float16 else None)
    if a.dtype != b.dtype:
        raise RuntimeError(f"{fn}: Expected A and B to have the same dtype, but found A of "
                           f"type {torch_type_name(a.dtype)} and B of type "
                           f"{torch_type_name(b.dtype)} instead")
    _check_ndim(a, fn)
    _check_square(a, fn)
    n = a.shape[-1]
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    matrix = b[..., None] if vector else b
    if matrix.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
    size = matrix.shape[-2] if left else matrix.shape[-1]
    if size != n:
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{matrix.shape[-2]}x{matrix.shape[-1]})")
    batch = broadcast_shape(matrix.shape[:-2], a.shape[:-2])
    return (a, b), Attrs(left=left, vector=vector, batch=tuple(batch))


def _solve_arrays(A, B, **kwargs):
    return _plain(A), _plain(B)


def _solve_meta(inputs, attrs):
    b = inputs[1]
    if attrs.vector:
        return attrs.batch + (b.shape[-1],), b.dtype
    return attrs.batch + b.shape[-2:], b.dtype


def solve_arrays(a, b, left, vector):
    """X of AX = B (XA = B when not `left`) on plain arrays, batch dims broadcast."""
    matrix = b[..., None] if vector else b
    if not left:
        a, matrix = a.swapaxes(-1, -2), matrix.swapaxes(-1, -2)
    batch = np.broadcast_shapes(a.shape[:-2], matrix.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    matrix = np.broadcast_to(matrix, batch + matrix.shape[-2:])
    x = np.linalg.solve(a, matrix)
    if not left:
        x = x.swapaxes(-1, -2)
    return x[..., 0] if vector else x


def _solve_run(inputs, attrs, out):
    if not out.size:
        return
    a, b = inputs
    try:
        out[...] = solve_arrays(a, b, attrs.left, attrs.vector)
    except np.linalg.LinAlgError:
        full = np.broadcast_to(a, attrs.batch + a.shape[-2:])
        index, _ = _first_failure(full, _getrf_info) or (0, 1)
        raise LinAlgError(f"torch.linalg.solve: {_batch_prefix(full, index)}The solver failed "
                          f"because the input matrix is singular.") from None


# ------------------------------------------------------------------ cholesky

def _cholesky_normalize(A, upper=False, *, fn="linalg.cholesky"):
    name = "linalg_cholesky" if fn == "linalg.cholesky" else "cholesky"
    a = _matrix(A, fn, name)
    if fn == "linalg.cholesky":
        upper = _keyword_bool(upper, name, "upper")
    elif upper is not True and upper is not False:
        raise TypeError(f"cholesky(): argument 'upper' (position 2) must be bool, not "
                        f"{torch_typename(upper)}")
    _check_ndim(a, fn)
    _check_square(a, fn)
    if fn == "linalg.cholesky":
        _check_float(a, fn, "cholesky_cpu" if a.dtype == np.float16 else None)
    else:
        _check_float(a, fn, "cholesky_cpu")
    return (a,), Attrs(upper=upper, fn=fn)


def _cholesky_run(inputs, attrs, out):
    a = inputs[0]
    if not a.size:
        return
    # the upper factor reads A's upper triangle, as LAPACK's 'U' does
    source = a.swapaxes(-1, -2) if attrs.upper else a
    try:
        lower = np.linalg.cholesky(source)
        failure = None if np.isfinite(lower).all() else _first_failure(source, _potrf_info)
    except np.linalg.LinAlgError:
        failure = _first_failure(source, _potrf_info)
    if failure is not None:         # LAPACK also stops at a NaN pivot
        index, info = failure
        raise LinAlgError(f"{attrs.fn}: {_batch_prefix(a, index)}The factorization could not "
                          f"be completed because the input is not positive-definite (the "
                          f"leading minor of order {info} is not positive-definite).")
    out[...] = lower.swapaxes(-1, -2) if attrs.upper else lower


# ------------------------------------------------------------------ qr

_QR_MODES = ("reduced", "complete", "r")


def _qr_normalize(A, mode="reduced"):
    fn = "linalg.qr"
    a = _matrix(A, fn, "linalg_qr")
    mode = _keyword_str(mode, "linalg_qr", "mode")
    _check_ndim(a, fn)
    _check_float(a, fn, "geqrf_cpu" if a.dtype == np.float16 else None)
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    return (a,), Attrs(mode=mode)


def _qr_meta(inputs, attrs):
    a = inputs[0]
    m, n = a.shape[-2:]
    k = m if attrs.mode == "complete" else min(m, n)
    batch = a.shape[:-2]
    q = (0,) if attrs.mode == "r" else batch + (m, k)
    r = batch + (k if attrs.mode != "r" else min(m, n), n)
    return [(q, a.dtype), (r, a.dtype)]


def _qr_run(inputs, attrs, out):
    a = inputs[0]
    q, r = out
    if not r.size and not q.size:
        return
    m, n = a.shape[-2:]
    if not a.size:
        # an empty matrix: Q is the identity (complete) and R is empty or zero
        if q.size:
            q[...] = np.eye(m, q.shape[-1], dtype=a.dtype)
        r[...] = 0
        return
    if attrs.mode == "r":
        r[...] = np.linalg.qr(a, mode="r")
        return
    q[...], r[...] = np.linalg.qr(a, mode=attrs.mode)


# ------------------------------------------------------------------ eigh

def _eigh_normalize(A, UPLO="L"):
    fn = "linalg.eigh"
    a = _matrix(A, fn, "linalg_eigh")
    UPLO = _keyword_str(UPLO, "linalg_eigh", "UPLO")
    _check_ndim(a, fn)
    _check_square(a, fn)
    _check_float(a, fn, "linalg_eigh_cpu")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return (a,), Attrs(UPLO=UPLO)


def _eigh_meta(inputs, attrs):
    a = inputs[0]
    return [(a.shape[:-1], a.dtype), (a.shape, a.dtype)]


def _eigh_run(inputs, attrs, out):
    if not out[1].size:
        return
    a = inputs[0]
    try:
        out[0][...], out[1][...] = np.linalg.eigh(a, UPLO=attrs.UPLO)
    except np.linalg.LinAlgError:
        source = a if attrs.UPLO == "L" else a.swapaxes(-1, -2)
        index, info = _first_failure(source, _syevd_info) or (0, 1)
        raise LinAlgError(f"linalg.eigh: {_batch_prefix(a, index)}The algorithm failed to "
                          f"converge because the input matrix is ill-conditioned or has too "
                          f"many repeated eigenvalues (error code: {info}).") from None


# ------------------------------------------------------------------ svd

def _svd_normalize(A, full_matrices=True):
    fn = "linalg.svd"
    a = _matrix(A, fn, "linalg_svd")
    full_matrices = _keyword_bool(full_matrices, "linalg_svd", "full_matrices")
    _check_ndim(a, fn)
    _check_float(a, fn, "linalg_svd_cpu" if a.dtype == np.float16 else None)
    return (a,), Attrs(full_matrices=full_matrices)


def _svd_meta(inputs, attrs):
    a = inputs[0]
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    if attrs.full_matrices:
        return [(batch + (m, m), a.dtype), (batch + (k,), a.dtype), (batch + (n, n), a.dtype)]
    return [(batch + (m, k), a.dtype), (batch + (k,), a.dtype), (batch + (k, n), a.dtype)]


def _svd_run(inputs, attrs, out):
    a = inputs[0]
    u, s, vh = out
    if not a.size:
        # no singular values: full matrices are identities
        for factor in (u, vh):
            if factor.size:
                factor[...] = np.eye(factor.shape[-1], dtype=a.dtype)
        return
    failure = _first_failure(a, _nan_info)
    if failure is not None:
        raise LinAlgError(f"linalg.svd: {_batch_prefix(a, failure[0])}The algorithm failed "
                          f"to converge because the input matrix contained non-finite "
                          f"values.")
    # LAPACK's gesdd never returns on some matrices holding inf (numpy's svd hangs); torch
    # gives NaN singular values for them, and here their factors are NaN too
    finite = np.isfinite(a).all(axis=(-2, -1))
    if finite.all():
        u[...], s[...], vh[...] = np.linalg.svd(a, full_matrices=attrs.full_matrices)
        return
    for factor in out:
        factor[...] = np.nan
    if finite.any():
        u[finite], s[finite], vh[finite] = np.linalg.svd(a[finite],
                                                         full_matrices=attrs.full_matrices)


register_single("linalg_det", _det_normalize, _det_meta, _det_run, arrays=_arrays)
register_single("linalg_slogdet", lambda A: _det_normalize(A, "linalg.slogdet"),
                _slogdet_meta, _slogdet_run, arrays=_arrays)
register_single("logdet", lambda A: _det_normalize(A, "logdet"), _det_meta, _logdet_run,
                arrays=_arrays)
register_single("linalg_inv", _inv_normalize, _same_meta, _inv_run, arrays=_arrays)
register_single("linalg_solve", _solve_normalize, _solve_meta, _solve_run, arrays=_solve_arrays)
register_single("linalg_cholesky", _cholesky_normalize, _same_meta, _cholesky_run,
                arrays=_arrays)
register_single("linalg_qr", _qr_normalize, _qr_meta, _qr_run, arrays=_arrays)
register_single("linalg_eigh", _eigh_normalize, _eigh_meta, _eigh_run, arrays=_arrays)
register_single("linalg_svd", _svd_normalize, _svd_meta, _svd_run, arrays=_arrays)


# ------------------------------------------------------------------ top-level forms

def det(input):
    """The determinant of each square matrix of `input` (torch.det)."""
    return dispatch("linalg_det", _tensor(input, "det"))


def logdet(input):
    """log(det) of each matrix: NaN for a negative determinant, -inf for zero."""
    return dispatch("logdet", _tensor(input, "logdet"))


def slogdet(input):
    """(sign, logabsdet) of the determinant of each matrix (torch.slogdet)."""
    return return_types_slogdet(*dispatch("linalg_slogdet", _tensor(input, "slogdet")))


def inverse(input):
    """The inverse of each square matrix (torch.inverse)."""
    return dispatch("linalg_inv", _tensor(input, "inverse"))


def cholesky(input, upper=False):
    """The Cholesky factor, lower (upper: upper) of each positive-definite matrix."""
    return dispatch("linalg_cholesky", _tensor(input, "cholesky"), upper, fn="cholesky")


def qr(input, some=True):
    """(Q, R) of each matrix: reduced when `some`, else complete (torch.qr)."""
    if some is not True and some is not False:
        raise TypeError(f"qr(): argument 'some' (position 2) must be bool, not "
                        f"{torch_typename(some)}")
    return return_types_qr(*dispatch("linalg_qr", _tensor(input, "qr"),
                                     "reduced" if some else "complete"))


def svd(input, some=True, compute_uv=True):
    """(U, S, V) of each matrix with V, not its transpose (torch.svd)."""
    return _tensor(input, "svd").svd(some, compute_uv)


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse of each matrix, singular values below `rcond` times the largest
    dropped (torch.pinverse)."""
    return pinv_composition(_tensor(input, "pinverse"), None, rcond, False)
