"""PairwiseDistance and CosineSimilarity (torch's distance.py): layers over the functional
distances (fastnn/nn/functional/_distances.py)."""
from .. import functional as F
from .module import Module

__all__ = ["PairwiseDistance", "CosineSimilarity"]


class PairwiseDistance(Module):
    r"""The p-norm of ``x1 - x2 + eps`` over the last dim (see
    :func:`F.pairwise_distance`).

    Args:
        p (float): the norm's order. Default: 2
        eps (float): added to the difference. Default: 1e-6
        keepdim (bool): keep the reduced dim. Default: False

    Examples::

        >>> nn.PairwiseDistance()(fastnn.randn(8, 128), fastnn.randn(8, 128)).shape
        (8,)
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    r"""The cosine similarity of `x1` and `x2` along `dim` (see
    :func:`F.cosine_similarity`).

    Args:
        dim (int): the dim the vectors lie along. Default: 1
        eps (float): the smallest norm divided by. Default: 1e-8

    Examples::

        >>> nn.CosineSimilarity()(fastnn.randn(8, 128), fastnn.randn(8, 128)).shape
        (8,)
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
