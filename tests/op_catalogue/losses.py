"""Catalogue entries of the losses (fastnn/nn/functional/_loss.py, _cross_entropy.py)."""
import numpy as np

import fastnn.nn.functional as F

from . import OpInfo, Sample


def _classes(x):
    """Fixed class-index targets for logits `x` (N, C, ...): the sweeps draw floats only."""
    shape = np.shape(x)
    return np.arange(int(np.prod((shape[0],) + shape[2:]))).reshape(
        (shape[0],) + shape[2:]) % shape[1]


def _with_classes(fn):
    def call(x, *rest, **kwargs):
        return fn(x, _classes(x), *rest, **kwargs)
    return call


def _torch_with_classes(name):
    def ref(torch):
        fn = getattr(torch.nn.functional, name)
        return lambda x, *rest, **kwargs: fn(x, torch.from_numpy(_classes(x)), *rest,
                                             **kwargs)
    return ref


def _probabilities(fn):
    """binary_cross_entropy of sigmoid(x), sigmoid(y): the sweeps draw unbounded floats
    (F.sigmoid: the gradient sweep differentiates through it)."""
    def call(x, y, *rest, **kwargs):
        return fn(F.sigmoid(x), F.sigmoid(y), *rest, **kwargs)
    return call


def _torch_probabilities(torch):
    def call(x, y, *rest, **kwargs):
        return torch.nn.functional.binary_cross_entropy(torch.sigmoid(x), torch.sigmoid(y),
                                                        *rest, **kwargs)
    return call


def _loss(name, samples, **fields):
    return OpInfo(name, getattr(F, name), f"nn.functional.{name}", samples, sums=True,
                  **fields)


PAIR = (3, 4)
LOSSES = [
    _loss("mse_loss", [Sample(PAIR, PAIR), Sample(PAIR, PAIR, reduction="none", label="none")]),
    _loss("l1_loss", [Sample(PAIR, PAIR, reduction="sum")]),
    _loss("smooth_l1_loss", [Sample(PAIR, PAIR, beta=0.5)]),
    _loss("huber_loss", [Sample(PAIR, PAIR, delta=0.5)]),
    _loss("kl_div", [Sample(PAIR, PAIR, reduction="batchmean", log_target=True)]),
    _loss("binary_cross_entropy_with_logits", [Sample(PAIR, PAIR, None, reduction="sum")]),
    OpInfo("binary_cross_entropy", _probabilities(F.binary_cross_entropy),
           _torch_probabilities,
           [Sample(PAIR, PAIR)], sums=True,
           skips={"nonfinite": "torch refuses a NaN input (not between 0 and 1)",
                  "nan_torch_free": "torch refuses a NaN input (not between 0 and 1)",
                  "torch_inputs": "the sample maps its arrays to probabilities first"}),
    OpInfo("cross_entropy", F.cross_entropy, "nn.functional.cross_entropy",
           [Sample((3, 5), (3, 5), label="probabilities")], sums=True, nan_fills=False),
    OpInfo("cross_entropy_indices", _with_classes(F.cross_entropy),
           _torch_with_classes("cross_entropy"),
           [Sample((4, 3, 2), label_smoothing=0.1)], op="cross_entropy", sums=True,
           nan_fills=False),
    OpInfo("nll_loss", _with_classes(F.nll_loss), _torch_with_classes("nll_loss"),
           [Sample((4, 3), reduction="none")], nan_fills=False),
]
