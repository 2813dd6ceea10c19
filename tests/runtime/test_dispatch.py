"""The door (fastnn/_dispatch.py), the op schema (fastnn/_registry.py) and fastnn.ops: every
public functional op and every layer's forward passes the door; registered() lists them;
out= handling; record() nesting and thread-locality; the ufunc entry point; ResNet-18's
op counts."""
import collections
import copy
import pathlib
import pickle
import threading
import types
import warnings

import numpy as np
import pytest

import fastnn
import fastnn.nn as nn
import fastnn.nn.functional as F
from fastnn import _dispatch, _registry, ops
from fastnn.examples import swap_imports

RNG = np.random.default_rng(0)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


X4 = rand(2, 3, 8, 8)
X3 = rand(2, 3, 8)
X5 = rand(1, 2, 4, 4, 4)
# the margin and likelihood losses are compositions of door ops (their ops in order)
_SIGNS = np.array([1.0, -1.0, 1.0], np.float32)
_LABELS = np.array([[0, 3, -1, 1]] * 3)
_MARGIN_RANKING = ["negative", "subtract", "multiply", "add", "clamp", "mean"]
_HINGE = ["subtract", "clamp", "not_equal", "where", "not_equal", "where", "add", "mean"]
_COSINE = ["multiply", "sum", "multiply", "sum", "add", "multiply", "sum", "add", "multiply",
           "sqrt", "divide", "equal", "subtract", "where", "equal", "subtract", "clamp",
           "where", "add", "mean"]
_TRIPLET = ["subtract", "add", "norm", "subtract", "add", "norm", "add", "subtract", "clamp",
            "mean"]
_SOFT_MARGIN = ["negative", "multiply", "exp", "log1p", "mean"]
# each norm clamped below by eps as torch's (a clone written in place), then the products
_COSINE_SIMILARITY = ["norm", "clone", "norm", "clone", "clamp", "copy_", "clamp", "copy_",
                      "divide", "divide", "multiply", "sum"]
_MULTILABEL_SOFT = ["logsigmoid", "multiply", "subtract", "negative", "logsigmoid",
                    "multiply", "add", "negative", "sum", "divide", "mean"]
_MULTILABEL = ["reshape", "where", "sum", "gather", "unsqueeze", "unsqueeze", "subtract",
               "subtract", "greater", "bitwise_and", "where", "sum", "add", "divide", "mean"]
_MULTI_MARGIN = ["reshape", "gather", "subtract", "add", "greater", "bitwise_and", "where",
                 "sum", "divide", "mean"]
_POISSON = ["exp", "multiply", "subtract", "mean"]
_ALPHA_DROPOUT = ["dropout", "not_equal", "to", "subtract", "multiply", "add", "multiply",
                  "multiply", "add"]
_GUMBEL = ["exponential_", "log", "negative", "add", "divide", "softmax"]
# a lazy layer's first forward materialises and initialises its parameters (index_put_)
_LAZY_INIT = ["reshape", "index_put_"] * 2
_GAUSSIAN = ["clone", "clamp", "copy_", "log", "subtract", "power", "divide", "add",
             "multiply", "mean"]
# max_pool's values and indices, the inputs of max_unpool
POOLED3 = tuple(np.asarray(a) for a in F.max_pool1d(X3, 2, return_indices=True))
POOLED4 = tuple(np.asarray(a) for a in F.max_pool2d(X4, 2, return_indices=True))
POOLED5 = tuple(np.asarray(a) for a in F.max_pool3d(X5, 2, return_indices=True))


