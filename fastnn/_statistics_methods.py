"""torch's statistics methods of fastnn.Tensor (a mixin of Tensor, in the tensor layer):
``histc`` (an op of its own, registered in ``fastnn._statistics_functions``; not
differentiable, as in torch), ``cov``
and ``corrcoef`` (compositions of door ops, as torch's own are, so that autograd
differentiates them). The top-level functions are in ``fastnn._statistics_functions``.
"""
import warnings

import numpy as np

from ._args import array_arg, int_arg, number_arg, torch_type_name, torch_typename

__all__ = ["StatisticsMethods"]


def _plain(x):
    return np.ndarray.view(x, np.ndarray)


def _correction(value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"cov(): argument 'correction' must be int, not "
                        f"{torch_typename(value)}")
    return int(value)


def _weights(value, name, kind, observations):
    """`value` (fweights or aweights) checked as torch checks it, or None."""
    if value is None:
        return None
    if not (isinstance(value, np.ndarray) or hasattr(value, "__array__")):
        raise TypeError(f"cov(): argument '{name}' must be Tensor, not "
                        f"{torch_typename(value)}")
    plain = array_arg(value, "cov", name, None)
    if plain.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {plain.ndim} dimensions")
    integral = plain.dtype.kind in "iu"
    if (kind == "integral") != integral or (kind != "integral" and plain.dtype.kind != "f"):
        raise RuntimeError(f"cov(): expected {name} to have {kind} dtype but got {name} with "
                           f"{torch_type_name(plain.dtype)} dtype")
    if plain.size != observations:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {plain.size} != "
                           f"{observations}")
    if observations and not plain.min() >= 0:
        raise RuntimeError(f"cov(): {name} cannot be negative")
    return value


class StatisticsMethods:
    """histc, cov and corrcoef."""

    def histc(self, bins=100, min=0, max=0):
        """A histogram of `bins` equal bins over [min, max] (the data's own range when
        min == max); elements outside are left out; the counts in the input's dtype."""
        int_arg(bins, "histc", "bins", 1)           # a method's positions count from 1
        number_arg(min, "histc", "min", 2)
        number_arg(max, "histc", "max", 3)
        return self._door("histc", self, bins, min, max)

    def cov(self, *, correction=1, fweights=None, aweights=None):
        """The covariance matrix of the rows (variables) over the columns (observations),
        weighted by `fweights` (integer counts) and `aweights` (float weights), with
        `correction` subtracted from the degrees of freedom; as ``torch.cov``."""
        if self.ndim > 2:
            raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but "
                               f"got an input with {self.ndim} dimensions")
        if self.dtype == np.bool_:
            raise RuntimeError("cov(): bool dtype is not supported for input")
        correction = _correction(correction)
        data = self.view(1, -1) if self.ndim < 2 else self
        observations = data.shape[1]
        fweights = _weights(fweights, "fweights", "integral", observations)
        aweights = _weights(aweights, "aweights", "floating point", observations)
        w = fweights
        if aweights is not None:
            w = aweights if w is None else w * aweights
        w_sum = observations if w is None else w.sum()
        if w is not None and not np.all(_plain(w_sum) != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        avg = (data if w is None else data * w).sum(1) / w_sum
        if w is not None and correction != 0 and aweights is not None:
            norm = w_sum - correction * (w * aweights).sum() / w_sum
        else:
            norm = w_sum - correction
        if np.all(np.asarray(norm) <= 0):
            warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly "
                          "less than the number of observations.", UserWarning, stacklevel=2)
            norm = norm - norm      # +0, as torch's zero_(); a product would keep a sign
        centred = data - avg.unsqueeze(1)
        other = (centred if w is None else centred * w).t()
        if other.dtype.kind == "c":
            other = other.conj()
        return (centred.mm(other) / norm).squeeze()

    def corrcoef(self):
        """The Pearson correlation coefficients of the rows, clipped to [-1, 1]; as
        ``torch.corrcoef``."""
        if self.ndim > 2:
            raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions "
                               f"but got an input with {self.ndim} dimensions")
        c = self.cov()
        if c.ndim == 0:
            return c / c
        d = c.diagonal()
        stddev = (d.real if d.dtype.kind == "c" else d).sqrt()
        c = c / stddev.view(-1, 1)
        c = c / stddev.view(1, -1)
        return c.clip(-1, 1)
