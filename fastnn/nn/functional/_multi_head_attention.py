"""Multi-head attention, as ``torch.nn.functional.multi_head_attention_forward``.

A composition of door ops, step for step as torch's Python function: the input
projections and the output projection are ``F.linear``; without `need_weights` the
attention is ``F.scaled_dot_product_attention`` (fully masked rows give zeros); with
`need_weights` it is the same fused kernel writing the weights too, with torch's plain
softmax there (fully masked rows give NaN, as torch's). The checks are torch's, in its
order and words (many are AssertionErrors in torch, and stay so).
"""
import warnings

import numpy as np

from ..._creation import cat
from ...tensor import Tensor
from .._utils import as_array, wrap
from ..._dispatch import dispatch
from ._attention import scaled_dot_product_attention
from ._linear import linear

__all__ = ["multi_head_attention_forward"]


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """torch's _mha_shape_check: whether the input is batched."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D "
                f"but found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                f"but found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or "
                f"1-D but found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                    f"3-D but found {attn_mask.ndim}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and attn_mask.shape != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but "
                                     f"got {_size(attn_mask.shape)}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.ndim}-D query tensor")


def _tensor(value):
    """`value` as a fastnn Tensor without a copy (a Tensor stays itself)."""
    return value if isinstance(value, Tensor) else wrap(as_array(value))


def _thirds(packed):
    """q, k and v's rows of a packed (3E, ...) projection, by indexing (door ops)."""
    size = packed.shape[0] // 3
    return tuple(packed[i * size:(i + 1) * size] for i in range(3))


def _size(shape):
    return f"torch.Size({list(shape)})"


def canonical_mask(mask, name, other, other_name, dtype, check_other=True, stacklevel=3):
    """torch's _canonical_mask: a bool mask becomes an additive float mask of `dtype`
    (True: -inf); a float mask is kept; other dtypes are refused."""
    if mask is None:
        return None
    mask = _tensor(mask)
    if mask.dtype.kind not in "bf":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if check_other and other is not None and as_array(other).dtype != mask.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=stacklevel)
    if mask.dtype.kind == "b":
        additive = np.zeros(mask.shape, dtype)
        additive[mask] = -np.inf
        return wrap(additive)
    return _tensor(mask)


def multi_head_attention_forward(
        query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
        bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
        training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
        use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
        v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
        is_causal=False):
    r"""Multi-head attention of sequence-first inputs, as torch's function of this name.

    Shape: query :math:`(L, N, E)` or :math:`(L, E)`, key/value :math:`(S, N, E_{k,v})`
    or :math:`(S, E_{k,v})`; returns ``(attn_output, attn_output_weights)``: the output
    :math:`(L, N, E)` and, when `need_weights`, the weights :math:`(N, L, S)` (averaged
    over heads) or :math:`(N, H, L, S)`, else None. See ``nn.MultiheadAttention``.
    """
    # Tensors throughout, reshaped by their door ops, so that a traced model
    # (fastnn.optimize_for_inference) sees every step
    query, key, value = _tensor(query), _tensor(key), _tensor(value)
    key_padding_mask = None if key_padding_mask is None else _tensor(key_padding_mask)
    attn_mask = None if attn_mask is None else _tensor(attn_mask)
    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    dtype = query.dtype.newbyteorder("=")
    key_padding_mask = canonical_mask(key_padding_mask, "key_padding_mask", attn_mask,
                                      "attn_mask", dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = canonical_mask(attn_mask, "attn_mask", None, "", dtype, False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, "
                             f"but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {_size(key.shape[:2])} do "
                                 f"not match value's {_size(value.shape[:2])}")
    elif key.shape != value.shape:
        raise AssertionError(f"key shape {_size(key.shape)} does not match value shape "
                             f"{_size(value.shape)}")
    q, k, v = _projections(query, key, value, in_proj_weight, in_proj_bias,
                           use_separate_proj_weight, q_proj_weight, k_proj_weight,
                           v_proj_weight)
    if attn_mask is not None:
        attn_mask = _checked_attn_mask(attn_mask, tgt_len, key.shape[0], bsz * num_heads)
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, _tensor(bias_k).repeat(1, bsz, 1)])
        v = cat([v, _tensor(bias_v).repeat(1, bsz, 1)])
        attn_mask, key_padding_mask = _pad_masks(attn_mask, key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")
    heads = bsz * num_heads
    q = q.reshape(tgt_len, heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, heads, head_dim, "static_k")
    v = _heads(v, static_v, heads, head_dim, "static_v")
    if add_zero_attn:
        zeros = _tensor(np.zeros((heads, 1, head_dim), dtype))
        k, v = cat([k, zeros], dim=1), cat([v, zeros], dim=1)
        attn_mask, key_padding_mask = _pad_masks(attn_mask, key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but "
                                 f"got {key_padding_mask.shape[1]}")
        padding = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(
            -1, num_heads, -1, -1).reshape(heads, 1, src_len)
        attn_mask = padding if attn_mask is None else attn_mask + padding
    if not training:
        dropout_p = 0.0
    if need_weights:
        out, weights = _weighted_attention(q, k, v, attn_mask, dropout_p, is_causal)
    else:
        if attn_mask is not None:
            attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                         and attn_mask.ndim == 3
                         else attn_mask.reshape(bsz, num_heads, -1, src_len))
        shape4 = (bsz, num_heads, -1, head_dim)
        out = scaled_dot_product_attention(q.reshape(shape4), k.reshape(shape4),
                                           v.reshape(shape4), attn_mask, dropout_p,
                                           is_causal)
        weights = None
    out = out.reshape(bsz, num_heads, tgt_len, head_dim)
    out = out.permute(2, 0, 1, 3).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if weights is not None:
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
    if not batched:
        out = out[:, 0]
        if weights is not None:
            weights = weights[0]
    return out, weights