def _deprecated(function, *args, **kwargs):
    """A deprecated alias's call, its warning (tested in test_interpolate.py) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


# multi-head attention, step for step as torch's function (each a door op, so that a traced
# model sees them): q, k, v's rows of the packed weight and bias, the projections, the
# heads split (reshape, transpose) ...
_MHA_PROJECTIONS = (["index"] * 6 + ["linear"] * 3 + ["reshape", "transpose"] * 3)
# ... (the need_weights=False path: q, k, v as (N, H, L, E)), the attention, the heads
# merged, the output projection
_MHA_ATTENTION_OUT = ["scaled_dot_product_attention", "reshape", "permute", "reshape",
                      "linear", "reshape"]

# every public F function: (call, the op it must reach)
F_CALLS = {
    "cross_entropy": (lambda: F.cross_entropy(rand(3, 4), np.array([0, 3, 1])),
                      "cross_entropy"),
    "nll_loss": (lambda: F.nll_loss(rand(3, 4), np.array([0, 3, 1])), "nll_loss"),
    "mse_loss": (lambda: F.mse_loss(rand(3, 4), rand(3, 4)), "mse_loss"),
    "l1_loss": (lambda: F.l1_loss(rand(3, 4), rand(3, 4)), "l1_loss"),
    "smooth_l1_loss": (lambda: F.smooth_l1_loss(rand(3, 4), rand(3, 4)), "smooth_l1_loss"),
    "huber_loss": (lambda: F.huber_loss(rand(3, 4), rand(3, 4)), "huber_loss"),
    "binary_cross_entropy": (lambda: F.binary_cross_entropy(
        np.full(3, 0.5), np.ones(3)), "binary_cross_entropy"),
    "binary_cross_entropy_with_logits": (lambda: F.binary_cross_entropy_with_logits(
        rand(3, 4), rand(3, 4)), "binary_cross_entropy_with_logits"),
    "kl_div": (lambda: F.kl_div(rand(3, 4), rand(3, 4), reduction="batchmean"), "kl_div"),
    "margin_ranking_loss": (lambda: F.margin_ranking_loss(rand(3), rand(3), _SIGNS),
                            _MARGIN_RANKING),
    "hinge_embedding_loss": (lambda: F.hinge_embedding_loss(rand(3), _SIGNS), _HINGE),
    "cosine_embedding_loss": (lambda: F.cosine_embedding_loss(rand(3, 4), rand(3, 4), _SIGNS),
                              _COSINE),
    "triplet_margin_loss": (lambda: F.triplet_margin_loss(rand(3, 4), rand(3, 4), rand(3, 4)),
                            _TRIPLET),
    "triplet_margin_with_distance_loss": (lambda: F.triplet_margin_with_distance_loss(
        rand(3, 4), rand(3, 4), rand(3, 4)), _TRIPLET),
    "soft_margin_loss": (lambda: F.soft_margin_loss(rand(3), _SIGNS), _SOFT_MARGIN),
    "multilabel_soft_margin_loss": (lambda: F.multilabel_soft_margin_loss(
        rand(3, 4), np.ones((3, 4), np.float32)), _MULTILABEL_SOFT),
    "multilabel_margin_loss": (lambda: F.multilabel_margin_loss(rand(3, 4), _LABELS),
                               _MULTILABEL),
    "multi_margin_loss": (lambda: F.multi_margin_loss(rand(3, 4), np.array([0, 3, 1])),
                          _MULTI_MARGIN),
    "poisson_nll_loss": (lambda: F.poisson_nll_loss(rand(3, 4), rand(3, 4)), _POISSON),
    "gaussian_nll_loss": (lambda: F.gaussian_nll_loss(rand(3, 4), rand(3, 4),
                                                      np.ones((3, 4), np.float32)), _GAUSSIAN),
    "conv1d": (lambda: F.conv1d(X3, rand(4, 3, 3)), "conv1d"),
    "conv2d": (lambda: F.conv2d(X4, rand(4, 3, 3, 3), padding=1), "conv2d"),
    "conv3d": (lambda: F.conv3d(X5, rand(3, 2, 3, 3, 3)), "conv3d"),
    "max_pool1d": (lambda: F.max_pool1d(X3, 2), "max_pool1d"),
    "max_pool2d": (lambda: F.max_pool2d(X4, 2), "max_pool2d"),
    "max_pool3d": (lambda: F.max_pool3d(X5, 2), "max_pool3d"),
    "max_pool1d_with_indices": (lambda: F.max_pool1d_with_indices(X3, 2),
                                "max_pool1d_with_indices"),
    "max_pool2d_with_indices": (lambda: F.max_pool2d_with_indices(X4, 2),
                                "max_pool2d_with_indices"),
    "max_pool3d_with_indices": (lambda: F.max_pool3d_with_indices(X5, 2),
                                "max_pool3d_with_indices"),
    "avg_pool1d": (lambda: F.avg_pool1d(X3, 2), "avg_pool1d"),
    "avg_pool2d": (lambda: F.avg_pool2d(X4, 2), "avg_pool2d"),
    "avg_pool3d": (lambda: F.avg_pool3d(X5, 2), "avg_pool3d"),
    "adaptive_max_pool1d": (lambda: F.adaptive_max_pool1d(X3, 3), "adaptive_max_pool1d"),
    "adaptive_max_pool2d": (lambda: F.adaptive_max_pool2d(X4, 3), "adaptive_max_pool2d"),
    "adaptive_max_pool3d": (lambda: F.adaptive_max_pool3d(X5, 3), "adaptive_max_pool3d"),
    "adaptive_max_pool1d_with_indices": (lambda: F.adaptive_max_pool1d_with_indices(X3, 3),
                                         "adaptive_max_pool1d_with_indices"),
    "adaptive_max_pool2d_with_indices": (lambda: F.adaptive_max_pool2d_with_indices(X4, 3),
                                         "adaptive_max_pool2d_with_indices"),
    "adaptive_max_pool3d_with_indices": (lambda: F.adaptive_max_pool3d_with_indices(X5, 3),
                                         "adaptive_max_pool3d_with_indices"),
    "adaptive_avg_pool1d": (lambda: F.adaptive_avg_pool1d(X3, 3), "adaptive_avg_pool1d"),
    "adaptive_avg_pool2d": (lambda: F.adaptive_avg_pool2d(X4, 3), "adaptive_avg_pool2d"),
    "adaptive_avg_pool3d": (lambda: F.adaptive_avg_pool3d(X5, 3), "adaptive_avg_pool3d"),
    "linear": (lambda: F.linear(rand(2, 5), rand(3, 5)), "linear"),
    "bilinear": (lambda: F.bilinear(rand(2, 5), rand(2, 4), rand(3, 5, 4), rand(3)),
                 ["einsum", "add"]),      # a composition: x1^T A x2, then the bias
    "batch_norm": (lambda: F.batch_norm(X4, np.zeros(3, np.float32),
                                        np.ones(3, np.float32)), "batch_norm"),
    "layer_norm": (lambda: F.layer_norm(X4, (8, 8)), "layer_norm"),
    "rms_norm": (lambda: F.rms_norm(X4, (8, 8)), "rms_norm"),
    "unfold": (lambda: F.unfold(X4, 3), "unfold"),
    "fold": (lambda: F.fold(rand(2, 12, 9), (4, 4), 2), "fold"),
    "cosine_similarity": (lambda: F.cosine_similarity(rand(3, 4), rand(3, 4)),
                          _COSINE_SIMILARITY),
    "pairwise_distance": (lambda: F.pairwise_distance(rand(3, 4), rand(3, 4)),
                          ["subtract", "add", "norm"]),
    "pdist": (lambda: F.pdist(rand(4, 3)), ["index_select", "index_select", "subtract", "norm"]),
    "group_norm": (lambda: F.group_norm(X4, 3), "group_norm"),
    "instance_norm": (lambda: F.instance_norm(X4), "instance_norm"),
    "local_response_norm": (lambda: F.local_response_norm(X4, 2), "local_response_norm"),
    "pad": (lambda: F.pad(X4, (1, 1)), "pad"),
    "interpolate": (lambda: F.interpolate(X4, scale_factor=2), "interpolate"),
    "grid_sample": (lambda: F.grid_sample(X4, rand(2, 3, 4, 2), align_corners=False),
                    "grid_sample"),
    # the base grid is built once; its product with theta^T is what theta's gradient needs
    "affine_grid": (lambda: F.affine_grid(rand(2, 2, 3), (2, 3, 4, 5), align_corners=False),
                    ["transpose", "matmul", "view"]),
    "upsample": (lambda: _deprecated(F.upsample, X4, scale_factor=2), "interpolate"),
    "upsample_bilinear": (lambda: _deprecated(F.upsample_bilinear, X4, scale_factor=2),
                          "interpolate"),
    "upsample_nearest": (lambda: _deprecated(F.upsample_nearest, X4, scale_factor=2),
                         "interpolate"),
    "pixel_shuffle": (lambda: F.pixel_shuffle(rand(1, 4, 3, 3), 2), "pixel_shuffle"),
    "pixel_unshuffle": (lambda: F.pixel_unshuffle(X4, 2), "pixel_unshuffle"),
    "channel_shuffle": (lambda: F.channel_shuffle(X4, 3), "channel_shuffle"),
    "native_channel_shuffle": (lambda: F.native_channel_shuffle(X4, 3), "channel_shuffle"),
    "dropout": (lambda: F.dropout(X4, 0.5), "dropout"),
    "dropout1d": (lambda: F.dropout1d(X3, 0.5), "dropout1d"),
    "dropout2d": (lambda: F.dropout2d(X4, 0.5), "dropout2d"),
    "dropout3d": (lambda: F.dropout3d(X5, 0.5), "dropout3d"),
    # dropout's mask, then torch's affine steps
    "alpha_dropout": (lambda: F.alpha_dropout(X4, 0.5, True), _ALPHA_DROPOUT),
    "feature_alpha_dropout": (lambda: F.feature_alpha_dropout(X4, 0.5, True), _ALPHA_DROPOUT),
    "gumbel_softmax": (lambda: F.gumbel_softmax(X4, hard=True),
                       _GUMBEL + ["max", "scatter_", "subtract", "add"]),
    "relu": (lambda: F.relu(X4), "relu"),
    "relu_": (lambda: F.relu_(X4.copy()), "relu"),
    "relu6": (lambda: F.relu6(X4), "relu6"),
    "hardtanh": (lambda: F.hardtanh(X4), "hardtanh"),
    "hardtanh_": (lambda: F.hardtanh_(X4.copy()), "hardtanh"),
    "leaky_relu": (lambda: F.leaky_relu(X4), "leaky_relu"),
    "leaky_relu_": (lambda: F.leaky_relu_(X4.copy()), "leaky_relu"),
    "elu": (lambda: F.elu(X4), "elu"),
    "elu_": (lambda: F.elu_(X4.copy()), "elu"),
    "gelu": (lambda: F.gelu(X4), "gelu"),
    "silu": (lambda: F.silu(X4), "silu"),
    "sigmoid": (lambda: F.sigmoid(X4), "sigmoid"),
    "tanh": (lambda: F.tanh(X4), "tanh"),
    "hardswish": (lambda: F.hardswish(X4), "hardswish"),
    "hardsigmoid": (lambda: F.hardsigmoid(X4), "hardsigmoid"),
    "softmax": (lambda: F.softmax(X4, 1), "softmax"),
    "log_softmax": (lambda: F.log_softmax(X4, 1), "log_softmax"),
    "mish": (lambda: F.mish(X4), "mish"),
    "selu": (lambda: F.selu(X4), "selu"),
    "selu_": (lambda: F.selu_(X4.copy()), "selu"),
    "celu": (lambda: F.celu(X4), "celu"),
    "celu_": (lambda: F.celu_(X4.copy()), "celu"),
    "softplus": (lambda: F.softplus(X4), "softplus"),
    "logsigmoid": (lambda: F.logsigmoid(X4), "logsigmoid"),
    "softsign": (lambda: F.softsign(X4), "softsign"),
    "tanhshrink": (lambda: F.tanhshrink(X4), "tanhshrink"),
    "threshold": (lambda: F.threshold(X4, 0.1, 0.0), "threshold"),
    "threshold_": (lambda: F.threshold_(X4.copy(), 0.1, 0.0), "threshold"),
    "prelu": (lambda: F.prelu(X4, np.ones(3, np.float32)), "prelu"),
    "softmin": (lambda: F.softmin(X4, 1), "softmin"),
    "hardshrink": (lambda: F.hardshrink(X4), "hardshrink"),
    "softshrink": (lambda: F.softshrink(X4, 0.3), "softshrink"),
    "rrelu": (lambda: F.rrelu(X4, training=True), "rrelu"),
    "rrelu_": (lambda: F.rrelu_(X4.copy()), "rrelu"),
    "glu": (lambda: F.glu(X4, 1 + 1), ["index", "index", "sigmoid", "multiply"]),
    "lp_pool1d": (lambda: F.lp_pool1d(X3, 2, 2), "lp_pool1d"),
    "lp_pool2d": (lambda: F.lp_pool2d(X4, 2, 2), "lp_pool2d"),
    "lp_pool3d": (lambda: F.lp_pool3d(X5, 2, 2), "lp_pool3d"),
    "max_unpool1d": (lambda: F.max_unpool1d(*POOLED3, 2), "max_unpool1d"),
    "max_unpool2d": (lambda: F.max_unpool2d(*POOLED4, 2), "max_unpool2d"),
    "max_unpool3d": (lambda: F.max_unpool3d(*POOLED5, 2), "max_unpool3d"),
    "one_hot": (lambda: F.one_hot(np.array([0, 2, 1])), "one_hot"),
    "normalize": (lambda: F.normalize(X4), "normalize"),
    "conv_transpose1d": (lambda: F.conv_transpose1d(X3, rand(3, 2, 3), stride=2),
                         "conv_transpose1d"),
    "conv_transpose2d": (lambda: F.conv_transpose2d(X4, rand(3, 2, 2, 2), stride=2),
                         "conv_transpose2d"),
    "conv_transpose3d": (lambda: F.conv_transpose3d(X5, rand(2, 3, 3, 3, 3), padding=1),
                         "conv_transpose3d"),
    # attention and embedding (a composite names every op it reaches, in order)
    "scaled_dot_product_attention": (lambda: F.scaled_dot_product_attention(X4, X4, X4),
                                     "scaled_dot_product_attention"),
    "embedding": (lambda: F.embedding(np.array([[0, 2], [1, 1]]), rand(3, 4)), "embedding"),
    "embedding_bag": (lambda: F.embedding_bag(np.array([0, 2, 1]), rand(3, 4), np.array([0, 1])),
                      "embedding_bag"),
    "multi_head_attention_forward": (
        lambda: F.multi_head_attention_forward(
            X3, X3, X3, 8, 2, rand(24, 8), rand(24), None, None, False, 0.0, rand(8, 8),
            rand(8), need_weights=False),
        _MHA_PROJECTIONS + ["reshape"] * 3 + _MHA_ATTENTION_OUT),
}


def public_functions():
    return sorted(name for name in dir(F) if not name.startswith("_")
                  and callable(getattr(F, name)))


def test_the_catalogue_covers_every_public_functional_op():
    assert sorted(F_CALLS) == public_functions()


@pytest.mark.parametrize("name", sorted(F_CALLS))
def test_every_functional_op_passes_the_door(name):
    call, op = F_CALLS[name]
    expected = op if isinstance(op, list) else [op]
    with ops.record() as calls:
        result = call()
    assert [c.op for c in calls] == expected
    results = result if isinstance(result, tuple) else (result,)
    assert all(isinstance(r, fastnn.Tensor) for r in results if r is not None)
    assert set(expected) <= set(ops.registered())


def test_return_indices_selects_the_op_with_indices():
    with ops.record() as calls:
        F.max_pool2d(X4, 2, return_indices=True)
        F.max_pool1d(X3, 2, return_indices=True)
        F.adaptive_max_pool2d(X4, 3, return_indices=True)
    assert [c.op for c in calls] == ["max_pool2d_with_indices", "max_pool1d_with_indices",
                                     "adaptive_max_pool2d_with_indices"]


# recurrent layers over X3 (2 steps): the state's slice, one input projection per layer and
# direction, per step the step's slice, the hidden projection and the gates, then the
# outputs and final states stacked
_RNN_STEP = ["index", "linear", "add", "tanh"]
_LSTM_CELL = ["linear", "add", "chunk", "sigmoid", "multiply", "sigmoid", "tanh", "multiply",
              "add", "sigmoid", "tanh", "multiply"]
_GRU_CELL = ["linear", "chunk", "chunk", "add", "sigmoid", "add", "sigmoid", "multiply",
             "add", "tanh", "subtract", "multiply", "add"]
_RNN_OPS = ["index", "linear"] + _RNN_STEP * 2 + ["stack"] * 2
_LSTM_OPS = ["index", "index", "linear"] + (["index"] + _LSTM_CELL) * 2 + ["stack"] * 3
_GRU_OPS = ["index", "linear"] + (["index"] + _GRU_CELL) * 2 + ["stack"] * 2


# self-attention, dropout (eval: the identity), residual add, norm, feed-forward, residual
# add, norm
_ENCODER_LAYER_OPS = (_MHA_PROJECTIONS + ["reshape"] * 3 + _MHA_ATTENTION_OUT
                      + ["dropout", "add", "layer_norm", "linear", "relu", "dropout",
                         "linear", "dropout", "add", "layer_norm"])
# self-attention, attention over the memory (each: dropout, residual add, norm), then the
# feed-forward block as the encoder layer's
_DECODER_LAYER_OPS = (_MHA_PROJECTIONS + ["reshape"] * 3 + _MHA_ATTENTION_OUT
                      + ["dropout", "add", "layer_norm"]
                      + _MHA_PROJECTIONS + ["reshape"] * 3 + _MHA_ATTENTION_OUT
                      + _ENCODER_LAYER_OPS[len(_MHA_PROJECTIONS) + 3
                                           + len(_MHA_ATTENTION_OUT):])


def _quiet(cls, *args):
    """A layer whose construction warns (checked in tests/nn/test_attention_modules.py)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(*args)


