"""The top-level forms of `fastnn._indexed_update_methods`: ``fastnn.index_add``,
``index_copy``, ``index_fill`` and ``scatter_reduce`` (torch has no top-level in-place
forms of them). Any array is taken as a Tensor; ``out=`` where torch takes it."""
from ._dispatch import dispatch
from ._functions import _tensor

__all__ = ["index_add", "index_copy", "index_fill", "scatter_reduce"]

_MISSING = object()


def index_add(input, dim, index, source, *, alpha=1, out=None):
    """A copy of `input` with ``alpha * source`` added at the 1-d `index` along `dim`."""
    return dispatch("index_add", _tensor(input, "index_add"), dim, index, source, alpha=alpha,
                    out=out)


def index_copy(input, dim, index, source, *, out=None):
    """A copy of `input` with the slices of `source` at the int64 `index` along `dim`."""
    return dispatch("index_copy", _tensor(input, "index_copy"), dim, index, source, out=out)


def index_fill(input, dim, index, value):
    """A copy of `input` with `value` at the int64 `index` along `dim`."""
    return dispatch("index_fill", _tensor(input, "index_fill"), dim, index, value)


def scatter_reduce(input, dim, index, src, reduce=_MISSING, *, include_self=True, out=None):
    """A copy of `input` with `src` reduced ("sum", "prod", "mean", "amax", "amin") into the
    places `index` names along `dim`, with or without `input`'s own values there."""
    given = () if reduce is _MISSING else (reduce,)
    return dispatch("scatter_reduce", _tensor(input, "scatter_reduce"), dim, index, src,
                    *given, include_self=include_self, out=out)
