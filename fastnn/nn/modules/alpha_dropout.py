"""AlphaDropout and FeatureAlphaDropout."""
from .. import functional as F
from .dropout import _DropoutNd

__all__ = ["AlphaDropout", "FeatureAlphaDropout"]


class AlphaDropout(_DropoutNd):
    r"""Alpha dropout for SELU networks, as ``torch.nn.AlphaDropout``: in training, dropped
    elements take SELU's negative saturation value and the output is scaled and shifted to
    keep zero mean and unit variance; the identity in eval mode. As torch's, the forward
    never works in place (`inplace` is only stored).

    Example::
        >>> out = nn.AlphaDropout(p=0.2)(fastnn.randn(20, 16))
    """

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    r"""Alpha dropout of whole channels (one draw per sample and channel), as
    ``torch.nn.FeatureAlphaDropout``.

    Example::
        >>> out = nn.FeatureAlphaDropout(p=0.2)(fastnn.randn(20, 16, 4, 4))
    """

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
