"""Catalogue entries of the `fastnn.nn.functional` ops and the shape ops (flatten,
unflatten): every op in `fastnn.ops.registered()` that is not a numpy ufunc."""

import numpy as np

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from reference_conv import conv_reference
from reference_pool import max_pool as max_pool_reference

from . import OpInfo, Sample
from .reference_inputs import conv_inputs, linear_inputs, max_pool_inputs


def _conv_numpy_ref(x, w, b=None, **kwargs):
    return conv_reference(x, w, b, **kwargs)


def _max_pool_numpy_ref(x, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    nd = x.ndim - 2
    k, s, p, d = (v if isinstance(v, tuple) else (v,) * nd for v in (
        kernel_size, kernel_size if stride is None else stride, padding, dilation))
    return max_pool_reference(x, nd, k, s, p, d, ceil_mode)[0]


def _linear_numpy_ref(x, w, b=None):
    return x @ w.T + (0 if b is None else b)


def _instance_norm_eval(fn):
    """instance_norm with the running statistics (use_input_stats=False: the sample's
    running stats are read, not updated; the hostile sweep mutates the other arguments)."""
    def call(x, running_mean, running_var, weight, bias, **kwargs):
        return fn(x, running_mean, running_var, weight, bias, False, **kwargs)
    return call


def _affine_norm(fn):
    """layer_norm / group_norm with weight and bias as array arguments (they follow a
    non-array argument in the op's signature): ``call(x, weight, bias, **kwargs)``."""
    def call(x, weight, bias, normalized_shape=None, num_groups=None, **kwargs):
        second = normalized_shape if num_groups is None else num_groups
        return fn(x, second, weight, bias, **kwargs)
    return call


def _conv(nd, samples):
    return OpInfo(f"conv{nd}d", getattr(F, f"conv{nd}d"), f"nn.functional.conv{nd}d", samples,
                  numpy_ref=_conv_numpy_ref, reference_inputs=conv_inputs(nd), rtol32=1e-4,
                  nan_fills=False)


def _entry(name, samples, **fields):
    """The common case: ``F.<name>`` against ``torch.nn.functional.<name>``."""
    return OpInfo(name, getattr(F, name), f"nn.functional.{name}", samples, **fields)


ACTIVATION = (3, 4, 5)

CONV = [
    _conv(1, [Sample((2, 4, 9), (6, 2, 3), (6,), stride=2, padding=1, groups=2),
              Sample((1, 4, 20), (6, 4, 3), (6,), label="dense"),
              Sample((2, 3, 9), (6, 1, 3), None, groups=3, padding=2, label="depthwise")]),
    _conv(2, [Sample((2, 3, 7, 6), (4, 3, 3, 2), (4,), padding=1, dilation=(1, 2)),
              Sample((1, 2, 6, 6), (3, 2, 3, 3), None, padding="same", label="same"),
              Sample((2, 4, 6, 6), (4, 1, 3, 3), (4,), groups=4, label="depthwise"),
              Sample((1, 4, 6, 7), (8, 2, 3, 3), (8,), groups=2, padding=(0, 1),
                     label="grouped"),
              Sample((1, 4, 5, 5), (6, 4, 1, 1), (6,), label="1x1")]),
    _conv(3, [Sample((1, 2, 5, 5, 4), (3, 2, 2, 3, 2), (3,), stride=(1, 2, 1), padding=1),
              Sample((1, 4, 2, 6, 5), (8, 2, 1, 3, 3), None, groups=2, label="grouped"),
              Sample((1, 3, 2, 3, 3), (4, 3, 1, 1, 1), (4,), label="1x1"),
              Sample((1, 2, 3, 4, 4), (4, 1, 2, 2, 2), (4,), groups=2, label="depthwise")]),
]


def _conv_transpose(nd, samples):
    return _entry(f"conv_transpose{nd}d", samples, rtol32=1e-4, nan_fills=False)


CONV_TRANSPOSE = [
    _conv_transpose(1, [Sample((2, 4, 7), (4, 3, 3), (6,), stride=2, padding=1,
                               output_padding=1, groups=2),
                        Sample((4, 9), (4, 2, 4), None, stride=3, dilation=2,
                               label="unbatched")]),
    _conv_transpose(2, [Sample((1, 4, 5, 6), (4, 3, 4, 4), (3,), stride=2, padding=1),
                        Sample((2, 4, 3, 4), (4, 2, 2, 2), None, stride=2, label="k2s2"),
                        Sample((1, 4, 4, 5), (4, 1, 3, 2), (4,), stride=(1, 3), padding=(2, 0),
                               output_padding=(0, 2), dilation=(2, 1), groups=4,
                               label="grouped")]),
    _conv_transpose(3, [Sample((1, 2, 3, 4, 3), (2, 3, 3, 2, 3), (3,), stride=2, padding=1,
                               output_padding=(1, 0, 1)),
                        Sample((1, 4, 2, 3, 3), (4, 1, 2, 2, 2), None, stride=2, groups=2,
                               label="grouped")]),
]

PAD = [OpInfo(f"pad_{mode}", F.pad, "nn.functional.pad",
              [Sample((2, 3, 5, 6), pad=(1, 2, 2, 1), mode=mode)], op="pad",
              nan_fills=mode != "constant")
       for mode in ("constant", "reflect", "replicate", "circular")]

_POOL_SHAPES = {1: (2, 3, 9), 2: (2, 3, 9, 8), 3: (1, 2, 5, 6, 5)}

POOLING = [
    _entry("max_pool1d", [Sample((2, 3, 9), kernel_size=3, stride=2, padding=1)],
           numpy_ref=_max_pool_numpy_ref, variant_tol=(0, 0), reference_inputs=max_pool_inputs(1)),
    _entry("max_pool2d", [Sample((2, 3, 9, 8), kernel_size=3, stride=2, padding=1,
                                 ceil_mode=True)],
           numpy_ref=_max_pool_numpy_ref, variant_tol=(0, 0), reference_inputs=max_pool_inputs(2)),
    _entry("max_pool3d", [Sample((1, 2, 5, 6, 5), kernel_size=2)],
           numpy_ref=_max_pool_numpy_ref, variant_tol=(0, 0), reference_inputs=max_pool_inputs(3)),
    _entry("max_pool1d_with_indices", [Sample((2, 3, 9), kernel_size=2, stride=1,
                                              dilation=3)]),
    _entry("max_pool2d_with_indices", [Sample((2, 3, 8, 8), kernel_size=2, dilation=2)]),
    _entry("max_pool3d_with_indices", [Sample((1, 2, 5, 6, 5), kernel_size=3, padding=1,
                                              ceil_mode=True)]),
    _entry("avg_pool1d", [Sample((2, 3, 9), kernel_size=3, stride=2, padding=1)]),
    _entry("avg_pool2d", [Sample((2, 3, 9, 8), kernel_size=3, stride=2, padding=1,
                                 ceil_mode=True, count_include_pad=False)]),
    _entry("avg_pool3d", [Sample((1, 2, 5, 6, 5), kernel_size=2, divisor_override=3)]),
    _entry("adaptive_max_pool1d", [Sample((2, 3, 9), output_size=4)]),
    _entry("adaptive_max_pool2d", [Sample((2, 3, 9, 7), output_size=(3, None))]),
    _entry("adaptive_max_pool3d", [Sample((1, 2, 5, 6, 5), output_size=(2, 3, 2))]),
    _entry("adaptive_max_pool1d_with_indices", [Sample((2, 3, 9), output_size=5)]),
    _entry("adaptive_max_pool2d_with_indices", [Sample((2, 3, 9, 7), output_size=(3, 5))]),
    _entry("adaptive_max_pool3d_with_indices", [Sample((1, 2, 5, 6, 5), output_size=2)]),
    _entry("adaptive_avg_pool1d", [Sample((2, 3, 9), output_size=4)]),
    _entry("adaptive_avg_pool2d", [Sample((2, 3, 9, 7), output_size=(3, 5))]),
    _entry("adaptive_avg_pool3d", [Sample((1, 2, 5, 6, 5), output_size=(2, 3, 2))]),
]

LINEAR_AND_NORM = [
    _entry("linear", [Sample((5, 7), (4, 7), (4,)),
                      Sample((2, 3, 7), (4, 7), None, label="3d"),
                      Sample((2, 3, 7), (7,), None, label="vector")],
           numpy_ref=_linear_numpy_ref, reference_inputs=linear_inputs, rtol32=1e-4,
           variant_tol=(2e-3, 1e-9)),
    _entry("batch_norm", [Sample((4, 3, 5), (3,), (3,), (3,), (3,), positive=(2,),
                                 label="eval"),
                          Sample((4, 3, 5, 2), None, None, (3,), (3,), training=True,
                                 label="train"),
                          # no running statistics: the sweeps want every input unchanged
                          Sample((5, 3), None, None, None, (3,), training=True, eps=1e-3,
                                 label="train-2d")],
           rtol32=1e-4, no_grad=(1, 2)),
    # weight and bias follow a non-array argument: their own tests (test_group_norms.py)
    _entry("layer_norm", [Sample((3, 4, 5), normalized_shape=(4, 5), eps=1e-5),
                          Sample((2, 6), normalized_shape=[6], label="1d")],
           rtol32=1e-4, nan_fills=False),
    _entry("group_norm", [Sample((2, 6, 5), num_groups=3, eps=1e-5),
                          Sample((2, 4, 3, 3), num_groups=2, label="2d")],
           rtol32=1e-4, nan_fills=False),
    OpInfo("layer_norm_affine", _affine_norm(F.layer_norm),
           lambda torch: _affine_norm(torch.nn.functional.layer_norm),
           [Sample((3, 4, 5), (4, 5), (4, 5), normalized_shape=(4, 5), eps=1e-3)],
           op="layer_norm", rtol32=1e-4, nan_fills=False),
    OpInfo("group_norm_affine", _affine_norm(F.group_norm),
           lambda torch: _affine_norm(torch.nn.functional.group_norm),
           [Sample((2, 6, 5), (6,), (6,), num_groups=3)],
           op="group_norm", rtol32=1e-4, nan_fills=False),
    _entry("instance_norm", [Sample((2, 3, 4, 4), None, None, (3,), (3,), eps=1e-5,
                                    momentum=0.1)], rtol32=1e-4, nan_fills=False),
    OpInfo("instance_norm_eval", _instance_norm_eval(F.instance_norm),
           lambda torch: _instance_norm_eval(torch.nn.functional.instance_norm),
           [Sample((2, 3, 5), (3,), (3,), (3,), (3,), positive=(2,), momentum=0.2)],
           op="instance_norm", rtol32=1e-4, nan_fills=False, no_grad=(1, 2)),
    _entry("local_response_norm", [Sample((2, 5, 4, 3), size=3, alpha=1e-2, beta=0.75, k=1.0),
                                   Sample((2, 4, 6), size=2, label="3d")],
           rtol32=1e-4, nan_fills=False),
]

DROPOUT = [
    OpInfo("dropout_eval", F.dropout, "nn.functional.dropout",
           [Sample((3, 4, 5), p=0.3, training=False)], op="dropout", view=True),
    _entry("dropout", [Sample((3, 4, 5), p=0.3)], random=True),
    _entry("dropout1d", [Sample((3, 4, 5), p=0.5)], random=True),
    _entry("dropout2d", [Sample((3, 4, 5, 2), p=0.5)], random=True),
    _entry("dropout3d", [Sample((2, 3, 2, 3, 2), p=0.5)], random=True),
]

ACTIVATIONS = [
    *[_entry(name, [Sample(ACTIVATION)]) for name in (
        "relu", "relu6", "silu", "sigmoid", "tanh", "hardswish", "hardsigmoid")],
    _entry("gelu", [Sample(ACTIVATION), Sample(ACTIVATION, approximate="tanh", label="tanh")]),
    _entry("leaky_relu", [Sample(ACTIVATION, negative_slope=0.2)]),
    _entry("elu", [Sample(ACTIVATION, alpha=0.5)]),
    _entry("hardtanh", [Sample(ACTIVATION, min_val=-0.5, max_val=0.7)]),
    _entry("softmax", [Sample(ACTIVATION, dim=1)]),
    _entry("log_softmax", [Sample(ACTIVATION, dim=-1)]),
]


def _unpool_after_pool(nd, f):
    """max_unpool{nd}d of max_pool{nd}d(x, 2)'s values and indices (`f`: the functional
    module, fastnn's or torch's): indices come from a pooling, not from random draws."""
    def call(x, **kwargs):
        values, indices = getattr(f, f"max_pool{nd}d")(x, 2, return_indices=True)
        return getattr(f, f"max_unpool{nd}d")(values, indices, **kwargs)
    return call


MORE_ACTIVATIONS = [
    *[_entry(name, [Sample(ACTIVATION)]) for name in (
        "mish", "selu", "softsign", "tanhshrink", "logsigmoid")],
    _entry("celu", [Sample(ACTIVATION, alpha=0.5)]),
    _entry("softplus", [Sample(ACTIVATION, beta=2.0, threshold=5.0)]),
    _entry("threshold", [Sample(ACTIVATION, threshold=0.1, value=-2.0)]),
    _entry("prelu", [Sample((2, 3, 4, 2), (3,)), Sample((5, 2), (1,), label="shared")]),
    _entry("softmin", [Sample(ACTIVATION, dim=1)]),
    _entry("hardshrink", [Sample(ACTIVATION), Sample(ACTIVATION, lambd=0.3, label="lambd")]),
    _entry("softshrink", [Sample(ACTIVATION, lambd=0.3)]),
    # eval: deterministic (training draws from fastnn's generator, not torch's bit stream:
    # tests/functional/test_shrink_activations.py checks its properties)
    _entry("rrelu", [Sample(ACTIVATION, lower=0.1, upper=0.3)]),
    _entry("lp_pool1d", [Sample((2, 3, 9), norm_type=2, kernel_size=3, stride=2)],
           nan_fills=False),
    # positive inputs where x ** p of a negative x is NaN (torch's too; test_pool_more.py
    # covers the signs), so that the torch-free sweep sees finite outputs
    _entry("lp_pool2d", [Sample((2, 3, 7, 6), norm_type=3, kernel_size=2, ceil_mode=True,
                                positive=(0,)),
                         Sample((1, 2, 5, 5), norm_type=float("inf"), kernel_size=(2, 3),
                                label="inf")], nan_fills=False),
    _entry("lp_pool3d", [Sample((1, 2, 4, 5, 4), norm_type=1.5, kernel_size=2, stride=1,
                                positive=(0,))],
           nan_fills=False),
    *[OpInfo(f"max_unpool{nd}d", _unpool_after_pool(nd, F),
             lambda torch, nd=nd: _unpool_after_pool(nd, torch.nn.functional),
             [Sample(shape, kernel_size=2)], nan_fills=False)
      for nd, shape in ((1, (2, 3, 8)), (2, (2, 3, 6, 4)), (3, (1, 2, 4, 4, 2)))],
]

SHAPE = [
    OpInfo("flatten", fastnn.flatten, "flatten",
           [Sample((2, 3, 4, 5), start_dim=1), Sample((2, 3, 4), start_dim=0, end_dim=1,
                                                      label="leading")], view=True),
    OpInfo("unflatten", lambda x, dim, sizes: nn.Unflatten(dim, sizes)(x), "unflatten",
           [Sample((2, 12, 5), dim=1, sizes=(3, -1))], view=True),
]

RESAMPLE = [
    OpInfo("interpolate", F.interpolate, "nn.functional.interpolate",
           [Sample((2, 3, 5, 6), scale_factor=2, label="nearest"),
            Sample((1, 2, 7), size=11, mode="nearest-exact", label="exact1d"),
            Sample((2, 3, 5, 6), scale_factor=(1.7, 0.6), mode="bilinear",
                   label="bilinear"),
            Sample((1, 2, 6, 5), size=(9, 4), mode="bicubic", align_corners=True,
                   label="bicubic"),
            Sample((1, 2, 9, 8), size=(4, 5), mode="bilinear", antialias=True, label="aa"),
            Sample((1, 2, 9, 8), size=(5, 11), mode="lanczos", antialias=True,
                   label="lanczos"),
            Sample((1, 2, 3, 4, 5), scale_factor=1.5, mode="trilinear", label="trilinear"),
            Sample((1, 2, 6), scale_factor=2.5, mode="linear",
                   recompute_scale_factor=True, label="linear")],
           rtol32=1e-4),
    _entry("pixel_shuffle", [Sample((2, 8, 3, 4), upscale_factor=2)]),
    _entry("pixel_unshuffle", [Sample((2, 2, 6, 4), downscale_factor=2)]),
    _entry("channel_shuffle", [Sample((2, 6, 3, 2), groups=3)]),
    # a NaN grid point reads 0 or a clipped pixel in some modes (torch's rule): not all NaN
    _entry("grid_sample", [Sample((2, 3, 5, 6), (2, 4, 3, 2), align_corners=False,
                                  label="bilinear"),
                           Sample((1, 2, 4, 5), (1, 3, 3, 2), mode="nearest",
                                  padding_mode="border", align_corners=True, label="nearest"),
                           Sample((1, 2, 5, 4), (1, 3, 2, 2), mode="bicubic",
                                  padding_mode="reflection", align_corners=True,
                                  label="bicubic"),
                           Sample((1, 2, 3, 4, 5), (1, 2, 3, 2, 3), padding_mode="reflection",
                                  align_corners=False, label="trilinear")],
           nan_fills=False),
    _entry("unfold", [Sample((2, 3, 6, 5), kernel_size=(2, 3), padding=1, stride=(2, 1)),
                      Sample((3, 5, 4), kernel_size=2, dilation=2, label="unbatched")],
           nan_fills=False),          # the padding's columns are zeros
    _entry("fold", [Sample((2, 12, 20), output_size=(5, 6), kernel_size=2),
                    Sample((8, 9), output_size=4, kernel_size=2, padding=1, stride=2,
                           label="unbatched")]),
    _entry("rms_norm", [Sample((3, 4, 5), normalized_shape=(4, 5), eps=1e-5),
                        Sample((2, 6), normalized_shape=[6], label="eps-none")],
           rtol32=1e-4, nan_fills=False),
]

# embedding's indices are not a float sample: fixed ones, the table is the sample
_EMBEDDING_INDICES = np.array([[0, 5, 2], [5, 1, 1]])


def _embedding(lib_embedding, to_array):
    def call(weight, **kwargs):
        return lib_embedding(to_array(_EMBEDDING_INDICES.copy()), weight, **kwargs)
    return call


# embedding_bag's too: three bags of a 1-D input (one empty), the table (and the
# per-sample weights) the samples
_BAG_INDICES, _BAG_OFFSETS = np.array([0, 5, 2, 5, 1]), np.array([0, 2, 2])


def _embedding_bag(lib_embedding_bag, to_array):
    def call(weight, per_sample_weights=None, **kwargs):
        return lib_embedding_bag(to_array(_BAG_INDICES.copy()), weight,
                                 to_array(_BAG_OFFSETS.copy()),
                                 per_sample_weights=per_sample_weights, **kwargs)
    return call


ATTENTION = [
    # a NaN reaches only the rows (queries) or outputs that read it. 3-D samples: torch
    # runs its reference path there; for 4-D float32 inputs its CPU flash kernel turns
    # some rows of NaN scores into zeros, by block (4-D cases: tests/functional/
    # test_attention.py)
    _entry("scaled_dot_product_attention",
           [Sample((6, 5, 4), (6, 6, 4), (6, 6, 3)),
            Sample((2, 5, 4), (2, 6, 4), (2, 6, 3), (5, 6), label="mask"),
            Sample((2, 6, 4), (2, 6, 4), (2, 6, 4), is_causal=True, scale=0.5,
                   label="causal"),
            Sample((4, 5, 4), (2, 6, 4), (2, 6, 3), enable_gqa=True, label="gqa")],
           nan_fills=False),
    OpInfo("scaled_dot_product_attention_dropout", F.scaled_dot_product_attention,
           "nn.functional.scaled_dot_product_attention",
           [Sample((2, 5, 4), (2, 6, 4), (2, 6, 3), dropout_p=0.4)],
           op="scaled_dot_product_attention", random=True, nan_fills=False,
           skips={"layouts": "the random-op layout sweep compares exactly; attention's sums "
                             "are not torch's bit for bit"}),
    OpInfo("embedding", _embedding(F.embedding, lambda a: a),
           lambda torch: _embedding(torch.nn.functional.embedding, torch.from_numpy),
           [Sample((6, 4)), Sample((6, 3), padding_idx=-1, label="padding"),
            Sample((6, 3), padding_idx=1, scale_grad_by_freq=True, label="freq")],
           nan_fills=False),
    OpInfo("embedding_bag", _embedding_bag(F.embedding_bag, lambda a: a),
           lambda torch: _embedding_bag(torch.nn.functional.embedding_bag, torch.from_numpy),
           [Sample((6, 4)), Sample((6, 3), (5,), mode="sum", label="weighted"),
            Sample((6, 3), mode="max", padding_idx=-1, label="max-padding"),
            Sample((6, 3), padding_idx=5, scale_grad_by_freq=True, label="freq")],
           nan_fills=False),     # an empty bag is zeros
]

FUNCTIONAL = (CONV + CONV_TRANSPOSE + PAD + POOLING + LINEAR_AND_NORM + DROPOUT + ACTIVATIONS
              + SHAPE + RESAMPLE + MORE_ACTIVATIONS + ATTENTION)
