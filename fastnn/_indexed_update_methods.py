"""torch's indexed updates as methods of fastnn.Tensor (a mixin of Tensor, in the tensor
layer): ``index_add``, ``index_copy``, ``index_fill``, ``scatter_reduce`` and their in-place
forms. Each runs its op through the door (``self._door``); the entries, with torch's
checks, are in ``fastnn._indexed_update_ops``, the top-level functions in
``fastnn._indexed_update_functions``."""

__all__ = ["IndexedUpdateMethods"]

_MISSING = object()         # torch's own message for a missing reduce (the door's)


class IndexedUpdateMethods:
    """index_add, index_add_, index_copy, index_copy_, index_fill, index_fill_,
    scatter_reduce, scatter_reduce_."""

    def index_add(self, dim, index, source, *, alpha=1):
        """A copy with ``alpha * source`` added at the 1-d `index` along `dim` (repeated
        indices accumulate, in index order)."""
        return self._door("index_add", self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        """In-place :meth:`index_add`; returns the tensor."""
        return self._door("index_add_", self, dim, index, source, alpha=alpha)

    def index_copy(self, dim, index, source):
        """A copy with the slices of `source` written at the 1-d `index` along `dim` (index
        must be int64; where it repeats, which write wins is unspecified, as in torch)."""
        return self._door("index_copy", self, dim, index, source)

    def index_copy_(self, dim, index, source):
        """In-place :meth:`index_copy`; returns the tensor."""
        return self._door("index_copy_", self, dim, index, source)

    def index_fill(self, dim, index, value):
        """A copy with `value` (a number or a 0-d tensor) at the int64 `index` along `dim`
        (negative indices count from the end)."""
        return self._door("index_fill", self, dim, index, value)

    def index_fill_(self, dim, index, value):
        """In-place :meth:`index_fill`; returns the tensor."""
        return self._door("index_fill_", self, dim, index, value)

    def scatter_reduce(self, dim, index, src, reduce=_MISSING, *, include_self=True):
        """A copy with `src` reduced into the places `index` names along `dim`: reduce is
        "sum", "prod", "mean", "amax" or "amin"; without `include_self` the tensor's own
        values at those places are left out (integer means divide with floor)."""
        given = () if reduce is _MISSING else (reduce,)
        return self._door("scatter_reduce", self, dim, index, src, *given,
                          include_self=include_self)

    def scatter_reduce_(self, dim, index, src, reduce=_MISSING, *, include_self=True):
        """In-place :meth:`scatter_reduce`; returns the tensor."""
        given = () if reduce is _MISSING else (reduce,)
        return self._door("scatter_reduce_", self, dim, index, src, *given,
                          include_self=include_self)
