"""nn.TransformerDecoderLayer, nn.TransformerDecoder and nn.Transformer (torch keeps them
in transformer.py with the encoder; they are compositions of the same modules)."""
import copy

import numpy as np

from .. import functional as F
from .. import init
from .._utils import as_array, factory_dtype, wrap
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .group_norms import LayerNorm
from .linear import Linear
from .module import Module
from .transformer import (TransformerEncoder, TransformerEncoderLayer, _activation_fn,
                          causal_mask)

__all__ = ["TransformerDecoderLayer", "TransformerDecoder", "Transformer"]


class TransformerDecoderLayer(Module):
    r"""Self-attention, attention over the encoder's output (`memory`), then a feed-forward
    block, each with a residual connection and a LayerNorm, as
    ``torch.nn.TransformerDecoderLayer`` (same submodule names, so torch's state dicts
    load).

    Args:
        d_model: features of the input.
        nhead: attention heads.
        dim_feedforward: width of the feed-forward block. Default: 2048
        dropout (float): dropout after each attention, inside and after the feed-forward
            block, and on the attention weights. Default: 0.1
        activation: "relu", "gelu" or a callable. Default: relu
        layer_norm_eps (float): Default: 1e-5
        batch_first (bool): (N, T, E) instead of (T, N, E). Default: False
        norm_first (bool): LayerNorm before each block instead of after. Default: False
        bias (bool): biases of the linear layers and LayerNorms. Default: True

    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False): masks as
    in :class:`MultiheadAttention` (True: not attended).

    Example::
        >>> layer = nn.TransformerDecoderLayer(d_model=16, nhead=4, batch_first=True)
        >>> layer(fastnn.randn(2, 7, 16), fastnn.randn(2, 10, 16)).shape
        (2, 7, 16)
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1,
                 activation=F.relu, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **factory)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, **factory)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _activation_fn(activation)
        self.activation = activation

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask,
                                              tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask,
                                               memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    # self-attention then dropout1: the encoder layer's block, on the same submodules
    _sa_block = TransformerEncoderLayer._sa_block

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


def _is_causal_mask(mask, is_causal, size):
    """torch's _detect_is_causal_mask: `is_causal`, or when it is None, whether `mask`
    equals the causal mask of its dtype (a bool one: True above the diagonal)."""
    if is_causal is not None or mask is None:
        return is_causal is True
    mask = as_array(mask)
    size = size if size is not None else mask.shape[-2]
    if mask.dtype.kind == "b":
        causal = np.triu(np.ones((size, size), bool), k=1)
    else:
        causal = causal_mask(size, mask.dtype)
    return mask.shape == causal.shape and bool((mask == causal).all())


class TransformerDecoder(Module):
    r"""`num_layers` deep copies of `decoder_layer` (``layers.0`` ...), then `norm` if
    given, as ``torch.nn.TransformerDecoder``. ``tgt_is_causal=None`` detects a causal
    `tgt_mask` as torch does.

    Example::
        >>> layer = nn.TransformerDecoderLayer(16, 4, batch_first=True)
        >>> decoder = nn.TransformerDecoder(layer, num_layers=2)
        >>> decoder(fastnn.randn(2, 7, 16), fastnn.randn(2, 10, 16)).shape
        (2, 7, 16)
    """

    __constants__ = ["norm"]

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        shape = as_array(tgt).shape
        if len(shape) == 2:
            seq_len = shape[0]
        else:
            seq_len = shape[1 if self.layers[0].self_attn.batch_first else 0]
        tgt_is_causal = _is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    r"""An encoder-decoder transformer, as ``torch.nn.Transformer``: a
    :class:`TransformerEncoder` of `num_encoder_layers` layers and a
    :class:`TransformerDecoder` of `num_decoder_layers` layers, each ending in a LayerNorm
    (or `custom_encoder` / `custom_decoder`). Every parameter with more than one dim is
    re-initialised with ``xavier_uniform_``, as torch's.

    forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
    src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
    src_is_causal=None, tgt_is_causal=None, memory_is_causal=False): the decoder's output,
    shaped as `tgt`.

    Example::
        >>> model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2,
        ...                        num_decoder_layers=2, dim_feedforward=32)
        >>> model(fastnn.randn(10, 2, 16), fastnn.randn(7, 2, 16)).shape
        (7, 2, 16)
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation=F.relu, custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False,
                 norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                    activation, layer_norm_eps, batch_first,
                                                    norm_first, bias, **factory)
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers,
                                              encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                    activation, layer_norm_eps, batch_first,
                                                    norm_first, bias, **factory)
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        src_shape, tgt_shape = as_array(src).shape, as_array(tgt).shape
        if len(src_shape) == 3:
            batch = 0 if self.batch_first else 1
            if src_shape[batch] != _size(tgt_shape, batch):
                raise RuntimeError("the batch number of src and tgt must be equal")
        if _size(src_shape, -1) != self.d_model or _size(tgt_shape, -1) != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The causal float mask (sz, sz): -inf above the diagonal, 0 elsewhere."""
        return wrap(causal_mask(sz, factory_dtype(device, dtype)))

    def _reset_parameters(self):
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)


def _size(shape, dim):
    """shape[dim] with torch's IndexError for a dim out of range."""
    if not -len(shape) <= dim < len(shape):
        if not shape:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-len(shape)}, {len(shape) - 1}], but got {dim})")
    return shape[dim]