# every layer with a forward that computes: (module, input, the ops its forward reaches)
MODULES = [
    (nn.CrossEntropyLoss(), (rand(3, 4), np.array([0, 3, 1])), ["cross_entropy"]),
    (nn.NLLLoss(), (rand(3, 4), np.array([0, 3, 1])), ["nll_loss"]),
    (nn.MSELoss(), (rand(3, 4), rand(3, 4)), ["mse_loss"]),
    (nn.L1Loss(), (rand(3, 4), rand(3, 4)), ["l1_loss"]),
    (nn.SmoothL1Loss(), (rand(3, 4), rand(3, 4)), ["smooth_l1_loss"]),
    (nn.HuberLoss(), (rand(3, 4), rand(3, 4)), ["huber_loss"]),
    (nn.BCELoss(), (np.full(3, 0.5), np.ones(3)), ["binary_cross_entropy"]),
    (nn.BCEWithLogitsLoss(), (rand(3, 4), rand(3, 4)), ["binary_cross_entropy_with_logits"]),
    (nn.KLDivLoss(reduction="sum"), (rand(3, 4), rand(3, 4)), ["kl_div"]),
    (nn.MarginRankingLoss(), (rand(3), rand(3), _SIGNS), _MARGIN_RANKING),
    (nn.HingeEmbeddingLoss(), (rand(3), _SIGNS), _HINGE),
    (nn.CosineEmbeddingLoss(), (rand(3, 4), rand(3, 4), _SIGNS), _COSINE),
    (nn.TripletMarginLoss(), (rand(3, 4), rand(3, 4), rand(3, 4)), _TRIPLET),
    (nn.TripletMarginWithDistanceLoss(), (rand(3, 4), rand(3, 4), rand(3, 4)), _TRIPLET),
    (nn.SoftMarginLoss(), (rand(3), _SIGNS), _SOFT_MARGIN),
    (nn.MultiLabelSoftMarginLoss(), (rand(3, 4), np.ones((3, 4), np.float32)),
     _MULTILABEL_SOFT),
    (nn.MultiLabelMarginLoss(), (rand(3, 4), _LABELS), _MULTILABEL),
    (nn.MultiMarginLoss(), (rand(3, 4), np.array([0, 3, 1])), _MULTI_MARGIN),
    (nn.PoissonNLLLoss(), (rand(3, 4), rand(3, 4)), _POISSON),
    (nn.GaussianNLLLoss(), (rand(3, 4), rand(3, 4), np.ones((3, 4), np.float32)), _GAUSSIAN),
    (nn.Conv1d(3, 4, 3), X3, ["conv1d"]),
    (nn.Conv2d(3, 4, 3), X4, ["conv2d"]),
    (nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), X4, ["pad", "conv2d"]),
    (nn.Conv3d(2, 3, 3), X5, ["conv3d"]),
    (nn.MaxPool1d(2), X3, ["max_pool1d"]),
    (nn.MaxPool2d(2), X4, ["max_pool2d"]),
    (nn.MaxPool2d(2, return_indices=True), X4, ["max_pool2d_with_indices"]),
    (nn.MaxPool3d(2), X5, ["max_pool3d"]),
    (nn.AvgPool1d(2), X3, ["avg_pool1d"]),
    (nn.AvgPool2d(2), X4, ["avg_pool2d"]),
    (nn.AvgPool3d(2), X5, ["avg_pool3d"]),
    (nn.AdaptiveMaxPool1d(3), X3, ["adaptive_max_pool1d"]),
    (nn.AdaptiveMaxPool2d(3), X4, ["adaptive_max_pool2d"]),
    (nn.AdaptiveMaxPool3d(3), X5, ["adaptive_max_pool3d"]),
    (nn.AdaptiveAvgPool1d(3), X3, ["adaptive_avg_pool1d"]),
    (nn.AdaptiveAvgPool2d(3), X4, ["adaptive_avg_pool2d"]),
    (nn.AdaptiveAvgPool3d(3), X5, ["adaptive_avg_pool3d"]),
    (nn.Linear(8, 3), X4, ["linear"]),
    (nn.Bilinear(8, 8, 3), (X3, X3), ["einsum", "add"]),
    # training mode: num_batches_tracked += 1 (torch's add_) passes the door too
    (nn.BatchNorm1d(3), X3, ["add", "batch_norm"]),
    (nn.BatchNorm2d(3), X4, ["add", "batch_norm"]),
    (nn.BatchNorm3d(2), X5, ["add", "batch_norm"]),
    (nn.LayerNorm(8), X4, ["layer_norm"]),
    (nn.RMSNorm(8), X4, ["rms_norm"]),
    (nn.Unfold(3), X4, ["unfold"]),
    (nn.Fold((4, 4), 2), rand(2, 12, 9), ["fold"]),
    (nn.CosineSimilarity(), (rand(3, 4), rand(3, 4)), _COSINE_SIMILARITY),
    (nn.PairwiseDistance(), (rand(3, 4), rand(3, 4)), ["subtract", "add", "norm"]),
    (nn.GroupNorm(3, 3), X4, ["group_norm"]),
    (nn.InstanceNorm1d(3), X3, ["instance_norm"]),
    (nn.InstanceNorm2d(3, affine=True), X4, ["instance_norm"]),
    (nn.InstanceNorm3d(2, track_running_stats=True), X5, ["instance_norm"]),
    (nn.LocalResponseNorm(2), X4, ["local_response_norm"]),
    (nn.Upsample(scale_factor=2, mode="bilinear"), X4, ["interpolate"]),
    (nn.UpsamplingNearest2d(scale_factor=2), X4, ["interpolate"]),
    (nn.UpsamplingBilinear2d(size=(5, 5)), X4, ["interpolate"]),
    (nn.PixelShuffle(2), rand(1, 4, 3, 3), ["pixel_shuffle"]),
    (nn.PixelUnshuffle(2), X4, ["pixel_unshuffle"]),
    (nn.ChannelShuffle(3), X4, ["channel_shuffle"]),
    (nn.Dropout(), X4, ["dropout"]),
    (nn.Dropout1d(), X3, ["dropout1d"]),
    (nn.Dropout2d(), X4, ["dropout2d"]),
    (nn.Dropout3d(), X5, ["dropout3d"]),
    (nn.ReLU(), X4, ["relu"]),
    (nn.ReLU6(), X4, ["hardtanh"]),          # as torch: a Hardtanh(0, 6)
    (nn.Hardtanh(), X4, ["hardtanh"]),
    (nn.LeakyReLU(), X4, ["leaky_relu"]),
    (nn.ELU(), X4, ["elu"]),
    (nn.GELU(), X4, ["gelu"]),
    (nn.SiLU(), X4, ["silu"]),
    (nn.Sigmoid(), X4, ["sigmoid"]),
    (nn.Tanh(), X4, ["tanh"]),
    (nn.Hardswish(), X4, ["hardswish"]),
    (nn.Hardsigmoid(), X4, ["hardsigmoid"]),
    (nn.Softmax(1), X4, ["softmax"]),
    (nn.LogSoftmax(1), X4, ["log_softmax"]),
    (nn.Mish(), X4, ["mish"]),
    (nn.SELU(), X4, ["selu"]),
    (nn.CELU(), X4, ["celu"]),
    (nn.PReLU(), X4, ["prelu"]),
    (nn.Softplus(), X4, ["softplus"]),
    (nn.Softsign(), X4, ["softsign"]),
    (nn.LogSigmoid(), X4, ["logsigmoid"]),
    (nn.Tanhshrink(), X4, ["tanhshrink"]),
    (nn.Threshold(0.1, 0.0), X4, ["threshold"]),
    (nn.Softmin(1), X4, ["softmin"]),
    (nn.Softmax2d(), X4, ["softmax"]),
    (nn.Hardshrink(), X4, ["hardshrink"]),
    (nn.Softshrink(), X4, ["softshrink"]),
    (nn.RReLU(), X4, ["rrelu"]),
    (nn.GLU(), X4, ["index", "index", "sigmoid", "multiply"]),
    *[(getattr(nn, f"{kind}{nd}d")(*((1, 0.5) if kind == "ConstantPad" else (1,))),
       (X3, X4, X5)[nd - 1], ["pad"])
      for kind in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad")
      for nd in (1, 2, 3)],
    (nn.LPPool1d(2, 2), X3, ["lp_pool1d"]),
    (nn.LPPool2d(2, 2), X4, ["lp_pool2d"]),
    (nn.LPPool3d(2, 2), X5, ["lp_pool3d"]),
    (nn.MaxUnpool1d(2), POOLED3, ["max_unpool1d"]),       # a tuple: the forward's inputs
    (nn.MaxUnpool2d(2), POOLED4, ["max_unpool2d"]),
    (nn.MaxUnpool3d(2), POOLED5, ["max_unpool3d"]),
    (nn.Flatten(), X4, ["flatten"]),
    (nn.Unflatten(1, (3, 1)), X4, ["unflatten"]),
    (nn.ConvTranspose1d(3, 4, 3, stride=2), X3, ["conv_transpose1d"]),
    (nn.ConvTranspose2d(3, 4, 4, stride=2, padding=1), X4, ["conv_transpose2d"]),
    (nn.ConvTranspose3d(2, 3, 2, stride=2), X5, ["conv_transpose3d"]),
    # attention and embedding: a tuple of inputs is passed as several arguments
    (nn.Embedding(10, 3), np.array([[1, 9], [0, 4]]), ["embedding"]),
    (nn.EmbeddingBag(10, 3), np.array([[1, 9], [0, 4]]), ["embedding_bag"]),
    (nn.MultiheadAttention(8, 2).eval(), (X3, X3, X3),     # need_weights: their mean
     _MHA_PROJECTIONS + _MHA_ATTENTION_OUT + ["reshape", "mean"]),
    (nn.TransformerEncoderLayer(8, 2, 16).eval(), X3, _ENCODER_LAYER_OPS),
    (_quiet(nn.TransformerEncoder, nn.TransformerEncoderLayer(8, 2, 16), 1).eval(), X3,
     _ENCODER_LAYER_OPS),
    (nn.TransformerDecoderLayer(8, 2, 16).eval(), (X3, X3), _DECODER_LAYER_OPS),
    (nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 1).eval(), (X3, X3),
     _DECODER_LAYER_OPS),
    # the encoder and its final norm, then the decoder and its final norm
    (_quiet(nn.Transformer, 8, 2, 1, 1, 16).eval(), (X3, X3),
     _ENCODER_LAYER_OPS + ["layer_norm"] + _DECODER_LAYER_OPS + ["layer_norm"]),
    (nn.RNN(8, 4), X3, _RNN_OPS),
    (nn.LSTM(8, 4), X3, _LSTM_OPS),
    (nn.GRU(8, 4), X3, _GRU_OPS),
    (nn.RNNCell(8, 4), X3[0], ["linear"] + _RNN_STEP[1:]),
    (nn.LSTMCell(8, 4), X3[0], ["linear"] + _LSTM_CELL),
    (nn.GRUCell(8, 4), X3[0], ["linear"] + _GRU_CELL),
    (nn.AlphaDropout(), X4, _ALPHA_DROPOUT),
    (nn.FeatureAlphaDropout(), X4, _ALPHA_DROPOUT),
    (nn.LazyLinear(3), X4, _LAZY_INIT + ["linear"]),
    (nn.LazyConv1d(4, 3), X3, _LAZY_INIT + ["conv1d"]),
    (nn.LazyConv2d(4, 3), X4, _LAZY_INIT + ["conv2d"]),
    (nn.LazyConv3d(3, 3), X5, _LAZY_INIT + ["conv3d"]),
    (nn.LazyConvTranspose1d(4, 3, stride=2), X3, _LAZY_INIT + ["conv_transpose1d"]),
    (nn.LazyConvTranspose2d(4, 4, stride=2, padding=1), X4, _LAZY_INIT + ["conv_transpose2d"]),
    (nn.LazyConvTranspose3d(3, 2, stride=2), X5, _LAZY_INIT + ["conv_transpose3d"]),
    *[(getattr(nn, f"LazyBatchNorm{nd}d")(), (X3, X4, X5)[nd - 1],
       ["index_put_"] * 5 + ["add", "batch_norm"]) for nd in (1, 2, 3)],
    *[(getattr(nn, f"LazyInstanceNorm{nd}d")(), (X3, X4, X5)[nd - 1],
       ["index_put_"] * 5 + ["instance_norm"]) for nd in (1, 2, 3)],
]
# the names before any forward: a lazy layer's first call turns it into its eager class
_LAYER_NAMES = {type(m).__name__ for m, _, _ in MODULES}


