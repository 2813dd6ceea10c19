"""Catalogue entries of Tensor arithmetic: the numpy ufuncs that Tensor's Python operators
reach (`fastnn._dispatch.dispatch_ufunc` registers each as an op named after the ufunc on
first use). The reference is the same operator on torch tensors.

Which ufuncs belong: those a Python operator on a float Tensor reaches (+ - * / // % **
@, unary -, + and abs, the comparisons); `tests/runtime/test_catalogue_coverage.py` derives
that set by applying every operator to a Tensor, so a new one shows up there. Ufuncs that
code calls by name (np.exp(x), ...) register too; they belong here once fastnn exposes
them as Tensor methods or top-level functions.
"""
import operator

import numpy as np

import fastnn

from . import OpInfo, Sample

_TORCH_FREE = "a Tensor operator; a torch tensor as the left operand runs torch's own"
_BOOLEAN = "a comparison gives booleans: no NaN to propagate (NaN compares False, as in torch)"


def _on_tensor(function):
    """`function` with its first operand seen as a fastnn Tensor (same memory, same layout),
    so that the Tensor's operator runs."""
    def call(first, *rest, **kwargs):
        if not isinstance(first, fastnn.Tensor):
            first = np.ndarray.view(np.asarray(first), fastnn.Tensor)
        return function(first, *rest, **kwargs)
    call.__name__ = function.__name__
    return call


def _operator(name, function, shapes=((3, 4), (3, 4)), positive=(), **fields):
    samples = [Sample(*shapes, positive=positive)]
    if len(shapes) == 2 and function is not operator.matmul:
        samples.append(Sample(shapes[0], shapes[0][1:], positive=positive, label="broadcast"))
    skips = dict(fields.pop("skips", {}), torch_inputs=_TORCH_FREE)
    return OpInfo(name, _on_tensor(function), lambda torch: function, samples, skips=skips,
                  **fields)


ARITHMETIC = [
    _operator("add", operator.add),
    _operator("subtract", operator.sub),
    _operator("multiply", operator.mul),
    _operator("divide", operator.truediv),
    _operator("floor_divide", operator.floordiv,
              skips={"grad": "torch has no derivative of floor_divide: its backward raises "
                             "(tests/autograd/test_tensor_grad.py checks fastnn's does)"}),
    _operator("remainder", operator.mod),
    _operator("power", operator.pow, positive=(0,)),
    _operator("matmul", operator.matmul, ((3, 4), (4, 5)), rtol32=1e-5),
    _operator("negative", operator.neg, ((3, 4),)),
    _operator("positive", operator.pos, ((3, 4),)),
    _operator("absolute", abs, ((3, 4),)),
    *[_operator(name, function, nan_fills=False, skips={"nan_torch_free": _BOOLEAN})
      for name, function in [("greater", operator.gt), ("greater_equal", operator.ge),
                             ("less", operator.lt), ("less_equal", operator.le),
                             ("equal", operator.eq), ("not_equal", operator.ne)]],
]
