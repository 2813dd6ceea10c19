"""Registry entries of torch's amax, amin and norm (``torch.norm`` / ``Tensor.norm``: a
vector norm of any order over any dims, the Frobenius norm, the nuclear norm), and the
norm computation `F.normalize` shares (`vector_norm_into`).

``torch.norm`` is torch's Python dispatcher over ``linalg.vector_norm`` and
``linalg.matrix_norm``; this module follows its choices: a number `p` (2 when None) and
``'fro'`` over at most two dims are vector norms, ``'nuc'`` and ``'fro'`` over more dims
are matrix norms. numpy computes each (``abs``, a power, a sum; max/min for +-inf, a
count for 0), in the result's dtype.
"""
import numpy as np

from ._args import (_dims_list, _is_int, bool_arg, int_tuple_arg, number_arg,
                    torch_type_name, wrap_dim)
from ._dtypes import as_dtype
from ._reductions import reduced_shape
from ._registry import Attrs
from ._shape_ops import register_method

__all__ = ["vector_norm_attrs", "vector_norm_into", "norm_dims"]

_REAL = {"complex64": np.dtype(np.float32), "complex128": np.dtype(np.float64)}


def _plain(x):
    return np.ndarray.view(x, np.ndarray)


# ------------------------------------------------------------------ amax amin

def _amax_amin(name):
    def normalize(input, dim=(), keepdim=False):
        x = _plain(input)
        if dim is None:
            dims = ()
        elif isinstance(dim, (tuple, list)):
            dims = int_tuple_arg((dim,), name, "dim") if dim else ()
        elif _is_int(dim):
            dims = (int(dim),)
        else:
            raise TypeError(f"{name}(): argument 'dim' (position 1) must be tuple of ints, "
                            f"not {type(dim).__name__}")
        keepdim = bool_arg(keepdim, name, "keepdim", 2)
        axis = _dims_list(list(dims), x.ndim) if dims else None
        if axis is None and x.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               f"input.numel() == 0. Specify the reduction dim with the "
                               f"'dim' argument.")
        for d, given in zip(axis or (), dims):        # torch names the dim as given
            if x.ndim and x.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {given} to have non-zero "
                                 f"size.")
        return (input,), Attrs(dim=axis, keepdim=keepdim)

    def meta(inputs, attrs):
        x = inputs[0]
        return reduced_shape(x.shape, None if x.ndim == 0 else attrs.dim,
                             attrs.keepdim), x.dtype

    reduce = np.max if name == "amax" else np.min

    def run(inputs, attrs, out):
        x = _plain(inputs[0])
        reduce(x, axis=None if x.ndim == 0 else attrs.dim, keepdims=attrs.keepdim, out=out)

    register_method(name, normalize, run, meta=meta)


_amax_amin("amax")
_amax_amin("amin")


# ------------------------------------------------------------------ norm

def norm_dims(dim, ndim, fn):
    """A norm's `dim` (None, an int, a sequence of ints; empty means every dim) as a
    sorted tuple of distinct wrapped dims, or None for every dim."""
    if dim is None:
        return None
    dims = (dim,) if _is_int(dim) else int_tuple_arg((dim,), fn, "dim") if dim else ()
    return _dims_list(list(dims), ndim) if dims else None


def _order_text(p):
    """A norm order as torch's C++ prints it: inf, -inf, 2, 0.5."""
    return f"{float(p):g}"


def check_norm_dtypes(x, dtype, fn):
    """torch's checks of a norm's input dtype and its `dtype` argument (`fn`:
    "linalg.vector_norm" or "linalg.matrix_norm", as its messages name it)."""
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got "
                           f"{torch_type_name(x.dtype)}")
    if dtype is not None:
        if dtype.kind not in "fc":
            raise RuntimeError(f"{fn}: dtype should be floating point or complex, but got "
                               f"{torch_type_name(dtype)}")
        if np.promote_types(x.dtype, dtype) != dtype:
            raise RuntimeError(f"{fn}: the dtype of the input ({torch_type_name(x.dtype)}) "
                               f"should be convertible without narrowing to the specified "
                               f"dtype ({torch_type_name(dtype)})")


def vector_norm_attrs(x, p, dims, dtype):
    """torch's linalg.vector_norm checks of a plain array: the result dtype."""
    check_norm_dtypes(x, dtype, "linalg.vector_norm")
    if x.size == 0 and (p < 0 or p == np.inf):
        if dims is None or x.ndim == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_order_text(p)} "
                               f"norm on an empty tensor because the operation does not "
                               f"have an identity")
        for d in dims:
            if x.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {_order_text(p)} "
                                   f"norm on the dimension {d}because this dimension is "
                                   f"empty and the operation does not have an identity")
    result = (x.dtype if dtype is None else dtype).newbyteorder("=")
    return _REAL.get(result.name, result)


