"""The top-level torch functions of `fastnn._tensor_function_methods`' methods
(``fastnn.log``, ``fastnn.split``, ``fastnn.topk``, ``fastnn.gather``, ``fastnn.norm``,
...) and ``fastnn.einsum``, which has no method. Each takes what torch takes (a Tensor, or
here also any array) and runs the same op through the door as the method; ``out=`` is
accepted where torch accepts it.
"""
import numpy as np

from ._dispatch import dispatch
from ._functions import _tensor
from ._numpy_name_methods import dot_operand
from ._out_arg import write_out
from ._tensor_function_methods import return_types_topk

__all__ = ["log", "sqrt", "rsqrt", "erf", "isnan", "isinf", "isfinite", "split", "chunk", "topk",
           "gather", "scatter", "scatter_add", "index_select", "roll", "cumsum", "cumprod", "flip",
           "fliplr", "flipud", "amax", "amin", "norm", "allclose", "equal", "bmm", "einsum",
           "diagonal", "trace", "dot", "ravel", "take", "dist", "round"]


def _ufunc(ufunc, input, fn, out):
    x = _tensor(input, fn)
    return ufunc(x) if out is None else ufunc(x, out=out)


def log(input, *, out=None):
    """Natural logarithm; integers and bools give the default float dtype."""
    return _ufunc(np.log, input, "log", out)


def sqrt(input, *, out=None):
    """Square root; integers and bools give the default float dtype."""
    return _ufunc(np.sqrt, input, "sqrt", out)


def rsqrt(input, *, out=None):
    """1 / sqrt(x): inf at 0, NaN below; integers give the default float dtype."""
    return dispatch("rsqrt", _tensor(input, "rsqrt"), out=out)


def erf(input, *, out=None):
    """The error function; integers and bools give the default float dtype."""
    return dispatch("erf", _tensor(input, "erf"), out=out)


def isnan(input):
    """A bool tensor: True where `input` is NaN."""
    return np.isnan(_tensor(input, "isnan"))


def isinf(input):
    """A bool tensor: True where `input` is +inf or -inf."""
    return np.isinf(_tensor(input, "isinf"))


def isfinite(input):
    """A bool tensor: True where `input` is neither inf nor NaN."""
    return np.isfinite(_tensor(input, "isfinite"))


def split(tensor, split_size_or_sections, dim=0):
    """Views of consecutive parts of `tensor` along `dim` (``torch.split``)."""
    return _tensor(tensor, "split").split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    """At most `chunks` views of `input` along `dim` (``torch.chunk``)."""
    return _tensor(input, "chunk").chunk(chunks, dim)


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """``(values, indices)`` of the `k` largest (smallest) elements along `dim`."""
    result = dispatch("topk", _tensor(input, "topk"), k, dim, largest, sorted, out=out)
    return return_types_topk(*result)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """``out[i][j] = input[i][index[i][j]]`` for dim 1 (any dim alike)."""
    return dispatch("gather", _tensor(input, "gather"), dim, index, sparse_grad=sparse_grad,
                    out=out)


def scatter(input, dim, index, src=None, *, out=None, **kwargs):
    """``scatter(input, dim, index, src, *, reduce=)`` or ``scatter(..., value=)``: a copy
    of `input` with `src` (a tensor or a number) written at `index` along `dim`;
    ``reduce='add'`` / ``'multiply'`` combines with what is there."""
    return dispatch("scatter", _tensor(input, "scatter"), dim, index, src, out=out, **kwargs)


def scatter_add(input, dim, index, src, *, out=None):
    """A copy of `input` with `src` added at `index` along `dim`."""
    return dispatch("scatter_add", _tensor(input, "scatter_add"), dim, index, src, out=out)


def index_select(input, dim, index, *, out=None):
    """The entries of `input` at the 1-d `index` along `dim`."""
    return dispatch("index_select", _tensor(input, "index_select"), dim, index, out=out)


def cumsum(input, dim=None, *, dtype=None, out=None):
    """Running sums along `dim` (``torch.cumsum``): integers and bools sum as int64 unless
    `dtype` is given."""
    given = () if dim is None else (dim,)       # none: the op's torch error for no dim
    return dispatch("cumsum", _tensor(input, "cumsum"), *given, dtype=dtype, out=out)


