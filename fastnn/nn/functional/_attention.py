"""Scaled dot-product attention, as ``torch.nn.functional.scaled_dot_product_attention``.

The checks follow torch's order and words (its Python argument parser, then the checks of
``sdp_utils``, then those of its reference "math" path, whose matmul, in-place mask add and
dropout give the shape errors). The work runs in one fused Numba kernel
(kernels/attention.py) that reads broadcast batch dimensions and grouped-query heads through
index arrays instead of copies.

Semantics (torch 2.13's): a bool mask says which keys take part (True), a float mask is
added to the scores; a float32 mask is also taken with float64 inputs. Rows that see no key
(fully masked) give zeros. `is_causal` is a lower-triangular mask aligned to the top left
(query row r sees keys 0..r). Dropout runs whenever ``dropout_p > 0`` (the functional form
has no training flag); its mask is drawn as torch's reference path draws it
(``bernoulli_(1 - p)`` over the (..., L, S) weights, in memory order), so after the same
seed fastnn and torch drop the same weights. The drawn multipliers are the op's fifth
input (allocated by the checks, drawn by the run), which the backward
(`fastnn._attention_grad`) reads. ``dropout_p <= 0`` or NaN is no dropout,
``dropout_p > 1`` is torch's error.
"""
import math

import numpy as np

from ... import _registry
from ..._args import bool_arg, check_broadcast_into, float_arg, torch_typename
from ..._dispatch import dispatch
from ..._random import default_generator
from ..._registry import Attrs
from ..._runtime import launch
from ..._sampling import bernoulli
from ..._ufunc_rules import check_matmul_shapes
from ...kernels import attention as _k
from .._utils import as_array, kernel_array
from ._activation import float_array

__all__ = ["scaled_dot_product_attention"]

_FN = "scaled_dot_product_attention"

# the C++ type names torch's sdp checks print (typeid names, not torch's scalar names)
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "int64": "long int", "int32": "int", "int16": "short int",
              "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def scaled_dot_product_attention(query, key, value, *args, **kwargs):
    r"""scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
    is_causal=False, *, scale=None, enable_gqa=False) -> Tensor

    :math:`\mathrm{softmax}(QK^T \cdot \text{scale} + \text{mask})\,V`, with dropout on
    the attention weights when ``dropout_p > 0``.

    Args:
        query: :math:`(*, L, E)`; key: :math:`(*, S, E)`; value: :math:`(*, S, E_v)`
            (the leading dims broadcast; at least 2-D each).
        attn_mask: bool (True: the key takes part) or float (added to the scores),
            broadcastable to :math:`(*, L, S)`. Default: None
        dropout_p (float): dropout probability on the weights. Default: 0.0
        is_causal (bool): query row r attends to keys 0..r; not with `attn_mask`.
        scale (float): default :math:`1/\sqrt{E}`.
        enable_gqa (bool): key/value may have fewer heads (dim -3) than query, a divisor
            of its head count; query head h reads key/value head ``h // (Hq / Hkv)``.

    Shape: :math:`(*, L, E_v)`, the broadcast leading dims.

    Example::
        >>> q = k = v = fastnn.randn(2, 4, 10, 16)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        (2, 4, 10, 16)
    """
    # (*args, **kwargs): torch's parser words an error by how the argument was passed
    return dispatch(_FN, query, key, value, *args, **kwargs)


def _arrays(query, key, value, *args, **kwargs):
    attn_mask = args[0] if args else kwargs.get("attn_mask")
    dropout_p = args[1] if len(args) > 1 else kwargs.get("dropout_p", 0.0)
    q, k, v = as_array(query), as_array(key), as_array(value)
    drop = None
    if dropout_p > 0:
        k_shape = _grouped_shapes(q.shape, k.shape, v.shape, kwargs.get("enable_gqa", False))[0]
        drop = _multipliers(np.broadcast_shapes(q.shape[:-2], k_shape[:-2]) +
                            (q.shape[-2], k_shape[-2]), q.dtype)
    return (q, k, v, None if attn_mask is None else as_array(attn_mask), drop)


def _multipliers(scores_shape, dtype):
    """The empty array the dropout multipliers are drawn into: one per attention weight of
    the (…, L, S) scores (before their batch is broadcast to the output's)."""
    return np.empty(scores_shape, dtype.newbyteorder("="))


