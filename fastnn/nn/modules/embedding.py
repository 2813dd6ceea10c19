"""nn.Embedding and nn.EmbeddingBag (torch keeps them in sparse.py)."""
import numpy as np

from ... import _creation
from .. import functional as F
from .. import init
from .._utils import factory_dtype
from ..functional._embedding import padding_index
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding", "EmbeddingBag"]


class _Table(Module):
    """The (num_embeddings, embedding_dim) weight Embedding and EmbeddingBag look rows up
    in: drawn from N(0, 1) with the padding row zeroed, or `_weight` itself (shared)."""

    def _make_weight(self, num_embeddings, embedding_dim, padding_idx, _weight, dtype,
                     requires_grad):
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_index(padding_idx, num_embeddings)
        if _weight is None:
            self.weight = Parameter(_creation.empty((num_embeddings, embedding_dim),
                                                    dtype=dtype))
            self.reset_parameters()
        else:
            if list(np.shape(_weight)) != [num_embeddings, embedding_dim]:
                raise AssertionError(
                    "Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight, requires_grad=requires_grad)

    def reset_parameters(self):
        """Weight from N(0, 1), then the padding row zeroed."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            init.zeros_(self.weight[self.padding_idx])

    def _norm_repr(self, show):
        """extra_repr's max_norm, norm_type and scale_grad_by_freq parts where they are not
        the defaults, each value through `show` (torch's Embedding prints str, its
        EmbeddingBag repr)."""
        s = ""
        if self.max_norm is not None:
            s += f", max_norm={show(self.max_norm)}"
        if self.norm_type != 2:
            s += f", norm_type={show(self.norm_type)}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={show(self.scale_grad_by_freq)}"
        return s


class Embedding(_Table):
    r"""A lookup table of `num_embeddings` vectors of size `embedding_dim`, as
    ``torch.nn.Embedding``.

    Args:
        num_embeddings (int): size of the table.
        embedding_dim (int): size of each vector.
        padding_idx (int, optional): its row starts as zeros (and would get no gradient);
            a negative index counts from the end and is stored counted from the front.
        max_norm (float, optional): rows looked up whose norm exceeds it are rescaled to
            it, in the weight itself.
        norm_type (float): the p of the p-norm for `max_norm`. Default: 2.0
        scale_grad_by_freq, sparse (bool): gradient options, accepted and stored.
        _weight: a (num_embeddings, embedding_dim) array to use as the weight (shared).
        _freeze (bool): the weight's ``requires_grad`` is ``not _freeze``.

    Attributes:
        weight: :math:`(\text{num\_embeddings}, \text{embedding\_dim})`, initialised from
            :math:`\mathcal{N}(0, 1)`, the `padding_idx` row zeroed.

    Shape: integer indices :math:`(*)` give :math:`(*, \text{embedding\_dim})`.

    Example::
        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(fastnn.tensor([[0, 2, 4]])).shape
        (1, 3, 3)
    """

    __constants__ = ["num_embeddings", "embedding_dim", "padding_idx", "max_norm",
                     "norm_type", "scale_grad_by_freq", "sparse"]

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self._make_weight(num_embeddings, embedding_dim, padding_idx, _weight,
                          factory_dtype(device, dtype), not _freeze)
        self.sparse = sparse

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm,
                           self.norm_type, self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        s += self._norm_repr(str)
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        r"""An Embedding whose weight is `embeddings` (2-D, shared, not copied; its padding
        row is left as given). `freeze`: the weight's ``requires_grad`` is False."""
        if np.ndim(embeddings) != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = np.shape(embeddings)
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings,
                   _freeze=freeze, padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


class EmbeddingBag(_Table):
    r"""Sums, means or maxima of bags of embeddings, as ``torch.nn.EmbeddingBag``; see
    :func:`F.embedding_bag`.

    Args:
        num_embeddings (int): size of the table.
        embedding_dim (int): size of each vector.
        max_norm, norm_type, scale_grad_by_freq, mode, sparse, include_last_offset: as
            :func:`F.embedding_bag`. Default mode: ``'mean'``
        _weight: a (num_embeddings, embedding_dim) array to use as the weight (shared).
        padding_idx (int, optional): its row starts as zeros and is left out of every bag;
            a negative index counts from the end and is stored counted from the front.

    Attributes:
        weight: :math:`(\text{num\_embeddings}, \text{embedding\_dim})`, initialised from
            :math:`\mathcal{N}(0, 1)`, the `padding_idx` row zeroed.

    Shape: ``forward(input, offsets=None, per_sample_weights=None)``: indices :math:`(B, N)`,
    or :math:`(N,)` with `offsets` :math:`(B,)`, give :math:`(B, \text{embedding\_dim})`.

    Example::
        >>> bag = nn.EmbeddingBag(10, 3, mode="sum")
        >>> bag(fastnn.tensor([1, 2, 4, 5]), fastnn.tensor([0, 2])).shape
        (2, 3)
    """

    __constants__ = ["num_embeddings", "embedding_dim", "max_norm", "norm_type",
                     "scale_grad_by_freq", "mode", "sparse", "include_last_offset",
                     "padding_idx"]

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None,
                 include_last_offset=False, padding_idx=None, device=None, dtype=None):
        super().__init__()
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self._make_weight(num_embeddings, embedding_dim, padding_idx, _weight,
                          factory_dtype(device, dtype), True)
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                               self.scale_grad_by_freq, self.mode, self.sparse,
                               per_sample_weights, self.include_last_offset,
                               self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings!r}, {self.embedding_dim!r}" + self._norm_repr(repr)
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx!r}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode="mean", sparse=False,
                        include_last_offset=False, padding_idx=None):
        r"""An EmbeddingBag whose weight is `embeddings` (2-D, shared, not copied; its
        padding row is left as given). `freeze`: the weight's ``requires_grad`` is False."""
        if np.ndim(embeddings) != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = np.shape(embeddings)
        bag = cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings,
                  max_norm=max_norm, norm_type=norm_type,
                  scale_grad_by_freq=scale_grad_by_freq, mode=mode, sparse=sparse,
                  include_last_offset=include_last_offset, padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
