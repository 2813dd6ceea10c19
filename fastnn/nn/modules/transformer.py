"""nn.TransformerEncoderLayer and nn.TransformerEncoder."""
import copy
import warnings

import numpy as np

from ..._grad import is_grad_enabled
from .. import functional as F
from .._utils import as_array
from ..functional._multi_head_attention import canonical_mask
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .group_norms import LayerNorm
from .linear import Linear
from .module import Module

__all__ = ["TransformerEncoderLayer", "TransformerEncoder"]


def _activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


class TransformerEncoderLayer(Module):
    r"""Self-attention then a feed-forward block, each with a residual connection and a
    LayerNorm, as ``torch.nn.TransformerEncoderLayer`` (same submodule names, so torch's
    state dicts load).

    Args:
        d_model: features of the input.
        nhead: attention heads.
        dim_feedforward: width of the feed-forward block. Default: 2048
        dropout (float): dropout after attention, inside and after the feed-forward block,
            and on the attention weights. Default: 0.1
        activation: "relu", "gelu" or a callable. Default: relu
        layer_norm_eps (float): Default: 1e-5
        batch_first (bool): (N, S, E) instead of (S, N, E). Default: False
        norm_first (bool): LayerNorm before each block instead of after. Default: False
        bias (bool): biases of the linear layers and LayerNorms. Default: True

    forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False): masks as in
    :class:`MultiheadAttention` (True: not attended).

    Example::
        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, batch_first=True)
        >>> layer(fastnn.randn(2, 10, 16)).shape
        (2, 10, 16)
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1,
                 activation=F.relu, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **factory)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _activation_fn(activation)
        if activation is F.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        dtype = as_array(src).dtype.newbyteorder("=")
        src_key_padding_mask = canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                              src_mask, "src_mask", dtype, stacklevel=4)
        src_mask = canonical_mask(src_mask, "src_mask", None, "", dtype, False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


def _nested_refusal(layer):
    """Why torch's encoder cannot run `layer` on nested tensors ("" when it can)."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    attn = layer.self_attn
    if layer.norm_first:
        return f"{name}.norm_first was True"
    if not attn.batch_first:
        return (f"{name}.self_attn.batch_first was not True(use batch_first for better "
                "inference performance)")
    if not attn._qkv_same_embed_dim:
        return f"{name}.self_attn._qkv_same_embed_dim was not True"
    if attn.in_proj_bias is None:
        return f"{name}.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return f"{name}.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
    if attn.num_heads % 2 == 1:
        return f"{name}.self_attn.num_heads is odd"
    return ""


def causal_mask(size, dtype):
    """torch's _generate_square_subsequent_mask: -inf above the diagonal, 0 elsewhere."""
    return np.triu(np.full((size, size), -np.inf, dtype), k=1)


class TransformerEncoder(Module):
    r"""`num_layers` deep copies of `encoder_layer` (``layers.0`` ...), then `norm` if
    given, as ``torch.nn.TransformerEncoder``.

    As torch's does in eval mode without gradients (its nested-tensor path: batch-first
    input, a left-aligned `src_key_padding_mask`, no `mask`, a layer that path supports),
    the output is zero at the padded positions. ``is_causal=None`` detects a causal
    `mask` as torch does.

    Example::
        >>> layer = nn.TransformerEncoderLayer(16, 4, batch_first=True)
        >>> encoder = nn.TransformerEncoder(layer, num_layers=2)
        >>> encoder(fastnn.randn(2, 10, 16)).shape
        (2, 10, 16)
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _nested_refusal(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is "
                          f"False because {why_not}", stacklevel=2)
            self.use_nested_tensor = False

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        array = as_array(src)       # metadata only: `src` itself keeps its autograd graph
        dtype = array.dtype.newbyteorder("=")
        src_key_padding_mask = canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                              mask, "mask", dtype, stacklevel=4)
        mask = canonical_mask(mask, "mask", None, "", dtype, False)
        first = self.layers[0]
        batch_first = first.self_attn.batch_first
        padded = self._nested(array, mask, src_key_padding_mask)
        seq_len = (array.shape[1 if batch_first else 0] if array.ndim == 3
                   else array.shape[0])
        if is_causal is None:
            is_causal = (mask is not None and mask.shape == (seq_len, seq_len)
                         and bool((mask == causal_mask(seq_len, mask.dtype)).all()))
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, is_causal=is_causal,
                           src_key_padding_mask=src_key_padding_mask)
        if padded is not None:
            output = output.copy()
            output[padded] = 0
        if self.norm is not None:
            output = self.norm(output)
        return output

    def _nested(self, src, mask, key_padding_mask):
        """The padded positions (N, S) that torch's nested-tensor path zeroes, or None
        when torch would not take that path."""
        first = self.layers[0]
        if (not getattr(self, "use_nested_tensor", False) or first.training or src.ndim != 3
                or key_padding_mask is None or mask is not None):
            return None
        keep = key_padding_mask == 0      # torch: logical_not of the canonical float mask
        if self.mask_check:
            # left-aligned: each row keeps a prefix of its positions
            counts = keep.sum(axis=1)
            prefix = np.arange(keep.shape[1])[None, :] < counts[:, None]
            if not (keep == prefix).all():
                return None
        grads = is_grad_enabled() and any(
            getattr(p, "requires_grad", False) for p in first.parameters())
        if grads:
            return None
        return ~keep
