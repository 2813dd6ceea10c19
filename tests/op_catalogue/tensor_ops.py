"""Catalogue entries of the Tensor ops: shape ops (views), copies and in-place writers,
reductions, sorting and searching, clamp and where (fastnn._shape_ops, _copy_ops,
_reduction_ops, _math_ops). An op torch has at top level is called there (``fastnn.sum``
against ``torch.sum``); a method-only op is called on the first argument seen as a Tensor
(same memory, same layout). Arguments torch takes positionally (``x.view(3, 20)``) are given
positionally, so the hostile sweep's replacements reach the op as a user's would.
"""
import numpy as np

import fastnn

from . import OpInfo, Sample

_METHOD = "a Tensor method: called on a torch tensor it is torch's own"
_INDICES = "integer results: no NaN to hold"
_BOOLEAN = "boolean results: no NaN to hold"
X = (3, 4, 5)


def _tensor(a):
    return np.ndarray.view(np.asarray(a), fastnn.Tensor)


def _method(name, call, samples, **fields):
    """An entry for ``call(tensor, *arrays, **kwargs)``, a Tensor method call; torch runs the
    same `call` on its tensors."""
    skips = dict(fields.pop("skips", {}), torch_inputs=_METHOD)
    return OpInfo(name, lambda x, *rest, **kwargs: call(_tensor(x), *rest, **kwargs),
                  lambda torch: call, samples, skips=skips, **fields)


def _top(name, samples, **fields):
    """``fastnn.<name>`` against ``torch.<name>``."""
    return OpInfo(name, getattr(fastnn, name), name, samples, **fields)


def _positive(x):
    """A boolean mask of the same kind (fastnn or torch) as `x`."""
    return x > 0


SHAPE = [
    _method("view", lambda x, size: x.view(size), [Sample(X, size=(3, 4, -1))], view=True),
    _method("view_merge", lambda x, size: x.view(size), [Sample(X, size=(3, 20))], op="view",
            view=True, skips={"layouts": "torch's view needs strides that fit the new shape: "
                                         "it refuses a Fortran or strided input (the view "
                                         "sample runs every layout)"}),
    _method("reshape", lambda x, shape: x.reshape(shape),
            [Sample(X, shape=(12, -1)), Sample(X, shape=(5, 12), label="copy")], view=True),
    _method("expand", lambda x, size: x.expand(size), [Sample((3, 1, 5), size=(2, 3, 4, -1))],
            view=True),
    _method("unsqueeze", lambda x, dim: x.unsqueeze(dim), [Sample(X, dim=-1)], view=True),
    _method("squeeze", lambda x, dim: x.squeeze(dim), [Sample((3, 1, 5), dim=1)], view=True),
    _method("permute", lambda x, dims: x.permute(dims), [Sample(X, dims=(2, 0, 1))], view=True),
    _method("transpose", lambda x, dim0, dim1: x.transpose(dim0, dim1),
            [Sample(X, dim0=0, dim1=-1)], view=True),
    _method("t", lambda x: x.t(), [Sample((3, 4))], view=True),
    _method("contiguous", lambda x: x.contiguous(), [Sample(X)], view=True),
    _method("index", lambda x, key: x[key],
            [Sample(X, key=1), Sample(X, key=(slice(None), slice(1, None, 2)), label="slices")],
            view=True),
]

COPIES = [
    _method("clone", lambda x: x.clone(), [Sample(X)]),
    _method("to", lambda x: x.double(), [Sample(X)], view=True),   # float64: itself
    _method("repeat", lambda x, repeats: x.repeat(repeats),
            [Sample((3, 4), repeats=(2, 1, 3))]),
    OpInfo("cat", lambda a, b, **kwargs: fastnn.cat([a, b], **kwargs),
           lambda torch: lambda a, b, **kwargs: torch.cat([a, b], **kwargs),
           [Sample((3, 4), (2, 4)), Sample((3, 4), (3, 2), dim=-1, label="dim")],
           nan_fills=False),
    OpInfo("stack", lambda a, b, **kwargs: fastnn.stack([a, b], **kwargs),
           lambda torch: lambda a, b, **kwargs: torch.stack([a, b], **kwargs),
           [Sample((3, 4), (3, 4), dim=1)], nan_fills=False),
    _method("masked_fill", lambda x, m, value: x.masked_fill(_positive(m), value),
            [Sample(X, X, value=-2.0), Sample(X, (4, 5), value=0.5, label="broadcast")],
            nan_fills=False),
]

IN_PLACE = [
    _method("fill_", lambda x, value: x.fill_(value), [Sample(X, value=1.5)], inplace=True,
            nan_fills=False, skips={"nan_torch_free": "the input's values are overwritten"}),
    _method("zero_", lambda x: x.zero_(), [Sample(X)], inplace=True,
            skips={"nan_torch_free": "the input's values are overwritten"}),
    _method("copy_", lambda x, src: x.copy_(src), [Sample(X, (4, 5))], inplace=True,
            skips={"nan_torch_free": "the input's values are overwritten"}),
    _method("masked_fill_", lambda x, m, value: x.masked_fill_(_positive(m), value),
            [Sample(X, X, value=-2.0)], inplace=True, nan_fills=False),
    _method("normal_", lambda x, mean, std: x.normal_(mean, std),
            [Sample(X, mean=1.0, std=2.0)], inplace=True, random=True),
    _method("uniform_", lambda x, a, b: x.uniform_(a, b), [Sample(X, a=-1.0, b=3.0)],
            inplace=True, random=True),
]

REDUCTIONS = [
    *[_top(name, [Sample(X), Sample(X, dim=1, keepdim=True, label="dim")], sums=True)
      for name in ("sum", "mean", "std", "var")],
    _top("prod", [Sample(X, dim=1), Sample((3, 4), label="all")], sums=True),
    *[_top(name, [Sample(X, dim=1)], skips={"nan_torch_free": _BOOLEAN}, nan_fills=False)
      for name in ("any", "all")],
    *[_top(name, [Sample(X), Sample(X, dim=1, label="dim"),
                  Sample(X, dim=-1, keepdim=True, label="keepdim")])
      for name in ("max", "min")],
    *[_top(name, [Sample(X), Sample(X, dim=1, keepdim=True, label="dim")],
           skips={"nan_torch_free": _INDICES})
      for name in ("argmax", "argmin")],
    _top("sort", [Sample(X, stable=True), Sample(X, dim=1, descending=True, stable=True,
                                                label="descending")]),
    OpInfo("nonzero", lambda x, **kwargs: fastnn.nonzero(_positive(_tensor(x)), **kwargs),
           lambda torch: lambda x, **kwargs: torch.nonzero(_positive(x), **kwargs),
           [Sample((3, 4)), Sample(X, as_tuple=True, label="as_tuple")],
           skips={"nan_torch_free": _INDICES}),
]

ELEMENTWISE = [
    _top("clamp", [Sample(X, min=-0.5, max=0.7), Sample(X, min=0.1, label="min")]),
    OpInfo("where", lambda x, c, y: fastnn.where(_positive(_tensor(c)), x, y),
           lambda torch: lambda x, c, y: torch.where(_positive(c), x, y),
           [Sample(X, X, X), Sample(X, (4, 5), (5,), label="broadcast")], nan_fills=False),
]

TENSOR_OPS = SHAPE + COPIES + IN_PLACE + REDUCTIONS + ELEMENTWISE
