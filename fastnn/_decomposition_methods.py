"""torch's matrix-decomposition methods of fastnn.Tensor (a mixin of Tensor, in the tensor
layer): det, logdet, slogdet, inverse, cholesky, qr, svd, pinverse. Each runs its op
(`fastnn._decompositions`) through the door; ``svd`` returns torch.svd's V (the transpose
of linalg.svd's Vh) and ``pinverse`` is torch's composition of the SVD's factors
(`pinv_composition`, which ``fastnn.linalg.pinv`` shares), so its gradient is theirs.
"""
import collections

import numpy as np

from ._args import torch_type_name

__all__ = ["DecompositionMethods", "return_type", "return_types_slogdet", "return_types_qr",
           "return_types_svd", "pinv_composition"]


def return_type(name, fields):
    """A named tuple that prints as torch's ``torch.return_types.<name>``."""
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"fastnn.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                                "__module__": __name__, "__qualname__": f"return_types_{name}"})


return_types_slogdet = return_type("slogdet", ["sign", "logabsdet"])
return_types_qr = return_type("qr", ["Q", "R"])
return_types_svd = return_type("svd", ["U", "S", "V"])


def _tolerances(x, atol, rtol):
    """torch's pinv/matrix_rank tolerances: atol 0 unless given; rtol eps * max(m, n)
    unless given, or 0 when only a positive atol is."""
    m, n = x.shape[-2:]
    atol_value = 0.0 if atol is None else float(atol)
    if rtol is None:
        rtol = np.finfo(x.dtype).eps * max(m, n) if atol_value <= 0 else 0.0
    return atol_value, float(rtol)


def spectral_tolerance(x, values, atol, rtol):
    """The cut-off below which `values` (non-negative, per matrix on the last dim) count
    as zero: max(atol, rtol * their largest), as a plain array (no gradient)."""
    atol, rtol = _tolerances(x, atol, rtol)
    largest = np.asarray(values).max(-1, keepdims=True, initial=0.0)
    return np.maximum(atol, rtol * largest)


def pinv_composition(x, atol, rtol, hermitian):
    """torch.linalg.pinv of the Tensor `x`: the SVD's (or eigh's) factors with the
    reciprocals of the values above the tolerance."""
    if x.ndim < 2 or x.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"linalg.pinv({torch_type_name(x.dtype)}{{{list(x.shape)}}}): "
                           f"expected a tensor with 2 or more dimensions of float, double, "
                           f"cfloat or cdouble types")
    m, n = x.shape[-2:]
    if not x.size:
        return x.new_zeros(x.shape[:-2] + (n, m))
    if hermitian:
        values, vectors = x._door("linalg_eigh", x, "L")
        kept = values.abs() > spectral_tolerance(x, np.abs(values), atol, rtol)
        inverse = (1 / values.masked_fill(~kept, 1.0)).masked_fill(~kept, 0.0)
        return (vectors * inverse.unsqueeze(-2)).matmul(vectors.mT)
    u, s, vh = x._door("linalg_svd", x, False)
    kept = s > spectral_tolerance(x, s, atol, rtol)
    inverse = (1 / s.masked_fill(~kept, 1.0)).masked_fill(~kept, 0.0)
    return (vh.mT * inverse.unsqueeze(-2)).matmul(u.mT)


class DecompositionMethods:
    """det, logdet, slogdet, inverse, cholesky, qr, svd, pinverse."""

    def det(self):
        """The determinant of each square matrix."""
        return self._door("linalg_det", self)

    def logdet(self):
        """log(det) of each square matrix: NaN for a negative determinant."""
        return self._door("logdet", self)

    def slogdet(self):
        """(sign, logabsdet) of the determinant of each square matrix."""
        return return_types_slogdet(*self._door("linalg_slogdet", self))

    def inverse(self):
        """The inverse of each square matrix."""
        return self._door("linalg_inv", self)

    def cholesky(self, upper=False):
        """The Cholesky factor (lower; upper when `upper`) of each positive-definite
        matrix."""
        return self._door("linalg_cholesky", self, upper, fn="cholesky")

    def qr(self, some=True):
        """(Q, R) of each matrix, reduced when `some`, else complete."""
        if some is not True and some is not False:
            raise TypeError(f"qr(): argument 'some' (position 1) must be bool, not "
                            f"{type(some).__name__}")
        return return_types_qr(*self._door("linalg_qr", self,
                                           "reduced" if some else "complete"))

    def svd(self, some=True, compute_uv=True):
        """(U, S, V) of each matrix, V not transposed; zero U and V (m by m, n by n)
        without `compute_uv`."""
        if self.ndim < 2 and self.dtype in (np.float32, np.float64):
            raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but "
                               f"has {self.ndim} dimensions instead")
        if not compute_uv:
            s = self._door("linalg_svd", self, False)[1]
            m, n = self.shape[-2:]
            batch = self.shape[:-2]
            return return_types_svd(self.new_zeros(batch + (m, m)), s,
                                    self.new_zeros(batch + (n, n)))
        u, s, vh = self._door("linalg_svd", self, not some)
        return return_types_svd(u, s, vh.mT)

    def pinverse(self, rcond=1e-15):
        """The pseudo-inverse of each matrix, singular values below `rcond` times the
        largest dropped."""
        return pinv_composition(self, None, rcond, False)