@pytest.mark.parametrize("module, x, expected", MODULES,
                         ids=[f"{type(m).__name__}-{i}" for i, (m, _, _) in enumerate(MODULES)])
def test_every_layer_forward_passes_the_door(module, x, expected):
    inputs = x if isinstance(x, tuple) else (x,)       # losses take (input, target)
    with ops.record() as calls:
        module(*(fastnn.from_numpy(a.copy()) for a in inputs))
    assert [c.op for c in calls] == expected


def test_the_catalogue_covers_every_computing_layer():
    computing = {name for name in dir(nn) if isinstance(getattr(nn, name), type)
                 and issubclass(getattr(nn, name), nn.Module)}
    computing -= {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
                  "ParameterDict", "Identity"}
    assert computing == _LAYER_NAMES


def test_registered_lists_every_op_with_its_variants():
    for call, _ in F_CALLS.values():
        call()              # a ufunc op (subtract, sqrt, ...) is registered on first use
    ints = fastnn.tensor([4, 6])
    fastnn.gcd(ints, ints), fastnn.lcm(ints, ints), fastnn.nextafter(X3, X3)    # so are these
    registered = ops.registered()
    reached = {name for _, op in F_CALLS.values()
               for name in (op if isinstance(op, list) else [op])}
    assert set(registered) >= reached | {"flatten", "unflatten"}
    assert registered["linear"] == ["numba_gemm", "blas", "pointwise", "packed"]
    assert registered["max_pool2d"] == ["separable", "direct"]
    assert registered["relu"] == ["default"]
    assert all(variants for variants in registered.values())
    # every op says how autograd differentiates it (None: not differentiable)
    missing = [name for name, entry in _registry.OPS.items()
               if entry.backward is _registry.MISSING_BACKWARD]
    assert not missing


