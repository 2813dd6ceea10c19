"""``fastnn.linalg``: torch.linalg's norms and cross product.

Every function is a composition of ops fastnn already has, so its gradient is theirs:

* ``vector_norm`` is the ``norm`` op (`fastnn._norm_ops`) on a numeric order;
* ``matrix_norm`` is that op for 'fro' and 'nuc', and for the orders 1, -1, inf, -inf
  torch's own composition: the 1-norm of each column (each row for inf), then ``amax`` (or
  ``amin`` for a negative order) over the other dim. The spectral orders 2 and -2 need
  singular values, which fastnn has no op for yet: they raise NotImplementedError;
* ``norm`` picks one of the two as torch.linalg.norm does;
* ``cross`` is ``fastnn.cross``'s composition (`fastnn._cross_methods`) with dim -1 as
  its default.

Checks come first, in torch's order and words.
"""
import numpy as np

from ._args import _is_int, int_tuple_arg, wrap_dim
from ._cross_methods import cross_product
from ._dispatch import dispatch
from ._dtypes import as_dtype
from ._functions import _tensor
from ._norm_ops import check_norm_dtypes

__all__ = ["vector_norm", "matrix_norm", "norm", "cross"]

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
        raise NotImplementedError("fastnn.linalg.matrix_norm: the orders 2 and -2 (singular "
                                  "values) are not implemented")
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
