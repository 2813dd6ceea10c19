"""torch's methods that are compositions of ops fastnn has (a mixin of Tensor, in the tensor
layer): ``movedim``/``moveaxis`` (a permute), ``narrow`` (an index), ``unbind`` (indexes),
``tril``/``triu`` (a masked_fill) and ``broadcast_to`` (an expand). Each checks its
arguments with torch's messages, then runs those ops through the door, so they are
recorded and differentiable as the ops are. ``fastnn._compose_functions`` has the
top-level forms (with ``meshgrid`` and ``argsort``).
"""
import numpy as np

from ._args import wrap_dim

__all__ = ["ComposeMethods"]


def _dims(value):
    return [int(value)] if np.ndim(value) == 0 else [int(d) for d in value]


class ComposeMethods:
    """movedim, moveaxis, narrow, unbind, tril, triu, broadcast_to."""

    def movedim(self, source, destination):
        """The dims `source` moved to the places `destination` (ints or sequences of the same
        length), the others in their order: a view."""
        src, dst = _dims(source), _dims(destination)
        if len(src) != len(dst):
            raise RuntimeError(
                f"movedim: Invalid source or destination dims: source ({src} dims) should "
                f"contain the same number of dims as destination ({dst} dims)")
        src = [wrap_dim(d, self.ndim) for d in src]
        dst = [wrap_dim(d, self.ndim) for d in dst]
        for name, given, dims in (("source", source, src), ("destination", destination, dst)):
            if len(set(dims)) != len(dims):
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({_dims(given)})")
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


def _tri(x, name, diagonal):
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return np.tri(x.shape[-2], x.shape[-1], int(diagonal), dtype=bool)