def test_normalize_gives_canonical_frozen_hashable_printable_attrs():
    entry = _registry.OPS["conv2d"]
    x, w = rand(1, 3, 8, 8), rand(4, 3, 3, 3)
    inputs, attrs = entry.normalize(x, w, None, 2, [1, 0], 1, 1)
    assert attrs == _registry.Attrs(stride=(2, 2), padding=(1, 0), padding_end=(1, 0),
                                    dilation=(1, 1), groups=1)
    assert hash(attrs) == hash(entry.normalize(x, w, stride=(2, 2), padding=(1, 0))[1])
    assert repr(attrs) == ("Attrs(stride=(2, 2), padding=(1, 0), padding_end=(1, 0), "
                           "dilation=(1, 1), groups=1)")
    with pytest.raises(AttributeError):
        attrs.stride = (1, 1)
    assert entry.meta(inputs, attrs) == ((1, 4, 4, 3), np.dtype(np.float32))
    with pytest.raises(RuntimeError, match="expected input"):
        entry.normalize(rand(1, 2, 8, 8), w)
    _, same = entry.normalize(x, w, padding="same")
    assert same.padding == (1, 1) and same.padding_end == (1, 1)


def test_attrs_read_like_a_mapping_and_attributes_and_survive_copies():
    attrs = _registry.Attrs(stride=(2, 2), groups=1)
    assert (attrs.stride, attrs["groups"], "groups" in attrs, "bias" in attrs) == (
        (2, 2), 1, True, False)
    assert (list(attrs), len(attrs), attrs.get("bias", 0)) == (["stride", "groups"], 2, 0)
    assert getattr(attrs, "bias", None) is None
    with pytest.raises(AttributeError):
        del attrs.groups
    with pytest.raises(AttributeError):
        attrs.bias = 1
    assert copy.deepcopy(attrs) == attrs and pickle.loads(pickle.dumps(attrs)) == attrs
    # a name the mapping's own methods use would shadow them
    with pytest.raises(TypeError, match="'items'"):
        _registry.Attrs(items=1)


