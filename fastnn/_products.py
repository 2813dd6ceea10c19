"""torch's products beyond matmul: ``tensordot`` (a permute and reshape of each operand, one
matmul), ``kron`` (a broadcast multiply and a reshape) and ``float_power`` (a power in
float64), as compositions through the door (recorded and differentiable as those ops are),
with torch's checks; the methods ``kron``, ``float_power`` and ``float_power_`` (a mixin of
Tensor, in the tensor layer). ``fastnn._fused_functions`` has the top-level forms.
"""
import numpy as np

from ._args import int_tuple_arg, is_number, tensor_arg, torch_type_name, wrap_dim
from ._arith_methods import written_back
from ._out_arg import write_out
from ._ufunc_methods import no_overload

__all__ = ["ProductMethods", "tensordot", "kron", "float_power"]


def tensordot(a, b, dims=2, out=None):
    """The sum of products over `dims` of `a` and `b` (a count of `a`'s last and `b`'s
    first dims, or two lists): a permute and reshape of each, one matmul."""
    b = tensor_arg(b, a, "tensordot", "b", 2)
    if not isinstance(dims, (tuple, list, np.ndarray, int, np.integer)):
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    if isinstance(dims, np.ndarray):
        dims = int(dims) if dims.ndim == 0 else [list(map(int, d)) for d in dims]
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                               f"dims={dims}")
        given = list(range(-dims, 0)), list(range(dims))    # torch counts a's from the end
    else:
        dims_a, dims_b = dims           # Python's ValueError for other than two, as torch's
        given = tuple(_dim_list(d, name, position) for d, name, position in
                      ((dims_a, "dims_self", 3), (dims_b, "dims_other", 4)))
    if len(given[0]) != len(given[1]):
        raise RuntimeError("both dimension lists should have same length")
    first = [wrap_dim(d, a.ndim) for d in given[0]]
    second = [wrap_dim(d, b.ndim) for d in given[1]]
    for i, j, named_i, named_j in zip(first, second, *given):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[i]} in dim {named_i} and second has size "
                               f"{b.shape[j]} in dim {named_j}")
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    free_a = [d for d in range(a.ndim) if d not in first]
    free_b = [d for d in range(b.ndim) if d not in second]
    size = int(np.prod([a.shape[d] for d in first], dtype=np.int64))
    rows = int(np.prod([a.shape[d] for d in free_a], dtype=np.int64))
    columns = int(np.prod([b.shape[d] for d in free_b], dtype=np.int64))
    # the sizes spelled out, not -1: an empty contraction has zero elements to infer from
    left = a.permute(free_a + first).reshape(rows, size)
    right = b.permute(second + free_b).reshape(size, columns)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return write_out(np.matmul(left, right).reshape(shape), out)


def _dim_list(dims, name, position):
    """One of tensordot's two lists of dims, as torch's parser takes it."""
    if not isinstance(dims, (tuple, list)):
        raise TypeError(f"tensordot(): argument '{name}' (position {position}) must be tuple "
                        f"of ints, not {type(dims).__name__}")
    return int_tuple_arg((dims,), "tensordot", name, position)


def kron(input, other, *, out=None):
    """The Kronecker product: every element of `input` times the whole of `other`, laid
    out in blocks (a broadcast multiply and a reshape)."""
    other = tensor_arg(other, input, "kron", "other", 2)
    ndim = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (ndim - input.ndim) + input.shape)
    b = other.reshape((1,) * (ndim - other.ndim) + other.shape)
    spread_a = [n for size in a.shape for n in (size, 1)]
    spread_b = [n for size in b.shape for n in (1, size)]
    product = a.reshape(spread_a) * b.reshape(spread_b)
    return write_out(product.reshape([m * n for m, n in zip(a.shape, b.shape)]), out)


def float_power(input, exponent, *, out=None):
    """``input ** exponent`` computed in float64."""
    if not isinstance(exponent, np.ndarray) and not is_number(exponent):
        raise no_overload("float_power", exponent, 2, [
            "(Tensor input, Tensor exponent, *, Tensor out = None)",
            "(Number self, Tensor exponent, *, Tensor out = None)",
            "(Tensor input, Number exponent, *, Tensor out = None)"])
    if isinstance(exponent, np.ndarray):
        exponent = tensor_arg(exponent, input, "float_power", "exponent", 2).double()
    return write_out(input.double() ** exponent, out)


class ProductMethods:
    """kron, float_power, float_power_."""

    def kron(self, other):
        """The Kronecker product with `other`."""
        return kron(self, other)

    def float_power(self, exponent):
        """``self ** exponent`` in float64."""
        if not isinstance(exponent, np.ndarray) and not is_number(exponent):
            raise no_overload("float_power", exponent, 1, argument="exponent")
        return float_power(self, exponent)

    def float_power_(self, exponent):
        """In-place :meth:`float_power`: the tensor must be float64 already, as torch's."""
        if self.dtype != np.float64:
            raise RuntimeError(f"the base given to float_power_ has dtype "
                               f"{torch_type_name(self.dtype)} but the operation's result "
                               "requires dtype Double")
        return written_back(self, lambda x: float_power(x, exponent))