def vector_norm_into(x, p, dims, keepdim, dtype, out):
    """The order-`p` vector norm of `x` over `dims` (None: all) into `out` (of `dtype`)."""
    axis = None if dims is None else dims
    if x.ndim == 0:                 # numpy answers scalars for 0-d arrays
        x, axis, keepdim = x.reshape(1), None, False
    with np.errstate(all="ignore"):
        if p == 2 and x.dtype.kind == "f":         # squares need no abs: one temporary
            np.sum(np.square(x, dtype=dtype), axis=axis, keepdims=keepdim, out=out)
            np.sqrt(out, out=out)
            return out
        a = np.abs(x.astype(dtype, copy=False) if x.dtype.kind == "f" else x)
        if a.dtype != dtype:
            a = a.astype(dtype)
        if p == np.inf:
            np.max(a, axis=axis, keepdims=keepdim, out=out)
        elif p == -np.inf:
            np.min(a, axis=axis, keepdims=keepdim, out=out)
        elif p == 0:
            np.sum(a != 0, axis=axis, keepdims=keepdim, out=out, dtype=dtype)
        elif p == 1:
            np.sum(a, axis=axis, keepdims=keepdim, out=out)
        elif p == 2:
            np.sum(np.square(a, out=a), axis=axis, keepdims=keepdim, out=out)
            np.sqrt(out, out=out)
        else:
            np.sum(np.power(a, dtype.type(p)), axis=axis, keepdims=keepdim, out=out)
            np.power(out, dtype.type(1.0 / p), out=out)
    return out


def _norm_normalize(input, p="fro", dim=None, keepdim=False, dtype=None):
    x = _plain(input)
    dtype = as_dtype(dtype, "norm")
    if isinstance(p, str):
        count = None if dim is None else 1 if _is_int(dim) else len(dim)
        if p == "fro" and (count is None or count <= 2):
            p = 2.0
        else:
            return _matrix_norm_attrs(x, p, dim, keepdim, dtype)
    p = 2.0 if p is None else number_arg(p, "linalg_vector_norm", "ord", 2)
    keepdim = bool_arg(keepdim, "linalg_vector_norm", "keepdim", 4)
    dims = norm_dims(dim, x.ndim, "norm")
    result = vector_norm_attrs(x, p, dims, dtype)
    return (input,), Attrs(kind="vector", p=p, dim=dims, keepdim=keepdim, dtype=result)


def _matrix_norm_attrs(x, p, dim, keepdim, dtype):
    """torch's linalg.matrix_norm checks ('fro' over more than two dims, 'nuc')."""
    if p not in ("fro", "nuc"):
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    if x.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    dims = tuple(range(x.ndim)) if dim is None else (
        (dim,) if _is_int(dim) else int_tuple_arg((dim,), "norm", "dim"))
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{' '.join(str(d) for d in dims)}")
    keepdim = bool_arg(keepdim, "linalg_matrix_norm", "keepdim", 4)
    dims = tuple(wrap_dim(d, x.ndim) for d in dims)
    if dims[0] == dims[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got {dims}")
    result = vector_norm_attrs(x, 2.0, dims, dtype)
    return (x,), Attrs(kind=p, p=p, dim=dims, keepdim=keepdim, dtype=result)


def _norm_meta(inputs, attrs):
    x = inputs[0]
    return reduced_shape(x.shape, None if x.ndim == 0 else attrs.dim, attrs.keepdim), \
        attrs.dtype


def _norm_run(inputs, attrs, out):
    x = _plain(inputs[0])
    if attrs.kind == "vector":
        vector_norm_into(x, attrs.p, attrs.dim, attrs.keepdim, attrs.dtype, out)
        return
    if attrs.kind == "fro":
        vector_norm_into(x, 2.0, attrs.dim, attrs.keepdim, attrs.dtype, out)
        return
    # nuclear: the sum of the singular values of each matrix spanned by the two dims
    moved = np.moveaxis(x, attrs.dim, (-2, -1)).astype(attrs.dtype, copy=False)
    _refuse_nan_matrices(moved)
    finite = np.isfinite(moved).all(axis=(-2, -1))
    values = np.full(moved.shape[:-2], np.nan, attrs.dtype)     # LAPACK's answer for
    if moved.size and finite.any():                             # inf/NaN, where numpy
        values[finite] = np.linalg.svd(moved[finite], compute_uv=False).sum(-1)   # raises
    elif not moved.size:
        values[...] = 0
    if attrs.keepdim:
        values = np.expand_dims(values, tuple(sorted(attrs.dim)))
    out[...] = values


def _refuse_nan_matrices(matrices):
    """torch's SVD refuses a matrix holding NaN (one holding inf gives NaN)."""
    has_nan = np.isnan(matrices).any(axis=(-2, -1))
    if not has_nan.any():
        return
    where = ""
    if matrices.ndim > 2:
        where = f"(Batch element {int(np.flatnonzero(has_nan.reshape(-1))[0])}): "
    raise RuntimeError(f"linalg.svd: {where}The algorithm failed to converge because the "
                       f"input matrix contained non-finite values.")


register_method("norm", _norm_normalize, _norm_run, meta=_norm_meta)