def test_meta_of_a_multi_output_op_is_a_list():
    entry = _registry.OPS["max_pool2d_with_indices"]
    inputs, attrs = entry.normalize(X4, 3, 2, 1)
    assert entry.meta(inputs, attrs) == [((2, 3, 4, 4), np.dtype(np.float32)),
                                         ((2, 3, 4, 4), np.dtype(np.int64))]


# ------------------------------------------------------------------ out=

def test_out_is_written_and_returned(torch):
    x, w = rand(1, 3, 8, 8), rand(4, 3, 3, 3)
    out = fastnn.empty(1, 4, 8, 8)
    result = _dispatch.dispatch("conv2d", x, w, padding=1, out=out)
    assert result is out
    want = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1)
    np.testing.assert_allclose(out, want.numpy(), rtol=1e-5, atol=1e-5)


def test_out_that_is_not_contiguous_gets_the_result_copied_back():
    x = rand(2, 5)
    holder = np.zeros((5, 2), np.float32)
    out = holder.T
    assert not out.flags.c_contiguous
    _dispatch.dispatch("relu", x, out=out)
    np.testing.assert_array_equal(holder.T, np.maximum(x, 0))


def test_out_of_a_multi_output_op_is_a_tuple():
    values = np.empty((2, 3, 4, 4), np.float32)
    indices = np.empty((2, 3, 4, 4), np.int64)
    result = _dispatch.dispatch("max_pool2d_with_indices", X4, 2, out=(values, indices))
    want_values, want_indices = F.max_pool2d_with_indices(X4, 2)
    assert result[0] is values and result[1] is indices
    np.testing.assert_array_equal(values, want_values)
    np.testing.assert_array_equal(indices, want_indices)
    with pytest.raises(TypeError, match="tuple of 2 Tensors"):
        _dispatch.dispatch("max_pool2d_with_indices", X4, 2, out=values)