def cumprod(input, dim=None, *, dtype=None, out=None):
    """Running products along `dim` (``torch.cumprod``): integers and bools multiply as
    int64 unless `dtype` is given."""
    given = () if dim is None else (dim,)       # none: the op's torch error for no dim
    return dispatch("cumprod", _tensor(input, "cumprod"), *given, dtype=dtype, out=out)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """A view of the diagonal `offset` of the planes of `dim1` and `dim2`, its dim last
    (``torch.diagonal``)."""
    return _tensor(input, "diagonal").diagonal(offset, dim1, dim2)


def trace(input):
    """The sum of a matrix's diagonal (``torch.trace``)."""
    return _tensor(input, "trace").trace()


def dot(input, tensor, *, out=None):
    """The inner product of two 1-D tensors of one dtype (``torch.dot``)."""
    input = _tensor(input, "dot")
    tensor = dot_operand(input, tensor)
    return np.matmul(input, tensor) if out is None else np.matmul(input, tensor, out=out)


def ravel(input):
    """The elements of `input` in one dim (``torch.ravel``: a view when the layout allows)."""
    return _tensor(input, "ravel").ravel()


def take(input, index):
    """The elements at `index` of `input` flattened, in `index`'s shape (``torch.take``)."""
    return _tensor(input, "take").take(index)


def round(input, *, decimals=0, out=None):
    """`input` rounded half to even at `decimals` places (``torch.round``)."""
    return write_out(_tensor(input, "round").round(decimals=decimals), out)


def flip(input, dims):
    """A copy of `input` with the order along `dims` (a sequence) reversed (``torch.flip``)."""
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"flip(): argument 'dims' (position 2) must be tuple of ints, not "
                        f"{type(dims).__name__}")
    return _tensor(input, "flip").flip(dims)


def fliplr(input):
    """``flip(input, (1,))`` of a tensor of two or more dims (``torch.fliplr``)."""
    return _tensor(input, "fliplr").fliplr()


def flipud(input):
    """``flip(input, (0,))`` of a tensor of one or more dims (``torch.flipud``)."""
    return _tensor(input, "flipud").flipud()


def roll(input, shifts, dims=None):
    """`input` shifted circularly along `dims` (the flattened tensor when None)."""
    return _tensor(input, "roll").roll(shifts, dims)


def amax(input, dim=(), keepdim=False, *, out=None):
    """Maximum over `dim` (every dim when empty); NaN propagates."""
    return dispatch("amax", _tensor(input, "amax"), dim, keepdim, out=out)


def amin(input, dim=(), keepdim=False, *, out=None):
    """Minimum over `dim` (every dim when empty); NaN propagates."""
    return dispatch("amin", _tensor(input, "amin"), dim, keepdim, out=out)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """``torch.norm``: the order-`p` vector norm over `dim` ('fro' is 2), or the 'nuc' /
    'fro' matrix norm over two dims."""
    return dispatch("norm", _tensor(input, "norm"), p, dim, keepdim, dtype, out=out)


def dist(input, other, p=2):
    """``torch.dist``: the order-`p` norm of ``input - other`` (broadcast)."""
    if not isinstance(other, np.ndarray):
        raise TypeError(f"dist(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    return _tensor(input, "dist").dist(other, p)


def allclose(input, other, *args, **kwargs):
    """``allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False)``: True when
    ``|input - other| <= atol + rtol * |other|`` everywhere (a bool)."""
    return dispatch("allclose", input, other, *args, **kwargs)


def equal(input, other):
    """True when both have the same shape and elements (a bool)."""
    return dispatch("tensor_equal", input, other)


def bmm(input, mat2, *, out=None):
    """Batched matrix product of two 3-d tensors of one dtype."""
    return dispatch("bmm", _tensor(input, "bmm"), mat2, out=out)


def einsum(equation, *operands):
    """Sums of products over the subscripts of `equation` (``'ij,jk->ik'``), operands
    given one by one or as one list; numpy.einsum computes it."""
    return dispatch("einsum", equation, *operands)