_POSITIONAL = ("attn_mask", "dropout_p", "is_causal")
_KEYWORDS = _POSITIONAL + ("scale", "enable_gqa", "_need_weights")
_DEFAULTS = {"attn_mask": None, "dropout_p": 0.0, "is_causal": False, "scale": None,
             "enable_gqa": False, "_need_weights": False}


def _parse(query, key, value, args, kwargs):
    """torch's argument parser: the arguments by name (with how each was passed), array
    types, then the scalars' types."""
    if len(args) > len(_POSITIONAL):
        raise TypeError(f"{_FN}() takes from 3 to 6 positional arguments but "
                        f"{3 + len(args)} were given")
    bound = dict(_DEFAULTS)
    positions = {}
    for position, (name, arg) in enumerate(zip(_POSITIONAL, args), 4):
        bound[name] = arg
        positions[name] = position
    for name, arg in kwargs.items():
        if name not in _KEYWORDS:
            raise TypeError(f"{_FN}() got an unexpected keyword argument '{name}'")
        if name in positions:
            raise TypeError(f"{_FN}() got multiple values for argument '{name}'")
        bound[name] = arg
    named = (("query", query, 1), ("key", key, 2), ("value", value, 3),
             ("attn_mask", bound["attn_mask"], positions.get("attn_mask")))
    for name, arg, position in named:
        if arg is None and name == "attn_mask":
            continue
        if not (isinstance(arg, np.ndarray) or hasattr(arg, "__array__")):
            raise TypeError(f"{_FN}(): argument '{name}'{_at(position)} must be Tensor, "
                            f"not {torch_typename(arg)}")
    bound["dropout_p"] = _scalar(float_arg, bound["dropout_p"], "dropout_p",
                                 positions.get("dropout_p"))
    bound["is_causal"] = _scalar(bool_arg, bound["is_causal"], "is_causal",
                                 positions.get("is_causal"))
    if bound["scale"] is not None:
        bound["scale"] = _scalar(float_arg, bound["scale"], "scale", None)
    bound["enable_gqa"] = _scalar(bool_arg, bound["enable_gqa"], "enable_gqa", None)
    return bound


def _at(position):
    return "" if position is None else f" (position {position})"


def _scalar(parse, value, name, position):
    """`parse` (fastnn._args) of a scalar argument, its error worded as torch's parser
    words it for an argument passed by keyword (no position) or by position."""
    try:
        return parse(value, _FN, name, position or 0)
    except TypeError as error:
        if position is not None:
            raise
        raise TypeError(str(error).replace(" (position 0)", "")) from None


