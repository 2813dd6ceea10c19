"""F.one_hot and F.normalize, each an op at the door (`fastnn._dispatch`).

one_hot's width depends on the index values when ``num_classes=-1``, so its checks read
the values and are never memoised. normalize divides by the norm torch's ``Tensor.norm``
gives (the same entry as ``fastnn.norm``: every order and dim it takes), clamped below at
`eps`.
"""
import numpy as np

from ..._dispatch import dispatch
from ..._registry import OPS, Attrs, register_single
from ..._args import int_arg, float_arg
from .._utils import as_array

__all__ = ["one_hot", "normalize"]

_INT64 = np.dtype(np.int64)


def one_hot(tensor, num_classes=-1):
    """``(*)`` int64 class indices -> ``(*, num_classes)`` int64 one-hot rows
    (``num_classes=-1``: the largest index + 1).

    Examples::

        >>> F.one_hot(fastnn.tensor([0, 2]))
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    return dispatch("one_hot", tensor, num_classes)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(norm(input, p, dim, keepdim=True), eps)``: unit-norm slices along
    `dim` (any order or dims ``Tensor.norm`` takes)."""
    return dispatch("normalize", input, p, dim, eps, out=out)


# ------------------------------------------------------------------ one_hot

def _one_hot_normalize(tensor, num_classes=-1):
    index = as_array(tensor)
    num_classes = int_arg(num_classes, "one_hot", "num_classes", 2)
    if index.dtype != _INT64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if index.size == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        if index.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = int(index.max()) + 1
        elif index.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    return (index,), Attrs(num_classes=num_classes)


def _one_hot_meta(inputs, attrs):
    return inputs[0].shape + (attrs.num_classes,), _INT64


def _one_hot_run(inputs, attrs, out):
    out.fill(0)
    if out.size:
        np.put_along_axis(out, inputs[0][..., None], 1, axis=-1)


# ------------------------------------------------------------------ normalize

def _normalize_normalize(input, p=2.0, dim=1, eps=1e-12):
    x = as_array(input)
    eps = float_arg(eps, "normalize", "eps", 4)
    inputs, norm_attrs = OPS["norm"].normalize(x, p, dim, True, None)
    return inputs, Attrs(norm=norm_attrs, eps=eps)


def _normalize_meta(inputs, attrs):
    return inputs[0].shape, inputs[0].dtype


def _normalize_run(inputs, attrs, out):
    norm = OPS["norm"]
    shape, dtype = norm.meta(inputs, attrs.norm)
    denominator = np.empty(shape, dtype)
    norm.run("default", inputs, attrs.norm, denominator)
    with np.errstate(all="ignore"):
        np.maximum(denominator, attrs.eps, out=denominator)
        np.divide(inputs[0], denominator, out=out, casting="unsafe")


register_single("one_hot", _one_hot_normalize, _one_hot_meta, _one_hot_run)
register_single("normalize", _normalize_normalize, _normalize_meta, _normalize_run,
                arrays=lambda input, *args, **kwargs: (as_array(input),))
