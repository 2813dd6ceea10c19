"""The top-level forms of ``fastnn._compose_methods``' methods (``fastnn.movedim``,
``narrow``, ``unbind``, ``tril``, ``triu``, ``broadcast_to``, ``tile``,
``repeat_interleave``, ``outer``, ``logsumexp``), and ``meshgrid`` (reshapes
and expands) and ``argsort`` (the indices of ``sort``), each on ops fastnn has, with
torch's checks."""
import warnings

from ._creation import arange
from ._functions import _tensor
from ._out_arg import write_out

__all__ = ["movedim", "moveaxis", "narrow", "unbind", "tril", "triu", "broadcast_to",
           "tile", "repeat_interleave", "outer", "logsumexp", "meshgrid", "argsort"]


def movedim(input, source, destination):
    """`input` with the dims `source` moved to `destination` (``torch.movedim``)."""
    return _tensor(input, "movedim").movedim(source, destination)


def moveaxis(input, source, destination):
    """``movedim`` (torch's alias)."""
    return _tensor(input, "moveaxis").movedim(source, destination)


def narrow(input, dim, start, length):
    """A view of `length` elements of `dim` from `start` (``torch.narrow``)."""
    return _tensor(input, "narrow").narrow(dim, start, length)


def unbind(input, dim=0):
    """The slices of `input` along `dim`, as a tuple of views (``torch.unbind``)."""
    return _tensor(input, "unbind").unbind(dim)


def tril(input, diagonal=0, *, out=None):
    """The lower triangle of the last two dims, zeros above `diagonal` (``torch.tril``)."""
    return write_out(_tensor(input, "tril").tril(diagonal), out)


def triu(input, diagonal=0, *, out=None):
    """The upper triangle of the last two dims, zeros below `diagonal` (``torch.triu``)."""
    return write_out(_tensor(input, "triu").triu(diagonal), out)


def broadcast_to(input, size):
    """`input` expanded to `size` (``torch.broadcast_to``)."""
    return _tensor(input, "broadcast_to").broadcast_to(size)


def tile(input, dims):
    """`input` laid side by side `dims` times per dim (``torch.tile``)."""
    return _tensor(input, "tile").tile(dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along `dim`) of `input` repeated `repeats` times in place
    (``torch.repeat_interleave``); with `input` alone, the indices 0..n-1 each repeated as
    many times as `input` says."""
    if repeats is None:
        counts = _tensor(input, "repeat_interleave")
        return arange(counts.shape[0] if counts.ndim else 1).repeat_interleave(
            counts, output_size=output_size)
    return _tensor(input, "repeat_interleave").repeat_interleave(repeats, dim,
                                                                 output_size=output_size)


def outer(input, vec2):
    """The outer product of two 1-D tensors (``torch.outer``)."""
    return _tensor(input, "outer").outer(vec2)


def logsumexp(input, dim=None, keepdim=False):
    """log(sum(exp(input))) over `dim`, computed without overflow (``torch.logsumexp``)."""
    return _tensor(input, "logsumexp").logsumexp(dim, keepdim)


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort `input` along `dim` (``torch.argsort``: those of ``sort``)."""
    return _tensor(input, "argsort").argsort(dim, descending, stable=stable)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 1-D (or 0-d) tensors, as views: with ``indexing="ij"`` (torch's
    default, with its warning when not given) grid k varies along dim k; with "xy" the
    first two tensors trade places in the grids' shape (``torch.meshgrid``)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass "
                      "the indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    tensors = [_tensor(t, "meshgrid") for t in tensors]
    if any(t.dtype != tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in tensors:
        if t.ndim > 1:       # torch prints the tensor itself after "got:"
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor "
                               f"list but got: a tensor of shape {list(t.shape)}")
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors[0], tensors[1] = tensors[1], tensors[0]
    shape = tuple(t.numel() for t in tensors)
    grids = []
    for k, t in enumerate(tensors):
        view = [1] * len(shape)
        view[k] = -1
        grids.append(t.reshape(view).expand(*shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)