def _normalize(query, key, value, *args, **kwargs):
    """torch's checks in its order: ((q, k, v, mask, dropout multipliers or None),
    Attrs(dropout_p, is_causal, scale, groups, out_batch, scores_batch, need_weights)).

    `_need_weights` (MultiheadAttention's need_weights path, not torch's signature): the
    op also returns the weights after dropout, and a row that sees no key is NaN (torch's
    plain softmax there) instead of zeros.
    """
    bound = _parse(query, key, value, args, kwargs)
    attn_mask, dropout_p, is_causal = bound["attn_mask"], bound["dropout_p"], \
        bound["is_causal"]
    scale, enable_gqa = bound["scale"], bound["enable_gqa"]
    q, k, v = as_array(query), as_array(key), as_array(value)
    mask = None if attn_mask is None else as_array(attn_mask)
    if not q.dtype == k.dtype == v.dtype:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_cpp(q.dtype)} key.dtype: {_cpp(k.dtype)} and value.dtype: {_cpp(v.dtype)} "
            "instead.")
    if mask is not None and mask.dtype.kind != "b" and mask.dtype != np.float32 \
            and mask.dtype != q.dtype:
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {_cpp(mask.dtype)} and  query.dtype: {_cpp(q.dtype)} instead.")
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead.")
    if is_causal and mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    float_array(q)
    if mask is not None and mask.ndim < 2 and _fused_candidate(q, k, v, dropout_p):
        # torch's CPU flash kernel, chosen for these inputs, reads the mask's dim -2
        if mask.ndim == 1:
            raise IndexError("Dimension out of range (expected to be in range of [-1, 0], "
                             "but got -2)")
        raise IndexError("Dimension specified as -2 but tensor has no dimensions")
    k_shape, v_shape, groups = _grouped_shapes(q.shape, k.shape, v.shape, enable_gqa)
    check_matmul_shapes(q.shape, k_shape[:-2] + (k_shape[-1], k_shape[-2]))
    scores = np.broadcast_shapes(q.shape[:-2], k_shape[:-2]) + (q.shape[-2], k_shape[-2])
    if mask is not None:
        check_broadcast_into(scores, mask.shape)
    if dropout_p > 1:
        raise RuntimeError(
            f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    check_matmul_shapes(scores, v_shape)
    out_batch = np.broadcast_shapes(scores[:-2], v_shape[:-2])
    # torch's CPU flash kernel scales the -inf of keys a causal row hides: with a scale
    # <= 0 that row becomes NaN
    hidden_nan = bool(is_causal and scale is not None and not scale > 0
                      and _fused_candidate(q, k, v, dropout_p))
    attrs = Attrs(dropout_p=dropout_p if dropout_p > 0 else 0.0, is_causal=is_causal,
                  hidden_nan=hidden_nan,
                  scale=scale, groups=groups, out_batch=out_batch,
                  scores_batch=scores[:-2], need_weights=bool(bound["_need_weights"]))
    drop = _multipliers(scores, q.dtype) if dropout_p > 0 else None
    return (q, k, v, mask, drop), attrs


def _fused_candidate(q, k, v, dropout_p):
    """Whether torch picks its CPU flash kernel (which refuses a mask below 2-D): 4-D
    inputs of one batch and head count, no dropout, nothing empty."""
    return (q.ndim == k.ndim == v.ndim == 4 and not dropout_p > 0
            and q.shape[:2] == k.shape[:2] == v.shape[:2] and q.size and k.size)


def _cpp(dtype):
    return _CPP_NAMES.get(np.dtype(dtype).newbyteorder("=").name, str(dtype))


def _grouped_shapes(q_shape, k_shape, v_shape, enable_gqa):
    """Key and value shapes after torch's repeat_interleave of their heads (dim -3) under
    `enable_gqa`, and the (key, value) repeat counts."""
    if not enable_gqa:
        return k_shape, v_shape, (1, 1)
    for shape in (q_shape, k_shape, v_shape):       # torch reads each one's dim -3
        if len(shape) < 3:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-len(shape)}, {len(shape) - 1}], but got -3)")
    heads = q_shape[-3]
    if k_shape[-3] == heads and v_shape[-3] == heads:
        return k_shape, v_shape, (1, 1)
    if k_shape[-3] == 0 or v_shape[-3] == 0 or heads % k_shape[-3] or heads % v_shape[-3]:
        # torch's message is cut short this way
        raise RuntimeError("Number of heads in key and value must divide the number of "
                           "heads in ")
    kg, vg = heads // k_shape[-3], heads // v_shape[-3]
    return (k_shape[:-3] + (heads,) + k_shape[-2:], v_shape[:-3] + (heads,) + v_shape[-2:],
            (kg, vg))


def _meta(inputs, attrs):
    q, k, v = inputs[:3]
    dtype = q.dtype.newbyteorder("=")
    out = attrs.out_batch + (q.shape[-2], v.shape[-1]), dtype
    if attrs.need_weights:
        return [out, (attrs.out_batch + (q.shape[-2], k.shape[-2]), dtype)]
    return out


def batch_index(shape, batch, repeat=1):
    """For each position of the flat `batch` shape, the flat batch position of an array
    whose batch dims are `shape` (right-aligned, broadcast), its dim -1 of `shape` read
    ``repeat`` times (grouped-query heads)."""
    own = np.arange(math.prod(shape), dtype=np.int64).reshape(shape)
    if repeat > 1:
        own = np.repeat(own, repeat, axis=-1)
    return np.broadcast_to(own, batch).reshape(-1).copy()


def _plan(inputs, attrs, meta):
    q, k, v, mask, _ = inputs
    batch = attrs.out_batch
    kg, vg = attrs.groups
    index = (batch_index(q.shape[:-2], batch), batch_index(k.shape[:-2], batch, kg),
             batch_index(v.shape[:-2], batch, vg))
    if mask is None:
        return index + (np.empty(0, np.int64),)
    return index + (batch_index(mask.shape[:-2], batch),)


