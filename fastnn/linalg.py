"""``fastnn.linalg``: torch.linalg's norms and cross product.

Every function is a composition of ops fastnn already has, so its gradient is theirs:

* ``vector_norm`` is the ``norm`` op (`fastnn._norm_ops`) on a numeric order;
* ``matrix_norm`` is that op for 'fro' and 'nuc', and for the orders 1, -1, inf, -inf
  torch's own composition: the 1-norm of each column (each row for inf), then ``amax`` (or
  ``amin`` for a negative order) over the other dim. The spectral orders 2 and -2 are the
  ``amax`` (``amin``) of ``svdvals``;
* ``norm`` picks one of the two as torch.linalg.norm does;
* ``cross`` is ``fastnn.cross``'s composition (`fastnn._cross_methods`) with dim -1 as
  its default;
* the decompositions (``det``, ``slogdet``, ``inv``, ``solve``, ``cholesky``, ``qr``,
  ``eigh``, ``svd``) are the ops of `fastnn._decompositions`; ``eigvalsh`` and ``svdvals``
  are the first or middle output of ``eigh`` and ``svd``; ``pinv`` and ``matrix_rank`` are
  torch's compositions of them.

Checks come first, in torch's order and words.
"""
import numpy as np

from ._args import _is_int, int_tuple_arg, wrap_dim
from ._cross_methods import cross_product
from ._decomposition_methods import pinv_composition, return_type, spectral_tolerance
from ._decompositions import LinAlgError
from ._dispatch import dispatch
from ._dtypes import as_dtype
from ._functions import _tensor
from ._norm_ops import check_norm_dtypes

__all__ = ["vector_norm", "matrix_norm", "norm", "cross", "det", "slogdet", "inv", "solve",
           "cholesky", "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv", "matrix_rank",
           "LinAlgError"]

