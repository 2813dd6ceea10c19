"""Tensor's random samplers (``bernoulli_``, ``exponential_``, ``random_``, ``geometric_``,
``log_normal_``, ``cauchy_``, ``bernoulli``, ``multinomial``): each passes the op door, whose
entries (checks, sampling) are in ``fastnn._random_sampling``."""

__all__ = ["RandomMethods"]


class RandomMethods:
    """The mixin of Tensor's random samplers (torch's signatures)."""

    __slots__ = ()

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fills with 0/1 draws, 1 with probability `p` (a float or a tensor of
        probabilities broadcast to this shape); returns itself."""
        return self._door("bernoulli_", self, p, generator=generator)

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fills with samples of Exp(lambd) (density ``lambd * exp(-lambd x)``)."""
        return self._door("exponential_", self, lambd, generator=generator)

    def random_(self, *args, generator=None, **kwargs):
        """``random_()``, ``random_(to)``, ``random_(from, to)``: integers uniform on
        [from, to); with no `to`, up to the dtype's top (2**mantissa digits for floats)."""
        return self._door("random_", self, *args, generator=generator, **kwargs)

    def geometric_(self, p, *, generator=None):
        """Fills with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
        return self._door("geometric_", self, p, generator=generator)

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        """Fills with ``exp(N(mean, std^2))`` samples."""
        return self._door("log_normal_", self, mean, std, generator=generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        """Fills with Cauchy(median, sigma) samples."""
        return self._door("cauchy_", self, median, sigma, generator=generator)

    def bernoulli(self, p=None, *, generator=None):
        """``fastnn.bernoulli(self, p)``: 0/1 draws (a new tensor)."""
        return self._door("bernoulli", self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """``fastnn.multinomial(self, ...)``: category indices drawn by these weights."""
        return self._door("multinomial", self, num_samples, replacement, generator=generator)