def test_out_with_the_wrong_dtype_or_shape_is_refused_with_torch_words(torch):
    x, w = rand(2, 3), rand(4, 3)
    try:    # the dtype wording comes from torch's linear
        torch._C._nn.linear(torch.from_numpy(x), torch.from_numpy(w),
                            out=torch.empty(2, 4, dtype=torch.float64))
    except RuntimeError as error:
        message = str(error)
    with pytest.raises(RuntimeError) as caught:
        _dispatch.dispatch("linear", x, w, out=np.empty((2, 4), np.float64))
    assert str(caught.value) == message
    with pytest.raises(RuntimeError, match=r"shape \[3, 4\] does not match the required "
                                           r"output shape \[2, 4\]"):
        _dispatch.dispatch("linear", x, w, out=np.empty((3, 4), np.float32))
    readonly = np.empty((2, 4), np.float32)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _dispatch.dispatch("linear", x, w, out=readonly)
    with pytest.raises(TypeError, match="unexpected keyword argument 'out'"):
        _dispatch.dispatch("flatten", x, out=np.empty(8, np.float32))


# ------------------------------------------------------------------ record()

def test_record_nests_and_collects_readable_calls():
    with ops.record() as outer:
        F.relu(X4)
        with ops.record() as inner:
            F.max_pool2d(X4, 2)
    assert [c.op for c in outer] == ["relu", "max_pool2d"]
    assert [c.op for c in inner] == ["max_pool2d"]
    assert repr(inner[0]) == ("Call(max_pool2d, shapes=[(2, 3, 8, 8)], kernel_size=(2, 2), "
                              "stride=(2, 2), padding=(0, 0), dilation=(1, 1), "
                              "ceil_mode=False)")
    assert _dispatch._recording == 0
    with ops.record() as after:
        pass
    F.relu(X4)
    assert after == []


