"""torch's in-place forms of element-wise Tensor methods (a mixin of Tensor): ``x.sin_()``,
``x.floor_()``, ``x.reciprocal_()``, ``x.frac_()``, ``x.round_(decimals=1)``,
``x.nan_to_num_()``, ... Each computes the out-of-place method and writes it back
(`written_back`: torch's dtype check before anything is written, then ``copy_``, so
autograd sees the write), and ``x.aminmax()`` and ``x.unique_consecutive()`` (the
functions of `fastnn._index_functions` and `fastnn._set_functions`)."""
from ._arith_methods import written_back

__all__ = ["InPlaceMethods", "UNARY_IN_PLACE"]

# the in-place methods this mixin adds: each is the method named without the "_"
UNARY_IN_PLACE = (
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
    "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "floor", "ceil", "trunc",
    "fix", "square", "reciprocal", "log1p", "expm1", "log2", "log10", "exp2", "deg2rad",
    "rad2deg", "erf", "frac")


def _in_place(name):
    def method(self):
        return written_back(self, lambda source: getattr(source, name)())
    method.__name__ = method.__qualname__ = f"{name}_"
    method.__doc__ = f"In-place :meth:`{name}`."
    return method


class InPlaceMethods:
    """torch's in-place element-wise methods of Tensor (the unary ones are set below)."""

    def round_(self, decimals=0):
        """In-place :meth:`round`."""
        return written_back(self, lambda source: source.round(decimals=decimals))

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        """In-place :meth:`nan_to_num`."""
        return written_back(self, lambda source: source.nan_to_num(nan, posinf, neginf))


for _name in UNARY_IN_PLACE:
    setattr(InPlaceMethods, f"{_name}_", _in_place(_name))