_MATRIX_ORDERS = (1.0, -1.0, 2.0, -2.0, np.inf, -np.inf)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The order-`ord` vector norm of `x` over `dim` (None: every element, flattened);
    `dtype`: the dtype `x` is converted to first (no narrowing)."""
    if isinstance(ord, str):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    x = _tensor(x, "linalg_vector_norm")
    if isinstance(dim, (list, tuple)) and not dim:
        dim = None              # torch: an empty dim list is every dim
    return dispatch("norm", x, 2.0 if ord is None else ord, dim, keepdim, dtype)


def _order_text(ord):
    return ord if isinstance(ord, str) else f"{float(ord):g}"


def _check_matrix_dtype(x, dtype):
    check_norm_dtypes(x, dtype, "linalg.matrix_norm")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The order-`ord` matrix norm ('fro', 'nuc', 1, -1, inf, -inf) of the matrices spanned
    by the two dims `dim` of `A`; `dtype`: the dtype `A` is converted to first."""
    x = _tensor(A, "linalg_matrix_norm")
    if x.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    elif float(ord) not in _MATRIX_ORDERS:
        raise RuntimeError(f"linalg.matrix_norm: Order {_order_text(ord)} not supported.")
    dims = (dim,) if _is_int(dim) else int_tuple_arg((dim,), "linalg_matrix_norm", "dim")
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(str(d) for d in dims)}")
    dims = tuple(wrap_dim(d, x.ndim) for d in dims)
    if dims[0] == dims[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got {dims}")
    dtype = as_dtype(dtype, "linalg_matrix_norm")
    _check_matrix_dtype(x, dtype)
    if isinstance(ord, str):
        return dispatch("norm", x, ord, dims, keepdim, dtype)
    ord = float(ord)
    if abs(ord) == 2:
        return _spectral_norm(x, ord, dims, keepdim, dtype)
    first, second = dims[::-1] if abs(ord) == np.inf else dims
    if not keepdim and first < second:
        second -= 1
    sums = dispatch("norm", x, 1.0, first, keepdim, dtype)
    if ord > 0 and sums.shape[second] == 0:
        return sums.sum(second, keepdim=keepdim)       # torch: 0 for an empty matrix
    return sums.amax(second, keepdim) if ord > 0 else sums.amin(second, keepdim)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: a vector norm over one dim (or every element when neither `ord`
    nor `dim` is given), a matrix norm over two dims (or of a 2-D `A` given `ord`)."""
    x = _tensor(A, "linalg_norm")
    if dim is not None:
        dims = (dim,) if _is_int(dim) else tuple(dim)
        if isinstance(ord, str) or len(dims) == 2:
            return matrix_norm(x, "fro" if ord is None else ord, dims[0] if len(dims) == 1
                               else dims, keepdim, dtype=dtype)
        if len(dims) != 1:
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 "
                               f"or 2. Got {list(dims)}")
        return vector_norm(x, 2.0 if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(x, 2.0, None, keepdim, dtype=dtype)
    if x.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {x.ndim}D.")
    if x.ndim == 2 or isinstance(ord, str):
        return matrix_norm(x, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(x, ord, None, keepdim, dtype=dtype)


def cross(input, other, *, dim=-1):
    """The cross product of `input` and `other` (same number of dims, batch dims
    broadcast) along `dim`, which must have length 3 in both."""
    return cross_product(_tensor(input, "linalg_cross"), other, dim, 2, 2)


def _spectral_norm(x, ord, dims, keepdim, dtype):
    """The largest (ord 2) or smallest (ord -2) singular value of each matrix."""
    if dtype is not None:
        x = x.to(dtype)
    rest = [d for d in range(x.ndim) if d not in dims]
    values = svdvals(x.permute(*rest, *dims))
    result = values.amax(-1) if ord > 0 else values.amin(-1)
    if keepdim:
        for d in sorted(dims):
            result = result.unsqueeze(d)
    return result


return_types_linalg_slogdet = return_type("linalg_slogdet", ["sign", "logabsdet"])
return_types_linalg_qr = return_type("linalg_qr", ["Q", "R"])
return_types_linalg_eigh = return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
return_types_linalg_svd = return_type("linalg_svd", ["U", "S", "Vh"])


def det(A):
    """The determinant of each square matrix of `A` (..., n, n)."""
    return dispatch("linalg_det", A)


def slogdet(A):
    """(sign, logabsdet) of the determinant of each square matrix of `A`."""
    return return_types_linalg_slogdet(*dispatch("linalg_slogdet", A))


def inv(A):
    """The inverse of each square matrix of `A`; LinAlgError for a singular one."""
    return dispatch("linalg_inv", A)


def solve(A, B, *, left=True):
    """X with AX = B (XA = B when not `left`); a vector B where torch takes one."""
    return dispatch("linalg_solve", A, B, left=left)


def cholesky(A, *, upper=False):
    """The lower Cholesky factor L (A = L L^T) of each positive-definite matrix; the upper
    U = L^T when `upper`."""
    return dispatch("linalg_cholesky", A, upper)


def qr(A, mode="reduced"):
    """(Q, R) of each matrix: 'reduced', 'complete', or 'r' (R alone, Q empty)."""
    return return_types_linalg_qr(*dispatch("linalg_qr", A, mode))


def eigh(A, UPLO="L"):
    """(eigenvalues ascending, eigenvectors) of each symmetric matrix, read from its lower
    ('L') or upper ('U') triangle."""
    return return_types_linalg_eigh(*dispatch("linalg_eigh", A, UPLO))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of each symmetric matrix, ascending."""
    return dispatch("linalg_eigh", A, UPLO)[0]


def svd(A, full_matrices=True, *, driver=None):
    """(U, S, Vh) of each matrix, S descending; U and Vh square when `full_matrices`."""
    return return_types_linalg_svd(*dispatch("linalg_svd", A, full_matrices))


def svdvals(A, *, driver=None):
    """The singular values of each matrix, descending."""
    return dispatch("linalg_svd", A, False)[1]


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The pseudo-inverse of each matrix: singular values at most max(atol, rtol * the
    largest) are dropped; `hermitian`: through eigh of a symmetric A."""
    return pinv_composition(_tensor(A, "linalg_pinv"), atol, rtol, hermitian)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values (eigenvalues' magnitudes when `hermitian`) above
    max(atol, rtol * the largest), as int64."""
    x = _tensor(A, "linalg_matrix_rank")
    if x.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at "
                           "least 2 dimensions.")
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")
    values = eigvalsh(x).abs() if hermitian else svdvals(x)
    values = values.detach()
    return (values > spectral_tolerance(x, values, atol, rtol)).sum(-1)
