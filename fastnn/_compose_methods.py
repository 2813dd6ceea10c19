"""torch's methods that are compositions of ops fastnn has (a mixin of Tensor, in the tensor
layer): ``movedim``/``moveaxis`` (a permute), ``narrow`` (an index), ``unbind`` (indexes),
``tril``/``triu`` (a masked_fill), ``broadcast_to`` (an expand), ``tile`` (a repeat),
``repeat_interleave`` (an index_select), ``outer`` (a multiply) and ``logsumexp`` (amax,
exp, sum, log). Each checks its
arguments with torch's messages, then runs those ops through the door, so they are
recorded and differentiable as the ops are. ``fastnn._compose_functions`` has the
top-level forms (with ``meshgrid`` and ``argsort``).
"""
import numpy as np

from ._args import int_tuple_arg, wrap_dim
from ._dtypes import get_default_dtype

__all__ = ["ComposeMethods", "expanded"]


def expanded(x, shape):
    """`x` broadcast to `shape` (``expand``, with its errors; `x` itself when it has that
    shape, so nothing is recorded)."""
    return x if x.shape == tuple(shape) else x.expand(*shape)


def _dims(value, fn, name):
    """An int or a sequence of ints (torch's ``int[]``) as a list, with torch's TypeError."""
    return list(int_tuple_arg((value,), fn, name))


class ComposeMethods:
    """movedim, moveaxis, narrow, unbind, tril, triu, broadcast_to, tile,
    repeat_interleave, outer, logsumexp."""

    def movedim(self, source, destination):
        """The dims `source` moved to the places `destination` (ints or sequences of the same
        length), the others in their order: a view."""
        given = {"source": _dims(source, "movedim", "source"),
                 "destination": _dims(destination, "movedim", "destination")}
        if len(given["source"]) != len(given["destination"]):
            raise RuntimeError(
                f"movedim: Invalid source or destination dims: source ({given['source']} "
                f"dims) should contain the same number of dims as destination "
                f"({given['destination']} dims)")
        wrapped = {name: [wrap_dim(d, self.ndim) for d in dims] for name, dims in given.items()}
        for name, dims in wrapped.items():
            if len(set(dims)) != len(dims):
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({given[name]})")
        src, dst = wrapped["source"], wrapped["destination"]
        order = [None] * self.ndim
        for s, d in zip(src, dst):
            order[d] = s
        rest = iter(d for d in range(self.ndim) if d not in src)
        return self.permute([d if d is not None else next(rest) for d in order])

    def moveaxis(self, source, destination):
        """``movedim`` (torch's alias, numpy's name)."""
        return self.movedim(source, destination)

    def narrow(self, dim, start, length):
        """A view of `length` elements of `dim` from `start` (negative counts from the end)."""
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        dim = wrap_dim(dim, self.ndim)
        size = self.shape[dim]
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, "
                             f"{size}], but got {start})")
        start = start + size if start < 0 else start
        if start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                               f"({size}).")
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def unbind(self, dim=0):
        """The slices along `dim`, each without that dim, as a tuple of views."""
        dim = wrap_dim(dim, self.ndim)
        return tuple(self[(slice(None),) * dim + (i,)] for i in range(self.shape[dim]))

    def tril(self, diagonal=0):
        """The lower triangle of the last two dims (on and below `diagonal`), zeros above."""
        return self.masked_fill(~_tri(self, "tril", diagonal), 0)

    def triu(self, diagonal=0):
        """The upper triangle of the last two dims (on and above `diagonal`), zeros below."""
        return self.masked_fill(_tri(self, "triu", diagonal - 1), 0)

    def broadcast_to(self, size):
        """A view expanded to `size` (``expand``, with its errors)."""
        return self.expand(*size) if np.ndim(size) else self.expand(size)

    def tile(self, dims):
        """Copies of the tensor laid side by side `dims` times per dim (``repeat``, with
        ones before `dims` where the tensor has more dims)."""
        dims = _dims(dims, "tile", "dims")
        return self.repeat(*([1] * (self.ndim - len(dims)) + dims))

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element (or slice along `dim`) repeated `repeats` times in place, one count
        for all or one per slice; the flattened tensor without `dim` (an
        ``index_select``)."""
        x = self.reshape(-1) if dim is None else self
        dim = 0 if dim is None else wrap_dim(dim, self.ndim)
        counts = _repeat_counts(repeats, x.shape[dim] if x.ndim else 1, dim)
        if output_size is not None and output_size != counts.sum():
            raise RuntimeError("allocated size does not match required size")
        index = np.repeat(np.arange(len(counts)), counts)
        return x.index_select(dim, index.view(type(self)))

    def outer(self, vec2):
        """The outer product of two 1-D tensors (``self[:, None] * vec2[None, :]``)."""
        for name, v in (("self", self), ("vec2", vec2)):
            if np.ndim(v) != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got "
                                   f"{np.ndim(v)}-D")
        return self.reshape(-1, 1) * vec2

    def logsumexp(self, dim=None, keepdim=False):
        """log(sum(exp(x))) over `dim` (an int or a sequence), shifted by the maximum so no
        term overflows; -inf where every term is -inf; integers give the default float
        dtype."""
        if dim is None:
            raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
        x = self if self.dtype.kind in "fc" else self.to(get_default_dtype())
        shift = x.amax(dim, keepdim=True).detach()
        shift = shift.masked_fill(np.asarray(np.isinf(np.asarray(shift))), 0)
        total = (x - shift).exp().sum(dim, keepdim=keepdim).log()
        return total + (shift if keepdim else shift.reshape(total.shape))


def _tri(x, name, diagonal):
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return np.tri(x.shape[-2], x.shape[-1], int(diagonal), dtype=bool)


def _repeat_counts(repeats, size, dim):
    """The count per slice of ``repeat_interleave``, with torch's checks."""
    if np.ndim(repeats) == 0:
        count = int(repeats)
        if count < 0:
            raise RuntimeError("Repeats must be non-negative")
        return np.full(size, count, np.int64)
    counts = np.asarray(repeats)
    if counts.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if counts.shape[0] != size:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.shape[0]} and input.size({dim}) = {size}")
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    return counts.astype(np.int64)
