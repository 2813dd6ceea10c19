"""The top-level forms of `fastnn._split_methods` (``fastnn.tensor_split``, ``hsplit``,
``vsplit``, ``dsplit``, ``unflatten``, ``take_along_dim``, ``rot90``, ``diff``), and the
stacking functions, which have no method: ``hstack``, ``vstack`` (``row_stack``),
``dstack``, ``column_stack`` (a ``cat`` of the tensors made ``atleast_1d``/``2d``/``3d``,
which are reshapes) and ``var_mean``/``std_mean`` (``var`` or ``std`` and ``mean`` over the
same dims). Each takes what torch takes; any array is taken as a Tensor."""
from ._args import _is_int, invalid_combination, torch_typename
from ._creation import cat
from ._functions import _tensor
from ._out_arg import write_out

__all__ = ["tensor_split", "hsplit", "vsplit", "dsplit", "unflatten", "take_along_dim", "rot90",
           "diff", "hstack", "vstack", "row_stack", "dstack", "column_stack", "atleast_1d",
           "atleast_2d", "atleast_3d", "var_mean", "std_mean", "masked_select", "diag",
           "diag_embed"]


def tensor_split(input, indices_or_sections, dim=0):
    """Views of `input` cut along `dim` into `sections` parts or at `indices`."""
    return _tensor(input, "tensor_split").tensor_split(indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 of a 1-D tensor)."""
    return _tensor(input, "hsplit").hsplit(indices_or_sections)


def vsplit(input, indices_or_sections):
    """``tensor_split`` along dim 0 of a tensor of 2 or more dims."""
    return _tensor(input, "vsplit").vsplit(indices_or_sections)


def dsplit(input, indices_or_sections):
    """``tensor_split`` along dim 2 of a tensor of 3 or more dims."""
    return _tensor(input, "dsplit").dsplit(indices_or_sections)


def unflatten(input, dim, sizes):
    """A view of `input` with dim `dim` split into `sizes`."""
    return _tensor(input, "unflatten").unflatten(dim, sizes)


def take_along_dim(input, indices, dim=None, *, out=None):
    """The elements of `input` at `indices` along `dim` (``torch.take_along_dim``)."""
    return write_out(_tensor(input, "take_along_dim").take_along_dim(indices, dim), out)


def masked_select(input, mask, *, out=None):
    """The elements of `input` where the bool `mask` is True, in one dim."""
    return write_out(_tensor(input, "masked_select").masked_select(mask), out)


def diag(input, diagonal=0, *, out=None):
    """A vector on a diagonal of a square matrix, or a matrix's diagonal (``torch.diag``)."""
    return write_out(_tensor(input, "diag").diag(diagonal), out)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """The vectors along the last dim of `input` on diagonals (``torch.diag_embed``)."""
    return _tensor(input, "diag_embed").diag_embed(offset, dim1, dim2)


def rot90(input, k=1, dims=(0, 1)):
    """`input` turned by k quarter turns in the plane of `dims`."""
    return _tensor(input, "rot90").rot90(k, dims)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The `n`-th forward difference of `input` along `dim`."""
    return _tensor(input, "diff").diff(n, dim, prepend, append)


def _tensor_list(tensors, fn, kernel=None):
    """`tensors` as Tensors, with torch's errors (`kernel`: the function an alias runs,
    which names itself in the error for no tensors)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{kernel or fn} expects a non-empty TensorList")
    return [_tensor(t, fn) for t in tensors]


def _at_least(tensors, ndim, fn):
    """``atleast_Nd``: one tensor gives one, several (or a sequence) a tuple."""
    single = len(tensors) == 1 and not isinstance(tensors[0], (list, tuple))
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shaped = tuple(_raised(_tensor(t, fn), ndim) for t in tensors)
    return shaped[0] if single else shaped


def _raised(x, ndim):
    """`x` with dims added as torch's atleast_1d/2d/3d add them (a view)."""
    if x.ndim >= ndim:
        return x
    if x.ndim == 0:
        return x.reshape((1,) * ndim)
    if x.ndim == 1:
        return x.reshape(1, -1) if ndim == 2 else x.reshape(1, -1, 1)
    return x.unsqueeze(-1)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (a 0-d one becomes (1,))."""
    return _at_least(tensors, 1, "atleast_1d")


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims ((n,) becomes (1, n))."""
    return _at_least(tensors, 2, "atleast_2d")


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims ((n,) becomes (1, n, 1), (m, n) becomes (m, n, 1))."""
    return _at_least(tensors, 3, "atleast_3d")


def hstack(tensors, *, out=None):
    """The tensors side by side: along dim 1, or dim 0 when they are 1-D."""
    parts = [_raised(t, 1) for t in _tensor_list(tensors, "hstack")]
    return write_out(cat(parts, 0 if parts[0].ndim == 1 else 1), out)


def _stacked(tensors, fn, ndim, dim, out, kernel=None):
    """The tensors made at least `ndim`-D, along `dim` (into `out`)."""
    parts = [_raised(t, ndim) for t in _tensor_list(tensors, fn, kernel)]
    return write_out(cat(parts, dim), out)


def vstack(tensors, *, out=None):
    """The tensors one below the other, made at least 2-D, along dim 0."""
    return _stacked(tensors, "vstack", 2, 0, out)


def row_stack(tensors, *, out=None):
    """``vstack`` (torch's alias)."""
    return _stacked(tensors, "row_stack", 2, 0, out, kernel="vstack")


def dstack(tensors, *, out=None):
    """The tensors made at least 3-D, along dim 2."""
    return _stacked(tensors, "dstack", 3, 2, out)


def column_stack(tensors, *, out=None):
    """The tensors as columns: 0-D and 1-D ones as (n, 1), along dim 1."""
    parts = [t.reshape(-1, 1) if t.ndim <= 1 else t
             for t in _tensor_list(tensors, "column_stack")]
    return write_out(cat(parts, 1), out)


def _moments(input, args, kwargs, fn, spread):
    """(var or std, mean) of `input` over the same dims: torch's ``var_mean(input,
    dim=None, *, correction=1, keepdim=False)`` and its ``unbiased`` forms."""
    x = _tensor(input, fn)
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{fn} only support floating point and complex dtypes")
    if args and isinstance(args[0], bool):          # (input, unbiased)
        dim, keepdim = None, False
    else:
        dim = args[0] if args else kwargs.get("dim")
        if not (dim is None or _is_int(dim) or isinstance(dim, (tuple, list))):
            raise invalid_combination(fn, ["Tensor", torch_typename(dim)], [
                "(Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False)",
                "(Tensor input, tuple of ints dim = None, *, Number correction = None, bool "
                "keepdim = False)",
                "(Tensor input, bool unbiased = True)\n      didn't match because some of the "
                f"arguments have invalid types: (Tensor, !{torch_typename(dim)}!)"])
        keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
    return getattr(x, spread)(*args, **kwargs), x.mean(dim, keepdim)


def var_mean(input, *args, **kwargs):
    """``(var, mean)`` over the same dims, as ``var`` takes them."""
    return _moments(input, args, kwargs, "var_mean", "var")


def std_mean(input, *args, **kwargs):
    """``(std, mean)`` over the same dims, as ``std`` takes them."""
    return _moments(input, args, kwargs, "std_mean", "std")