def test_record_ends_when_its_block_raises():
    with pytest.raises(RuntimeError):
        with ops.record() as calls:
            F.relu(X4)
            F.conv2d(X4, rand(4, 2, 3, 3))
    assert [c.op for c in calls] == ["relu"]     # a refused call is recorded: it was made
    assert _dispatch._recording == 0


def test_record_sees_only_its_own_thread():
    started, release = threading.Event(), threading.Event()
    seen = {}

    def other():
        with ops.record() as calls:
            started.set()
            release.wait(10)
            F.tanh(X4)
        seen["other"] = [c.op for c in calls]

    thread = threading.Thread(target=other)
    thread.start()
    started.wait(10)
    with ops.record() as mine:
        F.sigmoid(X4)
        release.set()
        thread.join(10)
    assert [c.op for c in mine] == ["sigmoid"]
    assert seen["other"] == ["tanh"]


# ------------------------------------------------------------------ ufuncs

def test_dispatch_ufunc_runs_records_and_wraps():
    a, b = rand(2, 3), rand(3)
    with ops.record() as calls:
        total = _dispatch.dispatch_ufunc(np.add, "__call__", (fastnn.from_numpy(a), b), {})
        scaled = _dispatch.dispatch_ufunc(np.multiply, "__call__", (a, 2.0), {})
        quotient, rest = _dispatch.dispatch_ufunc(np.divmod, "__call__", (a, 0.5), {})
        summed = _dispatch.dispatch_ufunc(np.add, "reduce", (a,), {"axis": 0})
    assert [c.op for c in calls] == ["add", "multiply", "divmod", "add.reduce"]
    assert calls[0].shapes == ((2, 3), (3,))
    assert calls[3].attrs == _registry.Attrs(axis=0)
    for got, want in ((total, a + b), (scaled, a * 2.0), (quotient, np.divmod(a, 0.5)[0]),
                      (rest, np.divmod(a, 0.5)[1]), (summed, a.sum(0))):
        assert isinstance(got, fastnn.Tensor) and got.dtype == want.dtype
        np.testing.assert_array_equal(np.asarray(got), want)
    out = np.empty((2, 3), np.float32)
    assert _dispatch.dispatch_ufunc(np.add, "__call__", (a, b), {"out": (out,)}) is out
    np.testing.assert_array_equal(out, a + b)
    kept = np.full((2, 3), 7, np.float32)
    mask = a > 0
    _dispatch.dispatch_ufunc(np.add, "__call__", (a, b), {"out": (kept,), "where": mask})
    np.testing.assert_array_equal(kept, np.where(mask, a + b, 7))
    with pytest.raises(TypeError):
        _dispatch.dispatch_ufunc(np.add, "__call__", (a, "x"), {})


def test_fastnn_add_is_torch_add(torch):
    a, b = rand(2, 3), rand(2, 3)
    want = torch.add(torch.from_numpy(a), torch.from_numpy(b), alpha=2).numpy()
    np.testing.assert_allclose(fastnn.add(a, b, alpha=2), want, rtol=1e-6)
    with ops.record() as calls:
        fastnn.add(a, b)
    assert [c.op for c in calls] == ["add"]


# ------------------------------------------------------------------ memoised checks

def test_a_remembered_call_still_checks_arguments_of_other_values():
    F.relu(X4)
    F.leaky_relu(X4, 0.1)
    with pytest.raises(TypeError):
        F.leaky_relu(X4, "0.1")
    x = X4.copy()
    F.hardtanh(x, -1.0, 1.0)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 2.0, 1.0)


def test_an_implicit_softmax_dim_warns_on_every_call():
    for _ in range(2):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax") as got:
            F.softmax(X4)
        assert got[0].filename == __file__


def test_dropout2d_warns_on_every_call_and_points_at_the_caller():
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            F.dropout2d(rand(2, 3), 0.5)
        assert caught and caught[0].filename == __file__


# ------------------------------------------------------------------ ResNet-18

def load_worktree_example(name):
    """The example from this checkout (fastnn.examples may resolve to an installed copy)."""
    path = pathlib.Path(fastnn.__file__).resolve().parent.parent / "examples" / f"{name}.py"
    module = types.ModuleType(f"example_{name}")
    exec(compile(swap_imports(path.read_text()), str(path), "exec"), module.__dict__)
    return module


def test_resnet18_under_record_shows_every_layer():
    model = load_worktree_example("resnet").build().eval()
    with ops.record() as calls:         # grad mode on and parameters requiring grad:
        model(fastnn.randn(1, 3, 64, 64))   # max pooling runs with indices (torch too)
    counts = collections.Counter(c.op for c in calls)
    assert counts == {"conv2d": 20, "batch_norm": 20, "relu": 17, "add": 8,
                      "max_pool2d_with_indices": 1, "adaptive_avg_pool2d": 1, "flatten": 1,
                      "linear": 1}
    adds = [c for c in calls if c.op == "add"]
    assert all(len(set(c.shapes)) == 1 for c in adds)
    assert calls[-1].shapes == ((1, 512), (1000, 512), (1000,))