def additive_mask(mask, dtype, rows, keys):
    """`mask` as an additive (Bm, L, S) array of `dtype`: bool False becomes -inf."""
    if mask.ndim < 2:
        mask = mask.reshape((1,) * (2 - mask.ndim) + mask.shape)
    batch = math.prod(mask.shape[:-2])
    full = np.broadcast_to(mask, mask.shape[:-2] + (rows, keys)).reshape(batch, rows, keys)
    if mask.dtype.kind == "b":
        additive = np.zeros(full.shape, dtype)
        additive[~full] = -np.inf
        return additive
    return kernel_array(full, dtype)


def dropout_multipliers(multipliers, out_batch, p):
    """torch's dropout mask of the (..., L, S) weights: ``bernoulli_(1 - p) / (1 - p)``
    drawn into `multipliers` in memory order; returned broadcast to `out_batch` and
    flattened."""
    keep = 1.0 - p
    scores_shape = multipliers.shape
    multipliers.reshape(-1)[...] = bernoulli(default_generator, multipliers.size, keep)
    if keep > 0:
        multipliers /= multipliers.dtype.type(keep)
    full = np.broadcast_to(multipliers, out_batch + scores_shape[-2:])
    return np.ascontiguousarray(full).reshape((-1,) + scores_shape[-2:])


_EMPTY = {np.dtype(t): np.empty((0, 0, 0), t) for t in (np.float32, np.float64)}


def _writable(arr):
    """`arr`, copied when read-only: Numba compiles a kernel again for read-only arrays
    (np.broadcast_to views, a caller's frozen arrays), so the kernel only sees writable
    ones."""
    return arr if arr.flags.writeable else arr.copy()


def run_attention(q, k, v, mask, drop, index, scale, causal, safe, out, weights=None,
                  hidden_nan=False):
    """The kernel on (…, L, E) arrays: `index` = (q_of, k_of, v_of, m_of), `mask` an
    additive (Bm, L, S) array or None, `drop` (B, L, S) multipliers or None; writes
    `out` (B, L, Ev) and, when given, `weights` (B, L, S)."""
    dtype = out.dtype
    empty = _EMPTY[dtype]
    q3, k3, v3 = (_writable(kernel_array(x, dtype)).reshape(
        (math.prod(x.shape[:-2]),) + x.shape[-2:]) for x in (q, k, v))
    mask, drop = (None if a is None else _writable(a) for a in (mask, drop))
    if q.shape[-1] == 0:
        scale = 1.0             # the scores are sums over nothing: 0, as torch's
    elif scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    # a causal row's hidden keys have weight exactly 0 unless a NaN or inf is around; a
    # sum is finite only when every element is (an overflow just keeps the full sums),
    # and it allocates no mask as isfinite does
    skip_hidden = bool(causal and not hidden_nan
                       and all(math.isfinite(x.sum()) for x in (q3, k3, v3)))
    launch(_k.attention, q3, k3, v3, empty if mask is None else mask,
           empty if drop is None else drop, *index, dtype.type(scale), causal, hidden_nan,
           skip_hidden, safe, out, empty if weights is None else weights,
           work=out.shape[0] * q3.shape[1] * k3.shape[1] * (q3.shape[2] + v3.shape[2]))


def _run(inputs, attrs, out, plan):
    q, k, v, mask, multipliers = inputs
    weights = None
    if attrs.need_weights:
        out, weights = out
    rows, keys = q.shape[-2], k.shape[-2]
    if out.size == 0 and (weights is None or weights.size == 0):
        return
    out3 = out.reshape(-1, rows, v.shape[-1])
    if weights is not None:
        weights = weights.reshape(-1, rows, keys)
    additive = None if mask is None else additive_mask(mask, out.dtype, rows, keys)
    drop = None
    if attrs.dropout_p > 0:
        drop = dropout_multipliers(multipliers, attrs.out_batch, attrs.dropout_p)
    run_attention(q, k, v, additive, drop, plan, attrs.scale, attrs.is_causal,
                  not attrs.need_weights, out3, weights, attrs.hidden_nan)


def _kernel_args(inputs, attrs, out, plan):
    return inputs, attrs, out, plan


_registry.register_single(_FN, _normalize, _meta, _run, arrays=_arrays, plan=_plan,
                          kernel_args=_kernel_args)