def _projections(query, key, value, in_proj_weight, in_proj_bias, separate, q_weight,
                 k_weight, v_weight):
    """torch's _in_projection_packed / _in_projection, through F.linear."""
    embed_dim = query.shape[-1]
    biases = (None,) * 3 if in_proj_bias is None else _thirds(_tensor(in_proj_bias))
    if not separate:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is "
                                 "None")
        weights = _thirds(_tensor(in_proj_weight))
    else:
        for name, weight in (("q", q_weight), ("k", k_weight), ("v", v_weight)):
            if weight is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}"
                                     "_proj_weight is None")
        weights = tuple(_tensor(w) for w in (q_weight, k_weight, v_weight))
        sizes = (embed_dim, key.shape[-1], value.shape[-1])
        for label, weight, size in zip(("query", "key", "value"), weights, sizes):
            if weight.shape != (embed_dim, size):
                raise AssertionError(f"expecting {label} weights shape of "
                                     f"{(embed_dim, size)}, but got {_size(weight.shape)}")
        for label, bias in zip(("query", "key", "value"), biases):
            if bias is not None and bias.shape != (embed_dim,):
                raise AssertionError(f"expecting {label} bias shape of {(embed_dim,)}, but "
                                     f"got {_size(bias.shape)}")
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def _checked_attn_mask(attn_mask, tgt_len, src_len, heads):
    if attn_mask.ndim == 2:
        if attn_mask.shape != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {_size(attn_mask.shape)}, "
                               f"but should be {(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.ndim == 3:
        if attn_mask.shape != (heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {_size(attn_mask.shape)}, "
                               f"but should be {(heads, tgt_len, src_len)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")


def _pad_masks(attn_mask, key_padding_mask):
    """F.pad(mask, (0, 1)) of both masks: one more key that nothing masks."""
    def pad(mask):
        if mask is None:
            return None
        return cat([mask, _tensor(np.zeros(mask.shape[:-1] + (1,), mask.dtype))], -1)
    return pad(attn_mask), pad(key_padding_mask)


def _heads(x, static, heads, head_dim, name):
    """(S, N, E) -> (N*H, S, hd), or the given static (N*H, S, hd) array, checked."""
    if static is None:
        return x.reshape(x.shape[0], heads, head_dim).transpose(0, 1)
    static = _tensor(static)
    if static.shape[0] != heads:
        raise AssertionError(f"expecting {name}.size(0) of {heads}, but got "
                             f"{static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got "
                             f"{static.shape[2]}")
    return static


def _weighted_attention(q, k, v, attn_mask, dropout_p, is_causal):
    """torch's need_weights path: softmax(q k^T / sqrt(hd) + mask), dropout, @ v, through
    the door's attention op; returns (output (B, L, hd), weights (B, L, S))."""
    if is_causal and attn_mask is None:
        raise AssertionError("FIXME: is_causal not implemented for need_weights")
    return dispatch("scaled_dot_product_attention", q, k, v, attn_mask, dropout_p,
                    _need_weights=True)
