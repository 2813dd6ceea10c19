"""Paired min/max and runs of equal values (a mixin of Tensor): ``x.aminmax()`` and
``x.unique_consecutive()``, compositions of the door's ops (amin/amax; not_equal, cat,
nonzero, index_select, cumsum, diff), so autograd reaches the values. The top-level forms
are in `fastnn._index_functions` and `fastnn._set_functions`."""
import collections
import numbers

import numpy as np

from ._args import torch_typename, wrap_dim

__all__ = ["SetMethods", "return_types_aminmax"]

_aminmax_base = collections.namedtuple("aminmax", ["min", "max"])


class return_types_aminmax(_aminmax_base):
    """(min, max), printed as torch's ``torch.return_types.aminmax``."""
    __slots__ = ()

    def __repr__(self):
        return f"fastnn.return_types.aminmax(\nmin={self.min!r},\nmax={self.max!r})"


class SetMethods:
    """The paired min/max and the runs of equal values of a Tensor."""

    def aminmax(self, *, dim=None, keepdim=False):
        """(min, max) of the tensor, over `dim` when given (``torch.aminmax``); NaN
        propagates."""
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, numbers.Integral)):
            raise TypeError(f"aminmax(): argument 'dim' must be int, not {torch_typename(dim)}")
        if keepdim is not True and keepdim is not False:
            raise TypeError(f"aminmax(): argument 'keepdim' must be bool, not "
                            f"{torch_typename(keepdim)}")
        if dim is None:
            if self.size == 0:
                raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension "
                                   "as the operation has no identity.")
            dim = tuple(range(self.ndim))
        else:
            wrapped = wrap_dim(dim, self.ndim)
            if self.ndim and self.shape[wrapped] == 0:
                raise IndexError(f"aminmax: Expected reduction dim {wrapped} to have non-zero "
                                 "size.")
        return return_types_aminmax(self.amin(dim, keepdim), self.amax(dim, keepdim))

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """The values (or slices along `dim`) with each run of equal neighbours kept once;
        with the run each element falls in and each run's length on request (a tuple then)
        (``torch.unique_consecutive``). NaNs are never equal, so each is a run of its own."""
        if dim is None:
            flat = self.reshape(-1)
            values, inverse, counts = _runs(flat, 0, lambda a, b: a.ne(b))
            inverse = inverse.reshape(self.shape)
        else:
            dim = _unique_dim(self, dim)
            values, inverse, counts = _runs(self, dim, lambda a, b: a.movedim(dim, 0).reshape(
                a.shape[dim], -1).ne(b.movedim(dim, 0).reshape(b.shape[dim], -1)).any(1))
        result = (values,) + ((inverse,) if return_inverse else ()) + (
            (counts,) if return_counts else ())
        return result[0] if len(result) == 1 else result


def _unique_dim(x, dim):
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"unique_consecutive(): argument 'dim' must be int, not "
                        f"{torch_typename(dim)}")
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    dim = wrap_dim(dim, x.ndim)
    if any(n == 0 for d, n in enumerate(x.shape) if d != dim):
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                           "cannot be applied")
    return dim


def _runs(x, dim, differ):
    """(the first slice of each run along `dim`, each slice's run, each run's length), where
    ``differ(a, b)`` says which slices of `a` differ from the same slices of `b`."""
    size = x.shape[dim]
    if size == 0:
        empty = x.new_zeros(0, dtype=np.int64)
        return x, empty, empty
    after = x.narrow(dim, 1, size - 1)
    keep = x._door("cat", [x.new_ones(1, dtype=np.bool_),
                           differ(after, x.narrow(dim, 0, size - 1))], 0)
    starts = keep.nonzero().reshape(-1)
    counts = x._door("cat", [starts, starts.new_full((1,), size)], 0).diff()
    return x.index_select(dim, starts), keep.cumsum(0).sub(1), counts
