"""Vector geometry at top level: ``fastnn.cross`` (the cross product along a dim of size 3,
the method's composition, `fastnn._cross_methods`) and ``fastnn.cdist`` (p-norm distances
between the rows of two batches of matrices, the op of `fastnn._distance_ops`), with torch's
arguments and checks. ``fastnn.linalg.cross`` (`fastnn.linalg`) is the same composition
with dim -1 as its default."""
import numpy as np

from ._args import float_arg
from ._cross_methods import cross_product
from ._dispatch import dispatch
from ._functions import _tensor
from ._out_arg import write_out

__all__ = ["cross", "cdist"]

_COMPUTE_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
                  "donot_use_mm_for_euclid_dist": 2}


def cross(input, other, dim=None, *, out=None):
    """The cross product of `input` and `other` (broadcast) along `dim`, a dim of size 3
    (None: the first such dim of `input`, deprecated in torch) (``torch.cross``)."""
    return write_out(cross_product(_tensor(input, "cross"), other, dim, 2, 2), out)


def _matrix_arg(value, name, position):
    """A tensor argument of cdist: any array (a list is refused, as torch refuses it)."""
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        return _tensor(value, "cdist")
    raise TypeError(f"cdist(): argument '{name}' (position {position}) must be Tensor, not "
                    f"{type(value).__name__}")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance of each row of `x1` (..., P, M) to each row of `x2` (..., R, M):
    (..., P, R), the batch dims broadcast (``torch.cdist``). For p = 2 `compute_mode` says
    whether a matrix product computes it: "use_mm_for_euclid_dist_if_necessary" (when P or
    R exceeds 25), "use_mm_for_euclid_dist" or "donot_use_mm_for_euclid_dist"."""
    mode = _COMPUTE_MODES.get(compute_mode) if isinstance(compute_mode, str) else None
    if mode is None:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    a, b = _matrix_arg(x1, "x1", 1), _matrix_arg(x2, "x2", 2)
    return dispatch("cdist", a, b, float_arg(p, "cdist", "p", 3), mode)
